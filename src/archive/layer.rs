//! Layer tars: every entry of one layer, streamed into a [`LayerSink`].
//!
//! A layer is read front to back once. Regular files' contents go through SHA-256 (on this
//! thread or another, see [`FileHasher`]), without a copy where the source allows
//! ([`TarSource`]), and are dropped, so memory does not grow with
//! file sizes. Long names (GNU and PAX) and sparse files are handled by the `tar` crate;
//! what we pass on is the entry as the layer states it. Interpreting names (whiteouts,
//! `./` prefixes) is the index's job.

use super::chunk::Chunk;
use super::digest::Digest;
use super::hashing::{FileHasher, Inline};
use std::cell::RefCell;
use std::io::{self, Read};
use std::ops::Range;

/// The kind of a tar entry, as the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// A regular file (also GNU sparse and contiguous files).
    Regular,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A hard link to an earlier entry of the same layer.
    HardLink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// Any other type flag.
    Other(u8),
}

/// One entry of a layer, borrowed for the duration of the [`LayerSink::entry`] call.
#[derive(Debug)]
pub struct RawEntry<'a> {
    /// The name as stored (after GNU/PAX long-name handling), not normalised.
    pub path: &'a [u8],
    /// The link target of symlinks and hard links.
    pub link: Option<&'a [u8]>,
    /// What the header says this is.
    pub kind: RawKind,
    /// The size of the content (for regular files; 0 for others as stored).
    pub size: u64,
    /// Permission bits and the setuid/setgid/sticky bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// The first bytes of a regular file's content (at most [`HEAD_BYTES`]): enough for
    /// file magic. Empty for everything else.
    pub head: &'a [u8],
    /// The whole content, when [`LayerSink::capture`] asked for it and it fit.
    pub content: Option<&'a [u8]>,
    /// Pull cost: the layer blob's bytes (compressed where it is) from the end of the
    /// previous entry to the end of this one's content, so its headers (and the previous
    /// entry's padding) included. The first entry's count starts at the blob's first byte
    /// (the gzip or zstd header); what follows the last entry (end-of-archive blocks,
    /// trailers) belongs to no entry. See `archive/marks.rs`.
    pub stored: u64,
}

/// How many leading bytes of every regular file [`RawEntry::head`] holds.
pub const HEAD_BYTES: usize = 64;

/// How much of a regular file's content the sink wants to see, decided from the header
/// before the content streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Only the first [`HEAD_BYTES`] bytes.
    Head,
    /// The whole content if it is at most `max` bytes (else only the head).
    Full {
        /// The largest content worth keeping for the call.
        max: u64,
    },
}

/// A sink's [`LayerSink::capture`] choice as a plain function of the path and size, which
/// any thread may call: what lets compressed layers be read by workers of their own
/// (see `archive/parallel.rs`).
pub type CapturePolicy = fn(&[u8], u64) -> Capture;

/// The policy of a sink that captures nothing but heads.
pub fn head_only(_path: &[u8], _size: u64) -> Capture {
    Capture::Head
}

/// How a layer blob was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (eStargz included: concatenated gzip members).
    Gzip,
    /// zstd (one or more frames).
    Zstd,
}

impl Compression {
    /// What a layer stored this way is called in messages: "layer", "gzip layer".
    pub fn layer_noun(self) -> &'static str {
        match self {
            Compression::None => "layer",
            Compression::Gzip => "gzip layer",
            Compression::Zstd => "zstd layer",
        }
    }

    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// What the reader learned about a layer blob as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlob {
    /// How it was stored.
    pub compression: Compression,
    /// The bytes as stored in the archive.
    pub blob_bytes: u64,
    /// SHA-256 of the blob as stored.
    pub blob_digest: Digest,
    /// SHA-256 of the uncompressed tar: the layer's diff_id.
    pub diff_id: Digest,
    /// Bytes of the uncompressed tar.
    pub tar_bytes: u64,
    /// The tar entries read (PAX and long-name meta entries not counted).
    pub entries: u64,
    /// True when `blob_digest` and `diff_id` were computed from the bytes
    /// ([`ReadOptions::verify`](super::ReadOptions::verify)); otherwise they are what the
    /// archive states, filled in by [`LayerBlob::settle`].
    pub verified: bool,
}

