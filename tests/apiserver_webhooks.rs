//! A real kube-apiserver lets EKS principals in as EKS does. The test bed's apiserver asks the
//! sandbox (its token webhook, as aws-iam-authenticator is on EKS, and its authorization webhook
//! after its own RBAC, as EKS's access-policy authorizer is) about every EKS token; a token that
//! accessctl mints for a principal is then allowed or refused by the real API server, and
//! `explain` — reading EKS from the sandbox and RBAC from the real API server — says so first.
//!
//! Limitation of the test bed: the token webhook reads the sandbox's cluster `testbed` (mode,
//! entries, its own aws-auth), not the real API server's aws-auth; the cluster here is in API
//! mode, where aws-auth plays no part.

mod common;

use accessctl::access::{Request, forbidden_message};
use accessctl::explain::{Caller, explain};
use accessctl::live::access::from_live;
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use aws_credential_types::Credentials;
use common::*;

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

const SEED: &str = "users:
  - {arn: \"arn:aws:iam::111122223333:user/alice\", accessKeyId: AKIAALICE, secretAccessKey: alice-secret}
  - {arn: \"arn:aws:iam::111122223333:user/bob\", accessKeyId: AKIABOB, secretAccessKey: bob-secret}
clusters:
  - name: testbed
    authenticationMode: API
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:user/alice
        policies:
          AmazonEKSViewPolicy: [app]
";

/// The status the real API server answers `method path` with (any success as 200), and its
/// message, for a token minted with `creds`.
async fn call(creds: &Credentials, method: &str, path: &str, body: &str) -> (u16, String) {
    let (url, _, ca) = apiserver();
    let token =
        accessctl::live::token::mint_with(creds.clone(), "eu-west-1", "testbed", std::time::SystemTime::now()).unwrap();
    let client = accessctl::live::kubernetes::connect(&url, Some(&ca), token).unwrap();
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    match client.request::<serde_json::Value>(req).await {
        Ok(_) => (200, String::new()),
        Err(kube::Error::Api(status)) => (status.code, status.message),
        Err(other) => panic!("{method} {path}: {other}"),
    }
}

fn deployment() -> String {
    let name = format!("web-{}", fastrand::u32(..));
    serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn eks_principals_are_allowed_or_refused_by_a_real_apiserver() {
    let (url, admin_token, ca) = apiserver();
    let port: u16 = std::env::var("ACCESSCTL_WEBHOOK_PORT").expect("ACCESSCTL_WEBHOOK_PORT").parse().unwrap();
    let sb = Sandbox::start(Options {
        listen: ([127, 0, 0, 1], port).into(),
        seed: Seed::parse(SEED).unwrap(),
        ..Options::default()
    })
    .await
    .expect("the sandbox serves the webhooks on their port");
    // The namespace the policy is scoped to, made by the API server's own administrator.
    let admin = accessctl::live::kubernetes::connect(&url, Some(&ca), admin_token.clone()).unwrap();
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "app"}})).unwrap();
    let _ = kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(admin).create(&Default::default(), &ns).await;

    let alice = Credentials::new("AKIAALICE", "alice-secret", None, None, "test");
    let bob = Credentials::new("AKIABOB", "bob-secret", None, None, "test");

    // What explain predicts, from EKS (the sandbox) and RBAC read from the real API server.
    let dir = std::env::temp_dir().join(format!("accessctl-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: testbed\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\nusers:\n- name: admin\n  user:\n    token: {admin_token}\ncontexts:\n- name: testbed\n  context:\n    cluster: testbed\n    user: admin\ncurrent-context: testbed\n"
    )).unwrap();
    let files = [accessctl::config::SourceFile::new(
        "t.kdl",
        format!(
            "cluster \"testbed\" {{\n    region \"eu-west-1\"\n    kubernetes kubeconfig=\"{}\" context=\"testbed\"\n}}\n",
            kubeconfig.display()
        ),
    )];
    let cluster = accessctl::config::load(&files).config.unwrap().clusters.remove(0);
    let predict = |who: &str, request: &Request| {
        let cluster = cluster.clone();
        let (who, request, endpoints) = (who.to_string(), request.clone(), Endpoints::sandbox(sb.url()));
        async move {
            let (live, _) = read_cluster(&cluster, &endpoints).await.unwrap();
            explain(&from_live(&live), &Caller::parse(&who).unwrap(), Some(&request)).request.unwrap()
        }
    };

    let list_app = Request::resource("list", "", "pods", Some("app"));
    let (status, _) = call(&alice, "GET", "/api/v1/namespaces/app/pods", "").await;
    assert_eq!(status, 200, "AmazonEKSViewPolicy on app lets alice list pods there");
    assert_eq!(predict(ALICE, &list_app).await.outcome, "allowed");

    let list_default = Request::resource("list", "", "pods", Some("default"));
    let (status, message) = call(&alice, "GET", "/api/v1/namespaces/default/pods", "").await;
    assert_eq!(status, 403);
    assert_eq!(message, forbidden_message(ALICE, &list_default), "the real API server's words");
    assert_eq!(predict(ALICE, &list_default).await.message.as_deref(), Some(message.as_str()));

    let (status, _) = call(&bob, "GET", "/api/v1/namespaces/app/pods", "").await;
    assert_eq!(status, 401, "bob has no access entry");
    assert_eq!(predict(BOB, &list_app).await.outcome, "unauthorized");

    let create = Request::resource("create", "apps", "deployments", Some("app"));
    let (status, _) = call(&alice, "POST", "/apis/apps/v1/namespaces/app/deployments", &deployment()).await;
    assert_eq!(status, 403, "View does not create");
    assert_eq!(predict(ALICE, &create).await.outcome, "forbidden");

    // The policy becomes Admin on the same namespace, through the EKS API.
    let scope = aws_sdk_eks::types::AccessScope::builder()
        .r#type(aws_sdk_eks::types::AccessScopeType::Namespace)
        .namespaces("app")
        .build();
    eks(&sb.url())
        .associate_access_policy()
        .cluster_name("testbed")
        .principal_arn(ALICE)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy")
        .access_scope(scope)
        .send()
        .await
        .unwrap();
    assert_eq!(predict(ALICE, &create).await.outcome, "allowed");
    let (status, message) = call(&alice, "POST", "/apis/apps/v1/namespaces/app/deployments", &deployment()).await;
    assert_eq!(status, 200, "AmazonEKSAdminPolicy on app creates deployments there: {message}");
    let (status, _) = call(&alice, "GET", "/api/v1/pods", "").await;
    assert_eq!(status, 403, "a namespace scope never grants across all namespaces");
    let counters = sb.counters();
    // The real API server asked the sandbox (tokens minted within one second are the same token).
    for review in ["webhook:TokenReview", "webhook:SubjectAccessReview"] {
        assert!(counters.calls.get(review).copied().unwrap_or(0) > 0, "{counters:?}");
    }
    sb.stop().await;
}
