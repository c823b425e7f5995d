//! `accessctl apply [PLANFILE]`: plan (or load a saved plan and check it is exactly what the files
//! plan against live state now), check the guards computed now, confirm, execute in dependency
//! order, report.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use miette::IntoDiagnostic;

use super::target::{self, TargetArgs};
use crate::apply::{ApplyOptions, Report, apply_cluster};
use crate::plan::{FORMAT_VERSION, GuardKind, Plan, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved with `accessctl plan --out FILE`
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Apply without asking
    #[arg(long)]
    pub auto_approve: bool,
    /// Accept a guarded change (repeatable)
    #[arg(long = "allow", value_parser = guard_names())]
    pub allow: Vec<GuardKind>,
    /// How long an authentication-mode update may take, in seconds
    #[arg(long, default_value_t = 1800)]
    pub update_timeout: u64,
}

/// `--allow` takes the guards' names as the plan prints them.
fn guard_names() -> impl clap::builder::TypedValueParser<Value = GuardKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(GuardKind::ALL.map(GuardKind::as_str))
        .map(|name| name.parse::<GuardKind>().expect("a possible value names a guard"))
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let Some(config) = target::load(&args.target)? else { return Ok(ExitCode::from(super::exit::ERROR)) };
    target::runtime()?.block_on(async {
        let target = target::connect(&args.target, config).await?;
        let (plan, live) = target::plan(&target).await?;
        if let Some(path) = &args.plan_file {
            let text = std::fs::read(path)
                .map_err(|e| miette::miette!("cannot read the plan file {}: {e}", path.display()))?;
            let saved: Plan = serde_json::from_slice(&text)
                .map_err(|e| miette::miette!("{} is not a plan accessctl wrote: {e}", path.display()))?;
            if saved.format_version != FORMAT_VERSION {
                return Err(miette::miette!(
                    "{} is a plan of format {}, this accessctl reads {FORMAT_VERSION}",
                    path.display(),
                    saved.format_version
                ));
            }
            // A saved plan is bound to the files and the live state it came from: what the files
            // plan now against live state now must be exactly what it says. Its guards are never
            // read from the file: they are the ones computed now.
            let stale = || {
                miette::miette!(
                    help = "run `accessctl plan --out FILE` again with these files and review the new plan",
                    "{} is not what these files plan: it was made from other files, or changed after",
                    path.display()
                )
            };
            if saved.clusters.iter().map(|c| &c.cluster).ne(plan.clusters.iter().map(|c| &c.cluster)) {
                return Err(stale());
            }
            for (s, now) in saved.clusters.iter().zip(&plan.clusters) {
                if s.fingerprint != now.fingerprint {
                    return Err(miette::miette!(
                        help = "run `accessctl plan --out FILE` again and review the new plan",
                        "cluster `{}` changed since {} was made: the saved plan no longer describes it",
                        s.cluster,
                        path.display()
                    ));
                }
                if serde_json::to_value(&s.changes).ok() != serde_json::to_value(&now.changes).ok() {
                    return Err(stale());
                }
            }
        }
        print!("{}", render::human(&plan));
        if plan.change_count() == 0 {
            return Ok(ExitCode::from(super::exit::OK));
        }
        let allowed: BTreeSet<GuardKind> = args.allow.iter().copied().collect();
        let missing: BTreeSet<GuardKind> = plan
            .clusters
            .iter()
            .flat_map(|c| c.guards.iter().map(|g| g.kind))
            .filter(|k| !allowed.contains(k))
            .collect();
        if !missing.is_empty() {
            let flags: Vec<String> = missing.iter().map(|k| format!("--allow {}", k.as_str())).collect();
            eprintln!(
                "Not applied: the plan has guarded changes. Review them, then run again with {}.",
                flags.join(" ")
            );
            return Ok(ExitCode::from(super::exit::ERROR));
        }
        if !args.auto_approve && !confirm()? {
            eprintln!("Not applied.");
            return Ok(ExitCode::from(super::exit::ERROR));
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let watcher = {
            let cancel = Arc::clone(&cancel);
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("Interrupted: finishing the calls in flight, starting no new ones.");
                    cancel.store(true, Ordering::SeqCst);
                }
            })
        };
        let options =
            ApplyOptions {
                update_timeout: Duration::from_secs(args.update_timeout),
                concurrency: args.target.parallelism,
                ..ApplyOptions::default()
            };
        let bar = super::progress::Progress::new(plan.change_count());
        let progress = |line: String| bar.line(line);
        let reports: Vec<Report> = futures_util::future::join_all(plan.clusters.iter().map(|c| {
            let conn = live.iter().find(|(l, _)| l.name == c.cluster).map(|(_, conn)| conn.clone());
            let desired = target.config.clusters.iter().find(|d| d.name == c.cluster);
            let cancel = Arc::clone(&cancel);
            let options = options.clone();
            async move {
                match (conn, desired) {
                    (Some(conn), Some(desired)) => {
                        apply_cluster(desired, c, &conn, &options, &cancel, &progress).await
                    }
                    _ => Report {
                        cluster: c.cluster.clone(),
                        not_started: c.changes.iter().map(|x| x.id.clone()).collect(),
                        ..Report::default()
                    },
                }
            }
        }))
        .await;
        bar.finish();
        watcher.abort();
        let mut ok = true;
        for r in &reports {
            if r.ok() {
                println!("cluster {}: {} change(s) applied", r.cluster, r.done.len());
                continue;
            }
            ok = false;
            println!(
                "cluster {}: {} applied, {} failed, {} not started{}",
                r.cluster,
                r.done.len(),
                r.failed.len(),
                r.not_started.len(),
                if r.interrupted { " (interrupted)" } else { "" }
            );
            for (id, e) in &r.failed {
                match id {
                    Some(id) => println!("  failed {id}: {e} [{}]", e.code()),
                    None => println!("  failed: {e} [{}]", e.code()),
                }
                if let Some(help) = e.help() {
                    println!("    help: {help}");
                }
            }
            for id in &r.not_started {
                println!("  not started {id}");
            }
        }
        if !ok {
            println!("Run `accessctl plan` to see what remains; `accessctl apply` again converges.");
        }
        #[cfg(feature = "sandbox")]
        if target.sandbox.is_some() {
            eprintln!(
                "note: the embedded sandbox ends with this command, and what was applied to it with it. To keep a \
                 world across commands, run `accessctl sandbox --state FILE` and point commands at it with --endpoint-url."
            );
        }
        Ok(ExitCode::from(if ok { super::exit::OK } else { super::exit::ERROR }))
    })
}

fn confirm() -> miette::Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!("Refusing to apply without a terminal to confirm on: pass --auto-approve.");
        return Ok(false);
    }
    print!("Apply these changes? Only 'yes' is accepted: ");
    std::io::stdout().flush().into_diagnostic()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).into_diagnostic()?;
    Ok(answer.trim() == "yes")
}
