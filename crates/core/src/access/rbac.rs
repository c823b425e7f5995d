//! Kubernetes RBAC: roles, cluster roles, their bindings, and the RBAC authorizer's rule matching,
//! as `k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go` (VerbMatches, APIGroupMatches,
//! ResourceMatches, ResourceNameMatches, NonResourceURLMatches) and
//! `plugin/pkg/auth/authorizer/rbac/rbac.go` (`appliesTo`, RoleBindings only in their namespace,
//! non-resource rules only through ClusterRoleBindings) define them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::request::Request;

/// One RBAC `PolicyRule` (also the form access policies' rules take).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

impl Rule {
    /// Whether this rule allows `req` (scope aside: the binding decides where a rule applies).
    pub fn allows(&self, req: &Request) -> bool {
        let verb = |v: &str| self.verbs.iter().any(|r| r == "*" || r == v);
        match req {
            Request::Resource(r) => {
                verb(&r.verb)
                    && self.api_groups.iter().any(|g| g == "*" || *g == r.group)
                    && self.resource_matches(&r.resource, r.subresource.as_deref())
                    && (self.resource_names.is_empty()
                        || r.name.as_deref().is_some_and(|n| self.resource_names.iter().any(|x| x == n)))
            }
            Request::NonResource { verb: v, path } => {
                verb(v)
                    && self.non_resource_urls.iter().any(|u| {
                        u == "*" || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix))
                    })
            }
        }
    }

    fn resource_matches(&self, resource: &str, subresource: Option<&str>) -> bool {
        let combined = match subresource {
            Some(s) => format!("{resource}/{s}"),
            None => resource.to_string(),
        };
        self.resources.iter().any(|r| {
            r == "*" || *r == combined || subresource.is_some_and(|s| r.strip_prefix("*/").is_some_and(|rs| rs == s))
        })
    }
}

/// Whether two lists of rules are the same rules, in any order (as RBAC reads them).
pub fn same_rules(a: &[Rule], b: &[Rule]) -> bool {
    let sorted = |r: &[Rule]| {
        let mut v: Vec<String> = r.iter().map(|x| serde_json::to_string(x).unwrap_or_default()).collect();
        v.sort();
        v
    };
    sorted(a) == sorted(b)
}

/// A ClusterRole (`namespace` None) or a Role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub name: String,
    pub namespace: Option<String>,
    pub rules: Vec<Rule>,
    /// What keeps this role's rules besides whoever writes them, if anything: an aggregation
    /// rule, `aggregate-to-…` labels (its rules flow into other roles), or the manager its
    /// `app.kubernetes.io/managed-by` label names. Such a role is not accessctl's to rewrite.
    pub kept_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleKind {
    ClusterRole,
    Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A ClusterRoleBinding (`namespace` None) or a RoleBinding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub name: String,
    pub namespace: Option<String>,
    pub role_kind: RoleKind,
    pub role_name: String,
    pub subjects: Vec<Subject>,
}

impl Binding {
    /// Whether the binding names this user or one of its groups (service accounts are not
    /// callers accessctl reasons about).
    pub fn applies_to(&self, username: &str, groups: &[String]) -> bool {
        self.subjects.iter().any(|s| match s.kind.as_str() {
            "User" => s.name == username,
            "Group" => groups.contains(&s.name),
            _ => false,
        })
    }
}

