//! The IAM side, through the real binary against the sandbox's IAM: a principal that does not
//! exist is an error before any write (with the closest name IAM has), IAM the caller may not read
//! is said so, and a role deleted and re-created after its access entry was made is caught by
//! plan (`-/+ replace: principal re-created`) and explain — and proven by a request the sandbox
//! refuses before the apply and allows after it. The sandbox's IAM itself is checked with the AWS
//! SDK (pagination, path prefixes, users).

mod common;

use std::time::SystemTime;

use aws_sdk_eks::config::Credentials;
use common::*;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

const OPS: &str = "arn:aws:iam::111122223333:role/ops";

/// One API_AND_CONFIG_MAP cluster `c` whose account's IAM has `ops` and `platform-admin`, with a
/// view entry for `ops` made when the world was.
const SEED: &str = "roles:
  - arn:aws:iam::111122223333:role/platform-admin
clusters:
  - name: c
    authenticationMode: API_AND_CONFIG_MAP
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:role/ops
        policies:
          AmazonEKSViewPolicy: []
";

const OPS_FILE: &str = "cluster \"c\" {
    region \"eu-west-1\"
    account \"111122223333\"
    access-entry \"arn:aws:iam::111122223333:role/ops\" {
        policy \"AmazonEKSViewPolicy\"
    }
}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_principal_that_does_not_exist_is_an_error_before_any_write() {
    let sb = sandbox(SEED, Faults::default()).await;
    let file = temp_file(
        "typo",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:role/platform-admn\" {\n        \
         policy \"AmazonEKSClusterAdminPolicy\"\n    }\n    access-entry \"arn:aws:iam::111122223333:role/ops\" {\n        \
         policy \"AmazonEKSViewPolicy\"\n    }\n}\n",
    );
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "--auto-approve", "-f", &file])
        .status(1)
        .stderr_has("accessctl::plan::problem")
        .stderr_has(
            "arn:aws:iam::111122223333:role/platform-admn does not exist in account 111122223333 (did you mean \
             arn:aws:iam::111122223333:role/platform-admin?)",
        )
        .stderr_lacks("role/ops does not exist")
        .run();
    let calls = sb.counters().calls;
    assert_eq!(calls.get("CreateAccessEntry"), None, "nothing was written: {calls:?}");
    assert_eq!(calls.get("sts:ListRoles"), Some(&1), "IAM was read once: {calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_the_caller_may_not_read_skips_the_check_and_says_why() {
    // A seed that describes no IAM: the caller may not read it.
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file(
        "no-iam",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:role/anyone\"\n}\n",
    );
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &file])
        .stdout_has("whether the declared principals exist was not checked: IAM ListRoles failed: AccessDenied")
        .stdout_has("+ access entry arn:aws:iam::111122223333:role/anyone")
        .run();
    // A permission set cannot be planned without IAM: an error naming the set and the account.
    let sets = temp_file(
        "no-iam-set",
        "principal \"admins\" permission-set=\"AdministratorAccess\"\ncluster \"c\" {\n    region \"eu-west-1\"\n    \
         account \"111122223333\"\n    access-entry \"admins\"\n}\n",
    );
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &sets])
        .status(1)
        .stderr_has("the role of the permission set `AdministratorAccess` in account 111122223333 cannot be looked up")
        .run();
}

/// A Kubernetes client for cluster `c` that authenticates as `keys` with an EKS token, as
/// kubectl through `aws eks get-token` does.
async fn kube_as(sb: &Sandbox, keys: &(String, String, String)) -> kube::Client {
    let described = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let c = described.cluster().unwrap();
    let creds = Credentials::new(&keys.0, &keys.1, Some(keys.2.clone()), None, "tests");
    let token = accessctl_token::mint_with(creds, "eu-west-1", "c", SystemTime::now()).unwrap();
    accessctl::live::kubernetes::connect(c.endpoint().unwrap(), c.certificate_authority().and_then(|a| a.data()), token)
        .unwrap()
}

