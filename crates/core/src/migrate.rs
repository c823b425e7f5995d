//! `migrate`: a cluster's aws-auth mappings → access entries, as a change to the user's
//! access.kdl that they review and then plan — never a blind write — in two stages:
//!
//! 1. mode `API_AND_CONFIG_MAP` and an access entry for every mapping that can have one (aws-auth
//!    keeps working meanwhile; entries win for principals in both);
//! 2. once every such entry exists live and nothing is left that only aws-auth can express: mode
//!    `API` and the aws-auth block removed from the file.
//!
//! What each mapping becomes is decided in the core ([`accessctl_core::migration`]: eksctl's rules
//! on the mappings the authenticator really uses); this module turns it into file changes. A
//! role's full ARN comes from the principals the files declare; an IAM Identity Center role no
//! file declares is refused, naming the role, rather than given a guessed path.

use kdl::{KdlDocument, KdlNode};
use serde::Serialize;

use crate::migration::{Nothing, Outcome, Refusal, RolePath, RolePaths, propose};

use crate::aws_auth::AwsAuthData;
use crate::config::SourceFile;
use crate::config::fmt::quote;
use crate::live::LiveCluster;
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

/// Role paths from the principals the files declare, then from IAM (looked up beforehand).
struct Paths<'a> {
    declared: &'a [(String, PrincipalArn)],
    iam: &'a IamRoles,
}

/// What IAM's GetRole answered, by `account:lower-case role name`: the role, or `None` when IAM
/// has no such role. A role missing here could not be asked (another account, no permission).
pub type IamRoles = std::collections::BTreeMap<String, Option<PrincipalArn>>;

impl RolePaths for Paths<'_> {
    fn full_arn(&self, role: &PrincipalArn) -> RolePath {
        let declared = self
            .declared
            .iter()
            .map(|(_, p)| p)
            .find(|p| p.kind == role.kind && p.without_path().to_string().eq_ignore_ascii_case(&role.to_string()));
        match (declared, self.iam.get(&iam_key(&role.account, &role.name))) {
            (Some(p), _) => RolePath::Found(p.clone()),
            (None, Some(Some(p))) => RolePath::Found(p.clone()),
            (None, Some(None)) => RolePath::NotFound,
            _ => RolePath::Unknown,
        }
    }
}

/// The key of a role in [`IamRoles`].
pub fn iam_key(account: &str, name: &str) -> String {
    format!("{account}:{}", name.to_ascii_lowercase())
}

