//! The human-readable `diff` report: the verdict first, then the totals side by side,
//! layers, dead weight by category, findings, directories, files and packages.
//!
//! Every list cut at `--top` has a rollup row for what it leaves out and a total row that
//! ties to a headline delta (the directory and file deltas add up to the visible-bytes
//! delta). A section whose data a side lacks says so, and how to get it.

use super::ByteFormat;
use super::Options;
use super::bytes::group_thousands;
use super::table::{cut, instruction, right, table};
use crate::model::diff::{DirDelta, FileDelta, ImageDiff, delta};
use comfy_table::Cell;
use std::io::{self, Write};

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

/// How much larger or smaller: `97.0 MB (42.7%) smaller`.
fn change(bytes: ByteFormat, delta: i64, before: u64) -> String {
    if delta == 0 {
        return "the same size".to_string();
    }
    let magnitude = bytes.format(delta.unsigned_abs());
    let pct = if before == 0 {
        String::new()
    } else {
        format!(
            " ({:.1}%)",
            delta.unsigned_abs() as f64 * 100.0 / before as f64
        )
    };
    let dir = if delta < 0 { "smaller" } else { "larger" };
    format!("{magnitude}{pct} {dir}")
}

/// The one-line verdict: uncompressed size (what `docker images` shows), stored size (what
/// a pull moves), findings fixed and new.
pub fn verdict(d: &ImageDiff, bytes: ByteFormat) -> String {
    let b = &d.before.totals;
    let size = change(bytes, d.delta.content_bytes, b.content_bytes);
    let stored = change(bytes, d.delta.blob_bytes, b.blob_bytes);
    let findings = if d.findings.fixed.is_empty()
        && d.findings.new.is_empty()
        && d.findings.remaining.is_empty()
    {
        "no findings on either side".to_string()
    } else {
        format!(
            "{} finding{} fixed, {} new",
            d.findings.fixed.len(),
            if d.findings.fixed.len() == 1 { "" } else { "s" },
            d.findings.new.len()
        )
    };
    format!("AFTER is {size} (stored: {stored}); {findings}")
}

fn side_name(s: &crate::model::diff::Side) -> String {
    let name = s
        .reference
        .clone()
        .unwrap_or_else(|| "(untagged)".to_string());
    format!("{name}  from {}", s.source)
}

