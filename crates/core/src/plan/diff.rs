//! The diff: a desired cluster against its live state, both normalised the same way, into the
//! changes that make them equal. A converged cluster yields no change, so re-applying never
//! loops. Updates happen in place wherever EKS allows (UpdateAccessEntry; AssociateAccessPolicy
//! again to change a scope); only an entry's type forces delete-and-create.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, Change, ChangeId, ClusterPlan, EntrySpec, ReplaceReason, Target};
use super::{Kept, KeptObject, KeptReason, KubernetesPart, Note, Problem};
use crate::access::{Known, RoleKind};
use crate::aws_auth::{self, AwsAuthData, Mapping, MappingKind};
use crate::live::{LiveBinding, LiveCluster, LiveEntry, LiveRole, OWNERSHIP_TAG, binding_key};
use crate::model::{AccessEntry, AccessScope, AuthMode, BindingTarget, Cluster, PrincipalArn, PrincipalKind};
use crate::ownership::{self, Owners};

/// The desired entry in comparable form: defaults made explicit, lists sorted, tagged with the
/// owners that claim it once this plan is applied.
pub fn desired_spec(e: &AccessEntry, owners: &Owners) -> EntrySpec {
    let groups = if e.entry_type == crate::model::EntryType::Standard {
        e.groups.clone()
    } else {
        e.entry_type.default_groups().iter().map(|g| g.to_string()).collect()
    };
    let mut tags = e.tags.clone();
    tags.insert(OWNERSHIP_TAG.to_string(), owners.render());
    EntrySpec { entry_type: e.entry_type, username: e.username.clone(), groups, tags }
}

pub fn live_spec(e: &LiveEntry) -> EntrySpec {
    EntrySpec {
        entry_type: e.entry_type,
        username: Some(e.username.clone()),
        groups: e.groups.clone(),
        tags: e.tags.clone(),
    }
}

/// The aws-auth key of a principal (roles without path, lower-cased).
pub fn aws_auth_key(p: &PrincipalArn) -> String {
    match p.kind {
        PrincipalKind::Role => format!("role:{}", p.aws_auth_key()),
        PrincipalKind::User => format!("user:{p}"),
    }
}

pub fn desired_mappings(cluster: &Cluster) -> Vec<Mapping> {
    let roles = cluster
        .aws_auth
        .roles
        .iter()
        .map(|m| Mapping::new(MappingKind::Role, m.rolearn.to_string(), m.username.clone(), m.groups.clone()));
    let users = cluster
        .aws_auth
        .users
        .iter()
        .map(|m| Mapping::new(MappingKind::User, m.userarn.to_string(), m.username.clone(), m.groups.clone()));
    roles.chain(users).collect()
}

pub use crate::access::desired::binding_name;

/// A digest of the live state (SHA-256 over its JSON) that a saved plan is bound to: a cluster
/// that changed since the plan cannot match it by accident, nor by a crafted plan file.
pub fn fingerprint(live: &LiveCluster) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(live).unwrap_or_default();
    sha2::Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn diff(desired: &Cluster, live: &LiveCluster) -> ClusterPlan {
    // Permission sets become their roles in this account; principals IAM does not have are problems.
    let checked = super::iam::check(desired, &live.iam);
    let desired = &checked.cluster;
    let mut plan = ClusterPlan {
        cluster: desired.name.clone(),
        region: desired.region.clone(),
        caller: live.caller.clone(),
        live_mode: live.mode,
        fingerprint: fingerprint(live),
        changes: vec![],
        kept: vec![],
        guards: vec![],
        notes: vec![],
        problems: where_it_is(desired, live),
        expectations: vec![],
    };
    plan.problems.extend(checked.problems);
    plan.notes.extend(checked.notes);
    let mode_steps = mode_changes(desired, live, &mut plan);
    // Entry work waits for access entries to exist in the mode; the step to API waits for all
    // entry work, so nobody loses access between the two.
    let entries_wait_for: Vec<ChangeId> = mode_steps
        .iter()
        .filter(|c| matches!(c.target, Target::AuthMode { to: AuthMode::ApiAndConfigMap, .. }))
        .map(|c| c.id.clone())
        .collect();
    let mut entry_changes = Vec::new();
    entries(desired, live, &entries_wait_for, &mut entry_changes, &mut plan);
    for step in mode_steps {
        let mut step = step;
        if matches!(step.target, Target::AuthMode { to: AuthMode::Api, .. }) {
            step.depends_on
                .extend(entry_changes.iter().filter(|c: &&Change| c.action != Action::Delete).map(|c| c.id.clone()));
        }
        plan.changes.push(step);
    }
    plan.changes.extend(entry_changes);
    aws_auth_change(desired, live, &mut plan);
    roles(desired, live, &mut plan);
    bindings(desired, live, &mut plan);
    super::guards::check(desired, live, &mut plan);
    super::access_checks::check(desired, live, &mut plan);
    plan
}

