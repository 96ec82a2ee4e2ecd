//! Hashing the content of every regular file of a layer: the largest cost per byte on an
//! uncompressed archive. [`Inline`] hashes on the calling thread; [`Offloaded`] hands the
//! bytes to a thread of its own, so that parsing and hashing run on different cores.
//! Either way the digests come out in file order.
//!
//! Content that sits in one of the pipeline's chunks ([`FileHasher::update_shared`]) is not
//! copied at all: the inline hasher reads it where it is, and the hasher thread gets a
//! reference to the chunk, which goes back to the reader thread once both are done with
//! it (see [`super::chunk`]). Only content that is not in a chunk ([`FileHasher::update`]: sparse files, the
//! layer parser on its own) is copied, into job buffers.

use super::chunk::Chunk;
use super::digest::Digest;
use sha2::{Digest as _, Sha256};
use std::collections::VecDeque;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

/// Where the layer parser puts file contents to be hashed.
pub(crate) trait FileHasher {
    /// The next bytes of the current file.
    fn update(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The next bytes of the current file are `chunk[range]`.
    fn update_shared(&mut self, chunk: &Chunk, range: Range<usize>) -> io::Result<()>;
    /// The current file is complete: its digest will come from
    /// [`FileHasher::next_digest`], after those of the files before it.
    fn end_file(&mut self) -> io::Result<()>;
    /// The digest of the oldest ended file not yet handed out. Without `wait`, `None`
    /// when it is not ready yet; with `wait`, `None` only when every ended file's digest
    /// has been handed out.
    fn next_digest(&mut self, wait: bool) -> io::Result<Option<Digest>>;
}

/// Hashes on the calling thread, where the bytes are.
pub(crate) struct Inline {
    sha: Sha256,
    ready: VecDeque<Digest>,
}

impl Inline {
    pub(crate) fn new() -> Inline {
        Inline {
            sha: Sha256::new(),
            ready: VecDeque::new(),
        }
    }
}

impl FileHasher for Inline {
    fn update(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sha.update(bytes);
        Ok(())
    }

    fn update_shared(&mut self, chunk: &Chunk, range: Range<usize>) -> io::Result<()> {
        self.sha.update(chunk.get(range).unwrap_or_default());
        Ok(())
    }

    fn end_file(&mut self) -> io::Result<()> {
        self.ready
            .push_back(Digest(self.sha.finalize_reset().into()));
        Ok(())
    }

    fn next_digest(&mut self, _wait: bool) -> io::Result<Option<Digest>> {
        Ok(self.ready.pop_front())
    }
}

/// Bytes of a job's copy buffer: the content of many small files, or a slice of a large
/// one.
const JOB_BYTES: usize = 256 * 1024;
/// Jobs in existence: each holds at most one chunk and one copy buffer, so this bounds
/// the memory the hasher thread holds to about 4 MiB.
const JOBS: usize = 8;
/// A job is sent when this many files end in it, even if it is not full: the digests of
/// many empty or tiny files should not wait long.
const MAX_ENDS: usize = 1024;

/// One step of a job, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Hash `data[range]` of the job's copy buffer.
    Copied(Range<usize>),
    /// Hash `chunk[range]` of the job's chunk.
    Shared(Range<usize>),
    /// The current file ends: send its digest.
    End,
}

/// Bytes to hash and where files end in them. A file may start in one job and end in a
/// later one: the hasher thread carries its state over.
#[derive(Default)]
struct Job {
    /// Copied bytes; allocated on the first copy.
    data: Vec<u8>,
    len: usize,
    /// The chunk that [`Op::Shared`] steps refer to.
    chunk: Option<Chunk>,
    ops: Vec<Op>,
    ends: usize,
}

impl Job {
    fn push(&mut self, op: Op) {
        // Adjacent ranges of the same buffer become one step.
        match (self.ops.last_mut(), &op) {
            (Some(Op::Copied(last)), Op::Copied(next))
            | (Some(Op::Shared(last)), Op::Shared(next))
                if last.end == next.start =>
            {
                last.end = next.end;
            }
            _ => self.ops.push(op),
        }
    }
}

/// Hashes on a thread of its own (see [`Offloaded::spawn`]).
pub(crate) struct Offloaded {
    job: Option<Job>,
    /// Jobs sent to the hasher thread.
    to_hasher: Sender<Job>,
    /// Jobs coming back, emptied.
    free: Receiver<Job>,
    /// Jobs made so far (at most [`JOBS`]).
    made: usize,
    digests: Receiver<Digest>,
    /// Files ended whose digest has not been handed out.
    outstanding: usize,
}

