//! The index stage: layer entries in, the final filesystem and every entry's fate out.
//!
//! [`IndexBuilder`] is the [`LayerSink`] the archive reader streams into: it interns each
//! entry's path, classifies whiteouts, resolves hard links within the layer, and keeps one
//! compact [`FileEntry`] per tar entry. Once the manifest has been read, [`IndexBuilder::finish`]
//! puts the layers in image order and [`overlay`] applies them with OCI semantics:
//!
//! - `.wh.NAME` deletes NAME and its subtree from the lower layers;
//! - `.wh..wh..opq` hides everything the lower layers put in its directory;
//! - a later entry replaces an earlier one at the same path (also within one layer);
//! - a non-directory replacing a directory removes the subtree;
//! - a hard link adds no bytes: it shares its target's inode.
//!
//! Byte counting (the contract every report keeps): a layer's content bytes are the sizes
//! of its regular files; visible bytes count each inode of the final tree once; hidden
//! bytes are content minus visible, each attributed to one cause.

pub mod inspect;
pub mod overlay;
pub mod paths;

pub use inspect::{ContentInspector, InspectedFile};
pub use paths::{PathId, PathTable, ROOT, escape_bytes};

use crate::archive::manifest::{HistoryEntry, ImageManifest, LayerRef};
use crate::archive::{
    Capture, Compression, Digest, LayerBlob, LayerSink, RawArchive, RawEntry, RawKind, Refused,
};
use crate::error::{Error, Location, Result};
use foldhash::{HashMap, HashMapExt};

/// Marks "none" in u32 index fields.
pub const NONE: u32 = u32::MAX;

/// What an entry is, once whiteout names are understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EntryKind {
    /// A regular file: its size counts.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A hard link: shares the inode of an earlier entry of the same layer.
    HardLink,
    /// A device node or a named pipe.
    Special,
    /// `.wh.NAME`: deletes NAME (the entry's path is NAME's).
    Whiteout,
    /// `.wh..wh..opq`: hides the lower layers' contents of a directory (the entry's path is
    /// the directory's).
    Opaque,
    /// Other `.wh..wh.*` bookkeeping of old storage drivers: not part of the filesystem.
    Meta,
}

/// What became of an entry in the final filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Fate {
    /// Shown by the final filesystem.
    Visible,
    /// Replaced by a later entry at the same path.
    Overwritten,
    /// Replaced by a later regular file with identical content (a chmod/chown/touch copy).
    OverwrittenSame,
    /// Named by a whiteout.
    Deleted,
    /// Its directory was deleted, or replaced by a non-directory.
    DeletedWithDir,
    /// Hidden by an opaque directory of a later layer.
    Opaque,
    /// A whiteout or opaque marker: an instruction, not a file.
    Marker,
}

impl Fate {
    /// True for the fates that hide bytes.
    pub fn is_hidden(self) -> bool {
        !matches!(self, Fate::Visible | Fate::Marker)
    }

    /// The cause's name in reports and JSON.
    pub fn cause(self) -> &'static str {
        match self {
            Fate::Visible => "visible",
            Fate::Overwritten => "overwritten",
            Fate::OverwrittenSame => "same_content",
            Fate::Deleted => "deleted",
            Fate::DeletedWithDir => "deleted_with_dir",
            Fate::Opaque => "opaque",
            Fate::Marker => "marker",
        }
    }
}

/// One tar entry of one layer. There is one per entry of every layer, so millions for
/// big images: keep it small (a test guards its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEntry {
    /// Content bytes (regular files only; 0 for everything else).
    pub size: u64,
    /// Pull cost: the layer blob's bytes (compressed where it is) that carried this entry,
    /// its headers included ([`RawEntry::stored`]).
    pub stored: u64,
    /// Its (normalised) path.
    pub path: PathId,
    /// Hard links: the index (in [`Index::entries`]) of the entry whose inode it shares.
    /// Symlinks: the index of the target in [`Index::link_targets`]. Else [`NONE`].
    pub link: u32,
    /// Regular files: index of the content digest in [`Index::digests`]. Else [`NONE`].
    pub digest: u32,
    /// Mode bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// The layer (image order) that holds it.
    pub layer: u16,
    /// For hidden entries: the layer that hid it.
    pub hidden_by: u16,
    /// What it is.
    pub kind: EntryKind,
    /// What became of it.
    pub fate: Fate,
}