impl LayerBlob {
    /// Fills in the digests of a blob that was not hashed with what the archive states:
    /// `stated` is the blob digest from its descriptor or its member name, `config` the
    /// config's diff_id for this layer. An uncompressed blob's digest is its diff_id.
    pub fn settle(&mut self, stated: Option<Digest>, config: Option<Digest>) {
        if self.verified {
            return;
        }
        if self.compression == Compression::None {
            self.diff_id = config.or(stated).unwrap_or_default();
            self.blob_digest = stated.or(config).unwrap_or_default();
        } else {
            self.blob_digest = stated.unwrap_or_default();
            self.diff_id = config.unwrap_or_default();
        }
    }
}

/// Receives layers as the reader streams them, in archive order (not image order: the
/// order is known only once the manifest, which may come last, has been read).
pub trait LayerSink {
    /// A member that looks like a layer tar starts. A name seen before replaces the
    /// earlier member of that name.
    fn begin_layer(&mut self, member: &str);
    /// How much of the regular file `path` (as stored, `size` bytes) the next
    /// [`LayerSink::entry`] call should carry. Most files: the head only.
    fn capture(&mut self, _path: &[u8], _size: u64) -> Capture {
        Capture::Head
    }
    /// [`LayerSink::capture`] as a function any thread may call, when the sink's choices
    /// depend on the path and size alone; `None` (the default) when they do not, and
    /// then layers are read one after the other on the sink's thread.
    fn capture_policy(&self) -> Option<CapturePolicy> {
        None
    }
    /// One entry of the current layer. An `Err` stops reading with that problem.
    fn entry(&mut self, entry: &RawEntry<'_>) -> Result<(), Refused>;
    /// The SHA-256 of the content of the oldest regular file of the current layer whose
    /// digest has not come yet. Digests come in the order of the files' entries, maybe
    /// some entries later (the content is hashed on another thread), and all of a
    /// layer's come before its [`LayerSink::end_layer`].
    fn file_digest(&mut self, _digest: Digest) {}
    /// The current layer ended; `blob` describes it.
    fn end_layer(&mut self, member: &str, blob: &LayerBlob);
}

/// Why a [`LayerSink`] refused an entry; reading stops with these words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// An entry came before any [`LayerSink::begin_layer`].
    #[error("an entry outside a layer")]
    OutsideLayer,
    /// The layer has more entries than the sink can number.
    #[error("too many entries")]
    TooManyEntries,
    /// The sink's reader has gone (another thread stopped reading).
    #[error("reading stopped")]
    Stopped,
}

/// Why a layer's tar could not be read, worded for a layer (`layer`); the reader of a
/// compressed blob words it for what it read ([`LayerError::worded`]: `gzip layer`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// Reading the tar failed: it is truncated or corrupt, or the stream broke (in
    /// words, by [`describe_io`]).
    #[error("{0}")]
    Read(String),
    /// A header field that does not parse.
    #[error("corrupt tar header: bad {field} field ({problem})")]
    BadField {
        /// `mode`, `uid`, `gid`.
        field: &'static str,
        /// The tar crate's words.
        problem: String,
    },
    /// A regular file's content ends early.
    #[error("truncated layer: entry {path} holds {read} of its {size} bytes")]
    ShortEntry {
        /// The entry's name, lossily as text.
        path: String,
        /// Bytes there were.
        read: u64,
        /// Bytes its header states.
        size: u64,
    },
    /// More entries in one layer than [`Limits::max_layer_entries`].
    #[error("more than {0} entries in one layer (raise --max-layer-entries to read it)")]
    LayerEntries(u64),
    /// More entries in the image than [`Limits::max_entries`].
    #[error("more than {0} entries in the image (raise --max-entries to read it)")]
    ImageEntries(u64),
    /// An entry name over [`Limits::max_path_bytes`].
    #[error(
        "an entry name is {len} bytes long, over the limit of {max} (raise --max-path-bytes to read it)"
    )]
    PathTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The sink refused an entry.
    #[error(transparent)]
    Refused(#[from] Refused),
}

impl LayerError {
    /// The message, with its first `layer` worded as `what` (`gzip layer`, `zstd layer`).
    pub fn worded(&self, what: &str) -> String {
        self.to_string().replacen("layer", what, 1)
    }
}

