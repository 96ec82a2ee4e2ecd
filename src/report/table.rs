//! The human-readable `inspect` report: a summary, the layer table, where the waste is,
//! and the largest files and directories. Every list has a rollup row for what it leaves
//! out and a total row that ties to the summary.

use super::Options;
use super::bytes::percent;
use crate::model::inspect::InspectReport;
use comfy_table::{Cell, CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};

/// A header rule and nothing else: reports stay quiet and copy-paste well.
const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));
use std::io::{self, Write};

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

/// Renders the inspect report as text.
pub fn render(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let b = |n: u64| opts.bytes.format(n);
    let t = &r.totals;
    let width = usize::from(opts.width);

    // Summary.
    let name = r
        .image
        .reference
        .clone()
        .unwrap_or_else(|| "(untagged)".to_string());
    writeln!(out, "{}  {}", name, cut(&r.image.id, 80))?;
    let mut platform = format!("{}/{}", r.image.os, r.image.arch);
    if let Some(v) = &r.image.variant {
        platform.push('/');
        platform.push_str(v);
    }
    let user = if r.image.user.is_empty() {
        "root (no USER set)".to_string()
    } else {
        r.image.user.clone()
    };
    writeln!(
        out,
        "{} · {} · user {} · {} layers · {} files ({} inodes) · read from {}{}",
        r.source.layout,
        platform,
        user,
        t.layers,
        super::bytes::group_thousands(t.visible_files),
        super::bytes::group_thousands(t.visible_inodes),
        r.source.path,
        r.source
            .compression
            .as_ref()
            .map(|c| format!(" ({c}-compressed)"))
            .unwrap_or_default()
    )?;
    writeln!(out)?;
    let mut s = table(opts.width);
    s.set_header(vec![Cell::new("Size"), right("bytes"), Cell::new("")]);
    s.add_row(vec![
        Cell::new("stored"),
        right(b(t.blob_bytes)),
        Cell::new("the layer blobs as stored: what a pull transfers"),
    ]);
    s.add_row(vec![
        Cell::new("content"),
        right(b(t.content_bytes)),
        Cell::new("the layers' files, uncompressed"),
    ]);
    s.add_row(vec![
        Cell::new("visible"),
        right(b(t.visible_bytes)),
        Cell::new("what the final filesystem shows"),
    ]);
    s.add_row(vec![
        Cell::new("hidden"),
        right(b(t.hidden_bytes)),
        Cell::new(format!(
            "{} of content: shipped, but deleted or overwritten by later layers",
            percent(t.hidden_bytes, t.content_bytes)
        )),
    ]);
    s.add_row(vec![
        Cell::new("duplicate"),
        right(b(t.duplicate_bytes)),
        Cell::new("identical content stored again at other paths"),
    ]);
    writeln!(out, "{s}")?;
    headline(r, opts, out)?;
    writeln!(out)?;

    // Layers.
    let mut lt = table(opts.width);
    lt.set_header(vec![
        right("#"),
        right("stored"),
        right("content"),
        right("+add ~chg -del"),
        right("hidden"),
        Cell::new("instruction"),
    ]);
    let fixed = 8 + 10 + 10 + 16 + 10 + 10;
    let instr_width = width.saturating_sub(fixed).max(20);
    for l in &r.layers {
        let base = if l.base { "ᵇ" } else { "" };
        lt.add_row(vec![
            right(format!("{}{base}", l.index)),
            right(b(l.blob_bytes)),
            right(b(l.content_bytes)),
            right(format!("+{} ~{} -{}", l.added, l.changed, l.deleted)),
            right(b(l.hidden_bytes)),
            Cell::new(cut(&instruction(l.created_by.as_deref()), instr_width)),
        ]);
    }
    lt.add_row(vec![
        right("total"),
        right(b(t.blob_bytes)),
        right(b(t.content_bytes)),
        right(""),
        right(b(t.hidden_bytes)),
        Cell::new(""),
    ]);
    writeln!(out, "Layers")?;
    writeln!(out, "{lt}")?;
    let base_note = if r.base.guess {
        "ᵇ base layers: a guess (layer 0, as dive assumes); pass --base IMAGE to know".to_string()
    } else {
        format!(
            "ᵇ base layers: the {} layer(s) shared with {}",
            r.base.layers.len(),
            r.base.name.clone().unwrap_or_default()
        )
    };
    writeln!(out, "{base_note}")?;
    writeln!(out)?;

    // Where the waste is.
    writeln!(out, "Where the waste is")?;
    let c = &t.hidden_by_cause;
    let mut w = table(opts.width);
    w.set_header(vec![
        Cell::new("hidden bytes by cause"),
        right("bytes"),
        Cell::new("what to do"),
    ]);
    w.add_row(vec![
        Cell::new("overwritten by a later layer"),
        right(b(c.overwritten)),
        Cell::new("change the file in the layer that creates it"),
    ]);
    w.add_row(vec![
        Cell::new("  of which identical content"),
        right(b(c.same_content)),
        Cell::new("a chmod/chown/touch re-copied it: use COPY --chmod/--chown"),
    ]);
    w.add_row(vec![
        Cell::new("deleted by a later layer"),
        right(b(c.deleted)),
        Cell::new("delete in the same RUN that created it"),
    ]);
    w.add_row(vec![
        Cell::new("deleted with its directory"),
        right(b(c.deleted_with_dir)),
        Cell::new("rm -rf in the same RUN, or keep it out of the build context"),
    ]);
    w.add_row(vec![
        Cell::new("hidden by an opaque directory"),
        right(b(c.opaque)),
        Cell::new("replace the directory in the layer that fills it"),
    ]);
    w.add_row(vec![
        Cell::new("total hidden"),
        right(b(t.hidden_bytes)),
        Cell::new(""),
    ]);
    writeln!(out, "{w}")?;
    let own = &r.base.own;
    writeln!(
        out,
        "base layers: content {}, hidden {}, duplicate {} · your layers: content {}, hidden {}, duplicate {}{}",
        b(r.base.content_bytes),
        b(r.base.hidden_bytes),
        b(r.base.duplicate_bytes),
        b(own.content_bytes),
        b(own.hidden_bytes),
        b(own.duplicate_bytes),
        if r.base.guess { " (split guessed)" } else { "" }
    )?;
    let d = &r.dive;
    writeln!(
        out,
        "dive's figures: efficiency {:.4}%, wasted {}, user wasted {}",
        d.efficiency * 100.0,
        b(d.wasted_bytes),
        d.user_wasted_percent
            .map(|p| format!("{:.4}%", p * 100.0))
            .unwrap_or_else(|| "n/a (no user layers)".to_string())
    )?;
    if !r.hidden_paths.is_empty() {
        let mut h = table(opts.width);
        h.set_header(vec![
            Cell::new("hidden path"),
            right("bytes"),
            Cell::new("cause"),
            right("by"),
            Cell::new("hidden by"),
        ]);
        let path_width = (width / 3).clamp(24, 60);
        let instr = width.saturating_sub(path_width + 10 + 18 + 6 + 12).max(16);
        for p in &r.hidden_paths {
            h.add_row(vec![
                Cell::new(cut(&p.path, path_width)),
                right(b(p.bytes)),
                Cell::new(p.cause.replace('_', " ")),
                right(format!("L{}", p.written_by_layer)),
                Cell::new(format!(
                    "L{}: {}",
                    p.hidden_by_layer,
                    cut(&instruction(p.hidden_by.as_deref()), instr)
                )),
            ]);
        }
        writeln!(out, "{h}")?;
    }
    if !r.duplicates.is_empty() {
        let mut dt = table(opts.width);
        dt.set_header(vec![
            right("wasted"),
            right("copies"),
            right("size"),
            Cell::new("paths (layer)"),
        ]);
        for g in &r.duplicates {
            let paths: Vec<String> = g
                .paths
                .iter()
                .zip(&g.layers)
                .map(|(p, l)| format!("{p} ({l})"))
                .collect();
            dt.add_row(vec![
                right(b(g.wasted_bytes)),
                right(g.paths.len().to_string()),
                right(b(g.size)),
                Cell::new(cut(&paths.join(", "), width.saturating_sub(40).max(30))),
            ]);
        }
        writeln!(out, "{dt}")?;
    }
    writeln!(out)?;

    // Largest files.
    let mut ft = table(opts.width);
    ft.set_header(vec![
        right("bytes"),
        right("% image"),
        right("layer"),
        Cell::new("largest visible files"),
    ]);
    let shown: u64 = r.top_files.iter().map(|f| f.bytes).sum();
    for f in &r.top_files {
        ft.add_row(vec![
            right(b(f.bytes)),
            right(percent(f.bytes, t.visible_bytes)),
            right(f.layer.to_string()),
            Cell::new(cut(&f.path, width.saturating_sub(40).max(30))),
        ]);
    }
    let rest_count = t.visible_files.saturating_sub(r.top_files.len() as u64);
    let rest = t.visible_bytes.saturating_sub(shown);
    if rest_count > 0 {
        ft.add_row(vec![
            right(b(rest)),
            right(percent(rest, t.visible_bytes)),
            right(""),
            Cell::new(format!(
                "and {} smaller files",
                super::bytes::group_thousands(rest_count)
            )),
        ]);
    }
    ft.add_row(vec![
        right(b(t.visible_bytes)),
        right(percent(t.visible_bytes, t.visible_bytes)),
        right(""),
        Cell::new("total visible"),
    ]);
    writeln!(out, "{ft}")?;
    writeln!(out)?;

    // Largest directories.
    if !r.top_dirs.is_empty() {
        let mut dt = table(opts.width);
        dt.set_header(vec![
            right("bytes"),
            right("% image"),
            Cell::new(format!("largest directories (up to {} deep)", opts.depth)),
        ]);
        for d in &r.top_dirs {
            dt.add_row(vec![
                right(b(d.bytes)),
                right(percent(d.bytes, t.visible_bytes)),
                Cell::new(cut(&d.path, width.saturating_sub(30).max(30))),
            ]);
        }
        writeln!(out, "{dt}")?;
    }
    dead_weight(r, opts, out)?;
    heaviest_packages(r, opts, out)?;
    if !r.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} warning(s):", r.warnings.len())?;
        for w in r.warnings.iter().take(20) {
            writeln!(out, "  {w}")?;
        }
        if r.warnings.len() > 20 {
            writeln!(
                out,
                "  ... and {} more (see --format json)",
                r.warnings.len() - 20
            )?;
        }
    }
    Ok(())
}

