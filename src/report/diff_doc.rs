//! The `diff` report as [`Block`]s: the two sides, the totals side by side, layers, dead
//! weight by category, findings, directories, files and packages. The text and Markdown
//! renderers draw it (Markdown folds the long sections).
//!
//! Every list cut at `--top` has a rollup row for what it leaves out and a total row that
//! ties to a headline delta (the directory and file deltas add up to the visible-bytes
//! delta). A section whose data a side lacks says so, and how to get it.

use super::Options;
use super::bytes::group_thousands;
use super::cells::{cut, instruction};
use super::cells::{rows, signed_count, signed_percent};
use super::doc::{Block, Col, Grid};
use super::text::count;
use crate::model::diff::{DirDelta, FileDelta, ImageDiff, Side, delta};

/// The report's sections, in order (the verdict line is the caller's: a heading in
/// Markdown, the first line in text).
pub fn blocks(d: &ImageDiff, opts: &Options) -> Vec<Block> {
    let mut out = vec![
        Block::Line(format!("BEFORE  {}", side_name(&d.before))),
        Block::Line(format!("AFTER   {}", side_name(&d.after))),
        Block::Line(String::new()),
    ];
    totals(d, opts, &mut out);
    layers(d, opts, &mut out);
    findings(d, opts, &mut out);
    files(d, opts, &mut out);
    packages(d, opts, &mut out);
    out
}

fn side_name(s: &Side) -> String {
    let name = s
        .reference
        .clone()
        .unwrap_or_else(|| "(untagged)".to_string());
    format!("{name}  from {}", s.source)
}

fn blank() -> Block {
    Block::Line(String::new())
}

fn totals(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    let mut t = Grid::new(vec![
        Col::text("Totals"),
        Col::num("before"),
        Col::num("after"),
        Col::num("delta"),
        Col::num("%"),
    ]);
    for (name, before, after, dl) in d.total_rows() {
        t.row([
            name.to_string(),
            b(before),
            b(after),
            s(dl),
            signed_percent(dl, before),
        ]);
    }
    for (name, before, after, dl) in d.count_rows() {
        t.row([
            name.to_string(),
            group_thousands(before),
            group_thousands(after),
            signed_count(dl),
            signed_percent(dl, before),
        ]);
    }
    t.row([
        "dive efficiency".to_string(),
        format!("{:.4}%", d.before.efficiency * 100.0),
        format!("{:.4}%", d.after.efficiency * 100.0),
        format!("{:+.4} pts", d.delta.efficiency * 100.0),
        String::new(),
    ]);
    out.push(Block::Table(t));
    out.push(blank());
}

fn layers(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let l = &d.layers;
    let mut lt = Grid::new(vec![
        Col::text(""),
        Col::num("before #"),
        Col::num("after #"),
        Col::num("stored"),
        Col::num("content"),
        Col::code("instruction"),
    ]);
    let instr = usize::from(opts.width).saturating_sub(50).max(20);
    for x in &l.shared {
        lt.row([
            "=".to_string(),
            x.before_index.to_string(),
            x.after_index.to_string(),
            b(x.after_blob_bytes),
            b(x.content_bytes),
            cut(&instruction(x.created_by.as_deref()), instr),
        ]);
    }
    for (sign, list, before) in [("-", &l.removed, true), ("+", &l.added, false)] {
        for x in list {
            let (bi, ai) = if before {
                (x.index.to_string(), String::new())
            } else {
                (String::new(), x.index.to_string())
            };
            lt.row([
                sign.to_string(),
                bi,
                ai,
                b(x.blob_bytes),
                b(x.content_bytes),
                cut(&instruction(x.created_by.as_deref()), instr),
            ]);
        }
    }
    out.push(Block::Fold(
        format!(
            "Layers: {} shared, {} removed, {} added (matched by diff_id)",
            l.shared.len(),
            l.removed.len(),
            l.added.len()
        ),
        vec![Block::Table(lt)],
    ));
    out.push(blank());
}

