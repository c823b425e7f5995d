//! Applying a plan that creates one cluster's 2,999 access entries × 2 policy associations (the
//! EKS quota of 3,000 with the creator's) — 8,997 EKS calls, one per change — at 0, 20 and 50 ms
//! injected latency, with serial boto3 and `aws` CLI applies of a sample on the same endpoint at
//! 20 ms; then 20 % and 40 % random throttling; then a sandbox request limit shared by the
//! account, where 50 clusters apply at once. Prints wall time, EKS calls per change, and the
//! ratio to the bound: calls × latency ÷ the concurrency used, or calls ÷ the allowed rate.
//! Run: `cargo bench --bench apply`.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

mod common;

use accessctl::apply::{ApplyOptions, apply_cluster};
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_all;
use accessctl::plan::diff::diff;
use accessctl_sandbox::{Faults, Options, Sandbox, Seed};

/// accessctl's budget per account and region: at most 32 EKS calls in flight (`--parallelism`).
const CONCURRENCY: f64 = 32.0;

/// A serial boto3 apply of N new entries with their two policies (argv: endpoint, N): the
/// seconds per entry.
const BOTO3_SERIAL: &str = r#"
import sys, time, boto3
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-west-1",
                   aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
n = int(sys.argv[2])
policy = "arn:aws:eks::aws:cluster-access-policy/"
started = time.monotonic()
for i in range(n):
    arn = f"arn:aws:iam::111122223333:role/boto3-{i}"
    eks.create_access_entry(clusterName="c0", principalArn=arn, kubernetesGroups=[f"team-{i % 40}"])
    eks.associate_access_policy(clusterName="c0", principalArn=arn, policyArn=policy + "AmazonEKSViewPolicy",
                                accessScope={"type": "cluster"})
    eks.associate_access_policy(clusterName="c0", principalArn=arn, policyArn=policy + "AmazonEKSEditPolicy",
                                accessScope={"type": "namespace", "namespaces": [f"team-{i % 40}"]})
print((time.monotonic() - started) / n)
"#;

/// `count` empty clusters in API mode, and a file declaring `entries` entries with two policies
/// (one cluster-wide, one namespaced) in each.
fn setup(clusters: usize, entries: usize) -> (Seed, accessctl::model::Configuration) {
    let mut seed = String::from("clusters:\n");
    let mut text = String::new();
    for i in 0..entries {
        text.push_str(&format!("principal \"dev-{i}\" \"arn:aws:iam::111122223333:role/dev-{i}\"\n"));
    }
    for c in 0..clusters {
        seed.push_str(&format!("  - name: c{c}\n    authenticationMode: API\n"));
        text.push_str(&format!("cluster \"c{c}\" {{\n    region \"eu-west-1\"\n"));
        for i in 0..entries {
            text.push_str(&format!(
                "    access-entry \"dev-{i}\" {{\n        groups \"team-{t}\"\n        policy \"AmazonEKSViewPolicy\"\n        policy \"AmazonEKSEditPolicy\" {{\n            namespaces \"team-{t}\"\n        }}\n    }}\n",
                t = i % 40
            ));
        }
        text.push_str("}\n");
    }
    let loaded = accessctl::config::load(&[accessctl::config::SourceFile::new("bench.kdl", &text)]);
    (Seed::parse(&seed).unwrap(), loaded.config.expect("the bench's file is valid"))
}

/// EKS calls counted by the sandbox: those answered and those it throttled.
fn eks_calls(sb: &Sandbox) -> (u64, u64) {
    let counters = sb.counters();
    let calls = counters.calls.iter().filter(|(k, _)| !k.contains(':')).map(|(_, n)| n).sum();
    let throttled = counters.faults.values().sum();
    (calls, throttled)
}

struct Applied {
    wall: f64,
    changes: usize,
    failed: usize,
}