/// The RBAC objects of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Rbac {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {name}: {reason}")]
pub struct RbacParseError {
    pub kind: String,
    pub name: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AggregationRule {
    #[serde(default)]
    cluster_role_selectors: Option<Vec<LabelSelector>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelSelector {
    #[serde(default)]
    match_labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RoleObject {
    kind: String,
    metadata: Meta,
    #[serde(default)]
    rules: Option<Vec<Rule>>,
    #[serde(default, rename = "aggregationRule")]
    aggregation_rule: Option<AggregationRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleRefObject {
    kind: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindingObject {
    kind: String,
    metadata: Meta,
    role_ref: RoleRefObject,
    #[serde(default)]
    subjects: Option<Vec<Subject>>,
}

/// A ClusterRole's name, labels, and aggregation selectors (`matchLabels`) if it aggregates.
type RoleLabels = (String, BTreeMap<String, String>, Option<Vec<BTreeMap<String, String>>>);

/// What Kubernetes' ClusterRole aggregation controller does: a ClusterRole with an
/// `aggregationRule` holds the rules of every ClusterRole whose labels match one of its selectors
/// (besides its own, which the controller would overwrite; on a real cluster they are the same).
fn aggregate(rbac: &mut Rbac, labels: &[RoleLabels]) {
    for (name, _, selectors) in labels {
        let Some(selectors) = selectors else { continue };
        let mut rules: Vec<Rule> = vec![];
        for (other, other_labels, _) in labels.iter().filter(|(n, _, _)| n != name) {
            let matches =
                selectors.iter().any(|sel| !sel.is_empty() && sel.iter().all(|(k, v)| other_labels.get(k) == Some(v)));
            if !matches {
                continue;
            }
            let from = rbac.roles.iter().find(|r| r.namespace.is_none() && r.name == *other);
            for rule in from.map(|r| r.rules.clone()).unwrap_or_default() {
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        if let Some(role) = rbac.roles.iter_mut().find(|r| r.namespace.is_none() && r.name == *name) {
            for rule in rules {
                if !role.rules.contains(&rule) {
                    role.rules.push(rule);
                }
            }
        }
    }
}

impl Rbac {
    /// Reads Kubernetes objects (JSON, as the API serves them) of the four RBAC kinds; other
    /// kinds are ignored. An object of an RBAC kind that does not parse is an error: a binding
    /// accessctl cannot read is not a binding that grants nothing.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = &'a serde_json::Value>) -> Result<Rbac, RbacParseError> {
        let mut rbac = Rbac::default();
        let mut labels: Vec<RoleLabels> = vec![];
        for obj in objects {
            let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
            let name = || obj.pointer("/metadata/name").and_then(|n| n.as_str()).unwrap_or("?").to_string();
            let err =
                |e: serde_json::Error| RbacParseError { kind: kind.to_string(), name: name(), reason: e.to_string() };
            match kind {
                "ClusterRole" | "Role" => {
                    let r: RoleObject = serde_json::from_value(obj.clone()).map_err(err)?;
                    let aggregated = r.aggregation_rule.is_some();
                    let selectors = r
                        .aggregation_rule
                        .and_then(|a| a.cluster_role_selectors)
                        .map(|s| s.into_iter().map(|s| s.match_labels.unwrap_or_default()).collect());
                    let role_labels = r.metadata.labels.unwrap_or_default();
                    let kept_by = if aggregated {
                        Some("an aggregation rule".to_string())
                    } else if role_labels.keys().any(|k| k.starts_with("rbac.authorization.k8s.io/aggregate-to-")) {
                        Some("aggregate-to labels (its rules flow into other roles)".to_string())
                    } else {
                        role_labels
                            .get("app.kubernetes.io/managed-by")
                            .filter(|m| *m != "accessctl")
                            .map(|m| format!("{m}, which manages it"))
                    };
                    labels.push((r.metadata.name.clone(), role_labels, selectors));
                    rbac.roles.push(Role {
                        name: r.metadata.name,
                        namespace: if r.kind == "Role" { r.metadata.namespace } else { None },
                        rules: r.rules.unwrap_or_default(),
                        kept_by,
                    });
                }
                "ClusterRoleBinding" | "RoleBinding" => {
                    let b: BindingObject = serde_json::from_value(obj.clone()).map_err(err)?;
                    let role_kind = match b.role_ref.kind.as_str() {
                        "ClusterRole" => RoleKind::ClusterRole,
                        "Role" => RoleKind::Role,
                        other => {
                            return Err(RbacParseError {
                                kind: kind.to_string(),
                                name: name(),
                                reason: format!("roleRef kind `{other}` is neither ClusterRole nor Role"),
                            });
                        }
                    };
                    rbac.bindings.push(Binding {
                        name: b.metadata.name,
                        namespace: if b.kind == "RoleBinding" { b.metadata.namespace } else { None },
                        role_kind,
                        role_name: b.role_ref.name,
                        subjects: b.subjects.unwrap_or_default(),
                    });
                }
                _ => {}
            }
        }
        aggregate(&mut rbac, &labels);
        Ok(rbac)
    }

    /// The role a binding refers to, if it exists (a RoleBinding's Role lives in its namespace).
    pub fn role_of(&self, b: &Binding) -> Option<&Role> {
        self.roles.iter().find(|r| {
            r.name == b.role_name
                && match b.role_kind {
                    RoleKind::ClusterRole => r.namespace.is_none(),
                    RoleKind::Role => r.namespace.is_some() && r.namespace == b.namespace,
                }
        })
    }

    /// Kubernetes' default cluster roles and their bindings, as a v1.31 kube-apiserver creates
    /// them (admin/edit/view with their aggregated rules).
    pub fn kubernetes_defaults() -> &'static Rbac {
        static DEFAULTS: std::sync::OnceLock<Rbac> = std::sync::OnceLock::new();
        DEFAULTS.get_or_init(|| {
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Data {
                cluster_roles: Vec<DataRole>,
                cluster_role_bindings: Vec<DataBinding>,
            }
            #[derive(Deserialize)]
            struct DataRole {
                name: String,
                #[serde(default)]
                rules: Vec<Rule>,
            }
            #[derive(Deserialize)]
            struct DataBinding {
                name: String,
                role: String,
                #[serde(default)]
                subjects: Vec<Subject>,
            }
            let data: Data = serde_yaml_ng::from_str(include_str!("data/kubernetes-default-roles.yaml"))
                .expect("the embedded default roles parse (tested)");
            Rbac {
                roles: data
                    .cluster_roles
                    .into_iter()
                    .map(|r| Role { name: r.name, namespace: None, rules: r.rules, kept_by: Some("Kubernetes".into()) })
                    .collect(),
                bindings: data
                    .cluster_role_bindings
                    .into_iter()
                    .map(|b| Binding {
                        name: b.name,
                        namespace: None,
                        role_kind: RoleKind::ClusterRole,
                        role_name: b.role,
                        subjects: b.subjects,
                    })
                    .collect(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::request::Request;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Rule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        Rule { api_groups: v(groups), resources: v(resources), verbs: v(verbs), ..Default::default() }
    }

    /// Rows from kubernetes' pkg/apis/rbac/v1/evaluation_helpers_test.go and
    /// plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestRuleMatches-style cases).
    #[test]
    fn rule_matching_follows_the_rbac_authorizer() {
        let get_pods = Request::resource("get", "", "pods", Some("default"));
        assert!(rule(&[""], &["pods"], &["get"]).allows(&get_pods));
        assert!(rule(&["*"], &["*"], &["*"]).allows(&get_pods));
        assert!(!rule(&["apps"], &["pods"], &["get"]).allows(&get_pods));
        assert!(!rule(&[""], &["pods"], &["list"]).allows(&get_pods));
        let logs = Request::resource("get", "", "pods/log", Some("default"));
        assert!(!rule(&[""], &["pods"], &["get"]).allows(&logs), "a subresource needs its own rule");
        assert!(rule(&[""], &["pods/log"], &["get"]).allows(&logs));
        assert!(rule(&[""], &["*/log"], &["get"]).allows(&logs));
        let mut named = rule(&[""], &["configmaps"], &["get"]);
        named.resource_names = vec!["aws-auth".into()];
        assert!(named.allows(&Request::resource("get", "", "configmaps", Some("kube-system")).named("aws-auth")));
        assert!(!named.allows(&Request::resource("get", "", "configmaps", Some("kube-system")).named("other")));
        assert!(!named.allows(&Request::resource("list", "", "configmaps", Some("kube-system"))));
        let healthz = Rule {
            non_resource_urls: vec!["/healthz".into(), "/api/*".into()],
            verbs: vec!["get".into()],
            ..Default::default()
        };
        assert!(healthz.allows(&Request::NonResource { verb: "get".into(), path: "/healthz".into() }));
        assert!(healthz.allows(&Request::NonResource { verb: "get".into(), path: "/api/v1".into() }));
        assert!(!healthz.allows(&Request::NonResource { verb: "get".into(), path: "/metrics".into() }));
        assert!(!healthz.allows(&get_pods));
    }

    /// A ClusterRole with an aggregationRule holds the rules of the roles its selectors match.
    #[test]
    fn cluster_roles_aggregate() {
        let objects = [
            serde_json::json!({"kind": "ClusterRole", "metadata": {"name": "parent"},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-parent": "true"}}]}, "rules": []}),
            serde_json::json!({"kind": "ClusterRole", "metadata": {"name": "child", "labels": {"to-parent": "true"}},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
        ];
        let rbac = Rbac::from_objects(&objects).unwrap();
        let parent = rbac.roles.iter().find(|r| r.name == "parent").unwrap();
        assert!(parent.rules.iter().any(|r| r.allows(&Request::resource("get", "", "secrets", Some("a")))));
    }

    #[test]
    fn the_embedded_defaults_hold_the_roles_kubernetes_creates() {
        let d = Rbac::kubernetes_defaults();
        for name in ["cluster-admin", "admin", "edit", "view"] {
            assert!(d.roles.iter().any(|r| r.name == name && !r.rules.is_empty()), "{name}");
        }
        let masters = d.bindings.iter().find(|b| b.name == "cluster-admin").expect("cluster-admin binding");
        assert!(masters.applies_to("x", &["system:masters".to_string()]));
    }
}
