//! Effective rights: what an authenticated identity may do on a cluster, summed up in the words an
//! access review uses — cluster admin, admin / edit / view (cluster-wide or per namespace), custom,
//! none — or, where the model cannot tell, unknown and why.
//!
//! Not a second evaluator: every level is decided by asking [`authorize`] probe requests. The
//! reference for each level is the rules of the EKS access policy of that name (AWS's published
//! tables, [`policies::rules`]): a level is held when every (apiGroup, resource, verb) of every one
//! of its rules is allowed. A `*` in the reference is probed as the literal `*`, which only a
//! wildcard rule allows, so holding `cluster-admin` means holding the wildcard, not a long list.
//! Who holds what is never read off policy or role names.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::authn::{Identity, Via};
use super::authz::{Decision, Holding, authorize, holdings};
use super::policies;
use super::rbac::Rule;
use super::request::Request;
use super::state::{ClusterAccess, Known};
use crate::model::rules::namespace_matches;
use crate::model::{AccessScope, EntryType};

/// How much an identity may do in one scope (the whole cluster, or one namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Everything, non-resource URLs included (AmazonEKSClusterAdminPolicy's wildcard).
    ClusterAdmin,
    /// Every rule of AmazonEKSAdminPolicy.
    Admin,
    /// Every rule of AmazonEKSEditPolicy.
    Edit,
    /// Every rule of AmazonEKSViewPolicy.
    View,
    /// Holds something that grants permissions, but not all of any reference above.
    Custom,
    /// A node identity: Kubernetes' Node authorizer, which the model leaves out, decides what it
    /// may do with its own node's objects. Never "none".
    Node,
    /// Nothing beyond what every authenticated user has.
    None,
    /// The model cannot tell, and why (state that could not be read, an access policy whose rules
    /// AWS does not publish). Never "none".
    Unknown(String),
}

impl Level {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Level::Unknown(_))
    }

    /// The level's word, without the reason an unknown one carries.
    pub fn word(&self) -> &'static str {
        match self {
            Level::ClusterAdmin => "cluster-admin",
            Level::Admin => "admin",
            Level::Edit => "edit",
            Level::View => "view",
            Level::Custom => "custom",
            Level::Node => "node",
            Level::None => "none",
            Level::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Unknown(why) => write!(f, "unknown ({why})"),
            other => f.write_str(other.word()),
        }
    }
}

/// An identity's rights on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    /// Across the whole cluster (requests without a namespace, and in every namespace).
    pub cluster: Level,
    /// Namespaces (or namespace patterns such as `payments-*`, as the scopes name them) where the
    /// identity holds something other than its cluster-wide level. Sorted.
    pub namespaces: Vec<(String, Level)>,
}

impl Rights {
    pub fn is_unknown(&self) -> bool {
        self.cluster.is_unknown() || self.namespaces.iter().any(|(_, l)| l.is_unknown())
    }

    /// Nothing at all, anywhere.
    pub fn is_none(&self) -> bool {
        self.cluster == Level::None && self.namespaces.is_empty()
    }
}

/// The reference policy of each level, highest first.
const CLUSTER_LADDER: &[(Level, &str)] = &[
    (Level::ClusterAdmin, "AmazonEKSClusterAdminPolicy"),
    (Level::Admin, "AmazonEKSAdminPolicy"),
    (Level::Edit, "AmazonEKSEditPolicy"),
    (Level::View, "AmazonEKSViewPolicy"),
];

/// In a namespace the highest level is admin: the cluster admin's non-resource URLs and
/// cluster-wide requests are not namespaced, so holding the wildcard there is being its admin.
const NAMESPACE_LADDER: &[(Level, &str)] = &[
    (Level::Admin, "AmazonEKSClusterAdminPolicy"),
    (Level::Admin, "AmazonEKSAdminPolicy"),
    (Level::Edit, "AmazonEKSEditPolicy"),
    (Level::View, "AmazonEKSViewPolicy"),
];

/// `identity`'s rights on `cluster`: the cluster-wide level, and each namespace its access
/// policies' scopes or its RoleBindings name where it holds something else.
pub fn effective_rights(cluster: &ClusterAccess, identity: &Identity) -> Rights {
    let held = holdings(cluster, identity);
    let node = is_node(identity);
    let cluster_level = level_in(cluster, identity, held.as_deref(), None, node);
    if cluster_level == Level::ClusterAdmin {
        return Rights { cluster: cluster_level, namespaces: vec![] };
    }
    let namespaces = namespaces_named(identity, held.as_deref())
        .into_iter()
        .map(|ns| {
            let level = level_in(cluster, identity, held.as_deref(), Some(&ns), node);
            (ns, level)
        })
        .filter(|(_, level)| *level != cluster_level)
        .collect();
    Rights { cluster: cluster_level, namespaces }
}

