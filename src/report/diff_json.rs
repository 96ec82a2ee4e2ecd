//! `diff --format json`: the [`ImageDiff`] wrapped in its versioned document, with the
//! one-line verdict the table shows first.

use super::ByteFormat;
use crate::model::diff::{DIFF_SCHEMA_VERSION, DiffReport, ImageDiff};
use crate::model::inspect::Tool;

/// Wraps `diff` in its document.
pub fn document(diff: ImageDiff) -> DiffReport {
    DiffReport {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: Tool::this(),
        verdict: super::diff_table::verdict(&diff, ByteFormat::Si),
        diff,
    }
}
