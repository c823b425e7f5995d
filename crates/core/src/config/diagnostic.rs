//! Diagnostics about configuration files: one type for every problem `validate` can report.
//!
//! Each diagnostic carries a stable code (`accessctl::config::…`), the file it is about, labelled
//! spans into that file, and a help text that states the fix. Problems that involve two files (the
//! same principal declared twice) carry the second place as a related diagnostic.
//! Rendering is miette's job at the edge; nothing here prints.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceSpan};

use super::source::SourceFile;

/// The stable identity of a kind of problem. The string form is part of accessctl's interface:
/// scripts may match on it, so codes are only ever added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Syntax,
    Io,
    UnknownNode,
    UnknownProperty,
    DuplicateNode,
    DuplicateProperty,
    WrongType,
    MissingValue,
    TooManyArguments,
    InvalidValue,
    MissingChildren,
    UnexpectedChildren,
    InvalidArn,
    AssumedRoleArn,
    ServiceLinkedRole,
    RolePathInAwsAuth,
    UnknownPrincipal,
    DuplicatePrincipalName,
    DuplicatePrincipal,
    DuplicateClusterSetting,
    MissingRegion,
    ReservedGroup,
    ReservedUsername,
    SessionNameWithoutColon,
    NotStandardEntry,
    WrongPrincipalKind,
    CrossAccountNode,
    UnknownPolicy,
    ScopeWithoutNamespaces,
    NamespacesWithClusterScope,
    DuplicatePolicy,
    EntriesOnConfigMapCluster,
    MappingsIgnoredInApiMode,
    UnusedGroupBinding,
    InvalidBinding,
    InvalidTag,
    InvalidClusterName,
    InvalidRegion,
    InvalidAccount,
    InvalidOwner,
    InvalidRole,
    DuplicateRole,
    InvalidPermissionSet,
    PermissionSetNeedsAccount,
    NoFiles,
    InvalidExpectation,
    ExpectationFails,
    ExpectationUnknown,
    GuardrailBroken,
    GuardrailUnchecked,
    PlanProblem,
    PlanGuard,
    UnusualRequest,
    PlanRead,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "accessctl::config::syntax",
            Code::Io => "accessctl::config::io",
            Code::UnknownNode => "accessctl::config::unknown_node",
            Code::UnknownProperty => "accessctl::config::unknown_property",
            Code::DuplicateNode => "accessctl::config::duplicate_node",
            Code::DuplicateProperty => "accessctl::config::duplicate_property",
            Code::WrongType => "accessctl::config::wrong_type",
            Code::MissingValue => "accessctl::config::missing_value",
            Code::TooManyArguments => "accessctl::config::too_many_arguments",
            Code::InvalidValue => "accessctl::config::invalid_value",
            Code::MissingChildren => "accessctl::config::missing_children",
            Code::UnexpectedChildren => "accessctl::config::unexpected_children",
            Code::InvalidArn => "accessctl::config::invalid_arn",
            Code::AssumedRoleArn => "accessctl::config::assumed_role_arn",
            Code::ServiceLinkedRole => "accessctl::config::service_linked_role",
            Code::RolePathInAwsAuth => "accessctl::config::role_path_in_aws_auth",
            Code::UnknownPrincipal => "accessctl::config::unknown_principal",
            Code::DuplicatePrincipalName => "accessctl::config::duplicate_principal_name",
            Code::DuplicatePrincipal => "accessctl::config::duplicate_principal",
            Code::DuplicateClusterSetting => "accessctl::config::duplicate_cluster_setting",
            Code::MissingRegion => "accessctl::config::missing_region",
            Code::ReservedGroup => "accessctl::config::reserved_group",
            Code::ReservedUsername => "accessctl::config::reserved_username",
            Code::SessionNameWithoutColon => "accessctl::config::session_name_without_colon",
            Code::NotStandardEntry => "accessctl::config::not_standard_entry",
            Code::WrongPrincipalKind => "accessctl::config::wrong_principal_kind",
            Code::CrossAccountNode => "accessctl::config::cross_account_node",
            Code::UnknownPolicy => "accessctl::config::unknown_policy",
            Code::ScopeWithoutNamespaces => "accessctl::config::scope_without_namespaces",
            Code::NamespacesWithClusterScope => "accessctl::config::namespaces_with_cluster_scope",
            Code::DuplicatePolicy => "accessctl::config::duplicate_policy",
            Code::EntriesOnConfigMapCluster => "accessctl::config::entries_on_config_map_cluster",
            Code::MappingsIgnoredInApiMode => "accessctl::config::mappings_ignored_in_api_mode",
            Code::UnusedGroupBinding => "accessctl::config::unused_group_binding",
            Code::InvalidBinding => "accessctl::config::invalid_binding",
            Code::InvalidTag => "accessctl::config::invalid_tag",
            Code::InvalidClusterName => "accessctl::config::invalid_cluster_name",
            Code::InvalidRegion => "accessctl::config::invalid_region",
            Code::InvalidAccount => "accessctl::config::invalid_account",
            Code::InvalidOwner => "accessctl::config::invalid_owner",
            Code::InvalidRole => "accessctl::config::invalid_role",
            Code::DuplicateRole => "accessctl::config::duplicate_role",
            Code::InvalidPermissionSet => "accessctl::config::invalid_permission_set",
            Code::PermissionSetNeedsAccount => "accessctl::config::permission_set_needs_account",
            Code::NoFiles => "accessctl::config::no_files",
            Code::InvalidExpectation => "accessctl::config::invalid_expectation",
            Code::ExpectationFails => "accessctl::expect::fails",
            Code::ExpectationUnknown => "accessctl::expect::unknown",
            Code::GuardrailBroken => "accessctl::guardrail::broken",
            Code::GuardrailUnchecked => "accessctl::guardrail::unchecked",
            Code::PlanProblem => "accessctl::plan::problem",
            Code::PlanGuard => "accessctl::plan::guard",
            Code::UnusualRequest => "accessctl::config::unusual_request",
            Code::PlanRead => "accessctl::plan::read",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in one configuration file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConfigDiagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// `None` only for problems that belong to no file (no files given at all).
    pub src: Option<NamedSource<Arc<String>>>,
    pub labels: Vec<LabeledSpan>,
    pub related: Vec<ConfigDiagnostic>,
}

