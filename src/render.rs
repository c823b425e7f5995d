//! Rendering diagnostics for people: miette's graphical report, in colour on a terminal and
//! plain (stable, snapshot-friendly) elsewhere.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Color,
    Plain,
}

/// Set once by `--no-color`.
static NO_COLOR_FLAG: AtomicBool = AtomicBool::new(false);

/// `--no-color`: no colour anywhere, whatever the terminal.
pub fn disable_color() {
    NO_COLOR_FLAG.store(true, Ordering::Relaxed);
}

/// Whether colour is allowed at all: not with `--no-color`, nor with NO_COLOR set (no-color.org).
pub fn color_allowed() -> bool {
    !NO_COLOR_FLAG.load(Ordering::Relaxed) && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl Style {
    /// Colour only when stderr is a terminal and colour is allowed.
    pub fn for_stderr() -> Style {
        if std::io::stderr().is_terminal() && color_allowed() { Style::Color } else { Style::Plain }
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
