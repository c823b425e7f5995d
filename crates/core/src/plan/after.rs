//! The state after a plan, as the access model reads it: live state with each change of the plan
//! applied, one by one — the one answer to "what does this identity get after apply?" that
//! explain and the guards share.

use super::{ClusterPlan, Target};
use crate::access::desired::group_binding;
use crate::access::{Association, ClusterAccess, Entry, Known, Role};
use crate::model::PrincipalArn;

/// `live` with `plan` applied.
pub fn state_after_plan(live: &ClusterAccess, plan: &ClusterPlan) -> ClusterAccess {
    let mut state = live.clone();
    for change in &plan.changes {
        apply(&mut state, &change.target);
    }
    state
}

fn apply(state: &mut ClusterAccess, target: &Target) {
    match target {
        Target::AuthMode { to, .. } => state.mode = state.mode.max(*to),
        Target::AccessEntry { principal, after, .. } => {
            let Known::Known(entries) = &mut state.entries else { return };
            let key = crate::model::principal_key(principal);
            let existing = entries.iter().position(|e| e.principal.identity_key() == key);
            match (after, existing) {
                (None, Some(i)) => {
                    entries.remove(i);
                }
                (None, None) => {}
                (Some(spec), existing) => {
                    let Ok(arn) = PrincipalArn::parse(principal) else { return };
                    // A changed type is a new entry (`-/+`): its associations go with the old one.
                    let policies = existing
                        .filter(|i| entries[*i].entry_type == spec.entry_type)
                        .map(|i| entries[i].policies.clone())
                        .unwrap_or_default();
                    let entry = Entry::new(arn, spec.entry_type, spec.username.clone(), spec.groups.clone(), policies);
                    match existing {
                        Some(i) => entries[i] = entry,
                        None => entries.push(entry),
                    }
                }
            }
        }
        Target::PolicyAssociation { principal, policy, after, .. } => {
            let Known::Known(entries) = &mut state.entries else { return };
            let key = crate::model::principal_key(principal);
            let Some(entry) = entries.iter_mut().find(|e| e.principal.identity_key() == key) else { return };
            entry.policies.retain(|a| a.policy != *policy);
            if let Some(scope) = after {
                entry.policies.push(Association { policy: policy.clone(), scope: scope.clone() });
            }
        }
        Target::AwsAuth { after, .. } => state.aws_auth = Known::Known(Some(after.clone())),
        Target::GroupBinding { name, namespace, group, after, .. } => {
            let Known::Known(rbac) = &mut state.rbac else { return };
            rbac.bindings.retain(|b| !(b.name == *name && b.namespace == *namespace));
            if let Some(target) = after {
                // Named as the plan names it, whichever owner's it is.
                let mut binding = group_binding(crate::ownership::DEFAULT_OWNER, group, target);
                binding.name = name.clone();
                rbac.bindings.push(binding);
            }
        }
        Target::Role { name, namespace, after, .. } => {
            let Known::Known(rbac) = &mut state.rbac else { return };
            rbac.roles.retain(|r| !(r.name == *name && r.namespace == *namespace));
            if let Some(rules) = after {
                let role =
                    Role { name: name.clone(), namespace: namespace.clone(), rules: rules.clone(), kept_by: None };
                rbac.roles.push(role);
            }
        }
        Target::EntryTags { .. } => {}
    }
}
