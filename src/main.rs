//! The accessctl binary: parse arguments, run the command, render errors. Nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // In a terminal, messages wrap to its width; in a pipeline's log, a line stays one line, so an
    // ARN or a role name is never cut in two for whoever searches the log.
    let wrap = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| Box::new(miette::MietteHandlerOpts::new().wrap_lines(wrap).build())));
    let cli = accessctl::cli::Cli::parse();
    match accessctl::cli::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(accessctl::cli::exit::ERROR)
        }
    }
}
