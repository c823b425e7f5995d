//! The plan as a reviewer reads it: grouped by cluster, `+ ~ - -/+` per change, aws-auth as a
//! YAML diff, guards and what is left alone spelled out. Rendered from the same `Plan` that
//! `--output json` prints, so terminal and CI never disagree.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use super::{Action, Change, ClusterPlan, EntrySpec, Guard, GuardKind, Loss, Plan, Target};
use crate::live::OWNERSHIP_TAG;
use crate::model::{AccessScope, BindingTarget};

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.clusters {
        cluster(&mut out, c);
    }
    let (create, update, delete) = plan.counts();
    if plan.change_count() == 0 {
        out.push_str("No changes. Live access matches the configuration.\n");
    } else {
        let _ = writeln!(out, "Plan: {create} to create, {update} to change, {delete} to delete.");
    }
    let guards: usize = plan.clusters.iter().map(|c| c.guards.len()).sum();
    if guards > 0 {
        let mut kinds: Vec<&str> =
            plan.clusters.iter().flat_map(|c| c.guards.iter().map(|g| g.kind.as_str())).collect();
        kinds.sort();
        kinds.dedup();
        let allow: Vec<String> = kinds.iter().map(|k| format!("--allow {k}")).collect();
        let _ = writeln!(out, "{guards} guard(s): apply needs {}.", allow.join(" "));
    }
    out
}

fn cluster(out: &mut String, c: &ClusterPlan) {
    let _ = writeln!(
        out,
        "cluster {} ({}) — authentication mode {}, caller {}",
        c.cluster,
        c.region,
        c.live_mode.as_str(),
        c.caller
    );
    if c.changes.is_empty() {
        out.push_str("  no changes\n");
    }
    for change in &c.changes {
        render_change(out, change);
    }
    for g in &c.guards {
        let _ = writeln!(out, "  ! guard {}: {}", g.kind.as_str(), guard_message(g));
        for p in &g.principals {
            let loses = match (g.kind, p.loses) {
                // The guard's sentence already says what these lose.
                (GuardKind::ApiLockout | GuardKind::NodeAccess, _) => "",
                (_, Loss::AllAccess) => " can no longer do anything",
                (_, Loss::ClusterAdmin) => " loses its cluster-wide admin rights",
            };
            let unknown = if p.access_now_unknown { " (its access now cannot be read)" } else { "" };
            let _ = writeln!(out, "      {}{loses}{unknown}", p.principal);
        }
    }
    for k in &c.kept {
        let _ = writeln!(out, "  = kept: {k}");
    }
    for n in &c.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    for e in &c.expectations {
        let _ = writeln!(out, "  {}", expectation_line(e));
    }
    out.push('\n');
}

/// The plan as a pull request's comment: the counts, what blocks apply, the access tests, the
/// guards, and the plan itself as the terminal shows it.
pub fn markdown(plan: &Plan) -> String {
    use crate::config::markdown::{cell, code};
    let mut out = String::from("### accessctl plan\n\n");
    let (create, update, delete) = plan.counts();
    if plan.change_count() == 0 {
        out.push_str("**No changes.** Live access matches the configuration.\n\n");
    } else {
        let _ = writeln!(out, "**Plan: {create} to create, {update} to change, {delete} to delete.**\n");
    }
    let problems: Vec<(&str, &super::Problem)> =
        plan.clusters.iter().flat_map(|c| c.problems.iter().map(move |p| (c.cluster.as_str(), p))).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "❌ **apply is blocked**: {} problem(s)\n", problems.len());
        out.push_str("| cluster | problem | fix |\n|---|---|---|\n");
        for (cluster, p) in &problems {
            let _ = writeln!(out, "| {} | {} | {} |", code(cluster), cell(&p.to_string()), cell(p.help()));
        }
        out.push('\n');
    }
    let expectations: Vec<(&str, &super::ExpectationResult)> =
        plan.clusters.iter().flat_map(|c| c.expectations.iter().map(move |e| (c.cluster.as_str(), e))).collect();
    if !expectations.is_empty() {
        out.push_str("| cluster | expect | now | after apply |\n|---|---|---|---|\n");
        let word = |v: &crate::checks::Verdict| match v {
            crate::checks::Verdict::Holds { .. } => "✅ holds".to_string(),
            crate::checks::Verdict::Fails { because } => format!("❌ fails: {}", cell(because)),
            crate::checks::Verdict::Unknown { because } => format!("❔ unknown: {}", cell(because)),
        };
        for (cluster, e) in expectations {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(cluster),
                cell(&e.expectation),
                word(&e.now),
                word(&e.after_apply)
            );
        }
        out.push('\n');
    }
    for c in &plan.clusters {
        for g in &c.guards {
            let _ = writeln!(
                out,
                "⚠️ guard `{}` on {}: {} (apply needs `--allow {}`)\n",
                g.kind.as_str(),
                code(&c.cluster),
                cell(&guard_message(g)),
                g.kind.as_str()
            );
        }
    }
    // The terminal's plan, verbatim: a fence longer than any run of backticks in it.
    let text = human(plan);
    let fence = "`".repeat(3.max(longest_backtick_run(&text) + 1));
    let _ = writeln!(out, "<details><summary>The plan</summary>\n\n{fence}diff\n{text}{fence}\n</details>");
    out
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// An access test's answers, now and after apply, in one line.
pub fn expectation_line(e: &super::ExpectationResult) -> String {
    match (e.now.holds(), e.after_apply.holds()) {
        (true, true) => format!("expect {} — holds", e.expectation),
        (false, true) => format!("expect {} — holds after apply, not now ({})", e.expectation, e.now.because()),
        (_, false) => format!("expect {} — fails after apply: {}", e.expectation, e.after_apply.because()),
    }
}

