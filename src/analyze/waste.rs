//! Where the bytes went: which inodes the final filesystem shows, which bytes a layer
//! ships for nothing and why, and which visible content is stored more than once.
//!
//! An inode is a regular file entry together with the hard links to it (in its layer).
//! Its bytes are visible if any of its paths is; then they are attributed to one path
//! only (the file's own, else its first visible link), so every byte of the final tree is
//! counted once. Otherwise they are hidden, with the cause the file's own entry met.

use crate::archive::Digest;
use crate::index::{EntryKind, Fate, FileEntry, Index, NONE, PathId};
use foldhash::{HashMap, HashMapExt};

/// Hidden bytes by cause. `same_content` is the part of `overwritten` where the new copy
/// had identical content; the other four add up to the hidden total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByCause {
    /// Replaced by a later entry at the same path.
    pub overwritten: u64,
    /// Of `overwritten`: replaced by identical content (chmod, chown, touch copies).
    pub same_content: u64,
    /// Named by a whiteout.
    pub deleted: u64,
    /// Its directory was deleted or replaced by a non-directory.
    pub deleted_with_dir: u64,
    /// Hidden by an opaque directory.
    pub opaque: u64,
}

impl ByCause {
    /// The hidden total (same_content is part of overwritten).
    pub fn total(&self) -> u64 {
        self.overwritten + self.deleted + self.deleted_with_dir + self.opaque
    }

    fn add(&mut self, fate: Fate, bytes: u64) {
        match fate {
            Fate::Overwritten => self.overwritten += bytes,
            Fate::OverwrittenSame => {
                self.overwritten += bytes;
                self.same_content += bytes;
            }
            Fate::Deleted => self.deleted += bytes,
            Fate::DeletedWithDir => self.deleted_with_dir += bytes,
            Fate::Opaque => self.opaque += bytes,
            Fate::Visible | Fate::Marker => {}
        }
    }
}

/// A visible path of the final filesystem that shows file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibleFile {
    /// Where.
    pub path: PathId,
    /// The entry (index into [`Index::entries`]) shown there.
    pub entry: u32,
    /// Bytes attributed to this path: the inode's size on one of its paths, 0 on the others.
    pub bytes: u64,
}

// One per visible file, kept to the end: its layer and path are its entry's, looked up
// rather than copied (24 bytes a file before, 1.5 MB on the 50-layer whiteout image; #23).
const _: () = assert!(std::mem::size_of::<VisibleFile>() <= 16);

impl VisibleFile {
    /// The layer that wrote it: its entry's.
    pub fn layer(&self, index: &Index) -> u16 {
        index
            .entries
            .get(self.entry as usize)
            .map_or(0, |e| e.layer)
    }

    /// Its pull cost: the stored bytes of the entry that carried its content (a hard
    /// link's target, on the path that counts the inode's bytes), else of its own entry.
    pub fn stored(&self, index: &Index) -> u64 {
        let Some(e) = index.entries.get(self.entry as usize) else {
            return 0;
        };
        if self.bytes > 0 {
            index.inode_entry(e).stored
        } else {
            e.stored
        }
    }
}

/// Bytes a layer shipped that the final filesystem does not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenFile {
    /// Where.
    pub path: PathId,
    /// The entry.
    pub entry: u32,
    /// Its size.
    pub bytes: u64,
    /// Why it is hidden.
    pub fate: Fate,
    /// The layer that wrote it.
    pub written_by: u16,
    /// The layer that hid it.
    pub hidden_by: u16,
}

/// Identical content at several visible paths (not hard links of each other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// The content's digest.
    pub digest: Digest,
    /// The size of one copy.
    pub size: u64,
    /// One path per copy, and the layer that wrote it, sorted by path (as bytes).
    pub copies: Vec<(PathId, u16)>,
}

impl DuplicateGroup {
    /// Bytes that storing the content once would save: (copies - 1) x size.
    pub fn wasted(&self) -> u64 {
        (self.copies.len() as u64).saturating_sub(1) * self.size
    }
}

