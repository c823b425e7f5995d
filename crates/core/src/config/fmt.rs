//! `accessctl fmt`: one canonical layout for access.kdl files, comments kept.
//!
//! The layout: four-space indents, one node per line, normalised spacing (kdl's autoformat),
//! every string quoted (so names and ARNs look alike), and at most one blank line between nodes,
//! kept where the author put one, so files keep their paragraphs. A file that does not parse is
//! left untouched.

use kdl::{KdlDocument, KdlEntryFormat, KdlValue};

use super::diagnostic::ConfigDiagnostic;
use super::source::SourceFile;

const INDENT: &str = "    ";

/// The file's text in canonical layout.
pub fn format(file: &SourceFile) -> Result<String, Vec<ConfigDiagnostic>> {
    let mut doc: KdlDocument = super::parse(file)?;
    let mut leading = Vec::new();
    collect_leading(&doc, &mut leading);
    quote_strings(&mut doc);
    doc.autoformat();
    restore_leading(&mut doc, &mut leading.into_iter(), 0);
    let mut out = doc.to_string();
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    Ok(out)
}

/// What autoformat would lose of each node, in document order: the text before it (comments,
/// blank lines) and its terminator (which holds a line comment at the end of the node's line).
fn collect_leading(doc: &KdlDocument, out: &mut Vec<(String, String)>) {
    for node in doc.nodes() {
        let (leading, terminator) =
            node.format().map(|f| (f.leading.clone(), f.terminator.clone())).unwrap_or_default();
        out.push((leading, terminator));
        if let Some(children) = node.children() {
            collect_leading(children, out);
        }
    }
}

fn restore_leading(doc: &mut KdlDocument, saved: &mut impl Iterator<Item = (String, String)>, depth: usize) {
    for (i, node) in doc.nodes_mut().iter_mut().enumerate() {
        let (leading, terminator) = saved.next().unwrap_or_default();
        if let Some(format) = node.format_mut() {
            format.leading = layout_leading(&leading, depth, i == 0);
            let comment = terminator.trim();
            if comment.starts_with("//") {
                format.before_terminator = " ".to_string();
                format.terminator = format!("{comment}\n");
            }
        }
        if let Some(children) = node.children_mut() {
            restore_leading(children, saved, depth + 1);
        }
    }
}

/// Comments re-indented, runs of blank lines folded into one, none at the top of a block.
fn layout_leading(original: &str, depth: usize, first_in_block: bool) -> String {
    let indent = INDENT.repeat(depth);
    let mut out = String::new();
    let mut blank = false;
    let mut lines: Vec<&str> = original.split('\n').collect();
    // The last piece is the indentation in front of the node itself, not a line of its own.
    lines.pop();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            blank = !(first_in_block && out.is_empty());
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(&indent);
        out.push_str(line);
        out.push('\n');
    }
    if blank {
        out.push('\n');
    }
    out.push_str(&indent);
    out
}

/// Fixes each entry's text: strings quoted, values as written otherwise, and an inline
/// `/* comment */` in front of an entry kept.
fn quote_strings(doc: &mut KdlDocument) {
    for node in doc.nodes_mut() {
        for entry in node.entries_mut() {
            let (written, comment) =
                entry.format().map(|f| (f.value_repr.clone(), f.leading.trim().to_string())).unwrap_or_default();
            let value_repr = match entry.value() {
                KdlValue::String(s) => quote(s),
                _ if !written.is_empty() => written,
                other => other.to_string(),
            };
            let leading = if comment.is_empty() { " ".to_string() } else { format!(" {comment} ") };
            entry.set_format(KdlEntryFormat { value_repr, leading, autoformat_keep: true, ..Default::default() });
        }
        if let Some(children) = node.children_mut() {
            quote_strings(children);
        }
    }
}

/// A KDL v2 quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format(&SourceFile::new("t.kdl", text)).unwrap()
    }

    #[test]
    fn lays_out_nodes_and_keeps_comments_and_paragraphs() {
        let text = "// who may get in\n\n\n\ncluster   a{ region \"eu-west-1\" // the region\n\n\n  access-entry \"x\"   {policy AmazonEKSViewPolicy}}";
        let out = fmt(text);
        assert_eq!(
            out,
            "// who may get in\n\ncluster \"a\" {\n    region \"eu-west-1\" // the region\n\n    access-entry \"x\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n}\n"
        );
    }

    #[test]
    fn quotes_with_escapes_and_round_trips() {
        let out = fmt("principal \"a\\\"b\" \"x\\\\y\"\n");
        assert_eq!(out, "principal \"a\\\"b\" \"x\\\\y\"\n");
    }

    #[test]
    fn is_idempotent() {
        let once =
            fmt("cluster \"a\" {\nregion /* here */ \"eu-west-1\"\n\n/- prune #true\n  // line\n prune #false\n}\n");
        assert!(once.contains("region /* here */ \"eu-west-1\""), "{once}");
        assert!(once.contains("/- prune #true"), "{once}");
        assert_eq!(fmt(&once), once);
    }
}
