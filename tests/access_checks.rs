//! Access tests (`expect`) and guardrails in access.kdl: `validate` asks them of the files,
//! `plan` of the cluster now and after apply, and a failure stops `apply` before any write. What
//! plan says holds after apply is proven by requests the sandbox allows or refuses, made with the
//! principal's own credentials.

mod common;

use aws_sdk_eks::config::Credentials;
use common::*;

const DEV: &str = "arn:aws:iam::111122223333:role/dev";

/// One API_AND_CONFIG_MAP cluster `c` where `dev` may edit namespace `payments`, and `body`.
fn file(body: &str) -> String {
    format!(
        r#"principal "dev" "{DEV}"
cluster "c" {{
    region "eu-west-1"
    account "111122223333"
    authentication-mode "API_AND_CONFIG_MAP"
    access-entry "dev" {{
        policy "AmazonEKSEditPolicy" {{
            namespaces "payments"
        }}
    }}
{body}
}}
"#
    )
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("the line is in the file") + 1
}

#[test]
fn validate_points_at_the_expectation_that_fails_and_the_declaration_that_breaks_a_guardrail() {
    let text = format!(
        "guardrails {{\n    no-wildcard-write-namespaces\n}}\n{}",
        file(
            r#"    expect "dev" can="create deployments.apps" namespace="payments"
    expect "dev" can="delete secrets" namespace="default"
    access-entry "arn:aws:iam::111122223333:role/ops" {
        policy "AmazonEKSAdminPolicy" {
            namespaces "team-*"
        }
    }"#
        )
    );
    let path = temp_file("validate-checks", &text);
    let run = Accessctl::new().args(&["validate", &path]).status(1).run();
    let stderr = unwrapped(&run.stderr);
    let expect_line = line_of(&text, "can=\"delete secrets\"");
    assert!(run.stderr.contains("accessctl::expect::fails"), "{}", run.stderr);
    assert!(
        stderr.contains(
            "on cluster `c`, expect dev can delete secrets in namespace default fails: forbidden: secrets is forbidden: \
             User \"arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}\" cannot delete resource \"secrets\""
        ),
        "{stderr}"
    );
    assert!(run.stderr.contains(&format!("{path}:{expect_line}:5]")), "at the expectation's line: {}", run.stderr);
    assert!(run.stderr.contains("accessctl::guardrail::broken"), "{}", run.stderr);
    assert!(
        stderr.contains(
            "guardrail `no-wildcard-write-namespaces`: AmazonEKSAdminPolicy of arn:aws:iam::111122223333:role/ops is \
             scoped to the namespace pattern `team-*`"
        ),
        "{stderr}"
    );
    // The expectation that holds says nothing.
    assert!(!stderr.contains("expect dev can create deployments.apps"), "{stderr}");
    assert!(run.stderr.contains("2 error(s), 0 warning(s)"), "{}", run.stderr);

    // The same findings for code scanning: SARIF, located by line and column.
    let sarif = Accessctl::new().args(&["validate", &path, "--output", "sarif"]).status(1).run();
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{}", sarif.stdout);
    let failing = results.iter().find(|r| r["ruleId"] == "accessctl::expect::fails").expect("the expectation");
    let region = &failing["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], expect_line);
    assert_eq!(region["startColumn"], 5);
    assert_eq!(failing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], path);
    let broken = results.iter().find(|r| r["ruleId"] == "accessctl::guardrail::broken").expect("the guardrail");
    // At the entry that breaks it, with the guardrail as a related place.
    assert_eq!(broken["locations"][0]["physicalLocation"]["region"]["startLine"], line_of(&text, "role/ops"));
    assert_eq!(broken["relatedLocations"][0]["physicalLocation"]["region"]["startLine"], 2);

    // And for a pull request: a markdown table.
    let md = Accessctl::new().args(&["validate", &path, "--output", "markdown"]).status(1).run();
    assert!(md.stdout.starts_with("### accessctl validate: 2 error(s), 0 warning(s)"), "{}", md.stdout);
    assert!(md.stdout.contains(&format!("| ❌ error | `{path}:{expect_line}:5` |")), "{}", md.stdout);
}

