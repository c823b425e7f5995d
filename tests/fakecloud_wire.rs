//! Wire conformance: the same EKS calls, through the real aws-sdk-eks client, against the sandbox
//! and against fakecloud (a third-party emulator conformance-tested against AWS's Smithy models),
//! so the sandbox cannot drift from AWS's wire shapes. Tests named `…_on_fakecloud` are ignored,
//! with the reason, where fakecloud is not running (build.rs); under CI they run and need it.
//!
//! What fakecloud 0.51 does not do, and so is tested on the sandbox alone (`sandbox_eks.rs`):
//! refusing entries on CONFIG_MAP clusters, invalid principal ARNs and unknown policy ARNs;
//! refusing backward and same-mode authentication-mode changes; the creator's admin entry;
//! echoing bootstrapClusterCreatorAdminPermissions; updates that stay InProgress for a while.
//! Where the two differ in a value (not a shape), AWS's documented sample decides and the check
//! runs on the sandbox only: fakecloud generates the STANDARD role username as
//! `arn:aws:sts::{{AccountID}}:assumed-role/…` where AWS's sample has the account number, and
//! puts its own account where real access-entry ARNs carry the principal's account.

mod common;

use std::time::Duration;

use aws_sdk_eks::error::ProvideErrorMetadata;
use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, AuthenticationMode, CreateAccessConfigRequest, UpdateAccessConfigRequest,
    VpcConfigRequest,
};
use common::*;

fn unique(base: &str) -> String {
    format!("{base}-{}", fastrand::u32(..))
}

async fn create_cluster(eks: &aws_sdk_eks::Client, name: &str, mode: AuthenticationMode) {
    eks.create_cluster()
        .name(name)
        .role_arn("arn:aws:iam::111122223333:role/eks-cluster")
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-1").subnet_ids("subnet-2").build())
        .access_config(CreateAccessConfigRequest::builder().authentication_mode(mode).build())
        .send()
        .await
        .expect("CreateCluster");
}