fn render_change(out: &mut String, change: &Change) {
    let sym = change.action.symbol();
    match &change.target {
        Target::AuthMode { from, to } => {
            let _ = writeln!(out, "  {sym} authentication mode {} → {}", from.as_str(), to.as_str());
        }
        Target::AccessEntry { principal, before, after, replace } => {
            let because = match replace {
                Some(super::ReplaceReason::PrincipalRecreated) => " (replace: principal re-created)",
                Some(super::ReplaceReason::TypeChanged) => " (replace: EKS cannot change an entry's type)",
                None => "",
            };
            let _ = writeln!(out, "  {sym} access entry {principal}{because}");
            entry_fields(out, before.as_ref(), after.as_ref(), change.action);
        }
        Target::EntryTags { principal, add, .. } => {
            let tags: Vec<String> = add
                .iter()
                .map(|(k, v)| match k.as_str() {
                    OWNERSHIP_TAG => format!("owned by {}", v.split_whitespace().collect::<Vec<_>>().join(", ")),
                    _ => format!("{k}={v}"),
                })
                .collect();
            let _ = writeln!(out, "  {sym} tags of {principal}: {}", tags.join(", "));
        }
        Target::PolicyAssociation { principal, policy, before, after } => {
            let scope = match (before, after, change.action) {
                (Some(b), Some(a), _) => format!("{} → {}", scope(b), scope(a)),
                (_, Some(a), _) => scope(a),
                (Some(b), None, _) => scope(b),
                (None, None, _) => String::new(),
            };
            let _ = writeln!(out, "  {sym} policy {policy} ({scope}) on {principal}");
        }
        Target::AwsAuth { before, after, resource_version, owner, release, .. } => {
            let what = if resource_version.is_none() { "create kube-system/aws-auth" } else { "kube-system/aws-auth" };
            let _ = writeln!(out, "  {sym} {what}");
            let (before, after) = (before.as_ref().map(|b| b.render()).unwrap_or_default(), after.render());
            yaml_diff(out, &before, &after);
            if before == after && release.is_empty() {
                let _ = writeln!(out, "      (ownership only: claimed for owner `{owner}`)");
            }
            for key in release {
                let _ = writeln!(out, "      owner `{owner}` lets go of {key}; another owner keeps it");
            }
        }
        Target::Role { name, namespace, before, after, .. } => {
            let what = match namespace {
                None => format!("ClusterRole {name}"),
                Some(ns) => format!("Role {name} in {ns}"),
            };
            let _ = writeln!(out, "  {sym} {what}");
            let lines = |rules: &Option<Vec<crate::access::Rule>>| -> Vec<String> {
                rules.iter().flatten().map(rule_line).collect()
            };
            let (old, new) = (lines(before), lines(after));
            for l in old.iter().filter(|l| !new.contains(l)) {
                let _ = writeln!(out, "      - {l}");
            }
            for l in &new {
                let mark = if old.contains(l) { " " } else { "+" };
                let _ = writeln!(out, "      {mark} {l}");
            }
        }
        Target::GroupBinding { name, namespace, group, before, after, .. } => {
            let target = after.as_ref().or(before.as_ref()).map(binding).unwrap_or_default();
            let ns = namespace.as_ref().map(|n| format!(" in {n}")).unwrap_or_default();
            let _ = writeln!(out, "  {sym} RBAC binding {name}{ns}: group {group} → {target}");
        }
    }
}

