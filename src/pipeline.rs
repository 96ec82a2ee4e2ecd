//! The pipeline, assembled once: a [`Source`] and [`Options`] in, an [`Inspected`] image
//! out (its index, analysis, findings and inspect document). The command line, the tests,
//! the benches and the fuzz targets all call [`inspect`]; nothing else chains the stages.
//!
//! ```no_run
//! use deadweight::pipeline::{self, Options};
//! use deadweight::source::Source;
//!
//! let seen = pipeline::inspect(&Source::from_arg("image.tar"), &Options::default())?;
//! println!("{} bytes of dead weight", seen.report.summary.dead_weight_bytes);
//! # Ok::<(), deadweight::Error>(())
//! ```
//!
//! A progress display polls [`ReadOptions::progress`] while [`inspect`] runs; with a
//! [`crate::timings`] sink installed, each phase's end is noted there.

use crate::analyze::findings::collect::Collector;
use crate::analyze::findings::{self, Findings};
use crate::analyze::summary::{self, Limits};
use crate::analyze::{Analysis, BaseHint};
use crate::archive::manifest::{self, Selection};
use crate::archive::{
    self, Compression, Digest, LayerBlob, LayerSink, Member, MemberContent, RawArchive, RawEntry,
    ReadOptions, Refused,
};
use crate::error::{Error, Result};
use crate::index::{ContentInspector, Index, IndexBuilder};
use crate::model::{InspectReport, SCHEMA_VERSION};
use crate::source::{Opened, RegistrySource, Source, registry};
use crate::timings;
use std::io::{Cursor, Read};

/// What to read of an image and how much of it to report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which image of an archive that holds several, and which platform.
    pub selection: Selection,
    /// Caps, digest checks and the progress counter of the reader.
    pub read: ReadOptions,
    /// Treat the first warning as an error (`--strict`).
    pub strict: bool,
    /// The findings' rules and ignores.
    pub findings: findings::Options,
    /// The base image (a saved image or a JSON report of one), whose layers are told
    /// apart from the image's own.
    pub base: Option<Source>,
    /// How much of the long lists the inspect document holds.
    pub limits: Limits,
}

/// Everything deadweight learns of one image; `diff` and `check` build on the same.
#[derive(Debug)]
pub struct Inspected {
    /// The index.
    pub index: Index,
    /// Its byte accounting and dive's figures.
    pub analysis: Analysis,
    /// Dead weight and security findings.
    pub findings: Findings,
    /// The inspect document every renderer reads.
    pub report: InspectReport,
}

/// Reads the image `source` names and runs every stage on it: source -> archive ->
/// index -> analyze (waste, dive, findings) -> model.
pub fn inspect(source: &Source, opts: &Options) -> Result<Inspected> {
    inspect_opened(&source.label(), source.open()?, opts)
}

/// [`inspect`] for an image already opened, named `label`: a stream whose first bytes
/// were read to tell a report from an image, or members a source hands over one by one.
pub fn inspect_opened(label: &str, opened: Opened, opts: &Options) -> Result<Inspected> {
    let mut collector = Collector::default();
    // Hidden, for benchmarks (docs/performance.md): `DEADWEIGHT_NO_INSPECT` reads, hashes
    // and indexes without looking at contents (no magic, package databases or secrets),
    // which measures what content inspection costs.
    let inspect = std::env::var_os("DEADWEIGHT_NO_INSPECT").is_none();
    let index = read_opened(label, opened, opts, inspect.then_some(&mut collector as _))?;
    analyze(index, collector, label, opts)
}

/// Reads and indexes the image `source` names (the source, archive and index stages),
/// showing every regular file's content to `inspector`, if any, as it streams.
pub fn read_index(
    source: &Source,
    opts: &Options,
    inspector: Option<&mut dyn ContentInspector>,
) -> Result<Index> {
    read_opened(&source.label(), source.open()?, opts, inspector)
}

