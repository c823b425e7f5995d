//! `accessctl explain PRINCIPAL --cluster NAME`: how EKS would let a principal in, or why not.

use std::process::ExitCode;

use miette::IntoDiagnostic;

use super::plan::Output;
use super::target::{self, TargetArgs};
use crate::explain::{self, Caller, Explanation, render, view};
use crate::live::read::{read_cluster, read_group_bindings};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An IAM user or role ARN, an STS assumed-role ARN, or `me` (the current caller)
    pub principal: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only what the files would grant: no network
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

pub fn exec(mut args: Args) -> miette::Result<ExitCode> {
    if args.target.clusters.len() != 1 {
        return Err(miette::miette!(help = "name it with --cluster NAME", "explain speaks of one cluster"));
    }
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    let cluster = config.clusters[0].clone();
    let planned = view::from_config(&cluster);
    if args.offline {
        let caller = Caller::parse(&args.principal)
            .map_err(|e| miette::miette!(help = "`me` needs live state: drop --offline", "{e}"))?;
        let e = explain::explain(&planned, &caller);
        print_one(&e, args.output, None)?;
        return Ok(exit_for(&e));
    }
    target::runtime()?.block_on(async {
        args.target.clusters = vec![cluster.name.clone()];
        let target = target::connect(&args.target, config).await?;
        let (live, conn) = read_cluster(&cluster, &target.endpoints).await.into_diagnostic()?;
        let principal = if args.principal == "me" { live.caller.clone() } else { args.principal.clone() };
        let caller = Caller::parse(&principal).into_diagnostic()?;
        let bindings = match &conn.kube {
            Some(k) => read_group_bindings(k).await.unwrap_or_default(),
            None => vec![],
        };
        let plan = crate::plan::diff::diff(&cluster, &live);
        let now = explain::explain(&view::from_live(&live, bindings.clone()), &caller);
        let after = explain::explain(&view::after_plan(&live, &cluster, &plan, bindings), &caller);
        let changed = after.verdict != now.verdict || after.source != now.source || after.policies != now.policies;
        print_one(&now, args.output, changed.then_some(&after))?;
        Ok(exit_for(&now))
    })
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

/// 0 when the principal gets in, 3 when it is authenticated but allowed nothing, 4 when it cannot
/// get in: scripts can ask "can X get in?" without parsing.
fn exit_for(e: &Explanation) -> ExitCode {
    ExitCode::from(match e.verdict {
        explain::Verdict::Access => 0,
        explain::Verdict::AuthenticatedOnly => 3,
        explain::Verdict::NoAccess => 4,
    })
}
