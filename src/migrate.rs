//! `migrate`: a cluster's aws-auth mappings → access entries, as a change to the user's
//! access.kdl that they review and then plan — never a blind write — in two stages:
//!
//! 1. mode `API_AND_CONFIG_MAP` and an access entry for every mapping that can have one (aws-auth
//!    keeps working meanwhile; entries win for principals in both);
//! 2. once every such entry exists live and nothing is left that only aws-auth can express: mode
//!    `API` and the aws-auth block removed from the file.
//!
//! The rules are eksctl's: `system:masters` → STANDARD + AmazonEKSClusterAdminPolicy at cluster
//! scope; node roles (`system:nodes`/`system:bootstrappers`) → EC2_LINUX (EC2_WINDOWS with the
//! Windows group), Fargate pod-execution roles (`system:node-proxier`) → FARGATE_LINUX; other
//! groups kept as Kubernetes groups (their RBAC bindings stay). Other `system:` groups and
//! `mapAccounts` cannot become entries: they are reported and block stage two.

use std::collections::BTreeSet;

use kdl::{KdlDocument, KdlNode};
use serde::Serialize;

use crate::aws_auth::{Mapping, MappingKind};
use crate::config::SourceFile;
use crate::config::fmt::quote;
use crate::live::read::LiveCluster;
use crate::model::rules::check_username;
use crate::model::{AuthMode, Cluster, EntryType, PrincipalArn};

#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    pub cluster: String,
    pub stage: u8,
    /// `(mapping ARN, what it becomes)`.
    pub migrated: Vec<(String, String)>,
    /// `(who, why)`: what cannot become an access entry.
    pub refused: Vec<(String, String)>,
    /// Why stage two cannot run yet, if it cannot.
    pub waiting: Vec<String>,
    /// The files' new texts: `(file name, text)`; empty when nothing changes.
    pub files: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cluster `{0}` is not defined (with its region) in the given files")]
    NoClusterBlock(String),
    #[error("cannot read {0} as KDL")]
    Parse(String),
}

/// What one mapping becomes.
enum Outcome {
    Entry {
        principal: String,
        entry_type: EntryType,
        username: Option<String>,
        groups: Vec<String>,
        admin: bool,
    },
    Refused(String),
    /// It granted nothing (a path never matches): nothing to migrate.
    Skip(String),
}

fn classify(m: &Mapping, declared: &Cluster, names: &[(String, PrincipalArn)]) -> Outcome {
    let Ok(arn) = PrincipalArn::parse(&m.arn) else {
        return Outcome::Refused(format!("`{}` is not an IAM ARN", m.arn));
    };
    if arn.has_path() && m.kind == MappingKind::Role {
        return Outcome::Skip(format!("{} has a path and never matched: it granted nothing", m.arn));
    }
    // aws-auth has no paths; an access entry needs the role's full ARN. A declared principal
    // of the same name gives it; without one, an SSO role cannot be guessed.
    let full = names.iter().find(|(_, p)| p.without_path().to_string().eq_ignore_ascii_case(&arn.to_string()));
    let principal = match full {
        Some((name, _)) => name.clone(),
        None if arn.name.starts_with("AWSReservedSSO_") => {
            return Outcome::Refused(format!(
                "{} is an IAM Identity Center role: its access entry needs the full ARN with \
                 aws-reserved/sso.amazonaws.com/<region>/; declare it with `principal` and run migrate again",
                m.arn
            ));
        }
        None => arn.to_string(),
    };
    let groups: BTreeSet<&str> = m.groups.iter().map(String::as_str).collect();
    let node = groups.contains("system:nodes") || groups.contains("system:bootstrappers");
    if node {
        let entry_type = if groups.contains("system:node-proxier") {
            EntryType::FargateLinux
        } else if groups.iter().any(|g| g.contains("windows")) {
            EntryType::Ec2Windows
        } else {
            EntryType::Ec2Linux
        };
        if let Some(account) = &declared.account
            && &arn.account != account
        {
            return Outcome::Refused(format!(
                "{} maps nodes of another account: node entries must be in {account}",
                m.arn
            ));
        }
        return Outcome::Entry { principal, entry_type, username: None, groups: vec![], admin: false };
    }
    let others: Vec<&str> =
        groups.iter().copied().filter(|g| g.starts_with("system:") && *g != "system:masters").collect();
    if !others.is_empty() {
        return Outcome::Refused(format!(
            "{} is in {}: access entries cannot hold system: groups",
            m.arn,
            others.join(", ")
        ));
    }
    let username = m.username.clone().filter(|u| check_username(u).is_none());
    let kept: Vec<String> = groups.iter().filter(|g| !g.starts_with("system:")).map(|g| g.to_string()).collect();
    Outcome::Entry {
        principal,
        entry_type: EntryType::Standard,
        username,
        groups: kept,
        admin: groups.contains("system:masters"),
    }
}

