//! The sandbox's EKS API, driven by the real aws-sdk-eks client: the acceptance checklist of
//! reference §8 (items 1–14), plus the asynchronous and fault behaviours accessctl depends on.

mod common;

use std::time::Duration;

use aws_sdk_eks::error::ProvideErrorMetadata;
use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, AuthenticationMode, CreateAccessConfigRequest, UpdateAccessConfigRequest,
    VpcConfigRequest,
};
use common::*;

fn err<E: ProvideErrorMetadata>(e: E) -> (String, String) {
    (e.code().unwrap_or_default().to_string(), e.message().unwrap_or_default().to_string())
}

const CONFIG_MAP_ONLY: &str =
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";
const NO_PRINCIPAL: &str = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.";

#[tokio::test]
async fn create_cluster_defaults_and_bootstrap_rule() {
    let sb = sandbox(EMPTY, Faults::default()).await;
    let eks = eks(&sb.url());
    let vpc = VpcConfigRequest::builder().subnet_ids("subnet-1").build();
    let c = eks
        .create_cluster()
        .name("a")
        .role_arn("arn:aws:iam::111122223333:role/eks")
        .resources_vpc_config(vpc.clone())
        .send()
        .await
        .unwrap();
    let access = c.cluster().unwrap().access_config().unwrap();
    assert_eq!(access.authentication_mode(), Some(&AuthenticationMode::ConfigMap));
    assert_eq!(access.bootstrap_cluster_creator_admin_permissions(), Some(true));

    let refused = eks
        .create_cluster()
        .name("b")
        .role_arn("arn:aws:iam::111122223333:role/eks")
        .resources_vpc_config(vpc.clone())
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::ConfigMap)
                .bootstrap_cluster_creator_admin_permissions(false)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err(refused),
        (
            "InvalidParameterException".into(),
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"
                .into()
        )
    );

    let dup = eks
        .create_cluster()
        .name("a")
        .role_arn("arn:aws:iam::111122223333:role/eks")
        .resources_vpc_config(vpc.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(dup), ("ResourceInUseException".into(), "Cluster already exists with name: a".into()));

    // Created in API mode by the sandbox identity: EKS gives the creator an admin entry.
    eks.create_cluster()
        .name("d")
        .role_arn("arn:aws:iam::111122223333:role/eks")
        .resources_vpc_config(vpc)
        .access_config(CreateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::Api).build())
        .send()
        .await
        .unwrap();
    let entries = eks.list_access_entries().cluster_name("d").send().await.unwrap();
    assert_eq!(entries.access_entries(), ["arn:aws:iam::111122223333:user/sandbox-admin"]);
    let missing = eks.describe_cluster().name("nope").send().await.unwrap_err();
    assert_eq!(err(missing), ("ResourceNotFoundException".into(), "No cluster found for name: nope.".into()));
}

#[tokio::test]
async fn access_entry_operations_are_refused_on_config_map_clusters() {
    let sb = sandbox(ONE_CONFIG_MAP_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let list = eks.list_access_entries().cluster_name("c").send().await.unwrap_err();
    assert_eq!(err(list), ("InvalidRequestException".into(), CONFIG_MAP_ONLY.into()));
    let create = eks
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(create), ("InvalidRequestException".into(), CONFIG_MAP_ONLY.into()));
}

