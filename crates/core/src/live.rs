//! Live state as the access model reads it: what EKS and the cluster's Kubernetes API hold now.
//! The binary reads it (`live::read`); everything that reasons about it — the plan, explain,
//! import, migrate — takes these types.
//!
//! What could not be read stays unknown: aws-auth behind an unreachable Kubernetes API is not
//! "no aws-auth", RBAC that could not be listed is not "no bindings", and EKS never says who
//! created a cluster.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::access::state::made_for_earlier_principal;
use crate::access::{Association, ClusterAccess, Entry, Known};
use crate::aws_auth::{self, AwsAuthData};
use crate::model::rules::EntryType;
use crate::model::{AccessScope, AuthMode, BindingTarget, PrincipalArn, PrincipalKind};
use crate::ownership::Owners;

/// Label on every RBAC object accessctl manages.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "accessctl";
/// Label on those objects naming the configuration that owns them (absent: the default owner).
pub const OWNER_LABEL: &str = "accessctl.io/owner";
/// Tag on every access entry accessctl creates or adopts: the owners that claim it.
pub const OWNERSHIP_TAG: &str = "accessctl.io/managed";

#[derive(Debug, Clone, Serialize)]
pub struct LiveCluster {
    pub name: String,
    pub status: String,
    pub mode: AuthMode,
    /// The account that owns the cluster (from its ARN).
    pub account: Option<String>,
    /// The region the cluster's ARN names.
    pub arn_region: Option<String>,
    /// The IAM principal applying (an assumed-role session shown as its role).
    pub caller: String,
    /// The caller exactly as STS reports it (a session with its name): who the access model
    /// authenticates when it asks about the caller.
    #[serde(skip)]
    pub caller_arn: String,
    pub endpoint: Option<String>,
    #[serde(skip)]
    pub ca: Option<String>,
    pub entries: BTreeMap<String, LiveEntry>,
    /// `None` when the ConfigMap does not exist (or the cluster cannot serve it yet).
    pub aws_auth: Option<LiveAwsAuth>,
    pub bindings: BTreeMap<String, LiveBinding>,
    /// The ClusterRoles and Roles accessctl manages (every owner's), by namespace/name.
    pub roles: BTreeMap<String, LiveRole>,
    /// Every Role, ClusterRole and binding of the cluster, for the access model.
    #[serde(skip)]
    pub rbac: crate::access::Known<crate::access::Rbac>,
    /// Why the Kubernetes side could not be read, if it could not: only while the cluster does not
    /// serve its API yet (an ACTIVE cluster whose API cannot be read is an error, not "empty").
    pub kube_unreachable: Option<String>,
    /// The roles and users of the cluster's account, as IAM lists them: unknown when the caller may
    /// not read IAM there (then nothing is checked against it, and the plan says so).
    pub iam: Known<IamView>,
}

/// What IAM holds in one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IamView {
    pub account: String,
    pub roles: Vec<IamPrincipal>,
    pub users: Vec<IamPrincipal>,
}

/// A role or user as IAM lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IamPrincipal {
    /// The full ARN, path included.
    pub arn: PrincipalArn,
    /// IAM's unique id (`AROA…`, `AIDA…`).
    pub id: String,
    /// `CreateDate`, in milliseconds since the epoch.
    pub created: i64,
}

