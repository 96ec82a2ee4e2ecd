//! The human-readable `check` report: one row per rule (threshold, value, status), then
//! for each breach its top contributors and the fix, then the verdict line.

use super::Options;
use super::check::{contributor_line, show_number};
use super::table::cut;
use crate::model::check::CheckReport;
use comfy_table::{Cell, CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use std::io::{self, Write};

const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));

/// Renders the check report as text.
pub fn render(r: &CheckReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let mut trimmed = super::text::TrimEnd::new(out);
    let out = &mut trimmed;
    let b = opts.bytes;
    writeln!(out, "deadweight check: {}", r.image_name())?;
    if r.defaults {
        writeln!(
            out,
            "No deadweight.toml and no rule flags: applying the default rules (no secrets, no \
             version-control directory, dive's lowestEfficiency 0.9 and \
             highestUserWastedPercent 0.1). `deadweight init IMAGE` writes a starter config."
        )?;
    } else {
        writeln!(out, "Rules from: {}", r.sources.join(", "))?;
    }
    for n in super::check::other_notes(r) {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out)?;
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width);
    t.set_header(vec![
        "rule",
        "level",
        "threshold",
        "value",
        "status",
        "message",
    ]);
    for rule in &r.rules {
        t.add_row(vec![
            Cell::new(&rule.id),
            Cell::new(&rule.level),
            Cell::new(show_number(rule.threshold, &rule.unit, b))
                .set_alignment(CellAlignment::Right),
            Cell::new(show_number(rule.value, &rule.unit, b)).set_alignment(CellAlignment::Right),
            Cell::new(rule.status.to_uppercase()),
            Cell::new(cut(&rule.message, 100)),
        ]);
    }
    writeln!(out, "{t}")?;
    for rule in r
        .rules
        .iter()
        .filter(|x| x.status == "fail" || x.status == "warn")
    {
        writeln!(out)?;
        writeln!(
            out,
            "{} {}: {}",
            rule.status.to_uppercase(),
            rule.id,
            rule.message
        )?;
        writeln!(out, "  checks: {}", rule.description)?;
        for c in &rule.contributors {
            writeln!(out, "  - {}", contributor_line(c, b))?;
        }
        if let Some(fix) = &rule.fix {
            writeln!(out, "  fix: {fix}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", r.headline())
}
