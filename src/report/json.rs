//! The JSON report: a versioned type of its own, raw integer bytes.
//!
//! Schema policy: `schema_version` changes only when a field is renamed, removed or
//! changes meaning; new fields may appear in any release. Readers (such as `diff`
//! reading a saved report) accept any document with the same `schema_version`.

use crate::analyze::{Analysis, BaseSource};
use crate::index::{Index, escape_bytes};
use serde::{Deserialize, Serialize};

/// The current schema version.
pub const SCHEMA_VERSION: u32 = 1;

/// `inspect --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
    /// The layer that wrote it, where one did.
    pub layer: Option<usize>,
    /// That layer's instruction.
    pub created_by: Option<String>,
    /// Example paths (at most a few).
    pub paths: Vec<String>,
    /// What to change, in a Dockerfile's or .dockerignore's words.
    pub fix: String,
    /// The estimated saving of the fix.
    pub saving_bytes: u64,
    /// One line saying what was found.
    #[serde(default)]
    pub message: String,
}

/// An installed package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct SummaryInfo {
    /// Bytes that are dead weight, each counted once across categories.
    pub dead_weight_bytes: u64,
    /// Dead weight by category.
    pub by_category: std::collections::BTreeMap<String, u64>,
    /// What the three heaviest fixes save together, each byte once.
    #[serde(default)]
    pub top3_saving_bytes: u64,
    /// The denominator of the headline: the layers' content bytes.
    #[serde(default)]
    pub image_bytes: u64,
}

/// Tool name and version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tool {
    /// `deadweight`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// Where the image was read from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
    /// The instruction that made it.
    pub created_by: Option<String>,
    /// True when the layer belongs to the base image (see `base`).
    pub base: bool,
}

/// Hidden bytes by cause.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileInfo {
    /// Its path.
    pub path: String,
    /// Bytes attributed to it (a hard-linked inode counts on one path).
    pub bytes: u64,
    /// The layer that wrote it.
    pub layer: usize,
    /// Its content digest (in `files` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A directory, rolled up.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DirInfo {
    /// Its path.
    pub path: String,
    /// Visible bytes below it.
    pub bytes: u64,
}

/// A duplicate group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InefficientInfo {
    /// The path.
    pub path: String,
    /// How many layers had it.
    pub count: u32,
    /// Their total size.
    pub bytes: u64,
}

/// The base/yours split.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnInfo {
    /// Content bytes.
    pub content_bytes: u64,
    /// Hidden bytes.
    pub hidden_bytes: u64,
    /// Duplicate bytes.
    pub duplicate_bytes: u64,
}

/// How much of the long lists a report holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows of the top lists.
    pub top: usize,
    /// Depth of `top_dirs`.
    pub depth: u32,
    /// Include every visible file.
    pub all_files: bool,
}

