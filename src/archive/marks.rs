//! Pull cost: where the stored (compressed) stream was while a layer's tar was produced.
//!
//! The reader thread decodes a blob step by step (a zstd block, a few KiB of gzip output)
//! and notes after each step how many of the blob's bytes the decoder had consumed: a
//! [`Marks`] list travels with every piece of tar it hands to the parser. The parser asks
//! [`Stored::at`] where the stored stream was at each entry boundary, and an entry's
//! stored bytes are the difference between its boundary and the one before. Between two
//! marks the position is interpolated by tar bytes, so the figure is exact at the marks
//! and an estimate within a step (a zstd block is at most 128 KiB of tar; gzip steps are
//! [`GZIP_STEP`] bytes, and the inflater may run up to its 32 KiB window ahead of what it
//! hands out). However coarse, the differences add up: the entries of a layer plus what
//! follows the last one (the end-of-archive blocks, the gzip or zstd trailer) are the
//! blob's size exactly.

/// The gzip decoder's input: a buffer that counts the bytes the decoder consumed (its
/// position in the blob), and that is always filled whole, so that its stretches start
/// at the same offsets of the blob however the source's reads fall (a file read by a
/// worker, the same member inside an archive on stdin). The inflater's steps, and so the
/// marks, then depend on the blob's bytes alone.
pub(crate) struct Consumed<'a, R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    count: &'a std::cell::Cell<u64>,
}

impl<'a, R: std::io::Read> Consumed<'a, R> {
    /// `inner` read `capacity` bytes at a time, counting into `count`.
    pub(crate) fn new(inner: R, capacity: usize, count: &'a std::cell::Cell<u64>) -> Self {
        Consumed {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            len: 0,
            count,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Consumed<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = std::io::BufRead::fill_buf(self)?;
            let n = available.len().min(out.len());
            if let (Some(to), Some(from)) = (out.get_mut(..n), available.get(..n)) {
                to.copy_from_slice(from);
            }
            n
        };
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<R: std::io::Read> std::io::BufRead for Consumed<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.len {
            self.pos = 0;
            self.len = 0;
            while self.len < self.buf.len() {
                match self
                    .inner
                    .read(self.buf.get_mut(self.len..).unwrap_or_default())
                {
                    Ok(0) => break,
                    Ok(n) => self.len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buf.get(self.pos..self.len).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.len - self.pos);
        self.pos += amt;
        self.count.set(self.count.get() + amt as u64);
    }
}

/// Tar bytes the gzip decoder is asked for at a time, so that a mark falls every 8 KiB:
/// small files get their own stretch of the stream, at 32 calls into the inflater per
/// 256 KiB chunk instead of one.
pub(crate) const GZIP_STEP: usize = 8 * 1024;

/// Marks a piece may carry; the decoder hands out its piece early when they are full.
pub(crate) const MARKS: usize = 40;

/// (offset in the piece where a step's output ended, blob bytes consumed by then),
/// in order, both never decreasing. Inline, so a piece costs no allocation for them.
#[derive(Clone, Copy)]
pub(crate) struct Marks {
    len: usize,
    at: [(usize, u64); MARKS],
}

impl Default for Marks {
    fn default() -> Marks {
        Marks {
            len: 0,
            at: [(0, 0); MARKS],
        }
    }
}

impl std::fmt::Debug for Marks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Marks {
    /// Notes that the piece's first `offset` bytes had been produced when `stored` bytes of
    /// the blob had been consumed. A full list overwrites its last mark, so the piece's
    /// end (what adds up) stays exact and only the resolution inside suffers.
    pub(crate) fn push(&mut self, offset: usize, stored: u64) {
        let (last_off, last_stored) = self.last().unwrap_or((0, 0));
        let mark = (offset.max(last_off), stored.max(last_stored));
        let at = if self.len == MARKS {
            self.len - 1
        } else {
            self.len
        };
        if let Some(slot) = self.at.get_mut(at) {
            *slot = mark;
            self.len = at + 1;
        }
    }

    /// True when the next push overwrites the last mark.
    pub(crate) fn is_full(&self) -> bool {
        self.len == MARKS
    }

    /// The marks, in order.
    pub(crate) fn as_slice(&self) -> &[(usize, u64)] {
        self.at.get(..self.len).unwrap_or_default()
    }

    fn last(&self) -> Option<(usize, u64)> {
        self.as_slice().last().copied()
    }

    /// Forgets every mark.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

/// The parser's reckoning of the stored position inside the current piece.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stored {
    /// Blob bytes consumed when the current piece's first byte was produced.
    start: u64,
    /// The first mark at or after the last position asked about (positions only grow).
    cursor: usize,
}

impl Stored {
    /// A new piece starts where the last one ended (`marks` of the piece that ends).
    pub(crate) fn next_piece(&mut self, ended: &Marks) {
        if let Some((_, s)) = ended.last() {
            self.start = self.start.max(s);
        }
        self.cursor = 0;
    }

    /// A piece that starts at `stored`.
    pub(crate) fn restart(&mut self, stored: u64) {
        self.start = stored;
        self.cursor = 0;
    }

    /// Blob bytes consumed when the first `pos` bytes of the piece with `marks` had been
    /// produced: interpolated between the marks around `pos`. Past the last mark (a
    /// piece without marks), the last known position.
    pub(crate) fn at(&mut self, marks: &Marks, pos: usize) -> u64 {
        let all = marks.as_slice();
        while all.get(self.cursor).is_some_and(|&(o, _)| o < pos) {
            self.cursor += 1;
        }
        let (o0, s0) = match self.cursor.checked_sub(1).and_then(|i| all.get(i)) {
            Some(&m) => m,
            None => (0, self.start),
        };
        let Some(&(o1, s1)) = all.get(self.cursor) else {
            return s0;
        };
        if o1 <= o0 {
            return s1;
        }
        let s1 = s1.max(s0);
        let part = (s1 - s0) as u128 * (pos.saturating_sub(o0)) as u128 / (o1 - o0) as u128;
        s0 + u64::try_from(part).unwrap_or(s1 - s0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_interpolate_between_marks_and_grow() {
        let mut m = Marks::default();
        m.push(100, 10);
        m.push(300, 50);
        let mut s = Stored::default();
        s.restart(4);
        assert_eq!(s.at(&m, 0), 4);
        assert_eq!(s.at(&m, 50), 7);
        assert_eq!(s.at(&m, 100), 10);
        assert_eq!(s.at(&m, 200), 30);
        assert_eq!(s.at(&m, 300), 50);
        s.next_piece(&m);
        assert_eq!(s.at(&Marks::default(), 0), 50);
        assert_eq!(s.at(&Marks::default(), 999), 50);
    }

    #[test]
    fn a_full_list_keeps_its_end_exact() {
        let mut m = Marks::default();
        for i in 0..(MARKS + 5) {
            m.push(i * 10, i as u64);
        }
        assert_eq!(m.as_slice().len(), MARKS);
        assert_eq!(m.last(), Some(((MARKS + 4) * 10, (MARKS + 4) as u64)));
    }
}
