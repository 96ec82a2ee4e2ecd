//! Layers read in parallel, one per core: an archive file's, or a registry's blobs as
//! they download.
//!
//! Decompression is the cost per byte of a gzip or zstd image, hashing that of an
//! uncompressed one, and one layer's stream can only be read front to back. When the
//! archive is a file (seekable) and holds several layers, each is read by a worker of its
//! own, from its own offset; from a registry, each blob is read by a worker of its own
//! straight from its download ([`LayerBytes`]: where the bytes come from is all that
//! differs). The worker decodes, parses and hashes a compressed layer with the usual
//! two-thread pipeline, and an uncompressed one on its own thread ([`super::plain`]),
//! into a [`Recorder`] that keeps the sink's calls (entries, digests, the layer's end)
//! instead of making them. The parser thread of the main pass replays the recordings in
//! order ([`replay`]), so the sink sees exactly what a sequential read shows it, and the
//! overlay still applies layers in order.
//!
//! Memory stays bounded: a worker hands its recording over in batches through a channel
//! of [`batches`] slots, and waits when they are full; the workers ahead of the layer
//! being replayed share [`AHEAD_BYTES`] ([`Ahead`]); at most [`in_flight`] layers are
//! read at once. The worker of the layer being replayed always makes progress, so the
//! workers ahead of it wait at worst, never deadlock. (A blob's download waits with its
//! worker: the connection's own buffers are all it holds.)
//!
//! Over 800 lines with its tests (half of it): the file and registry cases share the
//! ten-layer image and the comparison with a sequential read.

use super::super::Progress;
use super::super::layer::{
    Capture, CapturePolicy, LayerBlob, LayerError, LayerSink, RawEntry, RawKind, Refused,
};
use super::super::sniff::{Sniffed, sniff};
use super::{Digest, MemberContent, MemberError, ReadOptions};
use crate::source::BlobStream;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex};

/// Bytes (names, heads, captured contents, and the events' own) a batch holds before it
/// is handed over: a few hundred entries.
const BATCH_BYTES: usize = 96 * 1024;
/// Batches a worker may have waiting, at least: with [`BATCH_BYTES`], under 1 MiB per
/// layer in flight (a captured file larger than a batch makes its batch larger).
const BATCHES: usize = 8;
/// What the workers ahead of the layer being replayed may have recorded, together: a
/// worker ahead runs until its recording fills its share, then waits for the replay to
/// reach its layer. A recording takes about 340 bytes per file (the entry and its digest
/// events, 120 bytes each, its name and 64-byte head): a layer of 10,000 files, 3.4 MB. With 8
/// batches per layer (768 KiB) a worker ahead stopped a fifth of the way into such a
/// layer and idled until the one before was replayed: on two cores a 10-layer gzip image
/// read 1.33x faster than on one, as gzip's decoding alone keeps the live worker on a
/// single core (zstd's decoder and parser share the two cores, which hid it: 1.75x).
/// With 8 MiB ahead, the next layer's recording fits whole.
const AHEAD_BYTES: usize = 8 << 20;
/// At most this many layers are decoded at once, whatever the cores: each holds the
/// chunks of its own pipeline (about 2 MiB), its batches (2 MiB) and, for zstd, its
/// window, which is what bounds memory (docs/performance.md).
const MAX_IN_FLIGHT: usize = 8;

/// Layers read at once on `cores` cores, for `jobs` layers.
pub(crate) fn in_flight(cores: usize, jobs: usize) -> usize {
    cores.min(MAX_IN_FLIGHT).min(jobs)
}

/// One layer member found by [`plan`]: where its bytes are in the file.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// Where the member's data starts in the archive file.
    pub(crate) offset: u64,
    /// Its size as stored.
    pub(crate) size: u64,
    /// An uncompressed tar, which a worker reads on its one thread ([`super::plain`]).
    pub(crate) plain: bool,
}

/// The layer members (gzip, zstd, or tar) of the uncompressed tar archive at `path`, in
/// archive order, found by reading their headers and first bytes only (seeking past the
/// rest). `None` when the file is not a plain tar or holds fewer than two of them: then
/// there is nothing to run in parallel.
pub(crate) fn plan(path: &Path) -> Option<Vec<Planned>> {
    let mut file = File::open(path).ok()?;
    // A FIFO (`<(docker save x)`) must not be read here: these bytes would be gone for
    // the main pass.
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut head = [0u8; 512];
    file.read_exact(&mut head).ok()?;
    if !super::super::sniff::looks_like_tar(&head) {
        return None;
    }
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut archive = tar::Archive::new(&file);
    let mut found = Vec::new();
    for entry in archive.entries_with_seek().ok()? {
        let entry = entry.ok()?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let (offset, size) = (entry.raw_file_position(), entry.size());
        // The member's first bytes, which the main pass sniffs the same way.
        let mut buf = [0u8; 512];
        let head = buf
            .get_mut(..usize::try_from(size).unwrap_or(512).min(512))
            .unwrap_or_default();
        if read_at(&file, head, offset).is_err() {
            continue;
        }
        let plain = match sniff(head) {
            Sniffed::Gzip | Sniffed::Zstd => false,
            Sniffed::Tar => true,
            _ => continue,
        };
        found.push(Planned {
            offset,
            size,
            plain,
        });
    }
    (found.len() >= 2).then_some(found)
}

pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

/// An entry as the layer parser gave it, kept for replay: its fields, and where its
/// bytes (name, link, head, captured content) are in the batch's arena.
#[derive(Debug)]
pub(crate) struct Recorded {
    path: Range<usize>,
    link: Option<Range<usize>>,
    head: Range<usize>,
    content: Option<Range<usize>>,
    kind: RawKind,
    size: u64,
    mode: u32,
    uid: u64,
    gid: u64,
    stored: u64,
}

/// One call a layer's parse made on its sink.
#[derive(Debug)]
pub(crate) enum Event {
    Begin,
    Entry(Recorded),
    Digest(Digest),
    End(LayerBlob),
}

/// Events, with the bytes their entries point into: one allocation for the bytes of
/// hundreds of entries rather than several per entry.
#[derive(Debug, Default)]
pub(crate) struct Events {
    bytes: Vec<u8>,
    events: Vec<Event>,
}

impl Events {
    /// The recorder's own batch, which it fills and empties in place, with room for
    /// [`BATCH_BYTES`] in each vector: grown from empty, they were reallocated about 16
    /// times per batch, on the allocator the replay thread shares (one malloc arena,
    /// src/main.rs), which made the workers and the replay wait for its lock thousands of
    /// times per read.
    fn sized() -> Events {
        Events {
            bytes: Vec::with_capacity(BATCH_BYTES),
            events: Vec::with_capacity(BATCH_BYTES / std::mem::size_of::<Event>()),
        }
    }

    fn keep(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        start..self.bytes.len()
    }

    fn raw(&self, e: &Recorded) -> RawEntry<'_> {
        let at = |r: &Range<usize>| self.bytes.get(r.clone()).unwrap_or_default();
        RawEntry {
            path: at(&e.path),
            link: e.link.as_ref().map(at),
            kind: e.kind,
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            head: at(&e.head),
            content: e.content.as_ref().map(at),
            stored: e.stored,
        }
    }

    /// What it holds, roughly, for [`BATCH_BYTES`].
    fn weight(&self) -> usize {
        self.bytes.len() + self.events.len() * std::mem::size_of::<Event>()
    }
}

/// What a worker hands over: events, then how the member ended.
#[derive(Debug)]
pub(crate) enum Batch {
    Events(Events),
    /// The member's content and its digest as stored (with `verify`), or the problem
    /// that stopped it.
    Done(Result<(MemberContent, Option<Digest>), MemberError>),
}

/// The sink a worker parses into: records the calls and sends them on in batches.
struct Recorder {
    tx: SyncSender<Batch>,
    /// The layer's place in the jobs, and the room the recordings ahead share.
    layer: usize,
    ahead: Arc<Ahead>,
    policy: CapturePolicy,
    batch: Events,
    /// The parser thread is gone (it failed or finished early): stop.
    closed: bool,
    /// With timings: how long, and how often, a full channel held the worker up.
    waits: Option<(std::time::Duration, u64)>,
}

impl Recorder {
    fn push(&mut self, event: Event) {
        self.batch.events.push(event);
        if self.batch.weight() >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.events.is_empty() || self.closed {
            return;
        }
        // A batch waits in its channel until the replay reaches its layer, so it goes in
        // vectors of its exact size, copied out of the recorder's own, which are reused:
        // grown by doubling, 8 MiB of recordings ahead held up to twice that (on the ML
        // archive, peak RSS during the read 54 MB against 46 MB exact), and shrunk in
        // place they left a free tail behind each batch in the heap.
        let events = Events {
            bytes: self.batch.bytes.as_slice().to_vec(),
            events: self.batch.events.drain(..).collect(),
        };
        self.batch.bytes.clear();
        let start = self.waits.is_some().then(std::time::Instant::now);
        match (
            self.ahead.reserve(self.layer, events.weight()),
            &mut self.waits,
            start,
        ) {
            (None, _, _) => {
                self.closed = true;
                return;
            }
            (Some(true), Some((waited, count)), Some(start)) => {
                *waited += start.elapsed();
                *count += 1;
            }
            _ => {}
        }
        let batch = Batch::Events(events);
        let batch = match (&mut self.waits, self.tx.try_send(batch)) {
            (_, Ok(())) => return,
            (_, Err(TrySendError::Disconnected(_))) => Err(()),
            (None, Err(TrySendError::Full(batch))) => self.tx.send(batch).map_err(|_| ()),
            (Some((waited, count)), Err(TrySendError::Full(batch))) => {
                let start = std::time::Instant::now();
                let sent = self.tx.send(batch).map_err(|_| ());
                *waited += start.elapsed();
                *count += 1;
                sent
            }
        };
        if batch.is_err() {
            self.closed = true;
        }
    }
}

