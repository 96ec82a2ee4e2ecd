//! The forward pass on two or three threads: the reader thread walks the outer archive
//! and decompresses layer blobs; the parser thread walks the layer tars and indexes their
//! entries; file contents are hashed on a hasher thread of their own where that pays
//! (see [`Hashers::pick`]), else by the parser. Decompression and hashing, the two costs
//! per byte, run on different cores. With [`ReadOptions::verify`], the reader also hashes
//! each member as stored (its blob digest, which is the diff_id of an uncompressed layer)
//! and the parser each decompressed tar (its diff_id).
//!
//! Member bytes cross over in pieces ([`Chunk`]) through a bounded channel: 256 KiB
//! chunks read from the archive, or stretches of the ring a zstd layer is decoded into.
//! The parser and the hasher thread read the same piece without copying it, and its
//! memory goes back to the reader once both have dropped it: memory stays flat whatever
//! the size of a layer, and no chunk buffer is allocated once the pipeline runs. A
//! parser error stops the reader at its next chunk; the first error by archive order is
//! reported.

pub(super) mod parallel;
mod plain;

use super::chunk::{Chunk, Piece, RingWriter};
use super::digest::Digest;
use super::hashing::{FileHasher, Inline, Offloaded};
use super::layer::{self, Compression, ContentSink, LayerBlob, LayerError, LayerSink, TarSource};
use super::marks::{GZIP_STEP, Marks, Stored};
use super::sniff::looks_like_tar;
use super::{MemberContent, ReadOptions};
use parallel::Recording;
use sha2::{Digest as _, Sha256};
use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes per chunk handed from the reader to the parser: small enough that the chunks in
/// flight stay in the cache the two cores share.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight: bounds the memory between the threads to about 2 MiB.
const IN_FLIGHT: usize = 8;

enum Msg {
    Begin {
        name: String,
        compression: Compression,
    },
    Data(Chunk),
    End {
        sha256: Option<Digest>,
        bytes: u64,
        tar_bytes: u64,
    },
    /// A member read by a worker of its own ([`super::parallel`]): its recording, to be
    /// replayed here in its turn.
    Deferred {
        name: String,
        recording: Recording,
    },
}

/// Why the reader stopped sending.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The parser failed; its error is the one to report.
    ParserFailed,
    /// Reading the member failed.
    Io(io::Error),
}

/// The reader thread's end of the pipeline.
pub(crate) struct Feeder {
    tx: SyncSender<Msg>,
    /// Chunk buffers come back here once no one holds them.
    recycle: Receiver<Vec<u8>>,
    home: Sender<Vec<u8>>,
    /// What zstd layers are decoded into, kept from one layer to the next.
    ring: RefCell<Option<RingWriter>>,
    failed: Arc<AtomicBool>,
    /// The recordings of members that workers read, by the member's offset in the archive.
    deferred: RefCell<Vec<(u64, Recording)>>,
}

impl Feeder {
    /// Streams one layer-looking member to the parser: all of `stream`, then the member's
    /// digest and size, which the caller computes after the stream ends.
    pub(crate) fn begin(&self, name: &str, compression: Compression) -> Result<(), Stop> {
        self.send(Msg::Begin {
            name: name.to_string(),
            compression,
        })
    }

    /// Members at these offsets of the archive are read by workers: their recordings.
    pub(crate) fn defer(&self, recordings: Vec<(u64, Recording)>) {
        *self.deferred.borrow_mut() = recordings;
    }

    /// The recording of the member at `offset`, if a worker reads it.
    pub(crate) fn take_deferred(&self, offset: u64) -> Option<Recording> {
        let mut deferred = self.deferred.borrow_mut();
        let at = deferred.iter().position(|(o, _)| *o == offset)?;
        Some(deferred.swap_remove(at).1)
    }

    /// Hands the member `name`, which a worker reads, to the parser, which replays the
    /// worker's `recording` in its turn.
    pub(crate) fn deferred(&self, name: &str, recording: Recording) -> Result<(), Stop> {
        self.send(Msg::Deferred {
            name: name.to_string(),
            recording,
        })
    }

