//! An explanation as a person reads it.

use std::fmt::Write;

use super::{Explanation, Source, Verdict};
use crate::model::AccessScope;

pub fn human(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} on cluster {} (authentication mode {})", e.caller.arn, e.cluster, e.mode.as_str());
    if e.caller.arn != e.caller.canonical {
        let _ = writeln!(out, "  EKS sees it as {}", e.caller.canonical);
    }
    let how = match e.source {
        Some(Source::AccessEntry) => "by its access entry",
        Some(Source::AwsAuthMapRoles) => "by aws-auth mapRoles",
        Some(Source::AwsAuthMapUsers) => "by aws-auth mapUsers",
        Some(Source::AwsAuthMapAccounts) => "by aws-auth mapAccounts (no groups)",
        Some(Source::ClusterCreator) => "as the cluster's creator (system:masters no configuration shows)",
        None => "",
    };
    match e.verdict {
        Verdict::Access => {
            let _ = writeln!(out, "  ✓ gets in {how}");
        }
        Verdict::AuthenticatedOnly => {
            let _ = writeln!(out, "  ~ authenticated {how}, but allowed nothing");
        }
        Verdict::NoAccess => {
            let _ = writeln!(out, "  ✗ no access");
        }
        Verdict::Unknown => {
            let _ = writeln!(out, "  ? cannot tell");
        }
    }
    if let Some(m) = &e.matched {
        let _ = writeln!(out, "    matched   {m}");
    }
    if let Some(u) = &e.username {
        let _ = writeln!(out, "    username  {u}");
        let mut groups = e.groups.clone();
        groups.push("system:authenticated".into());
        let _ = writeln!(out, "    groups    {}", groups.join(", "));
    }
    for (p, scope) in &e.policies {
        let scope = match scope {
            AccessScope::Cluster => "cluster".to_string(),
            AccessScope::Namespace(ns) => format!("namespaces {}", ns.join(", ")),
        };
        let _ = writeln!(out, "    policy    {p} ({scope})");
    }
    for (group, binding) in &e.bindings {
        let _ = writeln!(out, "    rbac      {group} → {binding}");
    }
    if !e.unresolved.is_empty() {
        let _ = writeln!(out, "    resolved by EKS only: {}", e.unresolved.join(", "));
    }
    if let Some(r) = &e.request {
        let _ = writeln!(out, "  {}: {}", r.request, r.outcome);
        if let Some(by) = &r.allowed_by {
            let _ = writeln!(out, "    allowed by {by}");
        }
        if let Some(m) = &r.message {
            let _ = writeln!(out, "    {m}");
        }
    }
    for f in &e.findings {
        let _ = writeln!(out, "  why: {}", f.cause);
        let _ = writeln!(out, "  fix: {}", f.fix);
    }
    out
}
