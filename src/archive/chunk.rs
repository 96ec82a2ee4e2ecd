//! The pieces of a layer tar that the reader thread hands to the parser and the hasher
//! thread ([`Chunk`]), and the ring that zstd layers are decoded into ([`RingWriter`]).
//!
//! A piece is shared: the parser reads its tar headers and the hasher its file contents,
//! each from the same memory. When the last of them drops it, the memory goes back to the
//! reader thread to be filled again: a buffer through a channel, a stretch of the ring by
//! marking it free. So the reader never allocates per piece once it is running, and what
//! is in flight is bounded by what the reader may have outstanding.

use super::marks::Marks;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

/// A piece of a layer tar, shared by the parser and the hasher thread.
pub(crate) type Chunk = Arc<Piece>;

/// Bytes of a layer tar: a buffer of their own, or a stretch of a ring; and where the
/// blob's stored stream was as they were produced ([`Marks`]).
pub(crate) struct Piece {
    backing: Backing,
    marks: Marks,
}

enum Backing {
    /// A buffer that goes back to `home` when dropped.
    Owned {
        buf: Vec<u8>,
        home: Option<Sender<Vec<u8>>>,
    },
    /// `len` bytes at `start` of `ring`, handed out as its `seq`-th stretch.
    Ring {
        ring: Arc<Ring>,
        seq: u64,
        start: usize,
        len: usize,
    },
}

impl Piece {
    /// A piece of its own buffer, which goes back to `home` (when given) once no one
    /// holds the piece.
    #[cfg(test)]
    pub(crate) fn owned(buf: Vec<u8>, home: Option<Sender<Vec<u8>>>) -> Chunk {
        Piece::marked(buf, home, Marks::default())
    }

    /// [`Piece::owned`], with the stored positions its bytes were produced at.
    pub(crate) fn marked(buf: Vec<u8>, home: Option<Sender<Vec<u8>>>, marks: Marks) -> Chunk {
        Arc::new(Piece {
            backing: Backing::Owned { buf, home },
            marks,
        })
    }

    /// Where the stored stream was as its bytes were produced.
    pub(crate) fn marks(&self) -> &Marks {
        &self.marks
    }

    /// True for a stretch of a ring, whose writer waits for it to come back.
    pub(crate) fn is_ring(&self) -> bool {
        matches!(self.backing, Backing::Ring { .. })
    }
}

impl Default for Piece {
    fn default() -> Piece {
        Piece {
            backing: Backing::Owned {
                buf: Vec::new(),
                home: None,
            },
            marks: Marks::default(),
        }
    }
}

impl Deref for Piece {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.backing {
            Backing::Owned { buf, .. } => buf,
            Backing::Ring {
                ring, start, len, ..
            } => ring.bytes(*start, *len),
        }
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        match &mut self.backing {
            Backing::Owned { buf, home } => {
                if let Some(home) = home
                    && buf.capacity() > 0
                {
                    // The reader may be gone (done, or stopped): then the buffer is freed.
                    let _ = home.send(std::mem::take(buf));
                }
            }
            Backing::Ring { ring, seq, .. } => {
                let _ = ring.released.send(*seq);
            }
        }
    }
}

/// A fixed block of memory that zstd decodes into and the pieces are read from.
///
/// Who may touch which byte, and why that is sound: the one [`RingWriter`] writes only
/// into stretches that no piece covers (it waits for their release, see
/// [`RingWriter::room`]); a piece is made from a stretch only after the writer has
/// written it, and it is only read, until its drop sends its release. The channels that
/// carry the piece to its readers and the release back to the writer order those
/// accesses, so a byte is never read and written at once.
pub(crate) struct Ring {
    mem: Box<[UnsafeCell<u8>]>,
    released: Sender<u64>,
}

// SAFETY: see the comment on `Ring`: readers and the writer never touch the same bytes at
// the same time, and the hand-overs go through channels.
unsafe impl Sync for Ring {}

impl Ring {
    fn bytes(&self, start: usize, len: usize) -> &[u8] {
        match self.mem.get(start..start.saturating_add(len)) {
            // SAFETY: the stretch is in the ring and was written before the piece that
            // reads it was made; no one writes it while a piece covers it (see `Ring`).
            Some(cells) => unsafe { std::slice::from_raw_parts(cells.as_ptr().cast(), len) },
            None => &[],
        }
    }
}

/// A stretch handed out and not released yet.
struct Outstanding {
    seq: u64,
    start: usize,
    end: usize,
    released: bool,
}

/// The reader thread's side of a [`Ring`]: where to decode next, and which stretches are
/// still held.
pub(crate) struct RingWriter {
    ring: Arc<Ring>,
    releases: Receiver<u64>,
    outstanding: VecDeque<Outstanding>,
    next_seq: u64,
    /// Where the next bytes go.
    write: usize,
    /// Where the bytes written but not handed out yet start.
    pending: usize,
    /// The stored positions of the bytes not handed out yet.
    marks: Marks,
}

impl RingWriter {
    /// A ring of `len` bytes.
    pub(crate) fn new(len: usize) -> RingWriter {
        let (released, releases) = mpsc::channel();
        // Zeroed memory from the allocator: pages the ring never reaches cost nothing.
        let zeroed: Box<[u8]> = vec![0u8; len].into_boxed_slice();
        // SAFETY: UnsafeCell<u8> has the layout of u8 (it is repr(transparent)), so the
        // allocation is a valid [UnsafeCell<u8>] of the same length.
        let mem = unsafe { Box::from_raw(Box::into_raw(zeroed) as *mut [UnsafeCell<u8>]) };
        RingWriter {
            ring: Arc::new(Ring { mem, released }),
            releases,
            outstanding: VecDeque::new(),
            next_seq: 0,
            write: 0,
            pending: 0,
            marks: Marks::default(),
        }
    }

