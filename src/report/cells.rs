//! The cells every text report is drawn with: the table style, right-aligned numbers,
//! cut text and instructions, and the signed figures of a diff. They sit apart from the
//! renderers so that the section builders (`inspect_doc`, `diff_doc`) and the drawing
//! (`doc`) use them without importing the renderers that call those builders.

use super::bytes::group_thousands;
use comfy_table::{Cell, CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

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

/// Rows of a list cut at `--top`, where 0 means all.
pub fn rows(top: usize) -> usize {
    if top == 0 { usize::MAX } else { top }
}

/// A signed count with thousands separators: `+1,204`, `-3`, `0`.
pub fn signed_count(n: i64) -> String {
    let m = group_thousands(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{m}"),
        -1 => format!("-{m}"),
        _ => m,
    }
}

/// `delta` as a signed percentage of `before`, one decimal; `-` when `before` is 0.
pub fn signed_percent(delta: i64, before: u64) -> String {
    if before == 0 {
        return "-".to_string();
    }
    let p = delta as f64 * 100.0 / before as f64;
    if delta == 0 {
        "0.0%".to_string()
    } else {
        format!("{p:+.1}%")
    }
}