/// Limits that protect the reader from hostile input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// JSON members (manifests, configs, indexes) larger than this are not buffered.
    pub max_json_bytes: u64,
    /// A layer with more entries than this is an error.
    pub max_layer_entries: u64,
    /// An image (all its layers) with more entries than this is an error: the index
    /// keeps about 200 bytes per entry, so this caps its memory.
    pub max_entries: u64,
    /// An entry name longer than this is an error.
    pub max_path_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 16 * 1024 * 1024,
            max_layer_entries: 20_000_000,
            max_entries: 20_000_000,
            max_path_bytes: 64 * 1024,
        }
    }
}

/// Reads a layer tar from `source`, sending each entry to `sink`; returns the number of
/// entries. `before` entries of earlier layers count against [`Limits::max_entries`].
/// The source is left just after the end-of-archive marker (or at EOF).
// Over 120 lines on purpose: the per-entry loop of every layer, sharing the stream, the
// capture buffers and the counts; not split without a benches/compare.sh measurement (none yet).
pub(crate) fn parse_layer<S: TarSource>(
    source: S,
    sink: &mut dyn LayerSink,
    limits: &Limits,
    hasher: &mut dyn FileHasher,
    before: u64,
) -> Result<u64, LayerError> {
    let stream = RefCell::new(Skipping {
        inner: source,
        pos: 0,
        passed: 0,
        scratch: Vec::new(),
    });
    let mut archive = tar::Archive::new(Shared(&stream));
    let mut count = 0u64;
    // Reused across entries: a captured file's content, the name asked about, and the
    // buffer sparse files are read through.
    let mut content: Vec<u8> = Vec::new();
    let mut name: Vec<u8> = Vec::new();
    let mut sparse: Vec<u8> = Vec::new();
    let mut head = Head::default();
    // The blob position at the end of the previous entry.
    let mut stored_before = 0u64;
    // "With seek" so that the tar crate moves past padding, and past content passed to
    // the hasher behind its back, through `Skipping::seek`.
    let entries = archive
        .entries_with_seek()
        .map_err(|e| LayerError::Read(describe_io(&e, "layer")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| LayerError::Read(describe_io(&e, "layer")))?;
        let header = entry.header();
        let flag = header.entry_type();
        let kind = match flag {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                RawKind::Regular
            }
            tar::EntryType::Directory => RawKind::Dir,
            tar::EntryType::Symlink => RawKind::Symlink,
            tar::EntryType::Link => RawKind::HardLink,
            tar::EntryType::Char => RawKind::CharDevice,
            tar::EntryType::Block => RawKind::BlockDevice,
            tar::EntryType::Fifo => RawKind::Fifo,
            // Meta entries that describe the next one or the whole archive: not files.
            tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => continue,
            other => RawKind::Other(other.as_byte()),
        };
        count += 1;
        if count > limits.max_layer_entries {
            return Err(LayerError::LayerEntries(limits.max_layer_entries));
        }
        if before.saturating_add(count) > limits.max_entries {
            return Err(LayerError::ImageEntries(limits.max_entries));
        }
        let mode = header.mode().map_err(|e| bad_field("mode", &e))?;
        let uid = header.uid().map_err(|e| bad_field("uid", &e))?;
        let gid = header.gid().map_err(|e| bad_field("gid", &e))?;
        let size = entry.size();
        head.clear();
        let mut full = false;
        if kind == RawKind::Regular {
            name.clear();
            name.extend_from_slice(&entry.path_bytes());
            let keep = match sink.capture(&name, size) {
                Capture::Full { max } => size <= max,
                Capture::Head => false,
            };
            content.clear();
            let mut to = ContentSink {
                hasher: &mut *hasher,
                head: &mut head,
                keep: keep.then_some(&mut content),
            };
            let read = if flag == tar::EntryType::GNUSparse {
                // The tar crate fills in the holes: the content is what it reads out.
                read_content(&mut entry, &mut to, &mut sparse)
            } else {
                // Straight from the source, past the tar crate (see `Skipping`).
                stream.borrow_mut().content(size, &mut to)
            }
            .and_then(|read| hasher.end_file().map(|()| read))
            .map_err(|e| LayerError::Read(describe_io(&e, "layer")))?;
            full = keep;
            if read != size {
                return Err(LayerError::ShortEntry {
                    path: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                    read,
                    size,
                });
            }
        }
        let path = entry.path_bytes();
        if path.len() > limits.max_path_bytes {
            return Err(LayerError::PathTooLong {
                len: path.len(),
                max: limits.max_path_bytes,
            });
        }
        let link = entry.link_name_bytes();
        let stored_here = stream.borrow_mut().stored();
        let stored = stored_here.saturating_sub(stored_before);
        stored_before = stored_before.max(stored_here);
        sink.entry(&RawEntry {
            path: &path,
            link: link.as_deref(),
            kind,
            size: if kind == RawKind::Regular { size } else { 0 },
            mode,
            uid,
            gid,
            head: head.bytes(),
            content: full.then_some(content.as_slice()),
            stored,
        })?;
        pass_digests(hasher, sink, false)?;
    }
    pass_digests(hasher, sink, true)?;
    Ok(count)
}

