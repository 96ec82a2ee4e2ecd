//! The inspect document: what `inspect --format json` writes, what a baseline file holds,
//! what `diff` reads back. A versioned type of its own, raw integer bytes; built by
//! [`crate::analyze::summary`], rendered by `report`.
//!
//! Schema policy: `schema_version` changes only when a field is renamed, removed or
//! changes meaning; new fields may appear in any release. Readers (such as `diff`
//! reading a saved report) accept any document with the same `schema_version`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The current schema version.
pub const SCHEMA_VERSION: u32 = 1;

/// `inspect --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct InspectReport {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Where the image was read from.
    pub source: SourceInfo,
    /// The image.
    pub image: ImageInfo,
    /// Layers, bottom first.
    pub layers: Vec<LayerInfo>,
    /// Image-wide totals.
    pub totals: TotalsInfo,
    /// The largest visible files.
    pub top_files: Vec<FileInfo>,
    /// The largest directories (rolled up).
    pub top_dirs: Vec<DirInfo>,
    /// Identical content at several visible paths, most wasteful first.
    pub duplicates: Vec<DuplicateInfo>,
    /// The largest hidden files.
    pub hidden_paths: Vec<HiddenInfo>,
    /// dive's figures, as dive 0.13.1 computes them.
    pub dive: DiveInfo,
    /// Base layers versus the image's own.
    pub base: BaseInfo,
    /// Every visible file, when asked for (`--all-files`): what `diff` compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileInfo>>,
    /// Dead weight and security findings, heaviest first.
    #[serde(default)]
    pub findings: Vec<FindingInfo>,
    /// The changes to the build that resolve the findings, heaviest first: the unit of
    /// advice. Each finding that carries dead weight is resolved by one fix.
    #[serde(default)]
    pub fixes: Vec<FixInfo>,
    /// Installed packages with their bytes, heaviest first.
    #[serde(default)]
    pub packages: Vec<PackageInfo>,
    /// The headline: dead weight in all, and by category (each byte counted once).
    #[serde(default)]
    pub summary: SummaryInfo,
    /// Non-fatal oddities.
    pub warnings: Vec<String>,
}

/// One finding: something that weighs or leaks, with the fix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FindingInfo {
    /// A stable rule id, e.g. `vcs.git-directory`.
    pub rule: String,
    /// One of the categories (`vcs`, `dataset`, `model_weights`, `notebook`, `test_suite`,
    /// `docs`, `package_cache`, `dev_dependency`, `build_toolchain`, `temp_file`,
    /// `log_file`, `secret`, `root_user`, `duplicate`, `hidden`, `dockerfile_pattern`).
    pub category: String,
    /// `info`, `warning` or `error`.
    pub severity: String,
    /// Bytes at stake (deduplicated within the category).
    pub bytes: u64,
    /// Pull cost: the layer blobs' bytes (compressed where they are) that carry the
    /// entries it covers, each entry once.
    #[serde(default)]
    pub stored_bytes: u64,
    /// The layer that wrote it, where one did.
    pub layer: Option<usize>,
    /// That layer's instruction.
    pub created_by: Option<String>,
    /// Example paths (at most a few).
    pub paths: Vec<String>,
    /// What to change, in a Dockerfile's or .dockerignore's words.
    pub fix: String,
    /// What its fix saves of this finding's own files: equal to `bytes` (a fix never keeps
    /// part of a file a finding it resolves counts). What the whole change saves is its
    /// fix's `saving_bytes` (see `resolved_by`).
    pub saving_bytes: u64,
    /// The fix that resolves it: an index into `fixes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<usize>,
    /// One line saying what was found.
    #[serde(default)]
    pub message: String,
    /// For a package finding (dev dependencies, build toolchain): the packages its fix
    /// removes, those it names first, then those only they need (the closure
    /// `apt-get purge --autoremove` or pip-autoremove would take along). `bytes` above
    /// counts each of their files once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<FindingPackage>,
}

/// A change to the build: what to do, where, the findings it resolves and what it saves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FixInfo {
    /// `dockerignore`, `builder-stage`, `runtime-deps-only`, `apt-lists`, `pip-no-cache`,
    /// `delete-in-same-run`, `copy-chmod`, `write-once`, `keep-one-copy`, or `as-advised`
    /// (a finding's own fix).
    pub kind: String,
    /// The layer whose instruction it changes (for `dockerignore` and `builder-stage`,
    /// the heaviest one of several).
    pub layer: Option<usize>,
    /// That layer's instruction, in the Dockerfile's words.
    pub instruction: Option<String>,
    /// What to change.
    pub fix: String,
    /// Bytes applying it removes from the image (uncompressed), each file once.
    pub saving_bytes: u64,
    /// What it takes off a pull: the stored bytes of the same files.
    pub stored_bytes: u64,
    /// The findings it resolves: indexes into `findings`.
    pub findings: Vec<usize>,
    /// Their rule ids, each once, in the findings' order.
    pub rules: Vec<String>,
}

