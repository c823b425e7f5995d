//! A Kubernetes client for one cluster, from what DescribeCluster says (endpoint and CA) and a
//! bearer token, so no kubeconfig is needed.

use base64::Engine;
use secrecy::SecretString;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;

#[derive(Debug, thiserror::Error)]
pub enum KubeConnectError {
    #[error("the cluster endpoint `{endpoint}` is not a URL: {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("the cluster's certificate authority is not base64-encoded PEM: {0}")]
    CertificateAuthority(String),
    #[error("cannot build the Kubernetes client: {0}")]
    Client(#[from] kube::Error),
}

/// Connects to `endpoint`, trusting the base64-encoded PEM `ca_data` (as DescribeCluster's
/// `certificateAuthority.data` gives it), authenticating with `token`.
pub fn connect(endpoint: &str, ca_data: Option<&str>, token: String) -> Result<kube::Client, KubeConnectError> {
    connect_with_timeout(endpoint, ca_data, token, crate::live::aws::DEFAULT_TIMEOUT)
}

/// [`connect`], each request bounded by `timeout` (connecting, and waiting for the answer).
pub fn connect_with_timeout(
    endpoint: &str,
    ca_data: Option<&str>,
    token: String,
    timeout: std::time::Duration,
) -> Result<kube::Client, KubeConnectError> {
    let url: http::Uri = endpoint.parse().map_err(|e: http::uri::InvalidUri| KubeConnectError::Endpoint {
        endpoint: endpoint.to_string(),
        reason: e.to_string(),
    })?;
    let mut config = kube::Config::new(url);
    if let Some(data) = ca_data.filter(|d| !d.is_empty()) {
        config.root_cert = Some(ca_certificates(data)?);
    }
    config.auth_info.token = Some(SecretString::from(token));
    config.default_namespace = "kube-system".to_string();
    bound(&mut config, timeout);
    Ok(kube::Client::try_from(config)?)
}

/// Bounds every request of a client: an API server that accepts the connection and never
/// answers fails the call (and is retried as a transient failure) instead of hanging the run.
pub fn bound(config: &mut kube::Config, timeout: std::time::Duration) {
    config.connect_timeout = Some(timeout.min(std::time::Duration::from_secs(10)));
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
}

fn ca_certificates(data: &str) -> Result<Vec<Vec<u8>>, KubeConnectError> {
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| KubeConnectError::CertificateAuthority(e.to_string()))?;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| KubeConnectError::CertificateAuthority(e.to_string()))?;
    if certs.is_empty() {
        return Err(KubeConnectError::CertificateAuthority("no certificate in it".into()));
    }
    Ok(certs)
}

/// A Kubernetes error as a person reads it: the API server's own message and status, or the
/// error's chain of causes — never a debug dump.
pub fn kube_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.message.is_empty() => format!("{} ({} {})", s.message, s.code, s.reason),
        kube::Error::Api(s) => format!("{} {}", s.code, s.reason),
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// How many times a Kubernetes call is tried before its error is the answer.
const ATTEMPTS: u32 = 6;

/// Whether an error is worth asking again: the API server throttled (429, API priority and
/// fairness), had trouble of its own (5xx: etcd, a webhook timing out), or the connection failed.
/// 401/403/404/409 and bad data are answers, not accidents.
pub fn transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 429 || s.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Runs `call` until it answers something other than a transient error, at most [`ATTEMPTS`]
/// times, with jittered exponential backoff (50 ms doubling, at most 1 s). Only for calls that are
/// safe to repeat: reads, and writes that carry a resourceVersion or treat 404/409 as done.
pub async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if transient(&e) && attempt + 1 < ATTEMPTS => {
                let ceiling = (50u64 << attempt).min(1_000);
                tokio::time::sleep(std::time::Duration::from_millis(ceiling / 2 + fastrand::u64(0..=ceiling / 2)))
                    .await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
