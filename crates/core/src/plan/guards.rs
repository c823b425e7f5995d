//! Guards: the changes a reviewer must say yes to explicitly (`apply --allow KIND`), each
//! explained in the plan — a one-way mode step, a move to API that locks principals out, the
//! applying principal losing its own access, nodes losing theirs, anyone else the configuration
//! keeps losing what they may do now.
//!
//! Who loses what is the access model's answer, not a guess from what entries exist: every
//! principal that live state or the plan names (entries, mappings, mapAccounts, the caller) is
//! authenticated and authorized in the state now ([`from_live`]) and in the state after the plan
//! ([`state_after_plan`]), and the two are compared. An access entry with no policy does not
//! "replace" a `system:masters` mapping; a node role whose entry turns STANDARD loses
//! `system:nodes`; a role with a path is the same principal as its session.

use super::after::state_after_plan;
use super::{ClusterPlan, Concerned, Guard, GuardKind, Loss, ModeStep, Target};
use crate::access::{self, Authentication, Caller, ClusterAccess, Offline, Request, Via};
use crate::live::LiveCluster;
use crate::live::from_live;
use crate::model::{AuthMode, Cluster, EntryType, PrincipalArn, PrincipalKind};

/// A principal's standing on a cluster, as far as the guards care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Standing {
    /// Gets in at all (a principal may hold RBAC bound to its username that no list shows).
    authenticated: bool,
    /// May do something.
    access: bool,
    /// May administer RBAC cluster-wide (create ClusterRoleBindings).
    admin: bool,
    /// Comes in as a node.
    node: bool,
    /// Part of the state it depends on is unknown: treated as having had everything.
    unknown: bool,
}

const EVERYTHING: Standing = Standing { authenticated: true, access: true, admin: true, node: false, unknown: true };

fn standing(state: &ClusterAccess, caller: &Caller) -> Standing {
    let identity = match access::authenticate(state, caller, &Offline) {
        Authentication::Authenticated(i) => i,
        Authentication::Refused(_) => {
            return Standing { authenticated: false, access: false, admin: false, node: false, unknown: false };
        }
        Authentication::Unknown { .. } => return EVERYTHING,
    };
    // Kubernetes' Node authorizer knows a node by both: the group and a `system:node:` username.
    let node = (identity.groups.iter().any(|g| g == "system:nodes") && identity.username.starts_with("system:node:"))
        || matches!(identity.via, Via::AccessEntry { entry_type, .. } if entry_type != EntryType::Standard);
    let Some(access) = access::has_any_permission(state, &identity) else { return Standing { node, ..EVERYTHING } };
    let admin_probe = Request::resource("create", "rbac.authorization.k8s.io", "clusterrolebindings", None);
    let admin = match access::authorize(state, &identity, &admin_probe) {
        access::Decision::Allowed { .. } => true,
        access::Decision::Denied { .. } => false,
        access::Decision::Unknown { .. } => true,
    };
    Standing { authenticated: true, access, admin, node, unknown: false }
}

/// A session of a role (named like an EC2 instance, so node templates render), or the user.
fn caller_for(p: &PrincipalArn) -> Option<Caller> {
    let arn = match p.kind {
        PrincipalKind::User => p.to_string(),
        PrincipalKind::Role => {
            format!("arn:{}:sts::{}:assumed-role/{}/i-0123456789abcdef0", p.partition, p.account, p.name)
        }
    };
    Caller::parse(&arn).ok()
}

/// Everyone the state before or after names: `(how the plan speaks of them, a caller)`. The
/// applying principal is itself, as STS reported it (a session with its own name).
fn principals(states: [&ClusterAccess; 2], caller: &str, caller_arn: &str) -> Vec<(String, Caller)> {
    let mut out: Vec<(String, Caller)> = vec![];
    let mut add = |label: String, c: Option<Caller>| {
        if let Some(c) = c
            && !out.iter().any(|(l, _)| *l == label)
        {
            out.push((label, c));
        }
    };
    for state in states {
        for e in state.entries.known().into_iter().flatten() {
            add(e.principal.to_string(), caller_for(&e.principal));
        }
        if let Some(Some(data)) = state.aws_auth.known() {
            for m in &data.mappings {
                add(m.arn.clone(), PrincipalArn::parse(&m.arn).ok().as_ref().and_then(caller_for));
            }
            for a in &data.accounts {
                let representative = Caller::parse(&format!("arn:aws:iam::{a}:user/any-principal")).ok();
                add(format!("every principal of account {a} (mapAccounts)"), representative);
            }
        }
    }
    // The caller as itself (STS's own ARN, a session with its name), not a stand-in.
    let me = Caller::parse(caller_arn)
        .ok()
        .or_else(|| PrincipalArn::parse(caller).ok().as_ref().and_then(caller_for))
        .or_else(|| Caller::parse(caller).ok());
    if let Some(me) = me {
        out.retain(|(l, _)| l != caller);
        out.push((caller.to_string(), me));
    }
    out
}

pub fn check(_desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    let mut guards = Vec::new();
    for c in &plan.changes {
        if let Target::AuthMode { from, to } = &c.target {
            guards.push(Guard {
                kind: GuardKind::OneWayMode,
                step: Some(ModeStep { from: *from, to: *to }),
                principals: vec![],
            });
        }
    }

    let before = from_live(live);
    let after = state_after_plan(&before, plan);
    let to_api = plan.changes.iter().any(|c| matches!(c.target, Target::AuthMode { to: AuthMode::Api, .. }));
    let (mut locked, mut nodes_lost, mut self_loss, mut downgraded) = (vec![], vec![], vec![], vec![]);
    for (label, caller) in principals([&before, &after], &live.caller, &live.caller_arn) {
        let (b, a) = (standing(&before, &caller), standing(&after, &caller));
        let concerned = |loses| Concerned { principal: label.clone(), loses, access_now_unknown: b.unknown };
        if b.node && !a.node {
            nodes_lost.push(concerned(Loss::AllAccess));
        } else if to_api && ((b.access && !a.access) || (b.authenticated && !a.authenticated)) {
            locked.push(concerned(Loss::AllAccess));
        } else if label != live.caller && a.authenticated && b.access && (!a.access || (b.admin && !a.admin)) {
            // Still let in after the plan (so not removed on purpose), but with less.
            downgraded.push(concerned(if a.access { Loss::ClusterAdmin } else { Loss::AllAccess }));
        }
        if label == live.caller {
            if b.access && !a.access {
                self_loss.push(concerned(Loss::AllAccess));
            } else if b.admin && !a.admin {
                self_loss.push(concerned(Loss::ClusterAdmin));
            }
        }
    }
    if !locked.is_empty() {
        guards.push(Guard { kind: GuardKind::ApiLockout, step: None, principals: locked });
    }
    if !self_loss.is_empty() {
        guards.push(Guard { kind: GuardKind::SelfAccess, step: None, principals: self_loss });
    }
    if !downgraded.is_empty() {
        guards.push(Guard { kind: GuardKind::AccessLoss, step: None, principals: downgraded });
    }
    if !nodes_lost.is_empty() {
        guards.push(Guard { kind: GuardKind::NodeAccess, step: None, principals: nodes_lost });
    }
    plan.guards = guards;
}
