//! zstd layers decoded block by block straight into a ring that the parser and the hasher
//! read from ([`RingWriter`]).
//!
//! zstd's streaming decoder decodes into a window of its own and then copies every byte
//! out into the caller's buffer: on a 3 GB layer that copy was an eighth of the reader
//! thread's time, and the reader thread is the slow one on zstd layers. zstd's
//! buffer-less API instead decodes each block into memory the caller gives, as long as
//! the last `windowSize` bytes stay where they are: that is the ring, sized with
//! `ZSTD_decodingBufferSize_min` plus room for the pieces still being parsed.
//!
//! Frames follow each other in a layer (zstd:chunked layers have many, and skippable
//! frames between them); each is checked as the streaming decoder would (the content
//! checksum when the frame has one, the window size against the same limit).

use super::chunk::{Chunk, RingWriter};
use std::io::{self, BufRead};
use std::ptr::NonNull;
use zstd::zstd_safe::zstd_sys as sys;

/// The largest window a frame may ask for: zstd's own default limit when decoding
/// (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`).
const MAX_WINDOW: u64 = 1 << 27;
/// Bytes decoded before they are handed out as one piece. Each hand-out may wake the
/// parser, which costs the reader thread a system call: 1 MiB pieces made the reader
/// 3% faster than 256 KiB ones on a 3 GB layer set.
const PIECE: usize = 1024 * 1024;
/// How far behind the decoder the parser and the hasher may read before the decoder
/// waits for them: this bounds the bytes in flight, like the pipeline's channel does for
/// chunks. 6 MiB (a 2 MiB window and 4 MiB beyond it) was as fast as 12 MiB within the
/// noise, at 6 MB less.
const LAG: usize = 6 * 1024 * 1024;
/// The most room in the ring beyond what zstd needs, for a tiny window.
const SLACK: usize = 4 * 1024 * 1024;

/// Room in the ring beyond what zstd needs for a frame of `window` bytes. The pieces the
/// parser and the hasher hold are only read, as zstd reads the window: a piece within
/// the last `window` bytes costs no room, and only what lags further behind must find
/// room beyond it. Never less than a piece, so the decoder can always hand one out.
fn slack(window: usize) -> usize {
    SLACK.min(LAG.saturating_sub(window)).max(PIECE)
}

/// The most input one step of a frame takes, other than a skippable frame's content: a
/// block is at most 128 KiB and zstd checks that. A bound of our own all the same, since
/// the step's bytes may be gathered into a buffer.
const MAX_STEP: usize = 1 << 20;

/// A decoding context.
struct DCtx(NonNull<sys::ZSTD_DCtx>);

impl DCtx {
    fn new() -> io::Result<DCtx> {
        // SAFETY: ZSTD_createDCtx has no preconditions; it returns null when out of memory.
        NonNull::new(unsafe { sys::ZSTD_createDCtx() })
            .map(DCtx)
            .ok_or_else(|| io::Error::other("cannot make a zstd decoder"))
    }

    fn ptr(&self) -> *mut sys::ZSTD_DCtx {
        self.0.as_ptr()
    }
}

impl Drop for DCtx {
    fn drop(&mut self) {
        // SAFETY: the context came from ZSTD_createDCtx and is freed once.
        unsafe { sys::ZSTD_freeDCtx(self.ptr()) };
    }
}

/// zstd's result code as a result: its error's name, or the value.
fn check(code: usize) -> io::Result<usize> {
    // SAFETY: ZSTD_isError only inspects the number.
    if unsafe { sys::ZSTD_isError(code) } != 0 {
        Err(io::Error::other(zstd::zstd_safe::get_error_name(code)))
    } else {
        Ok(code)
    }
}

/// What a frame header says that the ring needs: its size (with the room for what the
/// readers hold, see [`slack`]), and the largest block.
fn frame_needs(header: &[u8]) -> io::Result<Option<(usize, usize)>> {
    let mut fh = sys::ZSTD_FrameHeader {
        frameContentSize: 0,
        windowSize: 0,
        blockSizeMax: 0,
        frameType: sys::ZSTD_FrameType_e::ZSTD_frame,
        headerSize: 0,
        dictID: 0,
        checksumFlag: 0,
        _reserved1: 0,
        _reserved2: 0,
    };
    // SAFETY: `fh` is a frame header to fill in; `header` is readable for its length.
    let more =
        check(unsafe { sys::ZSTD_getFrameHeader(&mut fh, header.as_ptr().cast(), header.len()) })?;
    if more != 0 {
        return Err(io::Error::other(
            "a zstd frame header that does not hold together",
        ));
    }
    if fh.frameType == sys::ZSTD_FrameType_e::ZSTD_skippableFrame {
        return Ok(None);
    }
    if fh.windowSize > MAX_WINDOW {
        return Err(io::Error::other(format!(
            "a zstd frame asks for a {} MiB window, over the limit of {} MiB",
            fh.windowSize >> 20,
            MAX_WINDOW >> 20
        )));
    }
    // SAFETY: ZSTD_decodingBufferSize_min only computes with its arguments.
    let ring = check(unsafe {
        sys::ZSTD_decodingBufferSize_min(fh.windowSize, sys::ZSTD_CONTENTSIZE_UNKNOWN as u64)
    })?;
    let block = usize::try_from(fh.blockSizeMax).unwrap_or(usize::MAX);
    let window = usize::try_from(fh.windowSize).unwrap_or(usize::MAX);
    Ok(Some((ring.saturating_add(slack(window)), block)))
}