#[test]
fn expectations_that_do_not_make_a_request_are_refused_with_the_fix() {
    for (expect, message) in [
        (r#"expect "dev" can="create""#, "\"create\" is not a verb and a resource"),
        (r#"expect "dev" can="GET pods""#, "`GET` is not a verb a request carries"),
        (r#"expect "dev""#, "an `expect` needs can=\"VERB RESOURCE\" or cannot=\"VERB RESOURCE\""),
        (r#"expect "dev" can="get pods" cannot="get pods""#, "an `expect` says both can= and cannot="),
        (r#"expect "devv" can="get pods""#, "no principal is named `devv`"),
        (r#"expect "dev" can="get /healthz" namespace="x""#, "`/healthz` is a URL: it has no namespace"),
    ] {
        let path = temp_file("bad-expect", &file(&format!("    {expect}")));
        let run = Accessctl::new().args(&["validate", &path]).status(1).run();
        assert!(run.stderr.contains(message), "{expect}: {}", run.stderr);
    }
    // A top-level expectation with an unknown principal is reported once, not once per cluster.
    let text =
        format!("expect \"nobody\" cannot=\"get pods\"\n{}\ncluster \"d\" {{ region \"eu-west-1\"; }}", file(""));
    let run = Accessctl::new().args(&["validate", &temp_file("top-expect", &text)]).status(1).run();
    assert_eq!(run.stderr.matches("no principal is named `nobody`").count(), 1, "{}", run.stderr);
}

#[test]
fn a_cluster_keeps_the_top_level_guardrails_and_its_own() {
    let text = format!(
        "guardrails {{\n    no-system-masters\n}}\n{}",
        file(
            r#"    guardrails {
        cluster-admins "dev"
    }
    access-entry "arn:aws:iam::111122223333:role/ops" {
        policy "AmazonEKSClusterAdminPolicy"
    }
    aws-auth {
        map-role "arn:aws:iam::111122223333:role/old" {
            groups "system:masters"
        }
    }"#
        )
    );
    let run = Accessctl::new().args(&["validate", &temp_file("both-guardrails", &text)]).status(1).run();
    let stderr = unwrapped(&run.stderr);
    assert!(
        stderr.contains("guardrail `no-system-masters`: aws-auth maps arn:aws:iam::111122223333:role/old"),
        "{stderr}"
    );
    assert!(
        stderr.contains("guardrail `cluster-admins`: arn:aws:iam::111122223333:role/ops is a cluster admin"),
        "{stderr}"
    );
    assert!(
        stderr.contains("guardrail `cluster-admins`: arn:aws:iam::111122223333:role/old is a cluster admin"),
        "{stderr}"
    );
    assert!(stderr.contains("3 error(s)"), "{stderr}");
    // A rule written at the top level and again in a cluster is written once.
    let text = format!(
        "guardrails {{\n    no-system-masters\n}}\n{}",
        file("    guardrails {\n        no-system-masters\n    }")
    );
    Accessctl::new()
        .args(&["validate", &temp_file("guardrail-twice", &text)])
        .status(1)
        .stderr_has("`no-system-masters` is given at the top level and again in this cluster")
        .run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expectation_that_fails_after_apply_stops_apply_before_any_write() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let text = file(r#"    expect "dev" cannot="delete pods" namespace="payments""#);
    let path = temp_file("expect-stops", &text);
    let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &path]).status(1).run();
    let stderr = unwrapped(&planned.stderr);
    assert!(
        stderr.contains(
            "on cluster `c`, expect dev cannot delete pods in namespace payments: fails after apply (allowed by access \
             policy AmazonEKSEditPolicy (namespaces payments)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("it holds now: this plan breaks it"), "{stderr}");
    assert!(planned.stderr.contains(&format!("{path}:{}:5]", line_of(&text, "expect"))), "{}", planned.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &path]).status(1).run();
    let entries = eks(&sb.url()).list_access_entries().cluster_name("c").send().await.unwrap();
    assert!(!entries.access_entries().iter().any(|e| e.ends_with("role/dev")), "nothing was written: {entries:?}");

    // For a pull request, the blocked plan is still the report.
    let md = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &path, "--output", "markdown"]).status(1).run();
    assert!(md.stdout.contains("❌ **apply is blocked**: 1 problem(s)"), "{}", md.stdout);
    assert!(
        md.stdout.contains("| `c` | dev cannot delete pods in namespace payments | ✅ holds | ❌ fails: allowed by"),
        "{}",
        md.stdout
    );
    let sarif = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &path, "--output", "sarif"]).status(1).run();
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "accessctl::expect::fails");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], line_of(&text, "expect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_plan_says_holds_after_apply_is_what_the_cluster_enforces() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let text = file(
        r#"    expect "dev" can="create deployments.apps" namespace="payments"
    expect "dev" cannot="create deployments.apps" namespace="default""#,
    );
    let path = temp_file("expect-holds", &text);
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &path])
        .stdout_has(
            "expect dev can create deployments.apps in namespace payments — holds after apply, not now (unauthorized",
        )
        .stdout_has("expect dev cannot create deployments.apps in namespace default — holds\n")
        .run();
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &path]).run();

    // The cluster's own answer, to the role's own session.
    let (key, secret, token) = assume(&sb, DEV, "ci-7").await;
    let creds = Credentials::new(key, secret, Some(token), None, "sts");
    let (endpoint, ca) = endpoint_of(&sb, "c").await;
    let created = call(&endpoint, &ca, creds.clone(), "POST", "/apis/apps/v1/namespaces/payments/deployments").await;
    assert!(created != 401 && created != 403, "dev may create deployments in payments: {created}");
    let refused = call(&endpoint, &ca, creds, "POST", "/apis/apps/v1/namespaces/default/deployments").await;
    assert_eq!(refused, 403, "dev may not create deployments in default");

    // Now both hold now as well.
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &path])
        .stdout_has("expect dev can create deployments.apps in namespace payments — holds\n")
        .stdout_lacks("holds after apply")
        .run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardrail_broken_by_what_is_live_and_undeclared_stops_apply() {
    // The default world's cluster `demo`: its break-glass user is mapped into system:masters.
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, Faults::default()).await;
    let text = r#"guardrails {
    no-system-masters
}
cluster "demo" {
    region "eu-west-1"
    authentication-mode "API_AND_CONFIG_MAP"
    access-entry "arn:aws:iam::111122223333:role/platform-admin" {
        policy "AmazonEKSClusterAdminPolicy"
    }
}
"#;
    let path = temp_file("guardrail-live", text);
    // The files alone keep it.
    Accessctl::new().args(&["validate", &path]).run();
    let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &path]).status(1).run();
    let stderr = unwrapped(&planned.stderr);
    assert!(
        stderr.contains(
            "guardrail `no-system-masters`: aws-auth maps arn:aws:iam::111122223333:user/sandbox-admin into \
             system:masters"
        ),
        "{stderr}"
    );
    // Nothing the files declare breaks it: the guardrail itself is pointed at.
    assert!(planned.stderr.contains(&format!("{path}:2:5]")), "{}", planned.stderr);
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &path]).status(1).run();
    let entries = eks(&sb.url()).list_access_entries().cluster_name("demo").send().await;
    // CONFIG_MAP still: the mode step was not taken either.
    assert!(entries.is_err() || entries.unwrap().access_entries().is_empty(), "nothing was written");
    let described = eks(&sb.url()).describe_cluster().name("demo").send().await.unwrap();
    let mode =
        described.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str().to_string();
    assert_eq!(mode, "CONFIG_MAP");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_a_path_is_mapped_with_its_path_and_gets_in() {
    // The authenticator compares a user's ARN as STS reports it, path included (a role's path it
    // never sees): `user/ops/carol` must be written so, or the mapping matches no one.
    const CAROL: &str = "arn:aws:iam::111122223333:user/ops/carol";
    let seed = format!(
        "users:\n  - {{arn: \"{CAROL}\", accessKeyId: AKIACAROL, secretAccessKey: LORACAIKA}}\n{}",
        ONE_API_CLUSTER
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let text = format!(
        r#"cluster "c" {{
    region "eu-west-1"
    aws-auth {{
        map-user "{CAROL}" username="carol" {{
            groups "readers"
        }}
    }}
    group-binding "readers" cluster-role="view"
    expect "{CAROL}" can="list pods" namespace="default"
}}
"#
    );
    let path = temp_file("user-path", &text);
    Accessctl::new().args(&["validate", &path]).run();
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &path]).run();
    let aws_auth = aws_auth_of(&sb, "c").await.expect("aws-auth was written");
    let users = aws_auth.data.unwrap_or_default().get("mapUsers").cloned().unwrap_or_default();
    assert!(users.contains(CAROL), "written with its path: {users}");
    let (endpoint, ca) = endpoint_of(&sb, "c").await;
    let creds = Credentials::new("AKIACAROL", "LORACAIKA", None, None, "test");
    let status = call(&endpoint, &ca, creds, "GET", "/api/v1/namespaces/default/pods").await;
    assert_eq!(status, 200, "carol lists pods with her own keys");
}

