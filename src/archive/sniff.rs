//! What a stream is, by its first bytes: gzip, zstd, a tar, JSON, or something else in
//! words for messages.

use std::io::{self, Cursor, Read};

/// Reads up to `n` bytes from `r` (fewer only at EOF) and returns them with a reader that
/// yields them again followed by the rest of `r`.
/// A stream whose first bytes were read ahead and are yielded again.
pub(super) type Peeked<R> = io::Chain<Cursor<Vec<u8>>, R>;

pub(super) fn peek<R: Read>(mut r: R, n: usize) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(n);
    (&mut r).take(n as u64).read_to_end(&mut head)?;
    let copy = head.clone();
    Ok((copy, Cursor::new(head).chain(r)))
}

/// What the first bytes of a stream say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sniffed {
    Gzip,
    Zstd,
    Tar,
    Json,
    Empty,
    Other,
}

pub(super) fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        Sniffed::Empty
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Sniffed::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Sniffed::Zstd
    } else if looks_like_tar(head) {
        Sniffed::Tar
    } else if looks_like_json(head) {
        Sniffed::Json
    } else {
        Sniffed::Other
    }
}

/// True when `head`, shorter than a tar header, could be the start of one: a name of
/// printable bytes ended by NUL padding within the 100-byte name field.
pub(super) fn starts_like_tar_header(head: &[u8]) -> bool {
    let field = head.get(..100.min(head.len())).unwrap_or_default();
    match field.iter().position(|&b| b == 0) {
        Some(0) | None => false,
        Some(end) => field
            .get(..end)
            .is_some_and(|name| name.iter().all(|b| b.is_ascii_graphic() || *b == b' ')),
    }
}

/// A tar starts with a header block whose checksum is right, or with the zero blocks of
/// an empty archive.
pub(super) fn looks_like_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) {
        return true;
    }
    if block.get(257..262) == Some(b"ustar") {
        return true;
    }
    // A v7 tar has no magic: check the header checksum.
    let Some(field) = block.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| char::from(b))
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    !text.is_empty() && stored == sum
}

fn looks_like_json(head: &[u8]) -> bool {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{') | Some(b'[') | Some(b'n'))
}

pub(super) fn describe(head: &[u8]) -> String {
    match sniff(head) {
        Sniffed::Empty => "empty".to_string(),
        Sniffed::Json => "JSON".to_string(),
        _ => {
            let printable = head
                .iter()
                .take(16)
                .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\n');
            if printable {
                format!(
                    "text starting {:?}",
                    String::from_utf8_lossy(head.get(..16.min(head.len())).unwrap_or_default())
                )
            } else {
                let hex: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
                format!("data starting with bytes {}", hex.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_first_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Sniffed::Zstd);
        assert_eq!(sniff(b"  {\"a\":1}"), Sniffed::Json);
        assert_eq!(sniff(&[0u8; 1024]), Sniffed::Tar);
        assert_eq!(sniff(b"hello"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Empty);
    }
}