/// Per-layer waste figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerWaste {
    /// Bytes this layer carries that later layers hid.
    pub hidden_bytes: u64,
    /// Bytes of lower layers that this layer hid.
    pub hides_bytes: u64,
    /// Non-directory entries of lower layers this layer deleted (whiteouts, opaque
    /// directories, directories replaced by files).
    pub deleted: u64,
    /// Bytes of this layer that the final filesystem shows.
    pub visible_bytes: u64,
}

/// The byte accounting of an image.
#[derive(Debug, Clone, Default)]
pub struct Waste {
    /// Every visible file path (regular files and hard links).
    pub visible: Vec<VisibleFile>,
    /// Distinct inodes among them.
    pub visible_inodes: u64,
    /// Sum of visible inodes' sizes.
    pub visible_bytes: u64,
    /// Every hidden regular file.
    pub hidden: Vec<HiddenFile>,
    /// Hidden bytes by cause.
    pub by_cause: ByCause,
    /// Duplicate groups, most wasteful first.
    pub duplicates: Vec<DuplicateGroup>,
    /// Sum of the groups' waste.
    pub duplicate_bytes: u64,
    /// Per layer, in image order.
    pub layers: Vec<LayerWaste>,
}

/// Accounts for every byte of `index`.
pub fn account(index: &Index) -> Waste {
    let mut w = Waste::sized_for(index);
    let shown_by_link = shown_by_link(&index.entries);
    for (i, e) in index.entries.iter().enumerate() {
        let i = i as u32;
        match e.kind {
            EntryKind::File => {
                let linked = e.fate != Fate::Visible && shown_by_link.contains_key(&i);
                w.count_file(i, e, linked);
            }
            EntryKind::HardLink if e.fate == Fate::Visible => {
                let bytes = match shown_by_link.get(&e.link) {
                    Some(&first) if first == i => {
                        index.entries.get(e.link as usize).map_or(0, |t| t.size)
                    }
                    _ => 0,
                };
                w.count_visible_link(i, e, bytes);
            }
            _ => {}
        }
        if e.fate.is_hidden()
            && !matches!(e.kind, EntryKind::Dir)
            && matches!(e.fate, Fate::Deleted | Fate::DeletedWithDir | Fate::Opaque)
            && let Some(l) = w.layers.get_mut(e.hidden_by as usize)
        {
            l.deleted += 1;
        }
    }
    w.hidden
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.entry.cmp(&b.entry)));
    w.duplicates = duplicates(index, &w.visible);
    w.duplicate_bytes = w.duplicates.iter().map(DuplicateGroup::wasted).sum();
    w
}

/// Inodes whose own entry is hidden but that a visible hard link still shows: the file
/// entry, and the first visible link to it (which counts its bytes).
fn shown_by_link(entries: &[FileEntry]) -> HashMap<u32, u32> {
    let mut shown: HashMap<u32, u32> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.kind == EntryKind::HardLink && e.fate == Fate::Visible && e.link != NONE {
            let target_visible = entries
                .get(e.link as usize)
                .is_some_and(|t| t.fate == Fate::Visible);
            if !target_visible {
                shown.entry(e.link).or_insert(i as u32);
            }
        }
    }
    shown
}

