//! The review as one self-contained HTML page for an auditor: inline CSS, no script, no external
//! URL of any kind, and a Content-Security-Policy that forbids the page any request at view time.
//! Every string (ARNs, names, notes come from files and live state) is escaped.
//!
//! The rights table is `table#rights`: one `tr[data-principal]` per principal, a `th.principal`
//! with the ARN, a `td.name`, and one `td.cell[data-cluster][data-levels]` per cluster whose
//! `.rights` holds the one-line rights; tests read it through the DOM.

use super::{Cell, Change, Report, level_words, summary, way_in};

/// Text made safe anywhere in HTML, attribute values included.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --fg: #1d2330; --muted: #5b6475; --line: #d7dbe3; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #fff; }
header { background: #1f2a44; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9d2e6; }
main { padding: 8px 28px 28px; }
h2 { font-size: 17px; margin: 22px 0 8px; }
ul.clusters { margin: 0; padding-left: 18px; }
.unknown-text { color: #8a4b00; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top; text-align: left; }
thead th { background: var(--bg); position: sticky; top: 0; }
th.principal { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: normal; word-break: break-all; max-width: 340px; }
td.name { font-weight: 600; }
td.cell .rights { font-weight: 600; }
td.cell .via, td.cell .note { color: var(--muted); font-size: 12px; }
td.cell details { font-size: 12px; margin-top: 2px; }
td.cell details ul { margin: 4px 0 0; padding-left: 16px; }
.level-cluster-admin { background: #fde2e1; }
.level-admin { background: #fdebd3; }
.level-edit { background: #fdf6cf; }
.level-view { background: #e3f4e4; }
.level-custom { background: #ece4fb; }
.level-node { background: #e8ecf2; }
.level-none { background: #fff; color: var(--muted); }
.level-unknown { background: repeating-linear-gradient(45deg, #fff4e0, #fff4e0 6px, #ffe9c2 6px, #ffe9c2 12px); }
.badge { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; margin-left: 4px; }
.badge.unmanaged { background: #b3261e; color: #fff; }
.badge.managed { background: #d9e7dc; color: #1e4620; }
.badge.built-in { background: #e1e5ec; color: #333; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid var(--line); }
table.changes td.kind { font-weight: 600; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 20px; }
"#;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing may be fetched: not a font, not an image, not a script.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>Access review</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<header>\n<h1>Access review</h1>\n");
    out.push_str(&format!("<p>{}</p>\n</header>\n<main>\n", escape(&report.headline())));
    out.push_str("<h2>Clusters</h2>\n<ul class=\"clusters\">\n");
    for c in &report.clusters {
        let mode = c.mode.map(|m| m.as_str()).unwrap_or("mode unknown");
        out.push_str(&format!(
            "<li data-cluster=\"{}\"><strong>{}</strong> ({mode})",
            escape(&c.name),
            escape(&c.name)
        ));
        if let Some(why) = &c.unknown {
            out.push_str(&format!(" — <span class=\"unknown-text\">unknown: {}</span>", escape(why)));
        }
        if !c.notes.is_empty() {
            out.push_str("<ul>");
            for n in &c.notes {
                out.push_str(&format!("<li>{}</li>", escape(n)));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n<h2>Rights</h2>\n<p class=\"legend\">");
    for level in ["cluster-admin", "admin", "edit", "view", "custom", "node", "none", "unknown"] {
        out.push_str(&format!("<span class=\"level-{level}\">{level}</span>"));
    }
    out.push_str("</p>\n<table id=\"rights\">\n<thead><tr><th>Principal</th><th>Name</th>");
    for c in &report.clusters {
        out.push_str(&format!("<th data-cluster=\"{}\">{}</th>", escape(&c.name), escape(&c.name)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &report.rows {
        out.push_str(&format!(
            "<tr data-principal=\"{}\"><th scope=\"row\" class=\"principal\">{}</th><td class=\"name\">{}</td>",
            escape(&row.principal),
            escape(&row.principal),
            escape(&row.label())
        ));
        for c in &row.cells {
            out.push_str(&cell(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(changed) = &report.changed_since {
        let since = changed.previous_generated_at.as_deref().map(|t| format!(" ({})", escape(t))).unwrap_or_default();
        out.push_str(&format!("<h2 id=\"changes\">Changed since the previous report{since}</h2>\n"));
        if changed.changes.is_empty() {
            out.push_str("<p>Nothing changed.</p>\n");
        } else {
            let head: String = Change::COLUMNS.iter().map(|c| format!("<th>{c}</th>")).collect();
            out.push_str(&format!(
                "<table class=\"changes\" id=\"changes-table\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            ));
            for ch in &changed.changes {
                let [kind, rest @ ..] = ch.cells();
                let rest: String = rest.iter().map(|c| format!("<td>{}</td>", escape(c))).collect();
                out.push_str(&format!("<tr><td class=\"kind\">{kind}</td>{rest}</tr>\n"));
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
    out.push_str("</main>\n<footer>Made by accessctl report from the access model: each right is what the cluster's authorizers would allow, probed against the EKS access policies' published rules.</footer>\n</body>\n</html>\n");
    out
}

fn cell(c: &Cell) -> String {
    let words = level_words(&c.rights);
    let main_level = c.rights.cluster.word();
    // Coloured by the highest thing held: the namespaces' level when the cluster-wide one is none.
    let colour = match (main_level, c.rights.namespaces.first()) {
        ("none", Some((_, l))) => l.word(),
        _ => main_level,
    };
    let mut out = format!(
        "<td class=\"cell level-{colour}{}\" data-cluster=\"{}\" data-levels=\"{}\"><div class=\"rights\">{}</div>",
        if c.has_unmanaged() { " unmanaged" } else { "" },
        escape(&c.cluster),
        escape(&words),
        escape(&summary(&c.rights))
    );
    if let Some(via) = &c.via {
        out.push_str(&format!("<div class=\"via\">via {}", way_in(via)));
        if let Some(m) = c.managed {
            out.push_str(&format!("<span class=\"badge {}\">{}</span>", m.word(), m.word()));
        }
        out.push_str("</div>");
    }
    if let Some(note) = &c.note {
        out.push_str(&format!("<div class=\"note\">{}</div>", escape(note)));
    }
    if !c.grants.is_empty() {
        out.push_str("<details><summary>how</summary><ul>");
        if let Some(user) = &c.username {
            out.push_str(&format!("<li>username {}</li>", escape(user)));
        }
        for g in &c.grants {
            out.push_str(&format!(
                "<li>{}<span class=\"badge {}\">{}</span></li>",
                escape(&g.what),
                g.managed.word(),
                g.managed.word()
            ));
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</td>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn every_string_is_escaped_and_nothing_is_fetched() {
        let mut report = sample();
        report.rows[0].cells[0].note = Some("\"><img src=x onerror=alert(1)>".into());
        report.clusters[0].notes.push("<b>bold</b> & 'quoted'".into());
        let page = render(&report);
        assert!(!page.contains("<script"), "a name with <script> stays text");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;, &quot;dev&quot;"));
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
        // (`src=x` survives as text inside the escaped note; an attribute would need a real quote.)
        for needle in ["http://", "https://", "src=\"", "href=\"", "@import", "url("] {
            assert!(!page.contains(needle), "{needle} in the page");
        }
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn the_table_has_a_row_per_principal_and_a_cell_per_cluster() {
        let page = render(&sample());
        assert_eq!(page.matches("<tr data-principal=").count(), 3);
        assert_eq!(page.matches("<td class=\"cell ").count(), 6);
        assert!(page.contains(
            "data-cluster=\"prod\" data-levels=\"view edit\"><div class=\"rights\">view; edit in payments</div>"
        ));
        assert!(page.contains("class=\"cell level-view unmanaged\""));
        assert!(page.contains("class=\"cell level-unknown\" data-cluster=\"ghost\""));
    }
}
