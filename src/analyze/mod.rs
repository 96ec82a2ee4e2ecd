//! The analyze stage: an [`Index`] in, the figures every report shows out.
//!
//! [`Analysis::new`] runs the byte accounting ([`waste`]), dive's figures ([`dive`]) and the
//! base/yours split, and offers the rankings the reports need (largest files, directories,
//! hidden paths). It computes; it never formats or prints. [`summary`] turns the results
//! into the inspect document of [`crate::model`]; [`diff`] and [`budget`] read those
//! documents (a saved side or baseline has no other form).

pub mod budget;
pub mod diff;
pub mod dive;
pub mod explore;
pub mod findings;
pub mod instruction;
pub mod summary;
pub mod waste;

use crate::archive::Digest;
use crate::index::{Index, PathId, ROOT};
use std::cmp::Reverse;

pub use dive::DiveFigures;
pub use waste::{ByCause, DuplicateGroup, HiddenFile, VisibleFile, Waste};

/// Image-wide totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sum of the layers' regular-file sizes.
    pub content_bytes: u64,
    /// Sum of the layer blobs as stored (what a pull transfers).
    pub blob_bytes: u64,
    /// What the final filesystem shows (each inode once).
    pub visible_bytes: u64,
    /// Visible regular files and hard links.
    pub visible_files: u64,
    /// Distinct inodes among them.
    pub visible_inodes: u64,
    /// Shipped but not visible: content - visible.
    pub hidden_bytes: u64,
    /// Hidden bytes by cause.
    pub hidden_by_cause: ByCause,
    /// Identical visible content stored more than once.
    pub duplicate_bytes: u64,
    /// Tar entries over all layers.
    pub entries: u64,
}

/// How the base image's layers were told apart from the image's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    /// `--base`: the layers whose diff_ids match the given base image's.
    Given(String),
    /// Nothing said: layer 0 is taken as the base, as dive does. A guess.
    Guess,
}

/// Base layers versus the image's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSplit {
    /// Where the split comes from.
    pub source: BaseSource,
    /// The base image's name, where an annotation or the flag gives it.
    pub name: Option<String>,
    /// How many bottom layers are the base's.
    pub layers: usize,
    /// Content bytes of the base layers / of the image's own layers.
    pub content_bytes: (u64, u64),
    /// Hidden bytes carried by base layers / own layers.
    pub hidden_bytes: (u64, u64),
    /// Duplicate bytes whose extra copies were written by base / own layers.
    pub duplicate_bytes: (u64, u64),
}

/// What the base is, as far as the caller knows.
#[derive(Debug, Clone, Default)]
pub struct BaseHint {
    /// The base image's layer diff_ids, bottom first (from `--base`).
    pub diff_ids: Option<Vec<Digest>>,
    /// How to name it.
    pub label: Option<String>,
}

/// Everything the reports show about one image.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Totals.
    pub totals: Totals,
    /// The byte accounting.
    pub waste: Waste,
    /// dive's figures.
    pub dive: DiveFigures,
    /// The base/yours split.
    pub base: BaseSplit,
}

impl Analysis {
    /// Analyses `index`.
    pub fn new(index: &Index, base: &BaseHint) -> Analysis {
        // Independent passes over the index: on two cores where there are two.
        let (waste, dive) = std::thread::scope(|s| {
            let dive = s.spawn(|| dive::figures(index));
            let waste = waste::account(index);
            // A panic is a bug: raised again here, as one in `account` would be, not
            // hidden by running the pass a second time.
            let dive = dive
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (waste, dive)
        });
        let content_bytes = index.layers.iter().map(|l| l.counts.content_bytes).sum();
        let totals = Totals {
            content_bytes,
            blob_bytes: index.layers.iter().map(|l| l.blob.blob_bytes).sum(),
            visible_bytes: waste.visible_bytes,
            visible_files: waste.visible.len() as u64,
            visible_inodes: waste.visible_inodes,
            hidden_bytes: waste.by_cause.total(),
            hidden_by_cause: waste.by_cause,
            duplicate_bytes: waste.duplicate_bytes,
            entries: index.layers.iter().map(|l| l.counts.entries).sum(),
        };
        debug_assert_eq!(
            totals.content_bytes,
            totals.visible_bytes + totals.hidden_bytes
        );
        let base = base_split(index, &waste, base);
        Analysis {
            totals,
            waste,
            dive,
            base,
        }
    }

    /// Visible files, largest first (ties by path), at most `n`; by pull cost
    /// ([`VisibleFile::stored`]) with `by_stored`.
    pub fn top_files(&self, index: &Index, n: usize, by_stored: bool) -> Vec<VisibleFile> {
        let key = |f: &VisibleFile| {
            if by_stored { f.stored(index) } else { f.bytes }
        };
        // The n-th largest size first (8 bytes per file), then only the files that large.
        let mut sizes: Vec<u64> = self.waste.visible.iter().map(key).collect();
        keep_largest(&mut sizes, n, |b| *b);
        let cut = sizes.iter().copied().min().unwrap_or(0);
        drop(sizes);
        let mut files: Vec<VisibleFile> = self
            .waste
            .visible
            .iter()
            .filter(|f| key(f) >= cut)
            .copied()
            .collect();
        files.sort_by_cached_key(|f| (Reverse(key(f)), index.paths.path_bytes(f.path)));
        files.truncate(n);
        files
    }

