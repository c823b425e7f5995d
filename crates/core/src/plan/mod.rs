//! Plans: what must change so that live clusters match the configuration, as data.
//!
//! `diff` compares a normalised desired state with a normalised live state and emits `Change`s
//! with their dependencies; `guards` finds the changes that need an explicit override; `graph`
//! orders them (petgraph); `render` turns a `Plan` into what a reviewer reads. The same `Plan`
//! serialises to JSON (`--output json`, `--out FILE`), versioned by `FORMAT_VERSION`.

pub mod access_checks;
pub mod after;
pub mod diff;
pub mod graph;
pub mod guards;
pub mod iam;
pub mod render;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::access::Rule;
use crate::aws_auth::{AwsAuthData, Mapping};
use crate::checks::{Guardrail, Verdict};
use crate::model::{AccessScope, AuthMode, BindingTarget, EntryType, Origin};

/// Bumped when the JSON shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub clusters: Vec<ClusterPlan>,
}

impl Plan {
    pub fn change_count(&self) -> usize {
        self.clusters.iter().map(|c| c.changes.len()).sum()
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let all = self.clusters.iter().flat_map(|c| &c.changes);
        let mut counts = (0, 0, 0);
        for c in all {
            match c.action {
                Action::Create => counts.0 += 1,
                Action::Update => counts.1 += 1,
                Action::Delete => counts.2 += 1,
                Action::Replace => {
                    counts.0 += 1;
                    counts.2 += 1;
                }
            }
        }
        counts
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterPlan {
    pub cluster: String,
    pub region: String,
    /// Who reads and would apply (IAM principal; an assumed role as its role).
    pub caller: String,
    pub live_mode: AuthMode,
    /// A digest of the live state this plan was made from; `apply PLANFILE` refuses to run when
    /// the cluster no longer matches it.
    pub fingerprint: String,
    pub changes: Vec<Change>,
    /// What is live but not in the configuration, and stays, and why.
    pub kept: Vec<Kept>,
    /// Changes that need `--allow KIND` to be applied.
    pub guards: Vec<Guard>,
    /// Things the reviewer should know (a Kubernetes API that could not be read, …).
    pub notes: Vec<Note>,
    /// What makes this plan wrong to apply at all (a binding to a role that does not exist, a
    /// cluster in another account than the file says): `plan` and `apply` stop on any.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// The files' access tests, answered now and after apply.
    #[serde(default)]
    pub expectations: Vec<ExpectationResult>,
}

/// An access test of the files, as the model answers it for live state now and after apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    pub expectation: String,
    pub now: Verdict,
    pub after_apply: Verdict,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create again: only where EKS forces it (an entry's type is immutable).
    Replace,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Replace => "-/+",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub id: ChangeId,
    pub action: Action,
    pub target: Target,
    /// The changes that must be done before this one.
    pub depends_on: Vec<ChangeId>,
}

/// Why an access entry is replaced rather than updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceReason {
    /// EKS cannot change an entry's type.
    TypeChanged,
    /// Its principal was deleted and re-created since the entry was made: EKS matches the entry
    /// to nobody until it is made again.
    PrincipalRecreated,
}

/// What a change is to: stable within a plan, and the same for the same object in the next
/// plan. In the JSON an object with a `kind`; for people (`Display`) a short address such as
/// `entry:arn:aws:iam::111122223333:role/dev`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChangeId {
    AuthMode { to: AuthMode },
    AccessEntry { principal: String },
    EntryTags { principal: String },
    PolicyAssociation { principal: String, policy: String },
    AwsAuth,
    Role { name: String, namespace: Option<String> },
    GroupBinding { name: String, namespace: Option<String> },
}

impl std::fmt::Display for ChangeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = |namespace: &Option<String>| namespace.clone().unwrap_or_default();
        match self {
            ChangeId::AuthMode { to } => write!(f, "mode:{}", to.as_str()),
            ChangeId::AccessEntry { principal } => write!(f, "entry:{principal}"),
            ChangeId::EntryTags { principal } => write!(f, "tags:{principal}"),
            ChangeId::PolicyAssociation { principal, policy } => write!(f, "policy:{principal}:{policy}"),
            ChangeId::AwsAuth => f.write_str("aws-auth"),
            ChangeId::Role { name, namespace } => write!(f, "role:{}/{name}", ns(namespace)),
            ChangeId::GroupBinding { name, namespace } => write!(f, "binding:{}/{name}", ns(namespace)),
        }
    }
}