fn entry_fields(out: &mut String, before: Option<&EntrySpec>, after: Option<&EntrySpec>, action: Action) {
    let field = |s: &EntrySpec| {
        vec![
            ("type", s.entry_type.as_str().to_string()),
            ("username", s.username.clone().unwrap_or_else(|| "(generated by EKS)".into())),
            ("groups", if s.groups.is_empty() { "[]".into() } else { s.groups.join(", ") }),
        ]
    };
    match (before, after) {
        (None, Some(a)) => {
            for (k, v) in field(a) {
                let _ = writeln!(out, "      {k:<9} {v}");
            }
        }
        (Some(b), None) => {
            let _ = writeln!(out, "      type      {}", b.entry_type.as_str());
        }
        (Some(b), Some(a)) => {
            for ((k, bv), (_, av)) in field(b).into_iter().zip(field(a)) {
                if k == "username" && a.username.is_none() && action != Action::Replace {
                    continue;
                }
                if bv != av {
                    let forced = if k == "type" { "   (type is immutable: replaced)" } else { "" };
                    let _ = writeln!(out, "      {k:<9} {bv} → {av}{forced}");
                }
            }
        }
        (None, None) => {}
    }
}

fn scope(s: &AccessScope) -> String {
    match s {
        AccessScope::Cluster => "cluster".into(),
        AccessScope::Namespace(ns) => format!("namespaces {}", ns.join(", ")),
    }
}

fn binding(t: &BindingTarget) -> String {
    match t {
        BindingTarget::ClusterRole { name } => format!("ClusterRole {name}"),
        BindingTarget::ClusterRoleInNamespace { name, .. } => format!("ClusterRole {name}"),
        BindingTarget::Role { name, .. } => format!("Role {name}"),
    }
}

fn yaml_diff(
    out: &mut String,
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) {
    let as_text = |data: &std::collections::BTreeMap<String, String>| {
        let mut t = String::new();
        for (k, v) in data {
            let _ = writeln!(t, "{k}: |");
            for line in v.lines() {
                let _ = writeln!(t, "  {line}");
            }
        }
        t
    };
    let (b, a) = (as_text(before), as_text(after));
    let diff = TextDiff::from_lines(&b, &a);
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => "-",
                    ChangeTag::Insert => "+",
                    ChangeTag::Equal => " ",
                };
                let _ = write!(out, "      {sign} {}", change.value());
                if !change.value().ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
}

/// One RBAC rule on one line: `verbs on resources (api groups)`.
fn rule_line(r: &crate::access::Rule) -> String {
    let list = |v: &[String]| v.join(", ");
    if !r.non_resource_urls.is_empty() {
        return format!("{} on {}", list(&r.verbs), list(&r.non_resource_urls));
    }
    let groups: Vec<String> =
        r.api_groups.iter().map(|g| if g.is_empty() { "core".into() } else { g.clone() }).collect();
    let names = if r.resource_names.is_empty() { String::new() } else { format!(" named {}", list(&r.resource_names)) };
    format!("{} on {}{names} ({})", list(&r.verbs), list(&r.resources), list(&groups))
}

/// A guard in words.
pub fn guard_message(g: &Guard) -> String {
    let n = g.principals.len();
    match g.kind {
        GuardKind::OneWayMode => match g.step {
            Some(step) => format!("authentication mode {} → {} cannot be undone", step.from.as_str(), step.to.as_str()),
            None => "an authentication-mode step cannot be undone".to_string(),
        },
        GuardKind::ApiLockout => format!(
            "moving to API ignores aws-auth: {n} principal(s) that get in now would not, or could do nothing (no \
             access entry, or one that grants nothing): they would be locked out"
        ),
        GuardKind::SelfAccess => "the applying principal loses access".to_string(),
        GuardKind::AccessLoss => format!(
            "{n} principal(s) the configuration keeps lose access they have now (an entry that takes over a \
             mapping, a policy or group that grants less)"
        ),
        GuardKind::NodeAccess => format!("{n} node or Fargate role(s) lose their access"),
    }
}
