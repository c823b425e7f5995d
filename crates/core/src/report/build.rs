//! Building the review: every principal the clusters' access or the files name, asked on every
//! cluster the access model's questions — who it becomes (`authenticate`), what it holds
//! (`holdings`) and what that lets it do ([`effective_rights`]). Nothing here decides access.

use std::collections::BTreeMap;

use super::{Cell, ClusterColumn, FORMAT, Granted, Report, Row, managed};
use crate::access::rights::{Level, Rights, effective_rights, is_node};
use crate::access::{
    Authentication, Caller, ClusterAccess, Holding, Identity, Known, NamedPrincipal, Offline, Refusal, RoleKind, Via,
    authenticate, desired, holdings,
};
use crate::explain::Source;
use crate::model::{AccessScope, AuthMode, Cluster, Configuration, principal_key};

/// One cluster's access as read (live or from the files), or why it could not be read.
#[derive(Debug, Clone)]
pub struct ClusterInput {
    pub name: String,
    pub state: Result<ClusterAccess, String>,
}

/// The review of `clusters`, with names and what is declared from `config`. `live`: the states
/// were read from the clusters (else they are what the files would grant).
pub fn build(config: &Configuration, clusters: &[ClusterInput], live: bool, generated_at: Option<String>) -> Report {
    let columns = clusters.iter().map(column).collect();
    let mut principals: BTreeMap<String, NamedPrincipal> = BTreeMap::new();
    let declared = clusters.iter().filter_map(|c| config.cluster(&c.name)).map(desired::from_config);
    let read = clusters.iter().filter_map(|c| c.state.as_ref().ok()).cloned();
    for state in read.chain(declared) {
        for p in state.named_principals() {
            // A mapping no principal can have (not an ARN at all) lets nobody in.
            if Caller::parse(&p.arn).is_err() {
                continue;
            }
            principals.entry(principal_key(&p.arn)).or_insert(p);
        }
    }
    let mut rows: Vec<Row> = principals
        .into_values()
        .map(|p| Row {
            name: config.principal_name(&p.arn).map(str::to_string),
            cells: clusters.iter().map(|c| cell(c, config.cluster(&c.name), &p.arn, live)).collect(),
            principal: p.arn,
            any_of_account: p.any_of_account,
        })
        .collect();
    rows.sort_by(|a, b| a.principal.cmp(&b.principal));
    Report {
        format: FORMAT,
        generated_at,
        source: if live { "live" } else { "offline" }.to_string(),
        clusters: columns,
        rows,
        changed_since: None,
    }
}

fn column(input: &ClusterInput) -> ClusterColumn {
    let state = match &input.state {
        Ok(state) => state,
        Err(why) => {
            return ClusterColumn {
                name: input.name.clone(),
                mode: None,
                unknown: Some(format!("the cluster cannot be read: {why}")),
                notes: vec![],
            };
        }
    };
    // Principals named where nothing could be read are not rows: the column says so.
    let unread: Vec<String> =
        state.unread_namers().into_iter().map(|(what, why)| format!("{what} cannot be read ({why})")).collect();
    let unknown = (!unread.is_empty()).then(|| format!("{}: whom they name is not listed", unread.join("; ")));
    let mut notes = vec![];
    if state.mode != AuthMode::Api {
        match &state.creator {
            Known::Known(Some(creator)) => {
                notes.push(format!("{creator}, the cluster's creator, holds system:masters"))
            }
            Known::Known(None) => {}
            Known::Unknown(_) => notes.push(
                "the cluster's creator holds system:masters that no configuration shows, and EKS does not say who \
                 that is"
                    .into(),
            ),
        }
    }
    ClusterColumn { name: input.name.clone(), mode: Some(state.mode), unknown, notes }
}

/// Whether `state` names the principal `arn`.
fn names(state: &ClusterAccess, arn: &str) -> bool {
    state.named_principals().iter().any(|p| principal_key(&p.arn) == principal_key(arn))
}