#[tokio::test]
async fn mode_moves_forward_one_step_at_a_time_asynchronously() {
    // Long enough that the calls below see the update in progress even on a loaded machine.
    let sb = sandbox(ONE_CONFIG_MAP_CLUSTER, updates_take(2000)).await;
    let eks = eks(&sb.url());
    let to = |m| UpdateAccessConfigRequest::builder().authentication_mode(m).build();

    let skip =
        eks.update_cluster_config().name("c").access_config(to(AuthenticationMode::Api)).send().await.unwrap_err();
    assert_eq!(
        err(skip),
        ("InvalidParameterException".into(), "Unsupported authentication mode update from CONFIG_MAP to API".into())
    );

    let update = eks
        .update_cluster_config()
        .name("c")
        .access_config(to(AuthenticationMode::ApiAndConfigMap))
        .send()
        .await
        .unwrap();
    let update = update.update().unwrap();
    assert_eq!(update.r#type().map(|t| t.as_str()), Some("AccessConfigUpdate"));
    assert_eq!(update.status().map(|s| s.as_str()), Some("InProgress"));
    let param = &update.params()[0];
    assert_eq!(
        (param.r#type().map(|t| t.as_str()), param.value()),
        (Some("AuthenticationMode"), Some("\"API_AND_CONFIG_MAP\""))
    );
    let id = update.id().unwrap().to_string();

    let busy = eks
        .update_cluster_config()
        .name("c")
        .access_config(to(AuthenticationMode::ApiAndConfigMap))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(busy).0, "ResourceInUseException");
    let cluster = eks.describe_cluster().name("c").send().await.unwrap();
    assert_eq!(cluster.cluster().unwrap().status().map(|s| s.as_str()), Some("UPDATING"));

    // Wait on DescribeUpdate, as apply does: never a fixed sleep.
    let status = loop {
        let d = eks.describe_update().name("c").update_id(&id).send().await.unwrap();
        let status = d.update().unwrap().status().unwrap().as_str().to_string();
        if status != "InProgress" {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, "Successful");
    let ids = eks.list_updates().name("c").send().await.unwrap();
    assert!(ids.update_ids().contains(&id));
    let cluster = eks.describe_cluster().name("c").send().await.unwrap();
    let cluster = cluster.cluster().unwrap();
    assert_eq!(cluster.access_config().unwrap().authentication_mode(), Some(&AuthenticationMode::ApiAndConfigMap));
    assert_eq!(cluster.status().map(|s| s.as_str()), Some("ACTIVE"));

    // EKS made entries for the creator (admin) and the node role.
    let entries = eks.list_access_entries().cluster_name("c").send().await.unwrap();
    assert_eq!(
        entries.access_entries(),
        ["arn:aws:iam::111122223333:role/creator", "arn:aws:iam::111122223333:role/nodes"]
    );

    for (target, from) in [
        (AuthenticationMode::ConfigMap, "API_AND_CONFIG_MAP"),
        (AuthenticationMode::ApiAndConfigMap, "API_AND_CONFIG_MAP"),
    ] {
        let back = eks.update_cluster_config().name("c").access_config(to(target.clone())).send().await.unwrap_err();
        assert_eq!(
            err(back),
            (
                "InvalidParameterException".into(),
                format!("Unsupported authentication mode update from {from} to {}", target.as_str())
            )
        );
    }
}

#[tokio::test]
async fn a_failed_update_leaves_the_mode_unchanged() {
    let faults = Faults { update_duration_ms: 0, fail_updates: true, ..Faults::default() };
    let sb = sandbox(ONE_CONFIG_MAP_CLUSTER, faults).await;
    let eks = eks(&sb.url());
    let update = eks
        .update_cluster_config()
        .name("c")
        .access_config(
            UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::ApiAndConfigMap).build(),
        )
        .send()
        .await
        .unwrap();
    let id = update.update().unwrap().id().unwrap();
    let d = eks.describe_update().name("c").update_id(id).send().await.unwrap();
    assert_eq!(d.update().unwrap().status().map(|s| s.as_str()), Some("Failed"));
    assert!(!d.update().unwrap().errors().is_empty());
    let cluster = eks.describe_cluster().name("c").send().await.unwrap();
    assert_eq!(
        cluster.cluster().unwrap().access_config().unwrap().authentication_mode(),
        Some(&AuthenticationMode::ConfigMap)
    );
}

#[tokio::test]
async fn entries_get_eks_defaults_and_obey_its_rules() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let create = |arn: &str| eks.create_access_entry().cluster_name("c").principal_arn(arn);

    let role = create("arn:aws:iam::111122223333:role/dev").send().await.unwrap();
    let e = role.access_entry().unwrap();
    assert_eq!(e.r#type(), Some("STANDARD"));
    assert_eq!(e.username(), Some("arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}"));
    assert!(e.kubernetes_groups().is_empty());
    assert!(e.tags().unwrap().is_empty());
    let arn = e.access_entry_arn().unwrap();
    assert!(arn.starts_with("arn:aws:eks:eu-west-1:111122223333:access-entry/c/role/111122223333/dev/"), "{arn}");

    let user = create("arn:aws:iam::111122223333:user/alice").send().await.unwrap();
    assert_eq!(user.access_entry().unwrap().username(), Some("arn:aws:iam::111122223333:user/alice"));

    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123";
    let pathed = create(sso).send().await.unwrap();
    let pathed = pathed.access_entry().unwrap();
    assert_eq!(pathed.principal_arn(), Some(sso));
    assert_eq!(
        pathed.username(),
        Some("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/{{SessionName}}")
    );
    // The pathed ARN travels percent-encoded in the path and still names one entry.
    let described = eks.describe_access_entry().cluster_name("c").principal_arn(sso).send().await.unwrap();
    assert_eq!(described.access_entry().unwrap().principal_arn(), Some(sso));

    let dup = create("arn:aws:iam::111122223333:role/dev").send().await.unwrap_err();
    assert_eq!(
        err(dup),
        (
            "ResourceInUseException".into(),
            "The specified access entry resource is already in use on this cluster.".into()
        )
    );

    let masters =
        create("arn:aws:iam::111122223333:role/x").kubernetes_groups("system:masters").send().await.unwrap_err();
    assert_eq!(
        err(masters),
        (
            "InvalidParameterException".into(),
            "The kubernetes group name system:masters is invalid, it cannot start with system:".into()
        )
    );
    let username = create("arn:aws:iam::111122223333:role/x").username("system:foo").send().await.unwrap_err();
    assert_eq!(err(username), ("InvalidParameterException".into(), "The username must not begin with system:".into()));
    let session = create("arn:aws:iam::111122223333:role/x").username("x{{SessionName}}").send().await.unwrap_err();
    assert_eq!(err(session).0, "InvalidParameterException");
    let sts = create("arn:aws:sts::111122223333:assumed-role/dev/alice").send().await.unwrap_err();
    assert_eq!(
        err(sts),
        ("InvalidParameterException".into(), "The specified principalArn is invalid: invalid principal".into())
    );

    let missing = eks
        .describe_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(missing), ("ResourceNotFoundException".into(), NO_PRINCIPAL.into()));
    let scope = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    let missing = eks
        .associate_access_policy()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/teams/none")
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(scope)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(missing), ("ResourceNotFoundException".into(), NO_PRINCIPAL.into()));

    let updated = eks
        .update_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/dev")
        .kubernetes_groups("developers")
        .username("dev:{{SessionName}}")
        .send()
        .await
        .unwrap();
    let updated = updated.access_entry().unwrap();
    assert_eq!(
        (updated.kubernetes_groups(), updated.username()),
        (&["developers".to_string()][..], Some("dev:{{SessionName}}"))
    );
    let bad_update = eks
        .update_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/dev")
        .kubernetes_groups("system:nodes")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err(bad_update),
        (
            "InvalidParameterException".into(),
            "The kubernetes group name system:nodes is invalid, it cannot start with system:".into()
        )
    );
}

