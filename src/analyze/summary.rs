//! The inspect document from the stages' results: [`summarize`] turns an index and its
//! analysis into a [`model::InspectReport`](crate::model::InspectReport), and
//! [`add_findings`] adds the findings stage's part. Every list is cut to [`Limits`] here,
//! so a renderer shows what it is given.

use super::findings::Findings;
use super::instruction::Instruction;
use super::{Analysis, BaseSource, VisibleFile};
use crate::index::{Index, Layer};
use crate::model::inspect::{
    BaseInfo, BuildArg, ByCauseInfo, DirInfo, DiveInfo, DuplicateInfo, FileInfo, FindingInfo,
    FindingPackage, FixInfo, HiddenInfo, ImageInfo, InefficientInfo, InspectReport, LayerInfo,
    OwnInfo, PackageInfo, SCHEMA_VERSION, SourceInfo, SummaryInfo, Tool, TotalsInfo,
};

/// How much of the long lists a report holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows of the top lists.
    pub top: usize,
    /// Depth of `top_dirs`.
    pub depth: u32,
    /// Include every visible file.
    pub all_files: bool,
    /// The top lists by pull cost (stored bytes) rather than bytes (`--sort stored`).
    pub by_stored: bool,
}

impl Default for Limits {
    /// `inspect`'s defaults: ten rows, directories three deep, no file list.
    fn default() -> Self {
        Limits {
            top: 10,
            depth: 3,
            all_files: false,
            by_stored: false,
        }
    }
}

/// Builds the inspect document of `index` and its analysis; `source_path` names where the
/// image was read from. The findings' part stays empty until [`add_findings`].
pub fn summarize(index: &Index, a: &Analysis, source_path: &str, limits: Limits) -> InspectReport {
    let img = &index.image;
    let cfg = &img.config;
    InspectReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
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
        layers: index.layers.iter().map(|l| layer_info(l, a)).collect(),
        totals: totals_info(index, a),
        top_files: a
            .top_files(index, limits.top, limits.by_stored)
            .iter()
            .map(|f| file_info(index, f, None))
            .collect(),
        top_dirs: a
            .top_dirs(index, limits.depth, limits.top, limits.by_stored)
            .iter()
            .map(|&(p, b, stored)| DirInfo {
                path: index.paths.display(p),
                bytes: b,
                stored_bytes: stored,
            })
            .collect(),
        duplicates: duplicate_infos(index, a, limits.top),
        hidden_paths: hidden_infos(index, a, limits.top),
        dive: dive_info(index, a),
        base: base_info(a),
        files: limits.all_files.then(|| all_files(index, a)),
        findings: Vec::new(),
        fixes: Vec::new(),
        packages: Vec::new(),
        summary: SummaryInfo::default(),
        warnings: index.warnings.clone(),
    }
}

/// Every visible file, by path (`--all-files`: what `diff` compares).
fn all_files(index: &Index, a: &Analysis) -> Vec<FileInfo> {
    let mut all: Vec<FileInfo> = a
        .waste
        .visible
        .iter()
        .map(|f| {
            let sha256 = index
                .entries
                .get(f.entry as usize)
                .and_then(|e| index.digest_of(e))
                .map(|d| d.to_string());
            file_info(index, f, sha256)
        })
        .collect();
    all.sort_by(|x, y| x.path.cmp(&y.path));
    all
}

/// A visible file as the report lists it.
fn file_info(index: &Index, f: &VisibleFile, sha256: Option<String>) -> FileInfo {
    FileInfo {
        path: index.paths.display(f.path),
        bytes: f.bytes,
        stored_bytes: f.stored(index),
        layer: usize::from(f.layer(index)),
        sha256,
    }
}

/// One layer: its blob, its counts, what it hides and is hidden, its instruction.
fn layer_info(l: &Layer, a: &Analysis) -> LayerInfo {
    let w = a.waste.layers.get(l.index).copied().unwrap_or_default();
    let instruction = l.created_by().map(Instruction::parse);
    LayerInfo {
        index: l.index,
        digest: l.digest.unwrap_or(l.blob.blob_digest).to_string(),
        diff_id: l.blob.diff_id.to_string(),
        compression: l.blob.compression.name().to_string(),
        blob_bytes: l.blob.blob_bytes,
        entries_stored_bytes: l.counts.stored_bytes,
        end_stored_bytes: l.blob.blob_bytes.saturating_sub(l.counts.stored_bytes),
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
        instruction: instruction.as_ref().map(Instruction::text),
        build_args: instruction
            .map(|i| {
                i.build_args
                    .into_iter()
                    .map(|(name, value)| BuildArg { name, value })
                    .collect()
            })
            .unwrap_or_default(),
        base: l.index < a.base.layers,
    }
}

