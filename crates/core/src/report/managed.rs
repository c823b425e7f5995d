//! Whether the files own what gives a principal access on a cluster — its way in (access entry,
//! aws-auth mapping), its access policies, its RBAC bindings — the question the plan's diff asks
//! of each live object (`plan::diff`), asked here of what the access model says the principal
//! holds. Something live that no file declares is unmanaged: the review shows it apart.

use super::Managed;
use crate::access::{Holding, RoleKind, Via};
use crate::model::{AccessScope, BindingTarget, Cluster, PrincipalArn, principal_key};

/// Whether the files declare the way in: an access entry or aws-auth item of that principal
/// (compared as EKS and the authenticator compare them), the account under `mapAccounts`.
pub fn way_in(cluster: Option<&Cluster>, via: &Via) -> Managed {
    let Some(cluster) = cluster else { return Managed::Unmanaged };
    let declared = match via {
        Via::AccessEntry { principal, .. } => {
            let key = principal_key(principal);
            cluster.access_entries.iter().any(|e| e.principal.identity_key() == key)
        }
        Via::MapRoles { rolearn } => {
            let key = aws_auth_key(rolearn);
            cluster.aws_auth.roles.iter().any(|m| m.rolearn.aws_auth_key() == key)
        }
        Via::MapUsers { userarn } => {
            let key = aws_auth_key(userarn);
            cluster.aws_auth.users.iter().any(|m| m.userarn.aws_auth_key() == key)
        }
        Via::MapAccounts { account } => cluster.aws_auth.accounts.contains(account),
        // EKS's hidden administrator: no file can declare it.
        Via::ClusterCreator { .. } => return Managed::BuiltIn,
    };
    if declared { Managed::Declared } else { Managed::Unmanaged }
}

/// Whether the files declare this holding for the principal that came in through `via`.
pub fn holding(cluster: Option<&Cluster>, via: &Via, h: &Holding) -> Managed {
    let Some(cluster) = cluster else { return Managed::Unmanaged };
    match h {
        // The group comes with the way in.
        Holding::SystemMasters => way_in(Some(cluster), via),
        Holding::AccessPolicy { policy, scope, .. } => {
            let Via::AccessEntry { principal, .. } = via else { return Managed::Unmanaged };
            let key = principal_key(principal);
            let declared = cluster
                .access_entries
                .iter()
                .filter(|e| e.principal.identity_key() == key)
                .any(|e| e.policies.iter().any(|p| p.policy == *policy && same_scope(&p.scope, scope)));
            if declared { Managed::Declared } else { Managed::Unmanaged }
        }
        Holding::Rbac { subject, binding, binding_namespace, role_kind, role, .. } => {
            if kubernetes_binding(binding, binding_namespace.as_deref()) {
                return Managed::BuiltIn;
            }
            let declared = cluster
                .group_bindings
                .iter()
                .any(|b| b.group == *subject && targets(&b.target, *role_kind, role, binding_namespace.as_deref()));
            if declared { Managed::Declared } else { Managed::Unmanaged }
        }
    }
}

/// Kubernetes' own bindings (its defaults, `system:` names) and EKS's (`eks:` names): nothing a
/// file declares, nothing someone made by hand.
fn kubernetes_binding(name: &str, namespace: Option<&str>) -> bool {
    name.starts_with("system:")
        || name.starts_with("eks:")
        || (namespace.is_none() && crate::access::Rbac::kubernetes_defaults().bindings.iter().any(|b| b.name == name))
}

fn targets(target: &BindingTarget, kind: RoleKind, role: &str, namespace: Option<&str>) -> bool {
    match target {
        BindingTarget::ClusterRole { name } => kind == RoleKind::ClusterRole && name == role && namespace.is_none(),
        BindingTarget::ClusterRoleInNamespace { name, namespace: ns } => {
            kind == RoleKind::ClusterRole && name == role && namespace == Some(ns.as_str())
        }
        BindingTarget::Role { name, namespace: ns } => {
            kind == RoleKind::Role && name == role && namespace == Some(ns.as_str())
        }
    }
}

fn same_scope(a: &AccessScope, b: &AccessScope) -> bool {
    match (a, b) {
        (AccessScope::Cluster, AccessScope::Cluster) => true,
        (AccessScope::Namespace(x), AccessScope::Namespace(y)) => {
            let (mut x, mut y) = (x.clone(), y.clone());
            x.sort();
            y.sort();
            x == y
        }
        _ => false,
    }
}

fn aws_auth_key(arn: &str) -> String {
    PrincipalArn::parse(arn).map(|p| p.aws_auth_key()).unwrap_or_else(|_| arn.to_ascii_lowercase())
}
