//! `accessctl sandbox`: run the local EKS + Kubernetes endpoint until interrupted, and say how to
//! point accessctl, the `aws` CLI and `kubectl` at it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr};

use crate::sandbox::{Faults, Options, Sandbox, Seed};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Loopback address to listen on (port 0 picks a free one)
    #[arg(long, default_value = "127.0.0.1:4599")]
    pub listen: SocketAddr,
    /// A YAML fixture of clusters to start from (default: a 2022-style CONFIG_MAP cluster "demo")
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Keep the state in this file across restarts (written atomically after each change)
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Write a kubeconfig with one context per cluster to this file
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Latency added to every call, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of EKS calls answered 429 ThrottlingException
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fraction of EKS calls answered 500/503
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fraction of EKS calls whose connection is dropped
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// How long new access entries stay invisible to AssociateAccessPolicy, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub consistency_delay_ms: u64,
    /// How long authentication-mode updates take, in milliseconds
    #[arg(long, default_value_t = 1500)]
    pub update_duration_ms: u64,
    /// Make authentication-mode updates fail
    #[arg(long)]
    pub fail_updates: bool,
    /// EKS's request limit per account and region, in calls per second (0: none); beyond it calls
    /// are answered 429 ThrottlingException. Also settable at runtime (POST /_sandbox/faults).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// How many calls the rate limit lets through at once (default: one second's worth)
    #[arg(long, default_value_t = 0)]
    pub burst: u32,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("reading {}", path.display()))?;
            Seed::parse(&text).into_diagnostic()?
        }
        None => Seed::default_seed(),
    };
    let options = Options {
        listen: args.listen,
        seed,
        state_file: args.state.clone(),
        faults: Faults {
            latency_ms: args.latency_ms,
            throttle_rate: args.throttle_rate,
            error_rate: args.error_rate,
            drop_rate: args.drop_rate,
            consistency_delay_ms: args.consistency_delay_ms,
            update_duration_ms: args.update_duration_ms,
            fail_updates: args.fail_updates,
            kube_error_rate: 0.0,
            rate_per_second: args.rate,
            burst: args.burst,
        },
        ..Options::default()
    };
    // A state file the sandbox cannot write would be lost silently at every change: say so now.
    if let Some(path) = &args.state {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        if !folder.is_dir() {
            return Err(miette::miette!(
                help = "create the folder, or give --state a file in one that exists",
                "--state {}: the folder {} does not exist",
                path.display(),
                folder.display()
            ));
        }
    }
    let runtime = tokio::runtime::Runtime::new().into_diagnostic()?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(options).await.into_diagnostic()?;
        let clusters = sandbox.cluster_names();
        if let Some(path) = &args.kubeconfig {
            std::fs::write(path, kubeconfig(&sandbox, &clusters))
                .into_diagnostic()
                .wrap_err_with(|| format!("writing {}", path.display()))?;
        }
        // Written with errors ignored: a reader that goes away must not take the sandbox down.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "accessctl sandbox serving EKS, STS and Kubernetes on {}", sandbox.url());
        let names = if clusters.is_empty() { "(none)".to_string() } else { clusters.join(", ") };
        let _ = writeln!(out, "clusters: {names}\n");
        // EKS and IAM only: `aws eks get-token` presigns an STS URL that must name a real STS host
        // for the cluster to accept it, so STS stays per command (`AWS_ENDPOINT_URL_STS=…`).
        let _ = writeln!(
            out,
            "  export AWS_ENDPOINT_URL_EKS={url} AWS_ENDPOINT_URL_IAM={url} AWS_REGION=eu-west-1 \\",
            url = sandbox.url()
        );
        let _ = writeln!(
            out,
            "         AWS_DEFAULT_REGION=eu-west-1 AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox"
        );
        let _ = writeln!(out, "  aws eks list-clusters");
        let _ = writeln!(out, "  AWS_ENDPOINT_URL_STS={} aws sts get-caller-identity", sandbox.url());
        if let Some(path) = &args.kubeconfig {
            let _ = writeln!(out, "  kubectl --kubeconfig {} get configmap aws-auth -n kube-system", path.display());
        }
        let _ = writeln!(out, "\nCtrl-C stops it.");
        let _ = out.flush();
        tokio::signal::ctrl_c().await.into_diagnostic()?;
        sandbox.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A kubeconfig with one context per sandbox cluster (the first is current), written with kube's
/// own `Kubeconfig` type.
pub fn kubeconfig(sandbox: &Sandbox, clusters: &[String]) -> String {
    use base64::Engine;
    use kube::config::{AuthInfo, Cluster, Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
    let ca = base64::engine::general_purpose::STANDARD.encode(sandbox.ca_pem());
    let config = Kubeconfig {
        api_version: Some("v1".into()),
        kind: Some("Config".into()),
        clusters: clusters
            .iter()
            .map(|c| NamedCluster {
                name: c.clone(),
                cluster: Some(Cluster {
                    server: Some(sandbox.kube_url(c)),
                    certificate_authority_data: Some(ca.clone()),
                    ..Cluster::default()
                }),
                other: Default::default(),
            })
            .collect(),
        auth_infos: vec![NamedAuthInfo {
            name: "sandbox".into(),
            auth_info: Some(AuthInfo {
                token: Some(crate::sandbox::access::STATIC_ADMIN_TOKEN.to_string().into()),
                ..AuthInfo::default()
            }),
            other: Default::default(),
        }],
        contexts: clusters
            .iter()
            .map(|c| NamedContext {
                name: c.clone(),
                context: Some(Context { cluster: c.clone(), user: Some("sandbox".into()), ..Context::default() }),
                other: Default::default(),
            })
            .collect(),
        current_context: clusters.first().cloned(),
        ..Kubeconfig::default()
    };
    serde_yaml_ng::to_string(&config).unwrap_or_default()
}