/// Per-layer counts the index keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerCounts {
    /// Tar entries (meta entries such as PAX headers excluded).
    pub entries: u64,
    /// Regular files and hard links.
    pub files: u64,
    /// `.wh.NAME` whiteouts.
    pub whiteouts: u64,
    /// `.wh..wh..opq` markers.
    pub opaque: u64,
    /// Sum of regular-file sizes.
    pub content_bytes: u64,
    /// Pull cost of its entries: the blob's bytes but what follows the last entry
    /// (end-of-archive blocks, the gzip or zstd trailer).
    pub stored_bytes: u64,
}

/// A layer of the image, in image order.
#[derive(Debug, Clone)]
pub struct Layer {
    /// 0 for the bottom layer.
    pub index: usize,
    /// The archive member it was read from.
    pub member: String,
    /// How the blob was stored, its size and digests.
    pub blob: LayerBlob,
    /// What the manifest calls it (descriptor digest), where it says.
    pub digest: Option<Digest>,
    /// What the config's `rootfs.diff_ids` says its diff_id is.
    pub config_diff_id: Option<Digest>,
    /// The history entry that made it.
    pub history: Option<HistoryEntry>,
    /// Counts of its entries.
    pub counts: LayerCounts,
    /// Its entries: `Index::entries[range]`.
    pub range: std::ops::Range<usize>,
    /// Non-directory entries at paths the lower layers did not show (set by the overlay).
    pub added: u64,
    /// Non-directory entries that replaced something the lower layers showed.
    pub changed: u64,
}

impl Layer {
    /// The instruction that made the layer, if the history says.
    pub fn created_by(&self) -> Option<&str> {
        self.history.as_ref().and_then(|h| h.created_by.as_deref())
    }
}

/// The image, indexed: every entry of every layer with its fate.
#[derive(Debug, Clone)]
pub struct Index {
    /// All paths.
    pub paths: PathTable,
    /// All entries, grouped by layer in image order.
    pub entries: Vec<FileEntry>,
    /// Content digests of regular files.
    pub digests: Vec<Digest>,
    /// Symlink targets, as bytes.
    pub link_targets: Vec<Box<[u8]>>,
    /// The layers, bottom first.
    pub layers: Vec<Layer>,
    /// The image as the manifest describes it.
    pub image: ImageManifest,
    /// How the input was compressed as a whole.
    pub outer_compression: Option<Compression>,
    /// Bytes of the input.
    pub input_bytes: u64,
    /// Non-fatal oddities, with where they were found.
    pub warnings: Vec<String>,
}

impl Index {
    /// The content digest of a regular file entry (or of a hard link's target).
    pub fn digest_of(&self, entry: &FileEntry) -> Option<&Digest> {
        let e = self.inode_entry(entry);
        if e.digest == NONE {
            None
        } else {
            self.digests.get(e.digest as usize)
        }
    }

    /// The entry that owns the inode `entry` shows: itself, or a hard link's target.
    pub fn inode_entry<'a>(&'a self, entry: &'a FileEntry) -> &'a FileEntry {
        if entry.kind == EntryKind::HardLink && entry.link != NONE {
            self.entries.get(entry.link as usize).unwrap_or(entry)
        } else {
            entry
        }
    }

    /// The instruction that made layer `i`.
    pub fn created_by(&self, layer: usize) -> Option<&str> {
        self.layers.get(layer).and_then(Layer::created_by)
    }
}

/// A layer as the reader streamed it, before the manifest put it in order.
#[derive(Debug, Clone, Default)]
struct PendingLayer {
    /// Its entries in [`IndexBuilder::entries`], links numbered from the range's start.
    range: std::ops::Range<usize>,
    counts: LayerCounts,
    blob: Option<LayerBlob>,
    warnings: Vec<String>,
}

/// Builds an [`Index`] from the reader's events.
#[derive(Debug, Default)]
pub struct IndexBuilder<'i> {
    paths: PathTable,
    digests: Vec<Digest>,
    link_targets: Vec<Box<[u8]>>,
    layers: HashMap<String, PendingLayer>,
    /// Every layer's entries, in the order the layers were read: usually the manifest's
    /// order too, and then [`IndexBuilder::finish`] takes them as they are.
    entries: Vec<FileEntry>,
    current: Option<(String, PendingLayer)>,
    /// The entries of the current layer by path, for hard links (the last one of each).
    current_paths: HashMap<PathId, u32>,
    pending_links: Vec<(u32, PathId, Box<[u8]>)>,
    /// Where the content digests still to come go, one per regular file entry in
    /// order: a slot of `digests`, or [`NONE`] for a regular entry that is not a file
    /// (a whiteout marker).
    digest_slots: std::collections::VecDeque<u32>,
    /// Sees file contents as they stream by, when one is given.
    inspector: Option<&'i mut dyn ContentInspector>,
    /// The path shown to the inspector, one buffer for every file: a new one per file
    /// was a quarter of the reallocs of an ML image's read (180,000 files, perf probe on
    /// glibc's realloc), on the thread the layer workers share the allocator with.
    inspected_path: Vec<u8>,
}