/// The image-wide totals.
fn totals_info(index: &Index, a: &Analysis) -> TotalsInfo {
    let t = &a.totals;
    TotalsInfo {
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
    }
}

/// The `top` most wasteful duplicate groups.
fn duplicate_infos(index: &Index, a: &Analysis, top: usize) -> Vec<DuplicateInfo> {
    a.waste
        .duplicates
        .iter()
        .take(top)
        .map(|g| DuplicateInfo {
            sha256: g.digest.to_string(),
            size: g.size,
            paths: g
                .copies
                .iter()
                .map(|(p, _)| index.paths.display(*p))
                .collect(),
            layers: g.copies.iter().map(|(_, l)| usize::from(*l)).collect(),
            wasted_bytes: g.wasted(),
        })
        .collect()
}

/// The `top` largest hidden files, with who wrote and who hid each.
fn hidden_infos(index: &Index, a: &Analysis, top: usize) -> Vec<HiddenInfo> {
    let created_by = |i: u16| index.created_by(usize::from(i)).map(str::to_string);
    a.waste
        .hidden
        .iter()
        .take(top)
        .map(|h| HiddenInfo {
            path: index.paths.display(h.path),
            bytes: h.bytes,
            cause: h.fate.cause().to_string(),
            written_by_layer: usize::from(h.written_by),
            hidden_by_layer: usize::from(h.hidden_by),
            written_by: created_by(h.written_by),
            hidden_by: created_by(h.hidden_by),
        })
        .collect()
}

/// dive's figures.
fn dive_info(index: &Index, a: &Analysis) -> DiveInfo {
    DiveInfo {
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
                path: index.paths.display(p.path),
                count: p.count,
                bytes: p.bytes,
            })
            .collect(),
    }
}

/// The base layers against the image's own.
fn base_info(a: &Analysis) -> BaseInfo {
    BaseInfo {
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
    }
}

/// The pull cost of `entries` (indexes into the index's entries), each once.
fn stored_of(index: &Index, entries: &[u32]) -> u64 {
    let mut seen: Vec<u32> = entries.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.iter()
        .filter_map(|&e| index.entries.get(e as usize))
        .map(|e| e.stored)
        .sum()
}

/// Fills `findings`, `packages` and `summary` of `report` from the findings stage.
pub fn add_findings(report: &mut InspectReport, f: &Findings, index: &Index) {
    report.findings = f
        .findings
        .iter()
        .map(|x| FindingInfo {
            rule: x.rule.clone(),
            category: x.category.name().to_string(),
            severity: x.severity.name().to_string(),
            bytes: x.bytes,
            stored_bytes: stored_of(index, &x.entries),
            layer: x.layer,
            created_by: x
                .layer
                .and_then(|l| index.created_by(l))
                .map(str::to_string),
            paths: x.paths.clone(),
            fix: x.fix.clone(),
            saving_bytes: x.saving_bytes,
            resolved_by: x.resolved_by,
            message: x.message.clone(),
            packages: x
                .packages
                .iter()
                .map(|(name, bytes)| FindingPackage {
                    name: name.clone(),
                    bytes: *bytes,
                })
                .collect(),
        })
        .collect();
    report.fixes = f
        .fixes
        .iter()
        .map(|x| {
            let mut rules: Vec<String> = Vec::new();
            for &i in &x.findings {
                if let Some(r) = f.findings.get(i).map(|f| &f.rule)
                    && !rules.contains(r)
                {
                    rules.push(r.clone());
                }
            }
            FixInfo {
                kind: x.kind.to_string(),
                layer: x.layer,
                instruction: x
                    .layer
                    .and_then(|l| index.created_by(l))
                    .map(|c| Instruction::parse(c).text()),
                fix: x.advice.clone(),
                saving_bytes: x.saving_bytes,
                stored_bytes: stored_of(index, &x.entries),
                findings: x.findings.clone(),
                rules,
            }
        })
        .collect();
    report.packages = f
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
    report.summary = SummaryInfo {
        dead_weight_bytes: f.dead_weight_bytes,
        by_category: f
            .by_category
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        stored_by_category: f
            .stored_by_category
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        top3_saving_bytes: f.top3_saving_bytes,
        image_bytes: report.totals.content_bytes,
    };
}
