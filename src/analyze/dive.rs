//! dive's figures, reproduced exactly as dive 0.13.1 computes them, so pipelines that gate
//! on dive can switch without their numbers moving.
//!
//! dive builds one tree per layer from the layer's tar headers (a node per path, with
//! intermediate directories created empty; `.wh..wh.*` names are dropped; `.wh.NAME` stays
//! a node whose path is NAME). It then visits every *leaf* of every layer's tree and keys
//! it by path: a regular node counts its header size; a whiteout node counts the size of
//! the subtree at that path in the layers below stacked together, but only if that node is
//! a directory there (a file whiteout counts 0). Per path it keeps the smallest and the
//! total of those sizes, and the number of nodes:
//!
//! - efficiency = sum of smallest / sum of totals (1.0 when nothing was counted);
//! - wasted bytes = sum of totals over paths seen twice or more (surviving copy included);
//! - user wasted percent = wasted bytes / sum of the sizes of layers 1..N (layer 0 is
//!   taken as the base), undefined when that sum is 0.
//!
//! dive's stacking replaces a node's data with that of the newest layer that mentions the
//! path, even as an intermediate directory (which carries no data and so is not a
//! directory); a whiteout of such a path counts 0. We keep that quirk: the point is
//! dive's numbers, not ours (ours are in [`super::waste`]).
//!
//! dive recomputes the stacked tree for every whiteout; we keep it up to date layer by
//! layer, so the cost is linear in the entries.

use crate::index::{EntryKind, FileEntry, Index, PathId, PathTable};
use foldhash::{HashMap, HashMapExt};

/// dive's figures for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct DiveFigures {
    /// Sum of all layers' sizes (dive's "image size").
    pub size_bytes: u64,
    /// Sum of the sizes of layers 1..N.
    pub user_bytes: u64,
    /// dive's efficiency score.
    pub efficiency: f64,
    /// dive's wasted bytes.
    pub wasted_bytes: u64,
    /// wasted / user bytes; `None` where dive divides by zero.
    pub user_wasted_percent: Option<f64>,
    /// dive's inefficient paths, heaviest first.
    pub inefficient: Vec<InefficientPath>,
}

/// A path dive saw in two or more layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InefficientPath {
    /// The path.
    pub path: PathId,
    /// How many layer-tree leaves had this path.
    pub count: u32,
    /// Their total size.
    pub bytes: u64,
}

#[derive(Clone, Copy, Default)]
struct PathStat {
    min: u64,
    total: u64,
    count: u32,
}

/// dive's tree stacked from the layers so far: per path, present, is-a-directory and
/// size in one 4-byte word (the table has an entry per path: 4 bytes rather than 16).
///
/// 4 bytes, not 8 (#23 memory): the table runs beside the waste accounting, at the
/// analysis' peak (380k paths, 1.5 MB less on the 50-layer whiteout image). A size of 1
/// GiB or more is marked `BIG` and kept in a map; the map's entry of a path set again with
/// a small size, or removed, is left behind and never read (only `BIG` reads it).
struct StackedTree {
    nodes: Vec<u32>,
    big: HashMap<PathId, u64>,
}

impl StackedTree {
    const PRESENT: u32 = 1 << 31;
    const DIR: u32 = 1 << 30;
    /// The size bits; all set: the size is in `big`.
    const BIG: u32 = StackedTree::DIR - 1;

    fn new(paths: usize) -> Self {
        StackedTree {
            nodes: vec![0; paths],
            big: HashMap::new(),
        }
    }

    fn word(&self, path: PathId) -> u32 {
        self.nodes.get(path as usize).copied().unwrap_or(0)
    }

    fn present(&self, path: PathId) -> bool {
        self.word(path) & StackedTree::PRESENT != 0
    }

    fn is_dir(&self, path: PathId) -> bool {
        self.word(path) & StackedTree::DIR != 0
    }

    /// The node's size (0 where there is none).
    fn size(&self, path: PathId) -> u64 {
        let bits = self.word(path) & StackedTree::BIG;
        unpack_size(&self.big, path, bits, StackedTree::BIG)
    }

    /// Puts a node at `path`.
    fn set(&mut self, path: PathId, is_dir: bool, size: u64) {
        let size_bits = pack_size(&mut self.big, path, size, StackedTree::BIG);
        if let Some(w) = self.nodes.get_mut(path as usize) {
            *w = StackedTree::PRESENT | if is_dir { StackedTree::DIR } else { 0 } | size_bits;
        }
    }

