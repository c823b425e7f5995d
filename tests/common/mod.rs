//! Shared by the integration tests: an in-process sandbox and the production clients pointed at it.

#![allow(dead_code)]

pub use accessctl_sandbox::{Faults, Options, Sandbox, Seed};

mod run;
#[allow(unused_imports)]
pub use run::*;

use aws_sdk_eks::config::{BehaviorVersion, Credentials, Region};

/// A sandbox with the given seed (YAML) and faults, on a free loopback port.
pub async fn sandbox(seed: &str, faults: Faults) -> Sandbox {
    let options = Options { seed: Seed::parse(seed).expect("test seed parses"), faults, ..Options::default() };
    Sandbox::start(options).await.expect("sandbox starts")
}

/// Faults that make authentication-mode updates take `ms`.
pub fn updates_take(ms: u64) -> Faults {
    Faults { update_duration_ms: ms, ..Faults::default() }
}

/// The EKS client accessctl uses, pointed at `url` with dummy credentials.
pub fn eks(url: &str) -> aws_sdk_eks::Client {
    let config = aws_sdk_eks::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("sandbox", "sandbox", None, None, "tests"))
        .build();
    aws_sdk_eks::Client::from_conf(config)
}

pub const EMPTY: &str = "clusters: []\n";

/// One API_AND_CONFIG_MAP cluster `c` in account 111122223333.
pub const ONE_API_CLUSTER: &str = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n";

/// One CONFIG_MAP cluster `c` with a creator and a node role.
pub const ONE_CONFIG_MAP_CLUSTER: &str = "clusters:
  - name: c
    authenticationMode: CONFIG_MAP
    creator: arn:aws:iam::111122223333:role/creator
    nodeRoles: [arn:aws:iam::111122223333:role/nodes]
";

/// A Kubernetes API to run the same scenario against: the sandbox's, or the test bed's real
/// kube-apiserver when `.ci/run` (or `testbed/kube-apiserver.sh start`) started one.
pub struct KubeTarget {
    pub client: kube::Client,
    /// The sandbox behind it, kept alive for the test's duration.
    pub sandbox: Option<Sandbox>,
}

/// The sandbox's cluster `cluster`, reached the way accessctl reaches EKS clusters: the
/// endpoint and CA from DescribeCluster, a bearer token.
pub async fn sandbox_kube(seed: &str, cluster: &str) -> KubeTarget {
    let sb = sandbox(seed, Faults::default()).await;
    let client = kube_of(&sb, cluster).await;
    KubeTarget { client, sandbox: Some(sb) }
}

/// The test bed's real kube-apiserver: `(url, admin token, CA)`. Tests that call this are
/// ignored where it is not running (see build.rs); under CI its absence fails them.
pub fn apiserver() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: start the real kube-apiserver (testbed/kube-apiserver.sh start) and source /tmp/accessctl-testbed/env")
        })
    };
    (var("ACCESSCTL_KUBE_APISERVER"), var("ACCESSCTL_KUBE_TOKEN"), var("ACCESSCTL_KUBE_CA"))
}

/// The real kube-apiserver of the test bed, as its admin (system:masters).
pub fn apiserver_kube() -> KubeTarget {
    let (url, token, ca) = apiserver();
    let client = accessctl::live::kubernetes::connect(&url, Some(&ca), token).expect("kube client for the test bed");
    KubeTarget { client, sandbox: None }
}

/// A Kubernetes client for a sandbox cluster, connected the way accessctl connects: endpoint and
/// CA from DescribeCluster, the sandbox's static administrator token.
pub async fn kube_of(sandbox: &Sandbox, cluster: &str) -> kube::Client {
    let described = eks(&sandbox.url()).describe_cluster().name(cluster).send().await.expect("DescribeCluster");
    let c = described.cluster().expect("a cluster");
    accessctl::live::kubernetes::connect(
        c.endpoint().expect("an endpoint"),
        c.certificate_authority().and_then(|a| a.data()),
        accessctl_sandbox::access::STATIC_ADMIN_TOKEN.into(),
    )
    .expect("kube client")
}

/// The sandbox cluster's kube-system/aws-auth, if it exists.
pub async fn aws_auth_of(sandbox: &Sandbox, cluster: &str) -> Option<k8s_openapi::api::core::v1::ConfigMap> {
    let client = kube_of(sandbox, cluster).await;
    kube::api::Api::namespaced(client, "kube-system").get_opt("aws-auth").await.expect("reading aws-auth")
}

/// A session of `role_arn` from the sandbox's STS, as (key, secret, token).
pub async fn assume(sandbox: &Sandbox, role_arn: &str, session: &str) -> (String, String, String) {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("eu-west-1"))
            .endpoint_url(sandbox.url())
            .credentials_provider(Credentials::new("sandbox", "sandbox", None, None, "tests"))
            .build(),
    );
    let out = sts.assume_role().role_arn(role_arn).role_session_name(session).send().await.expect("AssumeRole");
    let c = out.credentials().expect("credentials");
    (c.access_key_id().to_string(), c.secret_access_key().to_string(), c.session_token().to_string())
}

/// A file with `text` in a fresh temporary folder; returns its path.
pub fn temp_file(name: &str, text: &str) -> String {
    let path = scratch(name).join("access.kdl");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The status cluster `c` at `endpoint` answers `method path` with, as `creds` (a token minted
/// from them, as `aws eks get-token` does). A POST creates a Deployment `web`.
pub async fn call(endpoint: &str, ca: &str, creds: Credentials, method: &str, path: &str) -> u16 {
    call_cluster("c", endpoint, ca, creds, method, path).await
}

/// As [`call`], for the cluster named `cluster` (the token names the cluster it is for).
pub async fn call_cluster(
    cluster: &str,
    endpoint: &str,
    ca: &str,
    creds: Credentials,
    method: &str,
    path: &str,
) -> u16 {
    let token = accessctl::live::token::mint_with(creds, "eu-west-1", cluster, std::time::SystemTime::now()).unwrap();
    let client = accessctl::live::kubernetes::connect(endpoint, Some(ca), token).unwrap();
    let body = if method == "POST" {
        br#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}"#.to_vec()
    } else {
        vec![]
    };
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(kube::client::Body::from(body))
        .unwrap();
    client.send(req).await.unwrap().status().as_u16()
}

/// The sandbox cluster's Kubernetes endpoint and CA, from DescribeCluster.
pub async fn endpoint_of(sandbox: &Sandbox, cluster: &str) -> (String, String) {
    let described = eks(&sandbox.url()).describe_cluster().name(cluster).send().await.expect("DescribeCluster");
    let c = described.cluster().expect("a cluster");
    let ca = c.certificate_authority().and_then(|a| a.data()).expect("a CA");
    (c.endpoint().expect("an endpoint").to_string(), ca.to_string())
}
