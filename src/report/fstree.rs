//! The final filesystem as a tree of sizes: what the terminal tree (`inspect --tree`) and
//! the HTML treemap draw.
//!
//! Built from visible files (path, attributed bytes, layer), so it can come from an
//! analysis ([`FsTree::from_analysis`]) or from a saved report's `files`
//! ([`FsTree::from_files`]). Invariants: a directory's `bytes` is the sum of its
//! children's, and the root's is the image's visible bytes; children are sorted biggest
//! first (ties by name); files with 0 attributed bytes (the extra paths of a hard-linked
//! inode, empty files) are counted in `files` but get no node, as they have no area.
//! [`FsTree::aggregate`] folds small entries into one "smaller entries" node per directory
//! without changing any directory's bytes.

use crate::analyze::Analysis;
use crate::index::Index;
use serde::Serialize;
use std::collections::HashMap;

/// Paths deeper than this are folded into their ancestor at this depth, so a hostile
/// archive with very deep paths cannot exhaust the stack of the recursive walks.
pub const MAX_DEPTH: usize = 128;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeKind {
    /// A directory.
    Dir,
    /// A visible file.
    File,
    /// Several small entries of one directory, folded together.
    Rest,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsNode {
    /// The last path component (empty for the root; a description for `Rest`).
    pub name: String,
    /// Visible bytes at or below it.
    pub bytes: u64,
    /// Their pull cost: the layer blobs' bytes that carried them.
    pub stored: u64,
    /// Visible files at or below it (0-byte ones included).
    pub files: u64,
    /// A file's layer; for a directory, the layer that wrote most of its bytes.
    pub layer: Option<usize>,
    /// For a directory: true when more than one layer wrote its bytes.
    pub mixed: bool,
    /// Directory, file, or folded entries.
    pub kind: NodeKind,
    /// Biggest first.
    pub children: Vec<FsNode>,
}

/// The final filesystem's tree of sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsTree {
    /// The root directory `/`.
    pub root: FsNode,
    /// Entries folded by [`FsTree::aggregate`], and their bytes.
    pub folded: (u64, u64),
}

/// A directory while building: children by name, bytes per layer.
#[derive(Default)]
struct Building {
    dirs: HashMap<String, Building>,
    files: Vec<FsNode>,
    zero_files: u64,
    /// The pull cost of the 0-byte files (their tar headers): no tile, but pulled.
    zero_stored: u64,
    per_layer: HashMap<usize, u64>,
}

impl Building {
    fn insert(&mut self, parts: &[&str], (bytes, stored): (u64, u64), layer: usize) {
        *self.per_layer.entry(layer).or_default() += bytes;
        match parts {
            [] => {}
            [name] => {
                if bytes == 0 {
                    self.zero_files += 1;
                    self.zero_stored += stored;
                } else {
                    self.files.push(FsNode {
                        name: (*name).to_string(),
                        bytes,
                        stored,
                        files: 1,
                        layer: Some(layer),
                        mixed: false,
                        kind: NodeKind::File,
                        children: Vec::new(),
                    });
                }
            }
            [dir, rest @ ..] => self.dirs.entry((*dir).to_string()).or_default().insert(
                rest,
                (bytes, stored),
                layer,
            ),
        }
    }

    fn finish(self, name: String) -> FsNode {
        let mut children: Vec<FsNode> = self.files;
        children.extend(self.dirs.into_iter().map(|(n, b)| b.finish(n)));
        // A directory that holds only 0-byte files has no area and no node.
        let files = self.zero_files + children.iter().map(|c| c.files).sum::<u64>();
        // Their pull cost stays in the directory's.
        let stored = self.zero_stored + children.iter().map(|c| c.stored).sum::<u64>();
        children.retain(|c| c.bytes > 0);
        sort(&mut children);
        let bytes = children.iter().map(|c| c.bytes).sum();
        let nonzero = self.per_layer.values().filter(|b| **b > 0).count();
        let layer = self
            .per_layer
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(l, _)| *l);
        FsNode {
            name,
            bytes,
            stored,
            files,
            layer,
            mixed: nonzero > 1,
            kind: NodeKind::Dir,
            children,
        }
    }
}

fn sort(children: &mut [FsNode]) {
    children.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
}

