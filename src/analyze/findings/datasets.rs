//! Datasets of many small files: a directory of image folders, JSON or JSONL shards,
//! tokenised text, audio clips or binary shards is a training set even when no one file
//! passes the per-file rules' size floor (a 239 MB set of 70k files of 0.2 to 16 KB each
//! went unreported). A directory is a dataset when, over its whole subtree:
//!
//! - it holds at least [`MIN_FILES`] data files and [`MIN_BYTES`] of them;
//! - data files are at least 90% of its files and of its bytes (a source tree with a few
//!   JSON files is not a dataset);
//! - no installed package owns them (scikit-learn's and matplotlib's sample data are the
//!   package's), and it is not a place for installed software.
//!
//! A data file is one whose extension or first bytes say data (see [`is_data`]). The
//! finding names the top-most such directory, or the one below it that holds all of its
//! data files (`/srv/dataset`, not `/srv`), with its file count and bytes.

use super::magic::Magic;
use super::model::{Category, Package, Severity};
use super::shipped::{Acc, Ctx, Shipped};
use crate::index::PathId;
use crate::index::paths::PathTable;

/// The fewest data files a dataset directory holds.
pub const MIN_FILES: u32 = 256;
/// The fewest bytes of data files a dataset directory holds.
pub const MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Extensions (lower case, without the dot) of data files: tables, tensors, records,
/// text and token shards, images, audio, video.
const DATA_EXT: &[&str] = &[
    "csv",
    "tsv",
    "json",
    "jsonl",
    "ndjson",
    "txt",
    "tok",
    "bin",
    "npy",
    "npz",
    "parquet",
    "arrow",
    "feather",
    "h5",
    "hdf5",
    "tfrecord",
    "tfrecords",
    "record",
    "idx",
    "pkl",
    "pickle",
    "msgpack",
    "avro",
    "lmdb",
    "mdb",
    "xml",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "webp",
    "tif",
    "tiff",
    "ppm",
    "pgm",
    "wav",
    "flac",
    "mp3",
    "ogg",
    "opus",
    "m4a",
    "mp4",
    "avi",
    "mkv",
    "webm",
    "tar",
    "gz",
    "zst",
    "xz",
    "bz2",
];

/// Places of installed software: never a dataset of the app's.
const INSTALLED_COMPONENTS: &[&[u8]] = &[b"site-packages", b"dist-packages", b"node_modules"];
const INSTALLED_PREFIXES: &[&[u8]] = &[
    b"/usr/",
    b"/lib/",
    b"/lib64/",
    b"/bin/",
    b"/sbin/",
    b"/etc/",
    b"/var/lib/",
    b"/opt/conda/",
    b"/proc/",
    b"/sys/",
];

/// True when a file named `name` whose first bytes are `magic` holds data.
pub fn is_data(name: &[u8], magic: Magic) -> bool {
    if matches!(
        magic,
        Magic::Npy
            | Magic::Parquet
            | Magic::Hdf5
            | Magic::Arrow
            | Magic::Png
            | Magic::Jpeg
            | Magic::Riff
            | Magic::Flac
    ) {
        return true;
    }
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let ext = name.get(dot + 1..).unwrap_or_default();
    DATA_EXT
        .iter()
        .any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
}

/// What the subtree of one directory holds.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    files: u32,
    data_files: u32,
    bytes: u64,
    data_bytes: u64,
}

impl Tally {
    fn is_dataset(&self) -> bool {
        self.data_files >= MIN_FILES
            && self.data_bytes >= MIN_BYTES
            && u64::from(self.data_files) * 10 >= u64::from(self.files) * 9
            && self.data_bytes * 10 >= self.bytes * 9
    }
}

/// True when `dir` (its path) is a place for installed software or the system's own.
fn installed_place(dir: &[u8]) -> bool {
    let mut with_slash = dir.to_vec();
    with_slash.push(b'/');
    INSTALLED_PREFIXES.iter().any(|p| with_slash.starts_with(p))
        || dir
            .split(|&b| b == b'/')
            .any(|c| INSTALLED_COMPONENTS.contains(&c))
}

/// `dir`, or the directory below it that holds all its data files (`/srv/dataset` rather
/// than `/srv` when `/srv` holds nothing else of note).
fn narrowest(paths: &PathTable, tally: &Tallies, dir: PathId) -> PathId {
    let mut d = dir;
    loop {
        let Some(t) = tally.get(d) else {
            return d;
        };
        let all = paths.children(d).find(|&c| {
            tally
                .get(c)
                .is_some_and(|ct| ct.data_files == t.data_files && ct.data_bytes == t.data_bytes)
        });
        match all {
            Some(c) => d = c,
            None => return d,
        }
    }
}

/// A [`Tally`] per directory that holds a visible file, found by path id. Why not one per
/// path: on the ML benchmark image (180k paths, most of them files) a `Tally` for every
/// path was 4.3 MB at the findings' peak; a `u32` slot per path and a `Tally` per
/// directory is about a fifth of that.
struct Tallies {
    slot: Vec<u32>,
    dirs: Vec<Tally>,
}

impl Tallies {
    fn new(paths: usize) -> Self {
        Tallies {
            slot: vec![u32::MAX; paths],
            dirs: Vec::new(),
        }
    }