impl Offloaded {
    /// Starts the hasher thread in `scope`; it ends when the returned value is dropped.
    /// `name` is the thread's in timings (none when empty).
    pub(crate) fn spawn<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        name: &'static str,
    ) -> Offloaded {
        let (to_hasher, jobs) = mpsc::channel::<Job>();
        let (free_tx, free) = mpsc::channel::<Job>();
        let (digest_tx, digests) = mpsc::channel::<Digest>();
        scope.spawn(move || {
            let _cpu = crate::timings::ThreadCpu(name);
            hash_jobs(&jobs, &free_tx, &digest_tx)
        });
        Offloaded {
            job: None,
            to_hasher,
            free,
            made: 0,
            digests,
            outstanding: 0,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if let Some(job) = self.job.take() {
            self.to_hasher.send(job).map_err(|_| stopped())?;
        }
        Ok(())
    }

    /// The current job: a reused one, a new one while fewer than [`JOBS`] exist, else the
    /// next one the hasher gives back.
    fn current(&mut self) -> io::Result<&mut Job> {
        if self.job.is_none() {
            let job = match self.free.try_recv() {
                Ok(job) => job,
                Err(_) if self.made < JOBS => {
                    self.made += 1;
                    Job::default()
                }
                Err(_) => self.free.recv().map_err(|_| stopped())?,
            };
            self.job = Some(job);
        }
        self.job.as_mut().ok_or_else(stopped)
    }
}

impl FileHasher for Offloaded {
    fn update(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.job.as_ref().is_some_and(|j| j.len >= JOB_BYTES) {
                self.send()?;
            }
            let job = self.current()?;
            if job.data.len() < JOB_BYTES {
                job.data.resize(JOB_BYTES, 0);
            }
            let start = job.len;
            let n = bytes.len().min(JOB_BYTES - start);
            let (now, rest) = bytes.split_at(n);
            if let Some(dst) = job.data.get_mut(start..start + n) {
                dst.copy_from_slice(now);
            }
            job.len = start + n;
            job.push(Op::Copied(start..start + n));
            bytes = rest;
        }
        Ok(())
    }

    fn update_shared(&mut self, chunk: &Chunk, range: Range<usize>) -> io::Result<()> {
        if range.is_empty() {
            return Ok(());
        }
        if self
            .job
            .as_ref()
            .is_some_and(|j| j.chunk.as_ref().is_some_and(|c| !Arc::ptr_eq(c, chunk)))
        {
            self.send()?;
        }
        let job = self.current()?;
        if job.chunk.is_none() {
            job.chunk = Some(Arc::clone(chunk));
        }
        job.push(Op::Shared(range));
        if chunk.is_ring() {
            // A job waiting for more keeps its piece of the ring from the reader, which
            // may be waiting for that memory while the parser waits for the reader (a
            // file, then megabytes of headers): it goes now.
            self.send()?;
        }
        Ok(())
    }

    fn end_file(&mut self) -> io::Result<()> {
        self.outstanding += 1;
        let job = self.current()?;
        job.push(Op::End);
        job.ends += 1;
        if job.ends >= MAX_ENDS {
            self.send()?;
        }
        Ok(())
    }

    fn next_digest(&mut self, wait: bool) -> io::Result<Option<Digest>> {
        if self.outstanding == 0 {
            return Ok(None);
        }
        let digest = match self.digests.try_recv() {
            Ok(d) => d,
            Err(_) if !wait => return Ok(None),
            Err(_) => {
                if self.job.as_ref().is_some_and(|j| j.ends > 0) {
                    self.send()?;
                }
                self.digests.recv().map_err(|_| stopped())?
            }
        };
        self.outstanding -= 1;
        Ok(Some(digest))
    }
}

fn stopped() -> io::Error {
    io::Error::other("internal error: the hasher thread stopped")
}

