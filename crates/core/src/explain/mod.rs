//! `explain`: how EKS would authenticate a principal on a cluster and what it may then do — or,
//! when it cannot get in, exactly why and what to change in access.kdl.
//!
//! The answer is the access model's ([`crate::access`]): `authenticate` says who the caller
//! becomes and through what, `holdings` what that identity holds, and, for a request,
//! `authorize` whether it is allowed and by which rule — the same functions the sandbox enforces
//! with. This module only turns their answers into findings and fixes in access.kdl terms. The
//! state reasoned over comes from the files ([`crate::access::desired::from_config`]), from live
//! reads ([`crate::live::from_live`]) or from live state with the plan applied
//! ([`crate::plan::after::state_after_plan`]).

pub mod render;

use serde::Serialize;

pub use crate::access::Caller;
use crate::access::{
    self, Authentication, ClusterAccess, Holding, Known, Offline, Outcome, Refusal, Request, Via, caller::strip_path,
};
use crate::aws_auth::MappingKind;
use crate::model::{AccessScope, AuthMode, PrincipalKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Authenticated and allowed to do something.
    Access,
    /// Authenticated, but no policy or RBAC binding lets it do anything: requests are Forbidden.
    AuthenticatedOnly,
    /// Not authenticated: "You must be logged in to the server (Unauthorized)".
    NoAccess,
    /// The state the answer depends on could not be read.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    AccessEntry,
    AwsAuthMapRoles,
    AwsAuthMapUsers,
    AwsAuthMapAccounts,
    /// The CONFIG_MAP creator's hidden `system:masters`.
    ClusterCreator,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub cause: String,
    pub fix: String,
}

/// The answer for one request, when asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestAnswer {
    pub request: Request,
    /// `allowed`, `forbidden`, `unauthorized` or `unknown`.
    pub outcome: &'static str,
    /// The HTTP status the Kubernetes API answers (none when unknown).
    pub status: Option<u16>,
    /// What allows it.
    pub allowed_by: Option<String>,
    /// What the API server says when it refuses.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub cluster: String,
    pub mode: AuthMode,
    pub caller: Caller,
    pub verdict: Verdict,
    pub source: Option<Source>,
    /// What the authenticator matched: the entry's or mapping's ARN, or the account.
    pub matched: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub policies: Vec<(String, AccessScope)>,
    /// RBAC bindings of the identity: `subject → binding description`.
    pub bindings: Vec<(String, String)>,
    /// Template variables only EKS can resolve (e.g. `{{EC2PrivateDNSName}}`).
    pub unresolved: Vec<String>,
    pub request: Option<RequestAnswer>,
    pub findings: Vec<Finding>,
    /// A node identity (a node-type entry, a `system:nodes` mapping): Kubernetes' Node authorizer,
    /// which the model does not hold, may allow it more.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub node: bool,
}

