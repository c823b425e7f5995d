//! `accessctl graph`: the dependency graph of the plan, as Graphviz DOT.

use std::process::ExitCode;

use super::target::{self, TargetArgs};
use crate::plan::graph::ChangeGraph;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    target::runtime()?.block_on(async {
        let target = target::connect(&args.target, config).await?;
        let (plan, _) = target::plan(&target).await?;
        for c in &plan.clusters {
            print!("{}", ChangeGraph::build(c).dot(&c.cluster));
        }
        Ok(ExitCode::SUCCESS)
    })
}
