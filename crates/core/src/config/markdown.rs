//! Diagnostics as a markdown table, for a pull request's comment.

use std::fmt::Write;

use miette::Severity;

use super::diagnostic::ConfigDiagnostic;

/// Text in a table cell: `|` escaped, line breaks and other markup characters made inert. Every
/// markdown table accessctl writes (validate, plan, report) escapes its cells here.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text as code in a table cell: markup is inert inside a code span, but a `|` still ends the
/// cell unless escaped, and a backtick would end the span.
pub fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace('|', "\\|").replace(['\n', '\r'], " "))
}

/// `title`, a count, and one row per diagnostic (none: a line saying so).
pub fn markdown<'a>(title: &str, diagnostics: impl IntoIterator<Item = &'a ConfigDiagnostic>) -> String {
    let diagnostics: Vec<&ConfigDiagnostic> = diagnostics.into_iter().collect();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    let mut out = format!("### {title}: {errors} error(s), {warnings} warning(s)\n\n");
    if diagnostics.is_empty() {
        out.push_str("Nothing to report.\n");
        return out;
    }
    out.push_str("| | where | problem | fix | code |\n|---|---|---|---|---|\n");
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "❌ error",
            Severity::Warning => "⚠️ warning",
            Severity::Advice => "ℹ️ note",
        };
        let place = match d.regions().first() {
            Some(r) => code(&format!("{}:{}:{}", d.file_name(), r.start_line, r.start_column)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "| {level} | {place} | {} | {} | {} |",
            cell(&d.message),
            cell(d.help.as_deref().unwrap_or("")),
            code(d.code.as_str())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SourceFile, load};

    #[test]
    fn a_row_per_diagnostic_with_its_place() {
        let loaded = load(&[SourceFile::new("a.kdl", "cluster \"c\" {\n  regoin \"x|y\"\n}\n")]);
        let md = markdown("accessctl validate", loaded.diagnostics.iter());
        assert!(md.starts_with("### accessctl validate: 2 error(s), 0 warning(s)\n"), "{md}");
        assert!(md.contains("| ❌ error | `a.kdl:2:3` | unknown node \\`regoin\\` inside \\`cluster\\` |"), "{md}");
        assert_eq!(md.lines().filter(|l| l.starts_with("| ❌")).count(), 2, "{md}");
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc<script>"), "a\\|b c&lt;script&gt;");
        assert_eq!(cell("AWSReservedSSO_Admin `x`"), "AWSReservedSSO\\_Admin \\`x\\`");
        assert_eq!(code("my_file.kdl|`x`\n"), "`my_file.kdl\\|'x' `");
    }
}