impl LayerSink for Recorder {
    fn begin_layer(&mut self, _member: &str) {
        self.push(Event::Begin);
    }

    fn capture(&mut self, path: &[u8], size: u64) -> Capture {
        (self.policy)(path, size)
    }

    fn entry(&mut self, e: &RawEntry<'_>) -> Result<(), Refused> {
        if self.closed {
            return Err(Refused::Stopped);
        }
        let b = &mut self.batch;
        let recorded = Recorded {
            path: b.keep(e.path),
            link: e.link.map(|l| b.keep(l)),
            head: b.keep(e.head),
            content: e.content.map(|c| b.keep(c)),
            kind: e.kind,
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            stored: e.stored,
        };
        self.push(Event::Entry(recorded));
        Ok(())
    }

    fn file_digest(&mut self, digest: Digest) {
        self.push(Event::Digest(digest));
    }

    fn end_layer(&mut self, _member: &str, blob: &LayerBlob) {
        self.push(Event::End(blob.clone()));
    }
}

/// Where a worker reads a layer's bytes from: all that differs between an archive file
/// and a registry.
pub(crate) enum LayerBytes {
    /// A member of the archive file at `path`, read from its offset.
    File { path: PathBuf, planned: Planned },
    /// A blob as it downloads, taken by the worker that reads it.
    Stream {
        size: u64,
        stream: Mutex<Option<Box<dyn BlobStream>>>,
    },
}

impl LayerBytes {
    /// A blob to read as it downloads.
    pub(crate) fn stream(size: u64, stream: Box<dyn BlobStream>) -> LayerBytes {
        LayerBytes::Stream {
            size,
            stream: Mutex::new(Some(stream)),
        }
    }
}

/// A layer to read in a worker, and where its recording goes.
pub(crate) struct Job {
    bytes: LayerBytes,
    tx: SyncSender<Batch>,
    layer: usize,
    ahead: Arc<Ahead>,
}

/// A layer's recording as the main pass takes it, in its turn.
pub(crate) struct Recording {
    rx: Receiver<Batch>,
    layer: usize,
    ahead: Arc<Ahead>,
}

/// What the recordings not yet replayed hold, together: the workers ahead of the layer
/// being replayed wait while that is [`AHEAD_BYTES`] or more. Each layer's channel
/// bounds only that layer: a worker that finished a layer ahead takes the next one, so
/// on the ML archive one worker held two layers' recordings, 13 MB, while the other
/// read the 2 GB TensorFlow layer. The live layer's worker never waits here, and the
/// jobs are taken in order, so the live layer always has a worker or a free one takes it:
/// no deadlock.
#[derive(Default)]
pub(crate) struct Ahead {
    state: Mutex<AheadState>,
    room: Condvar,
}

#[derive(Default)]
struct AheadState {
    held: usize,
    /// The layer being replayed.
    live: usize,
    /// The main pass is over: no one replays, no one should wait.
    closed: bool,
}

impl Ahead {
    /// Counts `weight` more bytes recorded for `layer`, waiting first while the layers
    /// ahead hold their share. Whether it waited; `None` once the main pass is over.
    fn reserve(&self, layer: usize, weight: usize) -> Option<bool> {
        let mut state = self.state.lock().ok()?;
        let mut waited = false;
        while !state.closed
            && layer != state.live
            && state.held > 0
            && state.held + weight > AHEAD_BYTES
        {
            state = self.room.wait(state).ok()?;
            waited = true;
        }
        state.held += weight;
        (!state.closed).then_some(waited)
    }

    fn update(&self, change: impl FnOnce(&mut AheadState)) {
        if let Ok(mut state) = self.state.lock() {
            change(&mut state);
            self.room.notify_all();
        }
    }

    /// The replay took `weight` bytes of recordings.
    fn release(&self, weight: usize) {
        self.update(|s| s.held = s.held.saturating_sub(weight));
    }

    /// The replay reached `layer`.
    fn live(&self, layer: usize) {
        self.update(|s| s.live = layer);
    }

    /// The main pass is over: wakes every worker waiting for room.
    pub(crate) fn close(&self) {
        self.update(|s| s.closed = true);
    }
}

