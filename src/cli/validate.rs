//! `accessctl validate`: offline, no credentials; every problem in every file at once, and the
//! files' access tests and guardrails asked of what the files declare.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::IntoDiagnostic;

use crate::config::{self, ConfigDiagnostic, source};
use crate::render::{self, Style};

/// How findings are printed: for people, for code scanning, for a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Findings {
    /// miette's report on stderr
    Human,
    /// SARIF 2.1.0 on stdout (code-scanning services)
    Sarif,
    /// A markdown table on stdout (pull-request comments)
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories of .kdl files that together make one configuration
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Findings::Human)]
    pub output: Findings,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let files = source::read_files(&source::expand_paths(&args.paths).map_err(miette::Report::msg)?)
        .map_err(miette::Report::msg)?;
    let loaded = config::load(&files);
    let mut diagnostics: Vec<ConfigDiagnostic> = loaded.diagnostics.iter().cloned().collect();
    // The access tests and guardrails, from the files alone (plan asks the clusters).
    if let Some(cfg) = &loaded.config {
        diagnostics.extend(config::checks::check_offline(cfg, &files).into_vec());
    }
    diagnostics.sort_by(|a, b| a.file_name().cmp(b.file_name()).then(a.offset().cmp(&b.offset())));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match args.output {
        Findings::Sarif => {
            let log = config::sarif::sarif(&diagnostics, env!("CARGO_PKG_VERSION"));
            println!("{}", serde_json::to_string_pretty(&log).into_diagnostic()?);
        }
        Findings::Markdown => print!("{}", config::markdown::markdown("accessctl validate", &diagnostics)),
        Findings::Human => {
            let style = Style::for_stderr();
            for d in &diagnostics {
                eprint!("{}", render::diagnostic(d, style));
            }
            match &loaded.config {
                Some(cfg) if errors == 0 => {
                    let entries: usize = cfg.clusters.iter().map(|c| c.access_entries.len()).sum();
                    let expectations: usize = cfg.clusters.iter().map(|c| c.expectations.len()).sum();
                    let expectations = match expectations {
                        0 => String::new(),
                        n => format!(", {n} expectation(s) checked"),
                    };
                    println!(
                        "{} file(s) valid: {} cluster(s), {} access entr{}{expectations}, {} warning(s)",
                        files.len(),
                        cfg.clusters.len(),
                        entries,
                        if entries == 1 { "y" } else { "ies" },
                        warnings
                    );
                }
                _ => eprintln!("{errors} error(s), {warnings} warning(s) in {} file(s)", files.len()),
            }
        }
    }
    Ok(ExitCode::from(if errors == 0 { super::exit::OK } else { super::exit::ERROR }))
}
