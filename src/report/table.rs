//! The human-readable `inspect` report (its sections are built in
//! [`super::inspect_doc`]), and the table style and cell helpers every text report uses.

use super::Options;
use crate::model::inspect::InspectReport;
use comfy_table::{Cell, CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

use std::io::{self, Write};

/// A header rule and nothing else: reports stay quiet and copy-paste well.
const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));

/// A table in the reports' style, fitted to `width` columns.
pub(crate) fn table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

/// A right-aligned cell (numbers).
pub(crate) fn right(s: impl Into<String>) -> Cell {
    Cell::new(s.into()).set_alignment(CellAlignment::Right)
}

/// Cuts `s` to `max` characters, with an ellipsis.
pub fn cut(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Shortens an instruction the way people read it: `/bin/sh -c #(nop) ` dropped.
pub fn instruction(created_by: Option<&str>) -> String {
    let Some(s) = created_by else {
        return "(no history)".to_string();
    };
    let s = s.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s
        .strip_prefix("/bin/sh -c ")
        .map(|r| format!("RUN {r}"))
        .unwrap_or_else(|| s.to_string());
    s.trim().to_string()
}

/// Renders the inspect report as text: the sections of [`super::inspect_doc`] as
/// tables, without trailing spaces.
pub fn render(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let mut out = super::text::TrimEnd::new(out);
    super::doc::text(&super::inspect_doc::blocks(r, opts), opts.width, &mut out)
}

/// Renders the inspect report as GitHub-flavoured Markdown: the same sections.
pub fn render_markdown(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let name = r.image.reference.as_deref().unwrap_or("(untagged)");
    writeln!(
        out,
        "### deadweight inspect: {}",
        super::text::md_code(name)
    )?;
    writeln!(out)?;
    super::doc::markdown(&super::inspect_doc::blocks(r, opts), out)
}
