//! Guardrails: rules a cluster's access must keep whatever its declarations say. Each is asked
//! of a state the model holds, so the same rule judges the files, live state and the state after
//! apply; what a state cannot tell (a part that could not be read, a policy accessctl does not
//! model) is a violation that says so, never a pass.

use serde::{Deserialize, Serialize};

use super::caller_of;
use crate::access::{
    Authentication, ClusterAccess, Decision, Known, Offline, Request, authenticate, authorize, is_cluster_admin,
    policies,
};
use crate::explain;
use crate::model::{AccessScope, EntryType, Guardrails, Origin};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guardrail {
    NoSystemMasters,
    ClusterAdmins,
    CrossAccountEntries,
    NoWildcardWriteNamespaces,
}

impl Guardrail {
    /// As the files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Guardrail::NoSystemMasters => "no-system-masters",
            Guardrail::ClusterAdmins => "cluster-admins",
            Guardrail::CrossAccountEntries => "cross-account-entries",
            Guardrail::NoWildcardWriteNamespaces => "no-wildcard-write-namespaces",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Guardrail::NoSystemMasters => {
                "system:masters passes every RBAC check and cannot be limited: grant AmazonEKSClusterAdminPolicy \
                 to a named principal instead"
            }
            Guardrail::ClusterAdmins => {
                "take the cluster-wide admin rights away, or name the principal in `cluster-admins`"
            }
            Guardrail::CrossAccountEntries => {
                "remove the entry, or name the principal in `cross-account-entries` if another account's access is \
                 meant"
            }
            Guardrail::NoWildcardWriteNamespaces => {
                "list the namespaces by name: a pattern also grants every namespace made later that matches it"
            }
        }
    }
}

/// One principal or declaration that breaks a rule, or a rule the state cannot check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: Guardrail,
    /// The principal (or aws-auth mapping's ARN) it is about, when it is about one.
    pub principal: Option<String>,
    pub message: String,
    /// The state cannot tell: the rule may be kept, or not.
    pub unknown: bool,
    /// Where the rule is written.
    pub rule_origin: Origin,
}

/// Every violation of `rules` in `state`. `account` is the cluster's (`None`: not known here).
pub fn check(state: &ClusterAccess, account: Option<&str>, rules: &Guardrails) -> Vec<Violation> {
    let mut out = vec![];
    if let Some(origin) = &rules.no_system_masters {
        no_system_masters(state, origin, &mut out);
    }
    if let Some(named) = &rules.cluster_admins {
        // Whom an unreadable part names is not asked about: the check says it is incomplete.
        let rule = Guardrail::ClusterAdmins;
        for (what, why) in state.unread_namers() {
            out.push(unreadable(rule, what, why, &named.origin));
        }
        for (principal, why) in cluster_admins(state) {
            if named.names_arn(&principal) {
                continue;
            }
            let (message, unknown) = match why {
                Ok(how) => (format!("{principal} {how}"), false),
                Err(why) => (format!("{principal} may be a cluster admin: {why}"), true),
            };
            out.push(violation(Guardrail::ClusterAdmins, Some(principal), message, unknown, &named.origin));
        }
    }
    if let Some(named) = &rules.cross_account_entries {
        cross_account_entries(state, account, named, &mut out);
    }
    if let Some(origin) = &rules.no_wildcard_write_namespaces {
        wildcard_write_namespaces(state, origin, &mut out);
    }
    out
}

fn violation(rule: Guardrail, principal: Option<String>, message: String, unknown: bool, origin: &Origin) -> Violation {
    Violation { rule, principal, message, unknown, rule_origin: origin.clone() }
}

fn unreadable(rule: Guardrail, what: &str, why: &str, origin: &Origin) -> Violation {
    violation(
        rule,
        None,
        format!("{what} cannot be read, so `{}` cannot be checked: {why}", rule.as_str()),
        true,
        origin,
    )
}

const MASTERS: &str = "system:masters";

