//! The accessctl binary: parse arguments, run the command, render errors. Nothing else.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = accessctl::cli::Cli::parse();
    // `accessctl plan --output sarif | head` closes the pipe early: end quietly, as Unix tools do,
    // instead of panicking on the next write (Rust ignores SIGPIPE by default). Not the sandbox:
    // a server outlives whoever read its first lines, and ignores a reader that went away.
    #[cfg(all(unix, feature = "sandbox"))]
    let server = matches!(cli.command, accessctl::cli::Command::Sandbox(_));
    #[cfg(all(unix, not(feature = "sandbox")))]
    let server = false;
    #[cfg(unix)]
    if !server {
        // SAFETY: restoring the default disposition of one signal, before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    if cli.no_color {
        accessctl::render::disable_color();
    }
    // In a terminal, messages wrap to its width; in a pipeline's log, a line stays one line, so an
    // ARN or a role name is never cut in two for whoever searches the log.
    let wrap = std::io::stderr().is_terminal();
    let color = accessctl::render::color_allowed();
    let _ = miette::set_hook(Box::new(move |_| {
        let opts = miette::MietteHandlerOpts::new().wrap_lines(wrap);
        Box::new(if color { opts } else { opts.color(false) }.build())
    }));
    match accessctl::cli::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(accessctl::cli::exit::ERROR)
        }
    }
}
