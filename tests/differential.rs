//! What explain says equals what the sandbox decides. For generated clusters (mode, access
//! entries with policies and scopes, aws-auth mappings with paths, case changes and templates,
//! mapAccounts, RBAC bindings including one to a role that does not exist) and a fixed set of
//! principals (IAM users with and without a path, role sessions, an IAM Identity Center role, a
//! cross-account user), each request is:
//! - predicted by `explain` over the state accessctl reads live (EKS, aws-auth, RBAC), and
//! - made for real: a token minted with the principal's own credentials (a session comes from the
//!   sandbox's STS AssumeRole), sent to the cluster's Kubernetes endpoint.
//!
//! The prediction is built from the test's own table of attributes, never from the HTTP path the
//! sandbox parses, so a wrong request-to-attributes step shows up as a disagreement. Node
//! identities are left out: their permissions come from Kubernetes' Node authorizer, which the
//! model does not hold.

mod common;

use std::fmt::Write;

use accessctl::access::Request;
use accessctl::explain::{Caller, explain};
use accessctl::live::access::from_live;
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use accessctl::model::PrincipalArn;
use aws_credential_types::Credentials;
use common::*;

const ACCOUNT: &str = "111122223333";
const NAMESPACES: &[&str] = &["app", "dev-a", "prod"];

/// A principal the test calls as.
struct Principal {
    /// The IAM ARN an entry or mapping names (a role with its path).
    iam: String,
    /// For roles: the session name to assume it with.
    session: Option<&'static str>,
    /// For users: their access key (the secret is the key reversed).
    key: Option<String>,
}

fn principals() -> Vec<Principal> {
    let user = |path: &str, name: &str, account: &str| Principal {
        iam: format!("arn:aws:iam::{account}:user/{path}{name}"),
        session: None,
        key: Some(format!("AKIA{}", name.to_uppercase())),
    };
    let role = |path: &str, name: &str, session| Principal {
        iam: format!("arn:aws:iam::{ACCOUNT}:role/{path}{name}"),
        session: Some(session),
        key: None,
    };
    vec![
        user("", "alice", ACCOUNT),
        user("ops/", "bob", ACCOUNT),
        user("", "carol", ACCOUNT),
        user("", "visitor", "444455556666"),
        role("", "deployer", "ci-run-7"),
        role("teams/payments/", "developer", "dana@example.com"),
        role("aws-reserved/sso.amazonaws.com/eu-west-1/", "AWSReservedSSO_Admin_0a1b2c", "erin@example.com"),
    ]
}

/// The requests made, with the attributes explain is asked about and the words `can-i` is asked
/// with (both written independently of the HTTP path).
fn requests() -> Vec<(&'static str, &'static str, Request, &'static [&'static str])> {
    vec![
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            Request::resource("list", "", "pods", Some("default")),
            &["list", "pods", "-n", "default"],
        ),
        (
            "GET",
            "/api/v1/namespaces/app/pods",
            Request::resource("list", "", "pods", Some("app")),
            &["list", "pods", "-n", "app"],
        ),
        (
            "GET",
            "/api/v1/namespaces/dev-a/pods",
            Request::resource("list", "", "pods", Some("dev-a")),
            &["list", "pods", "-n", "dev-a"],
        ),
        ("GET", "/api/v1/pods", Request::resource("list", "", "pods", None), &["list", "pods"]),
        (
            "GET",
            "/api/v1/namespaces/app/secrets",
            Request::resource("list", "", "secrets", Some("app")),
            &["list", "secrets", "-n", "app"],
        ),
        ("GET", "/api/v1/namespaces", Request::resource("list", "", "namespaces", None), &["list", "namespaces"]),
        ("GET", "/api/v1/nodes", Request::resource("list", "", "nodes", None), &["list", "nodes"]),
        (
            "POST",
            "/apis/apps/v1/namespaces/app/deployments",
            Request::resource("create", "apps", "deployments", Some("app")),
            &["create", "deployments.apps", "-n", "app"],
        ),
        (
            "GET",
            "/api/v1/namespaces/kube-system/configmaps/aws-auth",
            Request::resource("get", "", "configmaps", Some("kube-system")).named("aws-auth"),
            &["get", "configmaps", "-n", "kube-system", "--name", "aws-auth"],
        ),
        (
            "DELETE",
            "/apis/rbac.authorization.k8s.io/v1/namespaces/app/rolebindings/nothing",
            Request::resource("delete", "rbac.authorization.k8s.io", "rolebindings", Some("app")).named("nothing"),
            &["delete", "rolebindings.rbac.authorization.k8s.io", "-n", "app", "--name", "nothing"],
        ),
        (
            "GET",
            "/api/v1/namespaces/app/pods/web/log",
            Request::resource("get", "", "pods/log", Some("app")).named("web"),
            &["get", "pods/log", "-n", "app", "--name", "web"],
        ),
    ]
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn subset<T: Clone>(rng: &mut fastrand::Rng, items: &[T]) -> Vec<T> {
    items.iter().filter(|_| rng.bool()).cloned().collect()
}

