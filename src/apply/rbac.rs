//! Writing the RBAC bindings of groups: ClusterRoleBindings and RoleBindings named and labelled
//! as accessctl's. A roleRef cannot change in place in Kubernetes, so a changed binding is
//! deleted and created again.

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};

use super::ApplyError;
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
    ObjectMeta {
        name: Some(b.name.to_string()),
        namespace: b.namespace.map(str::to_string),
        labels: Some(
            [(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()), (OWNER_LABEL.to_string(), b.owner.to_string())]
                .into(),
        ),
        ..Default::default()
    }
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
    ApplyError::Kubernetes(super::kube_message(&e))
}

pub async fn write(
    kube: &kube::Client,
    binding: &Binding<'_>,
    target: Option<&BindingTarget>,
    action: Action,
) -> Result<(), ApplyError> {
    let name = binding.name;
    let (dp, pp) = (DeleteParams::default(), PostParams::default());
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
                create_or_keep(with_retries(|| api.create(&pp, &b)).await)?;
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
                create_or_keep(with_retries(|| api.create(&pp, &b)).await)?;
            }
        }
    }
    Ok(())
}

/// A binding that already exists under accessctl's name is the same binding (a re-run).
fn create_or_keep<T>(r: Result<T, kube::Error>) -> Result<(), ApplyError> {
    match r {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(k8s(e)),
    }
}
