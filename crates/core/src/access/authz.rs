//! Authorization, written once: may this identity make this request, and what allows it.
//!
//! Permissions are the union of (reference §3.4) `system:masters` (Kubernetes' privileged group),
//! Kubernetes RBAC (see [`super::rbac`]) and the EKS access policies associated with the access
//! entry the caller came in through, each scoped to the cluster or to namespaces (a namespace
//! scope grants namespaced requests in those namespaces only: never cluster-scoped resources,
//! never requests across all namespaces). Everything only allows: nothing here denies.

use serde::Serialize;

use super::authn::Identity;
use super::policies;
use super::rbac::{RoleKind, Rule};
use super::request::Request;
use super::state::{ClusterAccess, Known};
use crate::model::AccessScope;
use crate::model::rules::namespace_matches;

/// What allows a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Grant {
    /// The `system:masters` group: Kubernetes allows it everything.
    SystemMasters,
    Rbac {
        binding: String,
        binding_namespace: Option<String>,
        role_kind: RoleKind,
        role: String,
        rule: Rule,
    },
    AccessPolicy {
        policy: String,
        scope: AccessScope,
        rule: Rule,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    Allowed {
        grant: Grant,
    },
    Denied {
        /// Associated policies whose rules accessctl does not know (they may allow it).
        unmodelled_policies: Vec<String>,
        /// Bindings of the identity, in scope of the request, whose role does not exist (they
        /// grant nothing): `(kind, role name)`.
        dangling_bindings: Vec<(RoleKind, String)>,
    },
    /// The RBAC objects could not be read, and nothing else allows it.
    Unknown {
        reason: String,
    },
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
}

/// Whether `identity` may make `req` on `cluster`.
pub fn authorize(cluster: &ClusterAccess, identity: &Identity, req: &Request) -> Decision {
    let groups = identity.all_groups();
    if groups.iter().any(|g| g == "system:masters") {
        return Decision::Allowed { grant: Grant::SystemMasters };
    }
    let mut dangling = vec![];
    let rbac_unknown = match &cluster.rbac {
        Known::Known(rbac) => {
            for b in rbac.bindings.iter().filter(|b| b.applies_to(&identity.username, &groups)) {
                // A RoleBinding grants only in its namespace, and never non-resource URLs.
                let in_scope = match (&b.namespace, req) {
                    (None, _) => true,
                    (Some(ns), Request::Resource(r)) => r.namespace.as_deref() == Some(ns.as_str()),
                    (Some(_), Request::NonResource { .. }) => false,
                };
                if !in_scope {
                    continue;
                }
                let Some(role) = rbac.role_of(b) else {
                    dangling.push((b.role_kind, b.role_name.clone()));
                    continue;
                };
                if let Some(rule) = role.rules.iter().find(|rule| rule.allows(req)) {
                    return Decision::Allowed {
                        grant: Grant::Rbac {
                            binding: b.name.clone(),
                            binding_namespace: b.namespace.clone(),
                            role_kind: b.role_kind,
                            role: role.name.clone(),
                            rule: rule.clone(),
                        },
                    };
                }
            }
            None
        }
        Known::Unknown(why) => Some(why.clone()),
    };
    let mut unmodelled = vec![];
    for a in &identity.policies {
        let Some(rules) = policies::rules(&a.policy) else {
            unmodelled.push(a.policy.clone());
            continue;
        };
        let in_scope = match (&a.scope, req) {
            (AccessScope::Cluster, _) => true,
            (AccessScope::Namespace(patterns), Request::Resource(r)) => {
                r.namespace.as_deref().is_some_and(|ns| patterns.iter().any(|p| namespace_matches(p, ns)))
            }
            (AccessScope::Namespace(_), Request::NonResource { .. }) => false,
        };
        if !in_scope {
            continue;
        }
        if let Some(rule) = rules.iter().find(|rule| rule.allows(req)) {
            return Decision::Allowed {
                grant: Grant::AccessPolicy { policy: a.policy.clone(), scope: a.scope.clone(), rule: rule.clone() },
            };
        }
    }
    match rbac_unknown {
        Some(reason) => Decision::Unknown { reason },
        None => Decision::Denied { unmodelled_policies: unmodelled, dangling_bindings: dangling },
    }
}

/// A permission an identity holds, whatever the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Holding {
    SystemMasters,
    /// An access policy of the identity's entry; `modelled` is false when accessctl does not know
    /// its rules.
    AccessPolicy {
        policy: String,
        scope: AccessScope,
        modelled: bool,
    },
    /// An RBAC binding naming the identity's username or one of its own groups (bindings every
    /// authenticated user has, through `system:authenticated`, are left out); `role_exists` is
    /// false for a binding to a role that is not there (it grants nothing).
    Rbac {
        subject: String,
        binding: String,
        binding_namespace: Option<String>,
        role_kind: RoleKind,
        role: String,
        role_exists: bool,
        /// Whether the role has a rule that can apply through this binding (a RoleBinding never
        /// grants non-resource URLs).
        grants_rules: bool,
    },
}