/// Whether listing pods in `default` is allowed (`Ok`), or the API server's status code.
async fn list_pods(client: kube::Client) -> Result<(), u16> {
    match Api::<Pod>::namespaced(client, "default").list(&ListParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) => Err(s.code),
        Err(e) => panic!("the request failed: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_recreated_after_its_entry_is_caught_by_plan_and_explain_and_apply_repairs_it() {
    let sb = sandbox(SEED, Faults::default()).await;
    let file = temp_file("recreated", OPS_FILE);
    let session = "arn:aws:sts::111122223333:assumed-role/ops/alice";
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &file]).run();
    let keys = assume(&sb, OPS, "alice").await;
    assert_eq!(list_pods(kube_as(&sb, &keys).await).await, Ok(()), "the view entry lets ops list pods");

    // Someone deletes the role and creates it again: same ARN, another principal to EKS. (IAM
    // reports CreateDate to the second: the re-creation is in a later second than the entry.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    sb.with_world(|w| {
        w.recreate_role(&accessctl::model::PrincipalArn::parse(OPS).unwrap(), accessctl_sandbox::world::now_ms())
    });
    let keys = assume(&sb, OPS, "alice").await;
    assert_eq!(list_pods(kube_as(&sb, &keys).await).await, Err(401), "EKS no longer matches the entry");
    Accessctl::new()
        .sandbox(&sb)
        .args(&["explain", session, "--cluster", "c", "-f", &file])
        .status(4)
        .stdout_has("was made for an earlier principal of that ARN")
        .stdout_has("-/+ replace: principal re-created")
        .run();
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "--detailed-exitcode", "-f", &file])
        .status(2)
        .stdout_has("-/+ access entry arn:aws:iam::111122223333:role/ops (replace: principal re-created)")
        .stdout_has("+ policy AmazonEKSViewPolicy (cluster) on arn:aws:iam::111122223333:role/ops")
        .run();

    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).run();
    assert_eq!(list_pods(kube_as(&sb, &keys).await).await, Ok(()), "the entry made again matches the new role");
    Accessctl::new().sandbox(&sb).args(&["explain", session, "--cluster", "c", "-f", &file]).run();
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &file]).run();
}

fn iam(url: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(Credentials::new("sandbox", "sandbox", None, None, "tests"))
            .build(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_iam_pages_filters_by_path_and_knows_users() {
    let sso =
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b";
    let seed = format!(
        "roles: [{sso}, arn:aws:iam::111122223333:role/r1, arn:aws:iam::111122223333:role/r2, arn:aws:iam::444455556666:role/elsewhere]\n\
         iamUsers: [arn:aws:iam::111122223333:user/bob]\nclusters: []\n"
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let client = iam(&sb.url());
    // One role a page: the SDK's paginator follows the markers; another account's role is not listed.
    let roles: Vec<String> = client
        .list_roles()
        .max_items(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    assert_eq!(roles, ["AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b", "r1", "r2"]);
    assert!(sb.counters().calls["sts:ListRoles"] >= 3, "paged");
    let sso_roles = client.list_roles().path_prefix("/aws-reserved/sso.amazonaws.com/").send().await.unwrap();
    assert_eq!(sso_roles.roles().iter().map(|r| r.arn()).collect::<Vec<_>>(), [sso]);
    assert_eq!(sso_roles.roles()[0].path(), "/aws-reserved/sso.amazonaws.com/eu-west-1/");
    let bob = client.get_user().user_name("bob").send().await.unwrap();
    assert_eq!(bob.user().unwrap().arn(), "arn:aws:iam::111122223333:user/bob");
    let users = client.list_users().send().await.unwrap();
    let names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, ["bob", "sandbox-admin"]);
    let missing = client.get_role().role_name("ghost").send().await.unwrap_err();
    assert!(missing.into_service_error().is_no_such_entity_exception());
}
