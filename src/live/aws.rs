//! AWS clients for one cluster: the standard credential chain (environment, profile, SSO, web
//! identity), the cluster's region, an optional role to assume (multi-account pipelines), and an
//! optional endpoint override (`--endpoint-url`; `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_EKS` are
//! honoured by the SDK itself).

use aws_config::BehaviorVersion;
use std::sync::Arc;
use std::time::Duration;

use super::limiter::{Limiter, Observe};

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_eks::config::Region;
use aws_sdk_eks::config::retry::{RetryPartition, TokenBucket};

use crate::model::Cluster;

/// The clients and credentials accessctl uses for one cluster.
#[derive(Clone, Debug)]
pub struct ClusterClients {
    pub eks: aws_sdk_eks::Client,
    pub sts: aws_sdk_sts::Client,
    pub iam: aws_sdk_iam::Client,
    pub credentials: Option<SharedCredentialsProvider>,
    pub region: String,
    /// The EKS call budget of these credentials' account in this region, shared by every
    /// cluster reached with them.
    pub limiter: Arc<Limiter>,
    /// One call's bound, for the Kubernetes client too.
    pub timeout: Duration,
}

/// Where the AWS APIs are, when not at AWS, and how long a call to them may take.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub endpoint_url: Option<String>,
    /// Use fixed dummy credentials (the local sandbox needs no AWS account) instead of the chain.
    pub dummy_credentials: bool,
    /// How long one attempt of one call (AWS or Kubernetes) may take: an endpoint that accepts
    /// the connection and never answers fails the call instead of hanging the run.
    pub timeout: Duration,
    /// At most this many EKS calls in flight per account and region (`--parallelism`).
    pub parallelism: usize,
}

/// Attempts of one EKS call: enough that 40 % of attempts throttled fails one call in millions;
/// each call is bounded in time besides (`operation_timeout`).
const EKS_MAX_ATTEMPTS: u32 = 16;

/// One attempt's default bound: far above any healthy answer, far below "hung".
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            endpoint_url: None,
            dummy_credentials: false,
            timeout: DEFAULT_TIMEOUT,
            parallelism: super::limiter::DEFAULT_PARALLELISM,
        }
    }
}

impl Endpoints {
    /// The endpoints of a local sandbox at `url`.
    pub fn sandbox(url: String) -> Endpoints {
        Endpoints { endpoint_url: Some(url), dummy_credentials: true, ..Endpoints::default() }
    }
}

/// What makes two clusters' clients the same: their region and the role assumed for them.
pub fn clients_key(cluster: &Cluster) -> String {
    match &cluster.assume_role {
        None => cluster.region.clone(),
        Some(a) => format!(
            "{}|{}|{}|{}",
            cluster.region,
            a.role_arn,
            a.session_name.as_deref().unwrap_or_default(),
            a.external_id.as_deref().unwrap_or_default()
        ),
    }
}

pub async fn clients_for(cluster: &Cluster, endpoints: &Endpoints) -> ClusterClients {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(cluster.region.clone()))
        // Each attempt is bounded, and the whole call (its retries included) too.
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(endpoints.timeout.min(Duration::from_secs(10)))
                .operation_attempt_timeout(endpoints.timeout)
                .operation_timeout(endpoints.timeout * 4)
                .build(),
        );
    // Throttling and 5xx are retried by the SDK with jittered backoff (8 attempts, unless the
    // standard AWS_MAX_ATTEMPTS / AWS_RETRY_MODE settings say otherwise: `AWS_RETRY_MODE=adaptive`
    // trades speed for surviving sustained throttling); apply adds the eventual-consistency
    // retries the SDK cannot know about.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() && std::env::var_os("AWS_RETRY_MODE").is_none() {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(8));
    }
    if let Some(url) = &endpoints.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if endpoints.dummy_credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            "sandbox",
            "sandbox",
            None,
            None,
            "accessctl-sandbox",
        ));
    }
    let mut config = loader.load().await;
    if let Some(assume) = &cluster.assume_role {
        let mut builder = AssumeRoleProvider::builder(assume.role_arn.to_string())
            .session_name(assume.session_name.clone().unwrap_or_else(|| "accessctl".into()))
            .region(Region::new(cluster.region.clone()));
        if let Some(id) = &assume.external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.configure(&config).build().await;
        config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
    }
    let limiter = Limiter::new(endpoints.parallelism);
    let mut eks = aws_sdk_eks::config::Builder::from(&config).interceptor(Observe(Arc::clone(&limiter)));
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() && std::env::var_os("AWS_RETRY_MODE").is_none() {
        // Throttling is retried until the call's time bound, not until a shared retry quota runs
        // dry (the SDK's default bucket empties after a hundred throttles, and every call after
        // that gets one attempt): the budget above makes the calls fewer instead.
        let partition = RetryPartition::custom(format!("accessctl-eks-{}", clients_key(cluster)))
            .token_bucket(TokenBucket::unlimited())
            .build();
        // Short backoffs: a throttle now and then is retried at once; the budget, not long
        // sleeps, answers sustained throttling (a call asleep for seconds holds its place in the
        // budget and, at the end of a run, makes its tail).
        let retries = RetryConfig::standard()
            .with_max_attempts(EKS_MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(1));
        eks = eks.retry_config(retries).retry_partition(partition);
    }
    let eks = eks.build();
    ClusterClients {
        eks: aws_sdk_eks::Client::from_conf(eks),
        limiter,
        sts: aws_sdk_sts::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        credentials: config.credentials_provider(),
        region: cluster.region.clone(),
        timeout: endpoints.timeout,
    }
}