impl ConfigDiagnostic {
    pub fn error(code: Code, file: &SourceFile, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, Some(file), message)
    }

    pub fn warning(code: Code, file: &SourceFile, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, Some(file), message)
    }

    /// A pointer to a second place that belongs to another diagnostic.
    pub fn note(code: Code, file: &SourceFile, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Advice, Some(file), message)
    }

    /// A problem that is about no particular file.
    pub fn global(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, None, message)
    }

    fn new(code: Code, severity: Severity, file: Option<&SourceFile>, message: impl Into<String>) -> Self {
        ConfigDiagnostic {
            code,
            severity,
            message: message.into(),
            help: None,
            src: file.map(SourceFile::named_source),
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    pub fn label(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels.push(LabeledSpan::new_with_span(Some(text.into()), span));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, other: ConfigDiagnostic) -> Self {
        self.related.push(other);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The byte offset of the first label, for ordering diagnostics as they appear in the file.
    pub fn offset(&self) -> usize {
        self.labels.first().map(|l| l.offset()).unwrap_or(0)
    }

    pub fn file_name(&self) -> &str {
        self.src.as_ref().map(|s| s.name()).unwrap_or("")
    }

    /// Where each label is, as lines and columns (1-based, columns in characters).
    pub fn regions(&self) -> Vec<Region> {
        let Some(src) = &self.src else { return vec![] };
        self.labels.iter().filter_map(|l| Region::of(src.inner(), l.offset(), l.len(), l.label())).collect()
    }
}

/// A labelled range of a file in lines and columns, for formats that speak so (SARIF, markdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: Option<String>,
}

impl Region {
    fn of(text: &str, offset: usize, len: usize, label: Option<&str>) -> Option<Region> {
        // KDL's newlines: CRLF (one), CR, LF, VT, FF, NEL, LS and PS.
        let position = |at: usize| -> Option<(usize, usize)> {
            let before = text.get(..at)?;
            let (mut line, mut column, mut after_cr) = (1, 1, false);
            for c in before.chars() {
                match c {
                    '\n' if after_cr => {}
                    '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                        (line, column) = (line + 1, 1)
                    }
                    _ => column += 1,
                }
                after_cr = c == '\r';
            }
            Some((line, column))
        };
        let (start_line, start_column) = position(offset)?;
        let (end_line, end_column) = position(offset + len)?;
        Some(Region { start_line, start_column, end_line, end_column, label: label.map(str::to_string) })
    }
}

impl Diagnostic for ConfigDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() { None } else { Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic))) }
    }
}

/// Every problem found in a set of files, errors and warnings, in file order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<ConfigDiagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: ConfigDiagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = ConfigDiagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(ConfigDiagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ConfigDiagnostic> {
        self.items.iter()
    }

    /// Orders diagnostics by file, then by position, so output reads top to bottom.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| a.file_name().cmp(b.file_name()).then(a.offset().cmp(&b.offset())));
    }

    pub fn into_vec(self) -> Vec<ConfigDiagnostic> {
        self.items
    }
}

/// The closest of `candidates` to `input`, when it is close enough to be worth suggesting.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, strsim::jaro_winkler(&lower, &c.to_ascii_lowercase())))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_kdl_counts_them() {
        let at = |text: &str, offset: usize| {
            let r = Region::of(text, offset, 1, None).unwrap();
            (r.start_line, r.start_column)
        };
        assert_eq!(at("a\nb\nxc", 5), (3, 2));
        assert_eq!(at("a\r\nb\r\nxc", 7), (3, 2));
        assert_eq!(at("a\rb\rxc", 5), (3, 2));
        assert_eq!(at("a\u{2028}bx", 5), (2, 2));
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["access-entry", "aws-auth", "authentication-mode"];
        assert_eq!(did_you_mean("acess-entry", names), Some("access-entry"));
        assert_eq!(did_you_mean("authmode", names), None);
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