/// The headline: how much is dead weight, and what the three heaviest fixes save.
fn headline(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    if r.findings.is_empty() {
        return Ok(());
    }
    let b = |n: u64| opts.bytes.format(n);
    let image = if s.image_bytes > 0 {
        s.image_bytes
    } else {
        r.totals.content_bytes
    };
    writeln!(
        out,
        "{} of {} ({}) is dead weight; the top 3 fixes save {}",
        b(s.dead_weight_bytes),
        b(image),
        percent(s.dead_weight_bytes, image),
        b(s.top3_saving_bytes)
    )
}

/// Findings grouped by category, heaviest category first, each with its fix. Plain
/// lines rather than a table: the fixes are sentences and must not be cut.
fn dead_weight(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    if r.findings.is_empty() {
        return Ok(());
    }
    let b = |n: u64| opts.bytes.format(n);
    let width = usize::from(opts.width).max(60);
    let mut cats: Vec<(&str, u64)> = Vec::new();
    for f in &r.findings {
        match cats.iter_mut().find(|(c, _)| *c == f.category) {
            Some(c) => c.1 += f.bytes,
            None => cats.push((f.category.as_str(), f.bytes)),
        }
    }
    cats.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    writeln!(out)?;
    writeln!(
        out,
        "Dead weight: {} of {} ({}), each byte counted once",
        b(r.summary.dead_weight_bytes),
        b(r.summary.image_bytes),
        percent(r.summary.dead_weight_bytes, r.summary.image_bytes)
    )?;
    let per_category = opts.top.clamp(3, 8);
    for (cat, total) in &cats {
        let counted = r.summary.by_category.get(*cat).copied();
        // Categories the headline leaves out (see `analyze::findings`).
        let outside = ["model_weights", "secret", "root_user", "dockerfile_pattern"];
        let counted = counted.unwrap_or(0);
        let note = if outside.contains(cat) {
            if *total > 0 {
                " (not counted as dead weight)".to_string()
            } else {
                String::new()
            }
        } else if counted < *total {
            format!(
                " ({} of it counted in the total under another category)",
                b(total - counted)
            )
        } else {
            String::new()
        };
        writeln!(out)?;
        if *total > 0 {
            writeln!(out, "{cat}  {}{note}", b(*total))?;
        } else {
            writeln!(out, "{cat}")?;
        }
        let of_cat: Vec<&crate::model::inspect::FindingInfo> =
            r.findings.iter().filter(|f| f.category == *cat).collect();
        for f in of_cat.iter().take(per_category) {
            let bytes = if f.bytes > 0 {
                b(f.bytes)
            } else {
                String::new()
            };
            let layer = f
                .layer
                .map(|l| {
                    format!(
                        "  layer {l}: {}",
                        cut(
                            &instruction(f.created_by.as_deref()),
                            width.saturating_sub(50).max(20)
                        )
                    )
                })
                .unwrap_or_default();
            writeln!(out, "  {bytes:>9}  {:<7}  {}{layer}", f.severity, f.rule)?;
            writeln!(
                out,
                "             {}",
                cut(&f.message, width.saturating_sub(13))
            )?;
            if let Some(p) = f.paths.first()
                && !f.message.contains(p.as_str())
            {
                let more = if f.paths.len() > 1 {
                    format!(" (+{} more)", f.paths.len() - 1)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "             e.g. {}{more}",
                    cut(p, width.saturating_sub(30))
                )?;
            }
            writeln!(out, "             fix: {}", f.fix)?;
        }
        if of_cat.len() > per_category {
            let rest: u64 = of_cat.iter().skip(per_category).map(|f| f.bytes).sum();
            writeln!(
                out,
                "  {:>9}  and {} more {cat} finding(s) (see --format json)",
                if rest > 0 { b(rest) } else { String::new() },
                of_cat.len() - per_category
            )?;
        }
    }
    Ok(())
}