    /// Sends everything `stream` yields, in chunks; returns how many bytes that was.
    /// `stored` counts the blob bytes a decoder has consumed: each chunk is marked with
    /// it every [`GZIP_STEP`] bytes. Without it the stream is the blob (an uncompressed
    /// layer) and a chunk's end is its own stored position.
    pub(crate) fn pump<R: Read + ?Sized>(
        &self,
        stream: &mut R,
        stored: Option<&Cell<u64>>,
    ) -> Result<u64, Stop> {
        let mut total = 0u64;
        // A step per read: the whole chunk when no decoder is counted.
        let step = if stored.is_some() { GZIP_STEP } else { CHUNK };
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return Err(Stop::ParserFailed);
            }
            let mut buf = self.recycle.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let mut marks = Marks::default();
            let mut filled = 0;
            while filled < CHUNK {
                let end = CHUNK.min(filled + step);
                match stream.read(buf.get_mut(filled..end).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => {
                        filled += n;
                        if let Some(stored) = stored {
                            marks.push(filled, stored.get());
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Stop::Io(e)),
                }
            }
            if filled == 0 {
                return Ok(total);
            }
            total += filled as u64;
            if stored.is_none() {
                marks.push(filled, total);
            }
            buf.truncate(filled);
            self.send(Msg::Data(Piece::marked(
                buf,
                Some(self.home.clone()),
                marks,
            )))?;
            if filled < CHUNK {
                return Ok(total);
            }
        }
    }

    /// Decodes the zstd frames of `input` and sends what they hold, straight from the
    /// ring they are decoded into (see [`super::unzstd`]); returns how many bytes that
    /// was.
    pub(crate) fn pump_zstd<R: std::io::BufRead>(&self, input: &mut R) -> Result<u64, Stop> {
        let mut ring = self.ring.borrow_mut();
        super::unzstd::decode(
            input,
            &mut ring,
            &mut |chunk| {
                if self.failed.load(Ordering::Relaxed) {
                    return Err(Stop::ParserFailed);
                }
                self.send(Msg::Data(chunk))
            },
            Stop::Io,
        )
    }

    /// Ends the member with its digest (when hashed) and size as stored, and the bytes
    /// of its tar.
    pub(crate) fn end(
        &self,
        sha256: Option<Digest>,
        bytes: u64,
        tar_bytes: u64,
    ) -> Result<(), Stop> {
        self.send(Msg::End {
            sha256,
            bytes,
            tar_bytes,
        })
    }

    fn send(&self, msg: Msg) -> Result<(), Stop> {
        self.tx.send(msg).map_err(|_| Stop::ParserFailed)
    }
}

/// Why a layer member could not be read, as the report words it for the member.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MemberError {
    /// The layer's tar, worded for its compression (`what`: `gzip layer`).
    #[error("{}", LayerError::worded(.error, .what))]
    Layer {
        /// [`Compression::layer_noun`].
        what: &'static str,
        /// What the layer parser met.
        error: LayerError,
    },
    /// Reading the member's bytes failed (in words: [`layer::describe_io`]), or the
    /// reader's or the source's own reason (a blob that failed its digest).
    #[error("{0}")]
    Read(String),
    /// A thread stopped without a reason: a bug, never the input's fault.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// What the parser thread learned: each layer member's content, and the first error.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) results: Vec<(String, MemberContent)>,
    /// The digests as stored of members that workers read (with `verify`).
    pub(crate) stored: Vec<(String, Digest)>,
    pub(crate) error: Option<(String, String)>,
}