/// Decodes every frame of `input` into `ring` (made or grown as the frames need), handing
/// the decoded bytes out through `send` in pieces. Returns how many bytes that was. `E`
/// is the caller's error, made from an I/O error by `io_error`.
// Over 120 lines on purpose: the per-block loop of every zstd layer, its ring and window
// state shared by each step; not split without a benches/compare.sh measurement (none yet).
pub(crate) fn decode<R: BufRead, E>(
    input: &mut R,
    ring: &mut Option<RingWriter>,
    send: &mut impl FnMut(Chunk) -> Result<(), E>,
    io_error: impl Fn(io::Error) -> E,
) -> Result<u64, E> {
    let dctx = DCtx::new().map_err(&io_error)?;
    let mut total = 0u64;
    // Bytes of `input` consumed: the stored position each block's output is marked with.
    let mut consumed = 0u64;
    let mut src: Vec<u8> = Vec::new();
    // One frame per turn, while there is input.
    while !input.fill_buf().map_err(&io_error)?.is_empty() {
        // SAFETY: the context is valid; this starts a frame.
        check(unsafe { sys::ZSTD_decompressBegin(dctx.ptr()) }).map_err(&io_error)?;
        let mut header = [0u8; sys::ZSTD_FRAMEHEADERSIZE_MAX as usize];
        let mut header_len = 0;
        // The largest block, once the header has been read.
        let mut block: Option<usize> = None;
        loop {
            // SAFETY: the context is valid.
            let need = unsafe { sys::ZSTD_nextSrcSizeToDecompress(dctx.ptr()) };
            if need == 0 {
                break;
            }
            // SAFETY: the context is valid.
            let kind = unsafe { sys::ZSTD_nextInputType(dctx.ptr()) };
            if need > MAX_STEP {
                if kind == sys::ZSTD_nextInputType_e::ZSTDnit_skippableFrame {
                    // A skippable frame's content, up to 4 GiB that no one reads:
                    // skipped here as it streams past, and the next frame starts the
                    // context afresh.
                    skip(input, need).map_err(&io_error)?;
                    consumed += need as u64;
                    break;
                }
                return Err(io_error(io::Error::other(format!(
                    "a zstd frame asks for {need} bytes in one step"
                ))));
            }
            let is_block = matches!(
                kind,
                sys::ZSTD_nextInputType_e::ZSTDnit_block
                    | sys::ZSTD_nextInputType_e::ZSTDnit_lastBlock
            );
            let (dst, capacity) = if is_block {
                let max = match block {
                    Some(max) => max,
                    None => {
                        let needs = header.get(..header_len).unwrap_or_default();
                        let (size, max) =
                            frame_needs(needs).map_err(&io_error)?.ok_or_else(|| {
                                io_error(io::Error::other("a block in a skippable zstd frame"))
                            })?;
                        if ring.as_ref().is_none_or(|r| r.len() < size) {
                            if let Some(old) = ring.as_mut() {
                                old.flush(send)?;
                            }
                            *ring = Some(RingWriter::new(size));
                        }
                        block = Some(max);
                        max
                    }
                };
                let writer = ring
                    .as_mut()
                    .ok_or_else(|| io_error(io::Error::other("internal error: no ring")))?;
                let dst = writer.room(max, send)?.ok_or_else(|| {
                    io_error(io::Error::other(
                        "internal error: a block larger than the ring",
                    ))
                })?;
                (dst, max)
            } else {
                (std::ptr::null_mut(), 0)
            };
            // The next `need` bytes of input: where they are in the input's buffer, or
            // copied together when they run past its end.
            let direct = input.fill_buf().map_err(&io_error)?.len() >= need;
            if !direct {
                src.resize(need, 0);
                input.read_exact(&mut src).map_err(&io_error)?;
            }
            let bytes = if direct {
                input.fill_buf().map_err(&io_error)?.get(..need)
            } else {
                src.get(..need)
            }
            .unwrap_or_default();
            if kind == sys::ZSTD_nextInputType_e::ZSTDnit_frameHeader {
                let room = header.len() - header_len;
                let take = bytes.len().min(room);
                if let (Some(to), Some(from)) = (
                    header.get_mut(header_len..header_len + take),
                    bytes.get(..take),
                ) {
                    to.copy_from_slice(from);
                    header_len += take;
                }
            }
            // SAFETY: `bytes` is readable for its length, which is what the context asked
            // for; `dst` is writable for `capacity` bytes (or null with no capacity when
            // no output is due): `room` gave it, and no piece covers it.
            let made = check(unsafe {
                sys::ZSTD_decompressContinue(
                    dctx.ptr(),
                    dst.cast(),
                    capacity,
                    bytes.as_ptr().cast(),
                    bytes.len(),
                )
            })
            .map_err(&io_error)?;
            if direct {
                input.consume(need);
            }
            consumed += need as u64;
            if made > 0 {
                total += made as u64;
                if let Some(writer) = ring.as_mut() {
                    writer.wrote(made);
                    let full = writer.stored(consumed);
                    if full || writer.pending() >= PIECE {
                        writer.flush(send)?;
                    }
                }
            }
        }
        if let Some(writer) = ring.as_mut() {
            writer.flush(send)?;
        }
    }
    Ok(total)
}