/// Renders the diff as text.
pub fn render(d: &ImageDiff, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    let width = usize::from(opts.width);
    writeln!(out, "{}", verdict(d, opts.bytes))?;
    writeln!(out)?;
    writeln!(out, "BEFORE  {}", side_name(&d.before))?;
    writeln!(out, "AFTER   {}", side_name(&d.after))?;
    writeln!(out)?;

    // Totals.
    let mut t = table(opts.width);
    t.set_header(vec![
        Cell::new("Totals"),
        right("before"),
        right("after"),
        right("delta"),
        right("%"),
    ]);
    for (name, before, after, delta) in d.total_rows() {
        t.add_row(vec![
            Cell::new(name),
            right(b(before)),
            right(b(after)),
            right(s(delta)),
            right(signed_percent(delta, before)),
        ]);
    }
    for (name, before, after, delta) in d.count_rows() {
        t.add_row(vec![
            Cell::new(name),
            right(group_thousands(before)),
            right(group_thousands(after)),
            right(signed_count(delta)),
            right(signed_percent(delta, before)),
        ]);
    }
    t.add_row(vec![
        Cell::new("dive efficiency"),
        right(format!("{:.4}%", d.before.efficiency * 100.0)),
        right(format!("{:.4}%", d.after.efficiency * 100.0)),
        right(format!("{:+.4} pts", d.delta.efficiency * 100.0)),
        right(""),
    ]);
    writeln!(out, "{t}")?;
    writeln!(out)?;

    // Layers.
    let l = &d.layers;
    writeln!(
        out,
        "Layers: {} shared, {} removed, {} added (matched by diff_id)",
        l.shared.len(),
        l.removed.len(),
        l.added.len()
    )?;
    let mut lt = table(opts.width);
    lt.set_header(vec![
        Cell::new(""),
        right("before #"),
        right("after #"),
        right("stored"),
        right("content"),
        Cell::new("instruction"),
    ]);
    let instr = width.saturating_sub(50).max(20);
    for x in &l.shared {
        lt.add_row(vec![
            Cell::new("="),
            right(x.before_index.to_string()),
            right(x.after_index.to_string()),
            right(b(x.after_blob_bytes)),
            right(b(x.content_bytes)),
            Cell::new(cut(&instruction(x.created_by.as_deref()), instr)),
        ]);
    }
    for (sign, list, before) in [("-", &l.removed, true), ("+", &l.added, false)] {
        for x in list {
            let (bi, ai) = if before {
                (x.index.to_string(), String::new())
            } else {
                (String::new(), x.index.to_string())
            };
            lt.add_row(vec![
                Cell::new(sign),
                right(bi),
                right(ai),
                right(b(x.blob_bytes)),
                right(b(x.content_bytes)),
                Cell::new(cut(&instruction(x.created_by.as_deref()), instr)),
            ]);
        }
    }
    writeln!(out, "{lt}")?;
    writeln!(out)?;

    // Dead weight by category, and findings.
    if d.categories.is_empty() {
        writeln!(out, "Dead weight by category: none found on either side")?;
    } else {
        let mut ct = table(opts.width);
        ct.set_header(vec![
            Cell::new("dead weight by category"),
            right("before"),
            right("after"),
            right("delta"),
        ]);
        for c in &d.categories {
            ct.add_row(vec![
                Cell::new(c.category.replace('_', " ")),
                right(b(c.before_bytes)),
                right(b(c.after_bytes)),
                right(s(c.delta_bytes)),
            ]);
        }
        ct.add_row(vec![
            Cell::new("total dead weight"),
            right(b(d.before.dead_weight_bytes)),
            right(b(d.after.dead_weight_bytes)),
            right(s(d.delta.dead_weight_bytes)),
        ]);
        writeln!(out, "{ct}")?;
    }
    let f = &d.findings;
    writeln!(
        out,
        "Findings: {} fixed, {} remaining, {} new",
        f.fixed.len(),
        f.remaining.len(),
        f.new.len()
    )?;
    if !(f.fixed.is_empty() && f.remaining.is_empty() && f.new.is_empty()) {
        let mut ft = table(opts.width);
        ft.set_header(vec![
            Cell::new(""),
            Cell::new("rule"),
            right("before"),
            right("after"),
            Cell::new("paths"),
        ]);
        let paths_w = width.saturating_sub(60).max(20);
        for x in &f.fixed {
            ft.add_row(vec![
                Cell::new("fixed"),
                Cell::new(&x.rule),
                right(b(x.bytes)),
                right(b(0)),
                Cell::new(cut(&x.paths.join(", "), paths_w)),
            ]);
        }
        for x in &f.remaining {
            ft.add_row(vec![
                Cell::new("remains"),
                Cell::new(&x.rule),
                right(b(x.before_bytes)),
                right(b(x.after_bytes)),
                Cell::new(cut(&x.paths.join(", "), paths_w)),
            ]);
        }
        for x in &f.new {
            ft.add_row(vec![
                Cell::new("NEW"),
                Cell::new(&x.rule),
                right(b(0)),
                right(b(x.bytes)),
                Cell::new(cut(&x.paths.join(", "), paths_w)),
            ]);
        }
        writeln!(out, "{ft}")?;
    }
    writeln!(out)?;

    // Directories and files.
    if !d.files.available {
        writeln!(
            out,
            "Directories and files: {}",
            d.files.unavailable.as_deref().unwrap_or("not available")
        )?;
    } else {
        dirs_table(d, opts, out)?;
        writeln!(out)?;
        let fc = &d.files;
        let lists: [(&str, &Vec<FileDelta>, u64, i64); 3] = [
            (
                "added files",
                &fc.added,
                fc.added_count,
                delta(0, fc.added_bytes),
            ),
            (
                "removed files",
                &fc.removed,
                fc.removed_count,
                delta(fc.removed_bytes, 0),
            ),
            (
                "changed files",
                &fc.changed,
                fc.changed_count,
                fc.changed_delta_bytes,
            ),
        ];
        for (title, list, count, total) in lists {
            if count == 0 {
                writeln!(out, "{title}: none")?;
                continue;
            }
            let mut t = table(opts.width);
            t.set_header(vec![
                right("before"),
                right("after"),
                right("delta"),
                Cell::new(format!("{title} ({})", group_thousands(count))),
            ]);
            let pw = width.saturating_sub(40).max(30);
            let mut shown = 0i64;
            for x in list.iter() {
                shown = shown.saturating_add(x.delta_bytes);
                t.add_row(vec![
                    right(if x.before_layer.is_some() {
                        b(x.before_bytes)
                    } else {
                        String::new()
                    }),
                    right(if x.after_layer.is_some() {
                        b(x.after_bytes)
                    } else {
                        String::new()
                    }),
                    right(s(x.delta_bytes)),
                    Cell::new(cut(&x.path, pw)),
                ]);
            }
            let rest = count.saturating_sub(list.len() as u64);
            if rest > 0 {
                t.add_row(vec![
                    right(""),
                    right(""),
                    right(s(total.saturating_sub(shown))),
                    Cell::new(format!("and {} more", group_thousands(rest))),
                ]);
            }
            t.add_row(vec![
                right(""),
                right(""),
                right(s(total)),
                Cell::new("total"),
            ]);
            writeln!(out, "{t}")?;
            writeln!(out)?;
        }
        if !fc.moved.is_empty() {
            let mut t = table(opts.width);
            t.set_header(vec![
                right("bytes"),
                Cell::new(format!(
                    "moved files ({}, {}): same content, new path",
                    group_thousands(fc.moved_count),
                    b(fc.moved_bytes)
                )),
            ]);
            let pw = width.saturating_sub(20).max(30);
            for m in &fc.moved {
                t.add_row(vec![
                    right(b(m.bytes)),
                    Cell::new(cut(&format!("{} -> {}", m.from, m.to), pw)),
                ]);
            }
            let rest = fc.moved_count.saturating_sub(fc.moved.len() as u64);
            if rest > 0 {
                t.add_row(vec![
                    right(""),
                    Cell::new(format!("and {} more", group_thousands(rest))),
                ]);
            }
            writeln!(out, "{t}")?;
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} files unchanged (same path and content)",
            group_thousands(d.files.unchanged_count)
        )?;
    }
    writeln!(out)?;

    // Packages.
    let p = &d.packages;
    if p.added.is_empty() && p.removed.is_empty() && p.changed.is_empty() {
        writeln!(out, "Packages: no change")?;
    } else {
        writeln!(
            out,
            "Packages: {} added, {} removed, {} changed",
            p.added.len(),
            p.removed.len(),
            p.changed.len()
        )?;
        let mut pt = table(opts.width);
        pt.set_header(vec![
            Cell::new(""),
            Cell::new("package"),
            Cell::new("version"),
            right("before"),
            right("after"),
            right("delta"),
        ]);
        for x in &p.removed {
            pt.add_row(vec![
                Cell::new("-"),
                Cell::new(format!("{} {}", x.manager, x.name)),
                Cell::new(&x.version),
                right(b(x.bytes)),
                right(""),
                right(s(delta(x.bytes, 0))),
            ]);
        }
        for x in &p.added {
            pt.add_row(vec![
                Cell::new("+"),
                Cell::new(format!("{} {}", x.manager, x.name)),
                Cell::new(&x.version),
                right(""),
                right(b(x.bytes)),
                right(s(delta(0, x.bytes))),
            ]);
        }
        for x in &p.changed {
            let v = if x.before_version == x.after_version {
                x.after_version.clone()
            } else {
                format!("{} -> {}", x.before_version, x.after_version)
            };
            pt.add_row(vec![
                Cell::new("~"),
                Cell::new(format!("{} {}", x.manager, x.name)),
                Cell::new(v),
                right(b(x.before_bytes)),
                right(b(x.after_bytes)),
                right(s(x.delta_bytes)),
            ]);
        }
        writeln!(out, "{pt}")?;
    }
    Ok(())
}

