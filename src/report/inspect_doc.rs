//! The `inspect` report as [`Block`]s: the summary, the layer table, where the waste is,
//! the largest files and directories, the dead weight by category, the heaviest
//! packages and the warnings. Every list has a rollup row for what it leaves out and a
//! total row that ties to the summary. The text, Markdown and HTML renderers draw it.

use super::Options;
use super::bytes::{group_thousands, percent};
use super::cells::{cut, instruction};
use super::doc::{Block, Col, Grid};
use super::text::count;
use crate::model::inspect::{FindingInfo, InspectReport};

/// The report's sections, in order.
pub fn blocks(r: &InspectReport, opts: &Options) -> Vec<Block> {
    let mut out = Vec::new();
    summary(r, opts, &mut out);
    layers(r, opts, &mut out);
    waste(r, opts, &mut out);
    files(r, opts, &mut out);
    fixes(r, opts, &mut out);
    dead_weight(r, opts, &mut out);
    packages(r, opts, &mut out);
    warnings(r, &mut out);
    out
}

fn line(s: impl Into<String>) -> Block {
    Block::Line(s.into())
}

fn blank() -> Block {
    Block::Line(String::new())
}

fn summary(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let t = &r.totals;
    let name = r
        .image
        .reference
        .clone()
        .unwrap_or_else(|| "(untagged)".to_string());
    out.push(line(format!("{}  {}", name, cut(&r.image.id, 80))));
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
    out.push(line(format!(
        "{} · {} · user {} · {} · {} ({}) · read from {}{}",
        r.source.layout,
        platform,
        user,
        count(t.layers, "layer", "layers"),
        count(t.visible_files, "file", "files"),
        count(t.visible_inodes, "inode", "inodes"),
        r.source.path,
        r.source
            .compression
            .as_ref()
            .map(|c| format!(" ({c}-compressed)"))
            .unwrap_or_default()
    )));
    out.push(blank());
    let mut s = Grid::new(vec![Col::text("Size"), Col::num("bytes"), Col::text("")]);
    s.row([
        "stored",
        &b(t.blob_bytes),
        "the layer blobs as stored: what a pull transfers",
    ]);
    s.row([
        "content",
        &b(t.content_bytes),
        "the layers' files, uncompressed",
    ]);
    s.row([
        "visible",
        &b(t.visible_bytes),
        "what the final filesystem shows",
    ]);
    s.row([
        "hidden".to_string(),
        b(t.hidden_bytes),
        format!(
            "{} of content: shipped, but deleted or overwritten by later layers",
            percent(t.hidden_bytes, t.content_bytes)
        ),
    ]);
    s.row([
        "duplicate",
        &b(t.duplicate_bytes),
        "identical content stored again at other paths",
    ]);
    out.push(Block::Table(s));
    if !r.findings.is_empty() {
        let sm = &r.summary;
        let image = if sm.image_bytes > 0 {
            sm.image_bytes
        } else {
            t.content_bytes
        };
        out.push(line(format!(
            "{} of {} ({}) is dead weight; the top 3 fixes save {}",
            b(sm.dead_weight_bytes),
            b(image),
            percent(sm.dead_weight_bytes, image),
            b(sm.top3_saving_bytes)
        )));
    }
    out.push(blank());
}

fn layers(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let t = &r.totals;
    let width = usize::from(opts.width);
    let mut lt = Grid::new(vec![
        Col::num("#"),
        Col::num("stored"),
        Col::num("content"),
        Col::num("+add ~chg -del"),
        Col::num("hidden"),
        Col::code("instruction"),
    ]);
    let fixed = 8 + 10 + 10 + 16 + 10 + 10;
    let instr_width = width.saturating_sub(fixed).max(20);
    for l in &r.layers {
        let base = if l.base { "ᵇ" } else { "" };
        lt.row([
            format!("{}{base}", l.index),
            b(l.blob_bytes),
            b(l.content_bytes),
            format!("+{} ~{} -{}", l.added, l.changed, l.deleted),
            b(l.hidden_bytes),
            cut(&instruction(l.created_by.as_deref()), instr_width),
        ]);
    }
    lt.total([
        "total".to_string(),
        b(t.blob_bytes),
        b(t.content_bytes),
        String::new(),
        b(t.hidden_bytes),
        String::new(),
    ]);
    out.push(Block::Heading("Layers".to_string()));
    out.push(Block::Table(lt));
    out.push(line(if r.base.guess {
        "ᵇ base layers: a guess (layer 0, as dive assumes); pass --base IMAGE to know".to_string()
    } else {
        format!(
            "ᵇ base layers: the {} shared with {}",
            count(r.base.layers.len() as u64, "layer", "layers"),
            r.base.name.clone().unwrap_or_default()
        )
    }));
    out.push(blank());
}