/// A package a finding's fix removes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FindingPackage {
    /// The package's name.
    pub name: String,
    /// Bytes of its files present in the final filesystem.
    pub bytes: u64,
}

/// An installed package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct PackageInfo {
    /// `dpkg`, `pip`, `npm`, `apk`.
    pub manager: String,
    /// The package's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Bytes of its files present in the final filesystem.
    pub bytes: u64,
    /// True for development-only packages.
    pub dev: bool,
}

/// The dead-weight headline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct SummaryInfo {
    /// Bytes that are dead weight, each counted once across categories.
    pub dead_weight_bytes: u64,
    /// Dead weight by category.
    pub by_category: std::collections::BTreeMap<String, u64>,
    /// Its pull cost by the same categories: the stored (compressed) bytes of the same
    /// files, each counted once.
    #[serde(default)]
    pub stored_by_category: std::collections::BTreeMap<String, u64>,
    /// What the three heaviest fixes save together, each byte once.
    #[serde(default)]
    pub top3_saving_bytes: u64,
    /// The denominator of the headline: the layers' content bytes.
    #[serde(default)]
    pub image_bytes: u64,
}

/// Tool name and version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct Tool {
    /// `deadweight`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Tool {
    /// This build of deadweight.
    pub fn this() -> Tool {
        Tool {
            name: "deadweight".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Where the image was read from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct SourceInfo {
    /// The path given (`-` for stdin).
    pub path: String,
    /// `docker-archive`, `oci`, `skopeo-dir`, `docker-v1`.
    pub layout: String,
    /// `gzip` or `zstd` when the whole archive was compressed.
    pub compression: Option<String>,
    /// Bytes read.
    pub input_bytes: u64,
}

/// The image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct ImageInfo {
    /// The first tag or name, if any.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// All tags or names.
    pub refs: Vec<String>,
    /// The config digest.
    pub id: String,
    /// The manifest digest, where there is one.
    pub manifest_digest: Option<String>,
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`.
    pub arch: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
    /// The configured user; empty means root.
    pub user: String,
}

/// One layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct LayerInfo {
    /// 0 = bottom.
    pub index: usize,
    /// The blob digest (as stored).
    pub digest: String,
    /// The uncompressed tar's digest.
    pub diff_id: String,
    /// `none`, `gzip`, `zstd`.
    pub compression: String,
    /// Bytes as stored.
    pub blob_bytes: u64,
    /// Pull cost of its entries: the blob's bytes from its start to the end of its last
    /// entry, each entry's from the end of the one before (headers and the gzip or zstd
    /// header included).
    #[serde(default)]
    pub entries_stored_bytes: u64,
    /// The blob's bytes after its last entry: tar end-of-archive blocks, the gzip or zstd
    /// trailer. With `entries_stored_bytes`, exactly `blob_bytes`.
    #[serde(default)]
    pub end_stored_bytes: u64,
    /// Sum of its regular-file sizes.
    pub content_bytes: u64,
    /// Tar entries.
    pub entries: u64,
    /// Regular files and hard links.
    pub files: u64,
    /// `.wh.` whiteouts.
    pub whiteouts: u64,
    /// Opaque markers.
    pub opaque: u64,
    /// Non-directory entries new in this layer.
    pub added: u64,
    /// Non-directory entries that replaced a lower layer's.
    pub changed: u64,
    /// Lower-layer non-directory entries this layer deleted.
    pub deleted: u64,
    /// Bytes it carries that later layers hid.
    pub hidden_bytes: u64,
    /// Bytes of lower layers it hid.
    pub hides_bytes: u64,
    /// Its bytes the final filesystem shows.
    pub visible_bytes: u64,
    /// The instruction that made it, as the builder recorded it.
    pub created_by: Option<String>,
    /// The same in the Dockerfile's words (`RUN apt-get update`, `COPY dir:5a7c2b1e9f03
    /// /app`), whichever builder recorded it; secret values masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// The build args the builder recorded with a RUN (`|1 PIP_CERT=...`), secret values
    /// masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build_args: Vec<BuildArg>,
    /// True when the layer belongs to the base image (see `base`).
    pub base: bool,
}

/// A build arg a RUN was recorded with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct BuildArg {
    /// Its name.
    pub name: String,
    /// Its value, masked when it looks secret.
    pub value: String,
}