#[tokio::test]
async fn node_entries_take_defaults_and_no_policies() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let node = eks
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/nodes")
        .r#type("EC2_LINUX")
        .send()
        .await
        .unwrap();
    let node = node.access_entry().unwrap();
    assert_eq!(node.username(), Some("system:node:{{EC2PrivateDNSName}}"));
    assert_eq!(node.kubernetes_groups(), ["system:nodes"]);
    let scope = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    let refused = eks
        .associate_access_policy()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/nodes")
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(scope.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err(refused),
        (
            "InvalidParameterException".into(),
            "This operation can only be performed on Access Entries with a type of \"STANDARD\".".into()
        )
    );
    let resend = eks
        .update_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/nodes")
        .username("system:node:{{EC2PrivateDNSName}}")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(resend), ("InvalidParameterException".into(), "The username must not begin with system:".into()));

    // Auto Mode node classes take their one policy.
    eks.create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/auto")
        .r#type("EC2")
        .send()
        .await
        .unwrap();
    eks.associate_access_policy()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/auto")
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy")
        .access_scope(scope)
        .send()
        .await
        .unwrap();
    let cross = eks
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::444455556666:role/nodes")
        .r#type("EC2_LINUX")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(cross).0, "InvalidParameterException");
}

#[tokio::test]
async fn associations_replace_scopes_and_filter_lists() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let dev = "arn:aws:iam::111122223333:role/dev";
    let view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
    eks.create_access_entry().cluster_name("c").principal_arn(dev).send().await.unwrap();
    eks.create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/other")
        .send()
        .await
        .unwrap();
    let cluster_scope = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    let a = eks
        .associate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(cluster_scope)
        .send()
        .await
        .unwrap();
    let scope = a.associated_access_policy().unwrap().access_scope().unwrap();
    assert_eq!((scope.r#type().map(|t| t.as_str()), scope.namespaces().len()), (Some("cluster"), 0));

    let ns_scope = AccessScope::builder().r#type(AccessScopeType::Namespace).namespaces("dev-*").build();
    eks.associate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(ns_scope)
        .send()
        .await
        .unwrap();
    let listed = eks.list_associated_access_policies().cluster_name("c").principal_arn(dev).send().await.unwrap();
    assert_eq!(listed.associated_access_policies().len(), 1);
    let scope = listed.associated_access_policies()[0].access_scope().unwrap();
    assert_eq!(
        (scope.r#type().map(|t| t.as_str()), scope.namespaces()),
        (Some("namespace"), &["dev-*".to_string()][..])
    );

    let empty_ns = AccessScope::builder().r#type(AccessScopeType::Namespace).build();
    let refused = eks
        .associate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(empty_ns)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(refused).0, "InvalidParameterException");
    let unknown = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    let refused = eks
        .associate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/Nope")
        .access_scope(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(refused).0, "InvalidParameterException");

    let filtered = eks.list_access_entries().cluster_name("c").associated_policy_arn(view).send().await.unwrap();
    assert_eq!(filtered.access_entries(), [dev]);
    eks.disassociate_access_policy().cluster_name("c").principal_arn(dev).policy_arn(view).send().await.unwrap();
    let listed = eks.list_associated_access_policies().cluster_name("c").principal_arn(dev).send().await.unwrap();
    assert!(listed.associated_access_policies().is_empty());
    let again = eks
        .disassociate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn(view)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(again).0, "ResourceNotFoundException");

    // Deleting an entry removes its associations; it can be created again.
    let scope = AccessScope::builder().r#type(AccessScopeType::Cluster).build();
    eks.associate_access_policy()
        .cluster_name("c")
        .principal_arn(dev)
        .policy_arn(view)
        .access_scope(scope)
        .send()
        .await
        .unwrap();
    eks.delete_access_entry().cluster_name("c").principal_arn(dev).send().await.unwrap();
    eks.create_access_entry().cluster_name("c").principal_arn(dev).send().await.unwrap();
    let listed = eks.list_associated_access_policies().cluster_name("c").principal_arn(dev).send().await.unwrap();
    assert!(listed.associated_access_policies().is_empty());
}