fn waste(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let t = &r.totals;
    let width = usize::from(opts.width);
    out.push(Block::Heading("Where the waste is".to_string()));
    let c = &t.hidden_by_cause;
    let mut w = Grid::new(vec![
        Col::text("hidden bytes by cause"),
        Col::num("bytes"),
        Col::text("what to do"),
    ]);
    let rows = [
        (
            "overwritten by a later layer",
            c.overwritten,
            "change the file in the layer that creates it",
        ),
        (
            "  of which identical content",
            c.same_content,
            "a chmod/chown/touch re-copied it: use COPY --chmod/--chown",
        ),
        (
            "deleted by a later layer",
            c.deleted,
            "delete in the same RUN that created it",
        ),
        (
            "deleted with its directory",
            c.deleted_with_dir,
            "rm -rf in the same RUN, or keep it out of the build context",
        ),
        (
            "hidden by an opaque directory",
            c.opaque,
            "replace the directory in the layer that fills it",
        ),
        ("total hidden", t.hidden_bytes, ""),
    ];
    for (what, n, fix) in rows {
        if fix.is_empty() {
            w.total([what.to_string(), b(n), String::new()]);
        } else {
            w.row([what.to_string(), b(n), fix.to_string()]);
        }
    }
    out.push(Block::Table(w));
    let own = &r.base.own;
    out.push(line(format!(
        "base layers: content {}, hidden {}, duplicate {} · your layers: content {}, hidden {}, duplicate {}{}",
        b(r.base.content_bytes),
        b(r.base.hidden_bytes),
        b(r.base.duplicate_bytes),
        b(own.content_bytes),
        b(own.hidden_bytes),
        b(own.duplicate_bytes),
        if r.base.guess { " (split guessed)" } else { "" }
    )));
    let d = &r.dive;
    out.push(line(format!(
        "dive's figures: efficiency {:.4}%, wasted {}, user wasted {}",
        d.efficiency * 100.0,
        b(d.wasted_bytes),
        d.user_wasted_percent
            .map(|p| format!("{:.4}%", p * 100.0))
            .unwrap_or_else(|| "n/a (no user layers)".to_string())
    )));
    if !r.hidden_paths.is_empty() {
        let mut h = Grid::new(vec![
            Col::code("hidden path"),
            Col::num("bytes"),
            Col::text("cause"),
            Col::num("by"),
            Col::text("hidden by"),
        ]);
        let path_width = (width / 3).clamp(24, 60);
        let instr = width.saturating_sub(path_width + 10 + 18 + 6 + 12).max(16);
        for p in &r.hidden_paths {
            h.row([
                cut(&p.path, path_width),
                b(p.bytes),
                p.cause.replace('_', " "),
                format!("L{}", p.written_by_layer),
                format!(
                    "L{}: {}",
                    p.hidden_by_layer,
                    cut(&instruction(p.hidden_by.as_deref()), instr)
                ),
            ]);
        }
        out.push(Block::Table(h));
    }
    if !r.duplicates.is_empty() {
        let mut dt = Grid::new(vec![
            Col::num("wasted"),
            Col::num("copies"),
            Col::num("size"),
            Col::code("paths (layer)"),
        ]);
        for g in &r.duplicates {
            let paths: Vec<String> = g
                .paths
                .iter()
                .zip(&g.layers)
                .map(|(p, l)| format!("{p} ({l})"))
                .collect();
            dt.row([
                b(g.wasted_bytes),
                g.paths.len().to_string(),
                b(g.size),
                cut(&paths.join(", "), width.saturating_sub(40).max(30)),
            ]);
        }
        out.push(Block::Table(dt));
    }
    out.push(blank());
}

