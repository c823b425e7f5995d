//! What plan, apply and graph share: which files, which endpoint (AWS, `--endpoint-url`, or an
//! in-process `--sandbox`), loading and validating the configuration before anything touches the
//! network, and reading live state into a plan.

use std::path::PathBuf;

use miette::IntoDiagnostic;

use crate::config::{self, SourceFile, source};
use crate::live::aws::Endpoints;
use crate::live::read::{Connection, LiveCluster, read_all};
use crate::model::Configuration;
use crate::plan::{FORMAT_VERSION, Plan, diff};
use crate::render::{self, Style};
#[cfg(feature = "sandbox")]
use crate::sandbox::{Options, Sandbox, Seed};

#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Configuration files or directories (repeatable); default: access.kdl
    #[arg(short = 'f', long = "file")]
    pub files: Vec<PathBuf>,
    /// Send EKS and STS calls here instead of AWS (AWS_ENDPOINT_URL works too)
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Run against an embedded local sandbox (no AWS account): its default world, or --sandbox-seed
    #[cfg(feature = "sandbox")]
    #[arg(long)]
    pub sandbox: bool,
    /// The YAML fixture the embedded sandbox starts from
    #[cfg(feature = "sandbox")]
    #[arg(long, requires = "sandbox")]
    pub sandbox_seed: Option<PathBuf>,
    /// Only these clusters (repeatable)
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    /// How long one AWS or Kubernetes call may take, in seconds, before it is retried or fails
    #[arg(long = "timeout", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// At most this many EKS calls at once per account and region, shared by all its clusters;
    /// fewer while EKS throttles
    #[arg(long, default_value_t = crate::live::limiter::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    pub parallelism: usize,
}

/// A loaded configuration, the sandbox it runs against (if any), and the endpoints.
pub struct Target {
    pub config: Configuration,
    pub endpoints: Endpoints,
    /// Kept alive for the command's duration.
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<Sandbox>,
}

/// The files the configuration was loaded from, for diagnostics that point into them later (a
/// plan's failing expectation). One configuration per run.
static LOADED_FILES: std::sync::Mutex<Vec<SourceFile>> = std::sync::Mutex::new(Vec::new());

/// The files `load` read.
pub fn loaded_files() -> Vec<SourceFile> {
    LOADED_FILES.lock().map(|f| f.clone()).unwrap_or_default()
}

/// Loads and validates; on any error prints every diagnostic and returns `None`. Warnings are
/// printed too, and do not stop anything.
pub fn load(args: &TargetArgs) -> miette::Result<Option<Configuration>> {
    let paths = if args.files.is_empty() { vec![PathBuf::from("access.kdl")] } else { args.files.clone() };
    let files =
        source::read_files(&source::expand_paths(&paths).map_err(miette::Report::msg)?).map_err(miette::Report::msg)?;
    if let Ok(mut loaded) = LOADED_FILES.lock() {
        loaded.clone_from(&files);
    }
    let loaded = config::load(&files);
    for d in loaded.diagnostics.iter() {
        eprint!("{}", render::diagnostic(d, Style::for_stderr()));
    }
    let Some(mut config) = loaded.config else {
        eprintln!(
            "{} error(s) in the configuration: nothing was sent to any cluster",
            loaded.diagnostics.error_count()
        );
        return Ok(None);
    };
    if !args.clusters.is_empty() {
        let unknown: Vec<&String> = args.clusters.iter().filter(|c| config.cluster(c).is_none()).collect();
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|c| format!("`{c}`")).collect();
            return Err(miette::miette!("no cluster named {} in the configuration", names.join(", ")));
        }
        config.clusters.retain(|c| args.clusters.contains(&c.name));
    }
    Ok(Some(config))
}

pub async fn connect(args: &TargetArgs, config: Configuration) -> miette::Result<Target> {
    let timeout = std::time::Duration::from_secs(args.timeout);
    let endpoints = Endpoints {
        endpoint_url: args.endpoint_url.clone(),
        dummy_credentials: false,
        timeout,
        parallelism: args.parallelism,
    };
    #[cfg(not(feature = "sandbox"))]
    return Ok(Target { config, endpoints });
    #[cfg(feature = "sandbox")]
    {
        let mut endpoints = endpoints;
        let mut sandbox = None;
        if args.sandbox {
            let seed = match &args.sandbox_seed {
                Some(path) => Seed::parse(&std::fs::read_to_string(path).into_diagnostic()?).into_diagnostic()?,
                None => Seed::default_seed(),
            };
            let sb = Sandbox::start(Options { seed, ..Options::default() }).await.into_diagnostic()?;
            // The embedded sandbox needs no AWS account.
            endpoints = Endpoints { timeout, parallelism: args.parallelism, ..Endpoints::sandbox(sb.url()) };
            sandbox = Some(sb);
        }
        Ok(Target { config, endpoints, sandbox })
    }
}

/// Reads every cluster and diffs it. Read failures are reported per cluster; a plan with a
/// problem is an error (nothing may be written).
pub async fn plan(target: &Target) -> miette::Result<(Plan, Vec<(LiveCluster, Connection)>)> {
    let (plan, live) = plan_with_problems(target).await?;
    refuse_problems(&plan)?;
    Ok((plan, live))
}

/// As [`plan`], with the plan's problems left in it for the caller to report.
pub async fn plan_with_problems(target: &Target) -> miette::Result<(Plan, Vec<(LiveCluster, Connection)>)> {
    let results = read_all(&target.config.clusters, &target.endpoints).await;
    let mut plan = Plan { format_version: FORMAT_VERSION, clusters: vec![] };
    let mut live = Vec::new();
    let mut errors = Vec::new();
    for (cluster, result) in target.config.clusters.iter().zip(results) {
        match result {
            Ok((l, conn)) => {
                plan.clusters.push(diff::diff(cluster, &l));
                live.push((l, conn));
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(crate::live::read::ReadErrors { errors }.into());
    }
    Ok((plan, live))
}

/// A plan with a problem is not shown as something to apply: nothing is written. Problems about a
/// place in the files (a failing expectation, a broken guardrail) are printed there first.
pub fn refuse_problems(plan: &Plan) -> miette::Result<()> {
    let problems: Vec<(&str, &crate::plan::Problem)> =
        plan.clusters.iter().flat_map(|c| c.problems.iter().map(move |p| (c.cluster.as_str(), p))).collect();
    if problems.is_empty() {
        return Ok(());
    }
    let files = loaded_files();
    let mut unplaced = vec![];
    for (cluster, p) in &problems {
        match config::checks::problem_diagnostic(&files, cluster, p) {
            Some(d) => eprint!("{}", render::diagnostic(&d, Style::for_stderr())),
            None => unplaced.push((cluster, p)),
        }
    }
    if unplaced.is_empty() {
        return Err(miette::miette!(
            code = "accessctl::plan::problem",
            "{} problem(s) above: the configuration cannot be applied as it is, and nothing was written",
            problems.len()
        ));
    }
    let mut helps: Vec<&str> = unplaced.iter().map(|(_, p)| p.help()).collect();
    helps.dedup();
    let lines: Vec<String> = unplaced.iter().map(|(c, p)| format!("cluster `{c}`: {p}")).collect();
    Err(miette::miette!(
        code = "accessctl::plan::problem",
        help = helps.join("; "),
        "the configuration cannot be applied as it is:\n  {}",
        lines.join("\n  ")
    ))
}

/// A runtime for the async commands.
pub fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().into_diagnostic()
}

fn parse_parallelism(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n @ 1..=1024) => Ok(n),
        _ => Err("a number of calls from 1 to 1024".into()),
    }
}
