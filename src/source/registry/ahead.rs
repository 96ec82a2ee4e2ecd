//! Blob requests sent before a layer worker reaches the blob ([`Requests`]), so that the
//! registry's answer (its status line and headers, and the first bytes of the body in
//! the socket) is there when the worker is.
//!
//! Why: a blob GET is answered after a registry-side delay that is latency, not
//! bandwidth. Against a local `docker-registry` serving svc-bloated (ten zstd blobs) while
//! deadweight kept both cores busy, `strace -f -ttt` put 2-30 ms between a worker's
//! request and its first byte (13 requests, 155-184 ms in all, under strace); `curl` alone
//! sees 1.5-14 ms per blob GET. Each worker asked for its next blob only once done with
//! the one before, so it waited that long before every blob, and the last, tiny blobs
//! (150 bytes) were asked for one after the other at the end of the read, when the other
//! worker had nothing left: latency on the critical path, with a core idle.
//!
//! Now, when a worker starts reading blob `i`, the requests of blobs `i+1 ..= i+jobs` go
//! out, and those of the small blobs after them ([`SMALL_AHEAD_BYTES`]), each on a short
//! thread of its own that waits for the answer and hands it over. A blob asked for ahead
//! holds a connection and what its socket buffers (the registry stops sending when they
//! are full); at most `--jobs` large ones wait so, beside the ones being read. `inspect --manifest-only` and the manifest-only `check` take no blob, and ask
//! for none. Bytes, retries and the digest check are the blob reader's, as before: an
//! answer that breaks off later is resumed with a range request as any other.

use super::client::{AskedAhead, BlobReader, Client, RequestError};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// The answer to a blob request: the response, its body unread.
type Answer = Result<ureq::Response, RequestError>;

/// A blob request not sent yet.
struct Unsent {
    client: Arc<Client>,
    /// `blobs/sha256:...`.
    path: String,
    /// How messages name the blob.
    what: String,
    answer: SyncSender<Answer>,
}

/// Past the `--jobs` blobs asked for ahead, the small blobs after them are asked for too,
/// as long as they add up to no more than this.
///
/// Why: a worker asked for the blobs `--jobs` ahead of the one it started, so the last,
/// small blobs of an image (an `ENV` or `COPY` layer of 150 bytes) were asked for only
/// as the workers reached them at the end of the read, each after the registry's delay
/// of 1.5-9 ms before the first byte: on the README sample (seven blobs, the last three
/// 3.8 kB, 142 and 152 bytes), the requests went out at 10, 32, 35 and 40 ms of a 52 ms
/// read (`perf trace`). A blob this small arrives whole in its socket's buffer, so
/// asking for it early holds nothing back.
const SMALL_AHEAD_BYTES: u64 = 1 << 20;

/// Requests waiting for their reads at most: the connections the client keeps.
const MOST_AHEAD: usize = 16;

/// The blob requests of the blobs handed to the layer workers, in the order the workers
/// take them.
pub(super) struct Requests {
    unsent: Vec<Mutex<Option<Unsent>>>,
    /// Each blob's stored size.
    sizes: Vec<u64>,
    /// How many blobs past the one starting are asked for.
    ahead: usize,
}

/// A blob's side of [`Requests`]: where its answer arrives.
pub(super) struct Asked {
    requests: Arc<Requests>,
    index: usize,
    answer: Receiver<Answer>,
}

impl Requests {
    /// Makes `readers` (blob readers not started, in the order they are read) take their
    /// answers from requests sent ahead: blob `i`'s first read sends the requests of
    /// blobs `i ..= i + ahead`, and of the small ones after them, not sent yet. Nothing is
    /// sent until then, or until [`Requests::send_from`].
    pub(super) fn ask_ahead(readers: &mut [&mut BlobReader], ahead: usize) -> Arc<Requests> {
        let sizes = readers.iter().map(|r| r.size()).collect();
        let (unsent, answers): (Vec<_>, Vec<_>) = readers
            .iter()
            .map(|reader| {
                let (client, path, what) = reader.request();
                let (tx, rx) = sync_channel(1);
                let unsent = Unsent {
                    client,
                    path,
                    what,
                    answer: tx,
                };
                (Mutex::new(Some(unsent)), rx)
            })
            .unzip();
        let requests = Arc::new(Requests {
            unsent,
            sizes,
            ahead,
        });
        for (index, (reader, answer)) in readers.iter_mut().zip(answers).enumerate() {
            reader.answer_from(Box::new(Asked {
                requests: Arc::clone(&requests),
                index,
                answer,
            }));
        }
        requests
    }

    /// Sends the requests of blob `first`, of the `ahead` after it and of the small ones
    /// after those ([`SMALL_AHEAD_BYTES`]), those not sent yet.
    pub(super) fn send_from(&self, first: usize) {
        let window = self.ahead.clamp(1, MOST_AHEAD);
        let mut small = 0u64;
        let slots = self.unsent.iter().zip(&self.sizes).enumerate();
        for (i, (slot, size)) in slots.skip(first).take(MOST_AHEAD) {
            if i > first + window {
                small = small.saturating_add(*size);
                if small > SMALL_AHEAD_BYTES {
                    break;
                }
            }
            let Some(unsent) = slot.lock().ok().and_then(|mut s| s.take()) else {
                continue;
            };
            // If no thread can be had, the sender is dropped with the closure and the
            // blob's reader asks for it itself.
            let _ = std::thread::Builder::new()
                .name("blob request".to_string())
                .spawn(move || {
                    let answer = unsent.client.get(&unsent.path, &[], 0, &unsent.what);
                    // The reader may be gone (the read stopped): the answer is dropped
                    // with its connection.
                    let _ = unsent.answer.send(answer);
                });
        }
    }
}

impl AskedAhead for Asked {
    /// The blob's answer, once its reader starts: sends its request (if not sent yet) and
    /// the next ones', then waits for its own. `None` if the request was never sent (no
    /// thread could be had): the reader then sends it itself.
    fn answer(self: Box<Self>) -> Option<Answer> {
        self.requests.send_from(self.index);
        self.answer.recv().ok()
    }
}