fn files(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    let b = |n: u64| opts.bytes.format(n);
    let t = &r.totals;
    let width = usize::from(opts.width);
    let mut ft = Grid::new(vec![
        Col::num("bytes"),
        Col::num("pull cost"),
        Col::num("% image"),
        Col::num("layer"),
        Col::code(if opts.sort_stored {
            "visible files, largest pull cost first"
        } else {
            "largest visible files"
        }),
    ]);
    let shown: u64 = r.top_files.iter().map(|f| f.bytes).sum();
    for f in &r.top_files {
        ft.row([
            b(f.bytes),
            b(f.stored_bytes),
            percent(f.bytes, t.visible_bytes),
            f.layer.to_string(),
            cut(&f.path, width.saturating_sub(50).max(30)),
        ]);
    }
    let rest_count = t.visible_files.saturating_sub(r.top_files.len() as u64);
    let rest = t.visible_bytes.saturating_sub(shown);
    if rest_count > 0 {
        ft.total([
            b(rest),
            String::new(),
            percent(rest, t.visible_bytes),
            String::new(),
            format!("and {}", count(rest_count, "smaller file", "smaller files")),
        ]);
    }
    ft.total([
        b(t.visible_bytes),
        String::new(),
        percent(t.visible_bytes, t.visible_bytes),
        String::new(),
        "total visible".to_string(),
    ]);
    out.push(Block::Table(ft));
    out.push(blank());
    if !r.top_dirs.is_empty() {
        let mut dt = Grid::new(vec![
            Col::num("bytes"),
            Col::num("pull cost"),
            Col::num("% image"),
            Col::code(if opts.sort_stored {
                format!(
                    "directories (up to {} deep), largest pull cost first",
                    opts.depth
                )
            } else {
                format!("largest directories (up to {} deep)", opts.depth)
            }),
        ]);
        for d in &r.top_dirs {
            dt.row([
                b(d.bytes),
                b(d.stored_bytes),
                percent(d.bytes, t.visible_bytes),
                cut(&d.path, width.saturating_sub(40).max(30)),
            ]);
        }
        out.push(Block::Table(dt));
    }
}

/// Categories the headline leaves out (see `analyze::findings`).
const OUTSIDE_DEAD_WEIGHT: [&str; 4] =
    ["model_weights", "secret", "root_user", "dockerfile_pattern"];

/// Findings grouped by category, heaviest category first, each with its fix. Plain
/// lines rather than a table: the fixes are sentences and must not be cut.
fn dead_weight(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    if r.findings.is_empty() {
        return;
    }
    let b = |n: u64| opts.bytes.format(n);
    // Per category: bytes and pull cost, on the same footing (each finding's entries,
    // deduplicated within the category).
    let mut cats: Vec<(&str, u64, u64)> = Vec::new();
    for f in &r.findings {
        match cats.iter_mut().find(|(c, _, _)| *c == f.category) {
            Some(c) => {
                c.1 += f.bytes;
                c.2 += f.stored_bytes;
            }
            None => cats.push((f.category.as_str(), f.bytes, f.stored_bytes)),
        }
    }
    cats.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    out.push(blank());
    out.push(Block::Heading(format!(
        "Dead weight: {} of {} ({}), each byte counted once",
        b(r.summary.dead_weight_bytes),
        b(r.summary.image_bytes),
        percent(r.summary.dead_weight_bytes, r.summary.image_bytes)
    )));
    let per_category = opts.top.clamp(3, 8);
    for (cat, total, stored) in &cats {
        let counted = r.summary.by_category.get(*cat).copied().unwrap_or(0);
        let note = if OUTSIDE_DEAD_WEIGHT.contains(cat) {
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
        out.push(blank());
        out.push(Block::Heading(if *total > 0 {
            format!("{cat}  {}  pull cost {}{note}", b(*total), b(*stored))
        } else {
            cat.to_string()
        }));
        let mut of_cat: Vec<&FindingInfo> =
            r.findings.iter().filter(|f| f.category == *cat).collect();
        if opts.sort_stored {
            of_cat.sort_by_key(|f| std::cmp::Reverse(f.stored_bytes));
        }
        for f in of_cat.iter().take(per_category) {
            finding(f, opts, out);
        }
        if of_cat.len() > per_category {
            let rest: u64 = of_cat.iter().skip(per_category).map(|f| f.bytes).sum();
            let more = of_cat.len() - per_category;
            out.push(line(format!(
                "  {:>9}  and {more} more {cat} {} (see --format json)",
                if rest > 0 { b(rest) } else { String::new() },
                if more == 1 { "finding" } else { "findings" },
            )));
        }
    }
}

/// The fixes, heaviest first, one line each: what applying it saves (bytes, then pull
/// cost), the layer it changes, what to do, and the findings it resolves. A rollup row
/// for the rest; no total row, since two fixes may remove the same file (the headline's
/// top 3 counts it once).
fn fixes(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    if r.fixes.is_empty() {
        return;
    }
    let b = |n: u64| opts.bytes.format(n);
    out.push(blank());
    out.push(Block::Heading(format!(
        "Fixes: what each change to the build saves (bytes, pull cost), heaviest first; the top 3 save {}",
        b(r.summary.top3_saving_bytes)
    )));
    let shown = opts.top.max(3);
    for x in r.fixes.iter().take(shown) {
        let layer = x.layer.map(|l| format!("L{l}")).unwrap_or_default();
        let mut rules: Vec<String> = x.rules.clone();
        let findings = x.findings.len();
        if rules.len() > 4 {
            let more = rules.len() - 3;
            rules.truncate(3);
            rules.push(format!("{more} more rules"));
        }
        out.push(line(format!(
            "  {:>9}  {:>9}  {:<4} {}: {} (resolves {}: {})",
            b(x.saving_bytes),
            b(x.stored_bytes),
            layer,
            x.kind,
            x.fix,
            count(findings as u64, "finding", "findings"),
            rules.join(", ")
        )));
    }
    if r.fixes.len() > shown {
        let rest = &r.fixes[shown..];
        out.push(line(format!(
            "  and {} smaller {} (see --format json)",
            rest.len(),
            if rest.len() == 1 { "fix" } else { "fixes" }
        )));
    }
}

/// One finding: bytes, severity, rule and layer; its message; an example path; its fix.
fn finding(f: &FindingInfo, opts: &Options, out: &mut Vec<Block>) {
    let width = usize::from(opts.width).max(60);
    let bytes = if f.bytes > 0 {
        opts.bytes.format(f.bytes)
    } else {
        String::new()
    };
    // The pull cost beside the bytes, where the finding covers files.
    let pull = if f.stored_bytes > 0 {
        format!("  pull cost {}", opts.bytes.format(f.stored_bytes))
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
                    // The pull cost takes its room from the instruction.
                    width.saturating_sub(50 + pull.chars().count()).max(20)
                )
            )
        })
        .unwrap_or_default();
    out.push(line(format!(
        "  {bytes:>9}  {:<7}  {}{pull}{layer}",
        f.severity, f.rule
    )));
    out.push(line(format!(
        "             {}",
        cut(&f.message, width.saturating_sub(13))
    )));
    if let Some(p) = f.paths.first()
        && !f.message.contains(p.as_str())
    {
        let more = if f.paths.len() > 1 {
            format!(" (+{} more)", f.paths.len() - 1)
        } else {
            String::new()
        };
        out.push(line(format!(
            "             e.g. {}{more}",
            cut(p, width.saturating_sub(30))
        )));
    }
    out.push(line(format!("             fix: {}", f.fix)));
}

