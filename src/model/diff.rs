//! The diff document: what differs between two images, as `diff --format json` writes it.
//! Built by [`crate::analyze::diff`] from two inspect documents, rendered by `report`.
//!
//! Deltas are signed integers (`after - before`); `before.totals` and `after.totals` are
//! the very `totals` objects `inspect --format json` writes, so a reader can check every
//! delta against the two inspect reports. Schema policy as for the inspect report:
//! `schema_version` changes only when a field is renamed, removed or changes meaning.

use super::inspect::{FindingInfo, PackageInfo, Tool, TotalsInfo};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The current version of the diff schema.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// `diff --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
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

/// `after - before` as a signed integer (saturating far beyond any image size).
pub fn delta(before: u64, after: u64) -> i64 {
    let d = i128::from(after) - i128::from(before);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// One image of the pair.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Side {
    /// Where it was read from (an image or a JSON report; `-` for standard input).
    pub source: String,
    /// The image's first tag or name.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The config digest.
    pub id: String,
    /// The totals, exactly as `inspect` writes them.
    pub totals: TotalsInfo,
    /// Dead weight in all (`summary.dead_weight_bytes`).
    pub dead_weight_bytes: u64,
    /// dive's efficiency score.
    pub efficiency: f64,
    /// Whether the report held every visible file.
    pub has_files: bool,
}

/// `after - before` of the headline figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, JsonSchema)]
pub struct Delta {
    /// Stored (compressed) layer bytes.
    pub blob_bytes: i64,
    /// Uncompressed layer content.
    pub content_bytes: i64,
    /// What the final filesystem shows.
    pub visible_bytes: i64,
    /// Shipped but hidden by later layers.
    pub hidden_bytes: i64,
    /// Identical content stored again.
    pub duplicate_bytes: i64,
    /// Dead weight.
    pub dead_weight_bytes: i64,
    /// Visible files.
    pub files: i64,
    /// Layers.
    pub layers: i64,
    /// dive's efficiency score (a fraction, not a percentage).
    pub efficiency: f64,
}

/// A layer both images have (same diff_id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct SharedLayer {
    /// The uncompressed tar's digest.
    pub diff_id: String,
    /// Its position in BEFORE.
    pub before_index: usize,
    /// Its position in AFTER.
    pub after_index: usize,
    /// Stored bytes in BEFORE (compression may differ between the two).
    pub before_blob_bytes: u64,
    /// Stored bytes in AFTER.
    pub after_blob_bytes: u64,
    /// Uncompressed content (the same on both sides).
    pub content_bytes: u64,
    /// The instruction (AFTER's history).
    pub created_by: Option<String>,
}

/// A layer only one image has.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct OnlyLayer {
    /// Its position in the image that has it.
    pub index: usize,
    /// The uncompressed tar's digest.
    pub diff_id: String,
    /// Stored bytes.
    pub blob_bytes: u64,
    /// Uncompressed content.
    pub content_bytes: u64,
    /// The instruction.
    pub created_by: Option<String>,
}

/// Layers matched by diff_id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct LayerChanges {
    /// In both (the base and cached layers).
    pub shared: Vec<SharedLayer>,
    /// Only in BEFORE.
    pub removed: Vec<OnlyLayer>,
    /// Only in AFTER.
    pub added: Vec<OnlyLayer>,
}

/// Dead weight of one category on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct CategoryDelta {
    /// The category (`vcs`, `package_cache`, ...).
    pub category: String,
    /// Bytes in BEFORE.
    pub before_bytes: u64,
    /// Bytes in AFTER.
    pub after_bytes: u64,
    /// after - before.
    pub delta_bytes: i64,
}

/// A directory's visible bytes on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct DirDelta {
    /// The directory (at most `depth` deep).
    pub path: String,
    /// Bytes in BEFORE.
    pub before_bytes: u64,
    /// Bytes in AFTER.
    pub after_bytes: u64,
    /// after - before.
    pub delta_bytes: i64,
}

/// A file added, removed or changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FileDelta {
    /// Its path.
    pub path: String,
    /// Bytes in BEFORE (0 when added).
    pub before_bytes: u64,
    /// Bytes in AFTER (0 when removed).
    pub after_bytes: u64,
    /// after - before.
    pub delta_bytes: i64,
    /// The layer that wrote it in BEFORE.
    pub before_layer: Option<usize>,
    /// The layer that wrote it in AFTER.
    pub after_layer: Option<usize>,
}

/// Files matched by path; a change is a different content digest or size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct FileChanges {
    /// False when a side's report has no file list: then every list here is empty.
    pub available: bool,
    /// Why the lists are empty, and how to get them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// Largest added files first (cut at `top`).
    pub added: Vec<FileDelta>,
    /// Largest removed files first (cut at `top`).
    pub removed: Vec<FileDelta>,
    /// Largest changes first, growths and shrinks alike (cut at `top`).
    pub changed: Vec<FileDelta>,
    /// Files added, in all.
    pub added_count: u64,
    /// Bytes of every added file.
    pub added_bytes: u64,
    /// Files removed, in all.
    pub removed_count: u64,
    /// Bytes of every removed file.
    pub removed_bytes: u64,
    /// Files changed, in all.
    pub changed_count: u64,
    /// Sum of every change's delta.
    pub changed_delta_bytes: i64,
    /// Files with the same path and content on both sides.
    pub unchanged_count: u64,
    /// Content that left one path for another (the old path gone, the new one new, same
    /// digest and size): kept out of `added` and `removed`. Largest first (cut at `top`).
    #[serde(default)]
    pub moved: Vec<FileMove>,
    /// Files moved, in all.
    #[serde(default)]
    pub moved_count: u64,
    /// Bytes of every moved file.
    #[serde(default)]
    pub moved_bytes: u64,
}