/// Explains `caller` on `cluster`, and `request` when given.
pub fn explain(cluster: &ClusterAccess, caller: &Caller, request: Option<&Request>) -> Explanation {
    let mut out = Explanation {
        cluster: cluster.name.clone(),
        mode: cluster.mode,
        caller: caller.clone(),
        verdict: Verdict::NoAccess,
        source: None,
        matched: None,
        username: None,
        groups: vec![],
        policies: vec![],
        bindings: vec![],
        unresolved: vec![],
        request: None,
        findings: vec![],
        node: false,
    };
    out.request = request.map(|r| answer(access::decide(cluster, caller, r, &Offline), r));
    let identity = match access::authenticate(cluster, caller, &Offline) {
        Authentication::Authenticated(i) => i,
        Authentication::Unknown { reason } => {
            out.verdict = Verdict::Unknown;
            out.findings.push(Finding {
                cause: format!("cannot tell: {reason}"),
                fix: "make the cluster's state readable by the caller (access to EKS and to kube-system/aws-auth), then run again".into(),
            });
            return out;
        }
        Authentication::Refused(refusal) => {
            no_access_findings(cluster, caller, &refusal, &mut out.findings);
            return out;
        }
    };
    let (source, matched) = match &identity.via {
        Via::AccessEntry { principal, .. } => (Source::AccessEntry, principal.clone()),
        Via::MapRoles { rolearn } => (Source::AwsAuthMapRoles, rolearn.clone()),
        Via::MapUsers { userarn } => (Source::AwsAuthMapUsers, userarn.clone()),
        Via::MapAccounts { account } => (Source::AwsAuthMapAccounts, account.clone()),
        Via::ClusterCreator { principal } => (Source::ClusterCreator, principal.clone()),
    };
    out.source = Some(source);
    out.matched = Some(matched);
    out.username = Some(identity.username.clone());
    out.groups = identity.groups.clone();
    out.unresolved = identity.unresolved.clone();
    out.policies = identity.policies.iter().map(|a| (a.policy.clone(), a.scope.clone())).collect();
    out.node = access::rights::is_node(&identity);
    if let Via::AccessEntry { entry_type, .. } = &identity.via
        && *entry_type != crate::model::EntryType::Standard
    {
        out.bindings.push((
            entry_type.as_str().to_string(),
            "node permissions, granted by Kubernetes' Node authorizer to entries of this type".into(),
        ));
    }
    let Some(holdings) = access::holdings(cluster, &identity) else {
        out.verdict = Verdict::Unknown;
        let reason = match &cluster.rbac {
            Known::Unknown(r) => r.clone(),
            Known::Known(_) => String::new(),
        };
        out.findings.push(Finding {
            cause: format!("authenticated as `{}`, but its RBAC cannot be read: {reason}", identity.username),
            fix: "give the caller read access to RBAC objects, then run again".into(),
        });
        return out;
    };
    for h in &holdings {
        match h {
            Holding::SystemMasters => {
                out.bindings.push(("system:masters".into(), "cluster-admin (built into Kubernetes)".into()))
            }
            Holding::AccessPolicy { policy, modelled: false, .. } => out.findings.push(Finding {
                cause: format!(
                    "{policy}'s Kubernetes permissions are not published as rules accessctl knows: what it allows is \
                     not modelled"
                ),
                fix: "check the policy in AWS's documentation (Review access policy permissions)".into(),
            }),
            Holding::AccessPolicy { .. } => {}
            Holding::Rbac { subject, binding, binding_namespace, role_kind, role, role_exists, .. } => {
                let kind = match role_kind {
                    access::RoleKind::ClusterRole => "ClusterRole",
                    access::RoleKind::Role => "Role",
                };
                let place = match binding_namespace {
                    Some(ns) => format!("in namespace {ns}"),
                    None => "(cluster-wide)".to_string(),
                };
                let missing = if *role_exists { "" } else { " — the role does not exist: grants nothing" };
                out.bindings.push((subject.clone(), format!("{kind} {role} {place}, binding {binding}{missing}")));
                if !role_exists {
                    out.findings.push(Finding {
                        cause: format!("{subject} is bound to {kind} `{role}`, which does not exist: the binding grants nothing"),
                        fix: format!("create the {kind} `{role}` (for the EKS console: AWS's eks-console-full-access.yaml), or bind to an existing role such as `view`"),
                    });
                }
            }
        }
    }
    out.verdict = if access::has_any_permission(cluster, &identity) == Some(true) {
        Verdict::Access
    } else {
        Verdict::AuthenticatedOnly
    };
    if out.verdict == Verdict::AuthenticatedOnly {
        let groups = if out.groups.is_empty() { "no group".to_string() } else { out.groups.join(", ") };
        out.findings.push(Finding {
            cause: format!(
                "authenticated as `{}` in {groups}, but no access policy and no RBAC binding gives it any permission: \
                 every request is Forbidden",
                identity.username
            ),
            fix: match out.groups.first() {
                Some(g) => {
                    format!("bind the group: `group-binding \"{g}\" cluster-role=\"view\"`, or give the entry a policy")
                }
                None => format!(
                    "add a policy to its access entry: `access-entry \"{}\" {{ policy \"AmazonEKSViewPolicy\" }}`",
                    caller.canonical
                ),
            },
        });
    }
    let masters = holdings.iter().any(|h| matches!(h, Holding::SystemMasters));
    let cluster_wide = masters
        || holdings.iter().any(|h| match h {
            Holding::AccessPolicy { scope, .. } => *scope == AccessScope::Cluster,
            Holding::Rbac { binding_namespace, role_exists, .. } => binding_namespace.is_none() && *role_exists,
            Holding::SystemMasters => true,
        });
    if !out.policies.is_empty() && !cluster_wide {
        let namespaces: std::collections::BTreeSet<String> = out
            .policies
            .iter()
            .flat_map(|(_, s)| match s {
                AccessScope::Namespace(ns) => ns.clone(),
                AccessScope::Cluster => vec![],
            })
            .collect();
        let namespaces: Vec<String> = namespaces.into_iter().collect();
        // Said of the request asked, when one is: a request inside those namespaces is refused
        // for another reason (the policy's rules), which the API server's message names.
        let scoped = match request.map(Request::namespace) {
            None | Some(None) => {
                Some("cluster-wide requests (kubectl get pods -A, get nodes, get namespaces) are Forbidden".to_string())
            }
            Some(Some(ns)) if !namespaces.iter().any(|p| crate::model::rules::namespace_matches(p, ns)) => {
                Some(format!("requests in namespace {ns} are Forbidden"))
            }
            Some(Some(_)) => None,
        };
        if let Some(refused) = scoped {
            out.findings.push(Finding {
                cause: format!("its access policies are scoped to namespaces {}: {refused}", namespaces.join(", ")),
                fix: "use `-n <namespace>` within those namespaces, or associate a policy without namespaces \
                      (cluster scope)"
                    .into(),
            });
        }
    }
    out
}

