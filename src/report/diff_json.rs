//! `diff --format json`: the [`ImageDiff`] as a versioned document of its own.
//!
//! Deltas are signed integers (`after - before`); `before.totals` and `after.totals` are
//! the very `totals` objects `inspect --format json` writes, so a reader can check every
//! delta against the two inspect reports. Schema policy as for the inspect report:
//! `schema_version` changes only when a field is renamed, removed or changes meaning.

use super::ByteFormat;
use super::json::Tool;
use crate::analyze::diff::ImageDiff;
use serde::{Deserialize, Serialize};

/// The current version of the diff schema.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// `diff --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiffReport {
    /// See [`DIFF_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The one-line verdict, as the table's first line (decimal units).
    pub verdict: String,
    /// Everything else.
    #[serde(flatten)]
    pub diff: ImageDiff,
}

impl DiffReport {
    /// Wraps `diff`.
    pub fn new(diff: ImageDiff) -> DiffReport {
        DiffReport {
            schema_version: DIFF_SCHEMA_VERSION,
            tool: Tool {
                name: "deadweight".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            verdict: super::diff_table::verdict(&diff, ByteFormat::Si),
            diff,
        }
    }
}