impl<'i> IndexBuilder<'i> {
    /// An empty builder.
    pub fn new() -> Self {
        IndexBuilder::default()
    }

    /// An empty builder that shows every regular file to `inspector`.
    pub fn with_inspector(inspector: &'i mut dyn ContentInspector) -> Self {
        IndexBuilder {
            inspector: Some(inspector),
            ..IndexBuilder::default()
        }
    }

    /// [`IndexBuilder::finish`] that leaves the builder as it is, for a read of several
    /// images indexed in turn (`diff` of two registry images, which share layers): the
    /// tables are copied, and the entries of `image`'s layers taken from them.
    pub fn finish_copy(&self, raw: &RawArchive, image: ImageManifest) -> Result<Index> {
        IndexBuilder {
            paths: self.paths.clone(),
            digests: self.digests.clone(),
            link_targets: self.link_targets.clone(),
            layers: self.layers.clone(),
            entries: self.entries.clone(),
            ..IndexBuilder::default()
        }
        .finish(raw, image)
    }

    /// Puts the layers `image` names in order, applies them, and returns the index.
    pub fn finish(self, raw: &RawArchive, image: ImageManifest) -> Result<Index> {
        let IndexBuilder {
            mut paths,
            mut digests,
            mut link_targets,
            mut layers,
            entries: mut read,
            ..
        } = self;
        // The tables grew by doubling while reading: up to half of each is capacity never
        // used (about 9 MB of the 42 MB they took on the 50-layer whiteout image). Large ones
        // are mapped on their own (src/main.rs), so the unused part was never resident
        // and giving it back moves no bytes; it keeps the heap's figures honest, and the
        // tables of a small image, which live in the heap, tight.
        paths.shrink_to_fit();
        digests.shrink_to_fit();
        link_targets.shrink_to_fit();
        read.shrink_to_fit();
        let mut warnings: Vec<String> = raw.warnings.clone();
        warnings.extend(image.warnings.iter().cloned());
        let layer_history = layer_history(&image, &mut warnings);
        if u16::try_from(image.layers.len()).is_err() {
            return Err(Error::input(&raw.label, "more than 65535 layers"));
        }
        let mut placement = Placement::new(read, &layers, &image);
        let mut uses_left = manifest_uses(&image);
        let mut out_layers = Vec::with_capacity(image.layers.len());
        for (i, r) in image.layers.iter().enumerate() {
            let location = || Location {
                file: raw.label.clone(),
                member: Some(r.listed_as.clone()),
                layer: Some(i),
            };
            let Some(pending) = take_pending(&mut layers, &mut uses_left, r, &mut warnings) else {
                return Err(Error::at(
                    location(),
                    "the archive holds no layer tar under this name",
                ));
            };
            let Some(mut blob) = pending.blob else {
                return Err(Error::at(location(), "the layer was not read to its end"));
            };
            let range = placement.place(i, pending.range);
            for w in pending.warnings {
                warnings.push(format!("{} (layer {i}): {w}", r.listed_as));
            }
            let config_diff_id = image.config.diff_ids.get(i).copied();
            settle_blob(r, i, &mut blob, config_diff_id, &mut warnings);
            out_layers.push(Layer {
                index: i,
                member: r.member.clone(),
                blob,
                digest: r.digest,
                config_diff_id,
                history: layer_history.get(i).map(|h| (*h).clone()),
                counts: pending.counts,
                range,
                added: 0,
                changed: 0,
            });
        }
        unmatched_warnings(&image, &layers, &mut warnings);
        let mut index = Index {
            paths,
            entries: placement.entries,
            digests,
            link_targets,
            layers: out_layers,
            image,
            outer_compression: raw.outer_compression,
            input_bytes: raw.input_bytes,
            warnings,
        };
        overlay::apply(&mut index);
        Ok(index)
    }
}