fn findings(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    if d.categories.is_empty() {
        out.push(Block::Line(
            "Dead weight by category: none found on either side".to_string(),
        ));
    } else {
        let mut ct = Grid::new(vec![
            Col::text("dead weight by category"),
            Col::num("before"),
            Col::num("after"),
            Col::num("delta"),
        ]);
        for c in &d.categories {
            ct.row([
                c.category.replace('_', " "),
                b(c.before_bytes),
                b(c.after_bytes),
                s(c.delta_bytes),
            ]);
        }
        ct.total([
            "total dead weight".to_string(),
            b(d.before.dead_weight_bytes),
            b(d.after.dead_weight_bytes),
            s(d.delta.dead_weight_bytes),
        ]);
        out.push(Block::Collapse(
            format!(
                "Dead weight by category: {} in all",
                s(d.delta.dead_weight_bytes)
            ),
            vec![Block::Table(ct)],
        ));
    }
    let f = &d.findings;
    let mut inner = Vec::new();
    if !(f.fixed.is_empty() && f.remaining.is_empty() && f.new.is_empty()) {
        let mut ft = Grid::new(vec![
            Col::text(""),
            Col::code("rule"),
            Col::num("before"),
            Col::num("after"),
            Col::code("paths"),
        ]);
        let paths_w = usize::from(opts.width).saturating_sub(60).max(20);
        for x in &f.fixed {
            ft.row([
                "fixed".to_string(),
                x.rule.clone(),
                b(x.bytes),
                b(0),
                cut(&x.paths.join(", "), paths_w),
            ]);
        }
        for x in &f.remaining {
            ft.row([
                "remains".to_string(),
                x.rule.clone(),
                b(x.before_bytes),
                b(x.after_bytes),
                cut(&x.paths.join(", "), paths_w),
            ]);
        }
        for x in &f.new {
            ft.row([
                "NEW".to_string(),
                x.rule.clone(),
                b(0),
                b(x.bytes),
                cut(&x.paths.join(", "), paths_w),
            ]);
        }
        inner.push(Block::Table(ft));
    }
    out.push(Block::Fold(
        format!(
            "Findings: {} fixed, {} remaining, {} new",
            f.fixed.len(),
            f.remaining.len(),
            f.new.len()
        ),
        inner,
    ));
    out.push(blank());
}

fn files(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    if !d.files.available {
        out.push(Block::Line(format!(
            "Directories and files: {}",
            d.files.unavailable.as_deref().unwrap_or("not available")
        )));
        out.push(blank());
        return;
    }
    let fc = &d.files;
    let summary = format!(
        "Directories and files: {} added, {} removed, {} changed, {} moved",
        group_thousands(fc.added_count),
        group_thousands(fc.removed_count),
        group_thousands(fc.changed_count),
        group_thousands(fc.moved_count)
    );
    let mut inner = Vec::new();
    file_sections(d, opts, &mut inner);
    out.push(Block::Collapse(summary, inner));
    out.push(Block::Line(format!(
        "{} unchanged (same path and content)",
        count(d.files.unchanged_count, "file", "files")
    )));
    out.push(blank());
}

/// The directory table and the lists of added, removed, changed and moved files.
fn file_sections(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    dirs(d, opts, out);
    out.push(blank());
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
    for (title, list, n, total) in lists {
        if n == 0 {
            out.push(Block::Line(format!("{title}: none")));
            continue;
        }
        out.push(Block::Table(file_list(title, list, n, total, opts)));
        out.push(blank());
    }
    if !fc.moved.is_empty() {
        let b = |n: u64| opts.bytes.format(n);
        let mut t = Grid::new(vec![
            Col::num("bytes"),
            Col::code(format!(
                "moved files ({}, {}): same content, new path",
                group_thousands(fc.moved_count),
                b(fc.moved_bytes)
            )),
        ]);
        let pw = usize::from(opts.width).saturating_sub(20).max(30);
        for m in &fc.moved {
            t.row([b(m.bytes), cut(&format!("{} -> {}", m.from, m.to), pw)]);
        }
        let rest = fc.moved_count.saturating_sub(fc.moved.len() as u64);
        if rest > 0 {
            t.total([String::new(), format!("and {} more", group_thousands(rest))]);
        }
        out.push(Block::Table(t));
        out.push(blank());
    }
}