/// Runs `reader` (the outer walk) on this thread with a parser thread beside it that
/// indexes layer members into `sink`. Returns the reader's result and the parser's
/// outcome.
pub(crate) fn run<T>(
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
    reader: impl FnOnce(&Feeder) -> T,
) -> (T, Outcome) {
    let (tx, rx) = mpsc::sync_channel::<Msg>(IN_FLIGHT);
    let (home, recycle) = mpsc::channel::<Vec<u8>>();
    let failed = Arc::new(AtomicBool::new(false));
    let feeder = Feeder {
        tx,
        recycle,
        home,
        ring: RefCell::new(None),
        failed: Arc::clone(&failed),
        deferred: RefCell::new(Vec::new()),
    };
    let cores = cores();
    // A layer worker's pipeline: its threads' times are the worker's, told once.
    let nested = NESTED.with(std::cell::Cell::get);
    let (parser_name, hasher_name) = if nested {
        ("", "")
    } else {
        ("parser", "hasher")
    };
    std::thread::scope(|scope| {
        let parser_failed = Arc::clone(&failed);
        let parser = scope.spawn(move || {
            let _cpu = crate::timings::ThreadCpu(parser_name);
            let mut hashers = Hashers {
                inline: Inline::new(),
                offloaded: None,
                cores,
            };
            if cores > 1 {
                std::thread::scope(|scope| {
                    hashers.offloaded = Some(Offloaded::spawn(scope, hasher_name));
                    let outcome = parse_members(&rx, sink, opts, &mut hashers, &parser_failed);
                    // Stops the hasher thread, which the scope waits for.
                    hashers.offloaded = None;
                    outcome
                })
            } else {
                parse_members(&rx, sink, opts, &mut hashers, &parser_failed)
            }
        });
        let result = reader(&feeder);
        if !nested {
            crate::timings::thread_cpu("reader");
        }
        // Closing the channel tells the parser there is nothing more.
        drop(feeder);
        let outcome = parser.join().unwrap_or_else(|_| Outcome {
            results: Vec::new(),
            stored: Vec::new(),
            error: Some((
                "(parser)".to_string(),
                "internal error: the parser thread panicked".to_string(),
            )),
        });
        (result, outcome)
    })
}