fn no_system_masters(state: &ClusterAccess, origin: &Origin, out: &mut Vec<Violation>) {
    let rule = Guardrail::NoSystemMasters;
    match &state.entries {
        Known::Known(entries) => {
            for e in entries.iter().filter(|e| e.groups.iter().any(|g| g == MASTERS)) {
                let message = format!("the access entry of {} puts it in {MASTERS}", e.principal);
                out.push(violation(rule, Some(e.principal.to_string()), message, false, origin));
            }
        }
        Known::Unknown(why) if state.mode.uses_access_entries() => {
            out.push(unreadable(rule, "the access entries", why, origin))
        }
        Known::Unknown(_) => {}
    }
    // A mapping in a mode that ignores aws-auth grants nothing, and EKS never goes back.
    if !state.mode.uses_aws_auth() {
        return;
    }
    match &state.aws_auth {
        Known::Known(Some(aws_auth)) => {
            for m in aws_auth.mappings.iter().filter(|m| m.groups.iter().any(|g| g == MASTERS)) {
                let message = format!("aws-auth maps {} into {MASTERS}", m.arn);
                out.push(violation(rule, Some(m.arn.clone()), message, false, origin));
            }
        }
        Known::Known(None) => {}
        Known::Unknown(why) => out.push(unreadable(rule, "aws-auth", why, origin)),
    }
}

/// Every principal the cluster's access names that is a cluster admin, or may make itself one:
/// `Ok` with how, `Err` with why the model cannot tell. A cluster admin is the model's
/// [`is_cluster_admin`] (it may make every request); the ways to become one are asked of the
/// model as requests ([`ESCALATIONS`]).
pub fn cluster_admins(state: &ClusterAccess) -> Vec<(String, Result<String, String>)> {
    let everything = Request::resource("*", "*", "*", None);
    let mut out = vec![];
    for named in state.named_principals() {
        let Some(caller) = caller_of(&named.arn) else { continue };
        let identity = match authenticate(state, &caller, &Offline) {
            Authentication::Authenticated(identity) => identity,
            Authentication::Refused(_) => continue,
            Authentication::Unknown { reason } => {
                out.push((named.arn, Err(reason)));
                continue;
            }
        };
        let found = match is_cluster_admin(state, &identity) {
            Known::Known(true) => match authorize(state, &identity, &everything) {
                Decision::Allowed { grant } => {
                    Some(Ok(format!("is a cluster admin (allowed everything by {})", explain::describe_grant(&grant))))
                }
                _ => Some(Ok("is a cluster admin".to_string())),
            },
            Known::Known(false) => escalation(state, &identity),
            Known::Unknown(why) => Some(Err(why)),
        };
        if let Some(found) = found {
            out.push((named.arn, found));
        }
    }
    out
}

/// A request asked of the model, cluster-wide: verb, API group, resource, and the object's name
/// (a rule restricted to that object by `resourceNames` allows it too).
type Probe = (&'static str, &'static str, &'static str, Option<&'static str>);

const RBAC: &str = "rbac.authorization.k8s.io";

/// What lets an identity that is not a cluster admin make itself one: requirements that together
/// do it (each met by any one of its requests), and what that means. RBAC's own escalation check
/// asks `bind` on the role for a binding to it, and `escalate` to write permissions one does not
/// hold (k8s.io/kubernetes/pkg/registry/rbac: `BindingAuthorized`, `EscalationAllowed`).
const ESCALATIONS: &[(&[&[Probe]], &str)] = &[
    (&[&[("*", "*", "*", None)]], "may do everything to every resource (all but the non-resource URLs)"),
    (&[&[("impersonate", "", "groups", Some("system:masters"))]], "may impersonate the group system:masters"),
    (&[&[("impersonate", "", "users", None)]], "may impersonate any user"),
    (
        &[
            &[
                ("create", RBAC, "clusterrolebindings", None),
                ("update", RBAC, "clusterrolebindings", None),
                ("patch", RBAC, "clusterrolebindings", None),
            ],
            &[("bind", RBAC, "clusterroles", Some("cluster-admin"))],
        ],
        "may bind itself to the ClusterRole cluster-admin",
    ),
    (
        &[
            &[("escalate", RBAC, "clusterroles", None)],
            &[("update", RBAC, "clusterroles", None), ("patch", RBAC, "clusterroles", None)],
        ],
        "may write any permission into the ClusterRoles it holds",
    ),
];

fn escalation(state: &ClusterAccess, identity: &crate::access::Identity) -> Option<Result<String, String>> {
    let allowed = |(verb, group, resource, name): &Probe| {
        let request = Request::resource(verb, group, resource, None);
        let request = match name {
            Some(name) => request.named(name),
            None => request,
        };
        match authorize(state, identity, &request) {
            Decision::Allowed { .. } => Ok(true),
            Decision::Unknown { reason } => Err(reason),
            Decision::Denied { .. } => Ok(false),
        }
    };
    'escalations: for (requirements, means) in ESCALATIONS {
        for any_of in *requirements {
            let mut met = false;
            for probe in *any_of {
                match allowed(probe) {
                    Ok(yes) => met |= yes,
                    Err(why) => return Some(Err(why)),
                }
            }
            if !met {
                continue 'escalations;
            }
        }
        return Some(Ok(format!("is not a cluster admin, but {means}")));
    }
    None
}

