//! `accessctl report`: an access review across clusters for an auditor — every principal × every
//! cluster with its effective rights, how each is granted, what the files do not manage, what is
//! unknown and why, and with `--previous` what changed since an earlier review. One page of
//! self-contained HTML, or markdown, CSV or JSON, all rendered from the same data
//! (`accessctl_core::report`); live (`cluster_states`, as can-i and who-can read) or `--offline`.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::{Context, IntoDiagnostic};

use super::can_i::{UNKNOWN, cluster_states};
use super::target::TargetArgs;
use crate::report::{self, ChangedSince, ClusterInput, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One self-contained page (no script, nothing fetched when viewed)
    Html,
    Markdown,
    /// One line per principal × cluster (RFC 4180), then one per change
    Csv,
    /// The data itself: the input of a later `--previous`
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only what the files would grant: no network
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Write here instead of standard output
    #[arg(long = "out", short = 'o')]
    pub out: Option<PathBuf>,
    /// An earlier report in JSON (`--format json`): adds what changed since
    #[arg(long, value_name = "FILE.json")]
    pub previous: Option<PathBuf>,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    // A bad previous report is found before any cluster is read.
    let previous = match &args.previous {
        Some(path) => Some(read_previous(path)?),
        None => None,
    };
    let Some((config, states)) = cluster_states(args.target, args.offline)? else {
        return Ok(ExitCode::from(super::exit::ERROR));
    };
    let inputs: Vec<ClusterInput> =
        states.into_iter().map(|s| ClusterInput { name: s.cluster, state: s.read }).collect();
    let now = jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).ok();
    let mut review = report::build(&config, &inputs, !args.offline, now);
    if let Some(previous) = &previous {
        review.changed_since = Some(ChangedSince {
            previous_generated_at: previous.generated_at.clone(),
            changes: report::diff(previous, &review),
        });
    }
    let text = match args.format {
        Format::Html => report::html::render(&review),
        Format::Markdown => report::markdown::render(&review),
        Format::Csv => report::csv::render(&review),
        Format::Json => report::to_json(&review),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).into_diagnostic().wrap_err_with(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote the review of {} principal(s) on {} cluster(s) to {}",
                review.rows.len(),
                review.clusters.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::from(if review.has_unknown() { UNKNOWN } else { super::exit::OK }))
}

/// Larger than any review accessctl writes (thousands of principals × tens of clusters is a
/// few MiB): a larger file is not one, and is not read into memory.
const PREVIOUS_LIMIT: u64 = 256 << 20;

fn read_previous(path: &std::path::Path) -> miette::Result<Report> {
    let text = read_limited(path).map_err(|e| {
        miette::miette!(
            code = "accessctl::report::previous_unreadable",
            help = "give the path of the JSON an earlier `accessctl report --format json -o FILE` wrote",
            "cannot read the previous report {}: {e}",
            path.display()
        )
    })?;
    report::from_json(&text).map_err(|e| miette::Report::new(e).wrap_err(format!("in {}", path.display())))
}

fn read_limited(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?.take(PREVIOUS_LIMIT + 1).read_to_string(&mut text)?;
    if text.len() as u64 > PREVIOUS_LIMIT {
        return Err(std::io::Error::other(format!("it is larger than {} MiB", PREVIOUS_LIMIT >> 20)));
    }
    Ok(text)
}
