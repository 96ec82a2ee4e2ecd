//! The archive stage: bytes in, layer entries and manifests out, in one forward pass.
//!
//! A saved image is a tar (or a folder) of members: layer blobs, JSON manifests and
//! configs, and small marker files. We read the outer stream once, front to back, and never
//! seek or extract. Each member is recognised by its first bytes, never by its name:
//! gzip (`1f 8b`), zstd (`28 b5 2f fd`), tar (a valid header), JSON (`{`, `[`). Layer tars
//! stream into a [`LayerSink`] keyed by member name; JSON members are buffered (up to
//! [`Limits::max_json_bytes`]); everything else is hashed and dropped. Only after EOF do we
//! read the manifests ([`manifest`]) and learn which members are layers and in what order,
//! because `docker save` may write `manifest.json` last.
//!
//! Every member's SHA-256 is computed while it streams past, so blobs named by their digest
//! are verified without a second read.

mod chunk;
pub use crate::source::digest;
mod hashing;
pub mod layer;
pub mod manifest;

mod pipeline;
mod unzstd;

pub use digest::Digest;
pub use layer::{
    Capture, CapturePolicy, Compression, HEAD_BYTES, LayerBlob, LayerSink, Limits, RawEntry,
    RawKind,
};

use crate::error::{Error, Location, Result};
use crate::source::{MemberSource, Opened};
use digest::HashReader;
use std::collections::BTreeMap;
use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Shared counters a progress display can poll while the reader works.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of the input read so far (as stored, before decompression).
    pub bytes: AtomicU64,
    /// The member being read.
    pub member: Mutex<String>,
    /// Set once reading has ended (the analysis after it reports no progress).
    pub done: AtomicBool,
}

impl Progress {
    /// Marks reading as ended.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
    }

    fn set_member(&self, name: &str) {
        if let Ok(mut m) = self.member.lock() {
            m.clear();
            m.push_str(name);
        }
    }
}

/// Options of the reader.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Caps that protect against hostile input.
    pub limits: Limits,
    /// Where to report progress, if anyone watches.
    pub progress: Option<Arc<Progress>>,
    /// Hash every blob as stored and every layer tar, and check them against the
    /// digests the manifest, the blob names and the config state. One more SHA-256 pass
    /// over the archive (and over every decompressed layer); without it those digests
    /// are taken as stated, and only file contents are hashed.
    pub verify: bool,
}

/// What a member of the outer archive turned out to be.
#[derive(Debug, Clone)]
pub enum MemberContent {
    /// JSON (or JSON-looking) bytes, buffered.
    Json(Vec<u8>),
    /// A layer tar, indexed into the sink under this member's name.
    Layer(LayerBlob),
    /// A symbolic or hard link to another member (the target, normalised).
    Link(String),
    /// JSON-looking, but larger than the cap, so not buffered.
    TooLarge,
    /// Anything else: marker files, foreign blobs.
    Other {
        /// What its first bytes are, in words.
        looks_like: String,
    },
}

/// One member of the outer archive.
#[derive(Debug, Clone)]
pub struct Member {
    /// Bytes as stored.
    pub size: u64,
    /// SHA-256 of the bytes as stored: always for JSON members, for layers only with
    /// [`ReadOptions::verify`].
    pub sha256: Option<Digest>,
    /// What it is.
    pub content: MemberContent,
}

/// Everything the forward pass learned, apart from layer entries (those went to the sink).
#[derive(Debug, Clone, Default)]
pub struct RawArchive {
    /// How the input is named in messages.
    pub label: String,
    /// Members by normalised name.
    pub members: BTreeMap<String, Member>,
    /// How the whole input was compressed (`docker save | gzip`).
    pub outer_compression: Option<Compression>,
    /// Total bytes of the input as stored.
    pub input_bytes: u64,
    /// Non-fatal oddities.
    pub warnings: Vec<String>,
}

impl RawArchive {
    /// An error located at `member` of this input.
    pub fn error(&self, member: &str, problem: impl Into<String>) -> Error {
        Error::at(
            Location {
                file: self.label.clone(),
                member: Some(member.to_string()),
                layer: None,
            },
            problem,
        )
    }
}