/// Consumes `n` bytes of `input`.
fn skip<R: BufRead>(input: &mut R, mut n: usize) -> io::Result<()> {
    while n > 0 {
        let available = input.fill_buf()?.len();
        if available == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the data ends inside a skippable zstd frame",
            ));
        }
        let k = available.min(n);
        input.consume(k);
        n -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::io::BufReader;

    /// Decodes `compressed` through a ring, reading it `step` bytes at a time, and
    /// returns the bytes the pieces held, in order.
    fn roundtrip(compressed: &[u8], step: usize) -> io::Result<Vec<u8>> {
        let mut ring = None;
        let mut out = Vec::new();
        let mut input = BufReader::with_capacity(step, compressed);
        let n = decode(
            &mut input,
            &mut ring,
            &mut |c: Chunk| -> io::Result<()> {
                out.extend_from_slice(&c);
                Ok(())
            },
            |e| e,
        )?;
        assert_eq!(n, out.len() as u64);
        Ok(out)
    }

    /// Bytes that compress, but not to nothing, and repeat from far back.
    fn data(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_u32;
        let mut v: Vec<u8> = (0..len / 2)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if i % 7 == 0 {
                    (x % 251) as u8
                } else {
                    (i % 13) as u8
                }
            })
            .collect();
        let copy = v.clone();
        v.extend_from_slice(&copy);
        v
    }

    #[test]
    fn frames_decode_to_what_was_compressed() {
        let a = data(9 * 1024 * 1024 + 17);
        let b = data(3000);
        let mut compressed = zstd::stream::encode_all(&a[..], 3).expect("zstd");
        // Skippable frames between two frames, as zstd:chunked layers have: a small one,
        // and one larger than a step is ever allowed to be.
        compressed.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
        let big = MAX_STEP + 3;
        compressed.extend_from_slice(&[0x5f, 0x2a, 0x4d, 0x18]);
        compressed.extend_from_slice(&u32::try_from(big).expect("small").to_le_bytes());
        compressed.extend(std::iter::repeat_n(7u8, big));
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 19).expect("zstd");
        enc.include_checksum(true).expect("checksum");
        io::Write::write_all(&mut enc, &b).expect("write");
        compressed.extend_from_slice(&enc.finish().expect("finish"));
        let mut expected = a.clone();
        expected.extend_from_slice(&b);
        for step in [7, 4096, 1 << 20] {
            assert!(
                roundtrip(&compressed, step).expect("decode") == expected,
                "step {step}"
            );
        }
        assert!(roundtrip(&[], 64).expect("empty").is_empty());
    }

    /// A reader that lags behind the decoder, holding its last pieces for longer than the
    /// ring has room for, finds them intact when it lets go: the decoder waits for it. For
    /// windows below, at and above the lag the ring is sized for.
    #[test]
    fn pieces_held_behind_the_decoder_are_never_overwritten() {
        let original = data(24 * 1024 * 1024 + 5);
        for window_log in [10, 21, 23, 25] {
            let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
            enc.window_log(window_log).expect("window");
            io::Write::write_all(&mut enc, &original).expect("write");
            let compressed = enc.finish().expect("finish");
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Chunk)>();
            let original = &original;
            let checked = std::thread::scope(|scope| {
                // Holds the last 12 pieces (12 MiB, more than a small window's ring),
                // letting the oldest go when more come or when none has come for 5 ms.
                let reader = scope.spawn(move || {
                    let mut held: VecDeque<(usize, Chunk)> = VecDeque::new();
                    let mut checked = 0;
                    let mut check = |(at, piece): (usize, Chunk)| {
                        assert!(
                            original.get(at..at + piece.len()) == Some(&piece[..]),
                            "window 2^{window_log}: the piece at {at} changed while held"
                        );
                        checked += piece.len();
                    };
                    loop {
                        match rx.recv_timeout(std::time::Duration::from_millis(5)) {
                            Ok(piece) => {
                                held.push_back(piece);
                                if held.len() > 12
                                    && let Some(oldest) = held.pop_front()
                                {
                                    check(oldest);
                                }
                            }
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                                if let Some(oldest) = held.pop_front() {
                                    check(oldest);
                                }
                            }
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                    }
                    held.drain(..).for_each(&mut check);
                    checked
                });
                let mut ring = None;
                let mut offset = 0;
                let n = decode(
                    &mut BufReader::with_capacity(64 * 1024, &compressed[..]),
                    &mut ring,
                    &mut |c: Chunk| -> io::Result<()> {
                        let len = c.len();
                        tx.send((offset, c)).map_err(io::Error::other)?;
                        offset += len;
                        Ok(())
                    },
                    |e| e,
                )
                .expect("decode");
                assert_eq!(n, original.len() as u64);
                let len = ring.as_ref().map(RingWriter::len).unwrap_or_default();
                assert!(
                    len <= (1 << window_log) + SLACK + (1 << 20),
                    "ring of {len}"
                );
                drop(ring);
                drop(tx);
                reader.join().expect("reader")
            });
            assert_eq!(checked, original.len());
        }
    }

    #[test]
    fn damaged_frames_fail_where_zstds_own_decoder_fails() {
        // Frames with a few bytes changed: this decoder and zstd's streaming one must
        // agree, on the bytes out or on there being an error.
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
        enc.include_checksum(true).expect("checksum");
        io::Write::write_all(&mut enc, &data(300_000)).expect("write");
        let mut good = enc.finish().expect("finish");
        good.extend_from_slice(&zstd::stream::encode_all(&data(5000)[..], 1).expect("zstd"));
        let mut x = 0x2545_f491_u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as usize
        };
        for _ in 0..400 {
            let mut bad = good.clone();
            for _ in 0..1 + next() % 3 {
                // Mostly the headers, where the sizes are.
                let at = if next() % 2 == 0 {
                    next() % 24
                } else {
                    next() % bad.len()
                };
                if let Some(b) = bad.get_mut(at) {
                    *b ^= 1 << (next() % 8);
                }
            }
            let ours = roundtrip(&bad, 4096).ok();
            let theirs = zstd::stream::decode_all(&bad[..]).ok();
            assert!(ours == theirs, "the decoders disagree on {bad:02x?}");
        }
    }

    #[test]
    fn damaged_frames_fail() {
        let b = data(100_000);
        let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
        enc.include_checksum(true).expect("checksum");
        io::Write::write_all(&mut enc, &b).expect("write");
        let good = enc.finish().expect("finish");
        let cut = good.get(..good.len() - 6).unwrap_or_default();
        assert!(roundtrip(cut, 4096).is_err(), "a frame cut short");
        let mut flipped = good.clone();
        if let Some(x) = flipped.get_mut(good.len() - 2) {
            *x ^= 1;
        }
        assert!(roundtrip(&flipped, 4096).is_err(), "a wrong checksum");
        // A frame that asks for a 256 MiB window (window descriptor 0x90: 2^(10+18)),
        // then a last raw block of one byte.
        let greedy = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x90, 0x09, 0x00, 0x00, b'x'];
        let e = roundtrip(&greedy, 4096).expect_err("a window over the limit");
        assert!(e.to_string().contains("256 MiB window"), "{e}");
        // A skippable frame that says it holds 4 GiB, and ends after three bytes: an
        // error, without taking the memory.
        let huge = [0x50, 0x2a, 0x4d, 0x18, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(
            roundtrip(&huge, 4096).is_err(),
            "a skippable frame cut short"
        );
        let mut garbage = good.clone();
        garbage.extend_from_slice(b"not zstd");
        assert!(roundtrip(&garbage, 4096).is_err(), "bytes after the frames");
    }
}