/// The history entries that made layers (the empty ones left out), bottom first. When the
/// config lists history and their number is not the manifest's, a warning says so.
fn layer_history<'m>(
    image: &'m ImageManifest,
    warnings: &mut Vec<String>,
) -> Vec<&'m HistoryEntry> {
    let layer_history: Vec<&HistoryEntry> = image
        .config
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .collect();
    if !image.config.history.is_empty() && layer_history.len() != image.layers.len() {
        warnings.push(format!(
            "the config's history lists {} layers, the manifest {}; instructions may be misattributed",
            layer_history.len(),
            image.layers.len()
        ));
    }
    layer_history
}

/// How many times the manifest lists each member.
fn manifest_uses(image: &ImageManifest) -> HashMap<&str, usize> {
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for r in &image.layers {
        *uses.entry(r.member.as_str()).or_default() += 1;
    }
    uses
}

/// The read layer that `r` names, `None` when none was read under its member. A member
/// the manifest lists more than once is copied (with a warning) until its last use, which
/// takes it; `uses_left` counts down.
fn take_pending(
    layers: &mut HashMap<String, PendingLayer>,
    uses_left: &mut HashMap<&str, usize>,
    r: &LayerRef,
    warnings: &mut Vec<String>,
) -> Option<PendingLayer> {
    let last_use = match uses_left.get_mut(r.member.as_str()) {
        Some(n) => {
            *n -= 1;
            *n == 0
        }
        None => true,
    };
    if last_use {
        layers.remove(&r.member)
    } else {
        warnings.push(format!(
            "{}: the manifest lists this layer more than once",
            r.listed_as
        ));
        layers.get(&r.member).cloned()
    }
}

/// Settles layer `i`'s digests from what the manifest and config say; a diff_id computed
/// while reading that the config contradicts is a warning.
fn settle_blob(
    r: &LayerRef,
    i: usize,
    blob: &mut LayerBlob,
    config_diff_id: Option<Digest>,
    warnings: &mut Vec<String>,
) {
    let checked = blob.verified;
    r.settle(blob, config_diff_id);
    if let Some(expected) = config_diff_id
        && checked
        && expected != blob.diff_id
    {
        warnings.push(format!(
            "{} (layer {i}): diff_id is {}, the config says {expected}",
            r.listed_as, blob.diff_id
        ));
    }
}

/// Warnings for what the manifest and the archive do not match on after the layers are
/// placed: a config with another number of diff_ids, and members read as layers that no
/// layer of the image is (expected, and so not said, in an archive of several images).
fn unmatched_warnings(
    image: &ImageManifest,
    unused: &HashMap<String, PendingLayer>,
    warnings: &mut Vec<String>,
) {
    if !image.config.diff_ids.is_empty() && image.config.diff_ids.len() != image.layers.len() {
        warnings.push(format!(
            "the config lists {} diff_ids, the manifest {} layers",
            image.config.diff_ids.len(),
            image.layers.len()
        ));
    }
    if image.images_in_archive > 1 {
        return;
    }
    let mut unused: Vec<&String> = unused.keys().collect();
    unused.sort();
    for name in unused {
        warnings.push(format!(
            "{name}: a tar member that is not a layer of this image; ignored"
        ));
    }
}

/// Where the layers' entries go in the index: left where they were read when the manifest
/// lists every layer read, once each, in the order they were read (the usual case: no
/// copy); else copied into the manifest's order.
struct Placement {
    /// The index's entries.
    entries: Vec<FileEntry>,
    /// The entries as read, when they are copied.
    read: Vec<FileEntry>,
    in_order: bool,
}

impl Placement {
    fn new(
        read: Vec<FileEntry>,
        layers: &HashMap<String, PendingLayer>,
        image: &ImageManifest,
    ) -> Self {
        let mut next = 0;
        let in_order = layers.len() == image.layers.len()
            && image.layers.iter().all(|r| match layers.get(&r.member) {
                Some(p) if p.range.start == next => {
                    next = p.range.end;
                    true
                }
                _ => false,
            })
            && next == read.len();
        if in_order {
            Placement {
                entries: read,
                read: Vec::new(),
                in_order,
            }
        } else {
            let total = layers.values().map(|l| l.range.len()).sum();
            Placement {
                entries: Vec::with_capacity(total),
                read,
                in_order,
            }
        }
    }