/// Whether `identity` is a cluster administrator on `cluster`: it may make every request,
/// non-resource URLs included (`system:masters`, AmazonEKSClusterAdminPolicy at cluster scope, a
/// ClusterRoleBinding to a wildcard role). `Unknown` when the model cannot tell (RBAC that could
/// not be read, an access policy whose rules are not published). For guardrails such as
/// "cluster-admin only for named principals".
pub fn is_cluster_admin(cluster: &ClusterAccess, identity: &Identity) -> Known<bool> {
    let held = holdings(cluster, identity);
    match level_in(cluster, identity, held.as_deref(), None, is_node(identity)) {
        Level::ClusterAdmin => Known::Known(true),
        Level::Unknown(why) => Known::Unknown(why),
        _ => Known::Known(false),
    }
}

/// A node identity: a node-type access entry, or the `system:nodes` group.
pub fn is_node(identity: &Identity) -> bool {
    identity.groups.iter().any(|g| g == "system:nodes")
        || matches!(&identity.via, Via::AccessEntry { entry_type, .. } if *entry_type != EntryType::Standard)
}

/// Every namespace (or pattern) the identity's access-policy scopes and RoleBindings name.
fn namespaces_named(identity: &Identity, held: Option<&[Holding]>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in &identity.policies {
        if let AccessScope::Namespace(patterns) = &a.scope {
            out.extend(patterns.iter().cloned());
        }
    }
    for h in held.unwrap_or_default() {
        if let Holding::Rbac { binding_namespace: Some(ns), .. } = h {
            out.insert(ns.clone());
        }
    }
    out
}

/// The level in one scope (`namespace` None: cluster-wide).
fn level_in(
    cluster: &ClusterAccess,
    identity: &Identity,
    held: Option<&[Holding]>,
    namespace: Option<&str>,
    node: bool,
) -> Level {
    let ladder = if namespace.is_some() { NAMESPACE_LADDER } else { CLUSTER_LADDER };
    // Why a level above the one proven might hold too.
    let mut uncertain: Option<String> = None;
    let mut proven = None;
    for (level, policy) in ladder {
        // The reference policies are modelled (tested below); one that were not proves nothing.
        let Some(rules) = policies::rules(policy) else { continue };
        match probe_all(cluster, identity, held, namespace, rules) {
            Probe::Allowed => {
                proven = Some(level.clone());
                break;
            }
            Probe::Refused => {}
            Probe::Perhaps(why) => {
                uncertain.get_or_insert(why);
            }
        }
    }
    let in_scope: Vec<&Holding> = held.unwrap_or_default().iter().filter(|h| applies_in(h, namespace)).collect();
    match (proven, uncertain) {
        (Some(level), None) => level,
        (Some(level), Some(why)) => Level::Unknown(format!("at least {level}; {why}")),
        (None, Some(why)) => Level::Unknown(why),
        // A node's own permissions come from the Node authorizer, which the model leaves out:
        // "node", never "none".
        (None, None) if node => Level::Node,
        (None, None) if in_scope.iter().any(|h| h.grants_something()) => Level::Custom,
        (None, None) => Level::None,
    }
}

/// Whether a holding can allow requests in this scope (cluster-wide holdings apply everywhere).
fn applies_in(h: &Holding, namespace: Option<&str>) -> bool {
    match (h, namespace) {
        (Holding::SystemMasters, _) => true,
        (Holding::AccessPolicy { scope: AccessScope::Cluster, .. }, _) => true,
        (Holding::AccessPolicy { scope: AccessScope::Namespace(patterns), .. }, Some(ns)) => {
            patterns.iter().any(|p| namespace_matches(p, ns))
        }
        (Holding::AccessPolicy { .. }, None) => false,
        (Holding::Rbac { binding_namespace: None, .. }, _) => true,
        (Holding::Rbac { binding_namespace: Some(b), .. }, Some(ns)) => b == ns,
        (Holding::Rbac { .. }, None) => false,
    }
}

enum Probe {
    /// Every probe allowed.
    Allowed,
    /// One probe refused by everything that could allow it.
    Refused,
    /// None refused for certain, some not known to be allowed: why.
    Perhaps(String),
}