/// One list of added, removed or changed files, with its rollup and total rows.
fn file_list(title: &str, list: &[FileDelta], n: u64, total: i64, opts: &Options) -> Grid {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    let mut t = Grid::new(vec![
        Col::num("before"),
        Col::num("after"),
        Col::num("delta"),
        Col::code(format!("{title} ({})", group_thousands(n))),
    ]);
    let pw = usize::from(opts.width).saturating_sub(40).max(30);
    let mut shown = 0i64;
    for x in list {
        shown = shown.saturating_add(x.delta_bytes);
        t.row([
            if x.before_layer.is_some() {
                b(x.before_bytes)
            } else {
                String::new()
            },
            if x.after_layer.is_some() {
                b(x.after_bytes)
            } else {
                String::new()
            },
            s(x.delta_bytes),
            cut(&x.path, pw),
        ]);
    }
    let rest = n.saturating_sub(list.len() as u64);
    if rest > 0 {
        t.total([
            String::new(),
            String::new(),
            s(total.saturating_sub(shown)),
            format!("and {} more", group_thousands(rest)),
        ]);
    }
    t.total([String::new(), String::new(), s(total), "total".to_string()]);
    t
}

fn dirs(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    if d.dirs.is_empty() {
        out.push(Block::Line("Directories: no change".to_string()));
        return;
    }
    let mut t = Grid::new(vec![
        Col::num("before"),
        Col::num("after"),
        Col::num("delta"),
        Col::code(format!(
            "directories, biggest changes (files rolled up {} deep)",
            opts.depth
        )),
    ]);
    let shown: Vec<&DirDelta> = d.dirs.iter().take(rows(opts.top)).collect();
    let pw = usize::from(opts.width).saturating_sub(40).max(30);
    for x in &shown {
        t.row([
            b(x.before_bytes),
            b(x.after_bytes),
            s(x.delta_bytes),
            cut(&x.path, pw),
        ]);
    }
    let rest: Vec<&DirDelta> = d.dirs.iter().skip(shown.len()).collect();
    if !rest.is_empty() {
        let sum = rest
            .iter()
            .fold(0i64, |a, x| a.saturating_add(x.delta_bytes));
        t.total([
            String::new(),
            String::new(),
            s(sum),
            format!(
                "and {} more {}",
                group_thousands(rest.len() as u64),
                if rest.len() == 1 {
                    "directory"
                } else {
                    "directories"
                }
            ),
        ]);
    }
    t.total([
        b(d.before.totals.visible_bytes),
        b(d.after.totals.visible_bytes),
        s(d.delta.visible_bytes),
        "total visible".to_string(),
    ]);
    out.push(Block::Table(t));
}

fn packages(d: &ImageDiff, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let s = |n: i64| opts.bytes.format_signed(i128::from(n));
    let p = &d.packages;
    if p.added.is_empty() && p.removed.is_empty() && p.changed.is_empty() {
        out.push(Block::Line("Packages: no change".to_string()));
        return;
    }
    let mut pt = Grid::new(vec![
        Col::text(""),
        Col::code("package"),
        Col::text("version"),
        Col::num("before"),
        Col::num("after"),
        Col::num("delta"),
    ]);
    for x in &p.removed {
        pt.row([
            "-".to_string(),
            format!("{} {}", x.manager, x.name),
            x.version.clone(),
            b(x.bytes),
            String::new(),
            s(delta(x.bytes, 0)),
        ]);
    }
    for x in &p.added {
        pt.row([
            "+".to_string(),
            format!("{} {}", x.manager, x.name),
            x.version.clone(),
            String::new(),
            b(x.bytes),
            s(delta(0, x.bytes)),
        ]);
    }
    for x in &p.changed {
        let v = if x.before_version == x.after_version {
            x.after_version.clone()
        } else {
            format!("{} -> {}", x.before_version, x.after_version)
        };
        pt.row([
            "~".to_string(),
            format!("{} {}", x.manager, x.name),
            v,
            b(x.before_bytes),
            b(x.after_bytes),
            s(x.delta_bytes),
        ]);
    }
    out.push(Block::Fold(
        format!(
            "Packages: {} added, {} removed, {} changed",
            p.added.len(),
            p.removed.len(),
            p.changed.len()
        ),
        vec![Block::Table(pt)],
    ));
}
