//! The Kubernetes behaviours accessctl's aws-auth and RBAC writes rely on, run against the
//! sandbox's Kubernetes API and, when the test bed started one, against a real kube-apiserver
//! (tests named `…_on_apiserver`), so the sandbox cannot drift from Kubernetes.

mod common;

use common::*;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

fn reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.reason.clone(),
        other => format!("{other}"),
    }
}

/// A ConfigMap name unique to this run, so scenarios can share a real API server.
fn unique(base: &str) -> String {
    format!("{base}-{}", uuid_suffix())
}

fn uuid_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{:x}{:x}", std::process::id(), nanos)
}

fn config_map(name: &str, data: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "kube-system"}, "data": data}))
        .unwrap()
}

/// Create, read, conflict on a stale write, 404 vs 409, patches, delete.
async fn config_map_lifecycle(client: kube::Client) {
    let api: Api<ConfigMap> = Api::namespaced(client, "kube-system");
    let name = unique("aws-auth-test");
    assert!(api.get_opt(&name).await.unwrap().is_none());
    let replace_missing = api.replace(&name, &PostParams::default(), &config_map(&name, json!({}))).await.unwrap_err();
    assert_eq!(status_code(&replace_missing), Some(404));

    let created = api.create(&PostParams::default(), &config_map(&name, json!({"mapRoles": "[]"}))).await.unwrap();
    let rv1 = created.metadata.resource_version.clone().unwrap();
    let again = api.create(&PostParams::default(), &config_map(&name, json!({}))).await.unwrap_err();
    assert_eq!((status_code(&again), reason(&again)), (Some(409), "AlreadyExists".into()));

    // A write carrying the resourceVersion it read succeeds once; the second with the same is stale.
    let mut first = created.clone();
    first.data.as_mut().unwrap().insert("mapUsers".into(), "[]".into());
    let replaced = api.replace(&name, &PostParams::default(), &first).await.unwrap();
    assert_ne!(replaced.metadata.resource_version.as_deref(), Some(rv1.as_str()));
    let mut stale = created.clone();
    stale.data.as_mut().unwrap().insert("mapAccounts".into(), "[]".into());
    let conflict = api.replace(&name, &PostParams::default(), &stale).await.unwrap_err();
    assert_eq!((status_code(&conflict), reason(&conflict)), (Some(409), "Conflict".into()));

    let merged =
        api.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"data": {"extra": "1"}}))).await.unwrap();
    let data = merged.data.unwrap();
    assert_eq!((data.get("extra").map(String::as_str), data.contains_key("mapUsers")), (Some("1"), true));
    let stale_patch = json!({"metadata": {"resourceVersion": rv1}, "data": {"extra": "2"}});
    let refused = api.patch(&name, &PatchParams::default(), &Patch::Merge(stale_patch)).await.unwrap_err();
    assert_eq!(status_code(&refused), Some(409));
    let json_patch: json_patch::Patch =
        serde_json::from_value(json!([{"op": "remove", "path": "/data/extra"}])).unwrap();
    let patched = api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(json_patch)).await.unwrap();
    assert!(!patched.data.unwrap().contains_key("extra"));

    let listed = api.list(&ListParams::default()).await.unwrap();
    assert!(listed.items.iter().any(|c| c.metadata.name.as_deref() == Some(name.as_str())));

    api.delete(&name, &DeleteParams::default()).await.unwrap();
    let gone = api.delete(&name, &DeleteParams::default()).await.unwrap_err();
    assert_eq!(status_code(&gone), Some(404));
}

/// Server-side apply creates what is missing and merges into what exists.
async fn server_side_apply(client: kube::Client) {
    let api: Api<ConfigMap> = Api::namespaced(client, "kube-system");
    let name = unique("ssa-test");
    let params = PatchParams::apply("accessctl").force();
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}});
    let created = api.patch(&name, &params, &Patch::Apply(body)).await.unwrap();
    assert_eq!(created.data.unwrap().get("a").map(String::as_str), Some("1"));
    let body =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1", "b": "2"}});
    let updated = api.patch(&name, &params, &Patch::Apply(body)).await.unwrap();
    assert_eq!(updated.data.unwrap().get("b").map(String::as_str), Some("2"));
    api.delete(&name, &DeleteParams::default()).await.unwrap();
}

