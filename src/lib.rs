//! deadweight: where did a container image's bytes go, which of them are dead weight, and
//! did this change make it heavier?
//!
//! The library is one pass from where an image lives to the documents deadweight writes,
//! in stages, each a module that depends only on the ones above it here, except `model`:
//! the documents' plain types, drawn where the data becomes them, import nothing of the
//! crate and are used by `analyze` (which builds them) and `report` (which renders them):
//!
//! ```text
//! file | folder | stdin | bytes in memory
//!   -> source    where the image lives: `Source::open` hands over a byte stream of a
//!                saved archive, a layout folder, or a layout's members one by one
//!   -> archive   read the outer stream once, front to back (`read`: a stream, a folder,
//!                members; compressed layers of a file by parallel workers); sniff members
//!                by their first bytes (`sniff`); stream layer entries into a LayerSink
//!                (`pipeline`: reader, parser and hasher threads); count bytes and layers
//!                for a progress display; after EOF `manifest` finds the images
//!                (`candidates`), resolves the chosen one's layout and config
//!   -> index     intern paths, apply the layers in order (whiteouts, opaque directories,
//!                overwrites, hard links): the final tree and every entry's fate
//!   -> analyze   totals, hidden bytes by cause, duplicates, dive's figures, findings,
//!                packages; `summary` builds the inspect document, `diff` the diff
//!                document from two of them, `budget` a verdict on one
//!   -> model     the versioned documents (inspect, diff, check): plain data, imports
//!                nothing of the crate
//!   -> report    table, tree, JSON, Markdown, HTML, JUnit, SARIF: each renders a model
//!                document into any `Write`
//! ```
//!
//! [`pipeline::inspect`] runs the stages from a [`source::Source`] to an [`Inspected`]
//! image (index, analysis, findings, inspect document); the binary, the tests, the benches
//! and the fuzz targets all call it, and the binary adds only arguments, the progress bar,
//! the terminal and exit codes. [`timings`] measures the phases for whoever installs a
//! sink; [`error`] holds the typed errors every stage returns. `tests/it/layering.rs`
//! reads the source and fails on an import against this order or a circle between files.
//!
//! Memory grows with the number of entries, never with the bytes of a file: contents pass
//! through a SHA-256 hasher and are dropped.

pub mod analyze;
pub mod archive;
pub mod error;
pub mod index;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod schema;
pub mod source;
pub mod timings;

pub use error::{Error, Result};
pub use pipeline::{Inspected, inspect};