/// The comparable state of an access entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySpec {
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    /// `None`: EKS's generated username.
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    AuthMode {
        from: AuthMode,
        to: AuthMode,
    },
    AccessEntry {
        principal: String,
        before: Option<EntrySpec>,
        after: Option<EntrySpec>,
        /// Why an entry is deleted and created again (`Action::Replace`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replace: Option<ReplaceReason>,
    },
    EntryTags {
        principal: String,
        entry_arn: String,
        add: BTreeMap<String, String>,
        /// The configuration whose claim (the ownership tag in `add`) this change records or lets
        /// go of: apply changes that one id in the tag as it is then, never the whole value.
        #[serde(default)]
        owner: Option<String>,
    },
    PolicyAssociation {
        principal: String,
        policy: String,
        before: Option<AccessScope>,
        after: Option<AccessScope>,
    },
    AwsAuth {
        /// `None`: the ConfigMap does not exist yet and is created.
        resource_version: Option<String>,
        /// What it holds now (`None`: it does not exist).
        before: Option<AwsAuthData>,
        /// What it holds after this plan: the merge of what is declared into what is there.
        after: AwsAuthData,
        /// What apply merges again if someone else wrote aws-auth in the meantime.
        desired: Vec<Mapping>,
        desired_accounts: Vec<String>,
        /// The configuration writing: its declared keys are claimed for it.
        owner: String,
        /// Keys this plan deletes; at write time, only those no other owner has claimed since.
        delete: BTreeSet<String>,
        /// Keys whose claim this owner lets go (another owner keeps them).
        release: BTreeSet<String>,
    },
    /// A ClusterRole (`namespace` None) or Role accessctl owns.
    Role {
        name: String,
        namespace: Option<String>,
        owner: String,
        before: Option<Vec<Rule>>,
        after: Option<Vec<Rule>>,
    },
    GroupBinding {
        name: String,
        namespace: Option<String>,
        group: String,
        owner: String,
        before: Option<BindingTarget>,
        after: Option<BindingTarget>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardKind {
    /// A step of the authentication mode: EKS never moves it back.
    OneWayMode,
    /// Moving to API while aws-auth still lets in principals no access entry replaces.
    ApiLockout,
    /// Removing or downgrading the applying principal's own access.
    SelfAccess,
    /// Removing node or Fargate access (aws-auth node mappings, node entries).
    NodeAccess,
    /// A principal that stays in the configuration ends up able to do nothing, or loses its
    /// cluster-wide admin rights: an entry that takes over a mapping, a downgraded policy.
    AccessLoss,
}

impl GuardKind {
    pub const ALL: [GuardKind; 5] = [
        GuardKind::OneWayMode,
        GuardKind::ApiLockout,
        GuardKind::SelfAccess,
        GuardKind::NodeAccess,
        GuardKind::AccessLoss,
    ];

    /// The name `--allow` takes and the plan's JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardKind::OneWayMode => "one-way-mode",
            GuardKind::ApiLockout => "api-lockout",
            GuardKind::SelfAccess => "self-access",
            GuardKind::NodeAccess => "node-access",
            GuardKind::AccessLoss => "access-loss",
        }
    }
}

impl std::str::FromStr for GuardKind {
    type Err = String;

    fn from_str(name: &str) -> Result<GuardKind, String> {
        GuardKind::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| format!("no guard is named `{name}`"))
    }
}

