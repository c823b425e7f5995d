//! `accessctl completions SHELL`: the shell completion script, generated from the same clap
//! definitions the binary parses with, so it never drifts from the commands.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    pub shell: Shell,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let mut command = super::Cli::command();
    clap_complete::generate(args.shell, &mut command, "accessctl", &mut std::io::stdout());
    Ok(ExitCode::from(super::exit::OK))
}