/// Hands the digests the hasher has ready to the sink; with `wait`, all of them.
fn pass_digests(
    hasher: &mut dyn FileHasher,
    sink: &mut dyn LayerSink,
    wait: bool,
) -> Result<(), LayerError> {
    while let Some(d) = hasher
        .next_digest(wait)
        .map_err(|e| LayerError::Read(describe_io(&e, "layer")))?
    {
        sink.file_digest(d);
    }
    Ok(())
}

/// The first bytes of a regular file's content: [`RawEntry::head`].
struct Head {
    buf: [u8; HEAD_BYTES],
    len: usize,
}

impl Default for Head {
    fn default() -> Head {
        Head {
            buf: [0; HEAD_BYTES],
            len: 0,
        }
    }
}

impl Head {
    /// Keeps what of `bytes`, the next bytes of the content, falls in the head.
    fn see(&mut self, bytes: &[u8]) {
        let take = (HEAD_BYTES - self.len).min(bytes.len());
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            bytes.get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
    }

    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// Where a regular file's content goes as it streams past: to SHA-256, its first bytes
/// to the head, and all of it to `keep` when the sink asked for it.
pub(crate) struct ContentSink<'a> {
    hasher: &'a mut dyn FileHasher,
    head: &'a mut Head,
    keep: Option<&'a mut Vec<u8>>,
}

impl ContentSink<'_> {
    fn see(&mut self, bytes: &[u8]) {
        self.head.see(bytes);
        if let Some(v) = self.keep.as_deref_mut() {
            v.extend_from_slice(bytes);
        }
    }

    /// The next bytes of the content, from a buffer that will be reused.
    pub(crate) fn copied(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.see(bytes);
        self.hasher.update(bytes)
    }

    /// The next bytes of the content are `chunk[range]`: hashed where they are.
    pub(crate) fn shared(&mut self, chunk: &Chunk, range: Range<usize>) -> io::Result<()> {
        self.see(chunk.get(range.clone()).unwrap_or_default());
        self.hasher.update_shared(chunk, range)
    }
}

/// The bytes of layer tars as the parser takes them: read like any stream, or, for a
/// regular file's content, passed on in one go to where it is needed.
pub(crate) trait TarSource: Read {
    /// Consumes the next `n` bytes, a regular file's content, into `to`. Returns how many
    /// there were: fewer than `n` only at the end of the stream. Does not end the file in
    /// the hasher.
    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64>;
    /// Bytes of the blob as stored that had been consumed when the `consumed` bytes of
    /// tar read so far had been produced: `consumed` itself for a plain tar.
    fn stored(&mut self, consumed: u64) -> u64 {
        consumed
    }
}

impl<T: TarSource + ?Sized> TarSource for &mut T {
    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64> {
        (**self).content(n, to)
    }

    fn stored(&mut self, consumed: u64) -> u64 {
        (**self).stored(consumed)
    }
}

/// Any stream as a [`TarSource`]: content is copied through a buffer of its own.
pub(crate) struct Plain<R> {
    inner: R,
    buf: Vec<u8>,
}

