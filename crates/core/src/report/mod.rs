//! `report`: an access review across clusters for an auditor — every principal the clusters or
//! the files name × every cluster, with its effective rights, how each is granted, what is not
//! managed by the files, and what changed since a previous report.
//!
//! The data is built once ([`build`], asking the access model: `authenticate`, `holdings`,
//! [`crate::access::rights::effective_rights`]) and rendered by separate renderers (HTML,
//! markdown, CSV, JSON) from the same [`Report`], so the formats cannot disagree. The JSON form
//! is also the input of a later run's `--previous` ([`from_json`]). No I/O here: the binary
//! reads clusters and files and writes the output.

pub mod build;
pub mod csv;
pub mod diff;
pub mod html;
pub mod managed;
pub mod markdown;

use serde::{Deserialize, Serialize};

pub use build::{ClusterInput, build};
pub use diff::{Change, ChangeKind, diff};

use crate::access::rights::{Level, Rights};
use crate::explain::Source;
use crate::model::AuthMode;

/// The version of the JSON form; a previous report of another version is refused, not misread.
pub const FORMAT: u32 = 1;

/// An access review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    /// When it was made (RFC 3339), if the maker said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    /// `live` (read from the clusters) or `offline` (what the files would grant).
    pub source: String,
    pub clusters: Vec<ClusterColumn>,
    /// Sorted by principal ARN; each row has one cell per cluster, in the clusters' order.
    pub rows: Vec<Row>,
    /// What changed since a previous report, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<ChangedSince>,
}

/// One cluster of the review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterColumn {
    pub name: String,
    /// Its authentication mode (none when it could not be read).
    pub mode: Option<AuthMode>,
    /// Why part of the answer for this cluster is unknown: the cluster could not be read, or its
    /// access entries or aws-auth could not (then whom they name is not listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    /// What the review must add: who else holds access that no configuration shows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One principal across the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The IAM principal's ARN (for `mapAccounts`, a stand-in for any principal of the account).
    pub principal: String,
    /// Its name in the files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Set when the row stands for any principal of this account (`mapAccounts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of_account: Option<String>,
    pub cells: Vec<Cell>,
}

impl Row {
    /// How a person reads the principal: its name, or what it stands for.
    pub fn label(&self) -> String {
        match (&self.any_of_account, &self.name) {
            (Some(account), _) => format!("any IAM principal of account {account}"),
            (None, Some(name)) => name.clone(),
            (None, None) => String::new(),
        }
    }
}

/// One principal on one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub cluster: String,
    pub rights: Rights,
    /// How it gets in (none: not let in, or unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Source>,
    /// Whether the files declare that way in (entry or mapping) for this cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<Managed>,
    /// The Kubernetes username it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// What it holds: access policies, `system:masters`, RBAC bindings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Granted>,
    /// What the reader must know besides (not let in, and why; a node's Node authorizer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Cell {
    /// Whether anything about this cell is unknown.
    pub fn is_unknown(&self) -> bool {
        self.rights.is_unknown()
    }

    /// Anything it gets through what the files do not declare.
    pub fn has_unmanaged(&self) -> bool {
        self.managed == Some(Managed::Unmanaged) || self.grants.iter().any(|g| g.managed == Managed::Unmanaged)
    }
}

/// One thing a principal holds, as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Granted {
    pub what: String,
    pub managed: Managed,
}

/// Whether the files own something that gives access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Managed {
    /// The files declare it for this cluster.
    #[serde(rename = "managed")]
    Declared,
    /// Live, but no file declares it: someone made it outside accessctl.
    Unmanaged,
    /// Kubernetes' or EKS's own (default bindings, the cluster creator): nothing to declare.
    BuiltIn,
}

impl Managed {
    pub fn word(self) -> &'static str {
        match self {
            Managed::Declared => "managed",
            Managed::Unmanaged => "unmanaged",
            Managed::BuiltIn => "built-in",
        }
    }
}

