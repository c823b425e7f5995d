//! Nothing a client sends can crash the sandbox: random methods, paths (encoded and not), query
//! strings, content types and bodies — EKS, STS, Kubernetes and control routes — sent as raw
//! HTTP; after each, the sandbox still answers, and malformed requests get 4xx, never 5xx
//! (no fault injection is on).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use accessctl_sandbox::{Options, Sandbox};
use proptest::prelude::*;

fn send(addr: std::net::SocketAddr, method: &str, target: &str, content_type: &str, body: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sandbox\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1)?.parse().ok()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "clusters",
            "demo",
            "access-entries",
            "access-policies",
            "updates",
            "update-config",
            "tags",
            "k8s",
            "api",
            "apis",
            "v1",
            "namespaces",
            "kube-system",
            "configmaps",
            "aws-auth",
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            "rolebindings",
            "_sandbox",
            "faults",
            "counters",
            "state",
            "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fx",
            "arn:aws:iam::111122223333:role/x",
            "%ZZ",
            "..",
            "%00",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z0-9%:._~-]{0,12}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"{}".to_vec()),
        Just(br#"{"principalArn":"arn:aws:iam::111122223333:role/x","kubernetesGroups":["a"],"type":"STANDARD"}"#.to_vec()),
        Just(br#"{"accessConfig":{"authenticationMode":"API_AND_CONFIG_MAP"}}"#.to_vec()),
        Just(br#"{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","accessScope":{"type":"namespace","namespaces":[1]}}"#.to_vec()),
        Just(br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"},"data":{"mapRoles":"- [x"}}"#.to_vec()),
        Just(br#"[{"op":"remove","path":"/nope"}]"#.to_vec()),
        Just(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec()),
        Just(b"Action=AssumeRole&RoleArn=%E2%80".to_vec()),
        prop::collection::vec(any::<u8>(), 0..200),
        "[ -~]{0,200}".prop_map(String::into_bytes),
    ]
}

#[test]
fn random_requests_never_crash_the_sandbox() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sandbox: Sandbox = runtime.block_on(Sandbox::start(Options::default())).unwrap();
    let addr = sandbox.addr();
    let config = ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        segments in prop::collection::vec(segment(), 0..7),
        query in prop::option::of("[a-zA-Z=&%0-9]{0,30}"),
        content_type in prop::sample::select(vec![
            "application/json", "application/merge-patch+json", "application/json-patch+json",
            "application/apply-patch+yaml", "application/strategic-merge-patch+json",
            "application/x-www-form-urlencoded", "text/plain",
        ]),
        body in body(),
    )| {
        let mut target = format!("/{}", segments.join("/"));
        if let Some(q) = query {
            target.push('?');
            target.push_str(&q);
        }
        let status = send(addr, method, &target, content_type, &body);
        if let Some(status) = status {
            prop_assert!(status < 500, "{method} {target} ({content_type}) → {status}");
        }
        prop_assert_eq!(send(addr, "GET", "/_sandbox/health", "text/plain", b""), Some(200), "the sandbox stopped answering after {} {}", method, target);
    });
    drop(sandbox);
}
