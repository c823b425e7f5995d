//! aws-auth → access entries: what each aws-auth item becomes, decided on the mappings the
//! authenticator really uses.
//!
//! eksctl's rules (`pkg/actions/accessentry/migrator.go`), with the model's reading of aws-auth:
//! - only the item the authenticator uses for an ARN counts (mapRoles before mapUsers, the later
//!   of two items for the same ARN): a shadowed item becomes nothing — eksctl keeps the first, which
//!   can hand a principal the access it never had;
//! - a `mapRoles` item whose username is `system:node:{{EC2PrivateDNSName}}` is a node role:
//!   EC2_LINUX, or EC2_WINDOWS with the `eks:kube-proxy-windows` group;
//! - a Fargate pod-execution role (`system:node:{{SessionName}}` with `system:node-proxier`) becomes
//!   FARGATE_LINUX (eksctl leaves it to EKS, which makes that entry itself);
//! - `system:masters` becomes STANDARD with AmazonEKSClusterAdminPolicy at cluster scope; the other
//!   groups that are not `system:` stay (their RBAC still applies);
//! - other `system:` groups, service-linked roles and `mapAccounts` cannot become entries: refused,
//!   which blocks the move to API;
//! - a `rolearn` with a path never matched anyone: it becomes nothing, with the entry that would
//!   give that role access proposed (that changes effective access, so it is not written);
//! - access entries need a role's full ARN: its path comes from [`RolePaths`] (the files'
//!   declared principals, IAM's GetRole), never a guess; a role IAM does not have is refused.

use serde::Serialize;

use crate::access::authn::{mapping_in_force, rolearn_can_match};
use crate::aws_auth::{AwsAuthData, Mapping, MappingKind};
use crate::model::arn::ArnError;
use crate::model::rules::check_username;
use crate::model::{EntryType, PrincipalArn, PrincipalKind};

/// What is known of a role named in aws-auth (where paths never are).
#[derive(Debug, Clone, PartialEq)]
pub enum RolePath {
    /// Its full ARN, with its path.
    Found(PrincipalArn),
    /// IAM says no such role exists.
    NotFound,
    /// It cannot be told (IAM cannot be read, and the files do not declare it).
    Unknown,
}

/// Where a role's full ARN (with its path) comes from.
pub trait RolePaths {
    fn full_arn(&self, role: &PrincipalArn) -> RolePath;
}

/// What one aws-auth item becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "becomes", rename_all = "kebab-case")]
pub enum Outcome {
    Entry {
        principal: PrincipalArn,
        #[serde(rename = "type")]
        entry_type: EntryType,
        username: Option<String>,
        groups: Vec<String>,
        /// AmazonEKSClusterAdminPolicy at cluster scope.
        admin: bool,
    },
    /// Cannot be an access entry: keeps aws-auth needed.
    Refused { reason: Refusal },
    /// Grants nothing today, so there is nothing to carry over.
    Nothing { reason: Nothing },
    /// The principal has an access entry already.
    Existing { principal: PrincipalArn },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    ServiceLinkedRole,
    SystemGroups {
        groups: Vec<String>,
    },
    Account {
        account: String,
    },
    NotAnArn,
    /// The role's path cannot be told: an access entry needs it, and it is never guessed.
    RolePathUnknown,
    /// IAM has no such role: the mapping names a role that was deleted, or never existed.
    RoleNotFound,
    NodeOfAnotherAccount {
        account: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Nothing {
    /// A role ARN with a path never matches; the entry that would give it access, if wanted.
    PathNeverMatches { proposed: String },
    /// Another item for the same ARN is the one the authenticator uses.
    Shadowed,
}

/// One aws-auth item (or account) and what it becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// The ARN as aws-auth writes it, or `account <id>`.
    pub source: String,
    pub outcome: Outcome,
}

const WINDOWS_GROUP: &str = "eks:kube-proxy-windows";
const NODE_USERNAME: &str = "system:node:{{EC2PrivateDNSName}}";
const FARGATE_USERNAME: &str = "system:node:{{SessionName}}";

/// What every item of `data` becomes. `existing` are principals with an access entry already;
/// node entries must be in `cluster_account` when it is known.
pub fn propose(
    data: &AwsAuthData,
    existing: &[PrincipalArn],
    cluster_account: Option<&str>,
    paths: &dyn RolePaths,
) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    let mut made: Vec<PrincipalArn> = Vec::new();
    for (i, m) in data.mappings.iter().enumerate() {
        let outcome = decide(data, i, m, existing, cluster_account, paths);
        // Two aws-auth ARNs that resolve to one principal give it one entry: the first decided.
        let outcome = match outcome {
            Outcome::Entry { ref principal, .. } if made.iter().any(|p| same(p, principal)) => {
                Outcome::Nothing { reason: Nothing::Shadowed }
            }
            Outcome::Entry { ref principal, .. } => {
                made.push(principal.clone());
                outcome
            }
            other => other,
        };
        out.push(Proposal { source: m.arn.clone(), outcome });
    }
    for a in &data.accounts {
        out.push(Proposal {
            source: format!("account {a}"),
            outcome: Outcome::Refused { reason: Refusal::Account { account: a.clone() } },
        });
    }
    out
}

