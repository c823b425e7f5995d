//! Writing RBAC: the ClusterRoles and Roles the files declare, and the bindings of groups
//! (ClusterRoleBindings and RoleBindings), named and labelled as accessctl's and their owner's. A
//! roleRef cannot change in place in Kubernetes, so a changed binding is deleted and created
//! again; a role's rules are replaced in place.

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};

use super::ApplyError;
use crate::access::Rule;
use crate::live::kubernetes::with_retries;
use crate::live::read::{MANAGED_BY, MANAGED_BY_LABEL, OWNER_LABEL};
use crate::model::BindingTarget;
use crate::plan::Action;

/// One binding accessctl writes: its object name, place, group and owner.
pub struct Binding<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub group: &'a str,
    pub owner: &'a str,
}

fn meta(b: &Binding) -> ObjectMeta {
    owned_meta(b.name, b.namespace, b.owner)
}

fn owned_meta(name: &str, namespace: Option<&str>, owner: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(
            [(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()), (OWNER_LABEL.to_string(), owner.to_string())]
                .into(),
        ),
        ..Default::default()
    }
}

/// One role accessctl writes.
pub struct RoleWrite<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub owner: &'a str,
    /// `None`: delete it.
    pub rules: Option<&'a [Rule]>,
    /// The plan creates it: one that appears in the meantime, not this owner's, is someone
    /// else's and is not taken over.
    pub create: bool,
}

fn policy_rules(rules: &[Rule]) -> Vec<PolicyRule> {
    let some = |v: &Vec<String>| if v.is_empty() { None } else { Some(v.clone()) };
    rules
        .iter()
        .map(|r| PolicyRule {
            api_groups: some(&r.api_groups),
            resources: some(&r.resources),
            verbs: r.verbs.clone(),
            resource_names: some(&r.resource_names),
            non_resource_urls: some(&r.non_resource_urls),
        })
        .collect()
}

/// Creates, updates (rules replaced, accessctl's labels added, everything else kept) or deletes
/// a ClusterRole or Role. Each call is safe to repeat.
pub async fn write_role(kube: &kube::Client, role: &RoleWrite<'_>) -> Result<(), ApplyError> {
    match role.namespace {
        None => {
            let api: Api<ClusterRole> = Api::all(kube.clone());
            let make = |rules: &[Rule]| ClusterRole {
                metadata: owned_meta(role.name, None, role.owner),
                rules: Some(policy_rules(rules)),
                aggregation_rule: None,
            };
            put(&api, role, make, |o: &mut ClusterRole, rules| o.rules = Some(policy_rules(rules))).await
        }
        Some(ns) => {
            let api: Api<Role> = Api::namespaced(kube.clone(), ns);
            let make = |rules: &[Rule]| Role {
                metadata: owned_meta(role.name, Some(ns), role.owner),
                rules: Some(policy_rules(rules)),
            };
            put(&api, role, make, |o: &mut Role, rules| o.rules = Some(policy_rules(rules))).await
        }
    }
}

async fn put<K>(
    api: &Api<K>,
    role: &RoleWrite<'_>,
    make: impl Fn(&[Rule]) -> K,
    set_rules: impl Fn(&mut K, &[Rule]),
) -> Result<(), ApplyError>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let (dp, pp) = (DeleteParams::default(), PostParams::default());
    let Some(rules) = role.rules else {
        return match with_retries(|| api.delete(role.name, &dp)).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(k8s(e)),
        };
    };
    for _ in 0..8 {
        let current = with_retries(|| api.get_opt(role.name)).await.map_err(k8s)?;
        let written = match current {
            None => {
                let fresh = make(rules);
                with_retries(|| api.create(&pp, &fresh)).await
            }
            Some(existing)
                if role.create
                    && existing.meta().labels.as_ref().and_then(|l| l.get(OWNER_LABEL)).map(String::as_str)
                        != Some(role.owner) =>
            {
                return Err(ApplyError::RoleTakenMeanwhile(role.name.to_string()));
            }
            Some(mut existing) => {
                set_rules(&mut existing, rules);
                let labels = existing.meta_mut().labels.get_or_insert_with(Default::default);
                labels.insert(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string());
                labels.insert(OWNER_LABEL.to_string(), role.owner.to_string());
                with_retries(|| api.replace(role.name, &pp, &existing)).await
            }
        };
        match written {
            Ok(_) => return Ok(()),
            // Created or changed by someone else in between: read again.
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(k8s(e)),
        }
    }
    Err(ApplyError::RoleContended(role.name.to_string()))
}

fn subjects(group: &str) -> Option<Vec<Subject>> {
    Some(vec![Subject {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: "Group".into(),
        name: group.to_string(),
        namespace: None,
    }])
}

fn role_ref(target: &BindingTarget) -> RoleRef {
    let (kind, name) = match target {
        BindingTarget::ClusterRole { name } | BindingTarget::ClusterRoleInNamespace { name, .. } => {
            ("ClusterRole", name)
        }
        BindingTarget::Role { name, .. } => ("Role", name),
    };
    RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: kind.into(), name: name.clone() }
}

fn k8s(e: kube::Error) -> ApplyError {
    super::kube_error(e)
}

pub async fn write(
    kube: &kube::Client,
    binding: &Binding<'_>,
    target: Option<&BindingTarget>,
    action: Action,
) -> Result<(), ApplyError> {
    let name = binding.name;
    let dp = DeleteParams::default();
    let ignore_missing = |r: Result<(), kube::Error>| match r {
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        other => other.map_err(k8s),
    };
    match binding.namespace {
        None => {
            let api: Api<ClusterRoleBinding> = Api::all(kube.clone());
            if matches!(action, Action::Delete | Action::Replace) {
                ignore_missing(with_retries(|| api.delete(name, &dp)).await.map(|_| ()))?;
            }
            if let (Some(t), false) = (target, action == Action::Delete) {
                let b = ClusterRoleBinding {
                    metadata: meta(binding),
                    role_ref: role_ref(t),
                    subjects: subjects(binding.group),
                };
                create_or_verify(&api, &b, |x: &ClusterRoleBinding| (x.role_ref.clone(), x.subjects.clone())).await?;
            }
        }
        Some(ns) => {
            let api: Api<RoleBinding> = Api::namespaced(kube.clone(), ns);
            if matches!(action, Action::Delete | Action::Replace) {
                ignore_missing(with_retries(|| api.delete(name, &dp)).await.map(|_| ()))?;
            }
            if let (Some(t), false) = (target, action == Action::Delete) {
                let b =
                    RoleBinding { metadata: meta(binding), role_ref: role_ref(t), subjects: subjects(binding.group) };
                create_or_verify(&api, &b, |x: &RoleBinding| (x.role_ref.clone(), x.subjects.clone())).await?;
            }
        }
    }
    Ok(())
}

/// Creates a binding. One that already exists under its name is the same binding (a re-run) only
/// if it binds the same subjects to the same role; anything else under that name is not
/// overwritten, and the apply says so.
async fn create_or_verify<K>(
    api: &Api<K>,
    binding: &K,
    what: impl Fn(&K) -> (RoleRef, Option<Vec<Subject>>),
) -> Result<(), ApplyError>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let pp = PostParams::default();
    match with_retries(|| api.create(&pp, binding)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let name = binding.meta().name.clone().unwrap_or_default();
            let existing = with_retries(|| api.get(&name)).await.map_err(k8s)?;
            if what(&existing) == what(binding) { Ok(()) } else { Err(ApplyError::BindingConflict(name)) }
        }
        Err(e) => Err(k8s(e)),
    }
}