/// The heaviest installed packages, with a rollup and a total row.
fn packages(r: &InspectReport, opts: &Options, out: &mut Vec<Block>) {
    if r.packages.is_empty() {
        return;
    }
    let b = |n: u64| opts.bytes.format(n);
    let visible = r.totals.visible_bytes;
    let mut t = Grid::new(vec![
        Col::num("bytes"),
        Col::num("% image"),
        Col::text("manager"),
        Col::code("heaviest packages"),
        Col::text("version"),
        Col::text(""),
    ]);
    for p in r.packages.iter().take(opts.top) {
        t.row([
            b(p.bytes),
            percent(p.bytes, visible),
            p.manager.clone(),
            cut(&p.name, 40),
            cut(&p.version, 30),
            if p.dev { "dev" } else { "" }.to_string(),
        ]);
    }
    let total: u64 = r.packages.iter().map(|p| p.bytes).sum();
    let shown: u64 = r.packages.iter().take(opts.top).map(|p| p.bytes).sum();
    if r.packages.len() > opts.top {
        let rest = (r.packages.len() - opts.top) as u64;
        t.total([
            b(total - shown),
            percent(total - shown, visible),
            String::new(),
            format!("and {}", count(rest, "smaller package", "smaller packages")),
            String::new(),
            String::new(),
        ]);
    }
    t.total([
        b(total),
        percent(total, visible),
        String::new(),
        format!(
            "{} in all",
            count(r.packages.len() as u64, "package", "packages")
        ),
        String::new(),
        String::new(),
    ]);
    out.push(blank());
    out.push(Block::Table(t));
}

fn warnings(r: &InspectReport, out: &mut Vec<Block>) {
    if r.warnings.is_empty() {
        return;
    }
    out.push(blank());
    out.push(Block::Heading(format!(
        "{}:",
        count(r.warnings.len() as u64, "warning", "warnings")
    )));
    for w in r.warnings.iter().take(20) {
        out.push(line(format!("  {w}")));
    }
    if r.warnings.len() > 20 {
        out.push(line(format!(
            "  ... and {} more (see --format json)",
            group_thousands(r.warnings.len() as u64 - 20)
        )));
    }
}
