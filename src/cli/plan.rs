//! `accessctl plan`: read live state, diff, print the plan a person reviews (or JSON).

use std::path::PathBuf;
use std::process::ExitCode;

use miette::IntoDiagnostic;

use super::target::{self, TargetArgs};
use crate::plan::render;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// human (default) or json (the same plan, versioned: format_version)
    #[arg(long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
    /// Exit 0 with no changes, 2 with changes, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan for `accessctl apply FILE`
    #[arg(long = "out", short = 'o')]
    pub out: Option<PathBuf>,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    let runtime = target::runtime()?;
    runtime.block_on(async {
        let target = target::connect(&args.target, config).await?;
        let (plan, _) = target::plan(&target).await?;
        match args.output {
            Output::Human => print!("{}", render::human(&plan)),
            Output::Json => println!("{}", serde_json::to_string_pretty(&plan).into_diagnostic()?),
        }
        if let Some(path) = &args.out {
            write_private(path, &serde_json::to_vec_pretty(&plan).into_diagnostic()?)
                .map_err(|e| miette::miette!("cannot write the plan to {}: {e}", path.display()))?;
            eprintln!(
                "Saved the plan to {}: `accessctl apply {}` applies it if live state has not changed.",
                path.display(),
                path.display()
            );
        }
        let code =
            if args.detailed_exitcode && plan.change_count() > 0 { super::exit::CHANGES } else { super::exit::OK };
        Ok(ExitCode::from(code))
    })
}

/// Writes a file only its owner may read: a plan names every principal and its access.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // A file that was there keeps its mode through `open`: set it.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(bytes)
}
