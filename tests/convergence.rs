//! Apply under interference, through the library: another writer wins the aws-auth race, and
//! apply is stopped after every possible step and run again. Each time the cluster converges and
//! nothing accessctl does not manage is lost.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use accessctl::apply::{ApplyError, ApplyOptions, apply_cluster};
use accessctl::config::{self, SourceFile};
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use accessctl::model::Cluster;
use accessctl::plan::ChangeId;
use accessctl::plan::diff::diff;
use common::*;

fn cluster(text: &str) -> Cluster {
    let loaded = config::load(&[SourceFile::new("test.kdl", text)]);
    loaded.config.expect("valid test configuration").clusters.remove(0)
}

const NODE_MAPPING: &str = "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_auth_created_by_someone_else_between_read_and_write_is_merged() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let desired = cluster(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    aws-auth {\n        map-user \"arn:aws:iam::111122223333:user/bob\" username=\"bob\" {\n            groups \"viewers\"\n        }\n    }\n}\n",
    );
    let endpoints = Endpoints::sandbox(sb.url());
    let (live, conn) = read_cluster(&desired, &endpoints).await.unwrap();
    assert!(live.aws_auth.is_none(), "aws-auth does not exist yet");
    let plan = diff(&desired, &live);

    // A node group's bootstrap creates aws-auth just before accessctl's create lands.
    sb.before_next_kube_write(|world| {
        let mut c = world.clusters.remove("c").unwrap();
        world.put_config_map(
            &mut c,
            "kube-system",
            "aws-auth",
            &BTreeMap::from([("mapRoles".to_string(), NODE_MAPPING.to_string())]),
            0,
        );
        world.clusters.insert("c".into(), c);
    });
    let report =
        apply_cluster(&desired, &plan, &conn, &ApplyOptions::default(), &AtomicBool::new(false), &|_| {}).await;
    assert!(report.ok(), "{report:?}");
    let data = aws_auth_of(&sb, "c").await.unwrap().data.unwrap();
    assert!(data["mapRoles"].contains("arn:aws:iam::111122223333:role/nodes"), "the node mapping was lost: {data:?}");
    assert!(data["mapUsers"].contains("arn:aws:iam::111122223333:user/bob"), "{data:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_auth_changed_by_someone_else_between_read_and_write_is_merged() {
    let seed = format!(
        "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapRoles: |\n{}",
        NODE_MAPPING.lines().map(|l| format!("        {l}\n")).collect::<String>()
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let desired = cluster(
        "cluster \"c\" {\n    region \"eu-west-1\"\n    aws-auth {\n        map-user \"arn:aws:iam::111122223333:user/bob\" {\n            groups \"viewers\"\n        }\n    }\n}\n",
    );
    let endpoints = Endpoints::sandbox(sb.url());
    let (live, conn) = read_cluster(&desired, &endpoints).await.unwrap();
    let plan = diff(&desired, &live);
    // Someone adds a second node role right before accessctl's replace: its resourceVersion is stale.
    sb.before_next_kube_write(|world| {
        let mut c = world.clusters.remove("c").unwrap();
        let roles = format!("{NODE_MAPPING}{}", NODE_MAPPING.replace("role/nodes", "role/gpu-nodes"));
        world.put_config_map(&mut c, "kube-system", "aws-auth", &BTreeMap::from([("mapRoles".to_string(), roles)]), 0);
        world.clusters.insert("c".into(), c);
    });
    let report =
        apply_cluster(&desired, &plan, &conn, &ApplyOptions::default(), &AtomicBool::new(false), &|_| {}).await;
    assert!(report.ok(), "{report:?}");
    let data = aws_auth_of(&sb, "c").await.unwrap().data.unwrap();
    for arn in ["role/nodes", "role/gpu-nodes", "user/bob"] {
        assert!(data.values().any(|v| v.contains(arn)), "{arn} missing: {data:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_after_any_step_the_next_apply_converges_and_keeps_what_is_not_managed() {
    let quick_start =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quick-start.kdl")).unwrap();
    let desired = cluster(&quick_start);
    let total = {
        let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, updates_take(20)).await;
        let (live, _) = read_cluster(&desired, &Endpoints::sandbox(sb.url())).await.unwrap();
        diff(&desired, &live).changes.len()
    };
    assert!(total >= 7, "the quick start has {total} changes");
    for stop_after in 0..total {
        let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, updates_take(20)).await;
        let endpoints = Endpoints::sandbox(sb.url());
        let (live, conn) = read_cluster(&desired, &endpoints).await.unwrap();
        let plan = diff(&desired, &live);
        let cancel = AtomicBool::new(false);
        let finished = AtomicUsize::new(0);
        let report = apply_cluster(&desired, &plan, &conn, &ApplyOptions::default(), &cancel, &|_| {
            if finished.fetch_add(1, Ordering::SeqCst) + 1 >= stop_after {
                cancel.store(true, Ordering::SeqCst);
            }
        })
        .await;
        // Stopping ends a wait on a mode update at once (EKS goes on with it); nothing else fails.
        assert!(
            report.failed.iter().all(|(_, why)| matches!(why, ApplyError::InterruptedWaiting(_))),
            "stop after {stop_after}: {report:?}"
        );

        // The next run sees exactly the remainder, and converges.
        let (live, conn) = read_cluster(&desired, &endpoints).await.unwrap();
        let remainder = diff(&desired, &live);
        let remaining: std::collections::BTreeSet<&ChangeId> = remainder.changes.iter().map(|c| &c.id).collect();
        for done in &report.done {
            if *done != ChangeId::AwsAuth {
                assert!(!remaining.contains(done), "stop after {stop_after}: {done} was done but is planned again");
            }
        }
        let report =
            apply_cluster(&desired, &remainder, &conn, &ApplyOptions::default(), &AtomicBool::new(false), &|_| {})
                .await;
        assert!(report.ok(), "stop after {stop_after}: {report:?}");
        let (live, _) = read_cluster(&desired, &endpoints).await.unwrap();
        let after = diff(&desired, &live);
        assert!(after.changes.is_empty(), "stop after {stop_after}: still planned {:?}", after.changes);

        // Nothing accessctl does not manage was lost.
        assert!(live.entries.contains_key("arn:aws:iam::111122223333:role/ci-cluster-creator"));
        let data = aws_auth_of(&sb, "demo").await.unwrap().data.unwrap();
        for kept in ["demo-ng-general", "demo-ng-gpu", "demo-fargate-pods", "user/sandbox-admin", "user/bob"] {
            assert!(data.values().any(|v| v.contains(kept)), "stop after {stop_after}: {kept} lost");
        }
    }
}