#[tokio::test]
async fn lists_paginate_and_the_policy_catalogue_holds_the_core_policies() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = eks.list_access_policies().max_results(1).set_next_token(token.clone()).send().await.unwrap();
        pages += 1;
        names.extend(
            page.access_policies().iter().map(|p| (p.name().unwrap().to_string(), p.arn().unwrap().to_string())),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, names.len());
    for core in accessctl::model::policy::CORE_POLICIES {
        assert!(
            names.contains(&(core.to_string(), format!("arn:aws:eks::aws:cluster-access-policy/{core}"))),
            "{core}"
        );
    }
    let too_many = eks.list_access_policies().max_results(101).send().await.unwrap_err();
    assert_eq!(err(too_many).0, "InvalidParameterException");

    for i in 0..7 {
        eks.create_access_entry()
            .cluster_name("c")
            .principal_arn(format!("arn:aws:iam::111122223333:role/r{i}"))
            .send()
            .await
            .unwrap();
    }
    let all: Vec<String> = eks
        .list_access_entries()
        .cluster_name("c")
        .max_results(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    // Seven made here and the creator's admin entry (the sandbox's identity created the cluster).
    assert_eq!(all.len(), 7 + 1);
}

#[tokio::test]
async fn tags_on_entries() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let eks = eks(&sb.url());
    let e = eks
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/dev")
        .tags("team", "payments")
        .send()
        .await
        .unwrap();
    let arn = e.access_entry().unwrap().access_entry_arn().unwrap().to_string();
    eks.tag_resource().resource_arn(&arn).tags("owner", "accessctl").send().await.unwrap();
    let tags = eks.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags().unwrap().len(), 2);
    eks.untag_resource().resource_arn(&arn).tag_keys("team").send().await.unwrap();
    let d = eks
        .describe_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/dev")
        .send()
        .await
        .unwrap();
    let tags = d.access_entry().unwrap().tags().unwrap();
    assert_eq!(tags.get("owner").map(String::as_str), Some("accessctl"));
    assert!(!tags.contains_key("team"));
    let unknown = eks
        .list_tags_for_resource()
        .resource_arn("arn:aws:eks:eu-west-1:111122223333:access-entry/c/role/x/y/z")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err(unknown).0, "NotFoundException");
}