thread_local! {
    /// True on a layer worker's thread ([`super::parallel`]).
    pub(crate) static NESTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The cores this process may run on.
pub(crate) fn cores() -> usize {
    #[cfg(test)]
    if let Some(n) = TEST_CORES.with(|c| c.get()) {
        return n;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
thread_local! {
    /// Stands in for the machine's cores in tests on this thread: the paths taken on
    /// more cores than the test machine has.
    pub(crate) static TEST_CORES: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The parser's ways to hash file contents.
struct Hashers {
    inline: Inline,
    /// A hasher thread, when there is more than one core.
    offloaded: Option<Offloaded>,
    cores: usize,
}

impl Hashers {
    /// Hashing on a third thread pays where the reader has little to do (uncompressed
    /// layers) or where each of the three threads has a core. Otherwise the hasher
    /// would take time from the decompressor, the slowest stage.
    fn pick(&mut self, compression: Compression) -> &mut dyn FileHasher {
        match &mut self.offloaded {
            Some(offloaded) if compression == Compression::None || self.cores > 2 => offloaded,
            _ => &mut self.inline,
        }
    }
}

fn parse_members(
    rx: &Receiver<Msg>,
    sink: &mut (dyn LayerSink + Send),
    opts: &ReadOptions,
    hashers: &mut Hashers,
    failed: &AtomicBool,
) -> Outcome {
    let mut outcome = Outcome::default();
    // Entries of all layers so far, for `Limits::max_entries`.
    let mut entries = 0u64;
    while let Ok(msg) = rx.recv() {
        let (name, compression) = match msg {
            Msg::Begin { name, compression } => (name, compression),
            Msg::Deferred { name, recording } => {
                match parallel::replay(&name, &recording, sink, opts, entries) {
                    Ok((content, stored)) => {
                        if let MemberContent::Layer(blob) = &content {
                            entries += blob.entries;
                        }
                        if let Some(d) = stored {
                            outcome.stored.push((name.clone(), d));
                        }
                        outcome.results.push((name, content));
                    }
                    Err(problem) => {
                        outcome.error = Some((name, problem.to_string()));
                        failed.store(true, Ordering::Relaxed);
                        return outcome;
                    }
                }
                continue;
            }
            // Data of a member whose parse already failed: drop it.
            _ => continue,
        };
        let mut reader = ChannelReader {
            rx,
            chunk: Chunk::default(),
            pos: 0,
            end: None,
            tar_sha: None,
            stored: Stored::default(),
        };
        let parsed = read_layer_blob(
            &name,
            compression,
            &mut reader,
            sink,
            opts,
            hashers.pick(compression),
            entries,
        );
        let drained = reader.drain();
        match (parsed, drained, reader.end) {
            (Ok(content), Ok(_), Some((sha256, bytes, tar_bytes))) => {
                let content = match content {
                    MemberContent::Layer(mut blob) => {
                        entries += blob.entries;
                        blob.blob_bytes = bytes;
                        blob.tar_bytes = tar_bytes;
                        if let Some(sha256) = sha256 {
                            blob.blob_digest = sha256;
                            if blob.compression == Compression::None {
                                blob.diff_id = sha256;
                            }
                        }
                        sink.end_layer(&name, &blob);
                        MemberContent::Layer(blob)
                    }
                    other => other,
                };
                outcome.results.push((name, content));
            }
            (Err(problem), _, _) => {
                outcome.error = Some((name, problem.to_string()));
                failed.store(true, Ordering::Relaxed);
                return outcome;
            }
            (Ok(_), Err(e), _) => {
                outcome.error = Some((name, super::layer::describe_io(&e, "member")));
                failed.store(true, Ordering::Relaxed);
                return outcome;
            }
            (Ok(_), Ok(_), None) => {
                // The reader stopped mid-member; it reports why.
                return outcome;
            }
        }
    }
    outcome
}

/// The parser's view of one member: the chunks the reader sends, until its `End`.
pub(crate) struct ChannelReader<'a> {
    rx: &'a Receiver<Msg>,
    chunk: Chunk,
    pos: usize,
    end: Option<(Option<Digest>, u64, u64)>,
    /// The SHA-256 of every byte consumed, when [`ChannelReader::hash_all`] asked for it.
    tar_sha: Option<Sha256>,
    /// Where the stored stream was at the start of `chunk`.
    stored: Stored,
}

impl ChannelReader<'_> {
    /// The next chunk of the member, or `None` at its end.
    fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        if self.end.is_some() {
            return Ok(None);
        }
        match self.rx.recv() {
            Ok(Msg::Data(next)) => Ok(Some(next)),
            Ok(Msg::End {
                sha256,
                bytes,
                tar_bytes,
            }) => {
                self.end = Some((sha256, bytes, tar_bytes));
                Ok(None)
            }
            Ok(Msg::Begin { .. } | Msg::Deferred { .. }) => Err(io::Error::other(
                "internal error: a member began inside another",
            )),
            // The reader stopped mid-member (it reports why): nothing more comes.
            Err(_) => Ok(None),
        }
    }

    /// Consumes up to `max` bytes (at least one, unless the member has ended) and returns
    /// where they are in `self.chunk`.
    fn take(&mut self, max: usize) -> io::Result<Option<Range<usize>>> {
        while self.pos >= self.chunk.len() {
            let Some(next) = self.next_chunk()? else {
                return Ok(None);
            };
            self.stored.next_piece(self.chunk.marks());
            self.chunk = next;
            self.pos = 0;
        }
        let start = self.pos;
        let end = start + max.min(self.chunk.len() - start);
        self.pos = end;
        if let Some(sha) = &mut self.tar_sha {
            sha.update(self.chunk.get(start..end).unwrap_or_default());
        }
        Ok(Some(start..end))
    }

    /// The next `n` bytes (fewer only at the end of the member), left to be consumed.
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() {
            let Some(next) = self.next_chunk()? else {
                break;
            };
            self.stored.next_piece(self.chunk.marks());
            self.chunk = next;
            self.pos = 0;
        }
        let rest = self.chunk.len().saturating_sub(self.pos);
        if rest < n && self.end.is_none() {
            // Rare: the bytes run across chunks. Gather them into one of their own, with
            // their marks.
            let start = self.stored_here();
            let mut joined = self.chunk.get(self.pos..).unwrap_or_default().to_vec();
            let mut marks = Marks::default();
            for &(o, s) in self.chunk.marks().as_slice() {
                if o > self.pos {
                    marks.push(o - self.pos, s);
                }
            }
            while joined.len() < n {
                let Some(next) = self.next_chunk()? else {
                    break;
                };
                for &(o, s) in next.marks().as_slice() {
                    marks.push(joined.len() + o, s);
                }
                joined.extend_from_slice(&next);
            }
            self.chunk = Piece::marked(joined, None, marks);
            self.pos = 0;
            self.stored.restart(start);
        }
        let end = self.chunk.len().min(self.pos.saturating_add(n));
        Ok(self.chunk.get(self.pos..end).unwrap_or_default())
    }

    /// Blob bytes the decoder had consumed when the tar bytes consumed so far had been
    /// produced (see [`super::marks`]).
    pub(crate) fn stored_here(&mut self) -> u64 {
        self.stored.at(self.chunk.marks(), self.pos)
    }

    /// Hashes every byte consumed from here on: [`ChannelReader::finish`] returns the
    /// digest.
    pub(crate) fn hash_all(&mut self) {
        self.tar_sha = Some(Sha256::new());
    }

    /// Consumes the rest of the member; returns how many bytes that was.
    pub(crate) fn drain(&mut self) -> io::Result<u64> {
        let mut total = 0u64;
        while let Some(r) = self.take(usize::MAX)? {
            total += r.len() as u64;
        }
        Ok(total)
    }

    /// Consumes the rest of the member and returns the digest of all it consumed, when
    /// asked to hash it.
    pub(crate) fn finish(&mut self) -> io::Result<Option<Digest>> {
        self.drain()?;
        Ok(self.tar_sha.take().map(|h| Digest(h.finalize().into())))
    }
}

