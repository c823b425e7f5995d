//! The desired state: what the configuration files say each cluster's access should be.
//!
//! This is the boundary between the language (`config`) and everything that acts on clusters
//! (plan, apply, explain). Values here are already validated: ARNs parsed, policies known, names
//! resolved. Every item remembers where it was written (`Origin`), so later stages can speak of
//! the user's files.

pub mod arn;
pub mod checks;
pub mod policy;
pub mod rules;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use arn::{PrincipalArn, PrincipalKind, principal_key};
pub use checks::{Expectation, Guardrails, Named};
pub use rules::EntryType;

/// Where an item was written: a file and a byte range in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Origin {
    pub file: String,
    pub offset: usize,
    pub len: usize,
}

/// The authentication modes, in the only order EKS moves through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AuthMode {
    #[serde(rename = "CONFIG_MAP")]
    ConfigMap,
    #[serde(rename = "API_AND_CONFIG_MAP")]
    ApiAndConfigMap,
    #[serde(rename = "API")]
    Api,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::ConfigMap => "CONFIG_MAP",
            AuthMode::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            AuthMode::Api => "API",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMode> {
        [AuthMode::ConfigMap, AuthMode::ApiAndConfigMap, AuthMode::Api].into_iter().find(|m| m.as_str() == s)
    }

    /// Whether access entries are consulted in this mode.
    pub fn uses_access_entries(self) -> bool {
        self != AuthMode::ConfigMap
    }

    /// Whether the aws-auth ConfigMap is consulted in this mode.
    pub fn uses_aws_auth(self) -> bool {
        self != AuthMode::Api
    }

    /// The next mode EKS allows from this one, if any.
    pub fn next(self) -> Option<AuthMode> {
        match self {
            AuthMode::ConfigMap => Some(AuthMode::ApiAndConfigMap),
            AuthMode::ApiAndConfigMap => Some(AuthMode::Api),
            AuthMode::Api => None,
        }
    }
}

/// Everything the configuration files declare, merged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Configuration {
    /// Sorted by name.
    pub clusters: Vec<Cluster>,
    /// The names `principal` declarations give IAM users and roles, by ARN.
    #[serde(default)]
    pub principal_names: BTreeMap<String, String>,
}

