//! File magic: what a file is from its first bytes, for the formats the rules care about.

/// A file's kind by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Magic {
    /// Nothing we know.
    Unknown,
    /// NumPy `.npy` (`\x93NUMPY`).
    Npy,
    /// Apache Parquet (`PAR1`).
    Parquet,
    /// HDF5 (`\x89HDF\r\n\x1a\n`).
    Hdf5,
    /// Arrow IPC file (`ARROW1`).
    Arrow,
    /// A Python pickle (protocol 2+: `\x80` then the protocol number).
    Pickle,
    /// ONNX: a protobuf ModelProto starting with `ir_version` (field 1, varint).
    Onnx,
    /// safetensors: a little-endian header length, then `{"`.
    Safetensors,
    /// GGUF (`GGUF`).
    Gguf,
    /// A zip (also PyTorch's `.pt` and numpy's `.npz`).
    Zip,
    /// A PEM block (`-----BEGIN `).
    Pem,
    /// An ELF binary.
    Elf,
    /// An ELF core dump (`e_type` is `ET_CORE`).
    ElfCore,
    /// gzip.
    Gzip,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A RIFF container: WAV audio, WebP images, AVI video.
    Riff,
    /// FLAC audio.
    Flac,
}

/// Classifies a file by its first bytes.
pub fn classify(head: &[u8]) -> Magic {
    if head.starts_with(b"\x93NUMPY") {
        Magic::Npy
    } else if head.starts_with(b"PAR1") {
        Magic::Parquet
    } else if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        Magic::Hdf5
    } else if head.starts_with(b"ARROW1") {
        Magic::Arrow
    } else if head.starts_with(b"GGUF") {
        Magic::Gguf
    } else if head.starts_with(b"PK\x03\x04") {
        Magic::Zip
    } else if head.starts_with(b"-----BEGIN ") {
        Magic::Pem
    } else if head.starts_with(b"\x7fELF") {
        // `e_type` at 16, in the byte order `EI_DATA` (at 5) names: 4 is a core dump.
        let e_type = match (head.get(5), head.get(16..18)) {
            (Some(1), Some(&[lo, hi])) => u16::from_le_bytes([lo, hi]),
            (Some(2), Some(&[hi, lo])) => u16::from_le_bytes([lo, hi]),
            _ => 0,
        };
        if e_type == 4 {
            Magic::ElfCore
        } else {
            Magic::Elf
        }
    } else if head.starts_with(b"\x1f\x8b") {
        Magic::Gzip
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Magic::Png
    } else if head.starts_with(b"\xff\xd8\xff") {
        Magic::Jpeg
    } else if head.starts_with(b"RIFF") && head.len() >= 12 {
        Magic::Riff
    } else if head.starts_with(b"fLaC") {
        Magic::Flac
    } else if head.len() >= 3
        && head.first() == Some(&0x80)
        && head.get(1).is_some_and(|p| (2..=5).contains(p))
    {
        Magic::Pickle
    } else if is_safetensors(head) {
        Magic::Safetensors
    } else if is_onnx(head) {
        Magic::Onnx
    } else {
        Magic::Unknown
    }
}

fn is_safetensors(head: &[u8]) -> bool {
    let Some(len) = head.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
        return false;
    };
    let n = u64::from_le_bytes(len);
    n > 1 && n < 100 * 1024 * 1024 && head.get(8..10) == Some(b"{\"")
}

/// ModelProto: field 1 (`ir_version`, varint, tag 0x08) with a small version, then a
/// length-delimited field (producer name 0x12, opset 0x42, graph 0x3a).
fn is_onnx(head: &[u8]) -> bool {
    matches!(head.first(), Some(0x08))
        && head.get(1).is_some_and(|v| (1..=20).contains(v))
        && head
            .get(2)
            .is_some_and(|t| matches!(t, 0x12 | 0x1a | 0x22 | 0x2a | 0x32 | 0x3a | 0x42))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics() {
        assert_eq!(classify(b"\x93NUMPY\x01\x00"), Magic::Npy);
        assert_eq!(classify(b"PAR1xxxx"), Magic::Parquet);
        assert_eq!(classify(b"\x08\x07\x12\x07pytorch"), Magic::Onnx);
        let mut st = 20u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{\"w\":{}}");
        assert_eq!(classify(&st), Magic::Safetensors);
        assert_eq!(classify(b"id,name\n1,a\n"), Magic::Unknown);
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Magic::Png);
        assert_eq!(classify(b"\xff\xd8\xff\xe0\0\x10JFIF"), Magic::Jpeg);
        assert_eq!(classify(b"RIFF\x24\0\0\0WAVEfmt "), Magic::Riff);
        assert_eq!(classify(b"fLaC\0\0\0\x22"), Magic::Flac);
        // ELF: a core dump by its e_type (4), in either byte order; a program (2) is not.
        let elf = |data: u8, e_type: [u8; 2]| {
            let mut h = b"\x7fELF\x02".to_vec();
            h.push(data);
            h.resize(16, 0);
            h.extend_from_slice(&e_type);
            h
        };
        assert_eq!(classify(&elf(1, [4, 0])), Magic::ElfCore);
        assert_eq!(classify(&elf(2, [0, 4])), Magic::ElfCore);
        assert_eq!(classify(&elf(1, [2, 0])), Magic::Elf);
        assert_eq!(classify(&elf(2, [4, 0])), Magic::Elf);
        assert_eq!(classify(b"\x7fELF"), Magic::Elf);
    }
}
