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
pub mod pipeline;
pub mod report;
pub mod schema;
pub mod source;
pub mod timings;

pub use error::{Error, Result};
pub use pipeline::{Inspected, inspect};
