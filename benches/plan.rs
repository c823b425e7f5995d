//! Reading live state for a plan of one cluster with 3,000 access entries × 2 policy
//! associations (the EKS quota), at 0, 20 and 50 ms injected latency per call. Prints wall time,
//! API calls made, and the ratio to two lower bounds: one call after another (what a serial
//! script pays), and accessctl's own concurrency (32 calls at once) at zero overhead; then the same
//! read under 20 % and 40 % random throttling, and 50 clusters of one account against a request
//! limit (the sandbox's token bucket) they share, against calls ÷ rate.
//! Also the sandbox's own cost per call (0 ms latency), and serial boto3 and `aws` CLI reads of a
//! sample of the same entries on the same endpoint at 20 ms, side by side with accessctl's read at
//! 20 ms. Run: `cargo bench --bench plan`.

use std::time::{Duration, Instant};

mod common;

use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use accessctl_sandbox::{Faults, Options, Sandbox, Seed};

const ENTRIES: usize = 3000;
/// accessctl's budget per account and region: at most 32 EKS calls in flight (`--parallelism`).
const CONCURRENCY: f64 = 32.0;

fn seed() -> String {
    let mut s = String::from("clusters:\n  - name: big\n    authenticationMode: API\n    accessEntries:\n");
    for i in 0..ENTRIES {
        s.push_str(&format!(
            "      - principalArn: arn:aws:iam::111122223333:role/dev-{i}\n        kubernetesGroups: [team-{t}]\n        policies:\n          AmazonEKSViewPolicy: []\n          AmazonEKSEditPolicy: [team-{t}]\n",
            t = i % 40
        ));
    }
    s
}

/// A serial boto3 read of the first N entries (argv: endpoint, N): the seconds per entry.
const BOTO3_SERIAL: &str = r#"
import sys, time, boto3
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-west-1",
                   aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
n = int(sys.argv[2])
started = time.monotonic()
eks.list_access_entries(clusterName="big", maxResults=100)
for i in range(n):
    arn = f"arn:aws:iam::111122223333:role/dev-{i}"
    eks.describe_access_entry(clusterName="big", principalArn=arn)
    eks.list_associated_access_policies(clusterName="big", principalArn=arn)
print((time.monotonic() - started) / n)
"#;