/// The documents' checks: the cluster found is in the account and region the file says.
fn where_it_is(desired: &Cluster, live: &LiveCluster) -> Vec<Problem> {
    let mut problems = vec![];
    if let (Some(declared), Some(actual)) = (&desired.account, &live.account)
        && declared != actual
    {
        problems.push(Problem::WrongAccount { declared: declared.clone(), actual: actual.clone() });
    }
    if let Some(actual) = &live.arn_region
        && *actual != desired.region
    {
        problems.push(Problem::WrongRegion { declared: desired.region.clone(), actual: actual.clone() });
    }
    problems
}

fn role_kind(namespace: &Option<String>) -> String {
    if namespace.is_some() { "Role" } else { "ClusterRole" }.to_string()
}

/// The declared ClusterRoles and Roles against those accessctl owns. A role that exists without
/// accessctl's label and has the declared rules is adopted as it is (no change); with other rules
/// it is taken over by the update. Another owner's role is not this configuration's to change.
fn roles(desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    let mine: BTreeMap<&String, &LiveRole> = live.roles.iter().filter(|(_, r)| r.owner == desired.owner).collect();
    if desired.roles.is_empty() && mine.is_empty() {
        return;
    }
    if let Some(why) = &live.kube_unreachable {
        plan.notes.push(Note::KubernetesNotServing { part: KubernetesPart::Roles, why: why.clone() });
        return;
    }
    let unmanaged = |name: &str, namespace: &Option<String>| match &live.rbac {
        Known::Known(rbac) => rbac.roles.iter().find(|r| r.name == name && r.namespace == *namespace),
        Known::Unknown(_) => None,
    };
    let same = crate::access::rbac::same_rules;
    let mut declared = BTreeSet::new();
    for d in &desired.roles {
        let key = binding_key(&d.name, d.namespace.as_deref());
        declared.insert(key.clone());
        let before = match live.roles.get(&key) {
            Some(l) if l.owner != desired.owner => {
                plan.problems.push(Problem::RoleOfAnotherOwner {
                    role_kind: role_kind(&d.namespace),
                    role: d.name.clone(),
                    namespace: d.namespace.clone(),
                    owner: l.owner.clone(),
                });
                continue;
            }
            Some(l) => Some(&l.rules),
            None => match unmanaged(&d.name, &d.namespace) {
                // Someone else's role with other rules: rewriting it would fight its keeper.
                Some(r) if !same(&r.rules, &d.rules) && r.kept_by.is_some() => {
                    plan.problems.push(Problem::RoleManagedElsewhere {
                        role_kind: role_kind(&d.namespace),
                        role: d.name.clone(),
                        namespace: d.namespace.clone(),
                        why: format!("its rules are kept by {}", r.kept_by.clone().unwrap_or_default()),
                    });
                    continue;
                }
                other => other.map(|r| &r.rules),
            },
        };
        if before.is_some_and(|b| same(b, &d.rules)) {
            continue;
        }
        if before.is_some() {
            bound_elsewhere(live, &desired.owner, &d.name, &d.namespace, plan);
        }
        plan.changes.push(Change {
            id: ChangeId::Role { name: d.name.clone(), namespace: d.namespace.clone() },
            action: if before.is_some() { Action::Update } else { Action::Create },
            target: Target::Role {
                name: d.name.clone(),
                namespace: d.namespace.clone(),
                owner: desired.owner.clone(),
                before: before.cloned(),
                after: Some(d.rules.clone()),
            },
            depends_on: vec![],
        });
    }
    for (key, l) in mine {
        if declared.contains(key) {
            continue;
        }
        if desired.prune {
            // Bindings this plan keeps — another owner's, one made by hand — would bind to nothing.
            let still: Vec<String> = bindings_of(live, &l.name, &l.namespace)
                .filter(|b| {
                    let k = binding_key(&b.name, b.namespace.as_deref());
                    live.bindings.get(&k).is_none_or(|mine| mine.owner != desired.owner)
                })
                .map(|b| b.name.clone())
                .collect();
            if !still.is_empty() {
                plan.problems.push(Problem::RoleStillBound {
                    role_kind: role_kind(&l.namespace),
                    role: l.name.clone(),
                    namespace: l.namespace.clone(),
                    bindings: still.join(", "),
                });
                continue;
            }
            plan.changes.push(Change {
                id: ChangeId::Role { name: l.name.clone(), namespace: l.namespace.clone() },
                action: Action::Delete,
                target: Target::Role {
                    name: l.name.clone(),
                    namespace: l.namespace.clone(),
                    owner: l.owner.clone(),
                    before: Some(l.rules.clone()),
                    after: None,
                },
                depends_on: vec![],
            });
        } else {
            let object = KeptObject::Role { name: l.name.clone(), namespace: l.namespace.clone() };
            plan.kept.push(Kept { object, reason: KeptReason::PruneOff });
        }
    }
}

