//! Compressed layers of an archive file decoded in parallel, one per core.
//!
//! Decompression is the cost per byte of a gzip or zstd image, and one layer's stream can
//! only be decoded front to back. When the archive is a file (seekable) and holds several
//! compressed layers, each is read by a worker of its own, from its own offset: the worker
//! decodes, parses and hashes the layer with the usual two-thread pipeline, into a
//! [`Recorder`] that keeps the sink's calls (entries, digests, the layer's end) instead of
//! making them. The parser thread of the main pass replays the recordings in archive order
//! ([`replay`]), so the sink sees exactly what a sequential read shows it, and the overlay
//! still applies layers in order.
//!
//! Memory stays bounded: a worker hands its recording over in batches through a channel
//! of [`BATCHES`] slots, and waits when they are full; at most [`in_flight`] layers are
//! decoded at once. The worker of the layer being replayed always makes progress, so the
//! workers ahead of it wait at worst, never deadlock.

use super::super::layer::{
    Capture, CapturePolicy, LayerBlob, LayerSink, RawEntry, RawKind, Refused,
};
use super::{Digest, MemberContent, ReadOptions};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes (names, heads, captured contents, and the events' own) a batch holds before it
/// is handed over: a few hundred entries.
const BATCH_BYTES: usize = 96 * 1024;
/// Batches a worker may have waiting: with [`BATCH_BYTES`], under 1 MiB per layer in
/// flight (a captured file larger than a batch makes its batch larger).
const BATCHES: usize = 8;
/// At most this many layers are decoded at once, whatever the cores: each holds the
/// chunks of its own pipeline (about 2 MiB), its batches (2 MiB) and, for zstd, its
/// window, which is what bounds memory (docs/performance.md).
const MAX_IN_FLIGHT: usize = 8;

/// Layers decoded at once on `cores` cores, for `jobs` compressed layers.
pub(crate) fn in_flight(cores: usize, jobs: usize) -> usize {
    cores.min(MAX_IN_FLIGHT).min(jobs)
}

/// One compressed layer member found by [`plan`]: where its bytes are in the file.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// Where the member's data starts in the archive file.
    pub(crate) offset: u64,
    /// Its size as stored.
    pub(crate) size: u64,
}

/// The compressed (gzip or zstd) members of the uncompressed tar archive at `path`, in
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
        let mut magic = [0u8; 4];
        if size < 4 || read_at(&file, &mut magic, offset).is_err() {
            continue;
        }
        if magic.starts_with(b"\x1f\x8b") || magic == *b"\x28\xb5\x2f\xfd" {
            found.push(Planned { offset, size });
        }
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
    Done(Result<(MemberContent, Option<Digest>), String>),
}

