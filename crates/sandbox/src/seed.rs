//! The sandbox's starting point: a YAML fixture of clusters (mode, creator, node roles, an existing
//! aws-auth, existing access entries) and the identity STS reports. A built-in default gives a new
//! user a realistic 2022-style cluster: CONFIG_MAP mode, node roles mapped in aws-auth.

use std::collections::BTreeMap;

use serde::Deserialize;

pub const DEFAULT_SEED: &str = include_str!("default-seed.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Seed {
    #[serde(default)]
    pub identity: Option<SeedIdentity>,
    /// IAM users with access keys: signing with one (`aws`, `kubectl` through `aws eks get-token`)
    /// is calling as that user.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// IAM roles (full ARNs, with their paths) that IAM knows, besides those the clusters name.
    #[serde(default)]
    pub roles: Vec<String>,
    /// IAM users that IAM knows without access keys here (ARNs).
    #[serde(default)]
    pub iam_users: Vec<String>,
    #[serde(default)]
    pub clusters: Vec<SeedCluster>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedIdentity {
    pub arn: String,
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedUser {
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedCluster {
    pub name: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_account")]
    pub account: String,
    #[serde(default = "default_mode")]
    pub authentication_mode: String,
    /// The IAM principal that created the cluster (gets the bootstrap admin entry). Absent: the
    /// sandbox's own identity.
    #[serde(default)]
    pub creator: Option<String>,
    #[serde(default = "yes")]
    pub bootstrap_cluster_creator_admin_permissions: bool,
    /// Roles of managed node groups: EKS maps them itself (aws-auth, or EC2_LINUX entries).
    #[serde(default)]
    pub node_roles: Vec<String>,
    /// Pod execution roles of Fargate profiles.
    #[serde(default)]
    pub fargate_roles: Vec<String>,
    /// The aws-auth ConfigMap's data, as `kubectl get cm aws-auth -o yaml` shows it. Absent:
    /// the ConfigMap does not exist (as on a new cluster before anything created it).
    #[serde(default)]
    pub aws_auth: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub access_entries: Vec<SeedEntry>,
    /// Namespaces besides default, kube-system, kube-public and kube-node-lease.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedEntry {
    pub principal_arn: String,
    #[serde(default, rename = "type")]
    pub entry_type: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub kubernetes_groups: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Policy name → namespaces (empty: cluster scope).
    #[serde(default)]
    pub policies: BTreeMap<String, Vec<String>>,
}

fn default_region() -> String {
    "eu-west-1".into()
}
fn default_account() -> String {
    "111122223333".into()
}
fn default_mode() -> String {
    "CONFIG_MAP".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
#[error("invalid sandbox seed: {0}")]
pub struct SeedError(pub String);

impl Seed {
    pub fn parse(text: &str) -> Result<Seed, SeedError> {
        serde_yaml_ng::from_str(text).map_err(|e| SeedError(e.to_string()))
    }

    pub fn default_seed() -> Seed {
        // Covered by tests: the embedded default parses.
        Seed::parse(DEFAULT_SEED).expect("the default seed parses")
    }

    pub fn empty() -> Seed {
        Seed { identity: None, users: vec![], roles: vec![], iam_users: vec![], clusters: vec![] }
    }
}