impl Configuration {
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The name the files give the principal `arn` (however its path and case are written).
    pub fn principal_name(&self, arn: &str) -> Option<&str> {
        let key = PrincipalArn::parse(arn).ok()?.identity_key();
        self.principal_names
            .iter()
            .find(|(declared, _)| PrincipalArn::parse(declared).is_ok_and(|d| d.identity_key() == key))
            .map(|(_, name)| name.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub region: String,
    pub account: Option<String>,
    pub assume_role: Option<AssumeRole>,
    pub kubernetes: Option<KubernetesOverride>,
    /// `None`: the file does not manage the mode; whatever the cluster has is kept.
    pub authentication_mode: Option<AuthMode>,
    pub prune: bool,
    /// Which configuration this is, for ownership (see [`crate::ownership`]).
    pub owner: String,
    pub protected: Vec<PrincipalArn>,
    pub access_entries: Vec<AccessEntry>,
    pub aws_auth: AwsAuth,
    pub group_bindings: Vec<GroupBinding>,
    /// ClusterRoles and Roles the files declare, sorted by namespace and name.
    pub roles: Vec<DeclaredRole>,
    /// IAM Identity Center permission sets named by principals of this cluster: each stands, until
    /// IAM of the cluster's account resolves it ([`Cluster::resolve_permission_sets`]), as its
    /// placeholder ARN ([`permission_set_placeholder`]).
    #[serde(default)]
    pub permission_sets: BTreeMap<String, PrincipalArn>,
    /// The access tests of this cluster: its own `expect`s and the top-level ones.
    #[serde(default)]
    pub expectations: Vec<Expectation>,
    /// The top-level `guardrails`, resolved in this cluster (its permission sets, its account).
    #[serde(default)]
    pub guardrails: Guardrails,
    pub origin: Origin,
}

/// The role an IAM Identity Center permission set makes in `account` is
/// `role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<16 hex>`, different in
/// every account. Until IAM says which, the set stands as this ARN, whose name no role can have.
pub fn permission_set_placeholder(partition: &str, account: &str, set: &str) -> PrincipalArn {
    PrincipalArn {
        partition: partition.to_string(),
        account: account.to_string(),
        kind: PrincipalKind::Role,
        path: "aws-reserved/sso.amazonaws.com".to_string(),
        name: format!("AWSReservedSSO_{set}_*"),
    }
}

impl Cluster {
    /// Where the files declare `principal`'s access entry or aws-auth mapping, if they do.
    pub fn origin_of(&self, principal: &str) -> Option<&Origin> {
        let arn = PrincipalArn::parse(principal).ok()?;
        let entry = self.access_entries.iter().find(|e| e.principal.identity_key() == arn.identity_key());
        let mapping = || {
            let key = arn.aws_auth_key();
            let roles = self.aws_auth.roles.iter().map(|m| (&m.rolearn, &m.origin));
            let users = self.aws_auth.users.iter().map(|m| (&m.userarn, &m.origin));
            roles.chain(users).find(|(a, _)| a.aws_auth_key() == key).map(|(_, origin)| origin)
        };
        entry.map(|e| &e.origin).or_else(mapping)
    }

    /// Puts each permission set's role in place of its placeholder: the full ARN in access
    /// entries and `protect`, the ARN without its path in aws-auth (what aws-auth matches).
    pub fn resolve_permission_sets(&mut self, roles: &BTreeMap<String, PrincipalArn>) {
        let swap = |arn: &mut PrincipalArn| {
            let Some((_, role)) = self
                .permission_sets
                .iter()
                .find(|(_, placeholder)| placeholder.name == arn.name && placeholder.account == arn.account)
                .and_then(|(set, _)| roles.get_key_value(set))
            else {
                return;
            };
            *arn = if arn.has_path() { role.clone() } else { role.without_path() };
        };
        let mut entries = std::mem::take(&mut self.access_entries);
        entries.iter_mut().for_each(|e| swap(&mut e.principal));
        let mut protected = std::mem::take(&mut self.protected);
        protected.iter_mut().for_each(swap);
        let mut mappings = std::mem::take(&mut self.aws_auth.roles);
        mappings.iter_mut().for_each(|m| swap(&mut m.rolearn));
        let mut expectations = std::mem::take(&mut self.expectations);
        expectations.iter_mut().for_each(|e| swap(&mut e.principal));
        let mut guardrails = std::mem::take(&mut self.guardrails);
        for named in [&mut guardrails.cluster_admins, &mut guardrails.cross_account_entries].into_iter().flatten() {
            named.principals.iter_mut().for_each(swap);
        }
        (self.access_entries, self.protected, self.aws_auth.roles) = (entries, protected, mappings);
        (self.expectations, self.guardrails) = (expectations, guardrails);
        self.permission_sets.retain(|set, _| !roles.contains_key(set));
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssumeRole {
    pub role_arn: PrincipalArn,
    pub session_name: Option<String>,
    /// A shared secret of the role's trust policy: never written into plans or JSON output.
    #[serde(skip_serializing, default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KubernetesOverride {
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessEntry {
    pub principal: PrincipalArn,
    #[serde(rename = "type")]
    pub entry_type: EntryType,
    /// `None`: EKS generates one (see `EntryType::default_node_username`).
    pub username: Option<String>,
    /// Sorted and without duplicates.
    pub groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// Sorted by policy name.
    pub policies: Vec<PolicyAssociation>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAssociation {
    /// The short name, e.g. `AmazonEKSViewPolicy`.
    pub policy: String,
    pub scope: AccessScope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "namespaces", rename_all = "lowercase")]
pub enum AccessScope {
    Cluster,
    /// Sorted and without duplicates.
    Namespace(Vec<String>),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AwsAuth {
    pub roles: Vec<RoleMapping>,
    pub users: Vec<UserMapping>,
    pub accounts: Vec<String>,
}

impl AwsAuth {
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.users.is_empty() && self.accounts.is_empty()
    }
}

/// A `mapRoles` entry. The ARN never has a path: aws-auth would never match it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleMapping {
    pub rolearn: PrincipalArn,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserMapping {
    pub userarn: PrincipalArn,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub origin: Origin,
}

/// A ClusterRole (`namespace` None) or a Role that accessctl creates and owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclaredRole {
    pub name: String,
    pub namespace: Option<String>,
    pub rules: Vec<crate::access::Rule>,
    /// The preset its rules come from, if any (see [`crate::access::presets`]).
    pub preset: Option<String>,
    pub origin: Origin,
}

impl DeclaredRole {
    /// Whether a binding to `target` refers to this role.
    pub fn is_target_of(&self, target: &BindingTarget) -> bool {
        match target {
            BindingTarget::ClusterRole { name } | BindingTarget::ClusterRoleInNamespace { name, .. } => {
                self.namespace.is_none() && *name == self.name
            }
            BindingTarget::Role { name, namespace } => self.namespace.as_ref() == Some(namespace) && *name == self.name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBinding {
    pub group: String,
    pub target: BindingTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BindingTarget {
    /// A ClusterRoleBinding to a ClusterRole.
    ClusterRole { name: String },
    /// A RoleBinding in `namespace` to a ClusterRole.
    ClusterRoleInNamespace { name: String, namespace: String },
    /// A RoleBinding in `namespace` to a Role of that namespace.
    Role { name: String, namespace: String },
}