fn read_opened(
    label: &str,
    opened: Opened,
    opts: &Options,
    inspector: Option<&mut dyn ContentInspector>,
) -> Result<Index> {
    let mut builder = match inspector {
        Some(i) => IndexBuilder::with_inspector(i),
        None => IndexBuilder::new(),
    };
    let read = archive::read(label, opened, &mut builder, &opts.read);
    if let Some(p) = &opts.read.progress {
        p.finish();
    }
    let raw = read?;
    timings::phase("read");
    let image = manifest::resolve(&raw, &opts.selection)?;
    let index = builder.finish(&raw, image)?;
    strict_check(&index, &raw.label, opts)?;
    timings::phase("index");
    Ok(index)
}

/// Two registry images inspected from one read, for `diff`: a layer both list (same
/// digest) is fetched, decompressed and indexed once (`source/registry/pair.rs`). Each
/// side is then picked from the shared index by its reference and analysed as
/// [`inspect`] would: the same documents, `input_bytes` and all. Memory holds both
/// images' entries, then both sides' indexes (copied from them), never blob bytes.
/// `a` is best opened with [`registry::open_beside`] `b`, so that a config both name is
/// fetched once too. Equal references are read as one image twice by the caller instead.
pub fn inspect_pair(
    b: registry::RemoteImage,
    a: registry::RemoteImage,
    opts: &Options,
) -> Result<(Inspected, Inspected)> {
    let names = [
        (b.selection_name(), b.input_bytes(), b.label.clone()),
        (a.selection_name(), a.input_bytes(), a.label.clone()),
    ];
    let label = format!("{} and {}", b.label, a.label);
    let members = registry::pair::pair_members(b, a);
    let mut collector = Collector::default();
    let inspect = std::env::var_os("DEADWEIGHT_NO_INSPECT").is_none();
    let mut builder = match inspect {
        true => IndexBuilder::with_inspector(&mut collector),
        false => IndexBuilder::new(),
    };
    let read = archive::read(
        &label,
        Opened::Members(Box::new(members)),
        &mut builder,
        &opts.read,
    );
    if let Some(p) = &opts.read.progress {
        p.finish();
    }
    let mut raw = read?;
    timings::phase("read");
    let mut indexes = Vec::with_capacity(2);
    for (name, input_bytes, side_label) in &names {
        let selection = Selection {
            image: Some(name.clone()),
            platform: opts.selection.platform.clone(),
        };
        raw.label = side_label.clone();
        let image = manifest::resolve(&raw, &selection)?;
        let mut index = builder.finish_copy(&raw, image)?;
        index.input_bytes = *input_bytes;
        strict_check(&index, side_label, opts)?;
        indexes.push(index);
    }
    drop(builder);
    timings::phase("index");
    let mut sides = Vec::with_capacity(2);
    for (index, (_, _, side_label)) in indexes.into_iter().zip(&names) {
        sides.push(analyze(index, collector.clone(), side_label, opts)?);
    }
    let after = sides.pop();
    match (sides.pop(), after) {
        (Some(b), Some(a)) => Ok((b, a)),
        _ => Err(Error::Internal("inspect_pair: two sides".to_string())),
    }
}

/// `--strict`: the first warning of `index` is the error.
fn strict_check(index: &Index, label: &str, opts: &Options) -> Result<()> {
    if opts.strict
        && let Some(first) = index.warnings.first()
    {
        return Err(Error::input(
            label,
            format!(
                "{first} (--strict; {} warning(s) in all)",
                index.warnings.len()
            ),
        ));
    }
    Ok(())
}

/// The analyze stage on an index that `collector` watched being read, and the inspect
/// document of it all.
fn analyze(index: Index, collector: Collector, label: &str, opts: &Options) -> Result<Inspected> {
    let base = match &opts.base {
        Some(b) => BaseHint {
            diff_ids: Some(base_diff_ids(b, opts)?),
            label: Some(b.label()),
        },
        None => BaseHint::default(),
    };
    let analysis = Analysis::new(&index, &base);
    timings::phase("waste");
    // The document's lists do not depend on the findings: built beside them.
    let (findings, report) = std::thread::scope(|s| {
        let report = s.spawn(|| summary::summarize(&index, &analysis, label, opts.limits));
        let collected = collector.resolve(&index);
        let findings = Findings::new(&index, &analysis, &collected, &opts.findings);
        timings::phase("findings");
        (findings, report.join())
    });
    // A panic is a bug: reported as one, never papered over by running it again.
    let mut report = report.map_err(|panic| Error::Internal(panic_message(&panic)))?;
    summary::add_findings(&mut report, &findings, &index);
    timings::phase("analysis");
    Ok(Inspected {
        index,
        analysis,
        findings,
        report,
    })
}

