//! Rendering diagnostics for people: miette's graphical report, in colour on a terminal and
//! plain (stable, snapshot-friendly) elsewhere.

use std::io::IsTerminal;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Color,
    Plain,
}

impl Style {
    /// Colour only when stderr is a terminal and NO_COLOR is unset.
    pub fn for_stderr() -> Style {
        if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style::Color
        } else {
            Style::Plain
        }
    }
}

pub fn diagnostic(d: &dyn Diagnostic, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(110).with_links(false);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = handler.render_report(&mut out, d);
    out
}
