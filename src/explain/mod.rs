//! `explain`: how EKS would authenticate a principal on a cluster and what it may then do — or,
//! when it cannot get in, exactly why and what to change in access.kdl.
//!
//! It follows the authenticator (reference §3.7, §4.2–4.3, §5.3): the caller's ARN is
//! canonicalised (an assumed-role session becomes its role, without path); access entries are
//! consulted first where the mode has them (they win over aws-auth in API_AND_CONFIG_MAP), then
//! aws-auth's mapRoles, mapUsers (case-insensitively) and mapAccounts where the mode reads it;
//! username and group templates are rendered. The same logic runs on the configuration alone
//! (`view::from_config`) or on live state (`view::from_live`).

pub mod render;
pub mod view;

use serde::Serialize;

use crate::aws_auth::{Mapping, MappingKind};
use crate::model::arn::{ArnError, PrincipalArn, PrincipalKind};
use crate::model::{AccessScope, AuthMode};
use view::AccessView;

/// Who is asking: the IAM principal behind it and, for an assumed role, the session name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caller {
    pub arn: String,
    pub principal: PrincipalArn,
    pub session: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{0}` is not an IAM user, IAM role or STS assumed-role ARN")]
pub struct CallerError(pub String);

impl Caller {
    pub fn parse(arn: &str) -> Result<Caller, CallerError> {
        match PrincipalArn::parse(arn) {
            Ok(principal) => Ok(Caller { arn: arn.to_string(), principal, session: None }),
            Err(ArnError::AssumedRole { role_arn }) => {
                let session = arn.rsplit('/').next().map(str::to_string);
                let principal = PrincipalArn::parse(&role_arn).map_err(|_| CallerError(arn.to_string()))?;
                Ok(Caller { arn: arn.to_string(), principal, session })
            }
            Err(_) => Err(CallerError(arn.to_string())),
        }
    }

    /// The ARN STS reports for this caller, canonicalised: never a path (reference §4.2).
    pub fn canonical(&self) -> PrincipalArn {
        self.principal.without_path()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Authenticated and allowed to do something.
    Access,
    /// Authenticated, but no policy or RBAC binding lets it do anything: requests are Forbidden.
    AuthenticatedOnly,
    /// Not authenticated: "You must be logged in to the server (Unauthorized)".
    NoAccess,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    AccessEntry,
    AwsAuthMapRoles,
    AwsAuthMapUsers,
    AwsAuthMapAccounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub cause: String,
    pub fix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub cluster: String,
    pub mode: AuthMode,
    pub caller: Caller,
    pub verdict: Verdict,
    pub source: Option<Source>,
    /// What the authenticator matched: the entry's or mapping's ARN.
    pub matched: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub policies: Vec<(String, AccessScope)>,
    /// RBAC bindings of the groups: `group → binding description`.
    pub bindings: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

/// Renders `{{AccountID}}`, `{{SessionName}}` (with `@` as `-`), `{{SessionNameRaw}}`; other
/// variables stay as written (EC2PrivateDNSName needs the instance, resolved only by EKS).
pub fn render_template(template: &str, caller: &Caller) -> String {
    let session = caller.session.as_deref().unwrap_or("<session>");
    template
        .replace("{{AccountID}}", &caller.principal.account)
        .replace("{{SessionNameRaw}}", session)
        .replace("{{SessionName}}", &session.replace('@', "-"))
}

pub fn explain(view: &AccessView, caller: &Caller) -> Explanation {
    let canonical = caller.canonical();
    let mut out = Explanation {
        cluster: view.cluster.clone(),
        mode: view.mode,
        caller: caller.clone(),
        verdict: Verdict::NoAccess,
        source: None,
        matched: None,
        username: None,
        groups: vec![],
        policies: vec![],
        bindings: vec![],
        findings: vec![],
    };
    let entry = view.entries.iter().find(|e| same_principal(&e.principal, &canonical));
    let mapping = find_mapping(&view.aws_auth.mappings, &canonical);

    if let (true, Some(e)) = (view.mode.uses_access_entries(), entry) {
        out.source = Some(Source::AccessEntry);
        out.matched = Some(e.principal.to_string());
        out.username = Some(render_template(&e.username, caller));
        out.groups = e.groups.iter().map(|g| render_template(g, caller)).collect();
        out.policies = e.policies.clone();
        if e.entry_type != crate::model::EntryType::Standard {
            out.bindings.push((
                e.entry_type.as_str().to_string(),
                "node permissions, granted by EKS to entries of this type".into(),
            ));
        }
    } else if let (true, Some(m)) = (view.mode.uses_aws_auth(), mapping) {
        out.source = Some(if m.kind == MappingKind::Role { Source::AwsAuthMapRoles } else { Source::AwsAuthMapUsers });
        out.matched = Some(m.arn.clone());
        out.username = Some(render_template(m.username.as_deref().unwrap_or(&canonical.to_string()), caller));
        out.groups = m.groups.iter().map(|g| render_template(g, caller)).collect();
    } else if view.mode.uses_aws_auth() && view.aws_auth.accounts.contains(&canonical.account) {
        out.source = Some(Source::AwsAuthMapAccounts);
        out.matched = Some(canonical.account.clone());
        out.username = Some(canonical.to_string());
    }

    if out.source.is_none() {
        no_access_findings(view, caller, &canonical, entry.is_some(), mapping, &mut out.findings);
        return out;
    }
    for g in &out.groups {
        for b in view.bindings.iter().filter(|(group, _)| group == g) {
            out.bindings.push(b.clone());
        }
    }
    let masters = out.groups.iter().any(|g| g == "system:masters");
    if masters {
        out.bindings.push(("system:masters".into(), "cluster-admin (built into Kubernetes)".into()));
    }
    let is_node = out.groups.iter().any(|g| g == "system:nodes");
    out.verdict = if out.policies.is_empty() && out.bindings.is_empty() && !is_node {
        Verdict::AuthenticatedOnly
    } else {
        Verdict::Access
    };
    if out.verdict == Verdict::AuthenticatedOnly {
        let groups = if out.groups.is_empty() { "no group".to_string() } else { out.groups.join(", ") };
        out.findings.push(Finding {
            cause: format!(
                "authenticated as `{}` in {groups}, but no access policy and no RBAC binding gives it any permission: \
                 every request is Forbidden",
                out.username.as_deref().unwrap_or("")
            ),
            fix: match out.groups.first() {
                Some(g) => {
                    format!("bind the group: `group-binding \"{g}\" cluster-role=\"view\"`, or give the entry a policy")
                }
                None => format!(
                    "add a policy to its access entry: `access-entry \"{}\" {{ policy \"AmazonEKSViewPolicy\" }}`",
                    caller.principal
                ),
            },
        });
    }
    let cluster_wide =
        out.policies.iter().any(|(_, s)| *s == AccessScope::Cluster) || masters || !out.bindings.is_empty();
    if !out.policies.is_empty() && !cluster_wide {
        let namespaces: Vec<String> = out
            .policies
            .iter()
            .flat_map(|(_, s)| match s {
                AccessScope::Namespace(ns) => ns.clone(),
                AccessScope::Cluster => vec![],
            })
            .collect();
        out.findings.push(Finding {
            cause: format!(
                "its access policies are scoped to namespaces {}: cluster-wide requests (kubectl get pods -A, get \
                 nodes, get namespaces) are Forbidden",
                namespaces.join(", ")
            ),
            fix:
                "use `-n <namespace>` within those namespaces, or associate a policy without namespaces (cluster scope)"
                    .into(),
        });
    }
    out
}