/// What changed since a previous report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedSince {
    /// When the previous report was made, if it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_generated_at: Option<String>,
    pub changes: Vec<Change>,
}

impl Report {
    /// What the review covers, from where and when, in one line (every rendering opens with it).
    pub fn headline(&self) -> String {
        let source =
            if self.source == "live" { "read from the clusters" } else { "what the files would grant (offline)" };
        let when = self.generated_at.as_deref().map(|t| format!(", made {t}")).unwrap_or_default();
        format!("{} principals × {} clusters, {source}{when}", self.rows.len(), self.clusters.len())
    }

    /// Whether anything in the review is unknown (a cluster, a cell).
    pub fn has_unknown(&self) -> bool {
        self.clusters.iter().any(|c| c.unknown.is_some())
            || self.rows.iter().flat_map(|r| &r.cells).any(Cell::is_unknown)
    }
}

/// Rights in one line: `view; edit in payments`, `cluster-admin`, `none`, `unknown (why)`.
pub fn summary(rights: &Rights) -> String {
    let mut parts = vec![];
    if rights.cluster != Level::None || rights.namespaces.is_empty() {
        parts.push(rights.cluster.to_string());
    }
    for (ns, level) in &rights.namespaces {
        parts.push(format!("{level} in {ns}"));
    }
    parts.join("; ")
}

/// The level words of a cell, as a class or a filter uses them: `view edit` (cluster-wide first).
pub fn level_words(rights: &Rights) -> String {
    let mut words = vec![rights.cluster.word()];
    words.extend(rights.namespaces.iter().map(|(_, l)| l.word()));
    words.dedup();
    words.join(" ")
}

/// How a principal gets in, in words.
pub fn way_in(source: &Source) -> &'static str {
    match source {
        Source::AccessEntry => "access entry",
        Source::AwsAuthMapRoles => "aws-auth mapRoles",
        Source::AwsAuthMapUsers => "aws-auth mapUsers",
        Source::AwsAuthMapAccounts => "aws-auth mapAccounts",
        Source::ClusterCreator => "cluster creator",
    }
}

/// A cell in one line, for tables: rights, then how it gets in and whether that is managed.
pub fn cell_line(cell: &Cell) -> String {
    let mut out = summary(&cell.rights);
    if let Some(via) = &cell.via {
        out.push_str(&format!(" — via {}", way_in(via)));
        if let Some(m) = cell.managed {
            out.push_str(&format!(" ({})", m.word()));
        }
    }
    if cell.grants.iter().any(|g| g.managed == Managed::Unmanaged) && cell.managed != Some(Managed::Unmanaged) {
        out.push_str(" — unmanaged grant");
    }
    out
}

/// The JSON form (the input of a later `--previous`).
pub fn to_json(report: &Report) -> String {
    // A report is plain data: strings, numbers, lists. Serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// Why a previous report cannot be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PreviousError {
    #[error("the previous report is not an accessctl report in JSON: {0}")]
    #[diagnostic(
        code(accessctl::report::previous_unreadable),
        help("give the JSON that `accessctl report --format json` wrote (not the HTML, markdown or CSV)")
    )]
    NotAReport(String),
    #[error("the previous report is of format {found}; this accessctl reads format {expected}")]
    #[diagnostic(
        code(accessctl::report::previous_format),
        help(
            "make the previous report again with this version of accessctl, or compare with the version that made it"
        )
    )]
    Format { found: u32, expected: u32 },
}