fn cross_account_entries(
    state: &ClusterAccess,
    account: Option<&str>,
    named: &crate::model::Named,
    out: &mut Vec<Violation>,
) {
    let rule = Guardrail::CrossAccountEntries;
    let Some(account) = account else {
        let message = "the cluster's account is not known here, so `cross-account-entries` cannot be checked: add \
                       `account \"…\"` to the cluster";
        out.push(violation(rule, None, message.into(), true, &named.origin));
        return;
    };
    match &state.entries {
        Known::Known(entries) => {
            for e in entries {
                if e.entry_type == EntryType::Standard && e.principal.account != account && !named.names(&e.principal) {
                    let message = format!(
                        "{} of account {} has a STANDARD access entry on a cluster of account {account}",
                        e.principal, e.principal.account
                    );
                    out.push(violation(rule, Some(e.principal.to_string()), message, false, &named.origin));
                }
            }
        }
        Known::Unknown(why) => out.push(unreadable(rule, "the access entries", why, &named.origin)),
    }
}

/// Whether an access policy may write: one of its rules allows a verb that changes something.
/// A policy whose rules accessctl does not know may.
pub fn policy_writes(policy: &str) -> bool {
    const WRITES: [&str; 7] = ["*", "create", "update", "patch", "delete", "deletecollection", "escalate"];
    policies::rules(policy)
        .is_none_or(|rules| rules.iter().any(|r| r.verbs.iter().any(|v| WRITES.contains(&v.as_str()))))
}