impl<R: Read> Plain<R> {
    pub(crate) fn new(inner: R) -> Plain<R> {
        Plain {
            inner,
            buf: Vec::new(),
        }
    }
}

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> TarSource for Plain<R> {
    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64> {
        read_content(&mut (&mut self.inner).take(n), to, &mut self.buf)
    }
}

/// Streams `r` to its end through `buf` into `to`: one pass over the bytes. Returns how
/// many bytes there were.
fn read_content<R: Read + ?Sized>(
    r: &mut R,
    to: &mut ContentSink<'_>,
    buf: &mut Vec<u8>,
) -> io::Result<u64> {
    if buf.is_empty() {
        buf.resize(64 * 1024, 0);
    }
    let mut total = 0u64;
    loop {
        match r.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                to.copied(buf.get(..n).unwrap_or_default())?;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The stream under the tar crate. It moves forward only: the tar crate skips an entry's
/// padding (and content left unread) by seeking when it can, and otherwise through a
/// 32 KiB buffer it zeroes on every call, once per entry, 2% of the whole run on an image
/// of small files. Regular files' contents do not go through the tar crate at all
/// ([`Skipping::content`]); the next seek makes up for what it did not see.
struct Skipping<S> {
    inner: S,
    /// Bytes consumed, however.
    pos: u64,
    /// Bytes consumed by [`Skipping::content`] since the last seek: the tar crate's own
    /// count of the position is behind by as much.
    passed: u64,
    scratch: Vec<u8>,
}

impl<S: TarSource> Skipping<S> {
    /// The blob position of the tar bytes consumed so far.
    fn stored(&mut self) -> u64 {
        self.inner.stored(self.pos)
    }

    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64> {
        let got = self.inner.content(n, to)?;
        self.pos += got;
        self.passed += got;
        Ok(got)
    }
}

impl<S: Read> Read for Skipping<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Read> io::Seek for Skipping<S> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        // Where the tar crate asks to go, in its count (which left out `passed`); it takes
        // the returned position as its count from then on.
        let ahead = match to {
            io::SeekFrom::Current(n) => u64::try_from(n).ok(),
            io::SeekFrom::Start(n) => n.checked_sub(self.pos - self.passed),
            io::SeekFrom::End(_) => None,
        }
        .and_then(|n| n.checked_sub(self.passed))
        .ok_or_else(|| io::Error::other("internal error: a layer stream cannot go back"))?;
        self.passed = 0;
        if self.scratch.is_empty() {
            self.scratch.resize(8 * 1024, 0);
        }
        let mut left = ahead;
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(self.scratch.len());
            let n = match self
                .inner
                .read(self.scratch.get_mut(..want).unwrap_or_default())
            {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected EOF during skip",
                    ));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            left -= n as u64;
            self.pos += n as u64;
        }
        Ok(self.pos)
    }
}

/// What the tar crate reads from: the [`Skipping`] stream, which the parser also reaches
/// between the tar crate's calls to pass contents on.
struct Shared<'a, S>(&'a RefCell<Skipping<S>>);

impl<S: Read> Read for Shared<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.borrow_mut().read(buf)
    }
}

impl<S: Read> io::Seek for Shared<'_, S> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        self.0.borrow_mut().seek(to)
    }
}

/// Reads one uncompressed layer tar from `reader` into `sink`, with `limits`: the layer
/// parser on its own (the layer fuzz target drives it). Returns the number of entries.
pub fn read_layer<R: Read>(
    reader: R,
    sink: &mut dyn LayerSink,
    limits: &Limits,
) -> Result<u64, LayerError> {
    parse_layer(Plain::new(reader), sink, limits, &mut Inline::new(), 0)
}

fn bad_field(field: &'static str, e: &io::Error) -> LayerError {
    LayerError::BadField {
        field,
        problem: e.to_string(),
    }
}

/// Words for an I/O error met while reading `what` (a layer, the archive).
pub(crate) fn describe_io(e: &io::Error, what: &str) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("truncated {what}: the data ends early"),
        // Hostile case "truncated mid-header": the tar crate says only "failed to read
        // entire block" when the input ends inside a 512-byte header.
        _ if e.to_string().contains("failed to read entire block") => {
            format!("truncated {what}: the data ends inside a tar header")
        }
        _ => format!("corrupt {what}: {e}"),
    }
}
