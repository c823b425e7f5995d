//! `accessctl validate`: offline, no credentials; every problem in every file at once.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{self, source};
use crate::render::{self, Style};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories of .kdl files that together make one configuration
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let files = source::read_files(&source::expand_paths(&args.paths).map_err(miette::Report::msg)?)
        .map_err(miette::Report::msg)?;
    let loaded = config::load(&files);
    let style = Style::for_stderr();
    for d in loaded.diagnostics.iter() {
        eprint!("{}", render::diagnostic(d, style));
    }
    let (errors, warnings) = (loaded.diagnostics.error_count(), loaded.diagnostics.warning_count());
    match &loaded.config {
        Some(cfg) => {
            let entries: usize = cfg.clusters.iter().map(|c| c.access_entries.len()).sum();
            println!(
                "{} file(s) valid: {} cluster(s), {} access entr{}, {} warning(s)",
                files.len(),
                cfg.clusters.len(),
                entries,
                if entries == 1 { "y" } else { "ies" },
                warnings
            );
            Ok(ExitCode::from(super::exit::OK))
        }
        None => {
            eprintln!("{errors} error(s), {warnings} warning(s) in {} file(s)", files.len());
            Ok(ExitCode::from(super::exit::ERROR))
        }
    }
}
