//! The review as markdown (GitHub-flavoured tables): the rights table (principal × cluster), the
//! clusters and what they leave unknown, how each right is granted, and what changed.

use super::{Change, Report, cell_line, summary, way_in};
use crate::config::markdown::cell;

pub fn render(report: &Report) -> String {
    let mut out = String::from("# Access review\n\n");
    out.push_str(&format!("{}.\n\n", report.headline()));
    out.push_str("## Clusters\n\n");
    for c in &report.clusters {
        let mode = c.mode.map(|m| m.as_str()).unwrap_or("mode unknown");
        out.push_str(&format!("- **{}** ({mode})", cell(&c.name)));
        if let Some(why) = &c.unknown {
            out.push_str(&format!(" — unknown: {}", cell(why)));
        }
        out.push('\n');
        for n in &c.notes {
            out.push_str(&format!("  - {}\n", cell(n)));
        }
    }
    out.push_str("\n## Rights\n\n| Principal | Name |");
    for c in &report.clusters {
        out.push_str(&format!(" {} |", cell(&c.name)));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(report.clusters.len()));
    out.push('\n');
    for row in &report.rows {
        out.push_str(&format!("| {} | {} |", cell(&row.principal), cell(&row.label())));
        for c in &row.cells {
            out.push_str(&format!(" {} |", cell(&cell_line(c))));
        }
        out.push('\n');
    }
    out.push_str("\n## How each is granted\n\n");
    for row in &report.rows {
        for c in &row.cells {
            if c.via.is_none() && c.note.is_none() && !c.is_unknown() {
                continue;
            }
            out.push_str(&format!("- {} on {}: {}", cell(&row.principal), cell(&c.cluster), cell(&summary(&c.rights))));
            if let Some(via) = &c.via {
                let managed = c.managed.map(|m| format!(", {}", m.word())).unwrap_or_default();
                let user = c.username.as_deref().map(|u| format!(" as {}", cell(u))).unwrap_or_default();
                out.push_str(&format!(" — in by {}{managed}{user}", way_in(via)));
            }
            if let Some(note) = &c.note {
                out.push_str(&format!(" — {}", cell(note)));
            }
            out.push('\n');
            for g in &c.grants {
                out.push_str(&format!("  - {} ({})\n", cell(&g.what), g.managed.word()));
            }
        }
    }
    if let Some(changed) = &report.changed_since {
        let since = changed.previous_generated_at.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
        out.push_str(&format!("\n## Changed since the previous report{since}\n\n"));
        if changed.changes.is_empty() {
            out.push_str("Nothing changed.\n");
        } else {
            out.push_str(&format!(
                "| {} |\n|{}\n",
                Change::COLUMNS.join(" | "),
                " --- |".repeat(Change::COLUMNS.len())
            ));
            for ch in &changed.changes {
                let cells: Vec<String> = ch.cells().iter().map(|c| cell(c)).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;
    use crate::report::{ChangedSince, diff};

    #[test]
    fn one_table_row_per_principal_with_a_cell_per_cluster_and_markup_made_inert() {
        let text = render(&sample());
        assert!(text.contains("| Principal | Name | prod | ghost |\n| --- | --- | --- | --- |\n"), "{text}");
        assert!(text.contains(
            "| arn:aws:iam::111122223333:role/admin | admin | cluster-admin — via access entry (managed) | unknown (the cluster cannot be read: 403) |"
        ), "{text}");
        // A name with markup and a pipe stays text in one cell.
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;, \"dev\""), "{text}");
        assert!(!text.contains("<script>"));
        assert!(text.contains("- **ghost** (mode unknown) — unknown: the cluster cannot be read: 403"), "{text}");
        assert!(!text.contains("Changed since"));
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn the_changes_are_a_section_of_their_own() {
        let mut current = sample();
        current.rows[2].cells[0].rights.cluster = crate::access::Level::View;
        current.changed_since = Some(ChangedSince { previous_generated_at: None, changes: diff(&sample(), &current) });
        let text = render(&current);
        assert!(text.contains("## Changed since the previous report\n"), "{text}");
        assert!(text.contains("| gained | arn:aws:iam::111122223333:user/bob |  | prod | none | view |"), "{text}");
    }
}
