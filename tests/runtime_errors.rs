//! Runtime failures are said as the configuration's problems are: a stable code, what happened to
//! which cluster, and a help that fits the cause (throttled is not a credentials problem) — every
//! cluster that failed, and never the SDK's debug dump. Each case is the real binary against the
//! sandbox (or nothing at all, for an endpoint that cannot be reached).

mod common;

use common::*;

const TWO: &str = "cluster \"c\" {\n    region \"eu-west-1\"\n}\ncluster \"missing\" {\n    region \"eu-west-1\"\n}\n";

/// Asserts a failed run that names `code` and `help`, and prints no Rust debug output.
fn fails_with(run: &Run, code: &str, help: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(code), "{code} in:\n{}", run.stderr);
    assert!(run.stderr.contains(help), "{help:?} in:\n{}", run.stderr);
    for dump in ["{ source", "Some(", "DispatchFailure(", "ConnectorError"] {
        assert!(!run.stderr.contains(dump), "a debug dump ({dump}):\n{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cluster_that_cannot_be_read_is_named_with_its_cause() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file("two", TWO);
    let run = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file]).status(1).run();
    fails_with(&run, "accessctl::aws::not_found", "no such cluster in this account and region");
    assert!(
        run.stderr.contains("cluster `missing`: DescribeCluster failed: ResourceNotFoundException"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("cluster `c`"), "the readable cluster is not an error:\n{}", run.stderr);

    let run = Accessctl::new()
        .sandbox(&sb)
        .credentials(("AKIAUNKNOWN", "nope", None::<&str>))
        .args(&["plan", "-f", &file])
        .status(1)
        .run();
    fails_with(&run, "accessctl::aws::invalid_credentials", "AWS does not know these credentials");
    assert!(run.stderr.contains("cannot read live state (2 of the clusters)"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_that_outlasts_the_retries_is_not_called_a_credentials_problem() {
    let sb = sandbox(ONE_API_CLUSTER, Faults { throttle_rate: 1.0, ..Faults::default() }).await;
    let file = temp_file("throttled", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    // Two attempts (the standard AWS_MAX_ATTEMPTS setting), so that giving up comes soon.
    let run = tokio::task::spawn_blocking(move || {
        Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file]).env("AWS_MAX_ATTEMPTS", "2").status(1).run()
    })
    .await
    .unwrap();
    fails_with(&run, "accessctl::aws::throttled", "this is not a credentials problem");
}

#[test]
fn no_credentials_anywhere_says_where_they_are_looked_for() {
    let file = temp_file("no-credentials", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    // The builder's environment has no credentials, profiles or instance metadata.
    let run =
        Accessctl::new().args(&["plan", "-f", &file, "--timeout", "2"]).endpoint("http://127.0.0.1:9").status(1).run();
    fails_with(&run, "accessctl::aws::no_credentials", "set AWS_PROFILE");
}

#[test]
fn an_endpoint_that_cannot_be_reached_is_said_so() {
    // Nothing listens on the discard port of loopback.
    let file = temp_file("unreachable", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    let run = Accessctl::new()
        .args(&["plan", "-f", &file, "--timeout", "1"])
        .endpoint("http://127.0.0.1:9")
        .credentials(ADMIN)
        .status(1)
        .stderr_has("--endpoint-url")
        .run();
    let said = ["accessctl::aws::unreachable", "accessctl::aws::timed_out"];
    assert!(said.iter().any(|c| run.stderr.contains(c)), "{}", run.stderr);
}

/// An entry deleted between the listing and its reading (another apply, a person) is gone, not an
/// error: a second listing confirms it, and the plan goes on without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_deleted_while_it_is_read_is_gone_not_an_error() {
    let seed =
        format!("{ONE_API_CLUSTER}    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/leaving\n");
    // Every call takes 400 ms: the entry is deleted while its DescribeAccessEntry waits.
    let sb = sandbox(&seed, Faults { latency_ms: 400, ..Faults::default() }).await;
    let file = temp_file("deleted-meanwhile", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    let url = sb.url();
    let plan = tokio::task::spawn_blocking(move || {
        Accessctl::new()
            .endpoint(&url)
            .credentials(ADMIN)
            .args(&["plan", "-f", &file])
            .stdout_lacks("role/leaving")
            .run()
    });
    let started = std::time::Instant::now();
    while sb.counters().calls.get("DescribeAccessEntry").copied().unwrap_or(0) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the plan never read an entry");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let removed = sb.with_world(|w| {
        w.clusters.get_mut("c").unwrap().entries.remove("arn:aws:iam::111122223333:role/leaving").is_some()
    });
    assert!(removed, "the entry existed when the plan listed it");
    plan.await.unwrap();
    assert_eq!(sb.counters().calls["ListAccessEntries"], 2, "a second listing confirmed it was gone");
}