/// Every live binding to the role `name` (a Role: in its namespace).
fn bindings_of<'a>(
    live: &'a LiveCluster,
    name: &'a str,
    namespace: &'a Option<String>,
) -> impl Iterator<Item = &'a crate::access::Binding> + 'a {
    let kind = if namespace.is_some() { RoleKind::Role } else { RoleKind::ClusterRole };
    let bindings = match &live.rbac {
        Known::Known(rbac) => rbac.bindings.as_slice(),
        Known::Unknown(_) => &[],
    };
    bindings.iter().filter(move |b| {
        b.role_kind == kind && b.role_name == name && (namespace.is_none() || b.namespace == *namespace)
    })
}

/// A warning for a role the plan changes that bindings this configuration does not own use
/// (another owner's, one made by hand): whoever those bindings name gets the new rules too.
fn bound_elsewhere(live: &LiveCluster, owner: &str, name: &str, namespace: &Option<String>, plan: &mut ClusterPlan) {
    let others: Vec<&str> = bindings_of(live, name, namespace)
        .filter(|b| {
            let k = binding_key(&b.name, b.namespace.as_deref());
            live.bindings.get(&k).is_none_or(|mine| mine.owner != owner)
        })
        .map(|b| b.name.as_str())
        .collect();
    if !others.is_empty() {
        plan.notes.push(Note::RoleUsedElsewhere {
            role_kind: role_kind(namespace),
            role: name.to_string(),
            bindings: others.iter().map(|b| b.to_string()).collect(),
        });
    }
}

/// The role a binding target refers to, as `(kind, name, namespace of a Role)`.
fn bound_role(target: &BindingTarget) -> (RoleKind, &String, Option<&String>) {
    match target {
        BindingTarget::ClusterRole { name } | BindingTarget::ClusterRoleInNamespace { name, .. } => {
            (RoleKind::ClusterRole, name, None)
        }
        BindingTarget::Role { name, namespace } => (RoleKind::Role, name, Some(namespace)),
    }
}

/// Whether a binding to `target` finds a role after this plan: declared, or live (and not
/// deleted by the plan), or one the API server keeps. `None`: the cluster's RBAC is not known.
fn role_after_plan(desired: &Cluster, live: &LiveCluster, target: &BindingTarget) -> Option<bool> {
    if desired.roles.iter().any(|r| r.is_target_of(target)) {
        return Some(true);
    }
    let (kind, name, namespace) = bound_role(target);
    // The defaults every API server keeps; any other name (`system:` ones included) must exist.
    if kind == RoleKind::ClusterRole && crate::access::Rbac::kubernetes_defaults().roles.iter().any(|r| r.name == *name)
    {
        return Some(true);
    }
    let Known::Known(rbac) = &live.rbac else { return None };
    Some(rbac.roles.iter().any(|r| r.name == *name && r.namespace.as_ref() == namespace))
}

