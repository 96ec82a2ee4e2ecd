//! deadweight: where did a container image's bytes go, which of them are dead weight, and
//! did this change make it heavier?
//!
//! The library is a pipeline of four stages, each a module, each depending only on the ones
//! before it:
//!
//! ```text
//! file | dir | stdin
//!   -> archive   read the outer tar once, front to back; sniff members by their first bytes;
//!                stream layer entries into a LayerSink; resolve manifests after EOF
//!   -> index     intern paths, apply the layers in order (whiteouts, opaque directories,
//!                overwrites, hard links): the final tree and every entry's fate
//!   -> analyze   totals, hidden bytes by cause, duplicates, dive's figures
//!   -> report    table, JSON: rendered into any `Write`
//! ```
//!
//! Memory grows with the number of entries, never with the bytes of a file: contents pass
//! through a SHA-256 hasher and are dropped.

pub mod analyze;
pub mod archive;
pub mod error;
pub mod index;
pub mod model;
pub mod report;
pub mod synth;

pub use error::{Error, Result};

/// True when `DEADWEIGHT_TIMINGS` is set: then each pipeline thread prints its CPU time,
/// and the command when each phase ends, on stderr (see `benches/compare.sh`). The
/// variable is read once.
pub fn timings_wanted() -> bool {
    static WANTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WANTED.get_or_init(|| std::env::var_os("DEADWEIGHT_TIMINGS").is_some())
}

use archive::manifest::Selection;
use archive::{ReadOptions, Source};

/// Reads `source` in one pass and indexes the image `selection` names: the archive and
/// index stages together.
pub fn load(source: &Source, selection: &Selection, opts: &ReadOptions) -> Result<index::Index> {
    let mut builder = index::IndexBuilder::new();
    let raw = archive::read_source(source, &mut builder, opts)?;
    let image = archive::manifest::resolve(&raw, selection)?;
    builder.finish(&raw, image)
}

/// [`load`] for an archive in any reader (bytes in memory, a socket), named `label` in
/// messages.
pub fn load_reader<R: std::io::Read>(
    label: &str,
    reader: R,
    selection: &Selection,
    opts: &ReadOptions,
) -> Result<index::Index> {
    let mut builder = index::IndexBuilder::new();
    let raw = archive::read_stream(label, reader, &mut builder, opts)?;
    let image = archive::manifest::resolve(&raw, selection)?;
    builder.finish(&raw, image)
}

/// [`load`], showing every regular file's content to `inspector` as it streams (the
/// findings stage's [`analyze::findings::collect::Collector`], say).
pub fn load_inspected(
    source: &Source,
    selection: &Selection,
    opts: &ReadOptions,
    inspector: &mut dyn index::ContentInspector,
) -> Result<index::Index> {
    let mut builder = index::IndexBuilder::with_inspector(inspector);
    let raw = archive::read_source(source, &mut builder, opts)?;
    let image = archive::manifest::resolve(&raw, selection)?;
    builder.finish(&raw, image)
}