fn cell(input: &ClusterInput, declared: Option<&Cluster>, arn: &str, live: bool) -> Cell {
    let mut cell = Cell {
        cluster: input.name.clone(),
        rights: Rights { cluster: Level::None, namespaces: vec![] },
        via: None,
        managed: None,
        username: None,
        grants: vec![],
        note: None,
    };
    let state = match &input.state {
        Ok(state) => state,
        Err(why) => {
            cell.rights.cluster = Level::Unknown(format!("the cluster cannot be read: {why}"));
            return cell;
        }
    };
    let Ok(caller) = Caller::parse(arn).map(Caller::as_caller) else {
        cell.note = Some("not an IAM principal: lets nobody in".into());
        return cell;
    };
    let identity = match authenticate(state, &caller, &Offline) {
        Authentication::Authenticated(identity) => identity,
        Authentication::Unknown { reason } => {
            cell.rights.cluster = Level::Unknown(reason);
            return cell;
        }
        Authentication::Refused(refusal) => {
            let mut note = not_let_in(&refusal);
            // Declared in the files yet not let in live: apply has not made it so (or cannot).
            if live && declared.is_some_and(|d| names(&desired::from_config(d), arn)) {
                note.push_str("; the files give it access here, which apply has not made so (see accessctl plan)");
            }
            cell.note = Some(note);
            return cell;
        }
    };
    cell.rights = effective_rights(state, &identity);
    cell.via = Some(source(&identity.via));
    cell.managed = Some(managed::way_in(declared, &identity.via));
    cell.username = Some(identity.username.clone());
    cell.grants = holdings(state, &identity)
        .unwrap_or_default()
        .iter()
        .map(|h| Granted { what: describe(h), managed: managed::holding(declared, &identity.via, h) })
        .collect();
    cell.note = note(&identity);
    cell
}

fn note(identity: &Identity) -> Option<String> {
    if is_node(identity) {
        return Some(
            "a node identity: Kubernetes' Node authorizer, which accessctl does not model, decides what it may do \
             with its own node's objects"
                .into(),
        );
    }
    None
}

fn not_let_in(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Template { reason, .. } => format!("not let in: a mapping names it, but {reason}"),
        Refusal::NotMapped { entry_for_earlier_principal: Some(_), .. } => {
            "not let in: its access entry was made for an earlier principal of that ARN (deleted and re-created \
             since)"
                .into()
        }
        Refusal::NotMapped { creator_unknown: true, .. } => {
            "not let in, unless it created the cluster (EKS does not say who did)".into()
        }
        Refusal::NotMapped { .. } => "not let in".into(),
    }
}

fn source(via: &Via) -> Source {
    match via {
        Via::AccessEntry { .. } => Source::AccessEntry,
        Via::MapRoles { .. } => Source::AwsAuthMapRoles,
        Via::MapUsers { .. } => Source::AwsAuthMapUsers,
        Via::MapAccounts { .. } => Source::AwsAuthMapAccounts,
        Via::ClusterCreator { .. } => Source::ClusterCreator,
    }
}

