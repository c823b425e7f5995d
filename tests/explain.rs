//! `explain` on each case behind "You must be logged in to the server (Unauthorized)" and "Your
//! current IAM principal doesn't have access to Kubernetes objects on this cluster": offline on
//! configuration alone, and online on live state in the sandbox (where aws-auth can hold what
//! validate would refuse, such as role paths).

mod common;

use accessctl::access::desired;
use accessctl::config::{self, SourceFile};
use accessctl::explain::{Caller, Explanation, Source, Verdict, explain};
use accessctl::live::access::from_live;
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use common::*;

fn offline(text: &str, principal: &str) -> Explanation {
    let cluster = config::load(&[SourceFile::new("t.kdl", text)]).config.expect("valid").clusters.remove(0);
    explain(&desired::from_config(&cluster), &Caller::parse(principal).unwrap(), None)
}

async fn online(seed: &str, principal: &str) -> Explanation {
    let sb = sandbox(seed, Faults::default()).await;
    let cluster = config::load(&[SourceFile::new("t.kdl", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n")])
        .config
        .unwrap()
        .clusters
        .remove(0);
    let (live, _) = read_cluster(&cluster, &Endpoints::sandbox(sb.url())).await.unwrap();
    explain(&from_live(&live), &Caller::parse(principal).unwrap(), None)
}

fn findings(e: &Explanation) -> String {
    e.findings.iter().map(|f| format!("{} / {}", f.cause, f.fix)).collect::<Vec<_>>().join("\n")
}

const SSO_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com";

#[test]
fn an_sso_session_gets_in_through_the_entry_of_its_pathed_role() {
    let e = offline(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123\" username=\"sso:{{SessionName}}\" {\n        policy \"AmazonEKSClusterAdminPolicy\"\n    }\n}\n",
        SSO_SESSION,
    );
    assert_eq!((e.verdict, e.source.clone()), (Verdict::Access, Some(Source::AccessEntry)));
    assert_eq!(e.username.as_deref(), Some("sso:alice-example.com"));
}

#[test]
fn no_entry_and_no_mapping() {
    let e = offline(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n}\n",
        "arn:aws:iam::111122223333:user/dave",
    );
    assert_eq!(e.verdict, Verdict::NoAccess);
    let f = findings(&e);
    assert!(f.contains("You must be logged in to the server (Unauthorized)"), "{f}");
    assert!(f.contains("access-entry \"arn:aws:iam::111122223333:user/dave\""), "{f}");
}

#[test]
fn mapped_but_its_group_is_bound_to_nothing() {
    let e = offline(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    aws-auth {\n        map-user \"arn:aws:iam::111122223333:user/bob\" username=\"bob\" {\n            groups \"console-viewers\"\n        }\n    }\n}\n",
        "arn:aws:iam::111122223333:user/bob",
    );
    assert_eq!(e.verdict, Verdict::AuthenticatedOnly);
    assert!(findings(&e).contains("group-binding \"console-viewers\""), "{}", findings(&e));
}

#[test]
fn a_namespace_scoped_policy_used_cluster_wide() {
    let e = offline(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:role/dev\" {\n        policy \"AmazonEKSEditPolicy\" {\n            namespaces \"dev-*\"\n        }\n    }\n}\n",
        "arn:aws:sts::111122223333:assumed-role/dev/ci",
    );
    assert_eq!(e.verdict, Verdict::Access);
    let f = findings(&e);
    assert!(f.contains("scoped to namespaces dev-*") && f.contains("Forbidden"), "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_path_in_aws_auth_never_matches() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: CONFIG_MAP\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/teams/dev/deployer\n          username: deployer\n          groups: [deployers]\n";
    let e = online(seed, "arn:aws:sts::111122223333:assumed-role/deployer/ci").await;
    assert_eq!(e.verdict, Verdict::NoAccess);
    let f = findings(&e);
    assert!(f.contains("with a path") && f.contains("map-role \"arn:aws:iam::111122223333:role/deployer\""), "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_role_written_with_its_path_in_aws_auth() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123\n          username: admin:{{SessionName}}\n          groups: [system:masters]\n";
    let e = online(seed, SSO_SESSION).await;
    assert_eq!(e.verdict, Verdict::NoAccess);
    let f = findings(&e);
    assert!(f.contains("IAM Identity Center") && f.contains("role/AWSReservedSSO_Admin_0123\""), "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_ignored_because_the_mode_is_api() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/carol\n          username: carol\n          groups: [system:masters]\n";
    let e = online(seed, "arn:aws:iam::111122223333:user/carol").await;
    assert_eq!(e.verdict, Verdict::NoAccess);
    let f = findings(&e);
    assert!(f.contains("mode is API, which ignores aws-auth"), "{f}");
    assert!(f.contains("access-entry \"arn:aws:iam::111122223333:user/carol\""), "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_entries_win_over_aws_auth_in_api_and_config_map() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/ops\n        username: ops-from-entry\n        policies:\n          AmazonEKSViewPolicy: []\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/ops\n          username: ops-from-aws-auth\n          groups: [system:masters]\n      mapAccounts: |\n        - \"444455556666\"\n";
    let e = online(seed, "arn:aws:sts::111122223333:assumed-role/ops/x").await;
    assert_eq!((e.source.clone(), e.username.as_deref()), (Some(Source::AccessEntry), Some("ops-from-entry")));
    let other = online(seed, "arn:aws:iam::444455556666:user/visitor").await;
    assert_eq!(
        (other.source.clone(), other.username.as_deref()),
        (Some(Source::AwsAuthMapAccounts), Some("arn:aws:iam::444455556666:user/visitor"))
    );
    assert!(other.groups.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_answers_with_exit_codes_and_json() {
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, Faults::default()).await;
    let explain = |principal: &str| {
        Accessctl::new().sandbox(&sb).args(&[
            "explain",
            principal,
            "--cluster",
            "demo",
            "-f",
            "examples/quick-start.kdl",
        ])
    };
    explain("me").stdout_has("system:masters").stderr("").run();
    // No access before apply.
    let admin =
        explain("arn:aws:sts::111122223333:assumed-role/platform-admin/ci").args(&["--output", "json"]).status(4).run();
    let json: serde_json::Value = serde_json::from_str(&admin.stdout).unwrap();
    assert_eq!(json["now"]["verdict"], "no-access");
    assert_eq!(json["after_apply"]["verdict"], "access");
    assert_eq!(json["after_apply"]["source"], "access-entry");
}

/// A request is decided as the API server decides it, message included: a binding to a role that
/// does not exist adds RBAC's own reason, and non-resource paths are requests too.
#[test]
fn a_request_is_refused_in_the_api_server_s_words() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/console-access.kdl")).unwrap();
    let load = |text: &str| {
        let cluster = config::load(&[SourceFile::new("console.kdl", text)]).config.unwrap().clusters.remove(0);
        desired::from_config(&cluster)
    };
    let bob = Caller::parse("arn:aws:iam::111122223333:user/bob").unwrap();
    let list_pods = accessctl::access::Request::resource("list", "", "pods", Some("default"));
    // As the example declares it, the preset's rule lets bob list pods.
    let answer = explain(&load(&text), &bob, Some(&list_pods)).request.unwrap();
    assert_eq!(answer.outcome, "allowed");
    // The same file without the role: the binding binds to nothing.
    let without_role: String =
        text.lines().filter(|l| !l.trim_start().starts_with("cluster-role ")).map(|l| format!("{l}\n")).collect();
    let state = load(&without_role);
    let answer = explain(&state, &bob, Some(&list_pods)).request.unwrap();
    assert_eq!(answer.outcome, "forbidden");
    assert_eq!(
        answer.message.as_deref(),
        Some(
            "pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \
             \"default\": RBAC: clusterrole.rbac.authorization.k8s.io \"eks-console-dashboard-full-access-clusterrole\" \
             not found"
        )
    );
    let metrics = accessctl::access::Request::NonResource { verb: "get".into(), path: "/metrics".into() };
    let answer = explain(&state, &bob, Some(&metrics)).request.unwrap();
    assert_eq!(answer.outcome, "forbidden");
    assert!(answer.message.unwrap().starts_with("forbidden: User \"bob\" cannot get path \"/metrics\""));
    let alice = Caller::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    assert_eq!(explain(&state, &alice, Some(&metrics)).request.unwrap().outcome, "allowed");
}

/// A binding grants what its role's rules can grant through it: a RoleBinding to a ClusterRole of
/// non-resource URLs only grants nothing.
#[test]
fn a_binding_whose_role_cannot_apply_grants_nothing() {
    let e = offline(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    aws-auth {\n        map-user \"arn:aws:iam::111122223333:user/bob\" username=\"bob\" {\n            groups \"g\"\n        }\n    }\n    group-binding \"g\" cluster-role=\"system:public-info-viewer\" namespace=\"default\"\n}\n",
        "arn:aws:iam::111122223333:user/bob",
    );
    assert_eq!(e.verdict, Verdict::AuthenticatedOnly, "{}", findings(&e));
}