/// An RBAC binding that is not accessctl's and already binds `group` to `target`: the declared
/// binding is that one (the AWS console manifest's, one made by hand), adopted, never duplicated.
fn adoptable<'a>(live: &'a LiveCluster, group: &str, target: &BindingTarget) -> Option<&'a crate::access::Binding> {
    let Known::Known(rbac) = &live.rbac else { return None };
    let (kind, name, _) = bound_role(target);
    let namespace = match target {
        BindingTarget::ClusterRole { .. } => None,
        BindingTarget::ClusterRoleInNamespace { namespace, .. } | BindingTarget::Role { namespace, .. } => {
            Some(namespace)
        }
    };
    rbac.bindings.iter().find(|b| {
        b.role_kind == kind
            && b.role_name == *name
            && b.namespace.as_ref() == namespace
            && b.subjects.iter().any(|s| s.kind == "Group" && s.name == group)
            && !live.bindings.contains_key(&binding_key(&b.name, b.namespace.as_deref()))
    })
}

fn mode_changes(desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) -> Vec<Change> {
    let Some(want) = desired.authentication_mode else { return vec![] };
    if want < live.mode {
        plan.notes.push(Note::ModeCannotGoBack { live: live.mode, declared: want });
        return vec![];
    }
    let mut steps = Vec::new();
    let mut from = live.mode;
    let mut previous: Option<ChangeId> = None;
    while from < want {
        let Some(to) = from.next() else { break };
        let id = ChangeId::AuthMode { to };
        steps.push(Change {
            id: id.clone(),
            action: Action::Update,
            target: Target::AuthMode { from, to },
            depends_on: previous.iter().cloned().collect(),
        });
        previous = Some(id);
        from = to;
    }
    steps
}

/// Whether a live entry already is what `d` declares: type, username, groups and policies.
fn entry_matches(d: &AccessEntry, want: &EntrySpec, l: &LiveEntry) -> bool {
    let have = live_spec(l);
    let policies: BTreeMap<&String, &AccessScope> = d.policies.iter().map(|p| (&p.policy, &p.scope)).collect();
    l.entry_type == d.entry_type
        && want.username.as_ref().is_none_or(|u| Some(u) == have.username.as_ref())
        && (d.entry_type != crate::model::EntryType::Standard || want.groups == have.groups)
        && policies == l.policies.iter().collect::<BTreeMap<_, _>>()
}

