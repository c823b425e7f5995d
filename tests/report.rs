//! `report`, the access review, run as a user runs it: against the embedded sandbox (live) and
//! offline on the files. Rights, how each is granted and what the files do not manage come from
//! the sandbox's own state; a cluster that cannot be read and a policy whose rules are not
//! published are unknown (exit 5), never none; the CSV, markdown and JSON of one review agree
//! line for line; `--previous` says what changed. The HTML page is checked in a real browser in
//! `report_browser.rs`.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// Two clusters, a name with markup and a comma, namespaces, a custom binding, an account.
const FILE: &str = r#"
principal "dev, <b>payments</b>" "arn:aws:iam::111122223333:role/dev"
principal "auditor" "arn:aws:iam::111122223333:role/auditor"
principal "ops" "arn:aws:iam::111122223333:user/ops"
cluster "prod" {
    region "eu-west-1"
    authentication-mode "API"
    access-entry "dev, <b>payments</b>" {
        policy "AmazonEKSViewPolicy"
        policy "AmazonEKSEditPolicy" {
            namespaces "payments" "payments-*"
        }
    }
    access-entry "auditor" {
        groups "log-readers"
        policy "AmazonEKSViewPolicy"
    }
    role "pod-log-reader" namespace="production" {
        rule {
            api-groups ""
            resources "pods" "pods/log"
            verbs "get" "list" "watch"
        }
    }
    group-binding "log-readers" role="pod-log-reader" namespace="production"
}
cluster "legacy" {
    region "eu-west-1"
    authentication-mode "CONFIG_MAP"
    aws-auth {
        map-user "ops" username="ops" {
            groups "deployers"
        }
        map-account "444455556666"
    }
    group-binding "deployers" cluster-role="edit"
}
"#;

fn report(file: &str, words: &[&str]) -> Accessctl {
    Accessctl::new().arg("report").arg("-f").arg(file).args(words)
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn cell<'a>(review: &'a Value, principal: &str, cluster: &str) -> &'a Value {
    let row = review["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["principal"] == principal)
        .unwrap_or_else(|| panic!("no row for {principal}"));
    row["cells"].as_array().unwrap().iter().find(|c| c["cluster"] == cluster).expect("a cell per cluster")
}

#[test]
fn live_against_the_sandbox_it_shows_rights_how_they_are_granted_and_what_is_unmanaged() {
    let run = report("examples/quick-start.kdl", &["--sandbox", "--format", "json"]).run();
    let review = json(&run);
    assert_eq!(review["source"], "live");
    assert_eq!(review["clusters"][0]["mode"], "CONFIG_MAP");
    // The sandbox's administrator is mapped in aws-auth to system:masters; no file declares it.
    let admin = cell(&review, "arn:aws:iam::111122223333:user/sandbox-admin", "demo");
    assert_eq!(admin["rights"]["cluster"], "cluster-admin");
    assert_eq!(admin["via"], "aws-auth-map-users");
    assert_eq!(admin["managed"], "unmanaged");
    // Bob's mapping is declared; its console binding is not applied yet, so he holds nothing.
    let bob = cell(&review, "arn:aws:iam::111122223333:user/bob", "demo");
    assert_eq!(
        (&bob["rights"]["cluster"], &bob["managed"], &bob["username"]),
        (&"none".into(), &"managed".into(), &"bob".into())
    );
    // The node groups EKS mapped: nodes, never none, through mappings the files do not hold.
    let nodes = cell(&review, "arn:aws:iam::111122223333:role/demo-ng-general", "demo");
    assert_eq!((&nodes["rights"]["cluster"], &nodes["managed"]), (&"node".into(), &"unmanaged".into()));
    // Declared in the files, not let in live: none, and the note says why.
    let platform = cell(&review, "arn:aws:iam::111122223333:role/platform-admin", "demo");
    assert_eq!(platform["rights"]["cluster"], "none");
    assert!(platform["note"].as_str().unwrap().contains("not let in"), "{platform}");
    assert!(platform["via"].is_null());
    // The creator's hidden system:masters is said, not hidden.
    assert!(review["clusters"][0]["notes"][0].as_str().unwrap().contains("creator"));

    // The same in markdown, for a person.
    report("examples/quick-start.kdl", &["--sandbox"])
        .stdout_has(
            "| arn:aws:iam::111122223333:user/sandbox-admin |  | cluster-admin — via aws-auth mapUsers (unmanaged) |",
        )
        .stdout_has("  - group system:masters (Kubernetes allows it everything) (unmanaged)")
        .run();
}