fn wildcard_write_namespaces(state: &ClusterAccess, origin: &Origin, out: &mut Vec<Violation>) {
    let rule = Guardrail::NoWildcardWriteNamespaces;
    let entries = match &state.entries {
        Known::Known(entries) => entries,
        Known::Unknown(why) => return out.push(unreadable(rule, "the access entries", why, origin)),
    };
    for e in entries {
        for a in &e.policies {
            let AccessScope::Namespace(namespaces) = &a.scope else { continue };
            let patterns: Vec<&str> = namespaces.iter().filter(|n| n.contains('*')).map(String::as_str).collect();
            if !patterns.is_empty() && policy_writes(&a.policy) {
                let message = format!(
                    "{} of {} is scoped to the namespace pattern{} {}",
                    a.policy,
                    e.principal,
                    if patterns.len() == 1 { "" } else { "s" },
                    patterns.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                );
                out.push(violation(rule, Some(e.principal.to_string()), message, false, origin));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::desired::from_config;
    use crate::config::{SourceFile, load};

    fn violations(text: &str) -> Vec<(Guardrail, Option<String>, bool)> {
        let loaded = load(&[SourceFile::new("t.kdl", text)]);
        let messages: Vec<String> = loaded.diagnostics.iter().map(|d| d.message.clone()).collect();
        let config = loaded.config.unwrap_or_else(|| panic!("{messages:?}"));
        let c = &config.clusters[0];
        check(&from_config(c), c.account.as_deref(), &c.guardrails)
            .into_iter()
            .map(|v| (v.rule, v.principal, v.unknown))
            .collect()
    }

    const RULES: &str = r#"
        principal "admin" "arn:aws:iam::111122223333:role/admin"
        principal "partner" "arn:aws:iam::444455556666:role/partner"
        guardrails {
            no-system-masters
            cluster-admins "admin"
            cross-account-entries "partner"
            no-wildcard-write-namespaces
        }
    "#;

    fn with(cluster_body: &str) -> String {
        format!(
            "{RULES}\ncluster \"c\" {{\n region \"eu-west-1\"\n account \"111122223333\"\n authentication-mode \
             \"API_AND_CONFIG_MAP\"\n{cluster_body}\n}}"
        )
    }

    fn arn(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn a_cluster_that_keeps_every_rule_has_no_violations() {
        let body = r#"
            access-entry "admin" { policy "AmazonEKSClusterAdminPolicy" scope="cluster"; }
            access-entry "partner" { policy "AmazonEKSViewPolicy" scope="cluster"; }
            access-entry "arn:aws:iam::111122223333:role/dev" {
                policy "AmazonEKSEditPolicy" { namespaces "dev"; }
                policy "AmazonEKSViewPolicy" { namespaces "team-*"; }
            }
            aws-auth { map-role "arn:aws:iam::111122223333:role/nodes" { groups "system:nodes" "system:bootstrappers"; }; }
        "#;
        assert_eq!(violations(&with(body)), []);
    }

    #[test]
    fn each_rule_finds_what_breaks_it() {
        let body = r#"
            access-entry "arn:aws:iam::111122223333:role/ops" { policy "AmazonEKSClusterAdminPolicy" scope="cluster"; }
            access-entry "arn:aws:iam::777788889999:role/vendor" { policy "AmazonEKSViewPolicy" scope="cluster"; }
            access-entry "arn:aws:iam::111122223333:role/dev" { policy "AmazonEKSEditPolicy" { namespaces "team-*"; }; }
            aws-auth { map-role "arn:aws:iam::111122223333:role/old-admin" { groups "system:masters"; }; }
            group-binding "platform" cluster-role="cluster-admin"
            access-entry "arn:aws:iam::111122223333:role/platform" { groups "platform"; }
            cluster-role "almost" { rule { api-groups "*"; resources "*"; verbs "*"; }; }
            group-binding "almost" cluster-role="almost"
            access-entry "arn:aws:iam::111122223333:role/almost" { groups "almost"; }
            cluster-role "impersonator" { rule { api-groups ""; resources "groups" "users"; verbs "impersonate"; }; }
            cluster-role "binder" {
                rule { api-groups "rbac.authorization.k8s.io"; resources "clusterrolebindings"; verbs "patch"; }
                rule { api-groups "rbac.authorization.k8s.io"; resources "clusterroles"; verbs "bind"; resource-names "cluster-admin"; }
            }
            group-binding "binders" cluster-role="binder"
            access-entry "arn:aws:iam::111122223333:role/binder" { groups "binders"; }
            group-binding "impersonators" cluster-role="impersonator"
            access-entry "arn:aws:iam::111122223333:role/sudo" { groups "impersonators"; }
        "#;
        let found = violations(&with(body));
        assert_eq!(
            found,
            [
                (Guardrail::NoSystemMasters, arn("arn:aws:iam::111122223333:role/old-admin"), false),
                // Those that may make themselves one: all resources (not the URLs); binding
                // cluster-admin by name to a binding it may patch.
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/almost"), false),
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/binder"), false),
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/ops"), false),
                // Through RBAC: a binding of its group to cluster-admin.
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/platform"), false),
                // One that may impersonate system:masters.
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/sudo"), false),
                (Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/old-admin"), false),
                (Guardrail::CrossAccountEntries, arn("arn:aws:iam::777788889999:role/vendor"), false),
                (Guardrail::NoWildcardWriteNamespaces, arn("arn:aws:iam::111122223333:role/dev"), false),
            ]
        );
    }

    #[test]
    fn an_unreadable_part_makes_cluster_admins_incomplete_and_says_so() {
        let loaded = load(&[SourceFile::new("t.kdl", with(""))]);
        let c = &loaded.config.unwrap().clusters[0];
        let mut state = from_config(c);
        state.entries = Known::Unknown("403 Forbidden".into());
        let found = check(&state, c.account.as_deref(), &c.guardrails);
        let about: Vec<_> = found.iter().filter(|v| v.rule == Guardrail::ClusterAdmins).collect();
        assert_eq!(about.len(), 1, "{found:?}");
        assert!(about[0].unknown && about[0].message.contains("the access entries cannot be read"), "{about:?}");
    }

    #[test]
    fn what_the_state_cannot_tell_is_a_violation_that_says_so() {
        // A policy whose rules are not published may grant everything.
        let body = r#"access-entry "arn:aws:iam::111122223333:role/auto" { policy "AmazonEKSAutoNodePolicy" scope="cluster"; }"#;
        assert_eq!(
            violations(&with(body)),
            [(Guardrail::ClusterAdmins, arn("arn:aws:iam::111122223333:role/auto"), true)]
        );
        // No account: cross-account entries cannot be told.
        let text = format!("{RULES}\ncluster \"c\" {{ region \"eu-west-1\"; }}");
        assert_eq!(violations(&text), [(Guardrail::CrossAccountEntries, None, true)]);
    }
}
