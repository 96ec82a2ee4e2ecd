//! The explorer's view model: what `deadweight explore` shows of an image, computed here so
//! that the terminal UI only walks it.
//!
//! - [`ImageView`], built once: each path's name, parent and full path (for the filter),
//!   the hidden bytes at each path with the layers that wrote and hid them, the duplicate
//!   group of each path, which findings claim which paths, and where each finding's files
//!   can be seen.
//! - [`LayerTree`], built for the selected layer: the tree as of that layer, what the layer
//!   did to each path (added, modified, removed, unmodified), directory sizes rolled up for
//!   the whole tree and for the layer's own bytes, children sorted.
//!
//! An entry is in the tree as of layer L when its layer is at most L and nothing at or below
//! L hid it. The overlay records for each hidden entry the layer that hid it (`hidden_by`),
//! so the tree as of any layer needs no second overlay pass: one scan of the entries of
//! layers 0..=L. On a 200k-entry image that scan, the roll-ups and the sort take tens of
//! milliseconds, so a tree is built per selected layer rather than kept for every layer
//! (layers x paths would be hundreds of MB on an ML image of 100 layers).

use super::Analysis;
use super::findings::Findings;
use crate::index::{EntryKind, Fate, Index, PathId, ROOT, escape_bytes};
use std::collections::HashMap;

const NONE: u32 = u32::MAX;

/// What the selected layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Change {
    /// Neither in the tree as of the layer nor removed by it.
    Absent = 0,
    /// In the tree as of the layer, written by a lower one.
    Unmodified = 1,
    /// Written by the layer where the lower layers showed nothing.
    Added = 2,
    /// Written by the layer over what the lower layers showed.
    Modified = 4,
    /// Shown by the lower layers, removed by this one (a whiteout, an opaque directory,
    /// a directory replaced by a file).
    Removed = 8,
}

impl Change {
    /// The change as a bit, for masks of changes.
    pub fn bit(self) -> u8 {
        self as u8
    }

    /// Every change but [`Change::Absent`].
    pub const ALL: u8 = 1 | 2 | 4 | 8;
}

/// What a path is in the tree as of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A directory, also one no tar entry names (the parent of an entry).
    Dir,
    /// A regular file or a hard link.
    File,
    /// A symbolic link.
    Symlink,
    /// A device node or a named pipe.
    Special,
}

/// Bytes a layer wrote at a path that a later layer hid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenNote {
    /// Its size.
    pub bytes: u64,
    /// How it was hidden.
    pub fate: Fate,
    /// The layer that wrote it.
    pub written_by: usize,
    /// The layer that hid it.
    pub hidden_by: usize,
}

/// The duplicate group a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateNote {
    /// The size of one copy.
    pub size: u64,
    /// How many visible paths hold the content.
    pub copies: usize,
    /// Bytes that keeping one copy would save.
    pub wasted: u64,
}

/// Where a finding's file can be seen: its path, and the layer whose tree shows it (the
/// top layer for files of the final tree, else the layer that wrote the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The path.
    pub path: PathId,
    /// The layer to show.
    pub layer: usize,
}

/// One non-marker entry, as much as the trees need.
#[derive(Debug, Clone, Copy)]
struct Slot {
    size: u64,
    /// Pull cost: the layer blob's bytes that carried the entry.
    stored: u64,
    path: PathId,
    layer: u16,
    hidden_by: u16,
    kind: NodeKind,
    visible: bool,
}

impl Slot {
    /// In the tree as of `layer`.
    fn shown_at(&self, layer: usize) -> bool {
        usize::from(self.layer) <= layer && (self.visible || usize::from(self.hidden_by) > layer)
    }
}

/// The image-wide part of the explorer's model.
#[derive(Debug, Clone)]
pub struct ImageView {
    names: Vec<Box<str>>,
    parents: Vec<PathId>,
    full: String,
    /// `full` with ASCII letters lowered (same offsets), for case-insensitive filters.
    lower: String,
    full_at: Vec<u32>,
    slots: Vec<Slot>,
    /// End (exclusive) of each layer's slots.
    layer_ends: Vec<usize>,
    hidden: HashMap<PathId, Vec<HiddenNote>>,
    hidden_below: Vec<u64>,
    duplicate_of: HashMap<PathId, usize>,
    duplicates: Vec<DuplicateNote>,
    claims: HashMap<PathId, Vec<usize>>,
    targets: Vec<Vec<Target>>,
}

