//! A hook for looking at file contents while the index is built.
//!
//! The reader hashes every regular file and drops its bytes; a [`ContentInspector`] given to
//! [`super::IndexBuilder::with_inspector`] sees each file's first bytes (for file magic)
//! and, for the few files it asks for, the whole content (package databases, small
//! configs that may hold secrets). It must keep compact results only, never contents:
//! memory then still grows with the number of entries, not with their bytes.
//!
//! Entries are named by their layer member and their index in that layer, because the
//! image's layer order is known only after [`super::IndexBuilder::finish`]; the global
//! entry index is `Index.layers[i].range.start + local` for the layer whose `member`
//! matches.

use crate::archive::{Capture, CapturePolicy};
use crate::index::PathId;

/// A regular file as the inspector sees it.
#[derive(Debug, Clone, Copy)]
pub struct InspectedFile<'a> {
    /// The layer member the file is in.
    pub member: &'a str,
    /// Its index among that layer's entries.
    pub local: u32,
    /// Its normalised path's id.
    pub path: PathId,
    /// Its normalised path: `/`-separated, starting with `/`.
    pub path_bytes: &'a [u8],
    /// Its size.
    pub size: u64,
    /// Its mode bits.
    pub mode: u32,
    /// Its first bytes (at most [`crate::archive::HEAD_BYTES`]).
    pub head: &'a [u8],
    /// The whole content, when [`ContentInspector::capture`] asked for it and it fit.
    pub content: Option<&'a [u8]>,
}

/// Looks at regular files as they stream by; keeps compact results of its own.
pub trait ContentInspector: std::fmt::Debug + Send {
    /// How much of the regular file at `path` (as the tar names it, not normalised) of
    /// `size` bytes to capture.
    fn capture(&mut self, path: &[u8], size: u64) -> Capture;
    /// [`ContentInspector::capture`] as a function any thread may call, when it depends
    /// on the path and size alone (then compressed layers may be read in parallel).
    fn capture_policy(&self) -> Option<CapturePolicy> {
        None
    }
    /// One regular file of the current layer.
    fn inspect(&mut self, file: &InspectedFile<'_>);
}
