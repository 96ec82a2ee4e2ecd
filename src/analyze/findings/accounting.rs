//! Findings of the waste accounting ([`crate::analyze::waste`]): the same content at
//! several paths, and bytes shipped but not visible (deleted, replaced, or copied again
//! only to change metadata), grouped by the layer that wrote them and the one that hid
//! them.

use super::history::short;
use super::model::{Category, Severity};
use super::shipped::{Acc, Ctx, Shipped, VisibleByPath};
use crate::index::PathId;
use std::collections::BTreeMap;

/// Extra copies of the same content: one finding per group of 64 KiB or more wasted, one
/// for all the small ones.
pub(super) fn duplicate_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>, visible: &VisibleByPath<'_>) {
    let paths = &ctx.index.paths;
    let mut small_dups: Vec<Shipped> = Vec::new();
    for g in &ctx.analysis.waste.duplicates {
        // By layer, then by path: the copies come sorted by path, and the sort is
        // stable.
        let mut copies: Vec<(PathId, u16)> = g.copies.clone();
        copies.sort_by_key(|&(_, l)| l);
        let extra: Vec<Shipped> = copies
            .iter()
            .skip(1)
            .filter_map(|(p, _)| {
                let (e, b, l) = visible.get(*p)?;
                Some(Shipped {
                    entry: e,
                    path: *p,
                    bytes: b,
                    layer: l,
                    visible: true,
                })
            })
            .filter(|s| !ctx.ignored(s.path))
            .collect();
        if g.wasted() >= 64 * 1024 {
            let first = copies
                .first()
                .map(|(p, _)| paths.display(*p))
                .unwrap_or_default();
            acc.push_files(
                "duplicate.same-content",
                Category::Duplicate,
                Severity::Warning,
                &extra,
                "keep one copy: COPY or cp it once and point the others at it (a symlink), or move it instead of copying",
                format!("{} copies of {first}", copies.len()),
            );
        } else {
            small_dups.extend(extra);
        }
    }
    if !small_dups.is_empty() {
        let n = small_dups.len();
        acc.push_files(
            "duplicate.small-files",
            Category::Duplicate,
            Severity::Info,
            &small_dups,
            "keep one copy of each: symlink or hard-link the others, or move instead of copying",
            format!("{n} extra copies of small files"),
        );
    }
}

/// Hidden bytes, by the layer that wrote them, the layer that hid them and how.
pub(super) fn hidden_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>) {
    let mut hidden_groups: BTreeMap<(u16, u16, &'static str), Vec<Shipped>> = BTreeMap::new();
    for h in &ctx.analysis.waste.hidden {
        if h.bytes == 0 || ctx.ignored(h.path) {
            continue;
        }
        hidden_groups
            .entry((h.written_by, h.hidden_by, h.fate.cause()))
            .or_default()
            .push(Shipped {
                entry: h.entry,
                path: h.path,
                bytes: h.bytes,
                layer: h.written_by,
                visible: false,
            });
    }
    for ((written, hidden_by, cause), files) in hidden_groups {
        let (rule, fix) = match cause {
            "same_content" => (
                "hidden.metadata-copy",
                "a later RUN wrote the file again with identical content (a chmod/chown/touch copies it whole): set modes when copying (`COPY --chmod=... --chown=...`) or in the RUN that creates it",
            ),
            "deleted" => (
                "hidden.deleted-later",
                "delete in the same RUN that created it (a later `rm` does not shrink the image)",
            ),
            "deleted_with_dir" => (
                "hidden.deleted-later",
                "keep it out of the build context (.dockerignore), or delete it in the same RUN that created it",
            ),
            "opaque" => (
                "hidden.opaque-dir",
                "replace the directory's contents in the layer that fills it",
            ),
            _ => (
                "hidden.overwritten",
                "write the file once, in its final form, in the layer that creates it",
            ),
        };
        let instr = short(ctx.index.created_by(usize::from(hidden_by)));
        acc.push_files(
            rule,
            Category::Hidden,
            Severity::Warning,
            &files,
            fix,
            format!(
                "{} of layer {written} {} by layer {hidden_by} ({instr}), still shipped",
                super::model::files(files.len()),
                cause.replace('_', " ")
            ),
        );
    }
}