fn same(a: &PrincipalArn, b: &PrincipalArn) -> bool {
    a.to_string().eq_ignore_ascii_case(&b.to_string())
}

fn decide(
    data: &AwsAuthData,
    index: usize,
    m: &Mapping,
    existing: &[PrincipalArn],
    cluster_account: Option<&str>,
    paths: &dyn RolePaths,
) -> Outcome {
    let arn = match PrincipalArn::parse(&m.arn) {
        Ok(a) => a,
        Err(ArnError::ServiceLinkedRole) => return Outcome::Refused { reason: Refusal::ServiceLinkedRole },
        Err(_) => return Outcome::Refused { reason: Refusal::NotAnArn },
    };
    if m.kind == MappingKind::Role && !rolearn_can_match(&m.arn) {
        return Outcome::Nothing { reason: Nothing::PathNeverMatches { proposed: arn.to_string() } };
    }
    // Only the item the authenticator uses for this ARN counts.
    if !mapping_in_force(&data.mappings, index) {
        return Outcome::Nothing { reason: Nothing::Shadowed };
    }
    let principal = match arn.kind {
        PrincipalKind::User => arn.clone(),
        PrincipalKind::Role => match paths.full_arn(&arn) {
            RolePath::Found(full) => full,
            RolePath::NotFound => return Outcome::Refused { reason: Refusal::RoleNotFound },
            RolePath::Unknown => return Outcome::Refused { reason: Refusal::RolePathUnknown },
        },
    };
    if let Some(e) = existing.iter().find(|e| same(e, &principal)) {
        return Outcome::Existing { principal: e.clone() };
    }
    let groups: Vec<&str> = m.groups.iter().map(String::as_str).collect();
    let username = m.username.as_deref().unwrap_or_default();
    let node_type = match (m.kind, username) {
        (MappingKind::Role, NODE_USERNAME) if groups.contains(&WINDOWS_GROUP) => Some(EntryType::Ec2Windows),
        (MappingKind::Role, NODE_USERNAME) => Some(EntryType::Ec2Linux),
        (MappingKind::Role, FARGATE_USERNAME) if groups.contains(&"system:node-proxier") => {
            Some(EntryType::FargateLinux)
        }
        _ => None,
    };
    if let Some(entry_type) = node_type {
        if let Some(account) = cluster_account
            && principal.account != account
        {
            return Outcome::Refused { reason: Refusal::NodeOfAnotherAccount { account: principal.account.clone() } };
        }
        return Outcome::Entry { principal, entry_type, username: None, groups: vec![], admin: false };
    }
    let admin = groups.contains(&"system:masters");
    let system: Vec<String> =
        groups.iter().filter(|g| g.starts_with("system:") && **g != "system:masters").map(|g| g.to_string()).collect();
    if !admin && !system.is_empty() {
        return Outcome::Refused { reason: Refusal::SystemGroups { groups: system } };
    }
    let mut kept: Vec<String> = groups.iter().filter(|g| !g.starts_with("system:")).map(|g| g.to_string()).collect();
    kept.sort();
    kept.dedup();
    Outcome::Entry {
        principal,
        entry_type: EntryType::Standard,
        // EKS refuses what aws-auth allowed (reserved prefixes, a template without a colon before
        // it): EKS's generated username then stands in.
        username: m.username.clone().filter(|u| !u.is_empty() && check_username(u).is_none()),
        groups: kept,
        admin,
    }
}
