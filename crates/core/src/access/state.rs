//! One cluster's access state, typed: the inputs of authentication and authorization.
//!
//! Built once where state enters the program — from the files (`config`), from live reads
//! (`live`), inside the sandbox — and never re-parsed downstream. What could not be read is
//! [`Known::Unknown`], with the reason: a decision that needs it is unknown too, never "nothing".

use serde::Serialize;

use super::rbac::Rbac;
use crate::aws_auth::AwsAuthData;
use crate::model::{AccessScope, AuthMode, EntryType, PrincipalArn};
use std::collections::BTreeSet;

/// A part of the state that was read, or could not be.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "value")]
pub enum Known<T> {
    Known(T),
    /// Why it is not known (e.g. "aws-auth could not be read: 403 Forbidden").
    Unknown(String),
}

impl<T> Known<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Known::Known(t) => Some(t),
            Known::Unknown(_) => None,
        }
    }
}

/// An access entry as EKS holds it: username and groups as EKS reads them back (the generated
/// defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub principal: PrincipalArn,
    pub entry_type: EntryType,
    /// The username template.
    pub username: String,
    pub groups: Vec<String>,
    pub policies: Vec<Association>,
    /// Made for an earlier IAM principal of the same ARN, deleted and re-created since (see
    /// [`made_for_earlier_principal`]): EKS no longer matches it to anyone.
    pub made_for_earlier_principal: bool,
}

/// EKS binds an access entry to its principal's unique id when the entry is made. A role or
/// user deleted and re-created with the same ARN afterwards is another principal to EKS: the
/// entry stays, describes the same, and matches nobody. Told by the dates, which is what both
/// EKS (the entry's `createdAt`) and IAM (`CreateDate`) say.
pub fn made_for_earlier_principal(entry_created: i64, principal_created: i64) -> bool {
    principal_created > entry_created
}

impl Entry {
    /// An entry with EKS's generated username and groups for its type where none are given.
    pub fn new(
        principal: PrincipalArn,
        entry_type: EntryType,
        username: Option<String>,
        groups: Vec<String>,
        policies: Vec<Association>,
    ) -> Entry {
        let username = username.unwrap_or_else(|| match entry_type.default_node_username() {
            Some(u) => u.to_string(),
            None => principal.default_standard_username(),
        });
        let groups = if entry_type == EntryType::Standard {
            groups
        } else {
            entry_type.default_groups().iter().map(|g| g.to_string()).collect()
        };
        Entry { principal, entry_type, username, groups, policies, made_for_earlier_principal: false }
    }
}

/// An access policy associated with an entry, with its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Association {
    /// The short name, e.g. `AmazonEKSViewPolicy`.
    pub policy: String,
    pub scope: AccessScope,
}

/// Everything that decides who gets into one cluster and what they may do there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterAccess {
    pub name: String,
    pub mode: AuthMode,
    /// Consulted in API and API_AND_CONFIG_MAP.
    pub entries: Known<Vec<Entry>>,
    /// Consulted in CONFIG_MAP and API_AND_CONFIG_MAP. `None` in `Known`: the ConfigMap does not exist.
    pub aws_auth: Known<Option<AwsAuthData>>,
    /// The principal that created a CONFIG_MAP cluster holds `system:masters` outside any visible
    /// configuration (reference §3.6). Live reads cannot see who that is: `Unknown` there.
    pub creator: Known<Option<PrincipalArn>>,
    pub rbac: Known<Rbac>,
}

impl ClusterAccess {
    /// A cluster with nothing in it yet (every part known and empty); fill what you know.
    pub fn empty(name: &str, mode: AuthMode) -> ClusterAccess {
        ClusterAccess {
            name: name.to_string(),
            mode,
            entries: Known::Known(vec![]),
            aws_auth: Known::Known(None),
            creator: Known::Known(None),
            rbac: Known::Known(Rbac::default()),
        }
    }
}

/// A principal a cluster's access names, as a caller can be asked about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedPrincipal {
    /// The ARN as the entry or mapping writes it (a mapping that is not an ARN, lower-cased: the
    /// authenticator compares without regard to case).
    pub arn: String,
    /// A stand-in for any principal of this account, which `mapAccounts` lets in.
    pub any_of_account: Option<String>,
}

impl ClusterAccess {
    /// Whom this cluster's access names, once each (by IAM identity): the access entries (where
    /// the mode reads them), the aws-auth mappings (where it reads aws-auth), one stand-in per
    /// `mapAccounts` account, and the creator when known. What could not be read names nobody
    /// here: callers say so. `who-can` and `report` both ask about exactly these.
    /// What [`ClusterAccess::named_principals`] could not read, and why: the access entries and
    /// aws-auth, where the mode reads them. Whoever they name is missing from that list, and every
    /// answer built on it says so.
    pub fn unread_namers(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![];
        if let (Known::Unknown(why), true) = (&self.entries, self.mode.uses_access_entries()) {
            out.push(("the access entries", why.as_str()));
        }
        if let (Known::Unknown(why), true) = (&self.aws_auth, self.mode.uses_aws_auth()) {
            out.push(("aws-auth", why.as_str()));
        }
        out
    }

    pub fn named_principals(&self) -> Vec<NamedPrincipal> {
        let mut seen = BTreeSet::new();
        let mut out = vec![];
        let mut add = |arn: String, any_of_account: Option<String>| {
            if seen.insert(crate::model::principal_key(&arn)) {
                out.push(NamedPrincipal { arn, any_of_account });
            }
        };
        if let Known::Known(entries) = &self.entries
            && self.mode.uses_access_entries()
        {
            for e in entries {
                add(e.principal.to_string(), None);
            }
        }
        if let Known::Known(Some(aws_auth)) = &self.aws_auth
            && self.mode != AuthMode::Api
        {
            for m in &aws_auth.mappings {
                // The authenticator matches mappings without regard to case: `ROLE/Dev` is role `dev`.
                let arn = if PrincipalArn::parse(&m.arn).is_ok() { m.arn.clone() } else { m.arn.to_ascii_lowercase() };
                add(arn, None);
            }
            for account in &aws_auth.accounts {
                add(format!("arn:aws:iam::{account}:user/any-principal-of-{account}"), Some(account.clone()));
            }
        }
        if let Known::Known(Some(creator)) = &self.creator {
            add(creator.to_string(), None);
        }
        out
    }
}
