//! What changed between two reviews: principals that appeared or went, clusters that appeared or
//! went, and each principal × cluster whose rights were gained, lost or changed. Compares the
//! reports' data only (a previous report is JSON): it asks no cluster and no model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Cell, Report, Row, summary};
use crate::model::principal_key;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    NewPrincipal,
    RemovedPrincipal,
    NewCluster,
    RemovedCluster,
    /// Had nothing on the cluster, has something now.
    Gained,
    /// Had something, has nothing now.
    Lost,
    /// Had something, has something else now (an unknown becoming known counts).
    Changed,
}

impl ChangeKind {
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::NewPrincipal => "new principal",
            ChangeKind::RemovedPrincipal => "removed principal",
            ChangeKind::NewCluster => "new cluster",
            ChangeKind::RemovedCluster => "removed cluster",
            ChangeKind::Gained => "gained",
            ChangeKind::Lost => "lost",
            ChangeKind::Changed => "changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The rights before and after, in one line each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl Change {
    /// The columns every rendering of a change shows, in order: change, principal, name, cluster,
    /// before, after.
    pub const COLUMNS: [&'static str; 6] = ["Change", "Principal", "Name", "Cluster", "Before", "After"];

    pub fn cells(&self) -> [&str; 6] {
        fn opt(o: &Option<String>) -> &str {
            o.as_deref().unwrap_or("")
        }
        [
            self.kind.word(),
            opt(&self.principal),
            opt(&self.name),
            opt(&self.cluster),
            opt(&self.before),
            opt(&self.after),
        ]
    }
}

/// The changes from `previous` to `current`: clusters first, then principals in ARN order, each
/// principal's new/removed line before its per-cluster lines.
pub fn diff(previous: &Report, current: &Report) -> Vec<Change> {
    let mut out = vec![];
    let names = |r: &Report| r.clusters.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let (before_clusters, after_clusters) = (names(previous), names(current));
    let change = |kind, row: Option<&Row>, cluster: Option<&str>| Change {
        kind,
        principal: row.map(|r| r.principal.clone()),
        name: row.and_then(|r| r.name.clone()),
        cluster: cluster.map(str::to_string),
        before: None,
        after: None,
    };
    for c in after_clusters.iter().filter(|c| !before_clusters.contains(c)) {
        out.push(change(ChangeKind::NewCluster, None, Some(c)));
    }
    for c in before_clusters.iter().filter(|c| !after_clusters.contains(c)) {
        out.push(change(ChangeKind::RemovedCluster, None, Some(c)));
    }
    let rows =
        |r: &Report| r.rows.iter().map(|row| (principal_key(&row.principal), row.clone())).collect::<BTreeMap<_, _>>();
    let (before_rows, after_rows) = (rows(previous), rows(current));
    let mut keys: Vec<&String> = before_rows.keys().chain(after_rows.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (before, after) = (before_rows.get(k), after_rows.get(k));
        match (before, after) {
            (None, Some(row)) => out.push(change(ChangeKind::NewPrincipal, Some(row), None)),
            (Some(row), None) => out.push(change(ChangeKind::RemovedPrincipal, Some(row), None)),
            _ => {}
        }
        let row = after.or(before).expect("a key comes from one of the two");
        // Clusters in both reports only: a new or removed cluster is one line above.
        for cluster in after_clusters.iter().filter(|c| before_clusters.contains(c)) {
            let (b, a) = (cell_of(before, cluster), cell_of(after, cluster));
            if let Some(kind) = compare(b, a) {
                out.push(Change {
                    before: Some(b.map_or_else(|| "none".to_string(), |c| summary(&c.rights))),
                    after: Some(a.map_or_else(|| "none".to_string(), |c| summary(&c.rights))),
                    ..change(kind, Some(row), Some(cluster))
                });
            }
        }
    }
    out
}

fn cell_of<'a>(row: Option<&'a Row>, cluster: &str) -> Option<&'a Cell> {
    row.and_then(|r| r.cells.iter().find(|c| c.cluster == cluster))
}

fn compare(before: Option<&Cell>, after: Option<&Cell>) -> Option<ChangeKind> {
    let has = |c: Option<&Cell>| c.is_some_and(|c| !c.rights.is_none());
    match (has(before), has(after)) {
        (false, false) => None,
        (false, true) => Some(ChangeKind::Gained),
        (true, false) => Some(ChangeKind::Lost),
        (true, true) if before.map(|c| &c.rights) == after.map(|c| &c.rights) => None,
        (true, true) => Some(ChangeKind::Changed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::rights::{Level, Rights};
    use crate::report::tests::sample;

    fn lines(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {} → {}",
                    c.kind.word(),
                    c.principal.as_deref().unwrap_or("-"),
                    c.cluster.as_deref().unwrap_or("-"),
                    c.before.as_deref().unwrap_or("-"),
                    c.after.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn the_same_report_has_no_change() {
        assert!(diff(&sample(), &sample()).is_empty());
    }

    #[test]
    fn gained_lost_changed_new_and_removed() {
        let previous = sample();
        let mut current = sample();
        // admin loses prod, dev is promoted, bob gains view, a new principal, ghost goes away.
        current.rows[0].cells[0].rights = Rights { cluster: Level::None, namespaces: vec![] };
        current.rows[1].cells[0].rights = Rights { cluster: Level::Admin, namespaces: vec![] };
        current.rows[2].cells[0].rights = Rights { cluster: Level::View, namespaces: vec![] };
        let mut new = current.rows[2].clone();
        new.principal = "arn:aws:iam::111122223333:role/new".into();
        current.rows.push(new);
        // The same role written with a path and another case is not a new principal.
        current.rows[0].principal = "arn:aws:iam::111122223333:role/ops/ADMIN".into();
        current.clusters.remove(1);
        for r in &mut current.rows {
            r.cells.remove(1);
        }
        assert_eq!(
            lines(&diff(&previous, &current)),
            [
                "removed cluster - ghost - → -",
                "lost arn:aws:iam::111122223333:role/ops/ADMIN prod cluster-admin → none",
                "changed arn:aws:iam::111122223333:role/dev prod view; edit in payments → admin",
                "new principal arn:aws:iam::111122223333:role/new - - → -",
                "gained arn:aws:iam::111122223333:role/new prod none → view",
                "gained arn:aws:iam::111122223333:user/bob prod none → view",
            ]
        );
    }
}