fn entry_kdl(
    principal: &str,
    entry_type: EntryType,
    username: &Option<String>,
    groups: &[String],
    admin: bool,
) -> String {
    let mut head = format!("access-entry {}", quote(principal));
    if entry_type != EntryType::Standard {
        head.push_str(&format!(" type={}", quote(entry_type.as_str())));
    }
    if let Some(u) = username {
        head.push_str(&format!(" username={}", quote(u)));
    }
    let mut body = Vec::new();
    if !groups.is_empty() {
        body.push(format!("groups {}", groups.iter().map(|g| quote(g)).collect::<Vec<_>>().join(" ")));
    }
    if admin {
        body.push("policy \"AmazonEKSClusterAdminPolicy\"".into());
    }
    if body.is_empty() { head } else { format!("{head} {{\n{}\n}}", body.join("\n")) }
}

/// Plans the next stage for `declared` given its live state and the files that declare it.
pub fn migrate(files: &[SourceFile], declared: &Cluster, live: &LiveCluster) -> Result<Migration, MigrateError> {
    let mut out = Migration {
        cluster: declared.name.clone(),
        stage: 1,
        migrated: vec![],
        refused: vec![],
        waiting: vec![],
        files: vec![],
    };
    let names = declared_principals(files);
    let mappings = live.aws_auth.as_ref().map(|a| a.data.mappings.clone()).unwrap_or_default();
    let declared_entries: BTreeSet<String> =
        declared.access_entries.iter().map(|e| e.principal.without_path().to_string().to_ascii_lowercase()).collect();
    let mut new_entries = Vec::new();
    let mut wanted_live = Vec::new();
    for m in &mappings {
        match classify(m, declared, &names) {
            Outcome::Entry { principal, entry_type, username, groups, admin } => {
                let key = PrincipalArn::parse(&m.arn)
                    .map(|p| p.without_path().to_string().to_ascii_lowercase())
                    .unwrap_or_default();
                let summary = format!(
                    "{} entry{}{}",
                    entry_type.as_str(),
                    if admin { " + AmazonEKSClusterAdminPolicy" } else { "" },
                    if groups.is_empty() { String::new() } else { format!(", groups {}", groups.join(", ")) }
                );
                out.migrated.push((m.arn.clone(), summary));
                wanted_live.push(key.clone());
                if !declared_entries.contains(&key) {
                    new_entries.push(entry_kdl(&principal, entry_type, &username, &groups, admin));
                }
            }
            Outcome::Refused(why) => out.refused.push((m.arn.clone(), why)),
            Outcome::Skip(why) => out.migrated.push((m.arn.clone(), format!("nothing ({why})"))),
        }
    }
    for a in live.aws_auth.iter().flat_map(|a| &a.data.accounts) {
        out.refused.push((
            format!("account {a}"),
            "mapAccounts lets in every principal of an account: no access entry can".into(),
        ));
    }

    // Stage two only when stage one is done live and nothing depends on aws-auth alone.
    let live_entries: BTreeSet<String> = live
        .entries
        .keys()
        .filter_map(|p| PrincipalArn::parse(p).ok())
        .map(|p| p.without_path().to_string().to_ascii_lowercase())
        .collect();
    let missing: Vec<&String> = wanted_live.iter().filter(|k| !live_entries.contains(*k)).collect();
    if live.mode == AuthMode::ConfigMap {
        out.waiting.push("the cluster is still in CONFIG_MAP".into());
    }
    if !missing.is_empty() {
        out.waiting
            .push(format!("{} access entr(ies) of stage one do not exist yet: apply stage one first", missing.len()));
    }
    if !out.refused.is_empty() {
        out.waiting.push(format!(
            "{} principal(s) have access only aws-auth can express (listed as refused)",
            out.refused.len()
        ));
    }
    if out.waiting.is_empty() && new_entries.is_empty() {
        out.stage = 2;
    }
    out.files = rewrite(files, declared, &new_entries, out.stage)?;
    Ok(out)
}