impl IamView {
    /// The role or user `arn` names (same account and name, case-insensitively as IAM; the path
    /// too when `with_path`, as access entries match it; aws-auth does not). A principal of
    /// another account is never in this view.
    pub fn find(&self, arn: &PrincipalArn, with_path: bool) -> Option<&IamPrincipal> {
        if arn.account != self.account {
            return None;
        }
        let list = match arn.kind {
            PrincipalKind::Role => &self.roles,
            PrincipalKind::User => &self.users,
        };
        list.iter().find(|p| p.arn.name.eq_ignore_ascii_case(&arn.name) && (!with_path || p.arn.path == arn.path))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveEntry {
    pub principal: String,
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    pub username: String,
    pub groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub arn: String,
    /// Policy short name → scope.
    pub policies: BTreeMap<String, AccessScope>,
    /// When EKS made it, in milliseconds since the epoch.
    pub created: Option<i64>,
}

impl LiveEntry {
    /// Made for an earlier principal of its ARN (see [`made_for_earlier_principal`]), as far as
    /// IAM tells: its principal was created after the entry.
    pub fn made_for_earlier_principal(&self, iam: &Known<IamView>) -> bool {
        let (Known::Known(iam), Some(created), Ok(arn)) = (iam, self.created, PrincipalArn::parse(&self.principal))
        else {
            return false;
        };
        iam.find(&arn, true).is_some_and(|p| made_for_earlier_principal(created, p.created))
    }
}

impl LiveEntry {
    /// The configurations that claim this entry (none: accessctl never wrote or adopted it).
    pub fn owners(&self) -> Owners {
        self.tags.get(OWNERSHIP_TAG).map(|v| Owners::parse(v)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveAwsAuth {
    pub resource_version: String,
    pub data: AwsAuthData,
    pub claims: aws_auth::Claims,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveBinding {
    pub name: String,
    pub namespace: Option<String>,
    pub group: String,
    pub target: BindingTarget,
    /// The configuration that owns it.
    pub owner: String,
}

/// A ClusterRole (`namespace` None) or Role labelled as accessctl's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveRole {
    pub name: String,
    pub namespace: Option<String>,
    pub rules: Vec<crate::access::Rule>,
    pub owner: String,
}

/// Bindings are keyed by namespace and name.
pub fn binding_key(name: &str, namespace: Option<&str>) -> String {
    format!("{}/{name}", namespace.unwrap_or(""))
}

/// The model's view of a cluster read live.
pub fn from_live(live: &LiveCluster) -> ClusterAccess {
    let entries: Result<Vec<Entry>, String> = live
        .entries
        .values()
        .map(|e| {
            let principal = PrincipalArn::parse(&e.principal).map_err(|err| {
                format!("the access entry of `{}` names no IAM principal accessctl reads: {err}", e.principal)
            })?;
            let policies =
                e.policies.iter().map(|(p, scope)| Association { policy: p.clone(), scope: scope.clone() }).collect();
            Ok(Entry {
                principal,
                entry_type: e.entry_type,
                username: e.username.clone(),
                groups: e.groups.clone(),
                policies,
                made_for_earlier_principal: e.made_for_earlier_principal(&live.iam),
            })
        })
        .collect();
    let aws_auth = match (&live.aws_auth, &live.kube_unreachable) {
        (Some(a), _) => Known::Known(Some(a.data.clone())),
        (None, Some(why)) => Known::Unknown(format!("the Kubernetes API could not be read: {why}")),
        (None, None) => Known::Known(None),
    };
    ClusterAccess {
        name: live.name.clone(),
        mode: live.mode,
        entries: match entries {
            Ok(e) => Known::Known(e),
            Err(why) => Known::Unknown(why),
        },
        aws_auth,
        creator: Known::Unknown("EKS does not say who created a cluster".into()),
        rbac: live.rbac.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(principal: &str, created: i64) -> LiveEntry {
        LiveEntry {
            principal: principal.into(),
            entry_type: EntryType::Standard,
            username: String::new(),
            groups: vec![],
            tags: BTreeMap::new(),
            arn: String::new(),
            policies: BTreeMap::new(),
            created: Some(created),
        }
    }

    #[test]
    fn only_a_principal_of_the_account_iam_describes_can_have_been_re_created() {
        let ops = PrincipalArn::parse("arn:aws:iam::111122223333:role/ops").unwrap();
        let iam = Known::Known(IamView {
            account: "111122223333".into(),
            roles: vec![IamPrincipal { arn: ops, id: "AROA1".into(), created: 2_000 }],
            users: vec![],
        });
        assert!(entry("arn:aws:iam::111122223333:role/ops", 1_000).made_for_earlier_principal(&iam));
        assert!(!entry("arn:aws:iam::111122223333:role/ops", 3_000).made_for_earlier_principal(&iam));
        // The role of the same name in another account is another principal.
        assert!(!entry("arn:aws:iam::444455556666:role/ops", 1_000).made_for_earlier_principal(&iam));
        assert!(
            !entry("arn:aws:iam::111122223333:role/ops", 1_000)
                .made_for_earlier_principal(&Known::Unknown("no".into()))
        );
    }
}