#[test]
fn offline_it_reports_what_the_files_would_grant_per_namespace() {
    let file = temp_file("report-offline", FILE);
    let run = report(&file, &["--offline", "--format", "json"]).run();
    let review = json(&run);
    assert_eq!(review["source"], "offline");
    let summary = |p: &str, c: &str| report_summary(&cell(&review, p, c)["rights"]);
    assert_eq!(summary("arn:aws:iam::111122223333:role/dev", "prod"), "view; edit in payments; edit in payments-*");
    // View everywhere; its RoleBinding adds pod logs in production, which is still view there.
    assert_eq!(summary("arn:aws:iam::111122223333:role/auditor", "prod"), "view");
    assert_eq!(summary("arn:aws:iam::111122223333:user/ops", "legacy"), "edit");
    // mapAccounts: a stand-in for any principal of the account, with what it gets.
    let any = review["rows"].as_array().unwrap().iter().find(|r| r["any_of_account"] == "444455556666").unwrap();
    let legacy = any["cells"].as_array().unwrap().iter().find(|c| c["cluster"] == "legacy").unwrap();
    assert_eq!((&legacy["rights"]["cluster"], &legacy["via"]), (&"none".into(), &"aws-auth-map-accounts".into()));
    // The dev has no way into legacy.
    assert_eq!(
        cell(&review, "arn:aws:iam::111122223333:role/dev", "legacy")["note"],
        "not let in, unless it created the cluster (EKS does not say who did)"
    );
    // Offline everything comes from the files: nothing is unmanaged.
    assert!(!run.stdout.contains("\"unmanaged\""));
}

/// The rights of a JSON cell in the words the other formats use.
fn report_summary(rights: &Value) -> String {
    let word = |l: &Value| match l {
        Value::String(s) => s.clone(),
        Value::Object(o) => format!("unknown ({})", o["unknown"].as_str().unwrap()),
        other => panic!("{other}"),
    };
    let mut parts = vec![];
    let namespaces = rights["namespaces"].as_array().unwrap();
    if rights["cluster"] != "none" || namespaces.is_empty() {
        parts.push(word(&rights["cluster"]));
    }
    for ns in namespaces {
        parts.push(format!("{} in {}", word(&ns[1]), ns[0].as_str().unwrap()));
    }
    parts.join("; ")
}

/// RFC 4180, as a spreadsheet reads it.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (vec![], vec![], String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the last line ends with CRLF");
    rows
}

/// The cells of a markdown table line (`\|` is a pipe inside a cell; `\x` is `x`).
fn markdown_cells(line: &str) -> Vec<String> {
    let inner = line.trim().strip_prefix('|').and_then(|l| l.strip_suffix('|')).expect("a table line");
    let (mut cells, mut cell) = (vec![], String::new());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cell.extend(chars.next()),
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells.iter().map(|c| c.trim().replace("&lt;", "<").replace("&gt;", ">")).collect()
}

