//! `accessctl schema`: the language's schema, as shipped, or as a readable reference.

use std::process::ExitCode;

use crate::config::schema::{SCHEMA_TEXT, Schema};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a one-line-per-node reference instead of the schema file
    #[arg(long)]
    pub summary: bool,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    if args.summary {
        for node in &Schema::embedded().nodes {
            println!("{:<60} in {}: {}", node.usage(), node.parents.join(", "), node.summary);
        }
    } else {
        print!("{SCHEMA_TEXT}");
    }
    Ok(ExitCode::SUCCESS)
}
