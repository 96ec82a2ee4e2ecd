//! The difference between two images, computed from their two reports.
//!
//! Both sides are [`InspectReport`]s, whether the report was just built from a saved image
//! or read back from a JSON file deadweight wrote earlier: one code path, so a diff against
//! a saved report equals the diff against the image it was written from.
//!
//! Invariants:
//! - every delta is `after - before`, as a signed integer, of figures both reports hold;
//!   nothing is re-measured here;
//! - matching is by identity, never by position: layers by diff_id, files by path (and
//!   content digest to tell a change), findings by rule and paths, packages by manager and
//!   name, so a rebuilt image with reordered instructions still diffs meaningfully;
//! - a file whose content left one path for another (same digest and size) is a move,
//!   kept out of the added and removed lists, so a rebuilt image with another WORKDIR
//!   does not read as everything deleted and re-added;
//! - directories partition the visible files (each file counts in exactly one directory,
//!   its ancestor at `depth` or its parent when shallower), so the directory deltas add up
//!   to the visible-bytes delta, and so do the file deltas;
//! - when either report lacks its file list (`inspect` without `--all-files`), the file and
//!   directory sections say so instead of guessing.
//!
//! This module reads inspect documents (the only form a saved side has) and writes the
//! diff document, both in [`crate::model`]; it never renders.

use crate::model::diff::*;
use crate::model::inspect::{FileInfo, FindingInfo, InspectReport, LayerInfo, PackageInfo};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How much of the long lists a diff keeps.
#[derive(Debug, Clone, Copy)]
pub struct DiffOptions {
    /// Directory depth of the rollup (1 = `/usr`, 2 = `/usr/lib`).
    pub depth: u32,
    /// Rows kept of each file list (0 = all); counts and byte sums cover every file.
    pub top: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { depth: 3, top: 10 }
    }
}

/// Compares `before` with `after`.
pub fn compare(before: &InspectReport, after: &InspectReport, opts: DiffOptions) -> ImageDiff {
    let (b, a) = (&before.totals, &after.totals);
    ImageDiff {
        before: side(before),
        after: side(after),
        delta: Delta {
            blob_bytes: delta(b.blob_bytes, a.blob_bytes),
            content_bytes: delta(b.content_bytes, a.content_bytes),
            visible_bytes: delta(b.visible_bytes, a.visible_bytes),
            hidden_bytes: delta(b.hidden_bytes, a.hidden_bytes),
            duplicate_bytes: delta(b.duplicate_bytes, a.duplicate_bytes),
            dead_weight_bytes: delta(
                before.summary.dead_weight_bytes,
                after.summary.dead_weight_bytes,
            ),
            files: delta(b.visible_files, a.visible_files),
            layers: delta(b.layers, a.layers),
            efficiency: after.dive.efficiency - before.dive.efficiency,
        },
        layers: layers(before, after),
        categories: categories(before, after),
        dirs: dirs(before, after, opts.depth),
        files: files(before, after, opts.top),
        findings: findings(before, after),
        packages: packages(before, after),
    }
}

fn side(r: &InspectReport) -> Side {
    Side {
        source: r.source.path.clone(),
        reference: r.image.reference.clone(),
        id: r.image.id.clone(),
        totals: r.totals.clone(),
        dead_weight_bytes: r.summary.dead_weight_bytes,
        efficiency: r.dive.efficiency,
        has_files: r.files.is_some(),
    }
}

/// Pairs the k-th occurrence of a diff_id in BEFORE with its k-th occurrence in AFTER (a
/// diff_id may repeat: every empty layer has the same one).
fn layers(before: &InspectReport, after: &InspectReport) -> LayerChanges {
    let mut unmatched: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
    for (pos, l) in after.layers.iter().enumerate() {
        unmatched
            .entry(l.diff_id.as_str())
            .or_default()
            .push_back(pos);
    }
    let mut out = LayerChanges::default();
    let mut after_used = vec![false; after.layers.len()];
    for bl in &before.layers {
        let matched = unmatched
            .get_mut(bl.diff_id.as_str())
            .and_then(|q| q.pop_front());
        match matched.and_then(|pos| after.layers.get(pos).map(|al| (pos, al))) {
            Some((pos, al)) => {
                if let Some(u) = after_used.get_mut(pos) {
                    *u = true;
                }
                out.shared.push(SharedLayer {
                    diff_id: bl.diff_id.clone(),
                    before_index: bl.index,
                    after_index: al.index,
                    before_blob_bytes: bl.blob_bytes,
                    after_blob_bytes: al.blob_bytes,
                    content_bytes: al.content_bytes,
                    created_by: al.created_by.clone(),
                });
            }
            None => out.removed.push(only(bl)),
        }
    }
    for (al, used) in after.layers.iter().zip(&after_used) {
        if !used {
            out.added.push(only(al));
        }
    }
    out
}