/// A generated seed for cluster `c`.
fn generate(rng: &mut fastrand::Rng, principals: &[Principal]) -> String {
    let mode = *pick(rng, &["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]);
    let mut seed = String::from("users:\n");
    for p in principals {
        if let Some(key) = &p.key {
            let secret: String = key.chars().rev().collect();
            let _ = writeln!(seed, "  - {{arn: \"{}\", accessKeyId: {key}, secretAccessKey: {secret}}}", p.iam);
        }
    }
    let _ =
        write!(seed, "clusters:\n  - name: c\n    authenticationMode: {mode}\n    namespaces: [app, dev-a, prod]\n");
    let groups = ["viewers", "editors", "nobody", "ghosts"];
    let mut entries = String::new();
    let (mut roles, mut users) = (String::new(), String::new());
    for p in principals {
        if mode != "CONFIG_MAP" && rng.bool() {
            let _ = writeln!(entries, "      - principalArn: \"{}\"", p.iam);
            match rng.u8(..3) {
                0 => {}
                1 => entries.push_str("        username: \"u:{{SessionName}}\"\n"),
                _ => entries.push_str("        username: fixed-name\n"),
            }
            let _ = writeln!(entries, "        kubernetesGroups: {:?}", subset(rng, &groups));
            entries.push_str("        policies:\n");
            let policies = [
                "AmazonEKSViewPolicy",
                "AmazonEKSEditPolicy",
                "AmazonEKSAdminPolicy",
                "AmazonEKSAdminViewPolicy",
                "AmazonEKSClusterAdminPolicy",
            ];
            for policy in subset(rng, &policies).into_iter().take(2) {
                let scope = pick(rng, &["[]", "[app]", "[\"dev-*\"]", "[default, app]"]);
                let _ = writeln!(entries, "          {policy}: {scope}");
            }
        }
        if mode != "API" && rng.bool() {
            let mut arn = p.iam.clone();
            if p.session.is_some() && rng.bool() {
                // aws-auth never matches a role's path: write it without, half of the time.
                let (head, name) = arn.rsplit_once('/').unwrap();
                let head = head.split(":role/").next().unwrap();
                arn = format!("{head}:role/{name}");
            }
            if rng.u8(..4) == 0 {
                arn = arn.to_uppercase().replace("ARN:AWS:IAM::", "arn:aws:iam::");
            }
            let username = pick(rng, &["\"m:{{SessionName}}\"", "plain", "\"{{AccountID}}-{{SessionNameRaw}}\""]);
            let mut g = subset(rng, &groups);
            if rng.u8(..6) == 0 {
                g.push("system:masters");
            }
            let item = format!(
                "        - {}: \"{arn}\"\n          username: {username}\n          groups: {g:?}\n",
                if p.session.is_some() { "rolearn" } else { "userarn" }
            );
            if p.session.is_some() { roles.push_str(&item) } else { users.push_str(&item) }
        }
    }
    if !entries.is_empty() {
        seed.push_str("    accessEntries:\n");
        seed.push_str(&entries);
    }
    let accounts = rng.u8(..4) == 0;
    if !roles.is_empty() || !users.is_empty() || accounts {
        // The sandbox's own identity keeps its admin mapping, as the default seed has it.
        let _ = write!(
            seed,
            "    awsAuth:\n      mapRoles: |\n{roles}        - rolearn: arn:aws:iam::{ACCOUNT}:role/unused\n          groups: [nobody]\n      mapUsers: |\n{users}        - userarn: arn:aws:iam::{ACCOUNT}:user/sandbox-admin\n          username: sandbox-admin\n          groups: [system:masters]\n"
        );
        if accounts {
            seed.push_str("      mapAccounts: |\n        - \"444455556666\"\n");
        }
    }
    seed
}

/// Bindings made with the production Kubernetes client as the cluster's admin.
async fn bind(sb: &Sandbox, rng: &mut fastrand::Rng) {
    use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
    let client = kube_of(sb, "c").await;
    let crb: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "viewers"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "viewers", "apiGroup": "rbac.authorization.k8s.io"}]}))
    .unwrap();
    let api = kube::Api::<ClusterRoleBinding>::all(client.clone());
    api.create(&Default::default(), &crb).await.unwrap();
    let ns = *pick(rng, NAMESPACES);
    let rb: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "editors", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "Group", "name": "editors", "apiGroup": "rbac.authorization.k8s.io"},
                     {"kind": "User", "name": "fixed-name", "apiGroup": "rbac.authorization.k8s.io"}]}))
    .unwrap();
    kube::Api::<RoleBinding>::namespaced(client.clone(), ns).create(&Default::default(), &rb).await.unwrap();
    let ghost: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "ghosts"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "does-not-exist"},
        "subjects": [{"kind": "Group", "name": "ghosts", "apiGroup": "rbac.authorization.k8s.io"}]}))
    .unwrap();
    api.create(&Default::default(), &ghost).await.unwrap();
}