fn entries(
    desired: &Cluster,
    live: &LiveCluster,
    wait_for: &[ChangeId],
    out: &mut Vec<Change>,
    plan: &mut ClusterPlan,
) {
    let protected: BTreeSet<String> = desired.protected.iter().map(|p| p.identity_key()).collect();
    let key_of = crate::model::principal_key;
    let mut declared = BTreeSet::new();
    for d in &desired.access_entries {
        // The live entry of the same principal, however either ARN is spelled (EKS allows one
        // entry per principal): changes address it as EKS holds it.
        let live_match = live.entries.iter().find(|(k, _)| key_of(k) == d.principal.identity_key());
        let principal = live_match.map(|(k, _)| k.clone()).unwrap_or_else(|| d.principal.to_string());
        declared.insert(d.principal.identity_key());
        let live_entry = live_match.map(|(_, e)| e);
        let owners = live_entry.map(LiveEntry::owners).unwrap_or_default();
        let want = desired_spec(d, &owners.with(&desired.owner));
        let others = owners.others(&desired.owner);
        if let Some(l) = live_entry
            && !others.is_empty()
            && !entry_matches(d, &want, l)
        {
            plan.problems.push(Problem::DeclaredDifferently {
                object: format!("access entry {principal}"),
                owners: others.to_string(),
            });
            continue;
        }
        // EKS tag values hold at most 256 characters.
        if want.tags.get(OWNERSHIP_TAG).is_some_and(|v| v.len() > 256) {
            plan.problems.push(Problem::TooManyOwners {
                principal: principal.clone(),
                owners: owners.with(&desired.owner).to_string(),
            });
            continue;
        }
        let entry_id = ChangeId::AccessEntry { principal: principal.to_string() };
        let mut policy_deps: Vec<ChangeId> = wait_for.to_vec();
        match live_entry {
            None => {
                out.push(Change {
                    id: entry_id.clone(),
                    action: Action::Create,
                    target: Target::AccessEntry {
                        principal: principal.clone(),
                        before: None,
                        after: Some(want.clone()),
                        replace: None,
                    },
                    depends_on: wait_for.to_vec(),
                });
                policy_deps = vec![entry_id.clone()];
            }
            Some(l) if l.entry_type != d.entry_type || l.made_for_earlier_principal(&live.iam) => {
                let because = if l.entry_type != d.entry_type {
                    ReplaceReason::TypeChanged
                } else {
                    ReplaceReason::PrincipalRecreated
                };
                out.push(Change {
                    id: entry_id.clone(),
                    action: Action::Replace,
                    target: Target::AccessEntry {
                        principal: principal.clone(),
                        before: Some(live_spec(l)),
                        after: Some(want.clone()),
                        replace: Some(because),
                    },
                    depends_on: wait_for.to_vec(),
                });
                policy_deps = vec![entry_id.clone()];
            }
            Some(l) => {
                let have = live_spec(l);
                let username_differs = want.username.as_ref().is_some_and(|u| Some(u) != have.username.as_ref());
                let groups_differ = d.entry_type == crate::model::EntryType::Standard && want.groups != have.groups;
                let updated = username_differs || groups_differ;
                if updated {
                    out.push(Change {
                        id: entry_id.clone(),
                        action: Action::Update,
                        target: Target::AccessEntry {
                            principal: principal.clone(),
                            before: Some(have),
                            after: Some(want.clone()),
                            replace: None,
                        },
                        depends_on: vec![],
                    });
                }
                let mut add: BTreeMap<String, String> = want
                    .tags
                    .iter()
                    .filter(|(k, v)| l.tags.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                // Ownership is recorded along with a real change, never as a change of its own:
                // declaring an entry that exists (an import) plans nothing. An entry another
                // configuration owns is claimed at once, though: else that owner's prune would
                // delete what this configuration declares.
                let claims_from_others = !owners.is_empty() && !owners.claims(&desired.owner);
                let changes_something = updated || claims_from_others || add.keys().any(|k| k != OWNERSHIP_TAG);
                if !changes_something {
                    add.clear();
                }
                if !add.is_empty() {
                    out.push(Change {
                        id: ChangeId::EntryTags { principal: principal.to_string() },
                        action: Action::Update,
                        target: Target::EntryTags {
                            principal: principal.clone(),
                            entry_arn: l.arn.clone(),
                            owner: add.contains_key(OWNERSHIP_TAG).then(|| desired.owner.clone()),
                            add,
                        },
                        depends_on: vec![],
                    });
                }
            }
        }
        // Policies: the file declares them all for a declared entry.
        let replaced =
            matches!(live_entry, Some(l) if l.entry_type != d.entry_type || l.made_for_earlier_principal(&live.iam));
        let live_policies = live_entry.filter(|_| !replaced).map(|l| l.policies.clone()).unwrap_or_default();
        for p in &d.policies {
            let before = live_policies.get(&p.policy).cloned();
            if before.as_ref() == Some(&p.scope) {
                continue;
            }
            out.push(Change {
                id: ChangeId::PolicyAssociation { principal: principal.to_string(), policy: p.policy.clone() },
                action: if before.is_some() { Action::Update } else { Action::Create },
                target: Target::PolicyAssociation {
                    principal: principal.clone(),
                    policy: p.policy.clone(),
                    before,
                    after: Some(p.scope.clone()),
                },
                depends_on: policy_deps.clone(),
            });
        }
        for (name, scope) in &live_policies {
            if !d.policies.iter().any(|p| &p.policy == name) {
                out.push(Change {
                    id: ChangeId::PolicyAssociation { principal: principal.to_string(), policy: name.clone() },
                    action: Action::Delete,
                    target: Target::PolicyAssociation {
                        principal: principal.clone(),
                        policy: name.clone(),
                        before: Some(scope.clone()),
                        after: None,
                    },
                    depends_on: vec![],
                });
            }
        }
    }
    for (principal, l) in &live.entries {
        if declared.contains(&key_of(principal)) {
            continue;
        }
        let owners = l.owners();
        match ownership::undeclared(&owners, &desired.owner, desired.prune, protected.contains(&key_of(principal))) {
            ownership::Undeclared::Delete => out.push(Change {
                id: ChangeId::AccessEntry { principal: principal.to_string() },
                action: Action::Delete,
                target: Target::AccessEntry {
                    principal: principal.clone(),
                    before: Some(live_spec(l)),
                    after: None,
                    replace: None,
                },
                depends_on: vec![],
            }),
            ownership::Undeclared::Release => out.push(Change {
                id: ChangeId::EntryTags { principal: principal.to_string() },
                action: Action::Update,
                target: Target::EntryTags {
                    principal: principal.clone(),
                    entry_arn: l.arn.clone(),
                    add: BTreeMap::from([(OWNERSHIP_TAG.to_string(), owners.without(&desired.owner).render())]),
                    owner: Some(desired.owner.clone()),
                },
                depends_on: vec![],
            }),
            ownership::Undeclared::Keep(why) => {
                let object = KeptObject::AccessEntry { principal: principal.clone(), entry_type: l.entry_type };
                plan.kept.push(Kept { object, reason: why.into() });
            }
        }
    }
}

fn aws_auth_change(desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    let wanted = desired_mappings(desired);
    let manages_something = !wanted.is_empty()
        || !desired.aws_auth.accounts.is_empty()
        || live.aws_auth.as_ref().is_some_and(|a| a.claims.values().any(|o| o.claims(&desired.owner)));
    if !manages_something {
        return;
    }
    if let Some(why) = &live.kube_unreachable {
        plan.notes.push(Note::KubernetesNotServing { part: KubernetesPart::AwsAuth, why: why.clone() });
        return;
    }
    let empty = AwsAuthData::default();
    let no_claims = aws_auth::Claims::new();
    let (before, claims, rv) = match &live.aws_auth {
        Some(a) => (&a.data, &a.claims, Some(a.resource_version.clone())),
        None => (&empty, &no_claims, None),
    };
    // A mapping another configuration claims and holds otherwise: both would rewrite it forever.
    for m in &wanted {
        let others = claims.get(&m.key()).map(|o| o.others(&desired.owner)).unwrap_or_default();
        if !others.is_empty() && before.find(&m.key()).is_some_and(|held| !held.same_as(m)) {
            plan.problems.push(Problem::DeclaredDifferently {
                object: format!("the aws-auth mapping of {}", m.arn),
                owners: others.to_string(),
            });
        }
    }
    let protected: BTreeSet<String> = desired.protected.iter().map(aws_auth_key).collect();
    let mut declared: BTreeSet<String> = wanted.iter().map(Mapping::key).collect();
    declared.extend(desired.aws_auth.accounts.iter().map(|a| format!("account:{a}")));
    let undeclared = aws_auth::undeclared(before, claims, &desired.owner, &declared, desired.prune, &protected);
    let request = aws_auth::MergeRequest {
        owner: &desired.owner,
        desired: &wanted,
        desired_accounts: &desired.aws_auth.accounts,
        delete: &undeclared.delete,
        release: &undeclared.release,
    };
    let merged = aws_auth::merge(before, claims, &request);
    // As for entries: ownership is recorded with a real change, not as one — except a claim on a
    // mapping another configuration owns, or letting go of one, which are changes of their own.
    let claims_changed = declared
        .iter()
        .chain(&undeclared.release)
        .any(|k| claims.get(k).is_some_and(|o| !o.is_empty()) && claims.get(k) != merged.claims.get(k));
    if aws_auth::equivalent(before, &merged.data) && live.aws_auth.is_some() && !claims_changed {
        return;
    }
    let mut kept: Vec<(KeptReason, usize)> = vec![];
    for (_, why) in &undeclared.kept {
        let reason = KeptReason::from(why.clone());
        match kept.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => kept.push((reason, 1)),
        }
    }
    for (reason, count) in kept {
        plan.kept.push(Kept { object: KeptObject::AwsAuthMappings { count }, reason });
    }
    plan.changes.push(Change {
        id: ChangeId::AwsAuth,
        action: if rv.is_some() { Action::Update } else { Action::Create },
        target: Target::AwsAuth {
            resource_version: rv,
            before: live.aws_auth.is_some().then(|| before.clone()),
            after: merged.data.clone(),
            desired: wanted.clone(),
            desired_accounts: desired.aws_auth.accounts.clone(),
            owner: desired.owner.clone(),
            delete: undeclared.delete,
            release: undeclared.release,
        },
        depends_on: vec![],
    });
}