    /// Removes the node at `path`.
    fn clear(&mut self, path: PathId) {
        if let Some(w) = self.nodes.get_mut(path as usize) {
            *w = 0;
        }
    }
}

/// A node of one layer's tree: its data (from the last header at that path) and whether
/// it has children in this layer.
#[derive(Clone, Copy, Default)]
struct LayerNode {
    header: bool,
    is_dir: bool,
    size: u64,
    has_child: bool,
}

/// No node of the current layer's tree at this path.
const NO_SLOT: u32 = u32::MAX;

/// Computes dive's figures for `index`.
pub fn figures(index: &Index) -> DiveFigures {
    let paths = index.paths.len();
    let mut stacked = StackedTree::new(paths);
    let mut leaves = LeafSizes::new(paths);
    let mut tree = LayerTree::new(paths);
    let mut layer_sizes = Vec::with_capacity(index.layers.len());
    for layer in &index.layers {
        let entries = index.entries.get(layer.range.clone()).unwrap_or_default();
        layer_sizes.push(tree.build(&index.paths, entries));
        tree.count_leaves(index, &stacked, &mut leaves);
        tree.stack_onto(index, &mut stacked);
    }
    leaves.figures(&index.paths, &layer_sizes)
}

/// `size` at `path` as a dense table's `u32` word ([`StackedTree`], [`LeafSizes`]): the
/// size itself below `big`, else `big`, with the size kept whole in `sizes`.
fn pack_size(sizes: &mut HashMap<PathId, u64>, path: PathId, size: u64, big: u32) -> u32 {
    match u32::try_from(size) {
        Ok(small) if small < big => small,
        _ => {
            sizes.insert(path, size);
            big
        }
    }
}

/// The size the word `bits` at `path` stands for ([`pack_size`] with `big`).
fn unpack_size(sizes: &HashMap<PathId, u64>, path: PathId, bits: u32, big: u32) -> u64 {
    if bits == big {
        sizes.get(&path).copied().unwrap_or(0)
    } else {
        u64::from(bits)
    }
}

/// The leaf sizes of each path over all layers' trees: most paths are a leaf in one layer
/// only, so a dense vector holds that one size (`UNSEEN` before), and a map the paths seen
/// again.
///
/// The dense sizes are 4 bytes, not 8 (#23 memory): the vector has an entry per path and
/// runs beside the waste accounting, at the analysis' peak (380k paths, 1.5 MB less on the
/// 50-layer whiteout image). A size of 4 GiB or more, rare, is marked `BIG` and kept in a
/// map.
struct LeafSizes {
    once: Vec<u32>,
    big: HashMap<PathId, u64>,
    many: HashMap<PathId, PathStat>,
}

impl LeafSizes {
    const UNSEEN: u32 = u32::MAX;
    /// The size is in `big`.
    const BIG: u32 = u32::MAX - 1;

    fn new(paths: usize) -> Self {
        LeafSizes {
            once: vec![LeafSizes::UNSEEN; paths],
            big: HashMap::new(),
            many: HashMap::new(),
        }
    }

    /// The size of the one leaf seen at `path`, from its dense entry `first`.
    fn size_of(&self, path: PathId, first: u32) -> u64 {
        unpack_size(&self.big, path, first, LeafSizes::BIG)
    }

    /// Counts a leaf of `bytes` at `path`.
    fn add(&mut self, path: PathId, bytes: u64) {
        if let Some(st) = self.many.get_mut(&path) {
            st.total += bytes;
            st.min = st.min.min(bytes);
            st.count += 1;
            return;
        }
        let Some(&first) = self.once.get(path as usize) else {
            return;
        };
        let stored = if first == LeafSizes::UNSEEN {
            pack_size(&mut self.big, path, bytes, LeafSizes::BIG)
        } else {
            let first = self.size_of(path, first);
            self.big.remove(&path);
            self.many.insert(
                path,
                PathStat {
                    min: first.min(bytes),
                    total: first + bytes,
                    count: 2,
                },
            );
            LeafSizes::UNSEEN
        };
        if let Some(slot) = self.once.get_mut(path as usize) {
            *slot = stored;
        }
    }