/// RBAC bindings: cluster-scoped and namespaced; a namespace that does not exist is a 404.
async fn rbac_bindings(client: kube::Client) {
    let name = unique("accessctl-test");
    let crbs: Api<ClusterRoleBinding> = Api::all(client.clone());
    let crb: ClusterRoleBinding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "viewers"}]}))
    .unwrap();
    crbs.create(&PostParams::default(), &crb).await.unwrap();
    let read = crbs.get(&name).await.unwrap();
    assert_eq!(read.subjects.unwrap()[0].name, "viewers");
    crbs.delete(&name, &DeleteParams::default()).await.unwrap();

    let rb: RoleBinding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "developers"}]}))
    .unwrap();
    let in_default: Api<RoleBinding> = Api::namespaced(client.clone(), "default");
    in_default.create(&PostParams::default(), &rb).await.unwrap();
    in_default.delete(&name, &DeleteParams::default()).await.unwrap();
    let nowhere: Api<RoleBinding> = Api::namespaced(client, &unique("no-such-namespace"));
    let missing = nowhere.create(&PostParams::default(), &rb).await.unwrap_err();
    assert_eq!(status_code(&missing), Some(404));
}

#[tokio::test]
async fn config_map_lifecycle_on_sandbox() {
    let target = sandbox_kube(ONE_API_CLUSTER, "c").await;
    config_map_lifecycle(target.client).await;
}

#[tokio::test]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn config_map_lifecycle_on_apiserver() {
    let target = apiserver_kube();
    config_map_lifecycle(target.client).await;
}

#[tokio::test]
async fn server_side_apply_on_sandbox() {
    let target = sandbox_kube(ONE_API_CLUSTER, "c").await;
    server_side_apply(target.client).await;
}

#[tokio::test]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn server_side_apply_on_apiserver() {
    let target = apiserver_kube();
    server_side_apply(target.client).await;
}

#[tokio::test]
async fn rbac_bindings_on_sandbox() {
    let target = sandbox_kube(ONE_API_CLUSTER, "c").await;
    rbac_bindings(target.client).await;
}

#[tokio::test]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn rbac_bindings_on_apiserver() {
    let target = apiserver_kube();
    rbac_bindings(target.client).await;
}

#[tokio::test]
async fn the_seeded_aws_auth_is_served() {
    let target = sandbox_kube(accessctl_sandbox::seed::DEFAULT_SEED, "demo").await;
    let api: Api<ConfigMap> = Api::namespaced(target.client, "kube-system");
    let cm = api.get("aws-auth").await.unwrap();
    let roles = &cm.data.unwrap()["mapRoles"];
    assert!(roles.contains("arn:aws:iam::111122223333:role/demo-ng-general"));
}

#[tokio::test]
async fn requests_without_a_token_are_unauthorized() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let described = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let c = described.cluster().unwrap();
    let mut config = kube::Config::new(c.endpoint().unwrap().parse().unwrap());
    config.accept_invalid_certs = true;
    let client = kube::Client::try_from(config).unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client, "kube-system");
    let denied = api.get_opt("aws-auth").await.unwrap_err();
    assert_eq!(status_code(&denied), Some(401));
}

