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
use foldhash::{HashMap, HashMapExt};
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
        let mut dirs = self.shallow_dirs(index, depth);
        keep_largest(&mut dirs, n, key);
        dirs.sort_by_cached_key(|d| (Reverse(key(d)), index.paths.path_bytes(d.0)));
        dirs.truncate(n);
        dirs
    }

    /// The directories at most `depth` levels deep (the root excluded) that hold visible
    /// bytes, each with its bytes and pull cost ([`VisibleFile::stored`]) rolled up (a
    /// directory counts its whole subtree).
    ///
    /// Only those directories get a total, in a map: two tables by path id (16 bytes per
    /// path) ran beside the findings and were the findings phase's largest allocation, 6.1
    /// MB of the 64 MB peak on the 50-layer whiteout image (380k paths; #23). A file adds
    /// to its directory's chain from the one at `depth` up; the files of one directory
    /// come together, so their totals are gathered first and the chain walked once.
    fn shallow_dirs(&self, index: &Index, depth: u32) -> Vec<(PathId, u64, u64)> {
        let mut totals: HashMap<PathId, (u64, u64)> = HashMap::new();
        let mut add_chain = |from: PathId, bytes: u64, stored: u64| {
            let mut d = from;
            while d != ROOT {
                let t = totals.entry(d).or_default();
                t.0 += bytes;
                t.1 += stored;
                d = index.paths.parent(d);
            }
        };
        // The directory at `depth` or above of the last files, and what they hold.
        let mut pending: Option<(PathId, u64, u64)> = None;
        for f in &self.waste.visible {
            let stored = f.stored(index);
            if f.bytes == 0 && stored == 0 {
                continue;
            }
            let top = index.paths.ancestor_at(index.paths.parent(f.path), depth);
            match &mut pending {
                Some((d, b, s)) if *d == top => {
                    *b += f.bytes;
                    *s += stored;
                }
                _ => {
                    if let Some((d, b, s)) = pending.replace((top, f.bytes, stored)) {
                        add_chain(d, b, s);
                    }
                }
            }
        }
        if let Some((d, b, s)) = pending {
            add_chain(d, b, s);
        }
        totals
            .into_iter()
            .filter(|&(_, (b, _))| b > 0)
            .map(|(p, (b, s))| (p, b, s))
            .collect()
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