#[tokio::test]
async fn eventual_consistency_hides_new_entries_from_associate_for_a_while() {
    let faults = Faults { consistency_delay_ms: 2000, ..Faults::default() };
    let sb = sandbox(ONE_API_CLUSTER, faults).await;
    let eks = eks(&sb.url());
    let dev = "arn:aws:iam::111122223333:role/dev";
    eks.create_access_entry().cluster_name("c").principal_arn(dev).send().await.unwrap();
    let associate = || {
        eks.associate_access_policy()
            .cluster_name("c")
            .principal_arn(dev)
            .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
            .access_scope(AccessScope::builder().r#type(AccessScopeType::Cluster).build())
            .send()
    };
    let early = associate().await.unwrap_err();
    assert_eq!(err(early), ("ResourceNotFoundException".into(), NO_PRINCIPAL.into()));
    let mut attempts = 1;
    while associate().await.is_err() {
        attempts += 1;
        assert!(attempts < 200, "the entry never became visible");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn throttling_and_server_errors_are_injected_and_counted() {
    let faults = Faults { throttle_rate: 0.3, error_rate: 0.2, ..Faults::default() };
    let sb = sandbox(ONE_API_CLUSTER, faults).await;
    let eks = eks(&sb.url());
    // The SDK's standard retry (3 attempts) absorbs most injected faults; count what arrived.
    let mut ok = 0;
    for _ in 0..40 {
        if eks.list_access_entries().cluster_name("c").send().await.is_ok() {
            ok += 1;
        }
    }
    let counters = sb.counters();
    assert!(counters.calls_of("ListAccessEntries") > 40, "retries must show in the counters: {counters:?}");
    assert!(counters.faults.get("Throttle").copied().unwrap_or(0) > 0);
    assert!(ok > 20, "only {ok} of 40 calls succeeded through retries");
}

#[tokio::test]
async fn dropped_connections_are_injected_and_retried_by_the_sdk() {
    let faults = Faults { drop_rate: 0.3, ..Faults::default() };
    let sb = sandbox(ONE_API_CLUSTER, faults).await;
    let eks = eks(&sb.url());
    let mut ok = 0;
    for _ in 0..20 {
        if eks.describe_cluster().name("c").send().await.is_ok() {
            ok += 1;
        }
    }
    let counters = sb.counters();
    assert!(counters.faults.get("Drop").copied().unwrap_or(0) > 0, "{counters:?}");
    assert!(ok >= 15, "only {ok} of 20 calls got through the SDK's retries");
}

#[tokio::test]
async fn state_survives_a_restart_when_persisted() {
    let path = std::env::temp_dir().join(format!("accessctl-state-{}-{}.json", std::process::id(), fastrand::u32(..)));
    let options = || Options {
        seed: Seed::parse(ONE_API_CLUSTER).unwrap(),
        state_file: Some(path.clone()),
        faults: Faults::default(),
        ..Options::default()
    };
    let first = Sandbox::start(options()).await.unwrap();
    eks(&first.url())
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/kept")
        .send()
        .await
        .unwrap();
    first.stop().await;
    assert!(path.exists(), "the state is written after a change");

    let second = Sandbox::start(options()).await.unwrap();
    let entries = eks(&second.url()).list_access_entries().cluster_name("c").send().await.unwrap();
    // What was made before the restart, beside the creator's admin entry.
    assert_eq!(
        entries.access_entries(),
        ["arn:aws:iam::111122223333:role/kept", "arn:aws:iam::111122223333:user/sandbox-admin"]
    );
    second.stop().await;
    std::fs::remove_file(&path).unwrap();
}

/// EKS's request limit, as the sandbox plays it: a token bucket per account and region. Beyond
/// it calls are throttled as EKS throttles (429 ThrottlingException); another region has its own
/// bucket; and a plan that needs many more calls than the burst still goes through, only slower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_rate_is_limited_per_account_and_region() {
    use aws_sdk_eks::config::retry::RetryConfig;
    let entries: String = (0..40)
        .map(|i| {
            format!(
                "      - principalArn: arn:aws:iam::111122223333:role/r{i}\n        policies:\n          AmazonEKSViewPolicy: []\n"
            )
        })
        .collect();
    let seed = format!("clusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n{entries}");
    let sb =
        common::sandbox(&seed, common::Faults { rate_per_second: 20.0, burst: 5, ..common::Faults::default() }).await;
    let client = |region: &str| {
        aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::Config::builder()
                .behavior_version(aws_sdk_eks::config::BehaviorVersion::latest())
                .region(aws_sdk_eks::config::Region::new(region.to_string()))
                .endpoint_url(sb.url())
                .credentials_provider(aws_sdk_eks::config::Credentials::new("sandbox", "sandbox", None, None, "t"))
                .retry_config(RetryConfig::disabled())
                .build(),
        )
    };
    let eu = client("eu-west-1");
    let mut throttled = 0;
    for _ in 0..15 {
        if let Err(e) = eu.describe_cluster().name("c").send().await {
            assert_eq!(ProvideErrorMetadata::code(&e), Some("ThrottlingException"), "{e:?}");
            throttled += 1;
        }
    }
    assert!(throttled >= 5, "a burst of 5 lets 15 back-to-back calls through: {throttled} throttled");
    // Another region spends another bucket.
    client("us-east-1").describe_cluster().name("c").send().await.expect("us-east-1 has calls left");

    // 80-odd calls against a burst of 5 at 20 per second: slower, and through.
    let file = common::temp_file("rate", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    let started = std::time::Instant::now();
    // Every entry was read.
    common::Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &file])
        .stdout_has("arn:aws:iam::111122223333:role/r39")
        .run();
    assert!(sb.counters().faults.get("RateLimited").copied().unwrap_or(0) > 0, "the limit was reached");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