/// What a panic said, for [`Error::Internal`].
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a thread panicked".to_string());
    format!("a thread panicked: {what}")
}

/// An image inspected from its registry manifest and config alone, and what that cost.
#[derive(Debug)]
pub struct Described {
    /// The image with every layer present but empty: stored sizes, layer count, the
    /// config and its history are the image's; every file figure is zero.
    pub inspected: Inspected,
    /// The requests made, as `N HTTP requests, M bytes`.
    pub traffic: String,
}

/// Inspects a registry image from its manifest and config only: no layer blob is fetched.
/// Each layer reaches the index as its descriptor states it (digest, stored size, the
/// compression its media type names) with no entries, so the figures a manifest gives
/// (`totals.blob_bytes`, each layer's `blob_bytes`, the layer count, the user, the
/// history's instructions) are exactly those of a full read; nothing else is.
/// [`crate::analyze::budget::answered_by_manifest`] says when that is enough for `check`.
pub fn inspect_described(source: &RegistrySource, opts: &Options) -> Result<Described> {
    let image = registry::open(&source.reference, &source.options)?;
    let label = image.label.clone();
    let mut raw = RawArchive {
        label: label.clone(),
        ..RawArchive::default()
    };
    for (name, bytes) in image.small_members() {
        raw.input_bytes += bytes.len() as u64;
        let member = Member {
            size: bytes.len() as u64,
            sha256: Some(Digest::of(&bytes)),
            content: MemberContent::Json(bytes),
        };
        raw.members.insert(name, member);
    }
    let mut builder = IndexBuilder::new();
    for m in image.layer_members() {
        let stated = format!("sha256:{}", m.name.trim_start_matches("blobs/sha256/"));
        let media = m
            .layer
            .and_then(|i| image.layers.get(i - 1))
            .map(|l| l.media_type.as_str())
            .unwrap_or_default();
        let blob = LayerBlob {
            compression: if media.contains("zstd") {
                Compression::Zstd
            } else if media.contains("gzip") {
                Compression::Gzip
            } else {
                Compression::None
            },
            blob_bytes: m.size,
            blob_digest: Digest::parse(&stated).unwrap_or_default(),
            diff_id: Digest::default(),
            tar_bytes: 0,
            entries: 0,
            verified: false,
        };
        builder.begin_layer(&m.name);
        builder.end_layer(&m.name, &blob);
        raw.input_bytes += m.size;
        let member = Member {
            size: m.size,
            sha256: None,
            content: MemberContent::Layer(blob),
        };
        raw.members.insert(m.name, member);
    }
    let resolved = manifest::resolve(&raw, &opts.selection)?;
    let index = builder.finish(&raw, resolved)?;
    timings::phase("index");
    let inspected = analyze(index, Collector::default(), &label, opts)?;
    Ok(Described {
        inspected,
        traffic: registry::describe_traffic(&image.traffic()),
    })
}

/// An image's inspect document, or a saved one.
#[derive(Debug)]
pub enum Loaded {
    /// A JSON report deadweight wrote earlier.
    Report(Box<InspectReport>),
    /// An image, inspected.
    Image(Box<Inspected>),
}

impl Loaded {
    /// The inspect document, either way.
    pub fn into_report(self) -> InspectReport {
        match self {
            Loaded::Report(r) => *r,
            Loaded::Image(i) => i.report,
        }
    }
}

/// How many leading bytes decide between a JSON report and an image.
const SNIFF_BYTES: u64 = 4096;

/// What a source holds: a JSON document (all of it), or an image to read.
enum Sniffed {
    Json(Vec<u8>),
    Image(Opened),
}