/// Reads a previous report written by [`to_json`].
pub fn from_json(text: &str) -> Result<Report, PreviousError> {
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let version: Version = serde_json::from_str(text).map_err(|e| PreviousError::NotAReport(e.to_string()))?;
    if version.format != FORMAT {
        return Err(PreviousError::Format { found: version.format, expected: FORMAT });
    }
    serde_json::from_str(text).map_err(|e| PreviousError::NotAReport(e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small report by hand: two clusters (one unreadable), three principals.
    pub fn sample() -> Report {
        let cell = |cluster: &str, rights: Rights, via: Option<Source>, managed: Option<Managed>| Cell {
            cluster: cluster.into(),
            rights,
            via,
            managed,
            username: None,
            grants: vec![],
            note: None,
        };
        let r = |cluster: Level, namespaces: Vec<(&str, Level)>| Rights {
            cluster,
            namespaces: namespaces.into_iter().map(|(n, l)| (n.to_string(), l)).collect(),
        };
        let unreadable = || r(Level::Unknown("the cluster cannot be read: 403".into()), vec![]);
        Report {
            format: FORMAT,
            generated_at: Some("2026-01-01T00:00:00Z".into()),
            source: "live".into(),
            clusters: vec![
                ClusterColumn { name: "prod".into(), mode: Some(AuthMode::Api), unknown: None, notes: vec![] },
                ClusterColumn {
                    name: "ghost".into(),
                    mode: None,
                    unknown: Some("the cluster cannot be read: 403".into()),
                    notes: vec![],
                },
            ],
            rows: vec![
                Row {
                    principal: "arn:aws:iam::111122223333:role/admin".into(),
                    name: Some("admin".into()),
                    any_of_account: None,
                    cells: vec![
                        Cell {
                            grants: vec![Granted {
                                what: "access policy AmazonEKSClusterAdminPolicy (cluster)".into(),
                                managed: Managed::Declared,
                            }],
                            ..cell(
                                "prod",
                                r(Level::ClusterAdmin, vec![]),
                                Some(Source::AccessEntry),
                                Some(Managed::Declared),
                            )
                        },
                        cell("ghost", unreadable(), None, None),
                    ],
                },
                Row {
                    principal: "arn:aws:iam::111122223333:role/dev".into(),
                    name: Some("<script>alert(1)</script>, \"dev\"".into()),
                    any_of_account: None,
                    cells: vec![
                        cell(
                            "prod",
                            r(Level::View, vec![("payments", Level::Edit)]),
                            Some(Source::AccessEntry),
                            Some(Managed::Unmanaged),
                        ),
                        cell("ghost", unreadable(), None, None),
                    ],
                },
                Row {
                    principal: "arn:aws:iam::111122223333:user/bob".into(),
                    name: None,
                    any_of_account: None,
                    cells: vec![
                        Cell { note: Some("not let in".into()), ..cell("prod", r(Level::None, vec![]), None, None) },
                        cell("ghost", unreadable(), None, None),
                    ],
                },
            ],
            changed_since: None,
        }
    }

    #[test]
    fn json_round_trips_and_a_bad_previous_is_a_typed_error() {
        let report = sample();
        assert_eq!(from_json(&to_json(&report)).unwrap(), report);
        assert!(matches!(from_json("<html>"), Err(PreviousError::NotAReport(_))));
        assert!(matches!(from_json("{\"format\": 99}"), Err(PreviousError::Format { found: 99, .. })));
        assert!(matches!(from_json("{\"format\": 1}"), Err(PreviousError::NotAReport(_))));
    }

    #[test]
    fn summaries_name_the_cluster_wide_level_then_each_namespace() {
        let rows = &sample().rows;
        assert_eq!(summary(&rows[0].cells[0].rights), "cluster-admin");
        assert_eq!(summary(&rows[1].cells[0].rights), "view; edit in payments");
        assert_eq!(summary(&rows[2].cells[0].rights), "none");
        assert_eq!(summary(&rows[2].cells[1].rights), "unknown (the cluster cannot be read: 403)");
        let only_ns = Rights { cluster: Level::None, namespaces: vec![("web".into(), Level::Admin)] };
        assert_eq!(summary(&only_ns), "admin in web");
        assert_eq!(cell_line(&rows[1].cells[0]), "view; edit in payments — via access entry (unmanaged)");
        assert!(sample().has_unknown());
    }
}