    /// Visible bytes per directory, rolled up (a directory counts its whole subtree),
    /// indexed by path id: one addition per file and ancestor, no hashing.
    pub fn dir_bytes(&self, index: &Index) -> Vec<u64> {
        let mut out = vec![0u64; index.paths.len()];
        for f in &self.waste.visible {
            if f.bytes == 0 {
                continue;
            }
            for anc in index.paths.ancestors(f.path) {
                if let Some(b) = out.get_mut(anc as usize) {
                    *b += f.bytes;
                }
            }
        }
        out
    }

    /// Pull cost per directory, rolled up like [`Analysis::dir_bytes`]: the stored bytes
    /// of the visible files below it ([`VisibleFile::stored`]).
    pub fn dir_stored(&self, index: &Index) -> Vec<u64> {
        let mut out = vec![0u64; index.paths.len()];
        for f in &self.waste.visible {
            let stored = f.stored(index);
            if stored == 0 {
                continue;
            }
            for anc in index.paths.ancestors(f.path) {
                if let Some(b) = out.get_mut(anc as usize) {
                    *b += stored;
                }
            }
        }
        out
    }

    /// The largest directories at most `depth` levels deep (the root excluded), largest
    /// first, with their bytes and pull cost; a directory and its subdirectories may both
    /// appear.
    pub fn top_dirs(
        &self,
        index: &Index,
        depth: u32,
        n: usize,
        by_stored: bool,
    ) -> Vec<(PathId, u64, u64)> {
        let key = |d: &(PathId, u64, u64)| if by_stored { d.2 } else { d.1 };
        let stored = self.dir_stored(index);
        let mut dirs: Vec<(PathId, u64, u64)> = self
            .dir_bytes(index)
            .into_iter()
            .enumerate()
            .map(|(p, b)| (p as PathId, b, stored.get(p).copied().unwrap_or(0)))
            .filter(|&(p, b, _)| b > 0 && p != ROOT && index.paths.depth(p) <= depth)
            .collect();
        drop(stored);
        keep_largest(&mut dirs, n, key);
        dirs.sort_by_cached_key(|d| (Reverse(key(d)), index.paths.path_bytes(d.0)));
        dirs.truncate(n);
        dirs
    }
}

/// Keeps the items of `items` that could be among the `n` largest by `size` (ties at the
/// boundary included, for the caller to break), in linear time, so that only those few
/// are sorted by path.
fn keep_largest<T>(items: &mut Vec<T>, n: usize, size: impl Fn(&T) -> u64) {
    if n == 0 {
        items.clear();
        return;
    }
    if items.len() <= n {
        return;
    }
    let (_, nth, _) = items.select_nth_unstable_by(n - 1, |a, b| size(b).cmp(&size(a)));
    let cut = size(nth);
    items.retain(|i| size(i) >= cut);
}

fn base_split(index: &Index, waste: &Waste, hint: &BaseHint) -> BaseSplit {
    let annotation_name = index
        .image
        .annotations
        .get("org.opencontainers.image.base.name")
        .cloned();
    let (source, layers, name) = match &hint.diff_ids {
        Some(base_ids) => {
            let shared = index
                .layers
                .iter()
                .zip(base_ids)
                .take_while(|(l, b)| l.blob.diff_id == **b)
                .count();
            (
                BaseSource::Given(hint.label.clone().unwrap_or_default()),
                shared,
                hint.label.clone(),
            )
        }
        None => (
            BaseSource::Guess,
            1.min(index.layers.len()),
            annotation_name,
        ),
    };
    let split = |f: &dyn Fn(usize) -> u64| -> (u64, u64) {
        let mut base = 0;
        let mut own = 0;
        for i in 0..index.layers.len() {
            if i < layers {
                base += f(i);
            } else {
                own += f(i);
            }
        }
        (base, own)
    };
    let content_bytes = split(&|i| index.layers.get(i).map_or(0, |l| l.counts.content_bytes));
    let hidden_bytes = split(&|i| waste.layers.get(i).map_or(0, |l| l.hidden_bytes));
    let mut dup = (0u64, 0u64);
    for g in &waste.duplicates {
        // The first copy (lowest layer) is the one kept; the others are the waste.
        let mut layers_of: Vec<u16> = g.copies.iter().map(|(_, l)| *l).collect();
        layers_of.sort_unstable();
        for l in layers_of.iter().skip(1) {
            if (*l as usize) < layers {
                dup.0 += g.size;
            } else {
                dup.1 += g.size;
            }
        }
    }
    BaseSplit {
        source,
        name,
        layers,
        content_bytes,
        hidden_bytes,
        duplicate_bytes: dup,
    }
}
