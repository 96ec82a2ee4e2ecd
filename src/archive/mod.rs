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
//!
//! Here: the reader's types, [`read`], and one member's read ([`read_member`], which the
//! walks in `read` and the layer workers in `pipeline::parallel` share); the walks over a
//! stream, a folder and a member source in `read`; recognising bytes in `sniff`; the
//! threads and the layer blob's parse in `pipeline`.

mod chunk;
pub use crate::source::digest;
mod hashing;
pub mod layer;
pub mod manifest;
mod marks;

mod pass_over;
mod pipeline;
mod read;
mod sniff;
mod unzstd;

pub use digest::Digest;
pub use layer::{
    Capture, CapturePolicy, Compression, HEAD_BYTES, LayerBlob, LayerSink, Limits, RawEntry,
    RawKind, Refused,
};

use crate::error::{Error, Location, Result};
use crate::source::Opened;
use digest::HashReader;
pub use read::read_stream;
use read::{plan_parallel, read_file_parallel, read_folder, read_members};
use sniff::{Sniffed, describe, peek, sniff};
use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
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
    /// Layer blobs begun so far (members that are tars, plain or compressed).
    pub layer: AtomicU64,
    /// Layer blobs the input holds, when a look at a file's tar headers told before
    /// reading; 0 when not known (a pipe, a folder, a registry).
    pub layers: AtomicU64,
    /// Set once reading has ended (the analysis after it reports no progress).
    pub done: AtomicBool,
}

impl Progress {
    /// Marks reading as ended.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
    }

    fn layer_begun(&self) {
        self.layer.fetch_add(1, Ordering::Relaxed);
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
        Opened::File { path, file } => {
            if let Some(p) = &opts.progress
                && let Some(n) = read::count_layers(&path)
            {
                p.layers.store(n, Ordering::Relaxed);
            }
            match plan_parallel(&path, sink) {
                Some((planned, workers)) => {
                    read_file_parallel(label, &path, file, planned, workers, sink, opts)
                }
                None => read_stream(label, file, sink, opts),
            }
        }
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
            if let Some(p) = &opts.progress {
                p.layer_begun();
            }
            feeder.begin(name, compression).map_err(stop)?;
            let pumped = match compression {
                Compression::None => feeder.pump(&mut stream, None),
                Compression::Gzip => {
                    let stored = std::cell::Cell::new(0);
                    let input = marks::Consumed::new(&mut stream, 256 * 1024, &stored);
                    feeder.pump(
                        &mut flate2::bufread::MultiGzDecoder::new(input),
                        Some(&stored),
                    )
                }
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
}