#[test]
fn what_the_files_alone_cannot_tell_is_a_warning_never_a_pass() {
    // A permission set's role differs in every account: from the files alone, whether it may is
    // unknown (plan reads IAM), for the test and for the guardrail alike.
    let text = r#"principal "admins" permission-set="AdministratorAccess"
guardrails {
    cluster-admins "arn:aws:iam::111122223333:role/platform"
}
cluster "c" {
    region "eu-west-1"
    account "111122223333"
    authentication-mode "API"
    access-entry "admins" {
        policy "AmazonEKSClusterAdminPolicy"
    }
    expect "admins" cannot="delete nodes"
    expect "dev" cannot="gett secrets" namespace="payments"
    expect "dev" cannot="get secrest" namespace="payments"
}
principal "dev" "arn:aws:iam::111122223333:role/dev"
"#;
    let run = Accessctl::new().args(&["validate", &temp_file("files-cannot-tell", text)]).run();
    let stderr = unwrapped(&run.stderr);
    assert!(stderr.contains("accessctl::expect::unknown"), "{stderr}");
    assert!(stderr.contains("expect admins cannot delete nodes cannot be proven"), "{stderr}");
    assert!(stderr.contains("accessctl::guardrail::unchecked"), "{stderr}");
    assert!(stderr.contains("`gett` is not a verb of the Kubernetes API"), "{stderr}");
    assert!(stderr.contains("did you mean `secrets`?"), "{stderr}");
    assert!(run.stdout.contains("4 warning(s)"), "{}", run.stdout);
    // can-i says unknown for the set's real role, never no.
    Accessctl::new()
        .args(&["can-i", "delete", "nodes", "--offline", "-f", &temp_file("files-cannot-tell-2", text), "--as"])
        .arg("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b")
        .status(5)
        .stdout_has("may be the role of the IAM Identity Center permission set `AdministratorAccess`")
        .run();
}

