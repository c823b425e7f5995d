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

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanOutput {
    /// For people (default)
    Human,
    /// The same plan, versioned (format_version)
    Json,
    /// Its problems and guards as SARIF 2.1.0, located in the files (code scanning)
    Sarif,
    /// A pull-request comment: counts, what blocks apply, the access tests, the plan
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, value_enum, default_value_t = PlanOutput::Human)]
    pub output: PlanOutput,
    /// Exit 0 with no changes, 2 with changes, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan for `accessctl apply FILE`
    #[arg(long = "out", short = 'o')]
    pub out: Option<PathBuf>,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let findings_only = matches!(args.output, PlanOutput::Sarif | PlanOutput::Markdown);
    let Some(config) = target::load(&args.target)? else {
        // Code scanning and pull-request comments get the files' problems as their report.
        if findings_only {
            let files = target::loaded_files();
            report_findings(args.output, crate::config::load(&files).diagnostics.into_vec())?;
        }
        return Ok(ExitCode::from(super::exit::ERROR));
    };
    let runtime = target::runtime()?;
    runtime.block_on(async {
        let target = target::connect(&args.target, config).await?;
        // For code scanning and pull requests, a plan with problems is still the report: the
        // problems are its findings, and the exit code says apply would refuse.
        let (plan, _) = match args.output {
            PlanOutput::Human | PlanOutput::Json => target::plan(&target).await?,
            PlanOutput::Sarif | PlanOutput::Markdown => match target::plan_with_problems(&target).await {
                Ok(planned) => planned,
                // A cluster that cannot be read: the report says so, and the error follows.
                Err(e) => {
                    let diagnostic: &dyn miette::Diagnostic = e.as_ref();
                    let related: Vec<String> =
                        diagnostic.related().into_iter().flatten().map(|r| r.to_string()).collect();
                    let mut message = e.to_string();
                    if !related.is_empty() {
                        message = format!("{message}: {}", related.join("; "));
                    }
                    if let Some(help) = diagnostic.help() {
                        message = format!("{message} ({help})");
                    }
                    let d = crate::config::ConfigDiagnostic::global(crate::config::Code::PlanRead, message);
                    report_findings(args.output, vec![d])?;
                    return Err(e);
                }
            },
        };
        match args.output {
            PlanOutput::Human => print!("{}", render::human(&plan)),
            PlanOutput::Json => println!("{}", serde_json::to_string_pretty(&plan).into_diagnostic()?),
            PlanOutput::Sarif => {
                let findings = crate::config::checks::plan_diagnostics(&plan, &target.config, &target::loaded_files());
                let log = crate::config::sarif::sarif(&findings, env!("CARGO_PKG_VERSION"));
                println!("{}", serde_json::to_string_pretty(&log).into_diagnostic()?);
            }
            PlanOutput::Markdown => print!("{}", render::markdown(&plan)),
        }
        if plan.clusters.iter().any(|c| !c.problems.is_empty()) {
            return Ok(ExitCode::from(super::exit::ERROR));
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

/// Findings that stopped the plan before there was one, as SARIF or markdown.
fn report_findings(output: PlanOutput, findings: Vec<crate::config::ConfigDiagnostic>) -> miette::Result<()> {
    match output {
        PlanOutput::Sarif => {
            let log = crate::config::sarif::sarif(&findings, env!("CARGO_PKG_VERSION"));
            println!("{}", serde_json::to_string_pretty(&log).into_diagnostic()?);
        }
        _ => print!("{}", crate::config::markdown::markdown("accessctl plan", &findings)),
    }
    Ok(())
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