    /// dive's figures from the leaves counted and the layers' sizes, bottom first.
    fn figures(self, paths: &PathTable, layer_sizes: &[u64]) -> DiveFigures {
        let mut min_sum = 0u64;
        let mut total_sum = 0u64;
        let mut inefficient = Vec::new();
        for (path, &first) in self.once.iter().enumerate() {
            if first != LeafSizes::UNSEEN {
                let bytes = self.size_of(path as PathId, first);
                min_sum += bytes;
                total_sum += bytes;
            }
        }
        for (&path, st) in &self.many {
            min_sum += st.min;
            total_sum += st.total;
            inefficient.push(InefficientPath {
                path,
                count: st.count,
                bytes: st.total,
            });
        }
        inefficient.sort_by_cached_key(|p| (std::cmp::Reverse(p.bytes), paths.path_bytes(p.path)));
        let efficiency = if total_sum == 0 {
            1.0
        } else {
            min_sum as f64 / total_sum as f64
        };
        let wasted_bytes: u64 = inefficient.iter().map(|p| p.bytes).sum();
        let size_bytes: u64 = layer_sizes.iter().sum();
        let user_bytes: u64 = layer_sizes.iter().skip(1).sum();
        let user_wasted_percent = if user_bytes == 0 {
            None
        } else {
            Some(wasted_bytes as f64 / user_bytes as f64)
        };
        DiveFigures {
            size_bytes,
            user_bytes,
            efficiency,
            wasted_bytes,
            user_wasted_percent,
            inefficient,
        }
    }
}

/// One layer's tree as dive builds it from the layer's headers: its nodes in the order they
/// first appear, keyed by (path, is whiteout node). One tree serves every layer in turn: a
/// path's node is found through a dense slot per path (whiteout nodes, which are few,
/// through a map), reset when the next layer is built.
struct LayerTree {
    order: Vec<((PathId, bool), LayerNode)>,
    slot: Vec<u32>,
    whiteout_slot: HashMap<PathId, u32>,
}

impl LayerTree {
    fn new(paths: usize) -> Self {
        LayerTree {
            order: Vec::new(),
            slot: vec![NO_SLOT; paths],
            whiteout_slot: HashMap::new(),
        }
    }

    /// Builds the tree of a layer with `entries`; returns the layer's size (the sum of its
    /// entries' sizes, as dive's layer size).
    fn build(&mut self, paths: &PathTable, entries: &[FileEntry]) -> u64 {
        self.clear();
        let mut size = 0u64;
        for e in entries {
            size += e.size;
            if e.kind == EntryKind::Meta
                || (e.path == crate::index::ROOT && e.kind != EntryKind::Opaque)
            {
                continue;
            }
            self.add_ancestors(paths, e);
            if e.kind == EntryKind::Opaque {
                continue;
            }
            if let Some(node) = self.node((e.path, e.kind == EntryKind::Whiteout)) {
                node.header = true;
                node.is_dir = e.kind == EntryKind::Dir;
                node.size = e.size;
            }
        }
        size
    }

    /// Empties the tree for the next layer.
    fn clear(&mut self) {
        for ((path, whiteout), _) in self.order.drain(..) {
            if !whiteout && let Some(s) = self.slot.get_mut(path as usize) {
                *s = NO_SLOT;
            }
        }
        self.whiteout_slot.clear();
    }

    /// The node at `key`, added empty when the layer has none there yet.
    fn node(&mut self, key: (PathId, bool)) -> Option<&mut LayerNode> {
        let (path, whiteout) = key;
        let found = if whiteout {
            self.whiteout_slot.get(&path).copied()
        } else {
            self.slot
                .get(path as usize)
                .copied()
                .filter(|&s| s != NO_SLOT)
        };
        let at = match found {
            Some(at) => at as usize,
            None => {
                let at = self.order.len();
                self.order.push((key, LayerNode::default()));
                let at32 = u32::try_from(at).unwrap_or(NO_SLOT);
                if whiteout {
                    self.whiteout_slot.insert(path, at32);
                } else if let Some(s) = self.slot.get_mut(path as usize) {
                    *s = at32;
                }
                at
            }
        };
        self.order.get_mut(at).map(|(_, node)| node)
    }

    /// Adds the intermediate directories above `e` (and, for an opaque marker, its
    /// directory itself: dive drops the marker's own name but keeps the path down to it).
    /// A node that already has a child has had its ancestors walked: stop there.
    fn add_ancestors(&mut self, paths: &PathTable, e: &FileEntry) {
        let opaque = e.kind == EntryKind::Opaque;
        let mut anc = if opaque { e.path } else { paths.parent(e.path) };
        let mut first = true;
        while anc != crate::index::ROOT {
            if let Some(node) = self.node((anc, false)) {
                if node.has_child {
                    break;
                }
                if !(opaque && first) {
                    node.has_child = true;
                }
            }
            first = false;
            anc = paths.parent(anc);
        }
    }