impl Waste {
    /// An empty accounting of `index`, its per-file lists sized up front: they hold a
    /// record per file, and growing them by doubling would take up to twice the memory.
    fn sized_for(index: &Index) -> Waste {
        let entries = &index.entries;
        let visible = entries
            .iter()
            .filter(|e| {
                e.fate == Fate::Visible && matches!(e.kind, EntryKind::File | EntryKind::HardLink)
            })
            .count();
        let hidden = entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && e.fate != Fate::Visible)
            .count();
        Waste {
            layers: vec![LayerWaste::default(); index.layers.len()],
            visible: Vec::with_capacity(visible),
            hidden: Vec::with_capacity(hidden),
            ..Waste::default()
        }
    }

    /// Counts the regular file entry `i`: visible at its path, visible through a hard
    /// link only (`linked`: its bytes count, at the link's path), or hidden.
    fn count_file(&mut self, i: u32, e: &FileEntry, linked: bool) {
        if e.fate == Fate::Visible {
            self.visible.push(VisibleFile {
                path: e.path,
                entry: i,
                bytes: e.size,
            });
            self.count_visible_inode(e);
        } else if linked {
            self.count_visible_inode(e);
        } else {
            self.by_cause.add(e.fate, e.size);
            if let Some(l) = self.layers.get_mut(e.layer as usize) {
                l.hidden_bytes += e.size;
            }
            if let Some(l) = self.layers.get_mut(e.hidden_by as usize) {
                l.hides_bytes += e.size;
            }
            self.hidden.push(HiddenFile {
                path: e.path,
                entry: i,
                bytes: e.size,
                fate: e.fate,
                written_by: e.layer,
                hidden_by: e.hidden_by,
            });
        }
    }

    /// A visible inode: its bytes count once, in the layer that wrote it.
    fn count_visible_inode(&mut self, e: &FileEntry) {
        self.visible_inodes += 1;
        self.visible_bytes += e.size;
        if let Some(l) = self.layers.get_mut(e.layer as usize) {
            l.visible_bytes += e.size;
        }
    }

    /// Counts the visible hard link entry `i`, which shows `bytes` of its target's inode
    /// (all of them on the link that counts a hidden target, else 0).
    fn count_visible_link(&mut self, i: u32, e: &FileEntry, bytes: u64) {
        if e.link == NONE {
            // A link to nothing: an empty file of its own.
            self.visible_inodes += 1;
        }
        self.visible.push(VisibleFile {
            path: e.path,
            entry: i,
            bytes,
        });
    }
}

/// The groups of visible files with the same content, most wasteful first. The visible
/// inodes are sorted by content and the runs of equal content taken: a sorted vector of
/// 12-byte records, rather than a map of vectors, keeps this pass at a few bytes per file
/// on images with hundreds of thousands of files.
fn duplicates(index: &Index, visible: &[VisibleFile]) -> Vec<DuplicateGroup> {
    let digest_of = |d: u32| index.digests.get(d as usize).copied().unwrap_or_default();
    let size_of = |i: u32| visible.get(i as usize).map_or(0, |f| f.bytes);
    // (first 8 bytes of the digest, digest index, file index): sorting compares the
    // prefix in place and looks the whole digest up only when prefixes tie.
    let mut keyed: Vec<(u64, u32, u32)> = visible
        .iter()
        .enumerate()
        .filter(|(_, f)| f.bytes > 0)
        .filter_map(|(i, f)| {
            let e = index.entries.get(f.entry as usize)?;
            let digest = index.inode_entry(e).digest;
            (digest != NONE).then(|| (digest_prefix(&digest_of(digest)), digest, i as u32))
        })
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| (digest_of(a.1), size_of(a.2)).cmp(&(digest_of(b.1), size_of(b.2))))
    });
    let mut dups: Vec<DuplicateGroup> = Vec::new();
    for run in keyed.chunk_by(|a, b| {
        a.0 == b.0 && digest_of(a.1) == digest_of(b.1) && size_of(a.2) == size_of(b.2)
    }) {
        if run.len() < 2 {
            continue;
        }
        let Some(&(_, digest, first)) = run.first() else {
            continue;
        };
        let mut copies: Vec<(PathId, u16)> = run
            .iter()
            .filter_map(|(_, _, i)| visible.get(*i as usize).map(|f| (f.path, f.layer(index))))
            .collect();
        copies.sort_unstable_by(|a, b| index.paths.cmp_paths(a.0, b.0));
        dups.push(DuplicateGroup {
            digest: digest_of(digest),
            size: size_of(first),
            copies,
        });
    }
    dups.sort_by(|a, b| b.wasted().cmp(&a.wasted()).then(a.digest.cmp(&b.digest)));
    dups
}

/// The first 8 bytes of `d`, big-endian: orders like the whole digest where they differ.
fn digest_prefix(d: &Digest) -> u64 {
    let mut b = [0u8; 8];
    if let Some(p) = d.0.get(..8) {
        b.copy_from_slice(p);
    }
    u64::from_be_bytes(b)
}