impl ImageView {
    /// The view of `index`, with the byte accounting of `analysis` and `findings` (whose
    /// order is the report's).
    pub fn new(index: &Index, analysis: &Analysis, findings: &Findings) -> ImageView {
        let n = index.paths.len();
        let mut names = Vec::with_capacity(n);
        let mut parents = Vec::with_capacity(n);
        let mut full = String::new();
        let mut full_at = Vec::with_capacity(n + 1);
        for id in 0..n as PathId {
            let name = escape_bytes(index.paths.name(id)).into_boxed_str();
            let parent = index.paths.parent(id);
            full_at.push(full.len() as u32);
            if id == ROOT {
                full.push('/');
            } else {
                // Parents are interned before their children: its full path is written.
                let (s, e) = span(&full_at, parent, full.len());
                let prefix = full[s..e].to_string();
                if prefix != "/" {
                    full.push_str(&prefix);
                }
                full.push('/');
                full.push_str(&name);
            }
            names.push(name);
            parents.push(parent);
        }
        full_at.push(full.len() as u32);

        let mut slots = Vec::with_capacity(index.entries.len());
        let mut layer_ends = Vec::with_capacity(index.layers.len());
        for layer in &index.layers {
            for e in index.entries.get(layer.range.clone()).unwrap_or(&[]) {
                let kind = match e.kind {
                    EntryKind::File | EntryKind::HardLink => NodeKind::File,
                    EntryKind::Dir => NodeKind::Dir,
                    EntryKind::Symlink => NodeKind::Symlink,
                    EntryKind::Special => NodeKind::Special,
                    EntryKind::Whiteout | EntryKind::Opaque | EntryKind::Meta => continue,
                };
                slots.push(Slot {
                    size: e.size,
                    stored: e.stored,
                    path: e.path,
                    layer: e.layer,
                    hidden_by: e.hidden_by,
                    kind,
                    visible: e.fate == Fate::Visible,
                });
            }
            layer_ends.push(slots.len());
        }

        let (hidden, hidden_below) = hidden_notes(analysis, &parents);

        let mut duplicate_of = HashMap::new();
        let duplicates = analysis
            .waste
            .duplicates
            .iter()
            .enumerate()
            .map(|(g, group)| {
                for (path, _) in &group.copies {
                    duplicate_of.insert(*path, g);
                }
                DuplicateNote {
                    size: group.size,
                    copies: group.copies.len(),
                    wasted: group.wasted(),
                }
            })
            .collect();

        let (claims, targets) = finding_targets(index, findings);

        let lower = full.to_ascii_lowercase();
        ImageView {
            names,
            parents,
            full,
            lower,
            full_at,
            slots,
            layer_ends,
            hidden,
            hidden_below,
            duplicate_of,
            duplicates,
            claims,
            targets,
        }
    }

    /// Paths, the root included (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Never empty: the root is always there.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Layers of the image.
    pub fn layers(&self) -> usize {
        self.layer_ends.len()
    }

    /// The last component of `id`, escaped for display.
    pub fn name(&self, id: PathId) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }

    /// The parent of `id` (the root is its own).
    pub fn parent(&self, id: PathId) -> PathId {
        self.parents.get(id as usize).copied().unwrap_or(ROOT)
    }

    /// The full path of `id`, escaped for display, starting with `/`.
    pub fn path(&self, id: PathId) -> &str {
        let (s, e) = span(&self.full_at, id, 0);
        self.full.get(s..e).unwrap_or("")
    }

    /// [`ImageView::path`] with ASCII letters lowered.
    pub fn path_lowercase(&self, id: PathId) -> &str {
        let (s, e) = span(&self.full_at, id, 0);
        self.lower.get(s..e).unwrap_or("")
    }

    /// Bytes written at `id` that a later layer hid, each with who wrote and who hid it.
    pub fn hidden_at(&self, id: PathId) -> &[HiddenNote] {
        self.hidden.get(&id).map_or(&[], |v| v)
    }

    /// Hidden bytes at `id` and below it.
    pub fn hidden_below(&self, id: PathId) -> u64 {
        self.hidden_below.get(id as usize).copied().unwrap_or(0)
    }

    /// The duplicate group `id` belongs to, if any.
    pub fn duplicate_at(&self, id: PathId) -> Option<&DuplicateNote> {
        self.duplicate_of
            .get(&id)
            .and_then(|g| self.duplicates.get(*g))
    }

    /// The findings (indices in the report's order) that claim an entry at `id`.
    pub fn findings_at(&self, id: PathId) -> &[usize] {
        self.claims.get(&id).map_or(&[], |v| v)
    }

    /// True when some finding claims an entry at `id`.
    pub fn claimed(&self, id: PathId) -> bool {
        self.claims.contains_key(&id)
    }

    /// Where the files of finding `f` can be seen, heaviest first.
    pub fn targets(&self, f: usize) -> &[Target] {
        self.targets.get(f).map_or(&[], |v| v)
    }

    /// The tree as of `layer` (clamped to the top layer), sorted by `sort`.
    pub fn tree_at(&self, layer: usize, sort: SortBy) -> LayerTree {
        LayerTree::new(self, layer, sort)
    }
}