/// A holding as the review prints it.
fn describe(h: &Holding) -> String {
    match h {
        Holding::SystemMasters => "group system:masters (Kubernetes allows it everything)".into(),
        Holding::AccessPolicy { policy, scope, modelled } => {
            let scope = match scope {
                AccessScope::Cluster => "cluster".to_string(),
                AccessScope::Namespace(ns) => format!("namespaces {}", ns.join(", ")),
            };
            let unmodelled = if *modelled { "" } else { " — its rules are not published: not modelled" };
            format!("access policy {policy} ({scope}){unmodelled}")
        }
        Holding::Rbac { subject, binding, binding_namespace, role_kind, role, role_exists, .. } => {
            let binding = match binding_namespace {
                Some(ns) => format!("RoleBinding {ns}/{binding}"),
                None => format!("ClusterRoleBinding {binding}"),
            };
            let kind = match role_kind {
                RoleKind::ClusterRole => "ClusterRole",
                RoleKind::Role => "Role",
            };
            let missing = if *role_exists { "" } else { " — the role does not exist: grants nothing" };
            format!("{binding} → {kind} {role}, as {subject}{missing}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, SourceFile};
    use crate::model::PrincipalArn;
    use crate::report::Managed;

    fn config(text: &str) -> Configuration {
        let loaded = config::load(&[SourceFile::new("t.kdl", text)]);
        loaded.config.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
    }

    const FILE: &str = r#"
principal "dev" "arn:aws:iam::111122223333:role/dev"
principal "admin" "arn:aws:iam::111122223333:role/admin"
cluster "prod" {
    region "eu-west-1"
    authentication-mode "API_AND_CONFIG_MAP"
    access-entry "admin" {
        policy "AmazonEKSClusterAdminPolicy"
    }
    access-entry "dev" {
        policy "AmazonEKSViewPolicy"
        policy "AmazonEKSEditPolicy" {
            namespaces "payments"
        }
    }
}
"#;

    fn offline(config: &Configuration) -> Vec<ClusterInput> {
        config
            .clusters
            .iter()
            .map(|c| ClusterInput { name: c.name.clone(), state: Ok(desired::from_config(c)) })
            .collect()
    }

    #[test]
    fn offline_every_declared_principal_has_its_rights_and_everything_is_managed() {
        let config = config(FILE);
        let report = build(&config, &offline(&config), false, None);
        let lines: Vec<String> = report
            .rows
            .iter()
            .map(|r| format!("{} {} {}", r.label(), super::super::summary(&r.cells[0].rights), r.cells[0].grants.len()))
            .collect();
        assert_eq!(lines, ["admin cluster-admin 1", "dev view; edit in payments 2"]);
        assert!(report.rows.iter().all(|r| !r.cells[0].has_unmanaged()));
        // The files do not say who created the cluster: the column says someone holds
        // system:masters unseen.
        assert!(report.clusters[0].notes[0].contains("creator"), "{:?}", report.clusters);
        assert!(!report.has_unknown());
    }

    #[test]
    fn what_the_files_do_not_declare_is_unmanaged_and_an_unreadable_cluster_is_unknown() {
        let config = config(FILE);
        let mut inputs = offline(&config);
        // Someone added an entry by hand, and gave the declared dev a policy the files do not.
        let mut state = inputs[0].state.clone().unwrap();
        let Known::Known(entries) = &mut state.entries else { unreachable!() };
        entries.push(crate::access::Entry::new(
            PrincipalArn::parse("arn:aws:iam::111122223333:role/intruder").unwrap(),
            crate::model::EntryType::Standard,
            None,
            vec![],
            vec![crate::access::Association { policy: "AmazonEKSAdminPolicy".into(), scope: AccessScope::Cluster }],
        ));
        entries[1].policies.push(crate::access::Association {
            policy: "AmazonEKSSecretReaderPolicy".into(),
            scope: AccessScope::Cluster,
        });
        inputs[0].state = Ok(state);
        inputs.push(ClusterInput { name: "ghost".into(), state: Err("DescribeCluster: not found".into()) });
        let report = build(&config, &inputs, true, None);
        let intruder = report.rows.iter().find(|r| r.principal.ends_with("role/intruder")).unwrap();
        assert_eq!(intruder.cells[0].managed, Some(Managed::Unmanaged));
        assert_eq!(intruder.cells[0].rights.cluster, Level::Admin);
        let dev = report.rows.iter().find(|r| r.name.as_deref() == Some("dev")).unwrap();
        assert_eq!(dev.cells[0].managed, Some(Managed::Declared));
        let unmanaged: Vec<&str> =
            dev.cells[0].grants.iter().filter(|g| g.managed == Managed::Unmanaged).map(|g| g.what.as_str()).collect();
        assert_eq!(unmanaged, ["access policy AmazonEKSSecretReaderPolicy (cluster)"]);
        // The ghost column: every cell unknown, with why; never none.
        assert!(report.clusters[1].unknown.as_deref().is_some_and(|u| u.contains("not found")));
        assert!(
            report
                .rows
                .iter()
                .all(|r| matches!(&r.cells[1].rights.cluster, Level::Unknown(w) if w.contains("not found")))
        );
        assert!(report.has_unknown());
    }
}