fn only(l: &LayerInfo) -> OnlyLayer {
    OnlyLayer {
        index: l.index,
        diff_id: l.diff_id.clone(),
        blob_bytes: l.blob_bytes,
        content_bytes: l.content_bytes,
        created_by: l.created_by.clone(),
    }
}

/// Largest change first; ties by name, so the order is stable.
fn by_change<T>(items: &mut [T], key: impl Fn(&T) -> (i64, &str)) {
    items.sort_by(|x, y| {
        let (dx, nx) = key(x);
        let (dy, ny) = key(y);
        dy.unsigned_abs()
            .cmp(&dx.unsigned_abs())
            .then(dx.cmp(&dy))
            .then_with(|| nx.cmp(ny))
    });
}

fn categories(before: &InspectReport, after: &InspectReport) -> Vec<CategoryDelta> {
    let (b, a) = (&before.summary.by_category, &after.summary.by_category);
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let mut out: Vec<CategoryDelta> = names
        .into_iter()
        .map(|c| {
            let before_bytes = b.get(c).copied().unwrap_or(0);
            let after_bytes = a.get(c).copied().unwrap_or(0);
            CategoryDelta {
                category: c.clone(),
                before_bytes,
                after_bytes,
                delta_bytes: delta(before_bytes, after_bytes),
            }
        })
        .collect();
    by_change(&mut out, |c| (c.delta_bytes, c.category.as_str()));
    out
}

/// The directory a file's bytes roll up to: its ancestor `depth` levels below the root,
/// or its parent when the file is shallower (`/` for a file at the root).
pub fn rollup_dir(path: &str, depth: u32) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let parent_depth = parts.len().saturating_sub(1);
    let keep = parent_depth.min(depth as usize);
    let kept = parts.get(..keep).unwrap_or(&[]);
    format!("/{}", kept.join("/"))
}

fn dirs(before: &InspectReport, after: &InspectReport, depth: u32) -> Vec<DirDelta> {
    let (Some(bf), Some(af)) = (&before.files, &after.files) else {
        return Vec::new();
    };
    let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in bf {
        sums.entry(rollup_dir(&f.path, depth)).or_default().0 += f.bytes;
    }
    for f in af {
        sums.entry(rollup_dir(&f.path, depth)).or_default().1 += f.bytes;
    }
    let mut out: Vec<DirDelta> = sums
        .into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(path, (b, a))| DirDelta {
            path,
            before_bytes: b,
            after_bytes: a,
            delta_bytes: delta(b, a),
        })
        .collect();
    by_change(&mut out, |d| (d.delta_bytes, d.path.as_str()));
    out
}

