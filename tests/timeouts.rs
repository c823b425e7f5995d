//! An endpoint that accepts the connection and never answers fails the run in bounded time, with
//! a message that says so — it never hangs a pipeline. Both sides: EKS (the sandbox slowed far
//! past `--timeout`), and a Kubernetes API server that never answers (a listener that accepts and
//! stays silent).

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_eks_endpoint_fails_the_plan_in_bounded_time() {
    let sb = sandbox(ONE_API_CLUSTER, Faults { latency_ms: 120_000, ..Faults::default() }).await;
    let file = temp_file("silent-eks", "cluster \"c\" {\n    region \"eu-west-1\"\n}\n");
    plan_fails_within(sb, file, "no answer in time", Duration::from_secs(30)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_kubernetes_api_fails_the_plan_in_bounded_time() {
    // Accepts every connection and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = std::env::temp_dir().join(format!("accessctl-silent-kube-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster:\n    server: https://127.0.0.1:{port}\n    \
             insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: silent\n  context:\n    \
             cluster: silent\n    user: u\ncurrent-context: silent\n"
        ),
    )
    .unwrap();
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file(
        "silent-kube",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    kubernetes kubeconfig=\"{}\" context=\"silent\"\n}}\n",
            kubeconfig.display()
        ),
    );
    plan_fails_within(sb, file, "Kubernetes API cannot be read", Duration::from_secs(40)).await;
}

/// `plan --timeout 1` fails, saying `why`, in less than `bound`.
async fn plan_fails_within(sb: Sandbox, file: String, why: &str, bound: Duration) {
    let started = Instant::now();
    let why = why.to_string();
    tokio::task::spawn_blocking(move || {
        Accessctl::new().sandbox(&sb).args(&["plan", "--timeout", "1", "-f", &file]).status(1).stderr_has(&why).run()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(took < bound, "took {took:?} with --timeout 1");
}
