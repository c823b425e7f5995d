//! Conformance: aws-iam-authenticator's and eksctl's own test cases, converted to tables
//! (`tests/conformance/*.yaml`, each table naming its upstream file and commit), run against the
//! access model. Rows where accessctl differs on purpose are listed with the reason in
//! `tests/conformance/differences.yaml` and checked to differ; every other row must agree.
//!
//! The run prints, per table, the cases run, passed and differing on purpose.

use std::collections::BTreeMap;

use accessctl_core::access::{self, Authentication, Caller, ClusterAccess, Entry, Known, Lookups};
use accessctl_core::aws_auth::{AwsAuthData, MappingKind};
use accessctl_core::model::{AuthMode, EntryType, PrincipalArn};
use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Deserialize)]
struct File {
    tables: Vec<Table>,
}

#[derive(Deserialize)]
struct Table {
    source: String,
    kind: String,
    cases: Vec<Value>,
}

fn load(name: &str) -> File {
    let path = format!("{}/tests/conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => vec![],
    }
}

fn data(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str().unwrap_or_default().to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The EC2 of a test: what the upstream test's fake EC2 provider answers.
struct FakeEc2(Option<String>);

impl Lookups for FakeEc2 {
    fn ec2_private_dns_name(&self, _: &str) -> Option<String> {
        self.0.clone()
    }
}

/// A row (by name) that differs on purpose, or a kind of table that is not run here, and why.
#[derive(Deserialize)]
struct Difference {
    file: String,
    #[serde(default)]
    names: Vec<String>,
    /// A kind of table not run against accessctl.
    #[serde(default)]
    not_run: Option<String>,
    reason: String,
}

/// Kind of table → why it is not run, for one fixture file.
fn not_run_reasons(file: &str) -> BTreeMap<String, String> {
    let path = format!("{}/tests/conformance/differences.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Vec<Difference> = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    all.into_iter().filter(|d| d.file == file).filter_map(|d| Some((d.not_run?, d.reason))).collect()
}

/// Case name → why accessctl differs on purpose, for one fixture file.
fn differences(file: &str) -> BTreeMap<String, String> {
    let path = format!("{}/tests/conformance/differences.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Vec<Difference> = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    all.into_iter()
        .filter(|d| d.file == file)
        .flat_map(|d| d.names.into_iter().map(move |n| (n, d.reason.clone())))
        .collect()
}

#[derive(Default)]
struct Count {
    differs: BTreeMap<String, String>,
    run: usize,
    not_run: usize,
    passed: usize,
    differing: usize,
    failures: Vec<String>,
}

impl Count {
    /// Records a case: `got` and `want` must agree, unless the row says accessctl differs.
    fn check(&mut self, case: &Value, got: String, want: String) {
        self.run += 1;
        let name = s(case, "name").unwrap_or_default();
        match self.differs.get(&name).cloned() {
            Some(why) if got != want => {
                self.differing += 1;
                println!("    differs on purpose: {name}: {why}");
            }
            Some(_) => self.failures.push(format!("{name}: marked `differs` but agrees ({got})")),
            None if got == want => self.passed += 1,
            None => self.failures.push(format!("{name}:\n      accessctl: {got}\n      upstream:  {want}")),
        }
    }
}

fn run_table(table: &Table, count: &mut Count) -> bool {
    match table.kind.as_str() {
        "canonicalize" | "role-arn-normalise" => {
            for c in &table.cases {
                let arn = s(c, "arn").unwrap_or_default();
                let want = match (s(c, "canonical").or_else(|| s(c, "normalised")), c.get("error")) {
                    (Some(canonical), _) => canonical,
                    (None, Some(_)) => "error".to_string(),
                    (None, None) => continue,
                };
                let got = Caller::parse(&arn).map(|c| c.canonical).unwrap_or_else(|_| "error".into());
                count.check(c, got, want);
            }
            true
        }
        "strip-path" => {
            for c in &table.cases {
                let arn = s(c, "arn").unwrap_or_default();
                let want = s(c, "stripped").unwrap_or_else(|| "error".into());
                count.check(c, access::caller::strip_path(&arn).unwrap_or_else(|| "error".into()), want);
            }
            true
        }
        "aws-auth-parse" => {
            for c in &table.cases {
                let want = if c.get("error").is_some_and(|e| e.as_bool() == Some(true)) {
                    "error".to_string()
                } else {
                    let items = |key: &str, arn: &str| -> Vec<String> {
                        match c.get(key) {
                            Some(Value::Sequence(items)) => items
                                .iter()
                                .map(|i| {
                                    format!(
                                        "{}|{}|{}",
                                        s(i, arn).unwrap_or_default(),
                                        s(i, "username").unwrap_or_default(),
                                        strings(i.get("groups")).join(",")
                                    )
                                })
                                .collect(),
                            _ => vec![],
                        }
                    };
                    format!(
                        "{:?} {:?} {:?}",
                        items("roles", "rolearn"),
                        items("users", "userarn"),
                        strings(c.get("accounts"))
                    )
                };
                let got = match AwsAuthData::parse(&data(c.get("data"))) {
                    Err(_) => "error".to_string(),
                    Ok(d) => {
                        let items = |kind: MappingKind| -> Vec<String> {
                            d.mappings
                                .iter()
                                .filter(|m| m.kind == kind)
                                .map(|m| {
                                    format!(
                                        "{}|{}|{}",
                                        m.arn,
                                        m.username.clone().unwrap_or_default(),
                                        m.groups.join(",")
                                    )
                                })
                                .collect()
                        };
                        format!("{:?} {:?} {:?}", items(MappingKind::Role), items(MappingKind::User), d.accounts)
                    }
                };
                count.check(c, got, want);
            }
            true
        }
        "migrate" => {
            for c in &table.cases {
                let expect = c.get("expect").cloned().unwrap_or(Value::Null);
                if expect.get("error").is_some() {
                    // eksctl's command validation and its IAM/EKS error handling, not the migration
                    // rules (accessctl's own are tested in tests/migrate.rs).
                    count.not_run += 1;
                    continue;
                }
                let mut want: Vec<String> = match expect.get("entries") {
                    Some(Value::Sequence(entries)) => entries
                        .iter()
                        .map(|e| {
                            // eksctl's only policy is AmazonEKSClusterAdminPolicy for system:masters.
                            let admin = matches!(e.get("policies"), Some(Value::Sequence(v)) if !v.is_empty());
                            let mut groups = strings(e.get("groups"));
                            groups.sort();
                            format!(
                                "entry {} {} {} {:?} admin={admin}",
                                s(e, "principal").unwrap_or_default(),
                                s(e, "type").unwrap_or_default(),
                                s(e, "username").unwrap_or_default(),
                                groups
                            )
                        })
                        .collect(),
                    _ => vec![],
                };
                if let Some(Value::Sequence(skipped)) = expect.get("skipped") {
                    for k in skipped {
                        let who =
                            s(k, "arn").or_else(|| s(k, "account").map(|a| format!("account {a}"))).unwrap_or_default();
                        want.push(format!("skipped {who} {}", s(k, "reason").unwrap_or_default()));
                    }
                }
                want.sort();
                count.check(c, migrate_case(c), want.join("\n"));
            }
            true
        }
        "token-format" => {
            let now = std::time::SystemTime::now();
            let stamp = {
                let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                amz_date(secs)
            };
            for c in &table.cases {
                let token = match (s(c, "token"), s(c, "url"), s(c, "token_length")) {
                    (Some(t), _, _) => t,
                    (None, Some(url), _) => {
                        use base64::Engine;
                        let url = url.replace("{{NOW}}", &stamp);
                        format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url))
                    }
                    (None, None, Some(n)) => "\0".repeat(n.parse().unwrap_or(0)),
                    _ => continue,
                };
                let partition = s(c, "partition").unwrap_or_else(|| "aws".into());
                let region = s(c, "region");
                let got = access::token::parse(&token, &partition, region.as_deref(), now).is_ok();
                let want = s(c, "valid_format").is_some_and(|v| v.eq_ignore_ascii_case("true"));
                count.check(c, format!("valid format: {got}"), format!("valid format: {want}"));
            }
            true
        }
        "arn-type" => {
            for c in &table.cases {
                let arn = s(c, "arn").unwrap_or_default();
                let kind = Caller::parse(&arn).map(|c| c.kind);
                let got = format!(
                    "user={} role={}",
                    kind == Ok(access::CallerKind::User),
                    kind == Ok(access::CallerKind::Role)
                );
                let want = format!(
                    "user={} role={}",
                    s(c, "is_user").unwrap_or_default().eq_ignore_ascii_case("true"),
                    s(c, "is_role").unwrap_or_default().eq_ignore_ascii_case("true")
                );
                count.check(c, got, want);
            }
            true
        }
        "identity-compare" => {
            let mapping = |v: Option<&Value>| {
                let v = v.cloned().unwrap_or(Value::Null);
                let kind = if s(&v, "kind").as_deref() == Some("user") { MappingKind::User } else { MappingKind::Role };
                accessctl_core::aws_auth::Mapping::new(
                    kind,
                    s(&v, "arn").unwrap_or_default(),
                    s(&v, "username"),
                    strings(v.get("groups")),
                )
            };
            for c in &table.cases {
                let got = mapping(c.get("a")).same_as(&mapping(c.get("b")));
                let want = s(c, "equal").unwrap_or_default().eq_ignore_ascii_case("true");
                count.check(c, format!("same: {got}"), format!("same: {want}"));
            }
            true
        }
        "aws-auth-identities" => {
            for c in &table.cases {
                let got = match AwsAuthData::parse(&data(c.get("data"))) {
                    Err(e) => format!("error: {e}"),
                    Ok(d) => {
                        let mut out: Vec<String> = d
                            .mappings
                            .iter()
                            .map(|m| format!("{:?} {} {}", m.kind, m.arn, m.username.clone().unwrap_or_default()))
                            .collect();
                        out.extend(d.accounts.iter().map(|a| format!("account {a}")));
                        out.join("; ")
                    }
                };
                let want = match c.get("identities") {
                    Some(Value::Sequence(ids)) => ids
                        .iter()
                        .map(|i| match s(i, "kind").as_deref() {
                            Some("account") => format!("account {}", s(i, "account").unwrap_or_default()),
                            Some(k) => format!(
                                "{} {} {}",
                                if k == "user" { "User" } else { "Role" },
                                s(i, "arn").unwrap_or_default(),
                                s(i, "username").unwrap_or_default()
                            ),
                            None => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => continue,
                };
                count.check(c, got, want);
            }
            true
        }
        "authenticate" => {
            for c in &table.cases {
                let got = authenticate_case(c);
                let want = match c.get("expect") {
                    Some(Value::String(s)) if s == "unauthorized" => "unauthorized".to_string(),
                    Some(e) => {
                        let mut groups = strings(e.get("groups"));
                        groups.sort();
                        format!("{} {:?}", s(e, "username").unwrap_or_default(), groups)
                    }
                    None => continue,
                };
                count.check(c, got, want);
            }
            true
        }
        _ => false,
    }
}

/// The role paths eksctl's fake IAM answers (looked up by the role's name).
struct FakeIam(Vec<PrincipalArn>);

impl accessctl_core::migration::RolePaths for FakeIam {
    fn full_arn(&self, role: &PrincipalArn) -> accessctl_core::migration::RolePath {
        match self.0.iter().find(|r| r.name == role.name && r.account == role.account) {
            Some(r) => accessctl_core::migration::RolePath::Found(r.clone()),
            None => accessctl_core::migration::RolePath::NotFound,
        }
    }
}

fn migrate_case(c: &Value) -> String {
    use accessctl_core::migration::{Outcome, Refusal, propose};
    let data = match AwsAuthData::parse(&data(c.get("aws_auth"))) {
        Ok(d) => d,
        Err(e) => return format!("aws-auth does not parse: {e}"),
    };
    let arns = |key: &str| -> Vec<PrincipalArn> {
        strings(c.get(key)).iter().filter_map(|a| PrincipalArn::parse(a).ok()).collect()
    };
    let iam = FakeIam(arns("iam_roles"));
    let mut got: Vec<String> = propose(&data, &arns("existing_access_entries"), None, &iam)
        .into_iter()
        .filter_map(|p| match p.outcome {
            Outcome::Entry { principal, entry_type, username, mut groups, admin } => {
                groups.sort();
                Some(format!(
                    "entry {principal} {} {} {groups:?} admin={admin}",
                    entry_type.as_str(),
                    username.unwrap_or_default()
                ))
            }
            Outcome::Existing { .. } => Some(format!("skipped {} existing-access-entry", p.source)),
            Outcome::Refused { reason } => Some(format!(
                "skipped {} {}",
                p.source,
                match reason {
                    Refusal::ServiceLinkedRole => "service-linked-role",
                    Refusal::SystemGroups { .. } => "non-master-system-group",
                    Refusal::Account { .. } => "account-mapping",
                    Refusal::NotAnArn => "not-an-arn",
                    Refusal::RolePathUnknown => "role-path-unknown",
                    Refusal::RoleNotFound => "role-not-found",
                    Refusal::NodeOfAnotherAccount { .. } => "node-of-another-account",
                }
            )),
            Outcome::Nothing { .. } => None,
        })
        .collect();
    got.sort();
    got.join("\n")
}

fn authenticate_case(c: &Value) -> String {
    let mode = s(c, "mode").and_then(|m| AuthMode::parse(&m)).unwrap_or(AuthMode::ConfigMap);
    let mut cluster = ClusterAccess::empty("conformance", mode);
    if let Some(d) = c.get("aws_auth") {
        cluster.aws_auth = match AwsAuthData::parse(&data(Some(d))) {
            Ok(d) => Known::Known(Some(d)),
            Err(e) => return format!("aws-auth does not parse: {e}"),
        };
    }
    if let Some(Value::Sequence(entries)) = c.get("entries") {
        let mut typed = vec![];
        for e in entries {
            let principal = match PrincipalArn::parse(&s(e, "principal").unwrap_or_default()) {
                Ok(p) => p,
                Err(err) => return format!("entry principal: {err}"),
            };
            let entry_type = s(e, "type").and_then(|t| EntryType::parse(&t)).unwrap_or_default();
            typed.push(Entry::new(principal, entry_type, s(e, "username"), strings(e.get("groups")), vec![]));
        }
        cluster.entries = Known::Known(typed);
        if c.get("mode").is_none() {
            cluster.mode = AuthMode::Api;
        }
    }
    let caller = c.get("caller").cloned().unwrap_or(Value::Null);
    let Ok(parsed) = Caller::parse(&s(&caller, "arn").unwrap_or_default()) else { return "unauthorized".into() };
    let parsed = parsed.with_credentials(s(&caller, "access_key"), s(&caller, "user_id"));
    let ec2 = FakeEc2(s(&caller, "ec2_private_dns_name"));
    match access::authenticate(&cluster, &parsed, &ec2) {
        Authentication::Authenticated(i) => {
            let mut groups = i.groups;
            groups.sort();
            format!("{} {:?}", i.username, groups)
        }
        Authentication::Refused(_) => "unauthorized".into(),
        Authentication::Unknown { reason } => format!("unknown: {reason}"),
    }
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (civil from days, Howard Hinnant's algorithm).
fn amz_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn run(file: &str) {
    let mut failures = vec![];
    let (mut run, mut passed, mut differing) = (0, 0, 0);
    let differs = differences(file);
    let mut seen = std::collections::BTreeSet::new();
    for table in load(file).tables {
        seen.extend(table.cases.iter().filter_map(|c| s(c, "name")));
        let mut count = Count { differs: differs.clone(), ..Count::default() };
        if !run_table(&table, &mut count) {
            // A table not run says why; one without a reason fails the test.
            match not_run_reasons(file).get(&table.kind) {
                Some(why) => {
                    println!("  not run: {} ({} cases) — {}: {why}", table.kind, table.cases.len(), table.source)
                }
                None => failures.push(format!("[{}] not run, and differences.yaml gives no reason", table.kind)),
            }
            continue;
        }
        let not_run = if count.not_run > 0 { format!(" ({} not run here)", count.not_run) } else { String::new() };
        println!(
            "  {}: {} run, {} passed, {} differing on purpose{not_run} — {}",
            table.kind, count.run, count.passed, count.differing, table.source
        );
        run += count.run;
        passed += count.passed;
        differing += count.differing;
        failures.extend(count.failures.into_iter().map(|f| format!("[{}] {f}", table.kind)));
    }
    println!("{file}: {run} cases run, {passed} passed, {differing} differing on purpose, {} failed", failures.len());
    assert!(run > 0, "{file}: no case ran");
    for name in differs.keys() {
        assert!(seen.contains(name), "differences.yaml names `{name}`, which {file} does not have");
    }
    assert!(failures.is_empty(), "{} disagreements with upstream:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn aws_iam_authenticator_tables() {
    run("aws-iam-authenticator.yaml");
}

#[test]
fn eksctl_tables() {
    run("eksctl.yaml");
}