impl Holding {
    /// Whether this holding lets the identity do anything at all.
    pub fn grants_something(&self) -> bool {
        match self {
            Holding::SystemMasters => true,
            Holding::AccessPolicy { modelled, policy, .. } => {
                !modelled || policies::rules(policy).is_some_and(|r| !r.is_empty())
            }
            Holding::Rbac { role_exists, grants_rules, .. } => *role_exists && *grants_rules,
        }
    }
}

/// Everything `identity` holds on `cluster` beyond what every authenticated user has. `None` when
/// the RBAC objects could not be read.
pub fn holdings(cluster: &ClusterAccess, identity: &Identity) -> Option<Vec<Holding>> {
    let mut out = vec![];
    if identity.groups.iter().any(|g| g == "system:masters") {
        out.push(Holding::SystemMasters);
    }
    for a in &identity.policies {
        out.push(Holding::AccessPolicy {
            policy: a.policy.clone(),
            scope: a.scope.clone(),
            modelled: policies::rules(&a.policy).is_some(),
        });
    }
    let rbac = cluster.rbac.known()?;
    for b in &rbac.bindings {
        let subject = b.subjects.iter().find_map(|s| match s.kind.as_str() {
            "User" if s.name == identity.username => Some(format!("user {}", s.name)),
            "Group" if identity.groups.contains(&s.name) => Some(s.name.clone()),
            _ => None,
        });
        if let Some(subject) = subject {
            out.push(Holding::Rbac {
                subject,
                binding: b.name.clone(),
                binding_namespace: b.namespace.clone(),
                role_kind: b.role_kind,
                role: b.role_name.clone(),
                role_exists: rbac.role_of(b).is_some(),
                grants_rules: rbac.role_of(b).is_some_and(|r| {
                    r.rules.iter().any(|rule| {
                        !rule.verbs.is_empty()
                            && (!rule.resources.is_empty()
                                || (b.namespace.is_none() && !rule.non_resource_urls.is_empty()))
                    })
                }),
            });
        }
    }
    Some(out)
}

/// Whether an authenticated identity may do anything at all: something it holds grants it, or it
/// is a node (nodes get their permissions from Kubernetes' Node authorizer, which the model leaves
/// out). `None` when its RBAC could not be read.
pub fn has_any_permission(cluster: &ClusterAccess, identity: &Identity) -> Option<bool> {
    if super::rights::is_node(identity) || identity.groups.iter().any(|g| g == "system:masters") {
        return Some(true);
    }
    Some(holdings(cluster, identity)?.iter().any(Holding::grants_something))
}

/// What Kubernetes' RBAC authorizer adds to a refusal: the roles that bindings in scope name but
/// that do not exist (`rbac.go`: `RBAC: ` and the aggregated resolution errors).
pub fn rbac_reason(decision: &Decision) -> Option<String> {
    let Decision::Denied { dangling_bindings, .. } = decision else { return None };
    let errors: Vec<String> = dangling_bindings
        .iter()
        .map(|(kind, name)| {
            let kind = match kind {
                RoleKind::ClusterRole => "clusterrole",
                RoleKind::Role => "role",
            };
            format!("{kind}.rbac.authorization.k8s.io {name:?} not found")
        })
        .collect();
    match errors.as_slice() {
        [] => None,
        [one] => Some(format!("RBAC: {one}")),
        many => Some(format!("RBAC: [{}]", many.join(", "))),
    }
}

/// The API server's refusal with the authorizers' reason, as it writes it (`responsewriters.Forbidden`).
pub fn forbidden_message_for(username: &str, req: &Request, decision: &Decision) -> String {
    match rbac_reason(decision) {
        Some(reason) => format!("{}: {reason}", forbidden_message(username, req)),
        None => forbidden_message(username, req),
    }
}

/// The message the Kubernetes API server writes when it refuses a request
/// (`k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go` `forbiddenMessage`, wrapped
/// by `NewForbidden`): `pods is forbidden: User "bob" cannot list resource "pods" in API group ""
/// in the namespace "default"`.
pub fn forbidden_message(username: &str, req: &Request) -> String {
    match req {
        Request::NonResource { verb, path } => format!("forbidden: User {username:?} cannot {verb} path {path:?}"),
        Request::Resource(r) => {
            let resource = match &r.subresource {
                Some(s) => format!("{}/{s}", r.resource),
                None => r.resource.clone(),
            };
            let qualified = if r.group.is_empty() { r.resource.clone() } else { format!("{}.{}", r.resource, r.group) };
            let what = match &r.name {
                Some(n) => format!("{qualified} {n:?} is forbidden"),
                None => format!("{qualified} is forbidden"),
            };
            let place = match &r.namespace {
                Some(ns) => format!("in the namespace {ns:?}"),
                None => "at the cluster scope".to_string(),
            };
            format!(
                "{what}: User {username:?} cannot {} resource {resource:?} in API group {:?} {place}",
                r.verb, r.group
            )
        }
    }
}