/// Reads an image `label` names, as its source `opened` it, once, front to back, indexing
/// layers into `sink`.
pub fn read(
    label: &str,
    opened: Opened,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    match opened {
        Opened::Stream(stream) => read_stream(label, stream, sink, opts),
        Opened::File { path, file } => match plan_parallel(&path, sink) {
            Some((planned, workers)) => {
                read_file_parallel(label, &path, file, planned, workers, sink, opts)
            }
            None => read_stream(label, file, sink, opts),
        },
        Opened::Folder(path) => read_folder(label, &path, sink, opts),
        Opened::Members(members) => read_members(label, members, sink, opts),
    }
}

/// Counts bytes into the shared progress.
struct Counting<R> {
    inner: R,
    progress: Option<Arc<Progress>>,
    total: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(p) = &self.progress {
            p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Reads up to `n` bytes from `r` (fewer only at EOF) and returns them with a reader that
/// yields them again followed by the rest of `r`.
/// A stream whose first bytes were read ahead and are yielded again.
type Peeked<R> = io::Chain<Cursor<Vec<u8>>, R>;

fn peek<R: Read>(mut r: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(n);
    (&mut r).take(n as u64).read_to_end(&mut head)?;
    let copy = head.clone();
    Ok((copy, Cursor::new(head).chain(r)))
}

/// What the first bytes of a stream say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Gzip,
    Zstd,
    Tar,
    Json,
    Empty,
    Other,
}

fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        Sniffed::Empty
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Sniffed::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Sniffed::Zstd
    } else if looks_like_tar(head) {
        Sniffed::Tar
    } else if looks_like_json(head) {
        Sniffed::Json
    } else {
        Sniffed::Other
    }
}

/// True when `head`, shorter than a tar header, could be the start of one: a name of
/// printable bytes ended by NUL padding within the 100-byte name field.
fn starts_like_tar_header(head: &[u8]) -> bool {
    let field = head.get(..100.min(head.len())).unwrap_or_default();
    match field.iter().position(|&b| b == 0) {
        Some(0) | None => false,
        Some(end) => field
            .get(..end)
            .is_some_and(|name| name.iter().all(|b| b.is_ascii_graphic() || *b == b' ')),
    }
}

/// A tar starts with a header block whose checksum is right, or with the zero blocks of
/// an empty archive.
fn looks_like_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) {
        return true;
    }
    if block.get(257..262) == Some(b"ustar") {
        return true;
    }
    // A v7 tar has no magic: check the header checksum.
    let Some(field) = block.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| char::from(b))
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    !text.is_empty() && stored == sum
}

fn looks_like_json(head: &[u8]) -> bool {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{') | Some(b'[') | Some(b'n'))
}

fn describe(head: &[u8]) -> String {
    match sniff(head) {
        Sniffed::Empty => "empty".to_string(),
        Sniffed::Json => "JSON".to_string(),
        _ => {
            let printable = head
                .iter()
                .take(16)
                .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\n');
            if printable {
                format!(
                    "text starting {:?}",
                    String::from_utf8_lossy(head.get(..16.min(head.len())).unwrap_or_default())
                )
            } else {
                let hex: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
                format!("data starting with bytes {}", hex.join(" "))
            }
        }
    }
}

/// Normalises an archive member name: no `./` or leading `/`, no empty or `.` parts,
/// `..` resolved lexically. `None` if it climbs above the root.
pub fn normalize_member(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Reads an archive from any reader (a file, a pipe, bytes in memory), named `label` in
/// messages.
pub fn read_stream<R: Read>(
    label: &str,
    input: R,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let (result, outcome) =
        pipeline::run(sink, opts, |feeder| walk_stream(label, input, feeder, opts));
    finish(label, result, outcome)
}

/// Whether the archive file at `path` is read with its compressed layers decoded in
/// parallel ([`parallel`]), and by how many workers: not on one core, not when it holds
/// fewer than two compressed layers or is compressed as a whole, and not for a sink whose
/// capture choices cannot be made off its own thread.
fn plan_parallel(
    path: &Path,
    sink: &(dyn LayerSink + Send),
) -> Option<(Vec<pipeline::parallel::Planned>, usize)> {
    let cores = pipeline::cores();
    if cores < 2 {
        return None;
    }
    sink.capture_policy()?;
    let planned = pipeline::parallel::plan(path)?;
    let workers = pipeline::parallel::in_flight(cores, planned.len());
    Some((planned, workers))
}

/// [`read_stream`] of the archive file `file` at `path`, whose `planned` compressed
/// layers `workers` workers read beside the main pass, each from its own offset.
fn read_file_parallel(
    label: &str,
    path: &Path,
    file: std::fs::File,
    planned: Vec<pipeline::parallel::Planned>,
    workers: usize,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let Some(policy) = sink.capture_policy() else {
        return read_stream(label, file, sink, opts);
    };
    let (jobs, recordings) = pipeline::parallel::jobs(planned);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let _cpu = crate::timings::ThreadCpu("layer worker");
                pipeline::parallel::work(path, label, &jobs, &next, opts, policy);
            });
        }
        let (result, outcome) = pipeline::run(sink, opts, |feeder| {
            feeder.defer(recordings);
            walk_stream(label, file, feeder, opts)
        });
        // After a failure, the workers take no new layer (the recordings' receivers
        // are gone, so the current ones stop at their next batch).
        next.store(jobs.len(), Ordering::Relaxed);
        finish(label, result, outcome)
    })
}