/// The roles of the cluster's account that aws-auth maps, by name: what IAM is asked about (the
/// credentials that read the cluster are that account's).
pub fn roles_to_look_up(live: &LiveCluster) -> Vec<String> {
    let mut names: Vec<String> = live
        .aws_auth
        .iter()
        .flat_map(|a| &a.data.mappings)
        .filter(|m| m.kind == crate::aws_auth::MappingKind::Role)
        .filter_map(|m| PrincipalArn::parse(&m.arn).ok())
        .filter(|p| live.account.as_deref() == Some(p.account.as_str()))
        .map(|p| p.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What IAM of the cluster's account (read with the cluster, the same read the plan checks
/// principals with) says of each role aws-auth maps: its full ARN, path included, or `None` when
/// IAM has no such role. Nothing when IAM could not be read: migrate then asks for the path.
pub fn iam_roles(live: &LiveCluster) -> IamRoles {
    let crate::access::Known::Known(iam) = &live.iam else { return IamRoles::new() };
    roles_to_look_up(live)
        .into_iter()
        .map(|name| {
            let role = iam.roles.iter().find(|r| r.arn.name.eq_ignore_ascii_case(&name)).map(|r| r.arn.clone());
            (iam_key(&iam.account, &name), role)
        })
        .collect()
}

/// How the files name a principal: its declared name, or its ARN.
fn written(names: &[(String, PrincipalArn)], principal: &PrincipalArn) -> String {
    names.iter().find(|(_, p)| p == principal).map(|(n, _)| n.clone()).unwrap_or_else(|| principal.to_string())
}

fn refusal_text(source: &str, reason: &Refusal) -> String {
    match reason {
        Refusal::ServiceLinkedRole => format!("{source} is a service-linked role: access entries cannot name one"),
        Refusal::SystemGroups { groups } => {
            format!("{source} is in {}: access entries cannot hold system: groups", groups.join(", "))
        }
        Refusal::Account { .. } => "mapAccounts lets in every principal of an account: no access entry can".into(),
        Refusal::NotAnArn => format!("`{source}` is not an IAM ARN"),
        Refusal::RolePathUnknown => format!(
            "{source}: an access entry needs the role's full ARN with its path{}, which IAM could not be asked \
             for; declare it with `principal \"<name>\" \"<full ARN>\"` and run migrate again",
            if source.contains("AWSReservedSSO_") { " (aws-reserved/sso.amazonaws.com/<region>/)" } else { "" }
        ),
        Refusal::RoleNotFound => {
            format!("{source}: IAM has no such role (deleted, or never created): nobody gets in through it")
        }
        Refusal::NodeOfAnotherAccount { account } => {
            format!("{source} maps nodes of account {account}: node entries must be in the cluster's account")
        }
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
pub fn migrate(
    files: &[SourceFile],
    declared: &Cluster,
    live: &LiveCluster,
    iam: &IamRoles,
) -> Result<Migration, MigrateError> {
    let mut out = Migration {
        cluster: declared.name.clone(),
        stage: 1,
        migrated: vec![],
        refused: vec![],
        waiting: vec![],
        files: vec![],
    };
    let names = declared_principals(files);
    let empty = AwsAuthData::default();
    let data = live.aws_auth.as_ref().map_or(&empty, |a| &a.data);
    let declared_entries: Vec<PrincipalArn> = declared.access_entries.iter().map(|e| e.principal.clone()).collect();
    let mut new_entries = Vec::new();
    let mut wanted_live = Vec::new();
    let paths = Paths { declared: &names, iam };
    for p in propose(data, &declared_entries, declared.account.as_deref(), &paths) {
        match p.outcome {
            Outcome::Entry { principal, entry_type, username, groups, admin } => {
                let summary = format!(
                    "{} entry{}{}",
                    entry_type.as_str(),
                    if admin { " + AmazonEKSClusterAdminPolicy" } else { "" },
                    if groups.is_empty() { String::new() } else { format!(", groups {}", groups.join(", ")) },
                );
                out.migrated.push((p.source, summary));
                new_entries.push(entry_kdl(&written(&names, &principal), entry_type, &username, &groups, admin));
                wanted_live.push(principal);
            }
            Outcome::Existing { principal } => {
                out.migrated.push((p.source, "its access entry is declared already".into()));
                wanted_live.push(principal);
            }
            Outcome::Refused { reason } => {
                let text = refusal_text(&p.source, &reason);
                out.refused.push((p.source, text));
            }
            Outcome::Nothing { reason: Nothing::Shadowed } => out
                .migrated
                .push((p.source, "nothing (another mapping of the same ARN is the one the authenticator uses)".into())),
            Outcome::Nothing { reason: Nothing::PathNeverMatches { proposed } } => out.migrated.push((
                p.source.clone(),
                format!(
                    "nothing ({} has a path and never matched: it granted nothing; `access-entry \"{proposed}\"` \
                     would give that role access it never had — add it yourself if that is wanted)",
                    p.source
                ),
            )),
        }
    }

    // Stage two only when stage one is done live and nothing depends on aws-auth alone.
    let live_entries: Vec<PrincipalArn> = live.entries.keys().filter_map(|p| PrincipalArn::parse(p).ok()).collect();
    let missing: Vec<&PrincipalArn> = wanted_live
        .iter()
        .filter(|w| !live_entries.iter().any(|l| l.to_string().eq_ignore_ascii_case(&w.to_string())))
        .collect();
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