/// Hidden bytes by cause.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct ByCauseInfo {
    /// Replaced later.
    pub overwritten: u64,
    /// Of overwritten: by identical content.
    pub same_content: u64,
    /// Named by a whiteout.
    pub deleted: u64,
    /// With its directory.
    pub deleted_with_dir: u64,
    /// By an opaque directory.
    pub opaque: u64,
}

/// Totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct TotalsInfo {
    /// Sum of the layers' regular-file sizes.
    pub content_bytes: u64,
    /// Sum of the blobs as stored.
    pub blob_bytes: u64,
    /// What the final filesystem shows.
    pub visible_bytes: u64,
    /// Visible regular files and hard links.
    pub visible_files: u64,
    /// Distinct visible inodes.
    pub visible_inodes: u64,
    /// content - visible.
    pub hidden_bytes: u64,
    /// Hidden bytes by cause.
    pub hidden_by_cause: ByCauseInfo,
    /// Identical visible content stored more than once.
    pub duplicate_bytes: u64,
    /// Tar entries in all layers.
    pub entries: u64,
    /// Number of layers.
    pub layers: u64,
}

/// A visible file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct FileInfo {
    /// Its path.
    pub path: String,
    /// Bytes attributed to it (a hard-linked inode counts on one path).
    pub bytes: u64,
    /// Pull cost: the bytes of its layer's blob (compressed where it is) that carried it,
    /// its tar header included; on the path that `bytes` counts a hard-linked inode on.
    #[serde(default)]
    pub stored_bytes: u64,
    /// The layer that wrote it.
    pub layer: usize,
    /// Its content digest (in `files` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A directory, rolled up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct DirInfo {
    /// Its path.
    pub path: String,
    /// Visible bytes below it.
    pub bytes: u64,
    /// Pull cost of the visible files below it (see [`FileInfo::stored_bytes`]).
    #[serde(default)]
    pub stored_bytes: u64,
}

/// A duplicate group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct DuplicateInfo {
    /// The content digest.
    pub sha256: String,
    /// One copy's size.
    pub size: u64,
    /// Every copy's path.
    pub paths: Vec<String>,
    /// The layer of each copy.
    pub layers: Vec<usize>,
    /// (copies - 1) x size.
    pub wasted_bytes: u64,
}

/// A hidden file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct HiddenInfo {
    /// Its path.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// `overwritten`, `same_content`, `deleted`, `deleted_with_dir`, `opaque`.
    pub cause: String,
    /// The layer that wrote it.
    pub written_by_layer: usize,
    /// The layer that hid it.
    pub hidden_by_layer: usize,
    /// The instruction of the writing layer.
    pub written_by: Option<String>,
    /// The instruction of the hiding layer.
    pub hidden_by: Option<String>,
}

/// dive's figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct DiveInfo {
    /// dive's efficiency score.
    pub efficiency: f64,
    /// dive's wasted bytes.
    pub wasted_bytes: u64,
    /// dive's image size (sum of layer sizes).
    pub size_bytes: u64,
    /// Sum of layers 1..N.
    pub user_bytes: u64,
    /// wasted / user bytes; null where dive divides by zero.
    pub user_wasted_percent: Option<f64>,
    /// Paths seen in several layers.
    pub inefficient_paths: Vec<InefficientInfo>,
}

/// A path dive counts as inefficient.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct InefficientInfo {
    /// The path.
    pub path: String,
    /// How many layers had it.
    pub count: u32,
    /// Their total size.
    pub bytes: u64,
}

/// The base/yours split.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct BaseInfo {
    /// `flag` (from --base) or `guess` (layer 0, as dive assumes).
    pub source: String,
    /// True when the split is a guess.
    pub guess: bool,
    /// The base image's name, where known.
    pub name: Option<String>,
    /// The base layers' indexes.
    pub layers: Vec<usize>,
    /// Content bytes of the base layers.
    pub content_bytes: u64,
    /// Hidden bytes the base layers carry.
    pub hidden_bytes: u64,
    /// Duplicate bytes whose extra copies the base wrote.
    pub duplicate_bytes: u64,
    /// The same three figures for the image's own layers.
    pub own: OwnInfo,
}

/// The image's own layers' figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct OwnInfo {
    /// Content bytes.
    pub content_bytes: u64,
    /// Hidden bytes.
    pub hidden_bytes: u64,
    /// Duplicate bytes.
    pub duplicate_bytes: u64,
}