fn answer(outcome: Outcome, request: &Request) -> RequestAnswer {
    let mut status = outcome.status();
    let (word, allowed_by, message) = match &outcome {
        Outcome::Allowed { grant, .. } => ("allowed", Some(describe_grant(grant)), None),
        // Refused by every rule accessctl knows, but allowed perhaps by what it does not model:
        // an access policy whose rules AWS does not publish, or the Node authorizer (nodes' own
        // permissions). Never a guessed "no".
        Outcome::Forbidden { identity, decision } if unmodelled_grant(identity, decision).is_some() => {
            status = None;
            ("unknown", None, unmodelled_grant(identity, decision))
        }
        Outcome::Forbidden { identity, decision } => {
            ("forbidden", None, Some(access::forbidden_message_for(&identity.username, request, decision)))
        }
        Outcome::Unauthorized { .. } => {
            ("unauthorized", None, Some("error: You must be logged in to the server (Unauthorized)".to_string()))
        }
        Outcome::Unknown { reason, .. } => ("unknown", None, Some(reason.clone())),
    };
    RequestAnswer { request: request.clone(), outcome: word, status, allowed_by, message }
}

/// What might allow a request no modelled rule allows, said as the reason the answer is unknown.
fn unmodelled_grant(identity: &access::Identity, decision: &access::Decision) -> Option<String> {
    if let access::Decision::Denied { unmodelled_policies, .. } = decision
        && !unmodelled_policies.is_empty()
    {
        return Some(format!(
            "no rule accessctl knows allows it, but {} may: AWS does not publish its Kubernetes permissions as rules",
            unmodelled_policies.join(", ")
        ));
    }
    if access::rights::is_node(identity) {
        return Some(
            "no RBAC rule or access policy allows it, but this is a node identity: Kubernetes' Node authorizer, which \
             accessctl does not model, decides what a node may do with its own pods, secrets and node"
                .into(),
        );
    }
    None
}

