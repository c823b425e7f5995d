//! The command line: one module per command, each a clap `Args` and an `exec` that calls into
//! the library. Nothing here holds logic that a test could not reach through the library.

pub mod apply;
pub mod can_i;
pub mod completions;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod import;
pub mod migrate;
pub mod plan;
pub mod progress;
pub mod report;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod schema;
pub mod target;
pub mod validate;
pub mod who_can;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "accessctl", version, about = "Own Amazon EKS cluster access as code")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Never colour the output (setting NO_COLOR does the same)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check access.kdl files offline and report every problem
    Validate(validate::Args),
    /// Show what apply would change, from live state
    Plan(plan::Args),
    /// Change live access to match the configuration
    Apply(apply::Args),
    /// Print the plan's dependency graph (Graphviz DOT)
    Graph(graph::Args),
    /// Say how EKS would let a principal in, or exactly why not
    Explain(explain::Args),
    /// Whether a principal may make a request on each cluster, and why (EKS policies and RBAC)
    CanI(can_i::Args),
    /// The IAM principals that may make a request on each cluster, and through what
    WhoCan(who_can::Args),
    /// An access review across clusters: who may do what, how, and what changed
    Report(report::Args),
    /// Write an access.kdl that reproduces live clusters
    Import(import::Args),
    /// Move a cluster from aws-auth to access entries, one reviewed stage at a time
    Migrate(migrate::Args),
    /// Rewrite access.kdl files in the canonical layout
    Fmt(fmt::Args),
    /// Print the language's schema
    Schema(schema::Args),
    /// Run a local EKS + Kubernetes endpoint (no AWS account needed)
    #[cfg(feature = "sandbox")]
    Sandbox(sandbox::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::Args),
}

pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::exec(args),
        Command::Plan(args) => plan::exec(args),
        Command::Apply(args) => apply::exec(args),
        Command::Graph(args) => graph::exec(args),
        Command::Explain(args) => explain::exec(args),
        Command::CanI(args) => can_i::exec(args),
        Command::WhoCan(args) => who_can::exec(args),
        Command::Report(args) => report::exec(args),
        Command::Import(args) => import::exec(args),
        Command::Migrate(args) => migrate::exec(args),
        Command::Fmt(args) => fmt::exec(args),
        Command::Schema(args) => schema::exec(args),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::exec(args),
        Command::Completions(args) => completions::exec(args),
    }
}

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    /// `plan --detailed-exitcode` with changes, `fmt --check` with files to reformat.
    pub const CHANGES: u8 = 2;
}