#[test]
fn csv_markdown_and_json_of_one_review_agree() {
    let file = temp_file("report-agree", FILE);
    let run = |format: &str| report(&file, &["--offline", "--format", format]).run().stdout;
    let review: Value = serde_json::from_str(&run("json")).unwrap();
    let clusters: Vec<String> =
        review["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(clusters, ["legacy", "prod"]);
    // (principal, name, cluster, rights) from each format.
    let mut from_json = BTreeSet::new();
    for row in review["rows"].as_array().unwrap() {
        let name = match (&row["any_of_account"], &row["name"]) {
            (Value::String(a), _) => format!("any IAM principal of account {a}"),
            (_, Value::String(n)) => n.clone(),
            _ => String::new(),
        };
        for c in row["cells"].as_array().unwrap() {
            from_json.insert((
                row["principal"].as_str().unwrap().to_string(),
                name.clone(),
                c["cluster"].as_str().unwrap().to_string(),
                report_summary(&c["rights"]),
            ));
        }
    }
    assert_eq!(from_json.len(), 4 * 2, "four principals × two clusters: {from_json:?}");
    assert!(from_json.iter().any(|(_, name, _, _)| name == "dev, <b>payments</b>"));

    let csv = parse_csv(&run("csv"));
    assert_eq!(csv[0][..5], ["section", "principal", "name", "cluster", "rights"]);
    assert!(csv.iter().all(|r| r.len() == csv[0].len()), "every line has every column");
    let from_csv: BTreeSet<_> =
        csv[1..].iter().map(|r| (r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone())).collect();
    assert_eq!(from_csv, from_json);

    let markdown = run("markdown");
    let table: Vec<&str> =
        markdown.lines().skip_while(|l| !l.starts_with("| Principal |")).take_while(|l| l.starts_with('|')).collect();
    let header = markdown_cells(table[0]);
    assert_eq!(header, ["Principal", "Name", "legacy", "prod"]);
    let mut from_markdown = BTreeSet::new();
    for line in &table[2..] {
        let cells = markdown_cells(line);
        for (i, cluster) in header[2..].iter().enumerate() {
            // A cell is the rights, then ` — via …`.
            let rights = cells[2 + i].split(" — ").next().unwrap().to_string();
            from_markdown.insert((cells[0].clone(), cells[1].clone(), cluster.clone(), rights));
        }
    }
    assert_eq!(from_markdown, from_json);
}

#[test]
fn previous_says_what_changed_in_every_format() {
    let dir = scratch("report-previous");
    let before = temp_file("report-before", FILE);
    let previous = dir.join("previous.json");
    report(&before, &["--offline", "--format", "json", "-o"])
        .arg(&previous)
        .stderr_has("wrote the review of 4 principal(s) on 2 cluster(s)")
        .run();
    // Since then: the dev lost its edit in payments-*, the auditor became cluster admin, a new
    // principal got view, and ops lost legacy.
    let after = FILE
        .replace("namespaces \"payments\" \"payments-*\"", "namespaces \"payments\"")
        .replace(
            "    access-entry \"auditor\" {\n        groups \"log-readers\"\n        policy \"AmazonEKSViewPolicy\"",
            "    access-entry \"auditor\" {\n        groups \"log-readers\"\n        policy \"AmazonEKSClusterAdminPolicy\"",
        )
        .replace(
            "    group-binding \"log-readers\"",
            "    access-entry \"arn:aws:iam::111122223333:role/newcomer\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n    group-binding \"log-readers\"",
        )
        .replace("        map-user \"ops\" username=\"ops\" {\n            groups \"deployers\"\n        }\n", "");
    assert_ne!(after, FILE);
    let after = temp_file("report-after", &after);
    let json_run = report(&after, &["--offline", "--format", "json", "--previous"]).arg(&previous).run();
    let review = json(&json_run);
    let changes: Vec<String> = review["changed_since"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
            format!("{} {} {} {} → {}", s("kind"), s("principal"), s("cluster"), s("before"), s("after"))
        })
        .collect();
    assert_eq!(
        changes,
        [
            "changed arn:aws:iam::111122223333:role/auditor prod view → cluster-admin",
            "changed arn:aws:iam::111122223333:role/dev prod view; edit in payments; edit in payments-* → view; edit in payments",
            "new-principal arn:aws:iam::111122223333:role/newcomer - - → -",
            "gained arn:aws:iam::111122223333:role/newcomer prod none → view",
            "removed-principal arn:aws:iam::111122223333:user/ops - - → -",
            "lost arn:aws:iam::111122223333:user/ops legacy edit → none",
        ]
    );
    report(&after, &["--offline", "--previous"])
        .arg(&previous)
        .stdout_has("## Changed since the previous report (")
        .stdout_has("| gained | arn:aws:iam::111122223333:role/newcomer |  | prod | none | view |")
        .run();
    let csv = parse_csv(&report(&after, &["--offline", "--format", "csv", "--previous"]).arg(&previous).run().stdout);
    let lost: Vec<&Vec<String>> = csv.iter().filter(|r| r[0] == "change" && r[12] == "lost").collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0][1].as_str(), lost[0][3].as_str(), lost[0][13].as_str()),
        ("arn:aws:iam::111122223333:user/ops", "legacy", "edit")
    );
    report(&after, &["--offline", "--format", "html", "--previous"])
        .arg(&previous)
        .stdout_has("<h2 id=\"changes\">Changed since the previous report")
        .run();
    // The same files again: nothing changed.
    report(&before, &["--offline", "--previous"]).arg(&previous).stdout_has("Nothing changed.").run();
}