impl InspectReport {
    /// Builds the report of `index` and its analysis.
    pub fn new(index: &Index, a: &Analysis, source_path: &str, limits: Limits) -> InspectReport {
        let paths = &index.paths;
        let img = &index.image;
        let cfg = &img.config;
        let created_by = |i: usize| index.created_by(i).map(str::to_string);
        let t = &a.totals;
        let files = limits.all_files.then(|| {
            let mut all: Vec<FileInfo> = a
                .waste
                .visible
                .iter()
                .map(|f| FileInfo {
                    path: paths.display(f.path),
                    bytes: f.bytes,
                    layer: usize::from(f.layer),
                    sha256: index
                        .entries
                        .get(f.entry as usize)
                        .and_then(|e| index.digest_of(e))
                        .map(|d| d.to_string()),
                })
                .collect();
            all.sort_by(|x, y| x.path.cmp(&y.path));
            all
        });
        InspectReport {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "deadweight".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            source: SourceInfo {
                path: source_path.to_string(),
                layout: img.layout.name().to_string(),
                compression: index.outer_compression.map(|c| c.name().to_string()),
                input_bytes: index.input_bytes,
            },
            image: ImageInfo {
                reference: img.refs.first().cloned(),
                refs: img.refs.clone(),
                id: img.config_digest.to_string(),
                manifest_digest: img.manifest_digest.map(|d| d.to_string()),
                os: cfg.os.clone(),
                arch: cfg.architecture.clone(),
                variant: cfg.variant.clone(),
                user: cfg.user.clone(),
            },
            layers: index
                .layers
                .iter()
                .map(|l| {
                    let w = a.waste.layers.get(l.index).copied().unwrap_or_default();
                    LayerInfo {
                        index: l.index,
                        digest: l.digest.unwrap_or(l.blob.blob_digest).to_string(),
                        diff_id: l.blob.diff_id.to_string(),
                        compression: l.blob.compression.name().to_string(),
                        blob_bytes: l.blob.blob_bytes,
                        content_bytes: l.counts.content_bytes,
                        entries: l.counts.entries,
                        files: l.counts.files,
                        whiteouts: l.counts.whiteouts,
                        opaque: l.counts.opaque,
                        added: l.added,
                        changed: l.changed,
                        deleted: w.deleted,
                        hidden_bytes: w.hidden_bytes,
                        hides_bytes: w.hides_bytes,
                        visible_bytes: w.visible_bytes,
                        created_by: l.created_by().map(str::to_string),
                        base: l.index < a.base.layers,
                    }
                })
                .collect(),
            totals: TotalsInfo {
                content_bytes: t.content_bytes,
                blob_bytes: t.blob_bytes,
                visible_bytes: t.visible_bytes,
                visible_files: t.visible_files,
                visible_inodes: t.visible_inodes,
                hidden_bytes: t.hidden_bytes,
                hidden_by_cause: ByCauseInfo {
                    overwritten: t.hidden_by_cause.overwritten,
                    same_content: t.hidden_by_cause.same_content,
                    deleted: t.hidden_by_cause.deleted,
                    deleted_with_dir: t.hidden_by_cause.deleted_with_dir,
                    opaque: t.hidden_by_cause.opaque,
                },
                duplicate_bytes: t.duplicate_bytes,
                entries: t.entries,
                layers: index.layers.len() as u64,
            },
            top_files: a
                .top_files(index, limits.top)
                .iter()
                .map(|f| FileInfo {
                    path: paths.display(f.path),
                    bytes: f.bytes,
                    layer: usize::from(f.layer),
                    sha256: None,
                })
                .collect(),
            top_dirs: a
                .top_dirs(index, limits.depth, limits.top)
                .iter()
                .map(|(p, b)| DirInfo {
                    path: paths.display(*p),
                    bytes: *b,
                })
                .collect(),
            duplicates: a
                .waste
                .duplicates
                .iter()
                .take(limits.top)
                .map(|g| DuplicateInfo {
                    sha256: g.digest.to_string(),
                    size: g.size,
                    paths: g.copies.iter().map(|(p, _)| paths.display(*p)).collect(),
                    layers: g.copies.iter().map(|(_, l)| usize::from(*l)).collect(),
                    wasted_bytes: g.wasted(),
                })
                .collect(),
            hidden_paths: a
                .waste
                .hidden
                .iter()
                .take(limits.top)
                .map(|h| HiddenInfo {
                    path: paths.display(h.path),
                    bytes: h.bytes,
                    cause: h.fate.cause().to_string(),
                    written_by_layer: usize::from(h.written_by),
                    hidden_by_layer: usize::from(h.hidden_by),
                    written_by: created_by(usize::from(h.written_by)),
                    hidden_by: created_by(usize::from(h.hidden_by)),
                })
                .collect(),
            dive: DiveInfo {
                efficiency: a.dive.efficiency,
                wasted_bytes: a.dive.wasted_bytes,
                size_bytes: a.dive.size_bytes,
                user_bytes: a.dive.user_bytes,
                user_wasted_percent: a.dive.user_wasted_percent,
                inefficient_paths: a
                    .dive
                    .inefficient
                    .iter()
                    .map(|p| InefficientInfo {
                        path: paths.display(p.path),
                        count: p.count,
                        bytes: p.bytes,
                    })
                    .collect(),
            },
            base: BaseInfo {
                source: match a.base.source {
                    BaseSource::Given(_) => "flag".to_string(),
                    BaseSource::Guess => "guess".to_string(),
                },
                guess: a.base.source == BaseSource::Guess,
                name: a.base.name.clone(),
                layers: (0..a.base.layers).collect(),
                content_bytes: a.base.content_bytes.0,
                hidden_bytes: a.base.hidden_bytes.0,
                duplicate_bytes: a.base.duplicate_bytes.0,
                own: OwnInfo {
                    content_bytes: a.base.content_bytes.1,
                    hidden_bytes: a.base.hidden_bytes.1,
                    duplicate_bytes: a.base.duplicate_bytes.1,
                },
            },
            files,
            findings: Vec::new(),
            packages: Vec::new(),
            summary: SummaryInfo::default(),
            warnings: index.warnings.clone(),
        }
    }
}

impl InspectReport {
    /// Fills `findings`, `packages` and `summary` from the findings stage.
    pub fn set_findings(&mut self, f: &crate::analyze::findings::Findings, index: &Index) {
        self.findings = f
            .findings
            .iter()
            .map(|x| FindingInfo {
                rule: x.rule.clone(),
                category: x.category.name().to_string(),
                severity: x.severity.name().to_string(),
                bytes: x.bytes,
                layer: x.layer,
                created_by: x
                    .layer
                    .and_then(|l| index.created_by(l))
                    .map(str::to_string),
                paths: x.paths.clone(),
                fix: x.fix.clone(),
                saving_bytes: x.saving_bytes,
                message: x.message.clone(),
            })
            .collect();
        self.packages = f
            .packages
            .iter()
            .map(|p| PackageInfo {
                manager: p.manager.to_string(),
                name: p.name.clone(),
                version: p.version.clone(),
                bytes: p.bytes,
                dev: p.dev,
            })
            .collect();
        self.summary = SummaryInfo {
            dead_weight_bytes: f.dead_weight_bytes,
            by_category: f
                .by_category
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            top3_saving_bytes: f.top3_saving_bytes,
            image_bytes: self.totals.content_bytes,
        };
    }
}

/// Escapes a path for display (shared by every renderer).
pub fn display_path(bytes: &[u8]) -> String {
    escape_bytes(bytes)
}
