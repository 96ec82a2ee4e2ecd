//! An uncompressed layer read by a layer worker ([`super::parallel`]) on its one thread:
//! read, parsed and hashed where the read put the bytes.
//!
//! An uncompressed archive's cost is hashing every file's content. On the sequential
//! pipeline a reader thread copies 256 KiB chunks and a hasher thread hashes them on the
//! other core; there the hasher ran at the speed of SHA-256 over memory, not over cache:
//! on the 2-core Xeon of docs/performance.md, 1.10-1.23 GB/s against 1.78-1.96 GB/s for
//! a buffer in cache, and `openssl dgst` (which hashes each 8 KiB it reads at once) read
//! the 4.62 GB ML archive in 3.23 s where deadweight took 3.90 s. Here each worker reads
//! its layer through one buffer and hashes every content byte from it before the next
//! read: nothing crosses cores, and two workers hash two layers at once.

use super::super::hashing::Inline;
use super::super::layer::{self, Compression, ContentSink, LayerBlob, LayerSink, TarSource};
use super::{Digest, MemberContent, MemberError, ReadOptions};
use crate::source::digest::HashReader;
use std::io::{self, BufRead, BufReader, Read};

/// The read buffer: a fraction of a core's L2 (2 MiB on the Xeon above), so a read's
/// bytes are still there when they are hashed; large enough that a read call is rare.
const BUFFER: usize = 256 * 1024;

/// Reads the uncompressed layer tar `reader` (`size` bytes as stored) into `sink`, as
/// the two-thread pipeline would: the sink's calls, then the member's content and its
/// digest (with `verify`, which hashes every byte as stored: the diff_id).
pub(super) fn record(
    reader: impl Read,
    size: u64,
    sink: &mut dyn LayerSink,
    opts: &ReadOptions,
) -> Result<(MemberContent, Option<Digest>), MemberError> {
    const NAME: &str = "layer";
    let what = Compression::None.layer_noun();
    let read_error = |e: io::Error| MemberError::Read(layer::describe_io(&e, what));
    let hashed = if opts.verify {
        HashReader::new(reader)
    } else {
        HashReader::counting(reader)
    };
    let mut source = Hot(BufReader::with_capacity(BUFFER, hashed));
    sink.begin_layer(NAME);
    let entries = layer::parse_layer(&mut source, sink, &opts.limits, &mut Inline::new(), 0)
        .map_err(|error| MemberError::Layer { what, error })?;
    let (sha256, bytes) = source.0.into_inner().finish().map_err(read_error)?;
    if bytes != size {
        return Err(MemberError::Read(format!(
            "truncated archive: the member holds {bytes} of its {size} bytes"
        )));
    }
    let blob = LayerBlob {
        compression: Compression::None,
        blob_bytes: bytes,
        blob_digest: sha256.unwrap_or_default(),
        diff_id: sha256.unwrap_or_default(),
        tar_bytes: bytes,
        entries,
        verified: opts.verify,
    };
    sink.end_layer(NAME, &blob);
    Ok((MemberContent::Layer(blob), sha256))
}

/// A layer tar read through a buffer: a file's content is handed on from the buffer,
/// while it is in this core's cache.
struct Hot<R>(BufReader<R>);

impl<R: Read> Read for Hot<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> TarSource for Hot<R> {
    fn content(&mut self, n: u64, to: &mut ContentSink<'_>) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let buf = match self.0.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            to.copied(buf.get(..take).unwrap_or_default())?;
            self.0.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }
}