#[test]
fn a_plan_that_cannot_be_made_is_still_reported_for_code_scanning() {
    let path = temp_file("sarif-bad", "cluster \"c\" {\n    regoin \"eu-west-1\"\n}\n");
    let run = Accessctl::new().args(&["plan", "--sandbox", "-f", &path, "--output", "sarif"]).status(1).run();
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF even so");
    let rules: Vec<&str> =
        log["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert!(rules.contains(&"accessctl::config::unknown_node"), "{rules:?}");
    // A cluster that cannot be read, in a pull-request comment.
    let path = temp_file("markdown-unreadable", "cluster \"ghost\" {\n    region \"eu-west-1\"\n}\n");
    Accessctl::new()
        .args(&["plan", "--sandbox", "-f", &path, "--output", "markdown"])
        .status(1)
        .stdout_has("### accessctl plan: 1 error(s)")
        .stdout_has("No cluster found for name: ghost")
        .run();
}

#[test]
fn what_apply_would_fail_on_is_refused_by_validate() {
    for (body, message) in [
        (
            r#"    role "r" namespace="Pay_ments" { rule { api-groups ""; resources "pods"; verbs "get"; }; }"#,
            "\"Pay_ments\" cannot be a namespace",
        ),
        (r#"    group-binding "g" cluster-role="view" namespace="Team_A""#, "cannot be a namespace"),
        (
            "    access-entry \"arn:aws:iam::111122223333:role/x\" {\n        policy \"AmazonEKSViewPolicy\" {\n            namespaces \"=ns\"\n        }\n    }",
            "\"=ns\" cannot be a namespace",
        ),
        (r#"    expect "dev" can="get pods" namespace="app" name="..""#, "\"..\" cannot be an object's name"),
        (
            "    access-entry \"arn:aws:iam::111122223333:role/x\" {\n        groups \"a:b\" \"a\"\n    }\n    group-binding \"a:b\" cluster-role=\"c\"\n    group-binding \"a\" cluster-role=\"b:c\"",
            "the bindings a:b → ClusterRole c and a → ClusterRole b:c would be one RBAC binding, `accessctl:a:b:c`",
        ),
    ] {
        let run = Accessctl::new().args(&["validate", &temp_file("apply-would-fail", &file(body))]).status(1).run();
        assert!(unwrapped(&run.stderr).contains(message), "{body}: {}", run.stderr);
    }
}

#[test]
fn requests_nobody_makes_are_warned_of_and_those_people_make_are_not() {
    let body = r#"    expect "dev" cannot="create /healthz"
    expect "dev" can="post /healthz"
    expect "dev" cannot="impersonate users"
    expect "dev" cannot="get pods/logs" namespace="payments"
    expect "dev" cannot="delete deployments.v1.apps" namespace="payments""#;
    let run = Accessctl::new().args(&["validate", &temp_file("unusual", &file(body))]).status(1).run();
    let stderr = unwrapped(&run.stderr);
    assert!(stderr.contains("no request for `/healthz` carries `create`"), "{stderr}");
    assert!(!stderr.contains("carries `post`"), "{stderr}");
    assert!(!stderr.contains("`users` is not a resource"), "{stderr}");
    assert!(stderr.contains("`logs` is not a subresource Kubernetes has"), "{stderr}");
    assert!(stderr.contains("did you mean `log`?"), "{stderr}");
    // RESOURCE.VERSION.GROUP is the apps deployments dev may delete in payments.
    assert!(stderr.contains("expect dev cannot delete deployments.v1.apps in namespace payments fails"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_creators_entry_made_by_the_mode_step_is_foretold_then_checked() {
    // The default world's `demo` leaves CONFIG_MAP: EKS makes an access entry with cluster-admin
    // rights for the creator, whom it does not name beforehand.
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, Faults::default()).await;
    let quick_start = "examples/quick-start.kdl";
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", quick_start])
        .stdout_has(
            "this plan's step from CONFIG_MAP makes EKS create an access entry with AmazonEKSClusterAdminPolicy",
        )
        .run();
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "--auto-approve", "--allow", "one-way-mode", "-f", quick_start])
        .run();
    // The quick start names the creator in `cluster-admins`: the next plan has nothing to say.
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", quick_start])
        .stdout_has("No changes.")
        .stdout_lacks("guardrail")
        .run();
    // Without it, the entry EKS made breaks the guardrail, and says whose it is.
    let text = std::fs::read_to_string(quick_start)
        .unwrap()
        .replace(" \"arn:aws:iam::111122223333:role/ci-cluster-creator\"", "");
    let path = temp_file("creator-unnamed", &text);
    let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &path]).status(1).run();
    assert!(
        unwrapped(&planned.stderr).contains(
            "guardrail `cluster-admins`: arn:aws:iam::111122223333:role/ci-cluster-creator is a cluster admin"
        ),
        "{}",
        planned.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_can_foretells_whom_apply_lets_in_and_after_apply_they_are_in() {
    // The default world, with keys for bob.
    let seed = format!(
        "users:\n  - {{arn: \"arn:aws:iam::111122223333:user/bob\", accessKeyId: AKIABOB, secretAccessKey: bob-secret}}\n{}",
        accessctl_sandbox::seed::DEFAULT_SEED
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let who = |sb: &Sandbox| {
        let run = Accessctl::new()
            .sandbox(sb)
            .args(&["who-can", "list", "pods", "-n", "default", "--output", "json", "-f", "examples/quick-start.kdl"])
            .run();
        let answers: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        answers[0].clone()
    };
    let arns = |answer: &serde_json::Value| -> Vec<String> {
        answer["principals"].as_array().unwrap().iter().map(|p| p["arn"].as_str().unwrap().to_string()).collect()
    };
    let before = who(&sb);
    assert!(!arns(&before).iter().any(|a| a.ends_with("user/bob")), "{before:#}");
    assert_eq!(
        before["after_apply"]["gains"],
        serde_json::json!([
            "arn:aws:iam::111122223333:role/platform-admin (platform-admin)",
            "arn:aws:iam::111122223333:user/bob"
        ])
    );
    let (endpoint, ca) = endpoint_of(&sb, "demo").await;
    let bob = Credentials::new("AKIABOB", "bob-secret", None, None, "test");
    let list = "/api/v1/namespaces/default/pods";
    assert_eq!(call_cluster("demo", &endpoint, &ca, bob.clone(), "GET", list).await, 403, "not yet");
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "--auto-approve", "--allow", "one-way-mode", "-f", "examples/quick-start.kdl"])
        .run();
    let after = who(&sb);
    let now = arns(&after);
    assert!(now.contains(&"arn:aws:iam::111122223333:user/bob".to_string()), "{after:#}");
    assert!(now.contains(&"arn:aws:iam::111122223333:role/platform-admin".to_string()), "{after:#}");
    assert!(after.get("after_apply").is_none(), "nothing left to change: {after:#}");
    // What who-can now lists is what the cluster enforces: bob's own request.
    assert_eq!(call_cluster("demo", &endpoint, &ca, bob, "GET", list).await, 200);
}