    /// The ring's size.
    pub(crate) fn len(&self) -> usize {
        self.ring.mem.len()
    }

    /// Bytes written and not handed out yet.
    pub(crate) fn pending(&self) -> usize {
        self.write - self.pending
    }

    /// Where the next `n` bytes may be written: right after the last ones, or at the start
    /// of the ring when they do not fit before its end. Waits until no piece covers those
    /// bytes; before it waits, hands out what is pending through `send`, since the
    /// pieces' holders may need it to go on. `None` when `n` is larger than the ring, or
    /// when `send` fails.
    pub(crate) fn room<E>(
        &mut self,
        n: usize,
        send: &mut impl FnMut(Chunk) -> Result<(), E>,
    ) -> Result<Option<*mut u8>, E> {
        if n > self.len() {
            return Ok(None);
        }
        if self.len() - self.write < n {
            self.flush(send)?;
            self.write = 0;
            self.pending = 0;
        }
        let (start, end) = (self.write, self.write + n);
        loop {
            while let Ok(seq) = self.releases.try_recv() {
                self.mark(seq);
            }
            let blocked = self
                .outstanding
                .iter()
                .any(|o| !o.released && o.start < end && start < o.end);
            if !blocked {
                break;
            }
            self.flush(send)?;
            match self.releases.recv() {
                Ok(seq) => self.mark(seq),
                // Cannot happen while this writer holds the ring (it holds a sender).
                Err(_) => return Ok(None),
            }
        }
        let cells = self.ring.mem.get(start..end).unwrap_or_default();
        Ok(Some(UnsafeCell::raw_get(cells.as_ptr())))
    }

    /// The first `n` bytes of the last [`RingWriter::room`] hold data.
    pub(crate) fn wrote(&mut self, n: usize) {
        self.write = (self.write + n).min(self.len());
    }

    /// The bytes written so far were produced once `stored` bytes of the blob had been
    /// consumed. True when the marks are full: time to hand out the piece.
    pub(crate) fn stored(&mut self, stored: u64) -> bool {
        self.marks.push(self.write - self.pending, stored);
        self.marks.is_full()
    }

    /// Hands out the bytes written since the last hand-out, as one piece.
    pub(crate) fn flush<E>(
        &mut self,
        send: &mut impl FnMut(Chunk) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.write == self.pending {
            return Ok(());
        }
        let (start, end) = (self.pending, self.write);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.outstanding.push_back(Outstanding {
            seq,
            start,
            end,
            released: false,
        });
        self.pending = end;
        let marks = self.marks;
        self.marks.clear();
        send(Arc::new(Piece {
            backing: Backing::Ring {
                ring: Arc::clone(&self.ring),
                seq,
                start,
                len: end - start,
            },
            marks,
        }))
    }

    fn mark(&mut self, seq: u64) {
        if let Some(o) = self.outstanding.iter_mut().find(|o| o.seq == seq) {
            o.released = true;
        }
        while self.outstanding.front().is_some_and(|o| o.released) {
            self.outstanding.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(w: &mut RingWriter, n: usize, byte: u8, sent: &mut Vec<Chunk>) {
        let mut send = |c: Chunk| -> Result<(), ()> {
            sent.push(c);
            Ok(())
        };
        let ptr = w.room(n, &mut send).expect("send").expect("room");
        // SAFETY: `room` gave `n` writable bytes at `ptr`.
        unsafe { std::ptr::write_bytes(ptr, byte, n) };
        w.wrote(n);
    }

    #[test]
    fn pieces_read_what_was_written_and_their_drop_frees_the_stretch() {
        let mut w = RingWriter::new(100);
        let mut sent = Vec::new();
        fill(&mut w, 40, 1, &mut sent);
        fill(&mut w, 40, 2, &mut sent);
        assert_eq!(w.pending(), 80);
        w.flush(&mut |c: Chunk| -> Result<(), ()> {
            sent.push(c);
            Ok(())
        })
        .expect("send");
        assert_eq!(sent.len(), 1);
        let first = sent.pop().expect("a piece");
        assert_eq!(first.len(), 80);
        assert!(first.get(..40).is_some_and(|b| b.iter().all(|&x| x == 1)));
        assert!(first.get(40..).is_some_and(|b| b.iter().all(|&x| x == 2)));
        // 40 more do not fit before the end: the writer wraps to the start, which the
        // piece still covers, so it would wait. Release the piece from another thread.
        let holder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(first);
        });
        fill(&mut w, 40, 3, &mut sent);
        holder.join().expect("holder");
        w.flush(&mut |c: Chunk| -> Result<(), ()> {
            sent.push(c);
            Ok(())
        })
        .expect("send");
        let second = sent.pop().expect("a piece");
        assert_eq!(&second[..], &[3; 40][..]);
        assert!(w.room::<()>(101, &mut |_| Ok(())).expect("send").is_none());
    }

    #[test]
    fn an_owned_piece_goes_home_when_its_last_holder_drops_it() {
        let (home, back) = mpsc::channel();
        let piece = Piece::owned(vec![7; 10], Some(home));
        let other = Arc::clone(&piece);
        drop(piece);
        assert!(back.try_recv().is_err(), "another holder remains");
        assert_eq!(&other[..], &[7; 10][..]);
        drop(other);
        assert_eq!(back.try_recv().ok(), Some(vec![7; 10]));
    }
}