/// A grant as a person reads it, naming the rule.
pub fn describe_grant(grant: &access::Grant) -> String {
    let rule = |r: &access::Rule| {
        if r.non_resource_urls.is_empty() {
            format!(
                "apiGroups [{}] resources [{}] verbs [{}]",
                r.api_groups.join(", "),
                r.resources.join(", "),
                r.verbs.join(", ")
            )
        } else {
            format!("nonResourceURLs [{}] verbs [{}]", r.non_resource_urls.join(", "), r.verbs.join(", "))
        }
    };
    match grant {
        access::Grant::SystemMasters => "system:masters (Kubernetes allows it everything)".into(),
        access::Grant::Rbac { binding, binding_namespace, role_kind, role, rule: r } => {
            let binding = match binding_namespace {
                Some(ns) => format!("RoleBinding {ns}/{binding}"),
                None => format!("ClusterRoleBinding {binding}"),
            };
            format!("{binding} → {role_kind:?} {role}, rule {}", rule(r))
        }
        access::Grant::AccessPolicy { policy, scope, rule: r } => {
            let scope = match scope {
                AccessScope::Cluster => "cluster".to_string(),
                AccessScope::Namespace(ns) => format!("namespaces {}", ns.join(", ")),
            };
            format!("access policy {policy} ({scope}), rule {}", rule(r))
        }
    }
}