impl FsTree {
    /// The tree of `(path, bytes, layer)` triples: `/`-separated paths of visible files,
    /// with no pull cost.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, u64, usize)>) -> FsTree {
        FsTree::from_files_stored(files.into_iter().map(|(p, b, l)| (p, (b, 0), l)))
    }

    /// The tree of `(path, (bytes, stored bytes), layer)`: `/`-separated paths of visible
    /// files with their pull cost.
    pub fn from_files_stored<'a>(
        files: impl IntoIterator<Item = (&'a str, (u64, u64), usize)>,
    ) -> FsTree {
        let mut root = Building::default();
        for (path, bytes, layer) in files {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            if parts.len() > MAX_DEPTH {
                let (head, tail) = parts.split_at(MAX_DEPTH - 1);
                let joined = tail.join("/");
                let mut folded: Vec<&str> = head.to_vec();
                folded.push(&joined);
                root.insert(&folded, bytes, layer);
            } else {
                root.insert(&parts, bytes, layer);
            }
        }
        FsTree {
            root: root.finish(String::new()),
            folded: (0, 0),
        }
    }

    /// The tree of the image's visible files.
    pub fn from_analysis(index: &Index, analysis: &Analysis) -> FsTree {
        let paths: Vec<(String, (u64, u64), usize)> = analysis
            .waste
            .visible
            .iter()
            .map(|f| {
                (
                    index.paths.display(f.path),
                    (f.bytes, f.stored(index)),
                    usize::from(f.layer(index)),
                )
            })
            .collect();
        FsTree::from_files_stored(paths.iter().map(|(p, b, l)| (p.as_str(), *b, *l)))
    }

    /// The tree of a saved report's `files` (present when it was made with `--all-files`).
    pub fn from_report(report: &crate::model::inspect::InspectReport) -> Option<FsTree> {
        let files = report.files.as_ref()?;
        Some(FsTree::from_files_stored(files.iter().map(|f| {
            (f.path.as_str(), (f.bytes, f.stored_bytes), f.layer)
        })))
    }

    /// Folds, in every directory, the entries smaller than `threshold` bytes into one
    /// [`NodeKind::Rest`] node, placed last (when there are at least two of them), so the tree of an
    /// image with 200k files stays small. Directory sizes do not change.
    pub fn aggregate(&mut self, threshold: u64) {
        let mut folded = (0, 0);
        fold(&mut self.root, threshold, &mut folded, 0);
        self.folded = folded;
    }

    /// Nodes in the tree (the root included).
    pub fn node_count(&self) -> usize {
        fn count(n: &FsNode) -> usize {
            1 + n.children.iter().map(count).sum::<usize>()
        }
        count(&self.root)
    }
}

fn fold(node: &mut FsNode, threshold: u64, folded: &mut (u64, u64), depth: usize) {
    let small = node.children.iter().filter(|c| c.bytes < threshold).count();
    if small >= 2 {
        let (keep, rest): (Vec<FsNode>, Vec<FsNode>) = std::mem::take(&mut node.children)
            .into_iter()
            .partition(|c| c.bytes >= threshold);
        let bytes: u64 = rest.iter().map(|c| c.bytes).sum();
        let stored: u64 = rest.iter().map(|c| c.stored).sum();
        let files: u64 = rest.iter().map(|c| c.files).sum();
        let mut layers: HashMap<usize, u64> = HashMap::new();
        for c in &rest {
            if let Some(l) = c.layer {
                *layers.entry(l).or_default() += c.bytes;
            }
        }
        let layer = layers
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(l, _)| *l);
        folded.0 += rest.len() as u64;
        folded.1 += bytes;
        node.children = keep;
        node.children.push(FsNode {
            name: format!("{} smaller entries", rest.len()),
            bytes,
            stored,
            files,
            layer,
            mixed: layers.len() > 1 || rest.iter().any(|c| c.mixed),
            kind: NodeKind::Rest,
            children: Vec::new(),
        });
    }
    if depth < MAX_DEPTH {
        for c in &mut node.children {
            fold(c, threshold, folded, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> FsTree {
        FsTree::from_files([
            ("/usr/bin/python", 700, 1),
            ("/usr/lib/libc.so", 200, 0),
            ("/usr/lib/empty", 0, 0),
            ("/app/a.py", 50, 2),
            ("/app/b.py", 30, 2),
            ("/app/c.py", 20, 2),
        ])
    }

    #[test]
    fn sizes_roll_up_biggest_first() {
        let t = tree();
        assert_eq!(t.root.bytes, 1000);
        assert_eq!(t.root.files, 6);
        let names: Vec<&str> = t.root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["usr", "app"]);
        let usr = &t.root.children[0];
        assert_eq!((usr.bytes, usr.layer, usr.mixed), (900, Some(1), true));
        assert_eq!(usr.children[1].files, 2); // lib: libc.so and the empty file
        assert_eq!(usr.children[1].children.len(), 1);
        assert!(!t.root.children[1].mixed);
    }

    #[test]
    fn aggregate_folds_small_entries_and_keeps_sizes() {
        let mut t = tree();
        t.aggregate(40);
        let app = &t.root.children[1];
        assert_eq!(app.bytes, 100);
        let names: Vec<&str> = app.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a.py", "2 smaller entries"]);
        assert_eq!(app.children[1].bytes, 50);
        assert_eq!(app.children[1].kind, NodeKind::Rest);
        assert_eq!(t.folded, (2, 50));
    }

    #[test]
    fn very_deep_paths_are_folded() {
        let deep = "/d".repeat(MAX_DEPTH + 50) + "/f";
        let t = FsTree::from_files([(deep.as_str(), 5, 0)]);
        let mut depth = 0;
        let mut n = &t.root;
        while let Some(c) = n.children.first() {
            n = c;
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(n.bytes, 5);
    }
}
