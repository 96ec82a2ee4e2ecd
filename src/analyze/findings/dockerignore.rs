//! `.dockerignore` lines for what COPY/ADD layers took from the build context: the
//! findings' files (of the categories a `.dockerignore` can keep out) below a COPY's
//! destination, as the top directory or the file relative to it.

use super::model::{Category, Finding, IgnoreLine};
use crate::index::{Index, PathId, escape_bytes};
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeMap;

/// `.dockerignore` lines for what COPY/ADD layers took from the build context.
pub(super) fn suggest_dockerignore(index: &Index, findings: &[Finding]) -> Vec<IgnoreLine> {
    const CATS: &[Category] = &[
        Category::Vcs,
        Category::Dataset,
        Category::Notebook,
        Category::TestSuite,
        Category::Docs,
        Category::Secret,
        Category::PackageCache,
        Category::TempFile,
        Category::LogFile,
    ];
    // Each COPY/ADD layer's destination, once per layer.
    let dest_of = |layer: usize| -> Option<PathId> {
        let cb = index.layers.get(layer)?.created_by()?;
        let nop = cb.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(cb).trim();
        let is_copy =
            (nop.starts_with("COPY") || nop.starts_with("ADD")) && !nop.contains("--from");
        if !is_copy {
            return None;
        }
        // The destination: `... in DEST`.
        let dest = nop.rsplit(" in ").next().unwrap_or("/").trim();
        let dest = if dest == "." || dest == "./" || !dest.starts_with('/') {
            let wd = index.image.config.working_dir.trim_end_matches('/');
            let rel = dest.trim_start_matches("./").trim_end_matches('/');
            if rel.is_empty() || rel == "." {
                wd.to_string()
            } else {
                format!("{wd}/{rel}")
            }
        } else {
            dest.trim_end_matches('/').to_string()
        };
        index.paths.find(dest.as_bytes())
    };
    // With its display, without a trailing `/`, which prefixes the display of every path
    // below it.
    let dests: Vec<Option<(PathId, String)>> = (0..index.layers.len())
        .map(|layer| {
            let dest = dest_of(layer)?;
            let shown = index.paths.display(dest).trim_end_matches('/').to_string();
            Some((dest, shown))
        })
        .collect();
    let mut lines: BTreeMap<String, (u64, Category, HashSet<u32>)> = BTreeMap::new();
    for f in findings.iter().filter(|f| CATS.contains(&f.category)) {
        for &e in &f.entries {
            let Some(entry) = index.entries.get(e as usize) else {
                continue;
            };
            let Some(Some((dest, dest_shown))) = dests.get(usize::from(entry.layer)) else {
                continue;
            };
            let dest = *dest;
            // The entry's ancestor just below the destination, if it is below it.
            let top = index
                .paths
                .ancestor_at(entry.path, index.paths.depth(dest) + 1);
            if top == dest || index.paths.parent(top) != dest {
                continue;
            }
            let pattern = if top != entry.path
                && matches!(
                    f.category,
                    Category::Vcs
                        | Category::Dataset
                        | Category::Notebook
                        | Category::TestSuite
                        | Category::Docs
                ) {
                escape_bytes(index.paths.name(top))
            } else {
                let full = index.paths.display(entry.path);
                let rel = full
                    .strip_prefix(dest_shown.as_str())
                    .and_then(|r| r.strip_prefix('/'));
                match rel {
                    Some(rel) => rel.to_string(),
                    None => continue,
                }
            };
            let slot = lines
                .entry(pattern)
                .or_insert((0, f.category, HashSet::new()));
            if slot.2.insert(e) {
                slot.0 += entry.size;
            }
        }
    }
    let mut out: Vec<IgnoreLine> = lines
        .into_iter()
        .map(|(pattern, (bytes, category, _))| IgnoreLine {
            pattern,
            bytes,
            category,
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.pattern.cmp(&b.pattern)));
    out
}