/// Merges what the parser thread learned into the reader's archive, and picks the error
/// to report: the parser's when it stopped the reader, else the reader's own.
fn finish(
    label: &str,
    result: Result<RawArchive, Walk>,
    outcome: pipeline::Outcome,
) -> Result<RawArchive> {
    let parser_error = outcome.error.map(|(member, problem)| {
        Error::at(
            Location {
                file: label.to_string(),
                member: Some(member),
                layer: None,
            },
            problem,
        )
    });
    let mut raw = match (result, parser_error) {
        (Ok(raw), None) => raw,
        (Err(Walk::Stopped), Some(e)) | (Ok(_), Some(e)) => return Err(e),
        (Err(Walk::Failed(e)), _) => return Err(e),
        (Err(Walk::Stopped), None) => {
            return Err(Error::input(
                label,
                "internal error: reading stopped without a reason",
            ));
        }
    };
    for (name, content) in outcome.results {
        if let Some(member) = raw.members.get_mut(&name) {
            member.content = content;
        }
    }
    for (name, sha256) in outcome.stored {
        if let Some(member) = raw.members.get_mut(&name) {
            member.sha256 = Some(sha256);
        }
    }
    Ok(raw)
}

/// How the reader's walk ended, when it did not end well.
enum Walk {
    /// The parser failed and stopped it; the parser's error is the one to report.
    Stopped,
    /// The reader failed.
    Failed(Error),
}

impl From<Error> for Walk {
    fn from(e: Error) -> Self {
        Walk::Failed(e)
    }
}

fn walk_stream<R: Read>(
    label: &str,
    input: R,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    let total = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: input,
        progress: opts.progress.clone(),
        total: Arc::clone(&total),
    };
    let buffered = BufReader::with_capacity(64 * 1024, counting);
    let io_err = |e: io::Error| Error::input(label, layer::describe_io(&e, "archive"));
    let (head, stream) = peek(buffered, 512).map_err(io_err)?;
    let decoded: Box<dyn Read> = match sniff(&head) {
        Sniffed::Empty => {
            return Err(Error::input(label, "empty file: not an image archive").into());
        }
        Sniffed::Gzip => {
            raw.outer_compression = Some(Compression::Gzip);
            Box::new(flate2::read::MultiGzDecoder::new(stream))
        }
        Sniffed::Zstd => {
            raw.outer_compression = Some(Compression::Zstd);
            Box::new(zstd::stream::read::Decoder::new(stream).map_err(io_err)?)
        }
        _ => Box::new(stream),
    };
    let what = if raw.outer_compression.is_some() {
        "compressed archive"
    } else {
        "archive"
    };
    let (head, stream) =
        peek(decoded, 512).map_err(|e| Error::input(label, layer::describe_io(&e, what)))?;
    if head.len() < 512 && starts_like_tar_header(&head) {
        return Err(Error::input(
            label,
            format!(
                "truncated archive: the input ends after {} bytes, inside the first tar header",
                head.len()
            ),
        )
        .into());
    }
    if !looks_like_tar(&head) || head.len() < 512 {
        let hint = match sniff(&head) {
            Sniffed::Json => {
                " (a JSON file: `inspect` reads saved images; `diff` also takes JSON reports)"
            }
            _ => "",
        };
        return Err(Error::input(
            label,
            format!("not a tar archive: {}{hint}", describe(&head)),
        )
        .into());
    }
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| Error::input(label, layer::describe_io(&e, "archive")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::input(label, layer::describe_io(&e, "archive")))?;
        let name_bytes = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&name_bytes).into_owned();
        let Some(name) = normalize_member(&display) else {
            raw.warnings.push(format!(
                "member {display} climbs above the archive root; skipped"
            ));
            continue;
        };
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // A symlink is relative to its own folder; a hard link names a member.
                let joined = if kind == tar::EntryType::Symlink && !target.starts_with('/') {
                    match name.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{target}"),
                        None => target.clone(),
                    }
                } else {
                    target.clone()
                };
                let resolved = if target.starts_with('/') {
                    None
                } else {
                    normalize_member(&joined)
                };
                match resolved {
                    Some(t) => {
                        insert_member(
                            &mut raw,
                            name,
                            Member {
                                size: 0,
                                sha256: None,
                                content: MemberContent::Link(t),
                            },
                        );
                    }
                    None => {
                        insert_member(
                            &mut raw,
                            name,
                            Member {
                                size: 0,
                                sha256: None,
                                content: MemberContent::Other {
                                    looks_like: format!(
                                        "a link to {target}, which points outside the archive"
                                    ),
                                },
                            },
                        );
                    }
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                if let Some(p) = &opts.progress {
                    p.set_member(&name);
                }
                if let Some(recording) = feeder.take_deferred(entry.raw_file_position()) {
                    let member = pass_deferred(&raw, &name, size, &mut entry, recording, feeder)?;
                    insert_member(&mut raw, name, member);
                    continue;
                }
                let member = read_member(&raw, &name, size, &mut entry, feeder, opts)?;
                insert_member(&mut raw, name, member);
            }
            other => raw.warnings.push(format!(
                "member {name} has tar type {:?}; skipped",
                char::from(other.as_byte())
            )),
        }
    }
    // Drain what follows the end-of-archive marker so the byte count is the input's.
    let mut rest = archive.into_inner();
    digest::drain(&mut rest).map_err(|e| Error::input(label, layer::describe_io(&e, what)))?;
    raw.input_bytes = total.load(Ordering::Relaxed);
    Ok(raw)
}