/// The same content at a new path.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FileMove {
    /// The path in BEFORE.
    pub from: String,
    /// The path in AFTER.
    pub to: String,
    /// Its size.
    pub bytes: u64,
    /// The layer that wrote it in BEFORE.
    pub before_layer: usize,
    /// The layer that wrote it in AFTER.
    pub after_layer: usize,
}

/// A finding on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct RemainingFinding {
    /// The rule id.
    pub rule: String,
    /// Its category.
    pub category: String,
    /// `info`, `warning` or `error` (AFTER's).
    pub severity: String,
    /// AFTER's example paths.
    pub paths: Vec<String>,
    /// Bytes at stake in BEFORE.
    pub before_bytes: u64,
    /// Bytes at stake in AFTER.
    pub after_bytes: u64,
    /// after - before.
    pub delta_bytes: i64,
    /// AFTER's message.
    pub message: String,
    /// The fix, still to apply.
    pub fix: String,
}

/// Findings matched by rule and paths.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct FindingChanges {
    /// In BEFORE only.
    pub fixed: Vec<FindingInfo>,
    /// In both.
    pub remaining: Vec<RemainingFinding>,
    /// In AFTER only.
    pub new: Vec<FindingInfo>,
}

/// A package in both, with another version or size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct PackageChange {
    /// `dpkg`, `pip`, `npm`, `apk`.
    pub manager: String,
    /// The name.
    pub name: String,
    /// BEFORE's version.
    pub before_version: String,
    /// AFTER's version.
    pub after_version: String,
    /// BEFORE's bytes.
    pub before_bytes: u64,
    /// AFTER's bytes.
    pub after_bytes: u64,
    /// after - before.
    pub delta_bytes: i64,
}

/// Packages matched by manager and name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct PackageChanges {
    /// In AFTER only.
    pub added: Vec<PackageInfo>,
    /// In BEFORE only.
    pub removed: Vec<PackageInfo>,
    /// In both, with another version or size.
    pub changed: Vec<PackageChange>,
}

/// Everything that differs between two images.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ImageDiff {
    /// The first image.
    pub before: Side,
    /// The second image.
    pub after: Side,
    /// after - before of the headline figures.
    pub delta: Delta,
    /// Layers shared, removed and added.
    pub layers: LayerChanges,
    /// Dead weight by category, largest change first.
    pub categories: Vec<CategoryDelta>,
    /// Directories whose bytes changed, largest change first (empty when the file lists
    /// are unavailable; see `files.available`).
    pub dirs: Vec<DirDelta>,
    /// Files added, removed and changed.
    pub files: FileChanges,
    /// Findings fixed, remaining and new.
    pub findings: FindingChanges,
    /// Packages added, removed and changed.
    pub packages: PackageChanges,
}

impl ImageDiff {
    /// The byte totals both reports show, as (label, before, after, delta): stored,
    /// content, visible, hidden, duplicate and dead weight.
    pub fn total_rows(&self) -> [(&'static str, u64, u64, i64); 6] {
        let (bt, at, dl) = (&self.before.totals, &self.after.totals, &self.delta);
        [
            ("stored", bt.blob_bytes, at.blob_bytes, dl.blob_bytes),
            (
                "content",
                bt.content_bytes,
                at.content_bytes,
                dl.content_bytes,
            ),
            (
                "visible",
                bt.visible_bytes,
                at.visible_bytes,
                dl.visible_bytes,
            ),
            ("hidden", bt.hidden_bytes, at.hidden_bytes, dl.hidden_bytes),
            (
                "duplicate",
                bt.duplicate_bytes,
                at.duplicate_bytes,
                dl.duplicate_bytes,
            ),
            (
                "dead weight",
                self.before.dead_weight_bytes,
                self.after.dead_weight_bytes,
                dl.dead_weight_bytes,
            ),
        ]
    }

    /// The counts both reports show, as (label, before, after, delta): visible files and
    /// layers.
    pub fn count_rows(&self) -> [(&'static str, u64, u64, i64); 2] {
        let (bt, at) = (&self.before.totals, &self.after.totals);
        [
            (
                "files",
                bt.visible_files,
                at.visible_files,
                self.delta.files,
            ),
            ("layers", bt.layers, at.layers, self.delta.layers),
        ]
    }

    /// True when nothing differs: every delta zero, every list of changes empty.
    pub fn is_zero(&self) -> bool {
        self.delta == Delta::default()
            && self.layers.removed.is_empty()
            && self.layers.added.is_empty()
            && self.categories.iter().all(|c| c.delta_bytes == 0)
            && self.dirs.is_empty()
            && self.files.added_count == 0
            && self.files.removed_count == 0
            && self.files.changed_count == 0
            && self.files.moved_count == 0
            && self.findings.fixed.is_empty()
            && self.findings.new.is_empty()
            && self.findings.remaining.iter().all(|f| f.delta_bytes == 0)
            && self.packages.added.is_empty()
            && self.packages.removed.is_empty()
            && self.packages.changed.is_empty()
    }
}