fn cluster() -> accessctl::model::Cluster {
    let text = "cluster \"big\" {\n    region \"eu-west-1\"\n}\n";
    accessctl::config::load(&[accessctl::config::SourceFile::new("b.kdl", text)]).config.unwrap().clusters.remove(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let seed = Seed::parse(&seed()).unwrap();
        let sb = Sandbox::start(Options { seed, faults: Faults::default(), ..Options::default() }).await.unwrap();
        let endpoints = Endpoints::sandbox(sb.url());
        let desired = cluster();
        println!("plan read: 1 cluster, {ENTRIES} access entries × 2 policy associations");
        println!("{:>8} {:>10} {:>7} {:>14} {:>16}", "latency", "wall", "calls", "vs serial", "vs concurrent");
        let mut at_20ms = 0.0;
        for latency in [0u64, 20, 50] {
            sb.set_faults(Faults { latency_ms: latency, ..Faults::default() });
            sb.reset_counters();
            let started = Instant::now();
            let (live, _) = read_cluster(&desired, &endpoints).await.unwrap();
            let wall = started.elapsed();
            if latency == 20 {
                at_20ms = wall.as_secs_f64();
            }
            // The seeded entries and the one EKS made for the cluster's creator.
            assert_eq!(live.entries.len(), ENTRIES + 1);
            let calls = sb.counters().total();
            let serial = Duration::from_millis(latency * calls);
            let concurrent = Duration::from_secs_f64(latency as f64 / 1000.0 * (calls as f64 / CONCURRENCY));
            let ratio = |bound: Duration| if bound.is_zero() { "-".to_string() } else { format!("{:.2}×", wall.as_secs_f64() / bound.as_secs_f64()) };
            println!("{:>6}ms {:>9.2}s {:>7} {:>14} {:>16}", latency, wall.as_secs_f64(), calls, ratio(serial), ratio(concurrent));
        }

        // Random throttling on every call: the run slows down, it does not fail.
        println!("plan read under random throttling (20 ms latency):");
        println!("{:>10} {:>10} {:>7} {:>10} {:>16}", "throttled", "wall", "calls", "result", "vs unthrottled");
        sb.set_faults(Faults { latency_ms: 20, ..Faults::default() });
        let started = Instant::now();
        read_cluster(&desired, &endpoints).await.unwrap();
        let unthrottled = started.elapsed();
        for rate in [0.2, 0.4] {
            sb.set_faults(Faults { latency_ms: 20, throttle_rate: rate, ..Faults::default() });
            sb.reset_counters();
            let started = Instant::now();
            let read = read_cluster(&desired, &endpoints).await;
            let wall = started.elapsed();
            let result = match &read { Ok((live, _)) if live.entries.len() == ENTRIES + 1 => "ok", Ok(_) => "incomplete", Err(_) => "FAILED" };
            println!("{:>9.0}% {:>9.2}s {:>7} {:>10} {:>15.2}×", rate * 100.0, wall.as_secs_f64(), sb.counters().total(), result,
                wall.as_secs_f64() / unthrottled.as_secs_f64());
        }

        // Many clusters of one account against EKS's request limit for the account and region:
        // they share one budget; the bound is the calls divided by the allowed rate.
        let (clusters, per_cluster, rate, burst) = (50usize, 20usize, 200.0, 20u32);
        let mut many = String::from("clusters:\n");
        let mut text = String::new();
        for c in 0..clusters {
            many.push_str(&format!("  - name: m{c}\n    authenticationMode: API\n    accessEntries:\n"));
            for e in 0..per_cluster {
                many.push_str(&format!("      - principalArn: arn:aws:iam::111122223333:role/m{c}-{e}\n        policies:\n          AmazonEKSViewPolicy: []\n"));
            }
            text.push_str(&format!("cluster \"m{c}\" {{\n    region \"eu-west-1\"\n}}\n"));
        }
        let many_sb = Sandbox::start(Options {
            seed: Seed::parse(&many).unwrap(),
            faults: Faults { latency_ms: 10, rate_per_second: rate, burst, ..Faults::default() },
            ..Options::default()
        })
        .await
        .unwrap();
        let config = accessctl::config::load(&[accessctl::config::SourceFile::new("m.kdl", &text)]).config.unwrap();
        let started = Instant::now();
        let results = accessctl::live::read::read_all(&config.clusters, &Endpoints::sandbox(many_sb.url())).await;
        let wall = started.elapsed();
        let failed = results.iter().filter(|r| r.is_err()).count();
        let counters = many_sb.counters();
        let eks_calls: u64 = counters.calls.iter().filter(|(k, _)| !k.starts_with("sts:") && !k.starts_with("k8s:")).map(|(_, n)| n).sum();
        let limited = counters.faults.get("RateLimited").copied().unwrap_or(0);
        let accepted = eks_calls - limited;
        let bound = (accepted as f64 - burst as f64).max(0.0) / rate;
        println!(
            "plan read, {clusters} clusters × {per_cluster} entries in one account, limit {rate}/s (burst {burst}), 10 ms latency: \
             {:.2} s, {accepted} calls served + {limited} throttled attempts, {failed} clusters failed; bound {:.2} s → {:.2}×, \
             peak {} calls in flight",
            wall.as_secs_f64(), bound, wall.as_secs_f64() / bound, counters.eks_peak_in_flight
        );

        // The sandbox's own cost per call: one DescribeAccessEntry after another, no latency.
        sb.set_faults(Faults::default());
        let eks = {
            let config = aws_sdk_eks::Config::builder()
                .behavior_version(aws_sdk_eks::config::BehaviorVersion::latest())
                .region(aws_sdk_eks::config::Region::new("eu-west-1"))
                .endpoint_url(sb.url())
                .credentials_provider(aws_sdk_eks::config::Credentials::new("s", "s", None, None, "bench"))
                .build();
            aws_sdk_eks::Client::from_conf(config)
        };
        let n = 500;
        let started = Instant::now();
        for i in 0..n {
            eks.describe_access_entry().cluster_name("big").principal_arn(format!("arn:aws:iam::111122223333:role/dev-{i}")).send().await.unwrap();
        }
        let per_call = started.elapsed() / n;
        println!("sandbox + SDK round trip per call at 0 ms latency: {:.3} ms ({:.1}% of a 20 ms injected latency)",
            per_call.as_secs_f64() * 1e3, per_call.as_secs_f64() * 1e3 / 20.0 * 100.0);

        // The baselines a person would script, one call after another on the same endpoint and
        // latency: boto3, and the aws CLI.
        sb.set_faults(Faults { latency_ms: 20, ..Faults::default() });
        let sample = 200;
        let boto3 = common::boto3_per_entry(BOTO3_SERIAL, &sb.url(), sample);
        common::report("boto3", boto3, sample, ENTRIES, at_20ms);
        let sample = 20;
        let aws = common::AwsCli::find(&sb.url()).map(|aws| {
            let started = Instant::now();
            aws.run(&["eks", "list-access-entries", "--cluster-name", "big", "--max-items", "1"]);
            for i in 0..sample {
                let arn = format!("arn:aws:iam::111122223333:role/dev-{i}");
                aws.run(&["eks", "describe-access-entry", "--cluster-name", "big", "--principal-arn", &arn]);
                aws.run(&["eks", "list-associated-access-policies", "--cluster-name", "big", "--principal-arn", &arn]);
            }
            started.elapsed().as_secs_f64() / f64::from(sample)
        });
        common::report("aws CLI", aws, sample, ENTRIES, at_20ms);
    });
}
