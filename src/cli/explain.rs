//! `accessctl explain PRINCIPAL --cluster NAME`: how EKS would let a principal in, or why not;
//! with `--verb` and `--resource`, whether one request is allowed and by which rule.

use std::process::ExitCode;

use miette::IntoDiagnostic;

use super::plan::Output;
use super::target::{self, TargetArgs};
use crate::access::{Request, desired};
use crate::explain::{self, Caller, Explanation, render};
use crate::live::access::from_live;
use crate::live::read::read_cluster;
use crate::plan::after::state_after_plan;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An IAM user or role ARN, an STS assumed-role ARN, or `me` (the current caller)
    pub principal: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only what the files would grant: no network
    #[arg(long)]
    pub offline: bool,
    /// A request to decide, with --resource or --path: get, list, watch, create, update, patch, delete…
    #[arg(long)]
    pub verb: Option<String>,
    /// A non-resource request's path instead of a resource: `/metrics`, `/healthz`, `/version`
    #[arg(long, requires = "verb", conflicts_with = "resource")]
    pub path: Option<String>,
    /// The resource of the request, as kubectl names it: `pods`, `pods/log`, `deployments.apps`
    #[arg(long, requires = "verb")]
    pub resource: Option<String>,
    /// The request's namespace (none: cluster-scoped or across all namespaces)
    #[arg(short = 'n', long, requires = "verb")]
    pub namespace: Option<String>,
    /// The object's name, for rules that name objects
    #[arg(long, requires = "verb")]
    pub name: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

impl Args {
    /// The request to decide, if one is asked.
    fn request(&self) -> miette::Result<Option<Request>> {
        let Some(verb) = self.verb.as_deref() else { return Ok(None) };
        if let Some(path) = &self.path {
            return Ok(Some(Request::NonResource { verb: verb.to_string(), path: path.clone() }));
        }
        let Some(resource) = self.resource.as_deref() else {
            return Err(miette::miette!(help = "add --resource RES (or --path /url)", "--verb needs what it acts on"));
        };
        parse_request(verb, resource, self.namespace.as_deref(), self.name.as_deref()).map(Some)
    }
}

/// A request as kubectl words it (see [`Request::parse_kubectl`]), or why not.
pub(crate) fn parse_request(
    verb: &str,
    target: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> miette::Result<Request> {
    Request::parse_kubectl(verb, target, namespace, name).map_err(|e| miette::miette!(help = e.help(), "{e}"))
}

pub fn exec(mut args: Args) -> miette::Result<ExitCode> {
    if args.target.clusters.len() != 1 {
        return Err(miette::miette!(help = "name it with --cluster NAME", "explain speaks of one cluster"));
    }
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    let cluster = config.clusters[0].clone();
    let request = args.request()?;
    if args.offline {
        let caller = super::can_i::offline_caller(&args.principal)?;
        let e = explain::explain(&desired::from_config(&cluster), &caller, request.as_ref());
        print_one(&e, args.output, None)?;
        return Ok(exit_for(&e));
    }
    target::runtime()?.block_on(async {
        args.target.clusters = vec![cluster.name.clone()];
        let target = target::connect(&args.target, config).await?;
        let (live, _) = read_cluster(&cluster, &target.endpoints).await.into_diagnostic()?;
        let principal = if args.principal == "me" { live.caller_arn.clone() } else { args.principal.clone() };
        let caller = Caller::parse(&principal).into_diagnostic()?.as_caller();
        let plan = crate::plan::diff::diff(&cluster, &live);
        let mut now_state = from_live(&live);
        if args.principal == "me" {
            now_state = with_caller_as_creator(now_state, &caller);
        }
        let now = explain::explain(&now_state, &caller, request.as_ref());
        let after = explain::explain(&state_after_plan(&now_state, &plan), &caller, request.as_ref());
        let changed = after.verdict != now.verdict
            || after.source != now.source
            || after.policies != now.policies
            || after.request.as_ref().map(|r| r.outcome) != now.request.as_ref().map(|r| r.outcome);
        print_one(&now, args.output, changed.then_some(&after))?;
        Ok(exit_for(&now))
    })
}

/// The caller just read this cluster's Kubernetes API, so it gets in. If nothing the model sees
/// lets it in and the cluster is in CONFIG_MAP, it is the creator, whose `system:masters` no
/// configuration shows — which EKS does not tell otherwise.
pub(crate) fn with_caller_as_creator(
    mut state: crate::access::ClusterAccess,
    caller: &Caller,
) -> crate::access::ClusterAccess {
    use crate::access::{Authentication, Known, Offline, authenticate};
    let read_it = state.rbac.known().is_some();
    let unexplained = matches!(authenticate(&state, caller, &Offline), Authentication::Refused(_));
    if read_it && unexplained && state.mode == crate::model::AuthMode::ConfigMap {
        state.creator = Known::Known(caller.principal());
    }
    state
}

fn print_one(now: &Explanation, output: Output, after: Option<&Explanation>) -> miette::Result<()> {
    match output {
        Output::Human => {
            print!("{}", render::human(now));
            if let Some(after) = after {
                println!("\nafter `accessctl apply` with these files:");
                print!("{}", render::human(after));
            }
        }
        Output::Json => {
            let value = serde_json::json!({"now": now, "after_apply": after});
            println!("{}", serde_json::to_string_pretty(&value).into_diagnostic()?);
        }
    }
    Ok(())
}

/// Without a request: 0 when the principal gets in, 3 when it is authenticated but allowed
/// nothing, 4 when it cannot get in. With a request: 0 allowed, 3 forbidden, 4 unauthorized.
/// 5 when the state it depends on could not be read.
fn exit_for(e: &Explanation) -> ExitCode {
    if let Some(r) = &e.request {
        return ExitCode::from(match r.outcome {
            "allowed" => 0,
            "forbidden" => 3,
            "unauthorized" => 4,
            _ => 5,
        });
    }
    ExitCode::from(match e.verdict {
        explain::Verdict::Access => 0,
        explain::Verdict::AuthenticatedOnly => 3,
        explain::Verdict::NoAccess => 4,
        explain::Verdict::Unknown => 5,
    })
}
