//! One EKS call budget per account and region, shared by every cluster of a run: `--parallelism`
//! bounds the calls the sandbox sees in flight at once across all clusters, and a run against
//! EKS's request limit (the sandbox's token bucket) is slowed by it, never failed.

mod common;

use common::*;

/// `clusters` API-mode clusters `c0…` in account 111122223333, each with `entries` entries, and a
/// file declaring them all.
fn world(clusters: usize, entries: usize) -> (String, String) {
    let mut seed = String::from("clusters:\n");
    let mut file = String::new();
    for c in 0..clusters {
        seed.push_str(&format!("  - name: c{c}\n    authenticationMode: API\n    accessEntries:\n"));
        for e in 0..entries {
            seed.push_str(&format!(
                "      - principalArn: arn:aws:iam::111122223333:role/r{c}-{e}\n        policies:\n          AmazonEKSViewPolicy: []\n"
            ));
        }
        file.push_str(&format!("cluster \"c{c}\" {{\n    region \"eu-west-1\"\n}}\n"));
    }
    (seed, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallelism_bounds_the_eks_calls_in_flight_across_clusters() {
    let (seed, file) = world(8, 12);
    // Each call takes 30 ms, so calls sent together are seen together.
    let sb = sandbox(&seed, Faults { latency_ms: 30, ..Faults::default() }).await;
    let file = temp_file("parallelism", &file);
    for (parallelism, at_most) in [(3, 3), (24, 24)] {
        sb.reset_counters();
        let url = sb.url();
        let path = file.clone();
        tokio::task::spawn_blocking(move || {
            Accessctl::new()
                .endpoint(&url)
                .credentials(ADMIN)
                .args(&["plan", "-f", &path, "--parallelism", &parallelism.to_string()])
                .stdout_has("arn:aws:iam::111122223333:role/r7-11")
                .run()
        })
        .await
        .unwrap();
        let counters = sb.counters();
        let peak = counters.eks_peak_in_flight;
        assert!(peak <= at_most, "--parallelism {parallelism}: {peak} EKS calls were in flight at once");
        assert!(peak > at_most / 2, "--parallelism {parallelism}: only {peak} at once: the budget is not used");
        // Every entry read once: the 12 seeded and the creator's, which EKS made.
        assert_eq!(counters.calls["DescribeAccessEntry"], 8 * (12 + 1));
    }
    Accessctl::new()
        .args(&["plan", "-f", &file, "--parallelism", "0"])
        .status(2)
        .stderr_has("a number of calls from 1 to 1024")
        .run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_the_request_limit_of_its_account_is_slowed_not_failed() {
    // 6 clusters of one account, 10 entries each: about 130 calls against 40 a second with a
    // burst of 5, all clusters at once.
    let (seed, file) = world(6, 10);
    let sb = sandbox(&seed, Faults { rate_per_second: 40.0, burst: 5, ..Faults::default() }).await;
    let file = temp_file("rate-limited", &file);
    let url = sb.url();
    tokio::task::spawn_blocking(move || {
        Accessctl::new()
            .endpoint(&url)
            .credentials(ADMIN)
            .args(&["plan", "-f", &file])
            .stdout_has("arn:aws:iam::111122223333:role/r5-9")
            .stderr("")
            .run()
    })
    .await
    .unwrap();
    let counters = sb.counters();
    assert!(counters.faults.get("RateLimited").copied().unwrap_or(0) > 0, "the limit was reached: {counters:?}");
}