/// Access entries match by the IAM principal (EKS keys them on its unique ID), so a caller
/// without path matches an entry written with the role's full path.
fn same_principal(entry: &PrincipalArn, canonical: &PrincipalArn) -> bool {
    entry.kind == canonical.kind
        && entry.account == canonical.account
        && entry.partition == canonical.partition
        && entry.name == canonical.name
}

/// The mapping the authenticator would use: roles (last one wins), then users, case-insensitive.
fn find_mapping<'a>(mappings: &'a [Mapping], canonical: &PrincipalArn) -> Option<&'a Mapping> {
    let arn = canonical.to_string();
    let kind = match canonical.kind {
        PrincipalKind::Role => MappingKind::Role,
        PrincipalKind::User => MappingKind::User,
    };
    mappings.iter().rev().find(|m| m.kind == kind && m.arn.eq_ignore_ascii_case(&arn))
}

fn no_access_findings(
    view: &AccessView,
    caller: &Caller,
    canonical: &PrincipalArn,
    has_entry: bool,
    mapping: Option<&Mapping>,
    findings: &mut Vec<Finding>,
) {
    let principal = &caller.principal;
    // A mapping with a path never matches: the canonical ARN has none.
    let pathed = view.aws_auth.mappings.iter().find(|m| {
        m.kind == MappingKind::Role
            && PrincipalArn::parse(&m.arn).is_ok_and(|p| {
                p.has_path() && p.without_path().to_string().eq_ignore_ascii_case(&canonical.to_string())
            })
    });
    if let (Some(m), true) = (pathed, view.mode.uses_aws_auth()) {
        let sso = if m.arn.contains("aws-reserved/sso.amazonaws.com") { " (an IAM Identity Center role)" } else { "" };
        findings.push(Finding {
            cause: format!("aws-auth maps `{}`{sso}, with a path: callers present the role without its path, so it never matches", m.arn),
            fix: format!("in the aws-auth block write `map-role \"{canonical}\"` (no path), or declare the principal once and refer to it by name"),
        });
    }
    if mapping.is_some() && view.mode == AuthMode::Api {
        findings.push(Finding {
            cause: "aws-auth maps it, but the cluster's mode is API, which ignores aws-auth".into(),
            fix: format!(
                "give it an access entry: `access-entry \"{principal}\" {{ policy \"AmazonEKSViewPolicy\" }}` (`accessctl \
                 migrate` turns aws-auth mappings into entries)"
            ),
        });
    }
    if has_entry && !view.mode.uses_access_entries() {
        findings.push(Finding {
            cause: "it has an access entry, but the cluster's mode is CONFIG_MAP, which ignores access entries".into(),
            fix: "set `authentication-mode \"API_AND_CONFIG_MAP\"`, or map it in aws-auth".into(),
        });
    }
    if findings.is_empty() {
        let sso = principal.is_sso_role() || principal.name.starts_with("AWSReservedSSO_");
        let fix = if view.mode.uses_access_entries() {
            let full = if sso && !principal.has_path() {
                " (with the role's full ARN, including aws-reserved/sso.amazonaws.com/<region>/)"
            } else {
                ""
            };
            format!("add `access-entry \"{principal}\" {{ policy \"AmazonEKSViewPolicy\" }}`{full}")
        } else {
            let kind = if principal.kind == PrincipalKind::Role { "map-role" } else { "map-user" };
            format!("in the cluster's aws-auth block add `{kind} \"{canonical}\" username=\"…\" {{ groups \"…\" }}`")
        };
        findings.push(Finding {
            cause: format!(
                "no access entry{} names {canonical}: EKS answers \"You must be logged in to the server \
                 (Unauthorized)\", and the console \"Your current IAM principal doesn't have access to Kubernetes \
                 objects on this cluster\"",
                if view.mode.uses_aws_auth() { " and no aws-auth mapping" } else { "" }
            ),
            fix,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_sessions_and_renders_templates() {
        let c =
            Caller::parse("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_01/alice@example.com").unwrap();
        assert_eq!(c.canonical().to_string(), "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01");
        assert_eq!(render_template("sso:{{SessionName}}", &c), "sso:alice-example.com");
        assert_eq!(render_template("{{SessionNameRaw}}@{{AccountID}}", &c), "alice@example.com@111122223333");
        assert_eq!(render_template("system:node:{{EC2PrivateDNSName}}", &c), "system:node:{{EC2PrivateDNSName}}");
        assert!(Caller::parse("arn:aws:iam::111122223333:group/x").is_err());
    }
}