/// A change that needs `--allow KIND`: data, which the renderer puts into words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guard {
    pub kind: GuardKind,
    /// The one-way step (`one-way-mode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<ModeStep>,
    /// The principals concerned: who would be locked out, whose access goes, and how.
    pub principals: Vec<Concerned>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeStep {
    pub from: AuthMode,
    pub to: AuthMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concerned {
    /// As the configuration names it (an ARN, or the account for mapAccounts).
    pub principal: String,
    pub loses: Loss,
    /// Its access now could not be read (an unreachable Kubernetes API): the guard assumes the worst.
    #[serde(default)]
    pub access_now_unknown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// It would no longer get in, or could do nothing.
    AllAccess,
    /// It keeps some access but not its cluster-wide admin rights.
    ClusterAdmin,
}

/// Why a plan cannot be applied at all. Each is found before any write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Problem {
    /// A declared binding to a role that neither the files declare nor the cluster has.
    #[error("group `{group}` is bound to the {role_kind} `{role}`{}, which neither the files declare nor the cluster has", in_namespace(.namespace))]
    BindingToNothing { group: String, role_kind: String, role: String, namespace: Option<String> },
    /// A declared binding to a role this plan deletes.
    #[error("group `{group}` is bound to the {role_kind} `{role}`{}, which this plan deletes", in_namespace(.namespace))]
    BoundRoleDeleted { group: String, role_kind: String, role: String, namespace: Option<String> },
    /// A declared role that another configuration owns.
    #[error("the {role_kind} `{role}`{} is owned by `{owner}`, another configuration", in_namespace(.namespace))]
    RoleOfAnotherOwner { role_kind: String, role: String, namespace: Option<String>, owner: String },
    /// Another configuration claims the object and what it holds is not what this one declares:
    /// applied, the two would undo each other on every run.
    #[error("{object} is declared differently by owner `{owners}` (it holds what that configuration last wrote)")]
    DeclaredDifferently { object: String, owners: String },
    /// A role this plan prunes is still used by bindings this plan keeps.
    #[error("the {role_kind} `{role}`{} would be deleted, but {bindings} still bind to it", in_namespace(.namespace))]
    RoleStillBound { role_kind: String, role: String, namespace: Option<String>, bindings: String },
    /// A role accessctl does not own and should not take over.
    #[error("the {role_kind} `{role}`{} exists and is not accessctl's to rewrite: {why}", in_namespace(.namespace))]
    RoleManagedElsewhere { role_kind: String, role: String, namespace: Option<String>, why: String },
    /// More owners than an EKS tag value can list.
    #[error("access entry {principal} would be claimed by more owners than its tag can hold ({owners})")]
    TooManyOwners { principal: String, owners: String },
    #[error("the file says account {declared}, but the cluster belongs to account {actual}")]
    WrongAccount { declared: String, actual: String },
    #[error("the file says region {declared}, but the cluster's ARN names {actual}")]
    WrongRegion { declared: String, actual: String },
    /// No role of the permission set in the cluster's account.
    #[error("account {account} has no role of the IAM Identity Center permission set `{set}`{}", did_you_mean_set(.did_you_mean))]
    PermissionSetNotInAccount { set: String, account: String, did_you_mean: String },
    /// More than one role of the permission set (made in several regions).
    #[error("account {account} has {} roles of the permission set `{set}`: {}", .roles.len(), .roles.join(", "))]
    PermissionSetAmbiguous { set: String, account: String, roles: Vec<String> },
    /// IAM of the account could not be read, so the permission set's role is not known.
    #[error("the role of the permission set `{set}` in account {account} cannot be looked up: {why}")]
    PermissionSetUnresolved { set: String, account: String, why: String },
    /// A declared role or user that IAM of its account does not have.
    #[error("{principal} does not exist in account {account}{}", suggest(.did_you_mean))]
    PrincipalNotFound { principal: String, account: String, did_you_mean: String },
    /// An access test of the files that does not hold once the plan is applied.
    #[error("expect {expectation}: {} after apply ({because}){}", if *.unknown { "cannot be proven" } else { "fails" }, if *.holds_now { "; it holds now: this plan breaks it" } else { "" })]
    ExpectationFails { expectation: String, because: String, unknown: bool, holds_now: bool, origin: Origin },
    /// A guardrail the state after apply breaks (or that it cannot check).
    #[error("guardrail `{}`: {message}", .rule.as_str())]
    GuardrailBroken {
        rule: Guardrail,
        message: String,
        unknown: bool,
        /// The declaration that breaks it, or the guardrail when nothing the files declare does.
        origin: Origin,
        rule_origin: Origin,
    },
}

fn suggest(closest: &str) -> String {
    if closest.is_empty() { String::new() } else { format!(" (did you mean {closest}?)") }
}

