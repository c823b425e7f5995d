//! The access state the files declare for a cluster, as the model reads it: what EKS and
//! Kubernetes would hold if the files were all there is.
//!
//! What the files cannot say is said as such: who created the cluster is unknown; RBAC holds
//! Kubernetes' default roles, the declared roles and the declared group bindings (a binding to a
//! role that neither the defaults nor the files hold grants nothing, and explain says so).

use super::rbac::{Binding, Rbac, Role, RoleKind, Subject};
use super::state::{Association, ClusterAccess, Entry, Known};
use crate::aws_auth::{AwsAuthData, Mapping, MappingKind};
use crate::model::{AuthMode, BindingTarget, Cluster, DeclaredRole};

/// What the files declare. A cluster without `authentication-mode` is read as CONFIG_MAP, the
/// mode of clusters made with the EKS API.
pub fn from_config(cluster: &Cluster) -> ClusterAccess {
    let entries = cluster
        .access_entries
        .iter()
        .map(|e| {
            let policies =
                e.policies.iter().map(|p| Association { policy: p.policy.clone(), scope: p.scope.clone() }).collect();
            Entry::new(e.principal.clone(), e.entry_type, e.username.clone(), e.groups.clone(), policies)
        })
        .collect();
    let mappings: Vec<Mapping> =
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
    let aws_auth = if cluster.aws_auth.is_empty() {
        None
    } else {
        Some(AwsAuthData { mappings, accounts: cluster.aws_auth.accounts.clone(), ..Default::default() })
    };
    let mut rbac = Rbac::kubernetes_defaults().clone();
    rbac.roles.extend(cluster.roles.iter().map(declared_role));
    rbac.bindings.extend(cluster.group_bindings.iter().map(|b| group_binding(&cluster.owner, &b.group, &b.target)));
    ClusterAccess {
        name: cluster.name.clone(),
        mode: cluster.authentication_mode.unwrap_or(AuthMode::ConfigMap),
        entries: Known::Known(entries),
        aws_auth: Known::Known(aws_auth),
        creator: Known::Unknown("the files do not say who created the cluster".into()),
        rbac: Known::Known(rbac),
    }
}

/// The RBAC role a `cluster-role` or `role` declares.
pub fn declared_role(r: &DeclaredRole) -> Role {
    Role { name: r.name.clone(), namespace: r.namespace.clone(), rules: r.rules.clone(), kept_by: None }
}

/// The name accessctl gives the RBAC binding of a group. Each owner has bindings of its own
/// (RBAC adds them up), so one owner's prune never deletes another's; the default owner's
/// names carry no owner, the others' `accessctl.OWNER:` — an owner id has no `:`, so no group
/// name (which may) makes one owner's name another's.
pub fn binding_name(owner: &str, group: &str, target: &BindingTarget) -> (String, Option<String>) {
    let prefix =
        if owner == crate::ownership::DEFAULT_OWNER { "accessctl".to_string() } else { format!("accessctl.{owner}") };
    match target {
        BindingTarget::ClusterRole { name } => (format!("{prefix}:{group}:{name}"), None),
        BindingTarget::ClusterRoleInNamespace { name, namespace } => {
            (format!("{prefix}:{group}:clusterrole:{name}"), Some(namespace.clone()))
        }
        BindingTarget::Role { name, namespace } => (format!("{prefix}:{group}:role:{name}"), Some(namespace.clone())),
    }
}

/// The RBAC binding a `group-binding` of `owner`'s configuration declares, named as apply names it.
pub fn group_binding(owner: &str, group: &str, target: &BindingTarget) -> Binding {
    let subjects = vec![Subject { kind: "Group".into(), name: group.to_string(), namespace: None }];
    let (role_kind, role_name, namespace) = match target {
        BindingTarget::ClusterRole { name } => (RoleKind::ClusterRole, name.clone(), None),
        BindingTarget::ClusterRoleInNamespace { name, namespace } => {
            (RoleKind::ClusterRole, name.clone(), Some(namespace.clone()))
        }
        BindingTarget::Role { name, namespace } => (RoleKind::Role, name.clone(), Some(namespace.clone())),
    };
    let (name, _) = binding_name(owner, group, target);
    Binding { name, namespace, role_kind, role_name, subjects }
}
