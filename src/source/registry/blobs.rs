//! A registry image's layer blobs as the sequential read takes them ([`Blobs`]): in
//! order, while up to `--jobs` later ones download ahead, each into a bounded buffer
//! ([`Blob::Ahead`]). On two cores or more the layer workers read the blobs instead,
//! straight from their connections ([`super::Members`]' `take_blobs`).

use super::Member;
use super::ahead;
use super::client::BlobReader;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Chunks a prefetching thread hands over; with 256 KiB chunks, 32 of them bound each
/// download running ahead of the reader to 8 MiB.
const PREFETCH_CHUNK: usize = 256 * 1024;
const PREFETCH_CHUNKS: usize = 32;

/// A layer blob being read: directly, or from a thread that downloads it ahead.
pub enum Blob {
    /// Read on the caller's thread.
    Direct(Box<BlobReader>),
    /// Downloaded ahead by a thread into a bounded channel.
    Ahead {
        /// Chunks, or the error that ended the download.
        rx: Receiver<Result<Vec<u8>, (io::ErrorKind, String)>>,
        /// The chunk being read.
        current: io::Cursor<Vec<u8>>,
        /// Set once the download ended (well or not).
        ended: bool,
        /// The download's size or digest failure, once met.
        failure: Option<String>,
    },
}

impl Read for Blob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Blob::Direct(r) => r.read(buf),
            Blob::Ahead {
                rx,
                current,
                ended,
                failure,
            } => loop {
                let n = current.read(buf)?;
                if n > 0 || buf.is_empty() || *ended {
                    return Ok(n);
                }
                match rx.recv() {
                    Ok(Ok(chunk)) => *current = io::Cursor::new(chunk),
                    Ok(Err((kind, msg))) => {
                        *ended = true;
                        if kind == io::ErrorKind::InvalidData {
                            *failure = Some(msg.clone());
                        }
                        return Err(io::Error::new(kind, msg));
                    }
                    Err(_) => *ended = true,
                }
            },
        }
    }
}

impl Blob {
    /// After the consumer failed on this blob: reads the rest and returns the blob's own
    /// size or digest failure, which is then the cause to report.
    pub fn verify_rest(&mut self) -> Option<String> {
        match self {
            Blob::Direct(r) => r.verify_rest(),
            Blob::Ahead { .. } => {
                let mut sink = vec![0u8; 64 * 1024];
                while let Ok(n) = self.read(&mut sink) {
                    if n == 0 {
                        break;
                    }
                }
                match self {
                    Blob::Ahead { failure, .. } => failure.clone(),
                    Blob::Direct(_) => None,
                }
            }
        }
    }
}

/// The layer blobs of an image, handed out in order while later ones download.
pub struct Blobs {
    pub(super) waiting: Vec<(Member, BlobReader)>,
    pub(super) started: VecDeque<(Member, Blob)>,
    pub(super) jobs: usize,
    /// Whether the waiting blobs' requests are sent ahead ([`Blobs::ask_now`]).
    pub(super) asked: bool,
}

impl Blobs {
    /// With two or more downloads at once (`--jobs`): makes the waiting blobs take their
    /// answers from requests sent ahead of their reads (`ahead.rs`), and sends the first
    /// ones' now. Once only.
    pub(super) fn ask_now(&mut self) {
        if self.asked || self.jobs < 2 || !self.started.is_empty() {
            return;
        }
        self.asked = true;
        let mut readers: Vec<&mut BlobReader> = self.waiting.iter_mut().map(|(_, r)| r).collect();
        ahead::Requests::ask_ahead(&mut readers, self.jobs).send_from(0);
    }

    /// Starts downloads until `jobs` blobs are open (the one being read included).
    fn fill(&mut self) {
        while self.started.len() < self.jobs && !self.waiting.is_empty() {
            let (member, reader) = self.waiting.remove(0);
            let blob = if self.started.is_empty() && self.jobs == 1 {
                Blob::Direct(Box::new(reader))
            } else {
                spawn_ahead(reader)
            };
            self.started.push_back((member, blob));
        }
    }
}

impl Iterator for Blobs {
    type Item = (Member, Blob);

    fn next(&mut self) -> Option<Self::Item> {
        self.fill();
        let next = self.started.pop_front();
        self.fill();
        next
    }
}

fn spawn_ahead(mut reader: BlobReader) -> Blob {
    let (tx, rx): (SyncSender<_>, _) = mpsc::sync_channel(PREFETCH_CHUNKS);
    std::thread::spawn(move || {
        loop {
            let mut chunk = vec![0u8; PREFETCH_CHUNK];
            let mut filled = 0;
            let mut end = false;
            while filled < PREFETCH_CHUNK {
                match reader.read(chunk.get_mut(filled..).unwrap_or_default()) {
                    Ok(0) => {
                        end = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        if filled > 0 {
                            chunk.truncate(filled);
                            let _ = tx.send(Ok(chunk));
                        }
                        let _ = tx.send(Err((e.kind(), e.to_string())));
                        return;
                    }
                }
            }
            chunk.truncate(filled);
            if filled > 0 && tx.send(Ok(chunk)).is_err() {
                // The reader gave up on this blob.
                return;
            }
            if end {
                return;
            }
        }
    });
    Blob::Ahead {
        rx,
        current: io::Cursor::new(Vec::new()),
        ended: false,
        failure: None,
    }
}
