//! `accessctl import`: write an access.kdl that reproduces live clusters.

use std::path::PathBuf;
use std::process::ExitCode;

use miette::IntoDiagnostic;

use super::target::{self, TargetArgs};
use crate::config::{SourceFile, fmt};
use crate::import::{ImportedCluster, to_kdl};
use crate::live::read::read_cluster;
use crate::model::{AwsAuth, Cluster, Configuration, Origin};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The region of the clusters
    #[arg(long)]
    pub region: String,
    /// Every cluster of the region (instead of --cluster)
    #[arg(long, conflicts_with = "clusters")]
    pub all: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write here instead of standard output
    #[arg(long = "out", short = 'o')]
    pub out: Option<PathBuf>,
}

fn bare_cluster(name: &str, region: &str) -> Cluster {
    Cluster {
        name: name.to_string(),
        region: region.to_string(),
        account: None,
        assume_role: None,
        kubernetes: None,
        authentication_mode: None,
        prune: false,
        owner: accessctl_core::ownership::DEFAULT_OWNER.to_string(),
        protected: vec![],
        access_entries: vec![],
        aws_auth: AwsAuth::default(),
        group_bindings: vec![],
        roles: vec![],
        permission_sets: Default::default(),
        expectations: vec![],
        guardrails: Default::default(),
        origin: Origin::default(),
    }
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    if !args.all && args.target.clusters.is_empty() {
        return Err(miette::miette!(
            help = "name them with --cluster NAME, or take every one with --all",
            "which clusters?"
        ));
    }
    target::runtime()?.block_on(async {
        let target = target::connect(&args.target, Configuration::default()).await?;
        let mut names = args.target.clusters.clone();
        if args.all {
            let probe = bare_cluster("", &args.region);
            let clients = crate::live::aws::clients_for(&probe, &target.endpoints).await;
            names = clients
                .eks
                .list_clusters()
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| miette::miette!("ListClusters: {}", crate::live::read::aws_message(&e)))?;
        }
        let mut lives = Vec::new();
        for name in &names {
            let (live, _) =
                read_cluster(&bare_cluster(name, &args.region), &target.endpoints).await.into_diagnostic()?;
            if let Some(why) = &live.kube_unreachable {
                eprintln!("cluster {name}: aws-auth and RBAC not imported: {why}");
            }
            lives.push(live);
        }
        let clusters: Vec<ImportedCluster<'_>> =
            lives.iter().map(|live| ImportedCluster { live, region: &args.region }).collect();
        let text = to_kdl(&clusters);
        let text = fmt::format(&SourceFile::new("imported.kdl", text.clone())).unwrap_or(text);
        match &args.out {
            Some(path) => {
                std::fs::write(path, &text).into_diagnostic()?;
                eprintln!("wrote {} cluster(s) to {}", lives.len(), path.display());
            }
            None => print!("{text}"),
        }
        Ok(ExitCode::SUCCESS)
    })
}