/// Batches each layer's channel holds, with `workers` workers: the workers ahead of the
/// replay share [`AHEAD_BYTES`], so memory stays bounded however many run (at most
/// about twice that: the live layer's channel may fill too, when the replay is slower).
pub(crate) fn batches(workers: usize) -> usize {
    BATCHES.max(AHEAD_BYTES / BATCH_BYTES / workers.saturating_sub(1).max(1))
}

/// Channels for `layers`, read by `workers` workers: the jobs for the workers, and the
/// recordings the main pass takes, in the same order, sharing `ahead`.
pub(crate) fn jobs(
    layers: Vec<LayerBytes>,
    workers: usize,
    ahead: &Arc<Ahead>,
) -> (Vec<Job>, Vec<Recording>) {
    layers
        .into_iter()
        .enumerate()
        .map(|(layer, bytes)| {
            let (tx, rx) = sync_channel(batches(workers));
            let ahead = Arc::clone(ahead);
            let job = Job {
                bytes,
                tx,
                layer,
                ahead: Arc::clone(&ahead),
            };
            (job, Recording { rx, layer, ahead })
        })
        .unzip()
}

/// A worker: takes the next job (in order) until none is left, and reads each layer with
/// the two-thread pipeline into a [`Recorder`].
pub(crate) fn work(
    label: &str,
    jobs: &[Job],
    next: &AtomicUsize,
    opts: &ReadOptions,
    policy: CapturePolicy,
) {
    super::NESTED.with(|n| n.set(true));
    // Progress is counted by the main pass, which reads past a file's bytes; a blob's
    // bytes only a worker reads, and counts.
    let progress = opts.progress.clone();
    let opts = ReadOptions {
        progress: None,
        ..opts.clone()
    };
    let mut waits = crate::timings::wanted().then_some((std::time::Duration::ZERO, 0));
    loop {
        let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else {
            if let Some((waited, count)) = waits {
                let what = "layer worker (for the replay to reach its layer)";
                crate::timings::waited(what, waited.as_secs_f64(), count);
            }
            return;
        };
        let done = read_one(label, job, &opts, progress.as_ref(), policy, &mut waits);
        // The main pass may have stopped: then no one listens, and that is fine.
        let _ = job.tx.send(Batch::Done(done));
    }
}

fn read_one(
    label: &str,
    job: &Job,
    opts: &ReadOptions,
    progress: Option<&Arc<Progress>>,
    policy: CapturePolicy,
    waits: &mut Option<(std::time::Duration, u64)>,
) -> Result<(MemberContent, Option<Digest>), MemberError> {
    let mut recorder = Recorder {
        tx: job.tx.clone(),
        layer: job.layer,
        ahead: Arc::clone(&job.ahead),
        policy,
        batch: Events::sized(),
        closed: false,
        waits: waits.take(),
    };
    let read = read_into(label, job, opts, progress, &mut recorder);
    *waits = recorder.waits;
    read
}

/// [`read_one`] into `recorder`, from where the job's bytes are.
fn read_into(
    label: &str,
    job: &Job,
    opts: &ReadOptions,
    progress: Option<&Arc<Progress>>,
    recorder: &mut Recorder,
) -> Result<(MemberContent, Option<Digest>), MemberError> {
    match &job.bytes {
        LayerBytes::File { path, planned } => {
            let Planned {
                offset,
                size,
                plain,
            } = *planned;
            let mut file = File::open(path)
                .map_err(|e| MemberError::Read(format!("cannot open the archive again: {e}")))?;
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| MemberError::Read(super::super::layer::describe_io(&e, "member")))?;
            // The main pass passes over this member: its bytes are counted here.
            if let Some(p) = progress {
                p.layer_begun();
            }
            let counted = counting((&file).take(size), progress);
            if plain {
                let read = super::plain::record(counted, size, recorder, opts);
                recorder.flush();
                return read;
            }
            record(label, counted, size, recorder, opts)
        }
        LayerBytes::Stream { size, stream } => {
            let taken = stream.lock().ok().and_then(|mut s| s.take());
            let Some(mut stream) = taken else {
                return Err(MemberError::Internal("a blob was read twice"));
            };
            let read = record(
                label,
                counting(&mut stream, progress),
                *size,
                recorder,
                opts,
            );
            match read {
                // The blob's own size or digest failure explains what the decoder or
                // the parser said of its bytes; not worth a download once the main
                // pass has stopped for another reason.
                Err(problem) if !recorder.closed => {
                    Err(stream.failure().map_or(problem, MemberError::Read))
                }
                read => read,
            }
        }
    }
}

/// A layer's bytes as a worker reads them, counted in `progress`: the main pass reads
/// none of them.
fn counting<R: Read>(inner: R, progress: Option<&Arc<Progress>>) -> super::super::Counting<R> {
    super::super::Counting {
        inner,
        progress: progress.cloned(),
        total: Arc::new(AtomicU64::new(0)),
    }
}