    /// Places the entries of layer `i`, read at `read`: marks them as layer `i` and
    /// renumbers their hard links (numbered from the layer's start while reading).
    /// Returns where they are in the index.
    fn place(&mut self, i: usize, read: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = if self.in_order {
            read.start
        } else {
            self.entries.len()
        };
        let offset = start as u32;
        let place = |e: &mut FileEntry| {
            e.layer = i as u16;
            if e.kind == EntryKind::HardLink && e.link != NONE {
                e.link += offset;
            }
        };
        if self.in_order {
            for e in self.entries.get_mut(read.clone()).unwrap_or_default() {
                place(e);
            }
        } else {
            for e in self.read.get(read.clone()).unwrap_or_default() {
                let mut e = *e;
                place(&mut e);
                self.entries.push(e);
            }
        }
        start..start + read.len()
    }
}

/// Whiteout prefix of the OCI layer spec.
const WH: &[u8] = b".wh.";
/// Opaque marker of the OCI layer spec.
const OPQ: &[u8] = b".wh..wh..opq";

impl LayerSink for IndexBuilder<'_> {
    fn begin_layer(&mut self, member: &str) {
        let at = self.entries.len();
        self.current = Some((
            member.to_string(),
            PendingLayer {
                range: at..at,
                ..PendingLayer::default()
            },
        ));
        self.current_paths.clear();
        self.pending_links.clear();
        self.digest_slots.clear();
    }

    fn file_digest(&mut self, digest: Digest) {
        if let Some(slot) = self.digest_slots.pop_front()
            && let Some(d) = self.digests.get_mut(slot as usize)
        {
            *d = digest;
        }
    }

    fn capture(&mut self, path: &[u8], size: u64) -> Capture {
        match self.inspector.as_deref_mut() {
            Some(i) => i.capture(path, size),
            None => Capture::Head,
        }
    }

    fn capture_policy(&self) -> Option<crate::archive::CapturePolicy> {
        match self.inspector.as_deref() {
            Some(i) => i.capture_policy(),
            None => Some(crate::archive::layer::head_only),
        }
    }

    // Over 120 lines on purpose: called once per tar entry of every layer (whiteouts,
    // opaque markers, links, names in one pass); not split without a measurement (none yet).
    fn entry(&mut self, raw: &RawEntry<'_>) -> std::result::Result<(), Refused> {
        let Some((member, layer)) = self.current.as_mut() else {
            return Err(Refused::OutsideLayer);
        };
        let local = u32::try_from(self.entries.len() - layer.range.start)
            .map_err(|_| Refused::TooManyEntries)?;
        let name = raw
            .path
            .rsplit(|&b| b == b'/')
            .find(|p| !p.is_empty())
            .unwrap_or_default();
        let (kind, path_bytes): (EntryKind, std::borrow::Cow<'_, [u8]>) = if name == OPQ {
            let dir = raw.path.len()
                - raw
                    .path
                    .rsplitn(2, |&b| b == b'/')
                    .next()
                    .map_or(0, <[u8]>::len);
            (
                EntryKind::Opaque,
                raw.path.get(..dir).unwrap_or_default().into(),
            )
        } else if name.starts_with(b".wh..wh.") {
            (EntryKind::Meta, raw.path.into())
        } else if let Some(target) = name.strip_prefix(WH) {
            let trimmed = trim_trailing_slash(raw.path);
            let dir_len = trimmed.len() - name.len();
            let mut p = trimmed.get(..dir_len).unwrap_or_default().to_vec();
            p.extend_from_slice(target);
            (EntryKind::Whiteout, p.into())
        } else {
            let kind = match raw.kind {
                RawKind::Regular => EntryKind::File,
                RawKind::Dir => EntryKind::Dir,
                RawKind::Symlink => EntryKind::Symlink,
                RawKind::HardLink => EntryKind::HardLink,
                RawKind::CharDevice | RawKind::BlockDevice | RawKind::Fifo => EntryKind::Special,
                RawKind::Other(_) => EntryKind::Special,
            };
            (kind, raw.path.into())
        };
        let (path, note) = self.paths.intern(&path_bytes);
        match note {
            paths::PathNote::Clean => {}
            paths::PathNote::DotDot => layer.warnings.push(format!(
                "entry {} has `..` components; read as {}",
                escape_bytes(raw.path),
                self.paths.display(path)
            )),
            paths::PathNote::AboveRoot => layer.warnings.push(format!(
                "entry {} climbs above the root; clamped to {}",
                escape_bytes(raw.path),
                self.paths.display(path)
            )),
        }
        if path == ROOT
            && matches!(
                kind,
                EntryKind::File | EntryKind::Symlink | EntryKind::HardLink
            )
        {
            layer.warnings.push(format!(
                "entry {} names the root as a file; ignored",
                escape_bytes(raw.path)
            ));
        }
        layer.counts.stored_bytes += raw.stored;
        let mut entry = FileEntry {
            size: 0,
            stored: raw.stored,
            path,
            link: NONE,
            digest: NONE,
            mode: raw.mode,
            uid: u32::try_from(raw.uid).unwrap_or(u32::MAX),
            gid: u32::try_from(raw.gid).unwrap_or(u32::MAX),
            layer: 0,
            hidden_by: 0,
            kind,
            fate: Fate::Visible,
        };
        layer.counts.entries += 1;
        match kind {
            EntryKind::File => {
                entry.size = raw.size;
                layer.counts.files += 1;
                layer.counts.content_bytes += raw.size;
                // Filled in when the digest comes (`file_digest`).
                entry.digest = self.digests.len() as u32;
                self.digests.push(Digest::default());
                if let Some(inspector) = self.inspector.as_deref_mut() {
                    self.paths.path_into(path, &mut self.inspected_path);
                    inspector.inspect(&InspectedFile {
                        member: member.as_str(),
                        local,
                        path,
                        path_bytes: &self.inspected_path,
                        size: raw.size,
                        mode: raw.mode,
                        head: raw.head,
                        content: raw.content,
                    });
                }
            }
            EntryKind::HardLink => {
                layer.counts.files += 1;
                let target = raw.link.unwrap_or_default();
                let (tid, _) = self.paths.intern(target);
                match self.current_paths.get(&tid) {
                    Some(&t) => entry.link = t,
                    None => self.pending_links.push((local, tid, target.into())),
                }
            }
            EntryKind::Symlink => {
                entry.link = self.link_targets.len() as u32;
                self.link_targets.push(raw.link.unwrap_or_default().into());
            }
            EntryKind::Whiteout => layer.counts.whiteouts += 1,
            EntryKind::Opaque => layer.counts.opaque += 1,
            EntryKind::Dir | EntryKind::Special | EntryKind::Meta => {}
        }
        if !matches!(
            kind,
            EntryKind::Whiteout | EntryKind::Opaque | EntryKind::Meta
        ) {
            self.current_paths.insert(path, local);
        }
        if raw.kind == RawKind::Regular {
            self.digest_slots.push_back(entry.digest);
        }
        self.entries.push(entry);
        layer.range.end = self.entries.len();
        Ok(())
    }

    fn end_layer(&mut self, member: &str, blob: &LayerBlob) {
        let Some((name, mut layer)) = self.current.take() else {
            return;
        };
        debug_assert_eq!(name, member);
        let entries = self
            .entries
            .get_mut(layer.range.clone())
            .unwrap_or_default();
        for (local, tid, target) in self.pending_links.drain(..) {
            match self.current_paths.get(&tid) {
                Some(&t) if t != local => {
                    if let Some(e) = entries.get_mut(local as usize) {
                        e.link = t;
                    }
                    layer.warnings.push(format!(
                        "hard link to {} comes before its target in the layer",
                        escape_bytes(&target)
                    ));
                }
                _ => {
                    layer.warnings.push(format!(
                        "hard link to {}, which the layer does not hold; counted as an empty file",
                        escape_bytes(&target)
                    ));
                }
            }
        }
        // A hard link whose target is itself a hard link shares the first one's inode.
        for i in 0..entries.len() {
            let Some(e) = entries.get(i).copied() else {
                continue;
            };
            if e.kind != EntryKind::HardLink || e.link == NONE {
                continue;
            }
            let mut target = e.link;
            for _ in 0..64 {
                match entries.get(target as usize) {
                    Some(t)
                        if t.kind == EntryKind::HardLink && t.link != NONE && t.link != target =>
                    {
                        target = t.link;
                    }
                    _ => break,
                }
            }
            if let Some(e) = entries.get_mut(i) {
                e.link = target;
            }
        }
        layer.blob = Some(blob.clone());
        self.current_paths.clear();
        self.layers.insert(member.to_string(), layer);
    }
}

fn trim_trailing_slash(p: &[u8]) -> &[u8] {
    let mut p = p;
    while let Some(rest) = p.strip_suffix(b"/") {
        p = rest;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry per tar member of every layer: millions for big images. 48 bytes keeps a
    /// 1M-entry image's entries at 48 MB (40 before the pull cost's 8).
    #[test]
    fn file_entry_stays_small() {
        assert!(
            std::mem::size_of::<FileEntry>() <= 48,
            "{}",
            std::mem::size_of::<FileEntry>()
        );
    }
}
