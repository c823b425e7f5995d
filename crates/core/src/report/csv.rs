//! The review as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, a quote or a
//! line break quoted, quotes doubled): one line per principal × cluster, then — with a previous
//! report — one line per change, told apart by the first column (`rights` or `change`).

use super::{Report, level_words, summary, way_in};

/// The columns, in order.
pub const HEADER: &[&str] = &[
    "section",
    "principal",
    "name",
    "cluster",
    "rights",
    "levels",
    "via",
    "managed",
    "username",
    "grants",
    "unmanaged_grants",
    "note",
    "change",
    "before",
    "after",
];

/// One field, quoted when RFC 4180 requires it.
pub fn field(text: &str) -> String {
    // A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return
    // before one) as a formula: usernames and names come from live state and files, so such a
    // cell is opened as text (OWASP's CSV-injection advice: a leading `'`).
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\r', '\n']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn line(fields: &[&str]) -> String {
    let mut out = fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

pub fn render(report: &Report) -> String {
    let mut out = line(HEADER);
    for row in &report.rows {
        let name = row.label();
        for c in &row.cells {
            let grants = c.grants.iter().map(|g| g.what.as_str()).collect::<Vec<_>>().join("; ");
            let unmanaged = c
                .grants
                .iter()
                .filter(|g| g.managed == super::Managed::Unmanaged)
                .map(|g| g.what.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            out.push_str(&line(&[
                "rights",
                &row.principal,
                &name,
                &c.cluster,
                &summary(&c.rights),
                &level_words(&c.rights),
                c.via.as_ref().map(way_in).unwrap_or(""),
                c.managed.map(|m| m.word()).unwrap_or(""),
                c.username.as_deref().unwrap_or(""),
                &grants,
                &unmanaged,
                c.note.as_deref().unwrap_or(""),
                "",
                "",
                "",
            ]));
        }
    }
    for ch in report.changed_since.iter().flat_map(|c| &c.changes) {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        out.push_str(&line(&[
            "change",
            &opt(&ch.principal),
            &opt(&ch.name),
            &opt(&ch.cluster),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            ch.kind.word(),
            &opt(&ch.before),
            &opt(&ch.after),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_text() {
        assert_eq!(field("=HYPERLINK(\"http://x/\",\"a\")"), "\"'=HYPERLINK(\"\"http://x/\"\",\"\"a\"\")\"");
        assert_eq!(field("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(field("@SUM(1)"), "'@SUM(1)");
        assert_eq!(field("arn:aws:iam::1:role/x"), "arn:aws:iam::1:role/x");
    }

    #[test]
    fn rfc_4180_quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(" padded"), "\" padded\"");
    }

    #[test]
    fn one_line_per_principal_and_cluster_with_the_header_first() {
        let text = render(&sample());
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(lines.len(), 1 + 3 * 2 + 1, "{text}");
        assert_eq!(
            lines[1],
            "rights,arn:aws:iam::111122223333:role/admin,admin,prod,cluster-admin,cluster-admin,access entry,managed,,access policy AmazonEKSClusterAdminPolicy (cluster),,,,,"
        );
        assert!(
            lines[3].contains(",\"<script>alert(1)</script>, \"\"dev\"\"\",prod,view; edit in payments,view edit,"),
            "{}",
            lines[3]
        );
    }
}