fn files(before: &InspectReport, after: &InspectReport, top: usize) -> FileChanges {
    let (bf, af) = match (&before.files, &after.files) {
        (Some(b), Some(a)) => (b, a),
        (b, a) => {
            let which = match (b.is_none(), a.is_none()) {
                (true, true) => "neither report",
                (true, false) => "the BEFORE report",
                _ => "the AFTER report",
            };
            let missing = if b.is_none() && a.is_none() {
                "neither report holds"
            } else {
                "it does not hold"
            };
            return FileChanges {
                available: false,
                unavailable: Some(format!(
                    "files and directories not compared: {which} was written without \
                     --all-files and {missing} the file list; write it with \
                     `deadweight inspect --format json --all-files IMAGE`, or diff the \
                     image itself"
                )),
                ..FileChanges::default()
            };
        }
    };
    let after_by_path: HashMap<&str, &FileInfo> = af.iter().map(|f| (f.path.as_str(), f)).collect();
    let before_paths: BTreeSet<&str> = bf.iter().map(|f| f.path.as_str()).collect();
    let mut out = FileChanges {
        available: true,
        ..FileChanges::default()
    };
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for f in bf {
        match after_by_path.get(f.path.as_str()) {
            None => {
                out.removed_count += 1;
                out.removed_bytes += f.bytes;
                removed.push(FileDelta {
                    path: f.path.clone(),
                    before_bytes: f.bytes,
                    after_bytes: 0,
                    delta_bytes: delta(f.bytes, 0),
                    before_layer: Some(f.layer),
                    after_layer: None,
                });
            }
            Some(g) if g.bytes != f.bytes || g.sha256 != f.sha256 => {
                out.changed_count += 1;
                let d = delta(f.bytes, g.bytes);
                out.changed_delta_bytes = out.changed_delta_bytes.saturating_add(d);
                changed.push(FileDelta {
                    path: f.path.clone(),
                    before_bytes: f.bytes,
                    after_bytes: g.bytes,
                    delta_bytes: d,
                    before_layer: Some(f.layer),
                    after_layer: Some(g.layer),
                });
            }
            Some(_) => out.unchanged_count += 1,
        }
    }
    for g in af {
        if !before_paths.contains(g.path.as_str()) {
            out.added_count += 1;
            out.added_bytes += g.bytes;
            added.push(FileDelta {
                path: g.path.clone(),
                before_bytes: 0,
                after_bytes: g.bytes,
                delta_bytes: delta(0, g.bytes),
                before_layer: None,
                after_layer: Some(g.layer),
            });
        }
    }
    let moved = moves(bf, af, &mut added, &mut removed);
    for m in &moved {
        out.moved_count += 1;
        out.moved_bytes += m.bytes;
        out.added_count -= 1;
        out.added_bytes -= m.bytes;
        out.removed_count -= 1;
        out.removed_bytes -= m.bytes;
    }
    let mut moved = moved;
    moved.sort_by(|x, y| y.bytes.cmp(&x.bytes).then_with(|| x.to.cmp(&y.to)));
    if top > 0 {
        moved.truncate(top);
    }
    out.moved = moved;
    for list in [&mut added, &mut removed, &mut changed] {
        by_change(list, |f| (f.delta_bytes, f.path.as_str()));
        if top > 0 {
            list.truncate(top);
        }
    }
    out.added = added;
    out.removed = removed;
    out.changed = changed;
    out
}

/// Pairs removed and added files with the same digest and size (not empty), in path
/// order, and takes them out of both lists.
fn moves(
    bf: &[FileInfo],
    af: &[FileInfo],
    added: &mut Vec<FileDelta>,
    removed: &mut Vec<FileDelta>,
) -> Vec<FileMove> {
    let digest_of = |files: &[FileInfo]| -> HashMap<String, String> {
        files
            .iter()
            .filter(|f| f.bytes > 0)
            .filter_map(|f| f.sha256.clone().map(|d| (f.path.clone(), d)))
            .collect()
    };
    let (bd, ad) = (digest_of(bf), digest_of(af));
    let mut open: HashMap<(&str, u64), std::collections::VecDeque<usize>> = HashMap::new();
    for (i, r) in removed.iter().enumerate() {
        if let Some(d) = bd.get(&r.path) {
            open.entry((d.as_str(), r.before_bytes))
                .or_default()
                .push_back(i);
        }
    }
    let mut taken_removed = vec![false; removed.len()];
    let mut taken_added = vec![false; added.len()];
    let mut out = Vec::new();
    for (a, taken) in added.iter().zip(taken_added.iter_mut()) {
        let Some(d) = ad.get(&a.path) else { continue };
        let Some(i) = open
            .get_mut(&(d.as_str(), a.after_bytes))
            .and_then(|q| q.pop_front())
        else {
            continue;
        };
        let Some(r) = removed.get(i) else { continue };
        if let Some(t) = taken_removed.get_mut(i) {
            *t = true;
        }
        *taken = true;
        out.push(FileMove {
            from: r.path.clone(),
            to: a.path.clone(),
            bytes: a.after_bytes,
            before_layer: r.before_layer.unwrap_or_default(),
            after_layer: a.after_layer.unwrap_or_default(),
        });
    }
    let mut keep = taken_removed.iter().map(|t| !t);
    removed.retain(|_| keep.next().unwrap_or(true));
    let mut keep = taken_added.iter().map(|t| !t);
    added.retain(|_| keep.next().unwrap_or(true));
    out
}

/// How findings are matched: a rule id and some of its paths.
type FindingKey = (String, Vec<String>);

/// A finding's identity: its rule and its sorted, deduplicated example paths.
fn by_path_set(f: &FindingInfo) -> FindingKey {
    let mut p = f.paths.clone();
    p.sort_unstable();
    p.dedup();
    (f.rule.clone(), p)
}