/// Reads the layer member `reader` (`size` bytes) with the two-thread pipeline into
/// `recorder`: its content and its digest as stored (with `verify`), or the problem that
/// stopped it, the one a sequential read reports.
fn record(
    label: &str,
    reader: impl Read,
    size: u64,
    recorder: &mut Recorder,
    opts: &ReadOptions,
) -> Result<(MemberContent, Option<Digest>), MemberError> {
    let raw = super::super::RawArchive {
        label: label.to_string(),
        ..super::super::RawArchive::default()
    };
    // The member's name is the main pass's business: the recording is replayed under it.
    const NAME: &str = "layer";
    let (result, outcome) = super::run(recorder, opts, |feeder| {
        super::super::read_member(&raw, NAME, size, reader, feeder, opts)
    });
    recorder.flush();
    // The error a sequential read reports (see `finish`): the reader's own, else the
    // parser's.
    let member = match (result, outcome.error) {
        (Ok(member), None) => member,
        (Err(super::super::Walk::Failed(e)), _) => {
            return Err(MemberError::Read(match e {
                crate::error::Error::Input { problem, .. } => problem,
                e => e.to_string(),
            }));
        }
        (_, Some((_, problem))) => return Err(MemberError::Read(problem)),
        (Err(super::super::Walk::Stopped), None) => {
            return Err(MemberError::Internal("reading stopped without a reason"));
        }
    };
    let content = outcome
        .results
        .into_iter()
        .next()
        .map_or(member.content, |(_, content)| content);
    Ok((content, member.sha256))
}