fn insert_member(raw: &mut RawArchive, name: String, member: Member) {
    if raw.members.contains_key(&name) {
        raw.warnings.push(format!(
            "member {name} appears more than once in the archive; the last copy is used"
        ));
    }
    raw.members.insert(name, member);
}

/// Reads one member: sniffs it, hands it to the parser thread if it looks like a layer,
/// buffers it if it is JSON, and hashes it in every case.
fn read_member<R: Read>(
    raw: &RawArchive,
    name: &str,
    size: u64,
    reader: R,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<Member, Walk> {
    let fail = |problem: String| Walk::Failed(raw.error(name, problem));
    let stop = |s: pipeline::Stop| match s {
        pipeline::Stop::ParserFailed => Walk::Stopped,
        pipeline::Stop::Io(e) => Walk::Failed(raw.error(name, layer::describe_io(&e, "member"))),
    };
    let mut hashed = HashReader::new(reader);
    let (head, mut stream) =
        peek(&mut hashed, 512).map_err(|e| fail(layer::describe_io(&e, "member")))?;
    let mut tar_bytes = None;
    let content = match sniff(&head) {
        Sniffed::Gzip | Sniffed::Zstd | Sniffed::Tar => {
            let compression = match sniff(&head) {
                Sniffed::Gzip => Compression::Gzip,
                Sniffed::Zstd => Compression::Zstd,
                _ => Compression::None,
            };
            if !opts.verify {
                stream.get_mut().1.stop_hashing();
            }
            feeder.begin(name, compression).map_err(stop)?;
            let pumped = match compression {
                Compression::None => feeder.pump(&mut stream),
                Compression::Gzip => feeder.pump(&mut flate2::read::MultiGzDecoder::new(
                    BufReader::with_capacity(256 * 1024, &mut stream),
                )),
                Compression::Zstd => {
                    feeder.pump_zstd(&mut BufReader::with_capacity(256 * 1024, &mut stream))
                }
            };
            match pumped {
                Ok(n) => tar_bytes = Some(n),
                // A decoder failed: a short member (the archive is truncated) says why
                // better than the decoder does.
                Err(pipeline::Stop::Io(e)) if compression != Compression::None => {
                    let _ = digest::drain(&mut stream);
                    drop(stream);
                    let read = HashReader::bytes(&hashed);
                    if read != size {
                        return Err(fail(format!(
                            "truncated archive: the member holds {read} of its {size} bytes"
                        )));
                    }
                    return Err(fail(layer::describe_io(&e, compression.layer_noun())));
                }
                Err(s) => return Err(stop(s)),
            }
            // The parser thread fills this in.
            MemberContent::Other {
                looks_like: "a layer".to_string(),
            }
        }
        Sniffed::Json if size <= opts.limits.max_json_bytes => {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
            stream
                .read_to_end(&mut bytes)
                .map_err(|e| fail(layer::describe_io(&e, "member")))?;
            MemberContent::Json(bytes)
        }
        Sniffed::Json => MemberContent::TooLarge,
        Sniffed::Empty | Sniffed::Other => MemberContent::Other {
            looks_like: describe(&head),
        },
    };
    drop(stream);
    let (sha256, bytes) = hashed
        .finish()
        .map_err(|e| fail(layer::describe_io(&e, "member")))?;
    if bytes != size {
        return Err(fail(format!(
            "truncated archive: the member holds {bytes} of its {size} bytes"
        )));
    }
    if let Some(tar_bytes) = tar_bytes {
        feeder.end(sha256, bytes, tar_bytes).map_err(stop)?;
    }
    Ok(Member {
        size: bytes,
        sha256,
        content,
    })
}

/// Passes over a member that a worker reads ([`parallel`]), and hands its recording to the
/// parser in its turn.
fn pass_deferred<R: Read>(
    raw: &RawArchive,
    name: &str,
    size: u64,
    reader: R,
    recording: std::sync::mpsc::Receiver<pipeline::parallel::Batch>,
    feeder: &pipeline::Feeder,
) -> Result<Member, Walk> {
    let fail = |problem: String| Walk::Failed(raw.error(name, problem));
    let mut reader = reader;
    let read = digest::drain(&mut reader).map_err(|e| fail(layer::describe_io(&e, "member")))?;
    if read != size {
        return Err(fail(format!(
            "truncated archive: the member holds {read} of its {size} bytes"
        )));
    }
    feeder
        .deferred(name, recording)
        .map_err(|_| Walk::Stopped)?;
    Ok(Member {
        size,
        sha256: None,
        content: MemberContent::Other {
            looks_like: "a layer".to_string(),
        },
    })
}

/// Parses a layer blob's tar (`stream`, already decompressed by the reader thread) into
/// `sink`. A compressed blob whose content is not a tar is recorded as `Other`. With
/// [`ReadOptions::verify`], a compressed blob's tar is hashed: its diff_id.
pub(crate) fn read_layer_blob(
    name: &str,
    compression: Compression,
    stream: &mut pipeline::ChannelReader<'_>,
    sink: &mut dyn LayerSink,
    opts: &ReadOptions,
    hasher: &mut dyn hashing::FileHasher,
    before: u64,
) -> Result<MemberContent, String> {
    let what = compression.layer_noun();
    if opts.verify && compression != Compression::None {
        stream.hash_all();
    }
    let head = stream.peek(512).map_err(|e| layer::describe_io(&e, what))?;
    if compression != Compression::None && (!looks_like_tar(head) || head.len() < 512) {
        return Ok(MemberContent::Other {
            looks_like: format!("{} data that is not a tar", compression.name()),
        });
    }
    sink.begin_layer(name);
    let entries = layer::parse_layer(&mut *stream, sink, &opts.limits, hasher, before)
        .map_err(|e| e.replacen("layer", what, 1))?;
    let diff_id = stream.finish().map_err(|e| layer::describe_io(&e, what))?;
    Ok(MemberContent::Layer(LayerBlob {
        compression,
        blob_bytes: 0,
        blob_digest: Digest::default(),
        diff_id: diff_id.unwrap_or_default(),
        tar_bytes: 0,
        entries,
        verified: opts.verify,
    }))
}

/// Reads a layout folder (OCI image layout, skopeo `dir:`, an extracted `docker save`):
/// every file below it, as members named by their relative paths. Symlinks are recorded as
/// links between members and never followed on the host.
fn read_folder(
    label: &str,
    root: &Path,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let (result, outcome) =
        pipeline::run(sink, opts, |feeder| walk_folder(label, root, feeder, opts));
    finish(label, result, outcome)
}

fn walk_folder(
    label: &str,
    root: &Path,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    // Read nothing of a folder that is not a layout: it may be anyone's home directory.
    let markers = ["index.json", "oci-layout", "manifest.json", "repositories"];
    if !markers.iter().any(|m| root.join(m).is_file()) {
        return Err(Error::input(
            label,
            "a folder that is not an image layout (no index.json, oci-layout, manifest.json or repositories)",
        )
        .into());
    }
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let io_error = |path: &Path, e: io::Error| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    while let Some((dir, prefix, depth)) = stack.pop() {
        if depth > 16 {
            raw.warnings
                .push(format!("{prefix}: folders nested too deep; not read"));
            continue;
        }
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_error(&dir, e))?
            .filter_map(|e| e.ok())
            .collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let name = if prefix.is_empty() {
                file_name.clone()
            } else {
                format!("{prefix}/{file_name}")
            };
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| io_error(&path, e))?;
                let target = target.to_string_lossy().into_owned();
                let joined = match name.rsplit_once('/') {
                    Some((d, _)) => format!("{d}/{target}"),
                    None => target.clone(),
                };
                let content = match normalize_member(&joined).filter(|_| !target.starts_with('/')) {
                    Some(t) => MemberContent::Link(t),
                    None => MemberContent::Other {
                        looks_like: format!("a link to {target}, which points outside the folder"),
                    },
                };
                insert_member(
                    &mut raw,
                    name,
                    Member {
                        size: 0,
                        sha256: None,
                        content,
                    },
                );
            } else if meta.is_dir() {
                stack.push((path, name, depth + 1));
            } else if meta.is_file() {
                if let Some(p) = &opts.progress {
                    p.set_member(&name);
                }
                let file = std::fs::File::open(&path).map_err(|e| io_error(&path, e))?;
                let counting = Counting {
                    inner: file,
                    progress: opts.progress.clone(),
                    total: Arc::new(AtomicU64::new(0)),
                };
                let member = read_member(&raw, &name, meta.len(), counting, feeder, opts)?;
                raw.input_bytes += member.size;
                insert_member(&mut raw, name, member);
            }
        }
    }
    if raw.members.is_empty() {
        return Err(Error::input(label, "an empty folder, not an image layout").into());
    }
    Ok(raw)
}