    fn get(&self, id: PathId) -> Option<&Tally> {
        let k = *self.slot.get(id as usize)?;
        self.dirs.get(k as usize)
    }

    fn get_mut(&mut self, id: PathId) -> Option<&mut Tally> {
        let k = *self.slot.get(id as usize)?;
        self.dirs.get_mut(k as usize)
    }

    fn get_or_add(&mut self, id: PathId) -> Option<&mut Tally> {
        let k = self.slot.get_mut(id as usize)?;
        if *k == u32::MAX {
            *k = u32::try_from(self.dirs.len()).ok()?;
            self.dirs.push(Tally::default());
        }
        let k = *k as usize;
        self.dirs.get_mut(k)
    }
}

/// One finding per dataset directory, with all its data files.
pub(super) fn dataset_dir_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>, packages: &[Package]) {
    let index = ctx.index;
    let paths = &index.paths;
    let visible = &ctx.analysis.waste.visible;
    let mut owned = vec![false; index.entries.len()];
    for e in packages.iter().flat_map(|p| &p.entries) {
        if let Some(o) = owned.get_mut(*e as usize) {
            *o = true;
        }
    }
    // Which visible files are data files no package owns.
    let data: Vec<bool> = visible
        .iter()
        .map(|f| {
            let magic = ctx.collected.magic_of(f.entry);
            f.bytes > 0
                && !owned.get(f.entry as usize).copied().unwrap_or(true)
                && is_data(paths.name(f.path), magic)
        })
        .collect();
    drop(owned);
    let (data_files, data_bytes) = visible
        .iter()
        .zip(&data)
        .filter(|(_, is)| **is)
        .fold((0u64, 0u64), |(n, b), (f, _)| (n + 1, b + f.bytes));
    if data_files < u64::from(MIN_FILES) || data_bytes < MIN_BYTES {
        // No directory can hold a dataset.
        return;
    }
    // Only the directories above a data file can be datasets: they get a tally (#23
    // memory: a tally for every directory above any file took 24 bytes a directory, 6.3
    // MB on the 50-layer whiteout image, which has no data file). Each data file counts
    // in its ancestors first, then every visible file in those of its ancestors that
    // have a tally: its bytes, and whether it is a data file.
    let mut tally = Tallies::new(paths.len());
    for (f, _) in visible.iter().zip(&data).filter(|(_, is)| **is) {
        for d in paths.ancestors(f.path) {
            if let Some(t) = tally.get_or_add(d) {
                t.data_files += 1;
                t.data_bytes += f.bytes;
            }
        }
    }
    for f in visible {
        for d in paths.ancestors(f.path) {
            if let Some(t) = tally.get_mut(d) {
                t.files += 1;
                t.bytes += f.bytes;
            }
        }
    }
    // The top-most dataset directories, each narrowed: parents have smaller ids than
    // their children, so a directory below a chosen one is known to be below it.
    let mut taken = vec![false; paths.len()];
    let mut chosen: Vec<PathId> = Vec::new();
    for d in 1..paths.len() {
        let Ok(id) = PathId::try_from(d) else { break };
        let below_taken = taken.get(paths.parent(id) as usize) == Some(&true);
        let is_dataset = !below_taken
            && tally.get(id).is_some_and(Tally::is_dataset)
            && !installed_place(&paths.path_bytes(id));
        if (below_taken || is_dataset)
            && let Some(t) = taken.get_mut(d)
        {
            *t = true;
        }
        if is_dataset {
            chosen.push(narrowest(paths, &tally, id));
        }
    }
    drop(taken);
    drop(tally);
    if chosen.is_empty() {
        return;
    }
    // The data files of each chosen directory.
    let mut files: Vec<Vec<Shipped>> = vec![Vec::new(); chosen.len()];
    for (f, _) in visible.iter().zip(&data).filter(|(_, is)| **is) {
        let Some(k) = paths
            .ancestors(f.path)
            .find_map(|a| chosen.iter().position(|&c| c == a))
        else {
            continue;
        };
        if ctx.ignored(f.path) {
            continue;
        }
        if let Some(list) = files.get_mut(k) {
            list.push(Shipped {
                entry: f.entry,
                path: f.path,
                bytes: f.bytes,
                layer: f.layer(ctx.index),
                visible: true,
            });
        }
    }
    for (dir, files) in chosen.into_iter().zip(files) {
        let shown = paths.display(dir);
        let bytes: u64 = files.iter().map(|f| f.bytes).sum();
        let before = acc.findings.len();
        acc.push_files(
            "dataset.many-files",
            Category::Dataset,
            Severity::Warning,
            &files,
            &format!(
                "keep the data set out of the image: mount it or fetch it at start (and add `{}` to .dockerignore when it comes from the build context)",
                shown.trim_start_matches('/')
            ),
            format!(
                "a data set of {} files ({bytes} bytes) under {shown}",
                files.len()
            ),
        );
        // The directory is what the finding is about: it leads the example paths.
        if let Some(f) = acc.findings.get_mut(before) {
            f.paths.insert(0, format!("{shown}/"));
            f.paths.truncate(acc.max_paths.max(1));
        }
    }
}