/// The heaviest installed packages, with a rollup and a total row.
fn heaviest_packages(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    if r.packages.is_empty() {
        return Ok(());
    }
    let b = |n: u64| opts.bytes.format(n);
    let visible = r.totals.visible_bytes;
    let mut t = table(opts.width);
    t.set_header(vec![
        right("bytes"),
        right("% image"),
        Cell::new("manager"),
        Cell::new("heaviest packages"),
        Cell::new("version"),
        Cell::new(""),
    ]);
    for p in r.packages.iter().take(opts.top) {
        t.add_row(vec![
            right(b(p.bytes)),
            right(percent(p.bytes, visible)),
            Cell::new(p.manager.clone()),
            Cell::new(cut(&p.name, 40)),
            Cell::new(cut(&p.version, 30)),
            Cell::new(if p.dev { "dev" } else { "" }),
        ]);
    }
    let total: u64 = r.packages.iter().map(|p| p.bytes).sum();
    let shown: u64 = r.packages.iter().take(opts.top).map(|p| p.bytes).sum();
    if r.packages.len() > opts.top {
        t.add_row(vec![
            right(b(total - shown)),
            right(percent(total - shown, visible)),
            Cell::new(""),
            Cell::new(format!(
                "and {} smaller packages",
                r.packages.len() - opts.top
            )),
            Cell::new(""),
            Cell::new(""),
        ]);
    }
    t.add_row(vec![
        right(b(total)),
        right(percent(total, visible)),
        Cell::new(""),
        Cell::new(format!("{} packages in all", r.packages.len())),
        Cell::new(""),
        Cell::new(""),
    ]);
    writeln!(out)?;
    writeln!(out, "{t}")
}
