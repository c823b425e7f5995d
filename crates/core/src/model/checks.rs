//! What the files require of a cluster's access beyond its declarations: access tests
//! (`expect`) and guardrails. Checked by [`crate::checks`] against the files (`validate`), the
//! state after apply and live state now (`plan`).

use serde::{Deserialize, Serialize};

use super::{Origin, PrincipalArn};
use crate::access::Request;

/// `expect "ci" can="create deployments.apps" namespace="payments"`: a principal may, or may
/// not, make one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub principal: PrincipalArn,
    /// How the file names the principal: a declared name, or the ARN as written.
    pub written: String,
    /// `can=` (true) or `cannot=` (false).
    pub allowed: bool,
    pub verb: String,
    /// As kubectl names it: `pods`, `deployments.apps`, `pods/log`, or a URL such as `/healthz`.
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub origin: Origin,
}

impl Expectation {
    /// The request it asks about. Its words were checked when the files were read.
    pub fn request(&self) -> Request {
        Request::parse_kubectl(&self.verb, &self.resource, self.namespace.as_deref(), self.name.as_deref())
            .unwrap_or_else(|e| unreachable!("an expectation's request was checked when read: {e}"))
    }

    /// As a reviewer reads it: `ci can create deployments.apps in namespace payments`.
    pub fn describe(&self) -> String {
        let mut out =
            format!("{} {} {} {}", self.written, if self.allowed { "can" } else { "cannot" }, self.verb, self.resource);
        if let Some(name) = &self.name {
            out.push_str(&format!(" {name}"));
        }
        if let Some(ns) = &self.namespace {
            out.push_str(&format!(" in namespace {ns}"));
        }
        out
    }
}

/// Rules every cluster must keep, whatever its declarations say (`guardrails { … }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Guardrails {
    /// `no-system-masters`: no access entry or aws-auth mapping puts anyone in `system:masters`.
    pub no_system_masters: Option<Origin>,
    /// `cluster-admins "a" "b"`: only these principals may be cluster admins.
    pub cluster_admins: Option<Named>,
    /// `cross-account-entries "a"`: STANDARD access entries of principals of another account
    /// than the cluster's only for these.
    pub cross_account_entries: Option<Named>,
    /// `no-wildcard-write-namespaces`: a policy that can write is never scoped to namespaces by a
    /// `*` pattern (a pattern grants namespaces nobody has made yet).
    pub no_wildcard_write_namespaces: Option<Origin>,
}

impl Guardrails {
    pub fn is_empty(&self) -> bool {
        *self == Guardrails::default()
    }
}

/// A guardrail's list of the principals it allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub principals: Vec<PrincipalArn>,
    pub origin: Origin,
}

impl Named {
    /// Whether `arn` is one of them (the same IAM principal, however its path and case are
    /// written).
    pub fn names(&self, arn: &PrincipalArn) -> bool {
        self.principals.iter().any(|p| p.same_principal(arn))
    }

    /// As [`Named::names`], for an ARN as the state holds it: also a permission set's placeholder,
    /// which no role's ARN parses as.
    pub fn names_arn(&self, arn: &str) -> bool {
        match PrincipalArn::parse(arn) {
            Ok(p) => self.names(&p),
            Err(_) => self.principals.iter().any(|p| p.to_string() == arn),
        }
    }
}