/// Reads a layout's members as a [`MemberSource`] yields them (a registry's blobs), each
/// as [`read_folder`] reads a layout file.
fn read_members(
    label: &str,
    mut members: Box<dyn MemberSource>,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
) -> Result<RawArchive> {
    let (result, outcome) = pipeline::run(sink, opts, |feeder| {
        walk_members(label, members.as_mut(), feeder, opts)
    });
    finish(label, result, outcome)
}

fn walk_members(
    label: &str,
    members: &mut dyn MemberSource,
    feeder: &pipeline::Feeder,
    opts: &ReadOptions,
) -> Result<RawArchive, Walk> {
    let mut raw = RawArchive {
        label: label.to_string(),
        ..RawArchive::default()
    };
    loop {
        let Some(crate::source::SourceMember {
            name: given,
            size,
            reader,
        }) = members.next_member()?
        else {
            break;
        };
        let Some(name) = normalize_member(&given) else {
            return Err(
                Error::input(label, format!("member {given:?}: not a relative path")).into(),
            );
        };
        if let Some(p) = &opts.progress {
            p.set_member(&name);
        }
        let counting = Counting {
            inner: reader,
            progress: opts.progress.clone(),
            total: Arc::new(AtomicU64::new(0)),
        };
        let member = match read_member(&raw, &name, size, counting, feeder, opts) {
            Ok(member) => member,
            Err(e) => {
                // A blob that failed its digest explains what the decoder said of it.
                return Err(match members.failure() {
                    Some(problem) => Walk::Failed(Error::at(
                        Location {
                            file: label.to_string(),
                            member: Some(name),
                            layer: None,
                        },
                        problem,
                    )),
                    None => e,
                });
            }
        };
        raw.input_bytes += member.size;
        insert_member(&mut raw, name, member);
    }
    if raw.members.is_empty() {
        return Err(Error::input(label, "no members: not an image").into());
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_normalise() {
        assert_eq!(normalize_member("./a/b").as_deref(), Some("a/b"));
        assert_eq!(normalize_member("/a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalize_member("a/../b").as_deref(), Some("b"));
        assert_eq!(normalize_member("../b"), None);
    }

    #[test]
    fn sniffs_by_first_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Sniffed::Zstd);
        assert_eq!(sniff(b"  {\"a\":1}"), Sniffed::Json);
        assert_eq!(sniff(&[0u8; 1024]), Sniffed::Tar);
        assert_eq!(sniff(b"hello"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Empty);
    }
}
