//! Markdown reports, short enough for a pull-request comment: the verdict as a heading, a
//! summary table, the top changes, and everything else folded in `<details>`.
//!
//! Table cells escape `|` and paths sit in code spans, so no path can break the layout.

use super::Options;
use super::bytes::group_thousands;
use super::diff_table::{rows, signed_count, signed_percent, verdict};
use super::table::instruction;
use crate::model::diff::{ImageDiff, delta};
use std::io::{self, Write};

/// Rows of the "top changes" list.
const TOP_CHANGES: usize = 10;

/// A table cell: no newlines, `|` escaped.
fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A code span that holds any path.
fn code(s: &str) -> String {
    format!("`{}`", cell(&s.replace('`', "'")))
}

/// Renders the diff as Markdown.
pub fn render_diff(d: &ImageDiff, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    let name = |side: &crate::model::diff::Side| {
        side.reference
            .clone()
            .unwrap_or_else(|| side.source.clone())
    };
    writeln!(
        out,
        "### deadweight diff: {}",
        cell(&verdict(d, opts.bytes))
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{} → {}",
        code(&name(&d.before)),
        code(&name(&d.after))
    )?;
    writeln!(out)?;

    // Summary table.
    writeln!(out, "| | before | after | delta | % |")?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for (label, before, after, dl) in d.total_rows() {
        writeln!(
            out,
            "| {label} | {} | {} | **{}** | {} |",
            b(before),
            b(after),
            s(dl),
            signed_percent(dl, before)
        )?;
    }
    for (label, before, after, dl) in d.count_rows() {
        writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            group_thousands(before),
            group_thousands(after),
            signed_count(dl),
            signed_percent(dl, before)
        )?;
    }
    writeln!(
        out,
        "| dive efficiency | {:.2}% | {:.2}% | {:+.2} pts | |",
        d.before.efficiency * 100.0,
        d.after.efficiency * 100.0,
        d.delta.efficiency * 100.0
    )?;
    writeln!(out)?;

    // Top changes: files when both sides list them, layers otherwise.
    let mut changes: Vec<(i64, String)> = Vec::new();
    if d.files.available {
        for f in &d.files.added {
            changes.push((f.delta_bytes, format!("added {}", code(&f.path))));
        }
        for f in &d.files.removed {
            changes.push((f.delta_bytes, format!("removed {}", code(&f.path))));
        }
        for f in &d.files.changed {
            changes.push((f.delta_bytes, format!("changed {}", code(&f.path))));
        }
    } else {
        for l in &d.layers.added {
            changes.push((
                delta(0, l.content_bytes),
                format!(
                    "layer added: {}",
                    code(&instruction(l.created_by.as_deref()))
                ),
            ));
        }
        for l in &d.layers.removed {
            changes.push((
                delta(l.content_bytes, 0),
                format!(
                    "layer removed: {}",
                    code(&instruction(l.created_by.as_deref()))
                ),
            ));
        }
    }
    changes.sort_by(|x, y| {
        y.0.unsigned_abs()
            .cmp(&x.0.unsigned_abs())
            .then_with(|| x.1.cmp(&y.1))
    });
    changes.truncate(TOP_CHANGES);
    if !changes.is_empty() {
        writeln!(out, "**Top changes**")?;
        writeln!(out)?;
        writeln!(out, "| delta | change |")?;
        writeln!(out, "|---:|---|")?;
        for (dl, what) in &changes {
            writeln!(out, "| {} | {what} |", s(*dl))?;
        }
        writeln!(out)?;
    }
    if let Some(why) = &d.files.unavailable {
        writeln!(out, "_{}_", cell(why))?;
        writeln!(out)?;
    }

    // Details.
    let f = &d.findings;
    if !(f.fixed.is_empty() && f.remaining.is_empty() && f.new.is_empty()) {
        writeln!(
            out,
            "<details><summary>Findings: {} fixed, {} remaining, {} new</summary>",
            f.fixed.len(),
            f.remaining.len(),
            f.new.len()
        )?;
        writeln!(out)?;
        writeln!(out, "| | rule | before | after | paths |")?;
        writeln!(out, "|---|---|---:|---:|---|")?;
        for x in &f.fixed {
            writeln!(
                out,
                "| fixed | {} | {} | {} | {} |",
                code(&x.rule),
                b(x.bytes),
                b(0),
                cell(&x.paths.join(", "))
            )?;
        }
        for x in &f.remaining {
            writeln!(
                out,
                "| remains | {} | {} | {} | {} |",
                code(&x.rule),
                b(x.before_bytes),
                b(x.after_bytes),
                cell(&x.paths.join(", "))
            )?;
        }
        for x in &f.new {
            writeln!(
                out,
                "| **new** | {} | {} | {} | {} |",
                code(&x.rule),
                b(0),
                b(x.bytes),
                cell(&x.paths.join(", "))
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }
    if !d.categories.is_empty() {
        writeln!(out, "<details><summary>Dead weight by category</summary>")?;
        writeln!(out)?;
        writeln!(out, "| category | before | after | delta |")?;
        writeln!(out, "|---|---:|---:|---:|")?;
        for c in &d.categories {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&c.category.replace('_', " ")),
                b(c.before_bytes),
                b(c.after_bytes),
                s(c.delta_bytes)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }
    let l = &d.layers;
    writeln!(
        out,
        "<details><summary>Layers: {} shared, {} removed, {} added</summary>",
        l.shared.len(),
        l.removed.len(),
        l.added.len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| | before # | after # | stored | content | instruction |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---|")?;
    for x in &l.shared {
        writeln!(
            out,
            "| = | {} | {} | {} | {} | {} |",
            x.before_index,
            x.after_index,
            b(x.after_blob_bytes),
            b(x.content_bytes),
            code(&super::table::cut(
                &instruction(x.created_by.as_deref()),
                80
            ))
        )?;
    }
    for (sign, list, is_before) in [("−", &l.removed, true), ("+", &l.added, false)] {
        for x in list {
            let (bi, ai) = if is_before {
                (x.index.to_string(), String::new())
            } else {
                (String::new(), x.index.to_string())
            };
            writeln!(
                out,
                "| {sign} | {bi} | {ai} | {} | {} | {} |",
                b(x.blob_bytes),
                b(x.content_bytes),
                code(&super::table::cut(
                    &instruction(x.created_by.as_deref()),
                    80
                ))
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "</details>")?;
    writeln!(out)?;
    if d.files.available && !d.dirs.is_empty() {
        writeln!(
            out,
            "<details><summary>Directories ({} changed, rolled up {} deep)</summary>",
            d.dirs.len(),
            opts.depth
        )?;
        writeln!(out)?;
        writeln!(out, "| before | after | delta | directory |")?;
        writeln!(out, "|---:|---:|---:|---|")?;
        for x in d.dirs.iter().take(rows(opts.top)) {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                b(x.before_bytes),
                b(x.after_bytes),
                s(x.delta_bytes),
                code(&x.path)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }
    let p = &d.packages;
    if !(p.added.is_empty() && p.removed.is_empty() && p.changed.is_empty()) {
        writeln!(
            out,
            "<details><summary>Packages: {} added, {} removed, {} changed</summary>",
            p.added.len(),
            p.removed.len(),
            p.changed.len()
        )?;
        writeln!(out)?;
        writeln!(out, "| | package | version | delta |")?;
        writeln!(out, "|---|---|---|---:|")?;
        for x in &p.removed {
            writeln!(
                out,
                "| − | {} {} | {} | {} |",
                cell(&x.manager),
                code(&x.name),
                cell(&x.version),
                s(delta(x.bytes, 0))
            )?;
        }
        for x in &p.added {
            writeln!(
                out,
                "| + | {} {} | {} | {} |",
                cell(&x.manager),
                code(&x.name),
                cell(&x.version),
                s(delta(0, x.bytes))
            )?;
        }
        for x in &p.changed {
            writeln!(
                out,
                "| ~ | {} {} | {} → {} | {} |",
                cell(&x.manager),
                code(&x.name),
                cell(&x.before_version),
                cell(&x.after_version),
                s(x.delta_bytes)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}