#[test]
fn a_previous_report_that_is_not_one_is_a_clear_error() {
    let file = temp_file("report-bad-previous", FILE);
    let dir = scratch("report-bad-previous");
    let html = dir.join("previous.html");
    report(&file, &["--offline", "--format", "html", "-o"]).arg(&html).run();
    report(&file, &["--offline", "--previous"])
        .arg(&html)
        .status(1)
        .stderr_has("accessctl::report::previous_unreadable")
        .stderr_has("the previous report is not an accessctl report in JSON")
        .stderr_has("give the JSON that `accessctl report --format json` wrote")
        .stdout("")
        .run();
    let other = dir.join("other.json");
    std::fs::write(&other, "{\"format\": 7, \"rows\": []}").unwrap();
    report(&file, &["--offline", "--previous"])
        .arg(&other)
        .status(1)
        .stderr_has("accessctl::report::previous_format")
        .run();
    report(&file, &["--offline", "--previous"])
        .arg(dir.join("missing.json"))
        .status(1)
        .stderr_has("cannot read the previous report")
        .run();
}

#[test]
fn what_cannot_be_known_is_unknown_with_why_never_none() {
    // A cluster the sandbox does not have: its column is unknown, the others are answered.
    let file = temp_file(
        "report-ghost",
        &(std::fs::read_to_string("examples/quick-start.kdl").unwrap()
            + "cluster \"ghost\" {\n    region \"eu-west-1\"\n}\n"),
    );
    let run = report(&file, &["--sandbox", "--format", "json"]).status(5).run();
    let review = json(&run);
    let ghost = review["clusters"].as_array().unwrap().iter().find(|c| c["name"] == "ghost").unwrap();
    assert!(ghost["unknown"].as_str().unwrap().contains("ResourceNotFoundException"), "{ghost}");
    for row in review["rows"].as_array().unwrap() {
        let c = row["cells"].as_array().unwrap().iter().find(|c| c["cluster"] == "ghost").unwrap();
        assert!(c["rights"]["cluster"]["unknown"].as_str().unwrap().contains("the cluster cannot be read"), "{c}");
    }
    assert_eq!(
        cell(&review, "arn:aws:iam::111122223333:user/sandbox-admin", "demo")["rights"]["cluster"],
        "cluster-admin"
    );
    report(&file, &["--sandbox"])
        .status(5)
        .stdout_has("- **ghost** (mode unknown) — unknown: the cluster cannot be read: cluster \\`ghost\\`")
        .run();
    // An access policy whose rules AWS does not publish: unknown, naming it.
    report("examples/nodes-and-fargate.kdl", &["--offline"])
        .status(5)
        .stdout_has("| arn:aws:iam::444455556666:role/batch-auto-nodes |  | unknown (AmazonEKSAutoNodePolicy may allow more: AWS does not publish its Kubernetes permissions as rules) — via access entry (managed) |")
        .stdout_has("| arn:aws:iam::444455556666:role/batch-linux-nodes |  | node — via access entry (managed) |")
        .run();
}

#[test]
fn the_html_page_escapes_what_the_files_say_and_fetches_nothing() {
    let file = temp_file(
        "report-html",
        &FILE.replace(
            "cluster \"prod\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n",
            "principal \"<script>alert('x')</script>\" \"arn:aws:iam::111122223333:role/x\"\ncluster \"prod\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:role/x\"\n",
        ),
    );
    let page = report(&file, &["--offline", "--format", "html"]).run().stdout;
    assert!(!page.contains("<script"), "a name is text, never markup");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("dev, &lt;b&gt;payments&lt;/b&gt;"));
    for needle in ["http://", "https://", "src=\"", "href=\"", "url(", "@import"] {
        assert!(!page.contains(needle), "{needle} in the page");
    }
}