/// The bytes each path hid (notes by path, in layer order) and, rolled up, below each
/// directory.
fn hidden_notes(
    analysis: &Analysis,
    parents: &[PathId],
) -> (HashMap<PathId, Vec<HiddenNote>>, Vec<u64>) {
    let n = parents.len();
    let mut hidden: HashMap<PathId, Vec<HiddenNote>> = HashMap::new();
    let mut hidden_below = vec![0u64; n];
    for h in &analysis.waste.hidden {
        hidden.entry(h.path).or_default().push(HiddenNote {
            bytes: h.bytes,
            fate: h.fate,
            written_by: h.written_by.into(),
            hidden_by: h.hidden_by.into(),
        });
        if let Some(b) = hidden_below.get_mut(h.path as usize) {
            *b += h.bytes;
        }
    }
    for notes in hidden.values_mut() {
        notes.sort_by_key(|h| (h.written_by, h.hidden_by));
    }
    roll_up(&mut hidden_below, parents);
    (hidden, hidden_below)
}

/// Which findings claim each path, and each finding's paths (heaviest first, each once).
fn finding_targets(
    index: &Index,
    findings: &Findings,
) -> (HashMap<PathId, Vec<usize>>, Vec<Vec<Target>>) {
    let top = index.layers.len().saturating_sub(1);
    let mut claims: HashMap<PathId, Vec<usize>> = HashMap::new();
    let mut targets = Vec::with_capacity(findings.findings.len());
    for (f, finding) in findings.findings.iter().enumerate() {
        let mut mine: Vec<(u64, Target)> = Vec::new();
        for &e in &finding.entries {
            let Some(entry) = index.entries.get(e as usize) else {
                continue;
            };
            let claimed = claims.entry(entry.path).or_default();
            if claimed.last() != Some(&f) {
                claimed.push(f);
            }
            let layer = if entry.fate == Fate::Visible {
                top
            } else {
                entry.layer.into()
            };
            mine.push((
                entry.size,
                Target {
                    path: entry.path,
                    layer,
                },
            ));
        }
        // Heaviest first, each path once (at the first layer that shows it).
        mine.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.path.cmp(&b.1.path)));
        let mut seen = std::collections::HashSet::new();
        mine.retain(|(_, t)| seen.insert(t.path));
        targets.push(mine.into_iter().map(|(_, t)| t).collect());
    }
    (claims, targets)
}

/// The span of item `id` in a string indexed by `at` (`len` when it is the last one being
/// written).
fn span(at: &[u32], id: PathId, len: usize) -> (usize, usize) {
    let s = at.get(id as usize).map_or(0, |v| *v as usize);
    let e = at.get(id as usize + 1).map_or(len, |v| *v as usize);
    (s, e.max(s))
}

/// Adds every path's value to its ancestors'. Children have larger ids than their parents
/// (paths are interned parents first), so one pass from the end suffices.
fn roll_up(values: &mut [u64], parents: &[PathId]) {
    for id in (1..values.len()).rev() {
        let v = values[id];
        let p = parents.get(id).copied().unwrap_or(ROOT) as usize;
        if p != id
            && let Some(slot) = values.get_mut(p)
        {
            *slot += v;
        }
    }
}

/// How the tree's children are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Biggest first (the layer's own bytes in "this layer only"), ties by name.
    Size,
    /// Biggest pull cost first (stored bytes; the layer's own in "this layer only"),
    /// ties by name.
    Stored,
    /// By name.
    Name,
}