/// Replays the recording of the member `name` into `sink`, as reading it would have
/// called it; `before` entries of earlier layers count against the image's limit.
/// Returns the member's content and its digest as stored, or the problem that stopped it.
pub(crate) fn replay(
    name: &str,
    recording: &Recording,
    sink: &mut dyn LayerSink,
    opts: &ReadOptions,
    before: u64,
) -> Result<(MemberContent, Option<Digest>), MemberError> {
    let mut count = before;
    let refused = |error| MemberError::Layer {
        what: "layer",
        error,
    };
    recording.ahead.live(recording.layer);
    loop {
        match recording.rx.recv() {
            Ok(Batch::Events(batch)) => {
                recording.ahead.release(batch.weight());
                for event in &batch.events {
                    match event {
                        Event::Begin => sink.begin_layer(name),
                        Event::Entry(e) => {
                            count += 1;
                            if count > opts.limits.max_entries {
                                let max = opts.limits.max_entries;
                                return Err(refused(LayerError::ImageEntries(max)));
                            }
                            // The sink is not asked what to capture again: a sink with a
                            // capture policy decides by path and size alone, and the
                            // recorder asked it. (Asking again classified every path
                            // twice: 40 ms of the ML image's read, perf.)
                            let raw = batch.raw(e);
                            sink.entry(&raw)
                                .map_err(|e| refused(LayerError::Refused(e)))?;
                        }
                        Event::Digest(d) => sink.file_digest(*d),
                        Event::End(blob) => sink.end_layer(name, blob),
                    }
                }
            }
            Ok(Batch::Done(done)) => return done,
            Err(_) => return Err(MemberError::Internal("a layer worker stopped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::collect::Collector;
    use crate::source::Source;
    use synth::{Flavour, Image, Layer, Options};

    /// Ten layers with what the sink and the collector look at: files (the same and
    /// different contents), a secret, a key, a package database, an ELF head, links,
    /// whiteouts and an opaque directory.
    fn ten_layers() -> Vec<Layer> {
        (0..10)
            .map(|i| {
                let mut l = Layer::new().dir("app/").dir(&format!("d{i}/"));
                for f in 0..(40 + 30 * i) {
                    let body: Vec<u8> = (0..(f * 97 + i * 13) % 5000)
                        .map(|b| (b * 31 + f + i) as u8)
                        .collect();
                    l = l.file(&format!("d{i}/f{f}.bin"), body);
                }
                l = l
                    .file("app/shared.txt", vec![b'x'; 3000])
                    .file(&format!("app/config{i}.yaml"), format!("password: hunter{i}hunter\n"))
                    .file("bin/tool", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0".to_vec())
                    .symlink(&format!("app/link{i}"), "shared.txt")
                    .hardlink(&format!("app/hard{i}"), "app/shared.txt");
                match i {
                    0 => l.file(
                        "var/lib/dpkg/status",
                        "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\nInstalled-Size: 160\n\n",
                    ),
                    3 => l.file("app/.env", "AWS_ACCESS_KEY_ID=AKIAZ7Q3EXAMPLE4ML23\n"),
                    5 => l.whiteout("d1").file(
                        "srv/key.pem",
                        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
                    ),
                    7 => l.opaque("d2"),
                    _ => l,
                }
            })
            .collect()
    }

    fn archive(compression: synth::Compression) -> tempfile::NamedTempFile {
        let bytes = synth::write_archive(
            &[Image::new(ten_layers())],
            &Options::new(Flavour::Docker25).layer_compression(compression),
        )
        .expect("archive");
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, &bytes).expect("write");
        file
    }

    /// Reads `path` as if the machine had `cores` cores; everything a report is made
    /// of, as text, or the error.
    fn read(path: &Path, cores: usize, verify: bool) -> String {
        let mut collector = Collector::default();
        let opts = ReadOptions {
            verify,
            ..ReadOptions::default()
        };
        let index = match read_on(path, cores, opts, Some(&mut collector)) {
            Ok(index) => index,
            Err(e) => return format!("error: {e}"),
        };
        let collected = collector.resolve(&index);
        let mut magic: Vec<_> = collected.magic.iter().collect();
        magic.sort();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{magic:?}\n{:?}\n{:?}",
            index.entries,
            index.digests,
            index.link_targets,
            index.layers,
            index.warnings,
            index.input_bytes,
            collected.records,
            collected.secrets
        )
    }

    /// The index of `path` read with `opts` as if the machine had `cores` cores.
    fn read_on(
        path: &Path,
        cores: usize,
        opts: ReadOptions,
        collector: Option<&mut Collector>,
    ) -> crate::error::Result<crate::index::Index> {
        super::super::TEST_CORES.with(|c| c.set(Some(cores)));
        let opts = crate::pipeline::Options {
            read: opts,
            ..crate::pipeline::Options::default()
        };
        let inspector = collector.map(|c| c as &mut dyn crate::index::ContentInspector);
        let read = crate::pipeline::read_index(&Source::Path(path.to_path_buf()), &opts, inspector);
        super::super::TEST_CORES.with(|c| c.set(None));
        read
    }

    #[test]
    fn layers_read_in_parallel_index_as_read_one_after_the_other() {
        for compression in [
            synth::Compression::Gzip,
            synth::Compression::Zstd,
            synth::Compression::None,
        ] {
            let file = archive(compression);
            let planned = plan(file.path()).expect("a plan");
            assert_eq!(planned.len(), 10, "{compression:?}");
            let plain = compression == synth::Compression::None;
            assert!(planned.iter().all(|p| p.plain == plain), "{compression:?}");
            for verify in [false, true] {
                let one = read(file.path(), 1, verify);
                assert!(!one.starts_with("error"), "{one}");
                assert!(one.contains("env_file") && one.contains("private_key"));
                for cores in [2, 3, 16] {
                    assert_eq!(
                        read(file.path(), cores, verify),
                        one,
                        "{compression:?}, verify {verify}, {cores} cores"
                    );
                }
            }
        }
    }

    #[test]
    fn a_corrupt_layer_read_in_parallel_fails_as_read_one_after_the_other() {
        let file = archive(synth::Compression::Gzip);
        let planned = plan(file.path()).expect("a plan");
        let mut bytes = std::fs::read(file.path()).expect("read");
        // The fourth layer's first deflate block gets the invalid block type 3, which
        // the decoder rejects before it yields a byte (corruption further on fails at a
        // moment that depends on the race between decoder and parser, also when read
        // one layer after the other).
        let at = planned[3].offset as usize + 10;
        *bytes.get_mut(at).expect("in the file") |= 0b110;
        let mut corrupt = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut corrupt, &bytes).expect("write");
        let one = read(corrupt.path(), 1, false);
        assert!(one.starts_with("error: "), "{one}");
        assert_eq!(read(corrupt.path(), 2, false), one);
    }

    /// An uncompressed layer read by a worker on its one thread ([`super::super::plain`])
    /// fails as the sequential read does: a corrupt tar header inside the fourth layer,
    /// and the archive cut off in the middle of it.
    #[test]
    fn a_corrupt_uncompressed_layer_read_in_parallel_fails_as_read_one_after_the_other() {
        let file = archive(synth::Compression::None);
        let planned = plan(file.path()).expect("a plan");
        let bytes = std::fs::read(file.path()).expect("read");
        let fourth = planned[3].offset as usize;
        let mut bad_header = bytes.clone();
        // The checksum field of the layer's first header.
        *bad_header.get_mut(fourth + 150).expect("in the file") ^= 0x07;
        let cut = bytes[..fourth + planned[3].size as usize / 2].to_vec();
        for (case, bytes) in [("bad header", bad_header), ("cut", cut)] {
            let mut corrupt = tempfile::NamedTempFile::new().expect("temp file");
            std::io::Write::write_all(&mut corrupt, &bytes).expect("write");
            let one = read(corrupt.path(), 1, false);
            assert!(one.starts_with("error: "), "{case}: {one}");
            for cores in [2, 4] {
                assert_eq!(
                    read(corrupt.path(), cores, false),
                    one,
                    "{case}, {cores} cores"
                );
            }
        }
    }

    /// The recordings ahead of the replay share one budget: a worker ahead waits while
    /// it is spent, the live layer's worker never does, and closing wakes every waiter.
    #[test]
    fn recordings_ahead_share_one_budget() {
        use std::sync::mpsc::channel;
        use std::time::Duration;
        let ahead = Arc::new(Ahead::default());
        // Nothing held: even a batch over the budget goes.
        assert_eq!(ahead.reserve(1, AHEAD_BYTES), Some(false));
        // The live layer (0) goes, over the budget.
        assert_eq!(ahead.reserve(0, 10), Some(false));
        let waiter = |layer: usize| {
            let (tx, rx) = channel();
            let ahead = Arc::clone(&ahead);
            std::thread::spawn(move || tx.send(ahead.reserve(layer, 10)));
            rx
        };
        let second = waiter(2);
        assert!(
            second.recv_timeout(Duration::from_millis(100)).is_err(),
            "waits"
        );
        ahead.release(AHEAD_BYTES);
        assert_eq!(second.recv_timeout(Duration::from_secs(10)), Ok(Some(true)));
        // The replay moves to layer 1, whose worker goes whatever is held.
        ahead.live(1);
        assert_eq!(ahead.reserve(1, AHEAD_BYTES), Some(false));
        let third = waiter(3);
        assert!(
            third.recv_timeout(Duration::from_millis(100)).is_err(),
            "waits"
        );
        ahead.live(3);
        assert_eq!(third.recv_timeout(Duration::from_secs(10)), Ok(Some(true)));
        let fourth = waiter(4);
        assert!(
            fourth.recv_timeout(Duration::from_millis(100)).is_err(),
            "waits"
        );
        ahead.close();
        assert_eq!(fourth.recv_timeout(Duration::from_secs(10)), Ok(None));
    }

    /// Progress counts every byte of the archive once, where it is read (the workers'
    /// members by the workers, the rest by the main pass), and every layer, as a
    /// sequential read does.
    #[test]
    fn progress_counts_the_archive_once_when_workers_read_it() {
        for compression in [synth::Compression::None, synth::Compression::Zstd] {
            let file = archive(compression);
            let len = std::fs::metadata(file.path()).expect("metadata").len();
            for cores in [1, 2] {
                let progress = Arc::new(Progress::default());
                let opts = ReadOptions {
                    progress: Some(Arc::clone(&progress)),
                    ..ReadOptions::default()
                };
                let what = format!("{compression:?}, {cores} cores");
                assert!(read_on(file.path(), cores, opts, None).is_ok(), "{what}");
                assert_eq!(progress.bytes.load(Ordering::Relaxed), len, "{what}");
                assert_eq!(progress.layer.load(Ordering::Relaxed), 10, "{what}");
            }
        }
    }

    #[test]
    fn only_archive_files_with_several_layers_are_planned() {
        let one_layer = synth::write_archive(
            &[Image::new(vec![Layer::new().file("a", "b")])],
            &Options::new(Flavour::Docker25).layer_compression(synth::Compression::Gzip),
        )
        .expect("archive");
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, &one_layer).expect("write");
        assert!(plan(file.path()).is_none());
    }

    /// An OCI layout's members as a registry hands them over: the small ones, then each
    /// layer blob as a stream (`corrupt`: the blob whose bytes fail their digest).
    struct Fake {
        small: std::collections::VecDeque<(String, Vec<u8>)>,
        blobs: std::collections::VecDeque<(String, Vec<u8>)>,
        jobs: usize,
        corrupt: Option<String>,
        current: Option<String>,
    }

    struct FakeBlob {
        bytes: std::io::Cursor<Vec<u8>>,
        failure: Option<String>,
    }

    impl Read for FakeBlob {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.bytes.read(buf)
        }
    }

    impl BlobStream for FakeBlob {
        fn failure(&mut self) -> Option<String> {
            self.failure.clone()
        }
    }

    impl Fake {
        fn new(archive: &[u8], jobs: usize, corrupt: Option<usize>) -> Fake {
            let mut fake = Fake {
                small: Default::default(),
                blobs: Default::default(),
                jobs,
                corrupt: None,
                current: None,
            };
            let mut tar = tar::Archive::new(archive);
            for entry in tar.entries().expect("a tar") {
                let mut entry = entry.expect("an entry");
                if entry.header().entry_type() != tar::EntryType::Regular {
                    continue;
                }
                let name = entry.path().expect("a name").display().to_string();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("read");
                if bytes.starts_with(b"\x1f\x8b") || bytes.starts_with(b"\x28\xb5\x2f\xfd") {
                    if corrupt == Some(fake.blobs.len()) {
                        // Bytes that decode as nothing: the decoder fails, and the
                        // digest check names the real cause.
                        let mid = bytes.len() / 2;
                        bytes.get_mut(mid..).expect("a half").fill(0xa5);
                        fake.corrupt = Some(name.clone());
                    }
                    fake.blobs.push_back((name, bytes));
                } else {
                    fake.small.push_back((name, bytes));
                }
            }
            fake
        }

        fn blob(&self, name: &str, bytes: Vec<u8>) -> FakeBlob {
            FakeBlob {
                bytes: std::io::Cursor::new(bytes),
                failure: (self.corrupt.as_deref() == Some(name))
                    .then(|| format!("{name}: bytes whose SHA-256 is not the descriptor's")),
            }
        }
    }

    impl crate::source::MemberSource for Fake {
        fn next_member(&mut self) -> crate::Result<Option<crate::source::SourceMember<'_>>> {
            let Some((name, bytes)) = self.small.pop_front().or_else(|| self.blobs.pop_front())
            else {
                return Ok(None);
            };
            self.current = Some(name.clone());
            Ok(Some(crate::source::SourceMember {
                size: bytes.len() as u64,
                reader: Box::new(self.blob(&name, bytes)),
                name,
            }))
        }

        fn failure(&mut self) -> Option<String> {
            let current = self.current.clone()?;
            self.blob(&current, Vec::new()).failure
        }

        fn take_blobs(&mut self) -> Option<crate::source::SourceBlobs> {
            if self.jobs < 2 {
                return None;
            }
            let blobs = std::mem::take(&mut self.blobs)
                .into_iter()
                .map(|(name, bytes)| crate::source::SourceBlob {
                    size: bytes.len() as u64,
                    stream: Box::new(self.blob(&name, bytes)),
                    name,
                })
                .collect();
            Some(crate::source::SourceBlobs {
                blobs,
                jobs: self.jobs,
            })
        }
    }

    /// The JSON report of `fake` read as if the machine had `cores` cores, or the error.
    fn report(fake: Fake, cores: usize, verify: bool) -> String {
        super::super::TEST_CORES.with(|c| c.set(Some(cores)));
        let opts = crate::pipeline::Options {
            read: ReadOptions {
                verify,
                ..ReadOptions::default()
            },
            ..crate::pipeline::Options::default()
        };
        let read = crate::pipeline::inspect_opened(
            "registry",
            crate::source::Opened::Members(Box::new(fake)),
            &opts,
        );
        super::super::TEST_CORES.with(|c| c.set(None));
        match read {
            Ok(inspected) => serde_json::to_string(&inspected.report).expect("JSON"),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn registry_blobs_read_by_workers_report_as_read_one_after_the_other() {
        for compression in [synth::Compression::Gzip, synth::Compression::Zstd] {
            let bytes = synth::write_archive(
                &[Image::new(ten_layers())],
                &Options::new(Flavour::OciArchive).layer_compression(compression),
            )
            .expect("archive");
            for verify in [false, true] {
                let one = report(Fake::new(&bytes, 3, None), 1, verify);
                assert!(one.contains("private_key"), "{one}");
                assert_eq!(report(Fake::new(&bytes, 1, None), 2, verify), one);
                for jobs in [2, 3, 8] {
                    assert_eq!(
                        report(Fake::new(&bytes, jobs, None), 2, verify),
                        one,
                        "{compression:?}, verify {verify}, {jobs} jobs"
                    );
                }
            }
            // A blob that fails its digest: the same one line, naming the blob.
            let one = report(Fake::new(&bytes, 3, Some(4)), 1, false);
            assert!(one.contains("SHA-256 is not the descriptor's"), "{one}");
            assert_eq!(report(Fake::new(&bytes, 3, Some(4)), 2, false), one);
        }
    }

    #[test]
    fn layers_in_flight_are_capped_by_cores_jobs_and_memory() {
        assert_eq!(in_flight(2, 10), 2);
        assert_eq!(in_flight(64, 10), MAX_IN_FLIGHT);
        assert_eq!(in_flight(16, 3), 3);
        assert_eq!(in_flight(1, 10), 1);
        // The workers ahead share 8 MiB of recordings, never less than 8 batches each.
        assert_eq!(batches(2), AHEAD_BYTES / BATCH_BYTES);
        assert_eq!(batches(3), AHEAD_BYTES / BATCH_BYTES / 2);
        assert_eq!(batches(64), BATCHES);
    }

    #[test]
    fn a_recorded_event_stays_small() {
        // Two per file (the entry, its digest): what a layer's recording costs per file,
        // which sizes `AHEAD_BYTES` (docs/performance.md, "Compressed layers in parallel").
        assert!(
            std::mem::size_of::<Event>() <= 120,
            "{}",
            std::mem::size_of::<Event>()
        );
    }
}
