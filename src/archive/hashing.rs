//! Hashing the content of every regular file of a layer: the largest cost per byte on an
//! uncompressed archive. [`Inline`] hashes on the calling thread; [`Offloaded`] copies the
//! bytes once into job buffers that a thread of its own hashes, so that parsing and
//! hashing run on different cores. Either way the digests come out in file order.
//!
//! The layer parser reads each file's content straight into [`FileHasher::room`], so a
//! byte is copied once on its way from the tar stream to SHA-256.

use super::digest::Digest;
use sha2::{Digest as _, Sha256};
use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{self, Receiver, Sender};

/// Where the layer parser puts file contents to be hashed.
pub(crate) trait FileHasher {
    /// Room for the next bytes of the current file; never empty.
    fn room(&mut self) -> io::Result<&mut [u8]>;
    /// The first `n` bytes of the last [`FileHasher::room`] hold content.
    fn filled(&mut self, n: usize);
    /// The current file is complete: its digest will come from
    /// [`FileHasher::next_digest`], after those of the files before it.
    fn end_file(&mut self);
    /// The digest of the oldest ended file not yet handed out. Without `wait`, `None`
    /// when it is not ready yet; with `wait`, `None` only when every ended file's digest
    /// has been handed out.
    fn next_digest(&mut self, wait: bool) -> io::Result<Option<Digest>>;
}

/// Hashes on the calling thread, through a reused buffer.
pub(crate) struct Inline {
    buf: Vec<u8>,
    sha: Sha256,
    ready: VecDeque<Digest>,
}

impl Inline {
    pub(crate) fn new() -> Inline {
        Inline {
            buf: vec![0; 64 * 1024],
            sha: Sha256::new(),
            ready: VecDeque::new(),
        }
    }
}

impl FileHasher for Inline {
    fn room(&mut self) -> io::Result<&mut [u8]> {
        Ok(&mut self.buf)
    }

    fn filled(&mut self, n: usize) {
        self.sha.update(self.buf.get(..n).unwrap_or_default());
    }

    fn end_file(&mut self) {
        self.ready
            .push_back(Digest(self.sha.finalize_reset().into()));
    }

    fn next_digest(&mut self, _wait: bool) -> io::Result<Option<Digest>> {
        Ok(self.ready.pop_front())
    }
}

/// Bytes per job: the content of many small files, or a slice of a large one.
const JOB_BYTES: usize = 256 * 1024;
/// Jobs in existence: bounds the memory between the threads to 2 MiB.
const JOBS: usize = 8;
/// A job is sent when this many files end in it, even if it is not full: the digests of
/// many empty or tiny files should not wait long.
const MAX_ENDS: usize = 1024;

/// Bytes to hash and where files end in them. A file may start in one job and end in a
/// later one: the hasher thread carries its state over.
struct Job {
    data: Vec<u8>,
    len: usize,
    /// Offsets in `data` where a file ends, ascending.
    ends: Vec<usize>,
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
    pub(crate) fn spawn<'scope>(scope: &'scope std::thread::Scope<'scope, '_>) -> Offloaded {
        let (to_hasher, jobs) = mpsc::channel::<Job>();
        let (free_tx, free) = mpsc::channel::<Job>();
        let (digest_tx, digests) = mpsc::channel::<Digest>();
        scope.spawn(move || {
            let _cpu = super::pipeline::ThreadCpu("hasher");
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

    /// The current job, with room in it: a reused one, a new one while fewer than
    /// [`JOBS`] exist, else the next one the hasher gives back.
    fn current(&mut self) -> io::Result<&mut Job> {
        if self.job.as_ref().is_some_and(|j| j.len >= j.data.len()) {
            self.send()?;
        }
        if self.job.is_none() {
            let job = match self.free.try_recv() {
                Ok(job) => job,
                Err(_) if self.made < JOBS => {
                    self.made += 1;
                    Job {
                        data: vec![0; JOB_BYTES],
                        len: 0,
                        ends: Vec::new(),
                    }
                }
                Err(_) => self.free.recv().map_err(|_| stopped())?,
            };
            self.job = Some(job);
        }
        self.job.as_mut().ok_or_else(stopped)
    }
}

impl FileHasher for Offloaded {
    fn room(&mut self) -> io::Result<&mut [u8]> {
        let job = self.current()?;
        let len = job.len;
        Ok(job.data.get_mut(len..).unwrap_or_default())
    }

    fn filled(&mut self, n: usize) {
        if let Some(job) = self.job.as_mut() {
            job.len = (job.len + n).min(job.data.len());
        }
    }

    fn end_file(&mut self) {
        self.outstanding += 1;
        if let Ok(job) = self.current() {
            job.ends.push(job.len);
            if job.ends.len() >= MAX_ENDS {
                // A failed send shows as an error at the next digest.
                let _ = self.send();
            }
        }
    }

    fn next_digest(&mut self, wait: bool) -> io::Result<Option<Digest>> {
        if self.outstanding == 0 {
            return Ok(None);
        }
        let digest = match self.digests.try_recv() {
            Ok(d) => d,
            Err(_) if !wait => return Ok(None),
            Err(_) => {
                if self.job.as_ref().is_some_and(|j| !j.ends.is_empty()) {
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

/// The hasher thread: hashes each job's bytes, sends a digest at every file end, and
/// gives the job back.
fn hash_jobs(jobs: &Receiver<Job>, free: &Sender<Job>, digests: &Sender<Digest>) {
    let mut sha = Sha256::new();
    while let Ok(mut job) = jobs.recv() {
        let mut start = 0;
        for &end in &job.ends {
            sha.update(job.data.get(start..end).unwrap_or_default());
            if digests.send(Digest(sha.finalize_reset().into())).is_err() {
                return;
            }
            start = end;
        }
        sha.update(job.data.get(start..job.len).unwrap_or_default());
        job.len = 0;
        job.ends.clear();
        if free.send(job).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds files of the given sizes through `h` in pieces of at most `piece` bytes and
    /// returns their digests.
    fn run(h: &mut dyn FileHasher, sizes: &[usize], piece: usize) -> Vec<Digest> {
        let mut out = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let mut left = size;
            while left > 0 {
                let room = h.room().expect("room");
                let n = room.len().min(left).min(piece);
                for b in room.iter_mut().take(n) {
                    *b = i as u8;
                }
                h.filled(n);
                left -= n;
            }
            h.end_file();
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
    fn offloaded_digests_equal_inline_ones_in_file_order() {
        // Empty files, files across job boundaries, more ends than fit in one job.
        let mut sizes = vec![0, 1, JOB_BYTES - 1, 2, 3 * JOB_BYTES + 5, 0, 0];
        sizes.extend(std::iter::repeat_n(7, 3 * MAX_ENDS));
        sizes.push(10 * JOB_BYTES);
        let expected: Vec<Digest> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| Digest::of(&vec![i as u8; s]))
            .collect();
        assert_eq!(run(&mut Inline::new(), &sizes, 1000), expected);
        for piece in [1000, usize::MAX] {
            std::thread::scope(|scope| {
                let mut h = Offloaded::spawn(scope);
                assert_eq!(run(&mut h, &sizes, piece), expected);
            });
        }
    }
}