fn did_you_mean_set(closest: &str) -> String {
    if closest.is_empty() { String::new() } else { format!(" (did you mean `{closest}`?)") }
}

fn in_namespace(ns: &Option<String>) -> String {
    ns.as_ref().map(|n| format!(" in namespace `{n}`")).unwrap_or_default()
}

impl Problem {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            Problem::BindingToNothing { .. } => {
                "declare the role (`cluster-role \"NAME\" { rule { … } }`, or a preset such as \
                 `preset=\"eks-console-full-access\"`), create it on the cluster, or bind to one that exists"
            }
            Problem::BoundRoleDeleted { .. } => "keep declaring the role, or remove the binding too",
            Problem::RoleOfAnotherOwner { .. } => {
                "declare the role in one configuration only, and give it another name in this one"
            }
            Problem::DeclaredDifferently { .. } => {
                "declare it the same way in both configurations, or in one of them only (the other lets go of it \
                 when it stops declaring it)"
            }
            Problem::RoleStillBound { .. } => "keep the role, or remove those bindings first",
            Problem::RoleManagedElsewhere { .. } => {
                "bind to it as it is, or declare a role of another name for the rules you want"
            }
            Problem::TooManyOwners { .. } => "let fewer configurations declare this entry",
            Problem::WrongAccount { .. } => "correct `account` in the file, or point accessctl at the right account",
            Problem::WrongRegion { .. } => "correct `region` in the file",
            Problem::PermissionSetNotInAccount { .. } => {
                "IAM Identity Center makes a set's role in an account once the set is assigned there: assign it, or \
                 correct the name in `permission-set=`"
            }
            Problem::PermissionSetAmbiguous { .. } => {
                "name the role you mean by its ARN: `principal \"NAME\" \"arn:aws:iam::…\"`"
            }
            Problem::PermissionSetUnresolved { .. } => {
                "let the caller (or the cluster's `assume-role`) call iam:ListRoles in the cluster's account, or \
                 name the role by its ARN"
            }
            Problem::PrincipalNotFound { .. } => {
                "EKS accepts an entry for a principal that does not exist, and nobody can use it: correct the ARN \
                 (path included), or create the principal first"
            }
            Problem::ExpectationFails { .. } => {
                "change the access so that the expectation holds, or correct the expectation: apply writes nothing \
                 while one fails"
            }
            Problem::GuardrailBroken { rule, .. } => rule.help(),
        }
    }
}

/// Something live that the plan leaves as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub object: KeptObject,
    pub reason: KeptReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeptObject {
    AccessEntry {
        principal: String,
        #[serde(rename = "type")]
        entry_type: EntryType,
    },
    /// aws-auth mappings, counted (listing them is aws-auth's own business).
    AwsAuthMappings {
        count: usize,
    },
    Binding {
        name: String,
        namespace: Option<String>,
    },
    Role {
        name: String,
        namespace: Option<String>,
    },
}

/// Why it stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeptReason {
    /// No configuration claims it (made by hand, by eksctl, by EKS).
    NotManaged,
    /// Other configurations own it.
    OwnedByOthers {
        owners: Vec<String>,
    },
    Protected,
    PruneOff,
    /// It is what the files declare, made by someone else: adopted as it is.
    Adopted,
}

impl From<crate::ownership::KeptBecause> for KeptReason {
    fn from(k: crate::ownership::KeptBecause) -> KeptReason {
        use crate::ownership::KeptBecause as K;
        match k {
            K::NotManaged => KeptReason::NotManaged,
            K::OwnedByOthers(o) => KeptReason::OwnedByOthers { owners: o.iter().map(str::to_string).collect() },
            K::Protected => KeptReason::Protected,
            K::PruneOff => KeptReason::PruneOff,
        }
    }
}