impl Read for ChannelReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(r) = self.take(out.len())? else {
            return Ok(0);
        };
        let n = r.len();
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.chunk.get(r)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

impl TarSource for ChannelReader<'_> {
    fn stored(&mut self, _consumed: u64) -> u64 {
        self.stored_here()
    }

    /// Without a copy: the hasher gets the content where it lies in the chunks.
    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let Some(r) = self.take(usize::try_from(left).unwrap_or(usize::MAX))? else {
                break;
            };
            left -= r.len() as u64;
            to.shared(&self.chunk, r)?;
        }
        Ok(n - left)
    }
}

/// Parses a layer blob's tar (`stream`, already decompressed by the reader thread) into
/// `sink`. A compressed blob whose content is not a tar is recorded as `Other`. With
/// [`ReadOptions::verify`], a compressed blob's tar is hashed: its diff_id.
fn read_layer_blob(
    name: &str,
    compression: Compression,
    stream: &mut ChannelReader<'_>,
    sink: &mut dyn LayerSink,
    opts: &ReadOptions,
    hasher: &mut dyn FileHasher,
    before: u64,
) -> Result<MemberContent, MemberError> {
    let what = compression.layer_noun();
    let read_error = |e: io::Error| MemberError::Read(layer::describe_io(&e, what));
    if opts.verify && compression != Compression::None {
        stream.hash_all();
    }
    let head = stream.peek(512).map_err(read_error)?;
    if compression != Compression::None && (!looks_like_tar(head) || head.len() < 512) {
        return Ok(MemberContent::Other {
            looks_like: format!("{} data that is not a tar", compression.name()),
        });
    }
    sink.begin_layer(name);
    let entries = layer::parse_layer(&mut *stream, sink, &opts.limits, hasher, before)
        .map_err(|error| MemberError::Layer { what, error })?;
    let diff_id = stream.finish().map_err(read_error)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use synth::{Flavour, Image, Layer, Options};

    /// Loads `archive` as if the machine had `cores` cores.
    fn load(archive: &[u8], cores: usize) -> crate::index::Index {
        TEST_CORES.with(|c| c.set(Some(cores)));
        let index = crate::pipeline::read_index(
            &crate::source::Source::memory("test", archive),
            &crate::pipeline::Options::default(),
            None,
        );
        TEST_CORES.with(|c| c.set(None));
        index.expect("load")
    }

    #[test]
    fn zstd_layers_read_the_same_on_two_cores_and_on_four() {
        // On four cores a zstd layer's file contents go to the hasher thread in pieces of
        // the ring. A file, then 10 MB of directory headers (more than the whole ring),
        // then more files: the first file's piece must come back to the reader before
        // any more files end, or reading never ends.
        let mut layer = Layer::new().file("first", vec![1u8; 3000]);
        for i in 0..20_000 {
            layer = layer.dir(&format!("d/{i}"));
        }
        for i in 0..300 {
            layer = layer.file(&format!("f/{i}"), vec![i as u8; 700 * (i % 7)]);
        }
        let archive = synth::write_archive(
            &[Image::new(vec![layer])],
            &Options::new(Flavour::DockerLegacy).layer_compression(synth::Compression::Zstd),
        )
        .expect("archive");
        let two = load(&archive, 2);
        // A hang is the failure to look for: wait a minute at most.
        let (done, result) = mpsc::channel();
        let copy = archive.clone();
        std::thread::spawn(move || {
            let _ = done.send(load(&copy, 4));
        });
        let four = result
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("reading on four cores never ended");
        assert_eq!(two.entries.len(), 20_301);
        assert_eq!(two.digests, four.digests);
        assert_eq!(two.entries.len(), four.entries.len());
    }
}