fn bindings(desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    // Other owners' bindings are theirs: not diffed, never pruned here.
    let mine: BTreeMap<&String, &LiveBinding> =
        live.bindings.iter().filter(|(_, b)| b.owner == desired.owner).collect();
    if desired.group_bindings.is_empty() && mine.is_empty() {
        return;
    }
    if let Some(why) = &live.kube_unreachable {
        plan.notes.push(Note::KubernetesNotServing { part: KubernetesPart::Bindings, why: why.clone() });
        return;
    }
    let mut wanted: BTreeMap<String, LiveBinding> = BTreeMap::new();
    for b in &desired.group_bindings {
        let (name, namespace) = binding_name(&desired.owner, &b.group, &b.target);
        let key = binding_key(&name, namespace.as_deref());
        let owner = desired.owner.clone();
        wanted.insert(key, LiveBinding { name, namespace, group: b.group.clone(), target: b.target.clone(), owner });
    }
    // (change id, role key, deleted) of the roles this plan writes: a binding waits for its role.
    let role_changes: Vec<(ChangeId, String, bool)> = plan
        .changes
        .iter()
        .filter_map(|c| match &c.target {
            Target::Role { name, namespace, after, .. } => {
                Some((c.id.clone(), binding_key(name, namespace.as_deref()), after.is_none()))
            }
            _ => None,
        })
        .collect();
    for (key, w) in &wanted {
        let before = mine.get(key).copied();
        let (kind, role, role_namespace) = bound_role(&w.target);
        let role_key = binding_key(role, role_namespace.map(String::as_str));
        let role_change = role_changes.iter().find(|(_, k, _)| *k == role_key);
        let problem = |deleted: bool| {
            let (group, role_kind, role, namespace) =
                (w.group.clone(), format!("{kind:?}"), role.clone(), role_namespace.cloned());
            if deleted {
                Problem::BoundRoleDeleted { group, role_kind, role, namespace }
            } else {
                Problem::BindingToNothing { group, role_kind, role, namespace }
            }
        };
        if role_change.is_some_and(|(_, _, deleted)| *deleted) {
            plan.problems.push(problem(true));
            continue;
        }
        if role_after_plan(desired, live, &w.target) == Some(false) {
            if before == Some(w) {
                // Already there, and its role went away (deleted by hand): say so, but do not
                // block every other change (a revocation among them) on it.
                plan.notes.push(Note::BindingToMissingRole {
                    group: w.group.clone(),
                    role_kind: format!("{kind:?}"),
                    role: role.clone(),
                });
            } else {
                plan.problems.push(problem(false));
            }
            continue;
        }
        if before == Some(w) {
            continue;
        }
        if before.is_none()
            && let Some(existing) = adoptable(live, &w.group, &w.target)
        {
            let object = KeptObject::Binding { name: existing.name.clone(), namespace: existing.namespace.clone() };
            plan.kept.push(Kept { object, reason: KeptReason::Adopted });
            continue;
        }
        let depends_on: Vec<ChangeId> = role_change.map(|(id, _, _)| id.clone()).into_iter().collect();
        plan.changes.push(Change {
            id: ChangeId::GroupBinding { name: w.name.clone(), namespace: w.namespace.clone() },
            action: if before.is_some() { Action::Replace } else { Action::Create },
            target: Target::GroupBinding {
                name: w.name.clone(),
                namespace: w.namespace.clone(),
                group: w.group.clone(),
                owner: w.owner.clone(),
                before: before.map(|b| b.target.clone()),
                after: Some(w.target.clone()),
            },
            depends_on,
        });
    }
    for (key, l) in mine {
        if wanted.contains_key(key) {
            continue;
        }
        if desired.prune {
            plan.changes.push(Change {
                id: ChangeId::GroupBinding { name: l.name.clone(), namespace: l.namespace.clone() },
                action: Action::Delete,
                target: Target::GroupBinding {
                    name: l.name.clone(),
                    namespace: l.namespace.clone(),
                    group: l.group.clone(),
                    owner: l.owner.clone(),
                    before: Some(l.target.clone()),
                    after: None,
                },
                depends_on: vec![],
            });
        } else {
            let object = KeptObject::Binding { name: l.name.clone(), namespace: l.namespace.clone() };
            plan.kept.push(Kept { object, reason: KeptReason::PruneOff });
        }
    }
}