/// A looser identity: its rule and its first example path.
fn by_first_path(f: &FindingInfo) -> FindingKey {
    (
        f.rule.clone(),
        f.paths.first().cloned().into_iter().collect(),
    )
}

/// Matches findings by (rule, path set) first, then what is left by (rule, first path):
/// a finding whose example paths grew or shrank is the same finding.
fn findings(before: &InspectReport, after: &InspectReport) -> FindingChanges {
    let mut before_used = vec![false; before.findings.len()];
    let mut after_used = vec![false; after.findings.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let keys: [fn(&FindingInfo) -> FindingKey; 2] = [by_path_set, by_first_path];
    for key in keys {
        let mut open: HashMap<FindingKey, std::collections::VecDeque<usize>> = HashMap::new();
        for ((i, f), used) in after.findings.iter().enumerate().zip(&after_used) {
            if !used {
                open.entry(key(f)).or_default().push_back(i);
            }
        }
        for ((i, f), used) in before
            .findings
            .iter()
            .enumerate()
            .zip(before_used.iter_mut())
        {
            if *used {
                continue;
            }
            if let Some(j) = open.get_mut(&key(f)).and_then(|q| q.pop_front()) {
                pairs.push((i, j));
                *used = true;
                if let Some(u) = after_used.get_mut(j) {
                    *u = true;
                }
            }
        }
    }
    let mut out = FindingChanges::default();
    pairs.sort_unstable();
    for (i, j) in pairs {
        if let (Some(b), Some(a)) = (before.findings.get(i), after.findings.get(j)) {
            out.remaining.push(RemainingFinding {
                rule: a.rule.clone(),
                category: a.category.clone(),
                severity: a.severity.clone(),
                paths: a.paths.clone(),
                before_bytes: b.bytes,
                after_bytes: a.bytes,
                delta_bytes: delta(b.bytes, a.bytes),
                message: a.message.clone(),
                fix: a.fix.clone(),
            });
        }
    }
    out.fixed = before
        .findings
        .iter()
        .zip(&before_used)
        .filter(|(_, used)| !**used)
        .map(|(f, _)| f.clone())
        .collect();
    out.new = after
        .findings
        .iter()
        .zip(&after_used)
        .filter(|(_, used)| !**used)
        .map(|(f, _)| f.clone())
        .collect();
    out
}

fn packages(before: &InspectReport, after: &InspectReport) -> PackageChanges {
    let key = |p: &PackageInfo| (p.manager.clone(), p.name.clone());
    let b: BTreeMap<(String, String), &PackageInfo> =
        before.packages.iter().map(|p| (key(p), p)).collect();
    let a: BTreeMap<(String, String), &PackageInfo> =
        after.packages.iter().map(|p| (key(p), p)).collect();
    let mut out = PackageChanges::default();
    for (k, bp) in &b {
        match a.get(k) {
            None => out.removed.push((*bp).clone()),
            Some(ap) if ap.version != bp.version || ap.bytes != bp.bytes => {
                out.changed.push(PackageChange {
                    manager: ap.manager.clone(),
                    name: ap.name.clone(),
                    before_version: bp.version.clone(),
                    after_version: ap.version.clone(),
                    before_bytes: bp.bytes,
                    after_bytes: ap.bytes,
                    delta_bytes: delta(bp.bytes, ap.bytes),
                })
            }
            Some(_) => {}
        }
    }
    out.added = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, p)| (*p).clone())
        .collect();
    out.added
        .sort_by(|x, y| y.bytes.cmp(&x.bytes).then_with(|| x.name.cmp(&y.name)));
    out.removed
        .sort_by(|x, y| y.bytes.cmp(&x.bytes).then_with(|| x.name.cmp(&y.name)));
    by_change(&mut out.changed, |p| (p.delta_bytes, p.name.as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_dir_cuts_at_depth_or_parent() {
        assert_eq!(rollup_dir("/usr/lib/x/y/z.so", 2), "/usr/lib");
        assert_eq!(rollup_dir("/usr/lib/z.so", 3), "/usr/lib");
        assert_eq!(rollup_dir("/a", 3), "/");
        assert_eq!(rollup_dir("/a/b", 0), "/");
    }

    #[test]
    fn delta_is_signed() {
        assert_eq!(delta(10, 3), -7);
        assert_eq!(delta(3, 10), 7);
        assert_eq!(delta(u64::MAX, 0), -i64::MAX - 1);
    }
}
