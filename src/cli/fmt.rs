//! `accessctl fmt [--check]`: rewrite files in the canonical layout, or list those that differ.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{fmt, source};
use crate::render::{self, Style};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories of .kdl files
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Change nothing; exit 2 when a file is not in canonical layout
    #[arg(long)]
    pub check: bool,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let paths = source::expand_paths(&args.paths).map_err(miette::Report::msg)?;
    let files = source::read_files(&paths).map_err(miette::Report::msg)?;
    let mut failed = false;
    let mut differ = Vec::new();
    for (path, file) in paths.iter().zip(&files) {
        match fmt::format(file) {
            Ok(text) if text == *file.text => {}
            Ok(text) => {
                differ.push(file.name.clone());
                if !args.check {
                    std::fs::write(path, text).map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
                }
            }
            Err(diagnostics) => {
                failed = true;
                for d in &diagnostics {
                    eprint!("{}", render::diagnostic(d, Style::for_stderr()));
                }
            }
        }
    }
    for name in &differ {
        println!("{}{name}", if args.check { "would reformat " } else { "reformatted " });
    }
    Ok(ExitCode::from(if failed {
        super::exit::ERROR
    } else if args.check && !differ.is_empty() {
        super::exit::CHANGES
    } else {
        super::exit::OK
    }))
}
