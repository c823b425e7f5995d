//! The accessctl binary: parse arguments, run the command, render errors. Nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = accessctl::cli::Cli::parse();
    match accessctl::cli::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(accessctl::cli::exit::ERROR)
        }
    }
}