/// accessctl's aws-auth write: it creates the ConfigMap when missing, merges into what another
/// writer put there, records ownership, and changes nothing when run again.
async fn aws_auth_write_merges(client: kube::Client) {
    use accessctl::aws_auth::{MANAGED_ANNOTATION, Mapping, MappingKind, MergeRequest};
    use std::collections::BTreeSet;
    let none = BTreeSet::new();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let _ = api.delete("aws-auth", &DeleteParams::default()).await;
    let node = "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n";
    api.create(&PostParams::default(), &config_map("aws-auth", json!({"mapRoles": node}))).await.unwrap();
    let desired = vec![Mapping::new(
        MappingKind::User,
        "arn:aws:iam::111122223333:user/alice".into(),
        Some("alice".into()),
        vec!["system:masters".into()],
    )];
    let request =
        MergeRequest { owner: "team-a", desired: &desired, desired_accounts: &[], delete: &none, release: &none };
    accessctl::apply::aws_auth_write::write(&client, &request).await.unwrap();
    let cm = api.get("aws-auth").await.unwrap();
    let data = cm.data.clone().unwrap();
    assert!(data["mapRoles"].contains("role/nodes") && data["mapUsers"].contains("user/alice"), "{data:?}");
    assert_eq!(
        cm.metadata.annotations.as_ref().unwrap()[MANAGED_ANNOTATION],
        "{\"team-a\":[\"user:arn:aws:iam::111122223333:user/alice\"]}"
    );
    accessctl::apply::aws_auth_write::write(&client, &request).await.unwrap();
    let again = api.get("aws-auth").await.unwrap();
    assert_eq!(again.metadata.resource_version, cm.metadata.resource_version, "a converged aws-auth is not rewritten");
    api.delete("aws-auth", &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn aws_auth_write_merges_on_sandbox() {
    let target = sandbox_kube(ONE_API_CLUSTER, "c").await;
    aws_auth_write_merges(target.client).await;
}

#[tokio::test]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn aws_auth_write_merges_on_apiserver() {
    let target = apiserver_kube();
    aws_auth_write_merges(target.client).await;
}

#[tokio::test]
async fn eks_tokens_are_verified_and_bound_to_their_cluster() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let described = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let c = described.cluster().unwrap();
    let (endpoint, ca) = (c.endpoint().unwrap(), c.certificate_authority().and_then(|a| a.data()));
    let creds = || aws_credential_types::Credentials::new("sandbox", "sandbox", None, None, "tests");
    let now = std::time::SystemTime::now();
    let get = |token: String| async move {
        let client = accessctl::live::kubernetes::connect(endpoint, ca, token).unwrap();
        Api::<ConfigMap>::namespaced(client, "kube-system").get_opt("aws-auth").await
    };
    let mine = accessctl::live::token::mint_with(creds(), "eu-west-1", "c", now).unwrap();
    assert!(get(mine).await.is_ok(), "a token minted for this cluster is accepted");
    let other = accessctl::live::token::mint_with(creds(), "eu-west-1", "other-cluster", now).unwrap();
    assert_eq!(status_code(&get(other).await.unwrap_err()), Some(401));
    let stale =
        accessctl::live::token::mint_with(creds(), "eu-west-1", "c", now - std::time::Duration::from_secs(20 * 60))
            .unwrap();
    assert_eq!(status_code(&get(stale).await.unwrap_err()), Some(401));
}

/// As the authenticator, the sandbox keeps the aws-auth keys that parse when one does not: a
/// broken mapRoles does not lock out the users of mapUsers.
#[tokio::test]
async fn a_broken_aws_auth_key_leaves_the_others_in_force() {
    let seed = "users:\n  - {arn: \"arn:aws:iam::111122223333:user/bob\", accessKeyId: AKIABOB, secretAccessKey: bob-secret}\nclusters:\n  - name: c\n    authenticationMode: CONFIG_MAP\n    awsAuth:\n      mapRoles: \"- rolearn: [unclosed\"\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/bob\n          groups: [system:masters]\n";
    let sb = sandbox(seed, Faults::default()).await;
    let described = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let c = described.cluster().unwrap();
    let bob = aws_credential_types::Credentials::new("AKIABOB", "bob-secret", None, None, "test");
    let token = accessctl::live::token::mint_with(bob, "eu-west-1", "c", std::time::SystemTime::now()).unwrap();
    let client = accessctl::live::kubernetes::connect(
        c.endpoint().unwrap(),
        c.certificate_authority().and_then(|a| a.data()),
        token,
    )
    .unwrap();
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, "default");
    pods.list(&Default::default()).await.expect("bob gets in through mapUsers");
}