/// Asks `authorize` every (apiGroup, resource, verb) of `rules` in the scope.
fn probe_all(
    cluster: &ClusterAccess,
    identity: &Identity,
    held: Option<&[Holding]>,
    namespace: Option<&str>,
    rules: &[Rule],
) -> Probe {
    let mut perhaps = None;
    for req in rules.iter().flat_map(|r| probes(r, namespace)) {
        match authorize(cluster, identity, &req) {
            Decision::Allowed { .. } => {}
            Decision::Unknown { reason } => {
                perhaps.get_or_insert(format!("RBAC could not be read: {reason}"));
            }
            Decision::Denied { .. } => match unmodelled_in_scope(held, namespace) {
                Some(policies) => {
                    perhaps.get_or_insert(format!(
                        "{policies} may allow more: AWS does not publish its Kubernetes permissions as rules"
                    ));
                }
                None => return Probe::Refused,
            },
        }
    }
    match perhaps {
        Some(why) => Probe::Perhaps(why),
        None => Probe::Allowed,
    }
}

/// The unmodelled access policies that apply in this scope, if any.
fn unmodelled_in_scope(held: Option<&[Holding]>, namespace: Option<&str>) -> Option<String> {
    let names: Vec<&str> = held
        .unwrap_or_default()
        .iter()
        .filter(|h| applies_in(h, namespace))
        .filter_map(|h| match h {
            Holding::AccessPolicy { policy, modelled: false, .. } => Some(policy.as_str()),
            _ => None,
        })
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The requests that test one reference rule, literally (a `*` stays `*`).
fn probes(rule: &Rule, namespace: Option<&str>) -> Vec<Request> {
    let mut out = vec![];
    for verb in &rule.verbs {
        for group in &rule.api_groups {
            for resource in &rule.resources {
                let req = Request::resource(verb, group, resource, namespace);
                if rule.resource_names.is_empty() {
                    out.push(req);
                } else {
                    out.extend(rule.resource_names.iter().map(|n| req.clone().named(n)));
                }
            }
        }
        // Non-resource URLs are never namespaced: only the cluster-wide scope can hold them.
        if namespace.is_none() {
            out.extend(
                rule.non_resource_urls.iter().map(|u| Request::NonResource { verb: verb.clone(), path: u.clone() }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Caller, Offline, authenticate, desired};
    use crate::config::{self, SourceFile};

    fn cluster(body: &str) -> ClusterAccess {
        let text = format!(
            "cluster \"c\" {{\n region \"eu-west-1\"\n authentication-mode \"API_AND_CONFIG_MAP\"\n{body}\n}}\n"
        );
        let loaded = config::load(&[SourceFile::new("t.kdl", text)]);
        let config = loaded.config.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        desired::from_config(&config.clusters[0])
    }

    fn rights(c: &ClusterAccess, arn: &str) -> Rights {
        let caller = Caller::parse(arn).unwrap().as_caller();
        let identity = authenticate(c, &caller, &Offline).identity().cloned().expect("authenticated");
        effective_rights(c, &identity)
    }

    fn summary(r: &Rights) -> String {
        let mut s = r.cluster.word().to_string();
        for (ns, l) in &r.namespaces {
            s.push_str(&format!(", {ns}: {}", l.word()));
        }
        s
    }

    const A: &str = "arn:aws:iam::111122223333:role/a";

    #[test]
    fn the_reference_policies_are_modelled() {
        for (_, p) in CLUSTER_LADDER.iter().chain(NAMESPACE_LADDER) {
            assert!(policies::rules(p).is_some_and(|r| !r.is_empty()), "{p}");
        }
    }

    /// Each access policy of the ladder, at cluster scope and in namespaces, lands on its own
    /// level; the rows are AWS's policies (access-policy-reference.adoc).
    #[test]
    fn each_reference_policy_gives_its_level() {
        let rows = [
            ("AmazonEKSClusterAdminPolicy", "cluster-admin"),
            ("AmazonEKSAdminPolicy", "admin"),
            ("AmazonEKSEditPolicy", "edit"),
            ("AmazonEKSViewPolicy", "view"),
            // Reads secrets only: a permission, but none of the levels.
            ("AmazonEKSSecretReaderPolicy", "custom"),
        ];
        for (policy, want) in rows {
            let c = cluster(&format!("access-entry \"{A}\" {{ policy \"{policy}\" }}"));
            assert_eq!(summary(&rights(&c, A)), want, "{policy}");
            let c = cluster(&format!(
                "access-entry \"{A}\" {{ policy \"{policy}\" {{ namespaces \"payments\" \"team-*\" }} }}"
            ));
            let ns = if want == "cluster-admin" { "admin" } else { want };
            assert_eq!(
                summary(&rights(&c, A)),
                format!("none, payments: {ns}, team-*: {ns}"),
                "{policy} in namespaces"
            );
        }
    }

    #[test]
    fn a_namespace_above_the_cluster_wide_level_is_listed_and_one_at_it_is_not() {
        let c = cluster(&format!(
            "access-entry \"{A}\" {{\n policy \"AmazonEKSViewPolicy\"\n policy \"AmazonEKSEditPolicy\" {{ namespaces \"payments\" }}\n}}"
        ));
        assert_eq!(summary(&rights(&c, A)), "view, payments: edit");
    }

    #[test]
    fn system_masters_and_a_wildcard_role_are_cluster_admin() {
        let c = cluster(&format!(
            "aws-auth {{\n map-role \"{A}\" username=\"a\" {{\n groups \"system:masters\"\n }}\n}}\naccess-entry \"arn:aws:iam::111122223333:role/b\" {{ groups \"root\" }}\ngroup-binding \"root\" cluster-role=\"cluster-admin\""
        ));
        assert_eq!(summary(&rights(&c, A)), "cluster-admin");
        assert_eq!(summary(&rights(&c, "arn:aws:iam::111122223333:role/b")), "cluster-admin");
        let caller = Caller::parse(A).unwrap().as_caller();
        let identity = authenticate(&c, &caller, &Offline).identity().cloned().unwrap();
        assert_eq!(is_cluster_admin(&c, &identity), Known::Known(true));
    }

    /// Kubernetes' own user-facing roles (kubernetes-default-roles.yaml) land on the level of the
    /// same name, bound cluster-wide or in a namespace: the references and they agree.
    #[test]
    fn kubernetes_user_facing_roles_give_their_levels() {
        let rows = [
            ("admin", "none, web: admin", "admin"),
            ("edit", "none, web: edit", "edit"),
            ("view", "none, web: view", "view"),
            ("cluster-admin", "none, web: admin", "cluster-admin"),
        ];
        for (role, in_namespace, cluster_wide) in rows {
            let c = cluster(&format!(
                "access-entry \"{A}\" {{ groups \"g\" }}\ngroup-binding \"g\" cluster-role=\"{role}\" namespace=\"web\"\naccess-entry \"arn:aws:iam::111122223333:role/b\" {{ groups \"h\" }}\ngroup-binding \"h\" cluster-role=\"{role}\""
            ));
            assert_eq!(summary(&rights(&c, A)), in_namespace, "{role} in web");
            assert_eq!(summary(&rights(&c, "arn:aws:iam::111122223333:role/b")), cluster_wide, "{role}");
        }
    }

    #[test]
    fn a_role_binding_to_a_narrow_role_is_custom_in_its_namespace_and_none_elsewhere() {
        let c = cluster(&format!(
            "access-entry \"{A}\" {{ groups \"readers\" }}\nrole \"pod-reader\" namespace=\"web\" {{\n rule {{\n api-groups \"\"\n resources \"pods\"\n verbs \"get\"\n }}\n}}\ngroup-binding \"readers\" role=\"pod-reader\" namespace=\"web\""
        ));
        assert_eq!(summary(&rights(&c, A)), "none, web: custom");
        // An entry with no policy and no binding holds nothing.
        let c = cluster(&format!("access-entry \"{A}\""));
        assert!(rights(&c, A).is_none());
    }

    #[test]
    fn an_unmodelled_policy_is_unknown_never_none_and_a_node_is_a_node() {
        let c = cluster(&format!("access-entry \"{A}\" {{ policy \"AmazonEKSNetworkingPolicy\" }}"));
        let r = rights(&c, A);
        assert!(matches!(&r.cluster, Level::Unknown(why) if why.contains("AmazonEKSNetworkingPolicy")), "{r:?}");
        // Proven view, perhaps more.
        let c = cluster(&format!(
            "access-entry \"{A}\" {{\n policy \"AmazonEKSViewPolicy\"\n policy \"AmazonEKSNetworkingPolicy\"\n}}"
        ));
        assert!(matches!(&rights(&c, A).cluster, Level::Unknown(why) if why.starts_with("at least view")));
        let c = cluster(&format!("access-entry \"{A}\" type=\"EC2_LINUX\""));
        assert_eq!(rights(&c, A).cluster, Level::Node);
    }

    #[test]
    fn rbac_that_cannot_be_read_is_unknown_but_system_masters_is_still_known() {
        let mut c = cluster(&format!(
            "access-entry \"{A}\" {{ groups \"readers\" }}\naws-auth {{\n map-role \"arn:aws:iam::111122223333:role/m\" username=\"m\" {{\n groups \"system:masters\"\n }}\n}}"
        ));
        c.rbac = Known::Unknown("403 listing clusterroles".into());
        assert!(matches!(&rights(&c, A).cluster, Level::Unknown(why) if why.contains("403 listing clusterroles")));
        assert_eq!(rights(&c, "arn:aws:iam::111122223333:role/m").cluster, Level::ClusterAdmin);
        let caller = Caller::parse(A).unwrap().as_caller();
        let identity = authenticate(&c, &caller, &Offline).identity().cloned().unwrap();
        assert!(matches!(is_cluster_admin(&c, &identity), Known::Unknown(_)));
    }
}