fn dirs_table(d: &ImageDiff, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    if d.dirs.is_empty() {
        return writeln!(out, "Directories: no change");
    }
    let mut t = table(opts.width);
    t.set_header(vec![
        right("before"),
        right("after"),
        right("delta"),
        Cell::new(format!(
            "directories, biggest changes (files rolled up {} deep)",
            opts.depth
        )),
    ]);
    let shown: Vec<&DirDelta> = d.dirs.iter().take(rows(opts.top)).collect();
    for x in &shown {
        t.add_row(vec![
            right(b(x.before_bytes)),
            right(b(x.after_bytes)),
            right(s(x.delta_bytes)),
            Cell::new(cut(
                &x.path,
                usize::from(opts.width).saturating_sub(40).max(30),
            )),
        ]);
    }
    let rest: Vec<&DirDelta> = d.dirs.iter().skip(shown.len()).collect();
    if !rest.is_empty() {
        let sum = rest
            .iter()
            .fold(0i64, |a, x| a.saturating_add(x.delta_bytes));
        t.add_row(vec![
            right(""),
            right(""),
            right(s(sum)),
            Cell::new(format!(
                "and {} more directories",
                group_thousands(rest.len() as u64)
            )),
        ]);
    }
    t.add_row(vec![
        right(b(d.before.totals.visible_bytes)),
        right(b(d.after.totals.visible_bytes)),
        right(s(d.delta.visible_bytes)),
        Cell::new("total visible"),
    ]);
    writeln!(out, "{t}")
}