/// The hasher thread: hashes each job's steps, sends a digest at every file end, lets go
/// of the job's chunk and gives the emptied job back to the parser.
fn hash_jobs(jobs: &Receiver<Job>, free: &Sender<Job>, digests: &Sender<Digest>) {
    let mut sha = Sha256::new();
    while let Ok(mut job) = jobs.recv() {
        for op in &job.ops {
            match op {
                Op::Copied(r) => sha.update(job.data.get(r.clone()).unwrap_or_default()),
                Op::Shared(r) => {
                    let bytes = job.chunk.as_ref().and_then(|c| c.get(r.clone()));
                    sha.update(bytes.unwrap_or_default());
                }
                Op::End => {
                    if digests.send(Digest(sha.finalize_reset().into())).is_err() {
                        return;
                    }
                }
            }
        }
        job.chunk = None;
        job.len = 0;
        job.ends = 0;
        job.ops.clear();
        if free.send(job).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::chunk::Piece;
    use super::*;

    /// Feeds files of the given sizes through `h` and returns their digests. Every third
    /// file is copied in pieces of at most `piece` bytes; the others are handed over as
    /// ranges of chunks of `chunk` bytes, as the pipeline does: a file runs on into the
    /// next chunk where it is larger than what is left of one.
    fn run(h: &mut dyn FileHasher, sizes: &[usize], piece: usize, chunk: usize) -> Vec<Digest> {
        let shared = |i: usize| !i.is_multiple_of(3);
        // The stream of the shared files' bytes, cut into chunks.
        let stream: Vec<u8> = sizes
            .iter()
            .enumerate()
            .filter(|&(i, _)| shared(i))
            .flat_map(|(i, &s)| std::iter::repeat_n(i as u8, s))
            .collect();
        let chunks: Vec<Chunk> = stream
            .chunks(chunk)
            .map(|c| Piece::owned(c.to_vec(), None))
            .collect();
        let mut at = 0;
        let mut out = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let mut left = size;
            while left > 0 {
                let n = if shared(i) {
                    let (index, offset) = (at / chunk, at % chunk);
                    let n = left.min(chunk - offset);
                    h.update_shared(&chunks[index], offset..offset + n)
                        .expect("shared");
                    at += n;
                    n
                } else {
                    let n = left.min(piece);
                    h.update(&vec![i as u8; n]).expect("update");
                    n
                };
                left -= n;
            }
            h.end_file().expect("end");
            while let Some(d) = h.next_digest(false).expect("digest") {
                out.push(d);
            }
        }
        while let Some(d) = h.next_digest(true).expect("digest") {
            out.push(d);
        }
        out
    }

    #[test]
    fn a_ring_piece_goes_back_without_waiting_for_more_files() {
        use super::super::chunk::RingWriter;
        let mut ring = RingWriter::new(64);
        let mut pieces = Vec::new();
        let mut send = |c: Chunk| -> Result<(), ()> {
            pieces.push(c);
            Ok(())
        };
        let at = ring.room(64, &mut send).expect("send").expect("room");
        // SAFETY: `room` gave 64 writable bytes at `at`.
        unsafe { std::ptr::write_bytes(at, 5, 64) };
        ring.wrote(64);
        ring.flush(&mut send).expect("send");
        let piece = pieces.pop().expect("a piece");
        std::thread::scope(|scope| {
            let mut h = Offloaded::spawn(scope, "hasher");
            // Part of a file, not ended: nothing asks for its digest.
            h.update_shared(&piece, 0..10).expect("shared");
            drop(piece);
            // The writer gets the stretch back (it would wait forever otherwise).
            let mut send = |_: Chunk| -> Result<(), ()> { Ok(()) };
            assert!(ring.room(64, &mut send).expect("send").is_some());
        });
    }

    #[test]
    fn offloaded_digests_equal_inline_ones_in_file_order() {
        // Empty files, files across job and chunk boundaries, more ends than fit in one
        // job.
        let mut sizes = vec![0, 1, JOB_BYTES - 1, 2, 3 * JOB_BYTES + 5, 0, 0];
        sizes.extend(std::iter::repeat_n(7, 3 * MAX_ENDS));
        sizes.push(10 * JOB_BYTES);
        sizes.push(5);
        let expected: Vec<Digest> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| Digest::of(&vec![i as u8; s]))
            .collect();
        assert_eq!(run(&mut Inline::new(), &sizes, 1000, 4096), expected);
        for (piece, chunk) in [(1000, 4096), (usize::MAX, 100_000), (3, 512)] {
            std::thread::scope(|scope| {
                let mut h = Offloaded::spawn(scope, "hasher");
                assert_eq!(run(&mut h, &sizes, piece, chunk), expected);
            });
        }
    }
}