/// Reads every cluster, plans, and applies all clusters at once, as `apply` does; timed from the
/// first change to the last (the read is the plan bench's).
async fn apply_all(sb: &Sandbox, config: &accessctl::model::Configuration) -> Applied {
    let endpoints = Endpoints::sandbox(sb.url());
    let read: Vec<_> = read_all(&config.clusters, &endpoints).await.into_iter().map(|r| r.unwrap()).collect();
    let plans: Vec<_> = config.clusters.iter().zip(&read).map(|(c, (live, _))| diff(c, live)).collect();
    let changes = plans.iter().map(|p| p.changes.len()).sum();
    sb.reset_counters();
    let cancel = AtomicBool::new(false);
    let options = ApplyOptions::default();
    let started = Instant::now();
    let reports = futures_util::future::join_all(
        config
            .clusters
            .iter()
            .zip(&plans)
            .zip(&read)
            .map(|((c, plan), (_, conn))| apply_cluster(c, plan, conn, &options, &cancel, &|_| {})),
    )
    .await;
    let wall = started.elapsed().as_secs_f64();
    let failed = reports.iter().map(|r| r.failed.len() + r.not_started.len()).sum();
    for (change, error) in reports.iter().flat_map(|r| &r.failed).take(3) {
        eprintln!("failed: {change:?}: {error}");
    }
    Applied { wall, changes, failed }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        // EKS's quota is 3,000 entries a cluster, the creator's included.
        let entries = 2999;
        let (seed, config) = setup(1, entries);
        println!("apply: 1 cluster, {entries} new access entries × 2 policy associations");
        println!(
            "{:>8} {:>10} {:>8} {:>10} {:>10} {:>16}",
            "latency", "wall", "changes", "calls", "per change", "vs concurrent"
        );
        let mut at_20ms = 0.0;
        for latency in [0u64, 20, 50] {
            let faults = Faults { latency_ms: latency, ..Faults::default() };
            let sb = Sandbox::start(Options { seed: seed.clone(), faults, ..Options::default() }).await.unwrap();
            let applied = apply_all(&sb, &config).await;
            assert_eq!(applied.failed, 0);
            let (calls, _) = eks_calls(&sb);
            let bound = latency as f64 / 1000.0 * calls as f64 / CONCURRENCY;
            let ratio = if bound == 0.0 { "-".to_string() } else { format!("{:.2}×", applied.wall / bound) };
            if latency == 20 {
                at_20ms = applied.wall;
            }
            println!(
                "{:>6}ms {:>9.2}s {:>8} {:>10} {:>10.2} {:>16}",
                latency,
                applied.wall,
                applied.changes,
                calls,
                calls as f64 / applied.changes as f64,
                ratio
            );
        }

        // The baselines a person would script, one call after another on the same endpoint at
        // 20 ms: create each entry, then associate its two policies — boto3, and the aws CLI.
        let sb = Sandbox::start(Options {
            seed: seed.clone(),
            faults: Faults { latency_ms: 20, ..Faults::default() },
            ..Options::default()
        })
        .await
        .unwrap();
        let sample = 100;
        let boto3 = common::boto3_per_entry(BOTO3_SERIAL, &sb.url(), sample);
        common::report("boto3", boto3, sample, entries, at_20ms);
        let sample = 10;
        let aws = common::AwsCli::find(&sb.url()).map(|aws| {
            let started = Instant::now();
            let policy = "arn:aws:eks::aws:cluster-access-policy/";
            for i in 0..sample {
                let arn = format!("arn:aws:iam::111122223333:role/cli-{i}");
                let entry = ["--cluster-name", "c0", "--principal-arn", arn.as_str()];
                aws.run(&[&["eks", "create-access-entry"][..], &entry].concat());
                let namespaced = format!("type=namespace,namespaces=team-{}", i % 40);
                for (name, scope) in [("AmazonEKSViewPolicy", "type=cluster"), ("AmazonEKSEditPolicy", &namespaced)] {
                    let arn = format!("{policy}{name}");
                    let association = ["--policy-arn", arn.as_str(), "--access-scope", scope];
                    aws.run(&[&["eks", "associate-access-policy"][..], &entry, &association].concat());
                }
            }
            started.elapsed().as_secs_f64() / f64::from(sample)
        });
        common::report("aws CLI", aws, sample, entries, at_20ms);

        // Random throttling: the apply slows down and converges in one run.
        println!("apply under random throttling (20 ms latency), {entries} entries:");
        println!("{:>10} {:>10} {:>10} {:>10} {:>8}", "throttled", "wall", "calls", "throttles", "failed");
        for rate in [0.2, 0.4] {
            let faults = Faults { latency_ms: 20, throttle_rate: rate, ..Faults::default() };
            let sb = Sandbox::start(Options { seed: seed.clone(), faults, ..Options::default() }).await.unwrap();
            let applied = apply_all(&sb, &config).await;
            let (calls, throttled) = eks_calls(&sb);
            println!(
                "{:>9.0}% {:>9.2}s {:>10} {:>10} {:>8}",
                rate * 100.0,
                applied.wall,
                calls,
                throttled,
                applied.failed
            );
        }

        // EKS's request limit for the account and region: the calls of every cluster of the run
        // share it; the bound is the calls the limit let through divided by its rate.
        let (rate, burst) = (200.0, 20u32);
        for (clusters, per_cluster) in [(1usize, 500usize), (50, 10)] {
            let (seed, config) = setup(clusters, per_cluster);
            let faults = Faults { latency_ms: 10, rate_per_second: rate, burst, ..Faults::default() };
            let sb = Sandbox::start(Options { seed, faults, ..Options::default() }).await.unwrap();
            let applied = apply_all(&sb, &config).await;
            let (calls, throttled) = eks_calls(&sb);
            let accepted = calls - throttled;
            let bound = (accepted as f64 - f64::from(burst)).max(0.0) / rate;
            println!(
                "apply, {clusters} cluster(s) × {per_cluster} entries × 2 policies in one account, limit {rate}/s \
                 (burst {burst}), 10 ms latency: {:.2} s, {accepted} calls served + {throttled} throttled attempts, \
                 {} changes failed; bound {bound:.2} s → {:.2}×",
                applied.wall,
                applied.failed,
                applied.wall / bound
            );
        }
    });
}