/// `semantics`: also check values where fakecloud is known to differ from AWS (see above).
async fn access_entries(url: String, semantics: bool) {
    let eks = eks(&url);
    let c = unique("wire-entries");
    create_cluster(&eks, &c, AuthenticationMode::ApiAndConfigMap).await;
    let dev = "arn:aws:iam::111122223333:role/dev";
    let created =
        eks.create_access_entry().cluster_name(&c).principal_arn(dev).tags("team", "payments").send().await.unwrap();
    let e = created.access_entry().unwrap();
    assert_eq!((e.principal_arn(), e.r#type()), (Some(dev), Some("STANDARD")));
    let username = e.username().unwrap_or_default();
    assert!(
        username.starts_with("arn:aws:sts::") && username.ends_with(":assumed-role/dev/{{SessionName}}"),
        "{username}"
    );
    if semantics {
        assert_eq!(username, "arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}");
    }
    assert!(e.kubernetes_groups().is_empty());
    assert_eq!(e.tags().and_then(|t| t.get("team")).map(String::as_str), Some("payments"));
    let arn = e.access_entry_arn().unwrap();
    let tail = arn.split_once(&format!(":access-entry/{c}/role/")).map(|(_, t)| t).unwrap_or_else(|| panic!("{arn}"));
    let (principal_account, rest) = tail.split_once('/').unwrap();
    assert!(principal_account.len() == 12 && rest.starts_with("dev/"), "{arn}");
    if semantics {
        assert_eq!(principal_account, "111122223333", "the principal's account, as real outputs show");
    }
    assert!(e.created_at().is_some());

    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123";
    eks.create_access_entry().cluster_name(&c).principal_arn(sso).send().await.unwrap();
    let described = eks.describe_access_entry().cluster_name(&c).principal_arn(sso).send().await.unwrap();
    assert_eq!(described.access_entry().unwrap().principal_arn(), Some(sso));

    let dup = eks.create_access_entry().cluster_name(&c).principal_arn(dev).send().await.unwrap_err();
    assert_eq!(dup.code(), Some("ResourceInUseException"));
    let missing = eks
        .describe_access_entry()
        .cluster_name(&c)
        .principal_arn("arn:aws:iam::111122223333:role/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));

    let updated = eks
        .update_access_entry()
        .cluster_name(&c)
        .principal_arn(dev)
        .kubernetes_groups("developers")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.access_entry().unwrap().kubernetes_groups(), ["developers"]);

    let view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
    let a = eks
        .associate_access_policy()
        .cluster_name(&c)
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(AccessScope::builder().r#type(AccessScopeType::Cluster).build())
        .send()
        .await
        .unwrap();
    assert_eq!(a.principal_arn(), Some(dev));
    let scope = a.associated_access_policy().unwrap().access_scope().unwrap();
    assert_eq!((scope.r#type().map(|t| t.as_str()), scope.namespaces().len()), (Some("cluster"), 0));
    eks.associate_access_policy()
        .cluster_name(&c)
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(AccessScope::builder().r#type(AccessScopeType::Namespace).namespaces("dev-*").build())
        .send()
        .await
        .unwrap();
    let listed = eks.list_associated_access_policies().cluster_name(&c).principal_arn(dev).send().await.unwrap();
    assert_eq!(listed.associated_access_policies().len(), 1, "re-associating replaces the scope");
    assert_eq!(listed.associated_access_policies()[0].access_scope().unwrap().namespaces(), ["dev-*"]);
    let filtered = eks.list_access_entries().cluster_name(&c).associated_policy_arn(view).send().await.unwrap();
    assert_eq!(filtered.access_entries(), [dev]);
    eks.disassociate_access_policy().cluster_name(&c).principal_arn(dev).policy_arn(view).send().await.unwrap();
    let listed = eks.list_associated_access_policies().cluster_name(&c).principal_arn(dev).send().await.unwrap();
    assert!(listed.associated_access_policies().is_empty());

    eks.delete_access_entry().cluster_name(&c).principal_arn(dev).send().await.unwrap();
    let gone = eks.describe_access_entry().cluster_name(&c).principal_arn(dev).send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
}

async fn policies_paginate(url: String, _semantics: bool) {
    let eks = eks(&url);
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = eks.list_access_policies().max_results(1).set_next_token(token).send().await.unwrap();
        assert!(page.access_policies().len() <= 1);
        names.extend(
            page.access_policies().iter().map(|p| (p.name().unwrap().to_string(), p.arn().unwrap().to_string())),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    for core in ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"] {
        assert!(
            names.contains(&(core.into(), format!("arn:aws:eks::aws:cluster-access-policy/{core}"))),
            "{core}: {names:?}"
        );
    }
}

async fn entry_tags(url: String, _semantics: bool) {
    let eks = eks(&url);
    let c = unique("wire-tags");
    create_cluster(&eks, &c, AuthenticationMode::Api).await;
    let e = eks
        .create_access_entry()
        .cluster_name(&c)
        .principal_arn("arn:aws:iam::111122223333:user/alice")
        .send()
        .await
        .unwrap();
    let arn = e.access_entry().unwrap().access_entry_arn().unwrap().to_string();
    eks.tag_resource().resource_arn(&arn).tags("owner", "accessctl").tags("env", "test").send().await.unwrap();
    eks.untag_resource().resource_arn(&arn).tag_keys("env").send().await.unwrap();
    let tags = eks.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!((tags.get("owner").map(String::as_str), tags.contains_key("env")), (Some("accessctl"), false));
}

async fn mode_update(url: String, _semantics: bool) {
    let eks = eks(&url);
    let c = unique("wire-mode");
    create_cluster(&eks, &c, AuthenticationMode::ConfigMap).await;
    let out = eks
        .update_cluster_config()
        .name(&c)
        .access_config(
            UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::ApiAndConfigMap).build(),
        )
        .send()
        .await
        .unwrap();
    let u = out.update().unwrap();
    assert_eq!(u.r#type().map(|t| t.as_str()), Some("AccessConfigUpdate"));
    assert_eq!(u.params()[0].value(), Some("\"API_AND_CONFIG_MAP\""));
    let id = u.id().unwrap().to_string();
    let mut status = String::new();
    for _ in 0..100 {
        let d = eks.describe_update().name(&c).update_id(&id).send().await.unwrap();
        status = d.update().unwrap().status().unwrap().as_str().to_string();
        if status != "InProgress" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "Successful");
    assert!(eks.list_updates().name(&c).send().await.unwrap().update_ids().contains(&id));
    let d = eks.describe_cluster().name(&c).send().await.unwrap();
    assert_eq!(
        d.cluster().unwrap().access_config().unwrap().authentication_mode(),
        Some(&AuthenticationMode::ApiAndConfigMap)
    );
}

/// fakecloud's URL. Tests that call this are ignored where it is not running (see build.rs);
/// under CI its absence fails them.
fn fakecloud() -> String {
    std::env::var("ACCESSCTL_FAKECLOUD_URL").expect(
        "ACCESSCTL_FAKECLOUD_URL is not set: start fakecloud (testbed/fakecloud.sh start) and source /tmp/accessctl-fakecloud/env",
    )
}

macro_rules! on_both {
    ($scenario:ident, $sandbox:ident, $fakecloud:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sandbox() {
            let sb = sandbox(EMPTY, updates_take(100)).await;
            $scenario(sb.url(), true).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            not(testbed_fakecloud),
            ignore = "needs fakecloud: testbed/fakecloud.sh install && testbed/fakecloud.sh start, then source /tmp/accessctl-fakecloud/env"
        )]
        async fn $fakecloud() {
            $scenario(fakecloud(), false).await;
        }
    };
}

on_both!(access_entries, access_entries_on_sandbox, access_entries_on_fakecloud);
on_both!(policies_paginate, policies_paginate_on_sandbox, policies_paginate_on_fakecloud);
on_both!(entry_tags, entry_tags_on_sandbox, entry_tags_on_fakecloud);
on_both!(mode_update, mode_update_on_sandbox, mode_update_on_fakecloud);
