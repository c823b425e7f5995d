//! What explain reasons over, from either source: the configuration alone (what the files would
//! grant) or live state (what is granted now).

use crate::aws_auth::{AwsAuthData, Mapping, MappingKind};
use crate::live::read::LiveCluster;
use crate::model::{AccessScope, AuthMode, BindingTarget, Cluster, PrincipalArn};
use crate::plan::{ClusterPlan, Target};

#[derive(Debug, Clone)]
pub struct ViewEntry {
    pub principal: PrincipalArn,
    pub entry_type: crate::model::EntryType,
    /// The username template (EKS's default when the file gives none).
    pub username: String,
    pub groups: Vec<String>,
    pub policies: Vec<(String, AccessScope)>,
}

#[derive(Debug, Clone)]
pub struct AccessView {
    pub cluster: String,
    pub mode: AuthMode,
    pub entries: Vec<ViewEntry>,
    pub aws_auth: AwsAuthData,
    /// `(group, description)` of each RBAC binding of a group.
    pub bindings: Vec<(String, String)>,
}

pub fn describe_binding(target: &BindingTarget) -> String {
    match target {
        BindingTarget::ClusterRole { name } => format!("ClusterRole {name} (cluster-wide)"),
        BindingTarget::ClusterRoleInNamespace { name, namespace } => {
            format!("ClusterRole {name} in namespace {namespace}")
        }
        BindingTarget::Role { name, namespace } => format!("Role {name} in namespace {namespace}"),
    }
}

/// What the files would grant. A cluster without `authentication-mode` is read as CONFIG_MAP,
/// the mode of clusters made with the EKS API.
pub fn from_config(cluster: &Cluster) -> AccessView {
    let entries = cluster
        .access_entries
        .iter()
        .map(|e| ViewEntry {
            principal: e.principal.clone(),
            entry_type: e.entry_type,
            username: e.username.clone().unwrap_or_else(|| match e.entry_type.default_node_username() {
                Some(u) => u.to_string(),
                None => e.principal.default_standard_username(),
            }),
            groups: if e.entry_type == crate::model::EntryType::Standard {
                e.groups.clone()
            } else {
                e.entry_type.default_groups().iter().map(|g| g.to_string()).collect()
            },
            policies: e.policies.iter().map(|p| (p.policy.clone(), p.scope.clone())).collect(),
        })
        .collect();
    let mappings =
        cluster
            .aws_auth
            .roles
            .iter()
            .map(|m| Mapping::new(MappingKind::Role, m.rolearn.to_string(), m.username.clone(), m.groups.clone()))
            .chain(
                cluster.aws_auth.users.iter().map(|m| {
                    Mapping::new(MappingKind::User, m.userarn.to_string(), m.username.clone(), m.groups.clone())
                }),
            )
            .collect();
    AccessView {
        cluster: cluster.name.clone(),
        mode: cluster.authentication_mode.unwrap_or(AuthMode::ConfigMap),
        entries,
        aws_auth: AwsAuthData { mappings, accounts: cluster.aws_auth.accounts.clone(), ..Default::default() },
        bindings: cluster.group_bindings.iter().map(|b| (b.group.clone(), describe_binding(&b.target))).collect(),
    }
}

/// What is granted now. `bindings` are every RBAC binding of a group read from the cluster.
pub fn from_live(live: &LiveCluster, bindings: Vec<(String, String)>) -> AccessView {
    let entries = live
        .entries
        .values()
        .filter_map(|e| {
            Some(ViewEntry {
                principal: PrincipalArn::parse(&e.principal).ok()?,
                entry_type: e.entry_type,
                username: e.username.clone(),
                groups: e.groups.clone(),
                policies: e.policies.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            })
        })
        .collect();
    AccessView {
        cluster: live.name.clone(),
        mode: live.mode,
        entries,
        aws_auth: live.aws_auth.as_ref().map(|a| a.data.clone()).unwrap_or_default(),
        bindings,
    }
}

/// What will be granted once `plan` is applied to `live`: live state with the plan's changes —
/// what the files declare replaces, what is kept stays (aws-auth as the plan merges it).
pub fn after_plan(
    live: &LiveCluster,
    desired: &Cluster,
    plan: &ClusterPlan,
    bindings: Vec<(String, String)>,
) -> AccessView {
    let mut view = from_live(live, bindings);
    let declared = from_config(desired);
    if let Some(mode) = desired.authentication_mode {
        view.mode = view.mode.max(mode);
    }
    let removed: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match &c.target {
            Target::AccessEntry { principal, after: None, .. } => Some(principal.as_str()),
            _ => None,
        })
        .collect();
    view.entries.retain(|e| !removed.contains(&e.principal.to_string().as_str()));
    for d in declared.entries {
        view.entries.retain(|e| e.principal != d.principal);
        view.entries.push(d);
    }
    for c in &plan.changes {
        if let Target::AwsAuth { after, .. } = &c.target {
            view.aws_auth = AwsAuthData::parse(after).unwrap_or_default();
        }
    }
    for b in declared.bindings {
        if !view.bindings.contains(&b) {
            view.bindings.push(b);
        }
    }
    view
}