/// The tree as of one layer, with what the layer did to each path.
#[derive(Debug, Clone)]
pub struct LayerTree {
    /// The layer.
    pub layer: usize,
    change: Vec<Change>,
    below: Vec<u8>,
    kind: Vec<NodeKind>,
    bytes: Vec<u64>,
    own: Vec<u64>,
    /// Pull cost below each path as of the layer, and the layer's own.
    stored: Vec<u64>,
    own_stored: Vec<u64>,
    writer: Vec<u16>,
    child_at: Vec<u32>,
    children: Vec<PathId>,
    sorted: Option<(SortBy, bool)>,
}

impl LayerTree {
    fn new(view: &ImageView, layer: usize, sort: SortBy) -> LayerTree {
        let layer = layer.min(view.layers().saturating_sub(1));
        let n = view.len();
        let end = view.layer_ends.get(layer).copied().unwrap_or(0);
        let mut now = vec![NONE; n];
        let mut before = vec![NONE; n];
        for (i, s) in view.slots.get(..end).unwrap_or(&[]).iter().enumerate() {
            if s.shown_at(layer)
                && let Some(v) = now.get_mut(s.path as usize)
            {
                *v = i as u32;
            }
            if layer > 0
                && s.shown_at(layer - 1)
                && let Some(v) = before.get_mut(s.path as usize)
            {
                *v = i as u32;
            }
        }
        let slot = |i: u32| view.slots.get(i as usize);
        let mut change = vec![Change::Absent; n];
        let mut kind = vec![NodeKind::Dir; n];
        let mut bytes = vec![0u64; n];
        let mut own = vec![0u64; n];
        // Pull cost, as of the layer and the layer's own, rolled up like the bytes.
        let mut stored = vec![0u64; n];
        let mut own_stored = vec![0u64; n];
        let mut writer = vec![u16::MAX; n];
        for p in 0..n {
            let (c, s) = match (slot(now[p]), slot(before[p])) {
                (Some(s), b) if usize::from(s.layer) == layer => {
                    let c = match b {
                        None => Change::Added,
                        Some(b) if b.kind == NodeKind::Dir && s.kind == NodeKind::Dir => {
                            Change::Unmodified
                        }
                        Some(_) => Change::Modified,
                    };
                    (c, s)
                }
                (Some(s), _) => (Change::Unmodified, s),
                (None, Some(b)) => (Change::Removed, b),
                (None, None) => continue,
            };
            change[p] = c;
            kind[p] = s.kind;
            writer[p] = s.layer;
            if s.kind == NodeKind::File {
                bytes[p] = s.size;
                stored[p] = s.stored;
                if matches!(c, Change::Added | Change::Modified | Change::Removed) {
                    own[p] = s.size;
                    own_stored[p] = s.stored;
                }
            }
        }
        // Parents no entry names: shown while something below them is shown, removed when
        // all that was below them is.
        for p in (1..n).rev() {
            let parent = view.parent(p as PathId) as usize;
            if change[p] == Change::Absent || parent == p || writer[parent] != u16::MAX {
                continue;
            }
            if change[p] != Change::Removed {
                change[parent] = Change::Unmodified;
            } else if change[parent] == Change::Absent {
                change[parent] = Change::Removed;
            }
        }
        change[ROOT as usize] = Change::Unmodified;
        // Roll-ups: present paths into present parents, removed ones into removed parents.
        let mut below: Vec<u8> = change.iter().map(|c| c.bit()).collect();
        for p in (1..n).rev() {
            let parent = view.parent(p as PathId) as usize;
            if parent == p {
                continue;
            }
            let (cp, cq) = (change[p], change[parent]);
            below[parent] |= below[p];
            let removed = cp == Change::Removed;
            if cp != Change::Absent && removed == (cq == Change::Removed) {
                bytes[parent] += bytes[p];
                own[parent] += own[p];
                stored[parent] += stored[p];
                own_stored[parent] += own_stored[p];
            }
        }
        // Children lists of the shown paths.
        let mut child_at = vec![0u32; n + 1];
        for p in 1..n {
            if change[p] != Change::Absent {
                child_at[view.parent(p as PathId) as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            child_at[i] += child_at[i - 1];
        }
        let mut fill: Vec<u32> = child_at.clone();
        let mut children = vec![ROOT; child_at[n] as usize];
        for (p, c) in change.iter().enumerate().skip(1) {
            if *c != Change::Absent {
                let parent = view.parent(p as PathId) as usize;
                if let Some(slot) = children.get_mut(fill[parent] as usize) {
                    *slot = p as PathId;
                }
                fill[parent] += 1;
            }
        }
        let mut tree = LayerTree {
            layer,
            change,
            below,
            kind,
            bytes,
            own,
            stored,
            own_stored,
            writer,
            child_at,
            children,
            sorted: None,
        };
        tree.sort(view, sort, false);
        tree
    }

    /// Orders every directory's children by `by`; `own` sizes them by the layer's own
    /// bytes (the "this layer only" view).
    pub fn sort(&mut self, view: &ImageView, by: SortBy, own: bool) {
        if self.sorted == Some((by, own)) {
            return;
        }
        let sizes = match (by, own) {
            (SortBy::Stored, true) => &self.own_stored,
            (SortBy::Stored, false) => &self.stored,
            (_, true) => &self.own,
            (_, false) => &self.bytes,
        };
        for w in 0..self.child_at.len().saturating_sub(1) {
            let (s, e) = (self.child_at[w] as usize, self.child_at[w + 1] as usize);
            let Some(list) = self.children.get_mut(s..e) else {
                continue;
            };
            match by {
                SortBy::Size | SortBy::Stored => list.sort_unstable_by(|a, b| {
                    let (sa, sb) = (sizes[*a as usize], sizes[*b as usize]);
                    sb.cmp(&sa).then_with(|| view.name(*a).cmp(view.name(*b)))
                }),
                SortBy::Name => list.sort_unstable_by(|a, b| view.name(*a).cmp(view.name(*b))),
            }
        }
        self.sorted = Some((by, own));
    }

    /// What the layer did to `id`.
    pub fn change(&self, id: PathId) -> Change {
        self.change
            .get(id as usize)
            .copied()
            .unwrap_or(Change::Absent)
    }

    /// The changes at `id` and below it, as a mask of [`Change::bit`]s.
    pub fn changes_below(&self, id: PathId) -> u8 {
        self.below.get(id as usize).copied().unwrap_or(0)
    }

    /// What `id` is (a directory when no entry names it).
    pub fn kind(&self, id: PathId) -> NodeKind {
        self.kind.get(id as usize).copied().unwrap_or(NodeKind::Dir)
    }

    /// Bytes at or below `id` in the tree as of the layer; for a removed path, the bytes
    /// the layer removed there.
    pub fn bytes(&self, id: PathId) -> u64 {
        self.bytes.get(id as usize).copied().unwrap_or(0)
    }

    /// Bytes at or below `id` that the layer itself wrote (or removed, for a removed path).
    pub fn own_bytes(&self, id: PathId) -> u64 {
        self.own.get(id as usize).copied().unwrap_or(0)
    }

    /// Pull cost below `id` (stored bytes) as of the layer.
    pub fn stored_bytes(&self, id: PathId) -> u64 {
        self.stored.get(id as usize).copied().unwrap_or(0)
    }

    /// The layer's own pull cost below `id`.
    pub fn own_stored_bytes(&self, id: PathId) -> u64 {
        self.own_stored.get(id as usize).copied().unwrap_or(0)
    }

    /// The layer that wrote the entry shown at `id` (for a removed path, the one the layer
    /// removed), if an entry names it.
    pub fn written_by(&self, id: PathId) -> Option<usize> {
        self.writer
            .get(id as usize)
            .filter(|w| **w != u16::MAX)
            .map(|w| usize::from(*w))
    }

    /// The children of `id` in the tree as of the layer (removed ones included), sorted.
    pub fn children(&self, id: PathId) -> &[PathId] {
        let s = self.child_at.get(id as usize).copied().unwrap_or(0) as usize;
        let e = self.child_at.get(id as usize + 1).copied().unwrap_or(0) as usize;
        self.children.get(s..e).unwrap_or(&[])
    }

    /// True for a directory that has children.
    pub fn has_children(&self, id: PathId) -> bool {
        !self.children(id).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_up_adds_children_into_parents() {
        // 0 = /, 1 = /a, 2 = /a/b, 3 = /c
        let parents = [0, 0, 1, 0];
        let mut v = [0, 1, 10, 100];
        roll_up(&mut v, &parents);
        assert_eq!(v, [111, 11, 10, 100]);
    }

    #[test]
    fn a_slot_is_shown_until_the_layer_that_hides_it() {
        let s = Slot {
            size: 5,
            stored: 2,
            path: 1,
            layer: 2,
            hidden_by: 4,
            kind: NodeKind::File,
            visible: false,
        };
        assert!(!s.shown_at(1));
        assert!(s.shown_at(2));
        assert!(s.shown_at(3));
        assert!(!s.shown_at(4));
        let v = Slot { visible: true, ..s };
        assert!(v.shown_at(9));
    }
}
