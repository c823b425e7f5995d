//! `accessctl sandbox`: a local EKS + Kubernetes endpoint on loopback, the embedded default that
//! accessctl, the `aws` CLI and `kubectl` talk to unmodified, with no AWS account.
//!
//! `world` is the state, `seed` its starting point, `eks`/`sts`/`kube` the three APIs, `faults`
//! the injected failures and call counters, `server` the HTTP front. `Sandbox` starts it in-process
//! (tests, `plan --sandbox`) and the binary's `accessctl sandbox` runs it as a command.
//!
//! It answers from accessctl's access model (`accessctl-core`): the same `authenticate` and
//! `authorize` that `explain` and the plan's guards call enforce every request here.

pub mod access;
pub mod eks;
pub mod faults;
pub mod iam;
pub mod kube;
pub mod protobuf;
pub mod seed;
pub mod server;
pub mod sts;
pub mod tls;
pub mod token;
pub mod webhook;
pub mod world;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{Counters, Faults};
pub use seed::Seed;
use server::{Inner, Shared};
use world::World;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub seed: Seed,
    /// Persist the state here after each change, and start from it when it exists.
    pub state_file: Option<PathBuf>,
    pub faults: Faults,
    /// Seed of the fault dice, so a fault run can be repeated.
    pub rng_seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::default_seed(),
            state_file: None,
            faults: Faults { update_duration_ms: 1500, ..Faults::default() },
            rng_seed: 0x5eed,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox serves loopback only; {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot read the sandbox state {path}: {reason}")]
    State { path: PathBuf, reason: String },
    #[error("{0}")]
    Seed(String),
    #[error("cannot make the sandbox's TLS certificates: {0}")]
    Tls(String),
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    kube_addr: SocketAddr,
    ca_pem: String,
    shared: Arc<Shared>,
    shutdown: Option<watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    pub async fn start(options: Options) -> Result<Sandbox, SandboxError> {
        if !options.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback(options.listen));
        }
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|source| SandboxError::Listen { addr: options.listen, source })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Listen { addr: options.listen, source })?;
        let mut world = match &options.state_file {
            Some(path) if path.exists() => {
                let text = std::fs::read(path)
                    .map_err(|e| SandboxError::State { path: path.clone(), reason: e.to_string() })?;
                serde_json::from_slice::<World>(&text)
                    .map_err(|e| SandboxError::State { path: path.clone(), reason: e.to_string() })?
            }
            _ => World::from_seed(&options.seed, world::now_ms()).map_err(SandboxError::Seed)?,
        };
        // The Kubernetes API is served over TLS on a second loopback port (clients send bearer
        // tokens only over HTTPS); EKS, STS and the control API stay plain HTTP on the first.
        let kube_listener = TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .await
            .map_err(|source| SandboxError::Listen { addr, source })?;
        let kube_addr = kube_listener.local_addr().map_err(|source| SandboxError::Listen { addr, source })?;
        let certs = tls::Certificates::generate().map_err(|e| SandboxError::Tls(e.to_string()))?;
        world.base_url = format!("https://{kube_addr}");
        world.ca_pem = certs.ca_pem.clone();
        let shared = Shared::new(Inner {
            world,
            faults: options.faults.clone(),
            counters: Counters::default(),
            rng: fastrand::Rng::with_seed(options.rng_seed),
            state_file: options.state_file.clone(),
            before_next_kube_write: None,
            buckets: Default::default(),
        });
        let app = server::router(Arc::clone(&shared));
        let (tx, rx) = watch::channel(false);
        let mut stop = rx.clone();
        let plain = tokio::spawn({
            let app = app.clone();
            async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.changed().await;
                    })
                    .await;
            }
        });
        let secure = tokio::spawn(async move {
            let _ = tls::serve(kube_listener, &certs, app, rx).await;
        });
        Ok(Sandbox { addr, kube_addr, ca_pem: String::new(), shared, shutdown: Some(tx), tasks: vec![plain, secure] }
            .with_ca())
    }

    fn with_ca(mut self) -> Self {
        self.ca_pem = self.shared.lock().world.ca_pem.clone();
        self
    }

    /// The PEM of the CA that signed the Kubernetes endpoint's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint for AWS clients (`AWS_ENDPOINT_URL`): EKS and STS.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A cluster's Kubernetes API endpoint, as DescribeCluster reports it.
    pub fn kube_url(&self, cluster: &str) -> String {
        eks::endpoint_for(&format!("https://{}", self.kube_addr), cluster)
    }

    pub fn counters(&self) -> Counters {
        self.shared.lock().counters.clone()
    }

    pub fn reset_counters(&self) {
        self.shared.lock().counters = Counters::default();
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults = faults;
    }

    /// Reads or changes the state directly: for tests that play "someone else" (a node group
    /// writing aws-auth between accessctl's read and write).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut inner = self.shared.lock();
        let out = f(&mut inner.world);
        server::persist(&inner);
        out
    }

    /// Runs `hook` on the state just before the next Kubernetes write is served.
    pub fn before_next_kube_write(&self, hook: impl FnOnce(&mut World) + Send + 'static) {
        self.shared.lock().before_next_kube_write = Some(Box::new(hook));
    }

    pub fn cluster_names(&self) -> Vec<String> {
        self.shared.lock().world.clusters.keys().cloned().collect()
    }

    /// Stops serving and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
    }
}