/// The principal's credentials: a user's keys, or a session from the sandbox's STS.
async fn credentials(sb: &Sandbox, p: &Principal) -> (Credentials, String) {
    if let Some(key) = &p.key {
        let secret: String = key.chars().rev().collect();
        return (Credentials::new(key, secret, None, None, "test"), p.iam.clone());
    }
    let (key, secret, token) = assume(sb, &p.iam, p.session.unwrap()).await;
    let role = PrincipalArn::parse(&p.iam).unwrap();
    let arn = format!("arn:aws:sts::{}:assumed-role/{}/{}", role.account, role.name, p.session.unwrap());
    (Credentials::new(key, secret, Some(token), None, "sts"), arn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_agrees_with_the_sandbox_on_generated_clusters() {
    let principals = principals();
    let requests = requests();
    let (mut cases, mut allowed, mut forbidden, mut unauthorized) = (0, 0, 0, 0);
    let mut disagreements = vec![];
    for round in 0..24u64 {
        let mut rng = fastrand::Rng::with_seed(round);
        let seed = generate(&mut rng, &principals);
        let sb = sandbox(&seed, Faults::default()).await;
        bind(&sb, &mut rng).await;
        let cluster = common_cluster();
        let (live, _) = read_cluster(&cluster, &Endpoints::sandbox(sb.url())).await.unwrap();
        let state = from_live(&live);
        let (endpoint, ca) = (live.endpoint.clone().unwrap(), live.ca.clone().unwrap());
        for p in &principals {
            let (creds, sts_arn) = credentials(&sb, p).await;
            let caller = Caller::parse(&sts_arn).unwrap();
            for (method, path, request, _) in &requests {
                let said = explain(&state, &caller, Some(request)).request.unwrap();
                let got = call(&endpoint, &ca, creds.clone(), method, path).await;
                cases += 1;
                let decided = match got {
                    401 => "unauthorized",
                    403 => "forbidden",
                    _ => "allowed",
                };
                match decided {
                    "allowed" => allowed += 1,
                    "forbidden" => forbidden += 1,
                    _ => unauthorized += 1,
                }
                if said.outcome != decided {
                    disagreements.push(format!(
                        "round {round}, {sts_arn}, {method} {path}: explain says {} ({:?}), the sandbox answered {got}\nseed:\n{seed}",
                        said.outcome, said.message
                    ));
                }
            }
        }
        sb.stop().await;
    }
    println!(
        "{cases} requests: {allowed} allowed, {forbidden} forbidden, {unauthorized} unauthorized; {} disagreements",
        disagreements.len()
    );
    assert!(allowed > 0 && forbidden > 0 && unauthorized > 0, "the generator must reach every outcome");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}

fn common_cluster() -> accessctl::model::Cluster {
    let files = [accessctl::config::SourceFile::new("t.kdl", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n")];
    accessctl::config::load(&files).config.unwrap().clusters.remove(0)
}

/// `can-i`, run as a user runs it (the binary, live against the sandbox, as its administrator),
/// answers what the cluster does when the principal makes the request with its own credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_i_agrees_with_the_sandbox_on_generated_clusters() {
    let principals = principals();
    let requests = requests();
    let file = temp_file("can-i", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    let (mut cases, mut yes, mut no) = (0, 0, 0);
    let mut disagreements = vec![];
    for round in 100..104u64 {
        let mut rng = fastrand::Rng::with_seed(round);
        let seed = generate(&mut rng, &principals);
        let sb = sandbox(&seed, Faults::default()).await;
        bind(&sb, &mut rng).await;
        let (live, _) = read_cluster(&common_cluster(), &Endpoints::sandbox(sb.url())).await.unwrap();
        let (endpoint, ca) = (live.endpoint.clone().unwrap(), live.ca.clone().unwrap());
        for p in &principals {
            let (creds, sts_arn) = credentials(&sb, p).await;
            // Three of the requests for each principal, a different three each round.
            for _ in 0..3 {
                let (method, path, _, words) = pick(&mut rng, &requests);
                let got = call(&endpoint, &ca, creds.clone(), method, path).await;
                let expected = if got == 401 || got == 403 { "no" } else { "yes" };
                let run = Accessctl::new()
                    .sandbox(&sb)
                    .arg("can-i")
                    .args(words)
                    .args(&["--as", &sts_arn, "--cluster", "c", "--output", "json", "-f"])
                    .arg(&file)
                    .status_in(&[0, 3])
                    .run();
                let answers: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                let said = answers[0]["answer"].as_str().unwrap_or_default().to_string();
                let code_says = if run.code == 0 { "yes" } else { "no" };
                cases += 1;
                if expected == "yes" {
                    yes += 1
                } else {
                    no += 1
                }
                if said != expected || code_says != expected {
                    disagreements.push(format!(
                        "round {round}, {sts_arn}, {method} {path}: can-i says {said} (exit {}), the sandbox answered {got}\n{}\nseed:\n{seed}",
                        run.code, run.stdout
                    ));
                }
            }
        }
        sb.stop().await;
    }
    println!("{cases} can-i questions: {yes} yes, {no} no; {} disagreements", disagreements.len());
    assert!(yes > 0 && no > 0, "the generator must reach both answers");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}

/// `who-can`, run as a user runs it (the binary, live), lists exactly those of the test's
/// principals the cluster lets make the request with their own credentials. (Where `mapAccounts`
/// lets any principal of an account in, `who-can` lists one stand-in for the account; the
/// principal of that account is then left out of the comparison.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_can_lists_exactly_the_principals_the_sandbox_lets_through() {
    let principals = principals();
    let requests = requests();
    let file = temp_file("who-can", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    let (mut cases, mut listed_count) = (0, 0);
    let mut disagreements = vec![];
    for round in 200..212u64 {
        let mut rng = fastrand::Rng::with_seed(round);
        let seed = generate(&mut rng, &principals);
        let sb = sandbox(&seed, Faults::default()).await;
        bind(&sb, &mut rng).await;
        let (live, _) = read_cluster(&common_cluster(), &Endpoints::sandbox(sb.url())).await.unwrap();
        let (endpoint, ca) = (live.endpoint.clone().unwrap(), live.ca.clone().unwrap());
        let mut creds = vec![];
        for p in &principals {
            creds.push(credentials(&sb, p).await.0);
        }
        for _ in 0..3 {
            let (method, path, _, words) = pick(&mut rng, &requests);
            let run = Accessctl::new()
                .sandbox(&sb)
                .arg("who-can")
                .args(words)
                .args(&["--cluster", "c", "--output", "json", "-f"])
                .arg(&file)
                .run();
            let answers: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            let listed: Vec<&serde_json::Value> = answers[0]["principals"].as_array().unwrap().iter().collect();
            let identity = |arn: &str| PrincipalArn::parse(arn).unwrap().identity_key();
            let stand_in_accounts: Vec<&str> = listed.iter().filter_map(|p| p["any_of_account"].as_str()).collect();
            for (p, creds) in principals.iter().zip(&creds) {
                let arn = PrincipalArn::parse(&p.iam).unwrap();
                if stand_in_accounts.contains(&arn.account.as_str()) {
                    continue;
                }
                let got = call(&endpoint, &ca, creds.clone(), method, path).await;
                let allowed = got != 401 && got != 403;
                let is_listed = listed.iter().any(|l| {
                    l["any_of_account"].is_null() && identity(l["arn"].as_str().unwrap()) == arn.identity_key()
                });
                cases += 1;
                listed_count += usize::from(is_listed);
                if allowed != is_listed {
                    disagreements.push(format!(
                        "round {round}, {}, {method} {path}: who-can {} it, the sandbox answered {got}\n{}\nseed:\n{seed}",
                        p.iam,
                        if is_listed { "lists" } else { "leaves out" },
                        run.stdout
                    ));
                }
            }
        }
        sb.stop().await;
    }
    println!("{cases} principal × request checks, {listed_count} listed; {} disagreements", disagreements.len());
    assert!(listed_count > 0 && listed_count < cases, "the generator must reach both answers");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}