impl std::fmt::Display for KeptReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeptReason::NotManaged => f.write_str("not created by accessctl"),
            KeptReason::OwnedByOthers { owners } => write!(f, "owned by {}", owners.join(", ")),
            KeptReason::Protected => f.write_str("protected"),
            KeptReason::PruneOff => f.write_str("prune is off"),
            KeptReason::Adopted => f.write_str("as declared: adopted, not duplicated"),
        }
    }
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.reason;
        match &self.object {
            KeptObject::AccessEntry { principal, entry_type } => {
                write!(f, "access entry {principal} ({}, {r})", entry_type.as_str())
            }
            KeptObject::AwsAuthMappings { count } => write!(f, "{count} aws-auth mapping(s) kept in place ({r})"),
            KeptObject::Binding { name, namespace } => {
                write!(f, "RBAC binding {name}{} ({r})", in_namespace(namespace))
            }
            KeptObject::Role { name, namespace: None } => write!(f, "ClusterRole {name} ({r})"),
            KeptObject::Role { name, namespace: Some(ns) } => write!(f, "Role {name} in namespace `{ns}` ({r})"),
        }
    }
}

/// What the reviewer should know about a plan that is not a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// A part of the Kubernetes side could not be read because the cluster does not serve its
    /// API yet: its changes wait.
    KubernetesNotServing { part: KubernetesPart, why: String },
    /// The file asks for a mode EKS cannot go back to.
    ModeCannotGoBack { live: AuthMode, declared: AuthMode },
    /// A binding that exists binds to a role that does not.
    BindingToMissingRole { group: String, role_kind: String, role: String },
    /// A role the plan changes is used by bindings this configuration does not own.
    RoleUsedElsewhere { role_kind: String, role: String, bindings: Vec<String> },
    /// What a permission set's role is in the cluster's account.
    PermissionSetResolved { set: String, account: String, role: String },
    /// IAM of the cluster's account could not be read: whether the principals exist is unchecked.
    PrincipalsNotChecked { why: String },
    /// `cluster-admins` cannot check the cluster's creator, an administrator EKS does not name:
    /// through `system:masters` while the mode is CONFIG_MAP, and through the access entry EKS
    /// makes for it when the mode leaves CONFIG_MAP (`entry_made`: this plan's step does).
    CreatorNotChecked { entry_made: bool },
    /// Principals of other accounts, whose IAM this run does not read.
    OtherAccountsNotChecked { count: usize, account: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KubernetesPart {
    AwsAuth,
    Bindings,
    Roles,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::KubernetesNotServing { part, why } => {
                let what = match part {
                    KubernetesPart::AwsAuth => "aws-auth cannot be read",
                    KubernetesPart::Bindings => "RBAC bindings cannot be read",
                    KubernetesPart::Roles => "RBAC roles cannot be read",
                };
                write!(f, "{what} ({why}); the changes are planned once the cluster serves its API")
            }
            Note::ModeCannotGoBack { live, declared } => write!(
                f,
                "the cluster is already in {}; EKS cannot move it back to {}. Set `authentication-mode \"{}\"`.",
                live.as_str(),
                declared.as_str(),
                live.as_str()
            ),
            Note::BindingToMissingRole { group, role_kind, role } => {
                write!(f, "the binding of group {group} exists, but its {role_kind} {role} does not: it grants nothing")
            }
            Note::RoleUsedElsewhere { role_kind, role, bindings } => write!(
                f,
                "the {role_kind} {role} changes, and bindings this configuration does not own use it too ({}): \
                 their subjects' access changes with it",
                bindings.join(", ")
            ),
            Note::PermissionSetResolved { set, account, role } => {
                write!(f, "permission set {set} is {role} in account {account}")
            }
            Note::PrincipalsNotChecked { why } => {
                write!(f, "whether the declared principals exist was not checked: {why}")
            }
            Note::CreatorNotChecked { entry_made: false } => f.write_str(
                "guardrail `cluster-admins` cannot check the cluster's creator: EKS does not name it, and it holds \
                 system:masters while the mode is CONFIG_MAP",
            ),
            Note::CreatorNotChecked { entry_made: true } => f.write_str(
                "this plan's step from CONFIG_MAP makes EKS create an access entry with AmazonEKSClusterAdminPolicy \
                 for the cluster's creator (bootstrapClusterCreatorAdminPermissions, on by default), whom EKS does not \
                 name: guardrail `cluster-admins` cannot check it before it exists, and the next plan refuses it \
                 unless the creator is named there or the entry is removed",
            ),
            Note::OtherAccountsNotChecked { count, account } => write!(
                f,
                "{count} principal(s) of accounts other than {account} were not checked against IAM (this run reads \
                 IAM of the cluster's account only)"
            ),
        }
    }
}
