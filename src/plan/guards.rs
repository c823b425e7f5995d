//! Guards: the changes a reviewer must say yes to explicitly (`apply --allow KIND`), each
//! explained in the plan — a one-way mode step, a move to API that locks out principals only
//! aws-auth lets in, the applying principal losing its own access, nodes losing theirs.

use std::collections::BTreeSet;

use super::diff::aws_auth_key;
use super::{Action, ClusterPlan, Guard, GuardKind, Target};
use crate::aws_auth::AwsAuthData;
use crate::live::read::LiveCluster;
use crate::model::{AccessScope, AuthMode, Cluster, EntryType, PrincipalArn, policy};

pub fn check(_desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    let mut guards = Vec::new();
    let aws_auth_after = aws_auth_after(live, plan);
    let aws_auth_before = live.aws_auth.as_ref().map(|a| a.data.clone()).unwrap_or_default();

    for c in &plan.changes {
        if let Target::AuthMode { from, to } = &c.target {
            guards.push(Guard {
                kind: GuardKind::OneWayMode,
                message: format!("authentication mode {} → {} cannot be undone", from.as_str(), to.as_str()),
                principals: vec![],
            });
        }
    }

    let to_api = plan.changes.iter().any(|c| matches!(c.target, Target::AuthMode { to: AuthMode::Api, .. }));
    if to_api {
        let with_entries = entry_keys_after(live, plan);
        let mut locked: Vec<String> = aws_auth_after
            .mappings
            .iter()
            .filter(|m| !with_entries.contains(&m.key()))
            .map(|m| m.arn.clone())
            .collect();
        locked.extend(aws_auth_after.accounts.iter().map(|a| format!("every principal of account {a} (mapAccounts)")));
        locked.sort();
        locked.dedup();
        if !locked.is_empty() {
            guards.push(Guard {
                kind: GuardKind::ApiLockout,
                message: format!(
                    "moving to API ignores aws-auth: {} principal(s) it lets in have no access entry and would be locked out",
                    locked.len()
                ),
                principals: locked,
            });
        }
    }

    let caller_key = PrincipalArn::parse(&live.caller).ok().map(|p| aws_auth_key(&p));
    let mut self_loss = Vec::new();
    for c in &plan.changes {
        match &c.target {
            Target::AccessEntry { principal, after, .. }
                if principal == &live.caller && (after.is_none() || c.action == Action::Replace) =>
            {
                self_loss.push(format!("its access entry is {}", if after.is_none() { "deleted" } else { "replaced" }));
            }
            Target::PolicyAssociation { principal, policy: name, before, after } if principal == &live.caller => {
                let was_admin = name == policy::CLUSTER_ADMIN && before == &Some(AccessScope::Cluster);
                if was_admin && after != &Some(AccessScope::Cluster) {
                    self_loss.push(format!("{name} at cluster scope is removed"));
                }
            }
            _ => {}
        }
    }
    if let Some(key) = &caller_key {
        let masters = |d: &AwsAuthData| d.find(key).is_some_and(|m| m.groups.iter().any(|g| g == "system:masters"));
        if masters(&aws_auth_before) && !masters(&aws_auth_after) {
            self_loss.push("its system:masters mapping in aws-auth is removed".into());
        }
    }
    if !self_loss.is_empty() {
        guards.push(Guard {
            kind: GuardKind::SelfAccess,
            message: format!("the applying principal loses access: {}", self_loss.join("; ")),
            principals: vec![live.caller.clone()],
        });
    }

    let mut nodes_lost: Vec<String> = aws_auth_before
        .mappings
        .iter()
        .filter(|m| m.groups.iter().any(|g| g == "system:nodes"))
        .filter(|m| aws_auth_after.find(&m.key()).is_none_or(|after| !after.groups.iter().any(|g| g == "system:nodes")))
        .map(|m| m.arn.clone())
        .collect();
    for c in &plan.changes {
        if let Target::AccessEntry { principal, before: Some(b), after: None } = &c.target
            && b.entry_type != EntryType::Standard
        {
            nodes_lost.push(principal.clone());
        }
    }
    if !nodes_lost.is_empty() {
        guards.push(Guard {
            kind: GuardKind::NodeAccess,
            message: format!("{} node or Fargate role(s) lose their access", nodes_lost.len()),
            principals: nodes_lost,
        });
    }
    plan.guards = guards;
}

/// aws-auth as it will be after the plan.
fn aws_auth_after(live: &LiveCluster, plan: &ClusterPlan) -> AwsAuthData {
    for c in &plan.changes {
        if let Target::AwsAuth { after, .. } = &c.target {
            return AwsAuthData::parse(after).unwrap_or_default();
        }
    }
    live.aws_auth.as_ref().map(|a| a.data.clone()).unwrap_or_default()
}

/// The aws-auth keys of every principal that will have an access entry after the plan.
fn entry_keys_after(live: &LiveCluster, plan: &ClusterPlan) -> BTreeSet<String> {
    let mut principals: BTreeSet<String> = live.entries.keys().cloned().collect();
    for c in &plan.changes {
        if let Target::AccessEntry { principal, after, .. } = &c.target {
            if after.is_some() {
                principals.insert(principal.clone());
            } else {
                principals.remove(principal);
            }
        }
    }
    principals.iter().filter_map(|p| PrincipalArn::parse(p).ok()).map(|p| aws_auth_key(&p)).collect()
}