/// The sink a worker parses into: records the calls and sends them on in batches.
struct Recorder {
    tx: SyncSender<Batch>,
    policy: CapturePolicy,
    batch: Events,
    /// The parser thread is gone (it failed or finished early): stop.
    closed: bool,
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
        let batch = std::mem::take(&mut self.batch);
        if self.tx.send(Batch::Events(batch)).is_err() {
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

/// A compressed layer to read in a worker, and where its recording goes.
pub(crate) struct Job {
    pub(crate) planned: Planned,
    pub(crate) tx: SyncSender<Batch>,
}

/// Channels for `planned`'s layers: the jobs for the workers, and the receivers the
/// main pass takes the recordings from, by the member's offset.
pub(crate) fn jobs(planned: Vec<Planned>) -> (Vec<Job>, Vec<(u64, Receiver<Batch>)>) {
    planned
        .into_iter()
        .map(|p| {
            let (tx, rx) = sync_channel(BATCHES);
            let offset = p.offset;
            (Job { planned: p, tx }, (offset, rx))
        })
        .unzip()
}

/// A worker: takes the next job (in archive order) until none is left, and reads each
/// member of `path` with the two-thread pipeline into a [`Recorder`].
pub(crate) fn work(
    path: &Path,
    label: &str,
    jobs: &[Job],
    next: &AtomicUsize,
    opts: &ReadOptions,
    policy: CapturePolicy,
) {
    super::NESTED.with(|n| n.set(true));
    // Progress is counted by the main pass, which reads past these bytes.
    let opts = ReadOptions {
        progress: None,
        ..opts.clone()
    };
    loop {
        let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else {
            return;
        };
        let done = read_one(path, label, job, &opts, policy);
        // The main pass may have stopped: then no one listens, and that is fine.
        let _ = job.tx.send(Batch::Done(done));
    }
}

fn read_one(
    path: &Path,
    label: &str,
    job: &Job,
    opts: &ReadOptions,
    policy: CapturePolicy,
) -> Result<(MemberContent, Option<Digest>), String> {
    let Planned { offset, size } = job.planned;
    let mut file = File::open(path).map_err(|e| format!("cannot open the archive again: {e}"))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| super::super::layer::describe_io(&e, "member"))?;
    let raw = super::super::RawArchive {
        label: label.to_string(),
        ..super::super::RawArchive::default()
    };
    let mut recorder = Recorder {
        tx: job.tx.clone(),
        policy,
        batch: Events::default(),
        closed: false,
    };
    // The member's name is the main pass's business: the recording is replayed under it.
    const NAME: &str = "layer";
    let (result, outcome) = super::run(&mut recorder, opts, |feeder| {
        super::super::read_member(&raw, NAME, size, (&file).take(size), feeder, opts)
    });
    recorder.flush();
    // The error a sequential read reports (see `finish`): the reader's own, else the
    // parser's.
    let member = match (result, outcome.error) {
        (Ok(member), None) => member,
        (Err(super::super::Walk::Failed(e)), _) => {
            return Err(match e {
                crate::error::Error::Input { problem, .. } => problem,
                e => e.to_string(),
            });
        }
        (_, Some((_, problem))) => return Err(problem),
        (Err(super::super::Walk::Stopped), None) => {
            return Err("internal error: reading stopped without a reason".to_string());
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
    rx: &Receiver<Batch>,
    sink: &mut dyn LayerSink,
    opts: &ReadOptions,
    before: u64,
) -> Result<(MemberContent, Option<Digest>), String> {
    let mut count = before;
    loop {
        match rx.recv() {
            Ok(Batch::Events(batch)) => {
                for event in &batch.events {
                    match event {
                        Event::Begin => sink.begin_layer(name),
                        Event::Entry(e) => {
                            count += 1;
                            if count > opts.limits.max_entries {
                                return Err(format!(
                                    "more than {} entries in the image (raise --max-entries to read it)",
                                    opts.limits.max_entries
                                ));
                            }
                            let raw = batch.raw(e);
                            if e.kind == RawKind::Regular {
                                // The sink's own choice is the recorder's (the same
                                // policy); asking keeps its state as a read would.
                                let _ = sink.capture(raw.path, e.size);
                            }
                            sink.entry(&raw).map_err(|e| e.to_string())?;
                        }
                        Event::Digest(d) => sink.file_digest(*d),
                        Event::End(blob) => sink.end_layer(name, blob),
                    }
                }
            }
            Ok(Batch::Done(done)) => return done,
            Err(_) => return Err("internal error: a layer worker stopped".to_string()),
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
        super::super::TEST_CORES.with(|c| c.set(Some(cores)));
        let mut collector = Collector::default();
        let opts = crate::pipeline::Options {
            read: ReadOptions {
                verify,
                ..ReadOptions::default()
            },
            ..crate::pipeline::Options::default()
        };
        let read = crate::pipeline::read_index(
            &Source::Path(path.to_path_buf()),
            &opts,
            Some(&mut collector),
        );
        super::super::TEST_CORES.with(|c| c.set(None));
        let index = match read {
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

    #[test]
    fn layers_read_in_parallel_index_as_read_one_after_the_other() {
        for compression in [synth::Compression::Gzip, synth::Compression::Zstd] {
            let file = archive(compression);
            let planned = plan(file.path()).expect("a plan");
            assert_eq!(planned.len(), 10, "{compression:?}");
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

    #[test]
    fn only_archive_files_with_several_compressed_layers_are_planned() {
        assert!(plan(archive(synth::Compression::None).path()).is_none());
        let one_layer = synth::write_archive(
            &[Image::new(vec![Layer::new().file("a", "b")])],
            &Options::new(Flavour::Docker25).layer_compression(synth::Compression::Gzip),
        )
        .expect("archive");
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, &one_layer).expect("write");
        assert!(plan(file.path()).is_none());
    }

    #[test]
    fn layers_in_flight_are_capped_by_cores_jobs_and_memory() {
        assert_eq!(in_flight(2, 10), 2);
        assert_eq!(in_flight(64, 10), MAX_IN_FLIGHT);
        assert_eq!(in_flight(16, 3), 3);
        assert_eq!(in_flight(1, 10), 1);
    }
}
