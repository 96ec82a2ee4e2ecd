//! SHA-256 digests: the `sha256:<hex>` strings of the OCI and docker formats, and a reader
//! that hashes what passes through it.
//!
//! sha2 picks the CPU's SHA instructions (SHA-NI on x86-64, SHA2 on aarch64) at run time,
//! so hashing runs near the memory bandwidth of one core.

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::io::{self, Read};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Parses `sha256:<64 hex>` or a bare 64-digit hex string.
    pub fn parse(s: &str) -> Option<Digest> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        parse_hex32(hex).map(Digest)
    }

    /// The lowercase hex form without the algorithm prefix.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Parses exactly 64 hex digits (either case) into 32 bytes.
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = hex_val(*pair.first()?)?;
        let lo = hex_val(*pair.get(1)?)?;
        *out.get_mut(i)? = (hi << 4) | lo;
    }
    Some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A reader that counts what passes through it and, unless made with
/// [`HashReader::counting`], hashes it with SHA-256.
pub struct HashReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    bytes: u64,
}

impl<R: Read> HashReader<R> {
    /// Counts and hashes `inner`.
    pub fn new(inner: R) -> Self {
        HashReader {
            inner,
            hasher: Some(Sha256::new()),
            bytes: 0,
        }
    }

    /// Counts `inner` without hashing it.
    pub fn counting(inner: R) -> Self {
        HashReader {
            inner,
            hasher: None,
            bytes: 0,
        }
    }

    /// Stops hashing: what follows is only counted, and [`HashReader::finish`] returns
    /// no digest.
    pub fn stop_hashing(&mut self) {
        self.hasher = None;
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads the rest and returns the digest (when hashing) and the total bytes.
    pub fn finish(mut self) -> io::Result<(Option<Digest>, u64)> {
        drain(&mut self)?;
        Ok((self.hasher.map(|h| Digest(h.finalize().into())), self.bytes))
    }
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(buf.get(..n).unwrap_or_default());
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads `r` to its end, dropping the bytes; returns how many there were.
pub fn drain<R: Read + ?Sized>(r: &mut R) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d = Digest::of(b"");
        let s = d.to_string();
        assert_eq!(
            s,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(&s), Some(d));
        assert_eq!(Digest::parse(&d.hex()), Some(d));
        assert_eq!(Digest::parse("sha256:xyz"), None);
        assert_eq!(Digest::parse(""), None);
    }

    #[test]
    fn hash_reader_counts_and_hashes() {
        let data = vec![7u8; 100_000];
        let mut r = HashReader::new(&data[..]);
        let mut head = [0u8; 10];
        r.read_exact(&mut head).unwrap();
        let (d, n) = r.finish().unwrap();
        assert_eq!(n, 100_000);
        assert_eq!(d, Some(Digest::of(&data)));
        let (d, n) = HashReader::counting(&data[..]).finish().unwrap();
        assert_eq!((d, n), (None, 100_000));
    }
}