fn no_access_findings(cluster: &ClusterAccess, caller: &Caller, refusal: &Refusal, findings: &mut Vec<Finding>) {
    let canonical = &caller.canonical;
    let aws_auth = if cluster.mode.uses_aws_auth() { cluster.aws_auth.known().and_then(Option::as_ref) } else { None };
    if let Refusal::Template { reason, .. } = refusal {
        findings.push(Finding {
            cause: format!("a mapping names it, but the authenticator refuses to render it: {reason}"),
            fix: "`{{EC2PrivateDNSName}}` is for EC2 instances (sessions named by instance id); give this principal \
                  its own mapping or entry without it"
                .into(),
        });
    }
    // A mapping with a path never matches: the canonical ARN has none.
    if let Some(m) = aws_auth.and_then(|d| {
        d.mappings.iter().find(|m| {
            m.kind == MappingKind::Role
                && !access::authn::rolearn_can_match(&m.arn)
                && strip_path(&m.arn).is_some_and(|s| s.eq_ignore_ascii_case(canonical))
        })
    }) {
        let sso = if m.arn.contains("aws-reserved/sso.amazonaws.com") { " (an IAM Identity Center role)" } else { "" };
        findings.push(Finding {
            cause: format!("aws-auth maps `{}`{sso}, with a path: callers present the role without its path, so it never matches", m.arn),
            fix: format!("in the aws-auth block write `map-role \"{canonical}\"` (no path), or declare the principal once and refer to it by name"),
        });
    }
    if let Some(d) = aws_auth
        && !d.unreadable_roles.is_empty()
    {
        let sso = d.unreadable_roles.iter().filter(|r| r.get("sso").is_some()).count();
        if sso > 0 {
            findings.push(Finding {
                cause: format!(
                    "aws-auth has {sso} `sso:` item(s) in mapRoles: EKS matches nobody by them (the authenticator's \
                     SSO matcher is an alpha feature EKS does not enable)"
                ),
                fix: "map the permission set's role by its ARN without the path: `map-role \
                      \"arn:aws:iam::<account>:role/AWSReservedSSO_<set>_<suffix>\"`"
                    .into(),
            });
        }
    }
    let mapped = cluster
        .aws_auth
        .known()
        .and_then(Option::as_ref)
        .and_then(|d| access::authn::matching_mapping(&d.mappings, caller))
        .is_some();
    if mapped && cluster.mode == AuthMode::Api {
        findings.push(Finding {
            cause: "aws-auth maps it, but the cluster's mode is API, which ignores aws-auth".into(),
            fix: format!(
                "give it an access entry: `access-entry \"{canonical}\" {{ policy \"AmazonEKSViewPolicy\" }}` (`accessctl \
                 migrate` turns aws-auth mappings into entries)"
            ),
        });
    }
    if let Refusal::NotMapped { entry_for_earlier_principal: Some(principal), .. } = refusal {
        findings.push(Finding {
            cause: format!(
                "its access entry ({principal}) was made for an earlier principal of that ARN: it was deleted and \
                 re-created since, and EKS binds an entry to the principal it was made for, so the entry matches \
                 nobody and EKS answers \"You must be logged in to the server (Unauthorized)\""
            ),
            fix: "delete and create the entry again: declared in the file, `accessctl plan` shows it as `-/+ replace: \
                  principal re-created`, and `accessctl apply` does it"
                .into(),
        });
    }
    let has_entry = cluster.entries.known().is_some_and(|entries| {
        entries.iter().any(|e| caller.is_principal(&e.principal) && !e.made_for_earlier_principal)
    });
    if has_entry && !cluster.mode.uses_access_entries() {
        findings.push(Finding {
            cause: "it has an access entry, but the cluster's mode is CONFIG_MAP, which ignores access entries".into(),
            fix: "set `authentication-mode \"API_AND_CONFIG_MAP\"`, or map it in aws-auth".into(),
        });
    }
    if findings.is_empty() {
        let principal = caller.principal();
        let sso = principal.as_ref().is_some_and(|p| p.is_sso_role() || p.name.starts_with("AWSReservedSSO_"));
        let fix = match (&principal, cluster.mode.uses_access_entries(), cluster.mode.uses_aws_auth()) {
            // The account root or a federated user: no entry or mapping can name one; mapAccounts
            // lets its whole account in.
            (None, _, true) => format!(
                "in the cluster's aws-auth block add `map-account \"{}\"` (every principal of the account), or \
                 call as an IAM user or role",
                caller.account
            ),
            (None, _, false) => {
                "the account root and federated users cannot have access entries: call as an IAM user or role that \
                 has one"
                    .to_string()
            }
            (Some(_), true, _) => {
                let full = if sso {
                    " (with the role's full ARN, including aws-reserved/sso.amazonaws.com/<region>/)"
                } else {
                    ""
                };
                format!("add `access-entry \"{canonical}\" {{ policy \"AmazonEKSViewPolicy\" }}`{full}")
            }
            (Some(p), false, _) => {
                let kind = if p.kind == PrincipalKind::User { "map-user" } else { "map-role" };
                format!(
                    "in the cluster's aws-auth block add `{kind} \"{canonical}\" username=\"…\" {{ groups \"…\" }}`"
                )
            }
        };
        findings.push(Finding {
            cause: format!(
                "no access entry{} names {canonical}: EKS answers \"You must be logged in to the server \
                 (Unauthorized)\", and the console \"Your current IAM principal doesn't have access to Kubernetes \
                 objects on this cluster\"",
                if cluster.mode.uses_aws_auth() { " and no aws-auth mapping" } else { "" }
            ),
            fix,
        });
    }
    if let Refusal::NotMapped { creator_unknown: true, .. } = refusal {
        findings.push(Finding {
            cause: "unless it created the cluster: the creator of a CONFIG_MAP cluster is an administrator that no \
                    configuration shows, and EKS does not say who that is"
                .into(),
            fix: "name every administrator in aws-auth (or move to access entries), so access does not rest on who \
                  created the cluster"
                .into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::authn::render_template;

    #[test]
    fn canonicalises_sessions_and_renders_templates() {
        let c =
            Caller::parse("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_01/alice@example.com").unwrap();
        assert_eq!(c.canonical, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01");
        let mut unresolved = vec![];
        let mut r = |t: &str| render_template(t, &c, &Offline, &mut unresolved);
        assert_eq!(r("sso:{{SessionName}}").unwrap(), "sso:alice-example.com");
        assert_eq!(r("{{SessionNameRaw}}@{{AccountID}}").unwrap(), "alice@example.com@111122223333");
        assert!(r("system:node:{{EC2PrivateDNSName}}").is_err(), "the session is not an instance id");
        assert!(Caller::parse("arn:aws:iam::111122223333:group/x").is_err());
    }
}