fn declared_principals(files: &[SourceFile]) -> Vec<(String, PrincipalArn)> {
    let mut out = Vec::new();
    for f in files {
        let Ok(doc) = f.text.parse::<KdlDocument>() else { continue };
        for n in doc.nodes().iter().filter(|n| n.name().value() == "principal") {
            if let (Some(name), Some(arn)) =
                (n.get(0).and_then(|v| v.as_string()), n.get(1).and_then(|v| v.as_string()))
                && let Ok(p) = PrincipalArn::parse(arn)
            {
                out.push((name.to_string(), p));
            }
        }
    }
    out
}

/// The new text of the file that holds the cluster's settings: stage one sets the mode to
/// API_AND_CONFIG_MAP and appends the new entries; stage two sets API and removes aws-auth.
fn rewrite(
    files: &[SourceFile],
    declared: &Cluster,
    new_entries: &[String],
    stage: u8,
) -> Result<Vec<(String, String)>, MigrateError> {
    let target_mode = if stage == 1 { AuthMode::ApiAndConfigMap } else { AuthMode::Api };
    let mut out = Vec::new();
    for f in files {
        let mut doc: KdlDocument = f.text.parse().map_err(|_| MigrateError::Parse(f.name.clone()))?;
        let mut changed = false;
        for node in doc.nodes_mut().iter_mut() {
            if node.name().value() != "cluster"
                || node.get(0).and_then(|v| v.as_string()) != Some(declared.name.as_str())
            {
                continue;
            }
            let defines = node.children().is_some_and(|c| c.get("region").is_some());
            let children = node.ensure_children();
            if stage == 2 {
                let before = children.nodes().len();
                children.nodes_mut().retain(|n| n.name().value() != "aws-auth");
                changed |= before != children.nodes().len();
            }
            if !defines {
                continue;
            }
            if declared.authentication_mode.is_none_or(|m| m < target_mode) {
                set_mode(children, target_mode);
                changed = true;
            }
            for (i, e) in new_entries.iter().enumerate() {
                // A blank line sets the migrated entries apart from what was there.
                let text = if i == 0 { format!("\n{e}\n") } else { format!("{e}\n") };
                let parsed: KdlDocument = text.parse().map_err(|_| MigrateError::Parse(e.clone()))?;
                children.nodes_mut().extend(parsed.nodes().iter().cloned());
                changed = true;
            }
        }
        if changed {
            let text = doc.to_string();
            let formatted = crate::config::fmt::format(&SourceFile::new(f.name.clone(), text.clone())).unwrap_or(text);
            out.push((f.name.clone(), formatted));
        }
    }
    if out.is_empty()
        && (!new_entries.is_empty() || stage == 2)
        && !files.iter().any(|f| f.text.contains(&format!("cluster {}", quote(&declared.name))))
    {
        return Err(MigrateError::NoClusterBlock(declared.name.clone()));
    }
    Ok(out)
}

fn set_mode(children: &mut KdlDocument, mode: AuthMode) {
    if let Some(existing) = children.nodes_mut().iter_mut().find(|n| n.name().value() == "authentication-mode") {
        // Change the value only, so comments around the node stay.
        if let Some(entry) = existing.entries_mut().first_mut() {
            entry.set_value(mode.as_str());
            // The entry remembers how its old value was written; drop that so the new one shows.
            entry.clear_format();
            return;
        }
    }
    let line: KdlDocument = format!("authentication-mode {}\n", quote(mode.as_str())).parse().expect("a valid node");
    let node: KdlNode = line.nodes()[0].clone();
    let at = children.nodes().iter().position(|n| n.name().value() == "region").map_or(0, |i| i + 1);
    children.nodes_mut().insert(at, node);
}
