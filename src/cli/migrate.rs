//! `accessctl migrate --cluster NAME -f FILES`: the next stage of moving a cluster from aws-auth to
//! access entries, as a diff of the user's files (written with `--write`), then `plan` and `apply`.

use std::process::ExitCode;

use miette::IntoDiagnostic;
use similar::TextDiff;

use super::target::{self, TargetArgs};
use crate::config::source;
use crate::live::read::read_cluster;
use crate::migrate::migrate;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write the changed files (otherwise only show the diff)
    #[arg(long)]
    pub write: bool,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    if args.target.clusters.len() != 1 {
        return Err(miette::miette!(help = "name it with --cluster NAME", "migrate works on one cluster at a time"));
    }
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    let paths = source::expand_paths(if args.target.files.is_empty() { &[] } else { &args.target.files })
        .map_err(miette::Report::msg)?;
    let paths = if paths.is_empty() { vec![std::path::PathBuf::from("access.kdl")] } else { paths };
    let files = source::read_files(&paths).map_err(miette::Report::msg)?;
    let cluster = config.clusters[0].clone();
    target::runtime()?.block_on(async {
        let target = target::connect(&args.target, config).await?;
        let (live, _) = read_cluster(&cluster, &target.endpoints).await.into_diagnostic()?;
        if live.kube_unreachable.is_some() {
            return Err(miette::miette!(
                "the cluster's aws-auth cannot be read: {}",
                live.kube_unreachable.unwrap_or_default()
            ));
        }
        let iam = crate::migrate::iam_roles(&live);
        let m = migrate(&files, &cluster, &live, &iam).into_diagnostic()?;
        println!("cluster {}: migration stage {} of 2 (live mode {})", m.cluster, m.stage, live.mode.as_str());
        for (arn, what) in &m.migrated {
            println!("  {arn} → {what}");
        }
        for (who, why) in &m.refused {
            println!("  ✗ {who}: {why}");
        }
        if m.stage == 1 && !m.waiting.is_empty() {
            println!("stage 2 (mode API, aws-auth removed) waits:");
            for w in &m.waiting {
                println!("  - {w}");
            }
        }
        if m.files.is_empty() {
            println!("No change to the files: this stage is already written. Run `accessctl plan`.");
            return Ok(ExitCode::SUCCESS);
        }
        for (name, text) in &m.files {
            let old = files.iter().find(|f| &f.name == name).map(|f| f.text.as_str()).unwrap_or("");
            print!("{}", TextDiff::from_lines(old, text).unified_diff().header(name, &format!("{name} (migrated)")));
            if args.write {
                std::fs::write(name, text).into_diagnostic()?;
            }
        }
        if args.write {
            println!("Wrote {} file(s). Next: `accessctl plan`, then `accessctl apply`.", m.files.len());
        } else {
            println!("Nothing written: review the diff, then run again with --write.");
        }
        Ok(ExitCode::SUCCESS)
    })
}