    /// Counts the leaves of this layer's tree against the tree stacked from the layers
    /// below: a node its header's size, a whiteout the size of the directory it removes
    /// (0 for a file).
    fn count_leaves(&self, index: &Index, stacked: &StackedTree, leaves: &mut LeafSizes) {
        for &((path, whiteout), node) in &self.order {
            if node.has_child {
                continue;
            }
            let bytes = if whiteout {
                if stacked.present(path) && stacked.is_dir(path) {
                    subtree_size(index, stacked, path)
                } else {
                    0
                }
            } else {
                node.size
            };
            leaves.add(path, bytes);
        }
    }

    /// Stacks this layer onto `stacked`: whiteouts remove, everything else sets the node's
    /// data. dive visits children before parents, names sorted; a whiteout's name sorts
    /// before its target's, so removals come before re-additions.
    fn stack_onto(&self, index: &Index, stacked: &mut StackedTree) {
        for &((path, whiteout), _) in &self.order {
            if whiteout {
                remove(index, stacked, path);
            }
        }
        for &((path, whiteout), node) in &self.order {
            if whiteout {
                continue;
            }
            // Make ancestors present (new ones are empty, non-directory nodes).
            let mut anc = index.paths.parent(path);
            while anc != crate::index::ROOT {
                if !stacked.present(anc) {
                    stacked.set(anc, false, 0);
                }
                anc = index.paths.parent(anc);
            }
            stacked.set(
                path,
                node.header && node.is_dir,
                if node.header { node.size } else { 0 },
            );
        }
    }
}

fn subtree_size(index: &Index, stacked: &StackedTree, path: PathId) -> u64 {
    let mut total = stacked.size(path);
    index.paths.for_each_descendant(path, |n| {
        if stacked.present(n) {
            total += stacked.size(n);
        }
    });
    total
}

fn remove(index: &Index, stacked: &mut StackedTree, path: PathId) {
    stacked.clear(path);
    index.paths.for_each_descendant(path, |n| stacked.clear(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stacked tree's sizes of 1 GiB and more go through the map; a node set again
    /// small, removed, or set big again reads what it was last set to.
    #[test]
    fn stacked_tree_holds_sizes_over_1_gib() {
        const GIB: u64 = 1 << 30;
        let mut t = StackedTree::new(3);
        t.set(1, true, GIB - 2);
        t.set(2, false, GIB - 1);
        assert_eq!(
            (t.present(1), t.is_dir(1), t.size(1)),
            (true, true, GIB - 2)
        );
        assert_eq!(
            (t.present(2), t.is_dir(2), t.size(2)),
            (true, false, GIB - 1)
        );
        t.set(2, false, 7);
        assert_eq!(t.size(2), 7);
        t.clear(2);
        assert_eq!((t.present(2), t.size(2)), (false, 0));
        t.set(2, true, 5 * GIB);
        assert_eq!(
            (t.present(2), t.is_dir(2), t.size(2)),
            (true, true, 5 * GIB)
        );
        assert_eq!((t.present(0), t.size(0)), (false, 0));
    }

    /// Sizes of 4 GiB and more do not fit the dense 4-byte entries: they go through the
    /// map, seen once or again, and count in full.
    #[test]
    fn leaf_sizes_hold_sizes_over_4_gib() {
        const GIB: u64 = 1 << 30;
        let mut paths = PathTable::default();
        let (a, _) = paths.intern(b"a");
        let (b, _) = paths.intern(b"b");
        let (c, _) = paths.intern(b"c");
        let mut leaves = LeafSizes::new(paths.len());
        leaves.add(a, 5 * GIB);
        leaves.add(b, 6 * GIB);
        leaves.add(b, 7);
        leaves.add(c, u64::from(u32::MAX) - 2);
        leaves.add(c, u64::from(u32::MAX));
        assert!(
            !leaves.big.contains_key(&b),
            "moved to `many` when seen again"
        );
        let f = leaves.figures(&paths, &[0, 1]);
        let min_sum = 5 * GIB + 7 + u64::from(u32::MAX) - 2;
        let total_sum = 5 * GIB + 6 * GIB + 7 + 2 * u64::from(u32::MAX) - 2;
        assert_eq!(f.efficiency, min_sum as f64 / total_sum as f64);
        assert_eq!(f.wasted_bytes, 6 * GIB + 7 + 2 * u64::from(u32::MAX) - 2);
        assert_eq!(
            f.inefficient
                .iter()
                .map(|p| (p.path, p.count, p.bytes))
                .collect::<Vec<_>>(),
            vec![(c, 2, 2 * u64::from(u32::MAX) - 2), (b, 2, 6 * GIB + 7)]
        );
    }
}