/// Opens `source` and tells a JSON report from an image by its first non-blank byte
/// (after a UTF-8 byte-order mark): `{` starts no image archive (tar, gzip and zstd do
/// not), whatever the name. A stream's first bytes are put back before it is read on.
fn sniff(source: &Source) -> Result<Sniffed> {
    let label = source.label();
    let io_error = |e| Error::Io {
        path: label.clone(),
        source: e,
    };
    match source.open()? {
        Opened::Stream(mut stream) => {
            let mut head = Vec::new();
            (&mut stream)
                .take(SNIFF_BYTES)
                .read_to_end(&mut head)
                .map_err(io_error)?;
            if is_json(&head) {
                stream.read_to_end(&mut head).map_err(io_error)?;
                return Ok(Sniffed::Json(head));
            }
            Ok(Sniffed::Image(Opened::Stream(Box::new(
                Cursor::new(head).chain(stream),
            ))))
        }
        Opened::File { path, mut file } => {
            let mut head = Vec::new();
            (&mut file)
                .take(SNIFF_BYTES)
                .read_to_end(&mut head)
                .map_err(io_error)?;
            if is_json(&head) {
                file.read_to_end(&mut head).map_err(io_error)?;
                return Ok(Sniffed::Json(head));
            }
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(io_error)?;
            Ok(Sniffed::Image(Opened::File { path, file }))
        }
        other => Ok(Sniffed::Image(other)),
    }
}

/// True when `head` starts (after blanks and a UTF-8 byte-order mark) with `{`.
pub fn is_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The inspect document of `source`: a JSON report read back (checked for a schema this
/// build reads), or an image inspected with `opts`.
pub fn load(source: &Source, opts: &Options) -> Result<Loaded> {
    let label = source.label();
    match sniff(source)? {
        Sniffed::Json(bytes) => Ok(Loaded::Report(Box::new(parse_report(&label, &bytes)?))),
        Sniffed::Image(opened) => Ok(Loaded::Image(Box::new(inspect_opened(
            &label, opened, opts,
        )?))),
    }
}

/// A saved inspect report named `label`, checked for a schema this build reads.
pub fn parse_report(label: &str, bytes: &[u8]) -> Result<InspectReport> {
    let bad = |problem: String| Error::input(label, problem);
    let version = serde_json::from_slice::<serde_json::Value>(bytes)
        .map_err(|e| bad(format!("not JSON: {e}")))?
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    match version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "a report of schema_version {v}; this deadweight reads {SCHEMA_VERSION}: \
                 write it again with this version's `inspect --format json --all-files`"
            )));
        }
        None => {
            return Err(bad(
                "JSON, but not a deadweight inspect report (no schema_version)".to_string(),
            ));
        }
    }
    serde_json::from_slice(bytes).map_err(|e| bad(format!("not a deadweight inspect report: {e}")))
}

/// A sink that keeps nothing: for reading only a base image's layer digests.
struct NullSink;

impl LayerSink for NullSink {
    fn begin_layer(&mut self, _member: &str) {}
    fn entry(&mut self, _entry: &RawEntry<'_>) -> std::result::Result<(), Refused> {
        Ok(())
    }
    fn end_layer(&mut self, _member: &str, _blob: &LayerBlob) {}
}

/// The diff_ids of a base image given as a saved image or as a JSON report of one. An
/// image is read for its layers' digests only (no index), within `opts`' caps.
pub fn base_diff_ids(source: &Source, opts: &Options) -> Result<Vec<Digest>> {
    let label = source.label();
    match sniff(source)? {
        Sniffed::Json(bytes) => parse_report(&label, &bytes)?
            .layers
            .iter()
            .map(|l| {
                Digest::parse(&l.diff_id)
                    .ok_or_else(|| Error::input(&label, format!("layer {}: bad diff_id", l.index)))
            })
            .collect(),
        Sniffed::Image(opened) => {
            let read = ReadOptions {
                limits: opts.read.limits,
                ..ReadOptions::default()
            };
            let raw = archive::read(&label, opened, &mut NullSink, &read)?;
            let image = manifest::resolve(&raw, &Selection::default())?;
            Ok(image.diff_ids(&raw))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_is_told_from_archives() {
        assert!(is_json(b"{\"schema_version\": 1}"));
        assert!(is_json(b"\n  {"));
        assert!(is_json(b"\xEF\xBB\xBF{"));
        assert!(!is_json(b"\x1f\x8b\x08"));
        assert!(!is_json(b"\x28\xb5\x2f\xfd"));
        assert!(!is_json(b"blobs/sha256/"));
        assert!(!is_json(b""));
    }
}
