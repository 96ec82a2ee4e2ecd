//! Hostile and broken archives: one test per case of the malformed-input catalogue.
//!
//! Every broken input must end in exit code 2, nothing on stdout (no partial report) and
//! exactly one line on stderr that names the file, member or layer and what is wrong; no
//! panic, no hang. Inputs that are valid but odd must give the exact right result, worked
//! out by hand in each test. Inputs are built with `synth` and with byte surgery on tar
//! headers (the helpers below write headers field by field and recompute the checksum).

use crate::common::{bin, temp_file};
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::archive::manifest::Selection;
use deadweight::archive::{Limits, ReadOptions};
use deadweight::index::{EntryKind, Fate, Index};
use deadweight::source::Source;
use std::io::Write;
use std::path::Path;
use synth::{Compression, Flavour, Image, Layer, Options};

// ---------------------------------------------------------------------------------------
// Raw tar writing and header surgery.

const BLOCK: usize = 512;

/// Writes `value` as zero-padded octal filling `field` but its last byte (a NUL).
fn put_octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    assert!(
        text.len() <= width,
        "{value} does not fit in {width} octal digits"
    );
    field[..width].copy_from_slice(text.as_bytes());
    field[width] = 0;
}

/// Recomputes a header's checksum (the field counts as eight spaces).
fn fix_checksum(h: &mut [u8]) {
    h[148..156].fill(b' ');
    let sum: u32 = h[..BLOCK].iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A ustar header for `name` (at most 100 bytes, any bytes), of type `ty`, claiming `size`.
fn header(name: &[u8], ty: u8, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; BLOCK];
    h[..name.len()].copy_from_slice(name);
    put_octal(&mut h[100..108], 0o644);
    put_octal(&mut h[108..116], 0);
    put_octal(&mut h[116..124], 0);
    put_octal(&mut h[124..136], size);
    put_octal(&mut h[136..148], 0);
    h[156] = ty;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    fix_checksum(&mut h);
    h
}

/// `data` padded to whole blocks.
fn padded(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
    v
}

/// One tar entry: header and padded data (the header claims `data.len()`).
fn entry(name: &[u8], ty: u8, data: &[u8]) -> Vec<u8> {
    let mut v = header(name, ty, data.len() as u64);
    v.extend(padded(data));
    v
}

/// A symlink or hard link entry.
fn link_entry(name: &[u8], ty: u8, target: &[u8]) -> Vec<u8> {
    let mut h = header(name, ty, 0);
    h[157..157 + target.len()].copy_from_slice(target);
    fix_checksum(&mut h);
    h
}

/// A PAX extended header (`x`, or `g` for global) holding `records` (key, value).
fn pax(ty: u8, records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in records {
        // "<len> <key>=<value>\n", where len counts itself.
        let rest = k.len() + v.len() + 3;
        let mut len = rest + 1;
        while len.to_string().len() + rest != len {
            len += 1;
        }
        body.extend_from_slice(format!("{len} {k}=").as_bytes());
        body.extend_from_slice(v);
        body.push(b'\n');
    }
    entry(b"PaxHeaders/x", ty, &body)
}

/// Entries followed by the two zero blocks that end a tar.
fn tar_of(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut v: Vec<u8> = parts.concat();
    v.extend([0u8; 2 * BLOCK]);
    v
}

/// An outer archive of regular-file members.
fn outer(members: &[(&str, &[u8])]) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = members
        .iter()
        .map(|(n, d)| entry(n.as_bytes(), b'0', d))
        .collect();
    tar_of(&parts)
}

const CONFIG: &str =
    r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;

/// A docker-save style archive: `manifest.json`, `config.json` and `l<i>.tar` per layer,
/// the manifest listing `listed` (defaults to every layer in order).
fn docker(layers: &[Vec<u8>], config: &str, listed: Option<&[&str]>) -> Vec<u8> {
    let names: Vec<String> = (0..layers.len()).map(|i| format!("l{i}.tar")).collect();
    let listed: Vec<String> = match listed {
        Some(l) => l.iter().map(|s| s.to_string()).collect(),
        None => names.clone(),
    };
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["hostile:1"],
        "Layers": listed,
    }])
    .to_string();
    let mut members: Vec<(&str, &[u8])> = vec![
        ("manifest.json", manifest.as_bytes()),
        ("config.json", config.as_bytes()),
    ];
    for (n, l) in names.iter().zip(layers) {
        members.push((n, l));
    }
    outer(&members)
}

/// Offsets of the headers of a tar's entries (walking the size fields), with their names.
fn headers_of(tar: &[u8]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + BLOCK <= tar.len() && tar[at..at + BLOCK].iter().any(|&b| b != 0) {
        let h = &tar[at..at + BLOCK];
        let name_end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = String::from_utf8_lossy(&h[..name_end]).into_owned();
        let size_text = String::from_utf8_lossy(&h[124..135])
            .trim_matches(char::from(0))
            .to_string();
        let size = u64::from_str_radix(size_text.trim(), 8).unwrap_or(0) as usize;
        out.push((at, name));
        at += BLOCK + size.div_ceil(BLOCK) * BLOCK;
    }
    out
}

/// The header offset of the member named `name`.
fn header_at(tar: &[u8], name: &str) -> usize {
    headers_of(tar)
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(at, _)| at)
        .unwrap_or_else(|| panic!("no member {name}"))
}

// ---------------------------------------------------------------------------------------
// Running the reader and the binary.

fn opts() -> ReadOptions {
    ReadOptions::default()
}

/// Reads and indexes `bytes` as the pipeline does.
fn read(bytes: &[u8], read: ReadOptions) -> deadweight::Result<Index> {
    let opts = deadweight::pipeline::Options {
        read,
        ..Default::default()
    };
    deadweight::pipeline::read_index(&Source::memory("mem", bytes), &opts, None)
}

/// Reads `bytes` with the library; the index and its analysis.
fn load(bytes: &[u8]) -> (Index, Analysis) {
    let index = read(bytes, opts()).unwrap_or_else(|e| panic!("should load: {e}"));
    let analysis = Analysis::new(&index, &BaseHint::default());
    (index, analysis)
}

/// The library's error for `bytes`.
fn load_err(bytes: &[u8], limits: Limits) -> String {
    let o = ReadOptions {
        limits,
        progress: None,
        verify: true,
    };
    match read(bytes, o) {
        Ok(_) => panic!("should fail"),
        Err(e) => e.to_string(),
    }
}

/// Runs the binary on `bytes` (as a file) with `args`; asserts the failure contract and
/// returns the one stderr line.
fn fails(bytes: &[u8], args: &[&str], needles: &[&str]) -> String {
    let f = temp_file(bytes);
    fails_path(f.path(), args, needles)
}

fn fails_path(path: &Path, args: &[&str], needles: &[&str]) -> String {
    let out = bin().arg(path).args(args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    check_failure(&out, &stderr, needles);
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    stderr
}

fn check_failure(out: &std::process::Output, stderr: &str, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "partial report: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("deadweight: error: "), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{stderr:?} lacks {n:?}");
    }
}

/// The entries of the image at `path` (normalised, escaped), with kind, size and fate.
fn entries(index: &Index) -> Vec<(String, EntryKind, u64, Fate)> {
    index
        .entries
        .iter()
        .map(|e| (index.paths.display(e.path), e.kind, e.size, e.fate))
        .collect()
}

/// The last entry at `path` (given without the leading `/` the index shows).
fn find(index: &Index, path: &str) -> (EntryKind, u64, Fate) {
    let path = format!("/{path}");
    entries(index)
        .into_iter()
        .rev()
        .find(|(p, ..)| *p == path)
        .map(|(_, k, s, f)| (k, s, f))
        .unwrap_or_else(|| panic!("no entry {path}: {:?}", entries(index)))
}

fn sample_archive() -> Vec<u8> {
    let base = Layer::new()
        .dir("etc/")
        .file("etc/hostname", "box\n")
        .file("bin/tool", vec![b'x'; 1000]);
    let top = Layer::new().file("app/main", vec![b'y'; 3000]);
    synth::write_archive(
        &[Image::new(vec![base, top]).tag("s:1")],
        &Options::new(Flavour::DockerLegacy),
    )
    .expect("write")
}

// ---------------------------------------------------------------------------------------
// Truncation and corruption.

#[test]
fn truncated_outer_tar_mid_header() {
    let bytes = sample_archive();
    let (at, _) = headers_of(&bytes)[2].clone();
    let cut = &bytes[..at + 100];
    fails(cut, &[], &["truncated"]);
}

#[test]
fn truncated_outer_tar_mid_member() {
    let bytes = sample_archive();
    let name = headers_of(&bytes)
        .into_iter()
        .find(|(_, n)| n.ends_with("layer.tar"))
        .expect("a layer")
        .1;
    let at = header_at(&bytes, &name);
    let cut = &bytes[..at + BLOCK + 700];
    let err = fails(cut, &[], &["truncated", &name]);
    // The member is cut inside its first entry's data: the layer tar is cut too.
    assert!(err.contains("member"), "{err}");
}

#[test]
fn truncated_layer_inside_a_whole_member() {
    // The outer tar is intact; the layer tar in it stops in the middle of a file.
    let layer = tar_of(&[entry(b"big", b'0', &[7u8; 5000])]);
    let cut = layer[..BLOCK + 2048].to_vec();
    let err = fails(
        &docker(&[cut], CONFIG, None),
        &[],
        &["l0.tar", "truncated layer"],
    );
    assert!(err.contains("big"), "{err}");
}

fn gzip_archive() -> (Vec<u8>, Vec<u8>) {
    let layer = tar_of(&[entry(b"f", b'0', &[1u8; 4000])]);
    let gz = Compression::Gzip.compress(&layer).expect("gzip");
    (docker(std::slice::from_ref(&gz), CONFIG, None), gz)
}

#[test]
fn corrupt_gzip_bad_crc() {
    let (mut bytes, gz) = gzip_archive();
    // The CRC-32 is the gzip trailer's first four bytes.
    let at = header_at(&bytes, "l0.tar") + BLOCK + gz.len() - 8;
    bytes[at] ^= 0xff;
    fails(&bytes, &[], &["l0.tar", "gzip"]);
}

#[test]
fn corrupt_gzip_bad_header() {
    let (mut bytes, _) = gzip_archive();
    // Byte 2 is the compression method: 8 (deflate) is the only one there is.
    let at = header_at(&bytes, "l0.tar") + BLOCK + 2;
    bytes[at] = 7;
    fails(&bytes, &[], &["l0.tar", "gzip"]);
}

#[test]
fn corrupt_zstd_frame() {
    let layer = tar_of(&[entry(b"f", b'0', &[1u8; 4000])]);
    let zst = Compression::Zstd.compress(&layer).expect("zstd");
    // Cut the frame short: its last block is missing.
    let cut = zst[..zst.len() - 6].to_vec();
    fails(&docker(&[cut], CONFIG, None), &[], &["l0.tar", "zstd"]);
    // A frame header with reserved bits set.
    let mut bad = zst.clone();
    bad[4] |= 0x08;
    fails(&docker(&[bad], CONFIG, None), &[], &["l0.tar", "zstd"]);
    // A frame that asks for a 256 MiB window (descriptor 0x90: 2^(10+18)), over zstd's
    // own default limit, then a raw block of one byte.
    let greedy = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x90, 0x09, 0x00, 0x00, b'x'];
    fails(
        &docker(&[greedy], CONFIG, None),
        &[],
        &["l0.tar", "zstd layer", "256 MiB window"],
    );
}

// ---------------------------------------------------------------------------------------
// Size and number fields.

#[test]
fn size_field_far_beyond_the_data() {
    // An outer member claims 8 GiB and the file ends after 1 KiB of it.
    let mut bytes = entry(b"manifest.json", b'0', &[b' '; 1024]);
    put_octal(&mut bytes[124..136], 7 << 30);
    fix_checksum(&mut bytes);
    fails(&bytes, &[], &["manifest.json", "truncated", "7516192768"]);
    // A layer entry claims 6 GiB inside a well-formed member.
    let mut e = entry(b"huge", b'0', &[0u8; 512]);
    put_octal(&mut e[124..136], 6 << 30);
    fix_checksum(&mut e);
    fails(
        &docker(&[tar_of(&[e])], CONFIG, None),
        &[],
        &["l0.tar", "truncated layer", "huge"],
    );
}

#[test]
fn garbage_and_negative_octal_fields() {
    for (field, range) in [("mode", 100..108), ("uid", 108..116), ("gid", 116..124)] {
        let mut e = entry(b"f", b'0', b"abc");
        e[range.clone()].copy_from_slice(b"zz9!zz\0\0");
        fix_checksum(&mut e);
        fails(
            &docker(&[tar_of(&[e])], CONFIG, None),
            &[],
            &["l0.tar", field],
        );
    }
    // Garbage in a size field.
    let mut e = entry(b"f", b'0', b"abc");
    e[124..136].copy_from_slice(b"12x45\0\0\0\0\0\0\0");
    fix_checksum(&mut e);
    fails(
        &docker(&[tar_of(&[e])], CONFIG, None),
        &[],
        &["l0.tar", "size"],
    );
    // A negative base-256 size (two's complement -1): no file is that big or that small.
    let mut e = entry(b"f", b'0', b"abc");
    e[124..136].fill(0xff);
    fix_checksum(&mut e);
    fails(&docker(&[tar_of(&[e])], CONFIG, None), &[], &["l0.tar"]);
}

#[test]
fn base256_sizes_and_ids_are_read() {
    // GNU base-256: high bit of the first byte set, then a big-endian number.
    let mut e = entry(b"f", b'0', &[5u8; 700]);
    let mut size = [0u8; 12];
    size[0] = 0x80;
    size[10..].copy_from_slice(&700u16.to_be_bytes());
    e[124..136].copy_from_slice(&size);
    let mut uid = [0u8; 8];
    uid[0] = 0x80;
    uid[4..].copy_from_slice(&3_000_000_000u32.to_be_bytes());
    e[108..116].copy_from_slice(&uid);
    fix_checksum(&mut e);
    let (index, a) = load(&docker(&[tar_of(&[e])], CONFIG, None));
    assert_eq!(find(&index, "f"), (EntryKind::File, 700, Fate::Visible));
    assert_eq!(index.entries[0].uid, 3_000_000_000);
    assert_eq!(a.totals.content_bytes, 700);
}

// ---------------------------------------------------------------------------------------
// Long names, PAX, sparse files.

#[test]
fn pax_long_names_large_sizes_and_global_headers() {
    let long = format!("{}/file", "p".repeat(300));
    let layer = tar_of(&[
        pax(b'g', &[("comment", b"a global header is not a file")]),
        pax(b'x', &[("path", long.as_bytes())]),
        entry(b"short-name-overridden", b'0', b"hello"),
        // The PAX size wins over the header's (0 here).
        pax(b'x', &[("size", b"1500")]),
        {
            let mut e = header(b"sized", b'0', 0);
            e.extend(padded(&[9u8; 1500]));
            e
        },
    ]);
    let (index, a) = load(&docker(&[layer], CONFIG, None));
    assert_eq!(find(&index, &long), (EntryKind::File, 5, Fate::Visible));
    assert_eq!(
        find(&index, "sized"),
        (EntryKind::File, 1500, Fate::Visible)
    );
    // Two files; the PAX headers are not entries.
    assert_eq!(index.layers[0].counts.entries, 2);
    assert_eq!(a.totals.content_bytes, 1505);
}

#[test]
fn gnu_long_names_and_long_links() {
    let name = format!("{}/leaf", "n".repeat(250));
    let target = format!("/{}/target", "t".repeat(200));
    let layer = Layer::new()
        .file(&name, "12345")
        .symlink("s", &target)
        .hardlink(&format!("{}/hard", "h".repeat(150)), &name);
    let bytes = synth::write_archive(
        &[Image::new(vec![layer])],
        &Options::new(Flavour::DockerLegacy),
    )
    .expect("write");
    let (index, a) = load(&bytes);
    assert_eq!(find(&index, &name), (EntryKind::File, 5, Fate::Visible));
    let (k, _, _) = find(&index, "s");
    assert_eq!(k, EntryKind::Symlink);
    let s = index
        .entries
        .iter()
        .find(|e| e.kind == EntryKind::Symlink)
        .expect("symlink");
    assert_eq!(&*index.link_targets[s.link as usize], target.as_bytes());
    let (k, size, _) = find(&index, &format!("{}/hard", "h".repeat(150)));
    assert_eq!((k, size), (EntryKind::HardLink, 0));
    // The hard link shares the inode: 5 bytes, not 10.
    assert_eq!(a.totals.visible_bytes, 5);
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
}

#[test]
fn gnu_sparse_file_counts_its_apparent_size() {
    // Old GNU sparse: type 'S', the map in the header (offset/length pairs at 386), the
    // real size at 483. Stored: 1024 bytes (two chunks of 512) of an 8,704-byte file (the last
    // chunk ends at the real size).
    let mut h = header(b"sparse", b'S', 1024);
    h[257..265].copy_from_slice(b"ustar  \0");
    put_octal(&mut h[386..398], 0);
    put_octal(&mut h[398..410], 512);
    put_octal(&mut h[410..422], 8192);
    put_octal(&mut h[422..434], 512);
    put_octal(&mut h[483..495], 8704);
    fix_checksum(&mut h);
    let mut e = h;
    e.extend([1u8; 1024]);
    let (index, a) = load(&docker(&[tar_of(&[e])], CONFIG, None));
    assert_eq!(
        find(&index, "sparse"),
        (EntryKind::File, 8704, Fate::Visible)
    );
    assert_eq!(a.totals.content_bytes, 8704);
}

// ---------------------------------------------------------------------------------------
// Members and manifests.

#[test]
fn duplicate_members_in_the_outer_tar_use_the_last_copy() {
    let first = tar_of(&[entry(b"old", b'0', &[1u8; 100])]);
    let second = tar_of(&[entry(b"new", b'0', &[2u8; 200])]);
    let manifest =
        r#"[{"Config":"config.json","RepoTags":["d:1"],"Layers":["l0.tar"]}]"#.to_string();
    let bytes = outer(&[
        ("manifest.json", manifest.as_bytes()),
        ("config.json", CONFIG.as_bytes()),
        ("l0.tar", &first),
        ("l0.tar", &second),
    ]);
    let (index, a) = load(&bytes);
    assert_eq!(
        entries(&index),
        vec![("/new".to_string(), EntryKind::File, 200, Fate::Visible)]
    );
    assert_eq!(a.totals.content_bytes, 200);
    assert!(
        index
            .warnings
            .iter()
            .any(|w| w.contains("l0.tar appears more than once")),
        "{:?}",
        index.warnings
    );
}

#[test]
fn a_layer_listed_twice_in_the_manifest() {
    let l = tar_of(&[entry(b"f", b'0', &[1u8; 300])]);
    let (index, a) = load(&docker(&[l], CONFIG, Some(&["l0.tar", "l0.tar"])));
    assert_eq!(index.layers.len(), 2);
    // The second copy overwrites the first: 600 shipped, 300 visible, 300 hidden.
    assert_eq!(a.totals.content_bytes, 600);
    assert_eq!(a.totals.visible_bytes, 300);
    assert_eq!(a.totals.hidden_by_cause.overwritten, 300);
    assert_eq!(a.totals.hidden_by_cause.same_content, 300);
    assert!(index.warnings.iter().any(|w| w.contains("more than once")));
}

/// Layers read in another order than the manifest lists them are put in the manifest's
/// order, hard links still pointing at their targets in the same layer.
#[test]
fn layers_in_another_order_than_the_manifest() {
    let l0 = tar_of(&[
        entry(b"a", b'0', &[1u8; 100]),
        entry(b"b", b'0', &[2u8; 10]),
        link_entry(b"c", b'1', b"b"),
    ]);
    let l1 = tar_of(&[
        entry(b"x", b'0', &[3u8; 7]),
        entry(b"a", b'0', &[4u8; 50]),
        link_entry(b"d", b'1', b"a"),
    ]);
    let (index, a) = load(&docker(&[l0, l1], CONFIG, Some(&["l1.tar", "l0.tar"])));
    assert_eq!(
        entries(&index),
        vec![
            ("/x".to_string(), EntryKind::File, 7, Fate::Visible),
            ("/a".to_string(), EntryKind::File, 50, Fate::Overwritten),
            ("/d".to_string(), EntryKind::HardLink, 0, Fate::Visible),
            ("/a".to_string(), EntryKind::File, 100, Fate::Visible),
            ("/b".to_string(), EntryKind::File, 10, Fate::Visible),
            ("/c".to_string(), EntryKind::HardLink, 0, Fate::Visible),
        ]
    );
    let layer_of: Vec<u16> = index.entries.iter().map(|e| e.layer).collect();
    assert_eq!(layer_of, vec![0, 0, 0, 1, 1, 1]);
    for (link, target) in [(2, 1), (5, 4)] {
        let e = index.entries.get(link).expect("link");
        let t = index.inode_entry(e);
        assert_eq!(
            t,
            index.entries.get(target).expect("target"),
            "entry {link}"
        );
    }
    assert_eq!(a.totals.content_bytes, 167);
}

#[test]
fn manifest_naming_a_missing_member() {
    let l = tar_of(&[entry(b"f", b'0', b"x")]);
    fails(
        &docker(&[l], CONFIG, Some(&["l0.tar", "gone.tar"])),
        &[],
        &["gone.tar", "does not hold"],
    );
}

#[test]
fn symlinked_layer_member_outside_the_archive_or_to_itself() {
    let manifest = r#"[{"Config":"config.json","RepoTags":["d:1"],"Layers":["l0.tar"]}]"#;
    for (target, needle) in [
        (&b"../../etc/passwd"[..], "outside"),
        (b"/etc/passwd", "outside"),
        (b"l0.tar", "itself"),
    ] {
        let bytes = tar_of(&[
            entry(b"manifest.json", b'0', manifest.as_bytes()),
            entry(b"config.json", b'0', CONFIG.as_bytes()),
            link_entry(b"l0.tar", b'2', target),
        ]);
        fails(&bytes, &[], &["l0.tar", needle]);
    }
    // Two links that point at each other.
    let bytes = tar_of(&[
        entry(b"manifest.json", b'0', manifest.as_bytes()),
        entry(b"config.json", b'0', CONFIG.as_bytes()),
        link_entry(b"l0.tar", b'2', b"l1.tar"),
        link_entry(b"l1.tar", b'2', b"l0.tar"),
    ]);
    fails(&bytes, &[], &["l0.tar", "loop"]);
}

#[test]
fn huge_config_is_not_buffered() {
    let mut big = String::from(r#"{"architecture":"amd64","os":"linux","pad":""#);
    big.push_str(&"a".repeat(3 << 20));
    big.push_str("\"}");
    let l = tar_of(&[entry(b"f", b'0', b"x")]);
    let bytes = docker(&[l], &big, None);
    fails(
        &bytes,
        &["--max-json-bytes", "1048576"],
        &["config.json", "--max-json-bytes"],
    );
    // Under the default cap (16 MiB) it is read.
    let (index, _) = load(&bytes);
    assert_eq!(index.layers.len(), 1);
}

#[test]
fn deeply_nested_config_json() {
    let mut deep = String::from(r#"{"architecture":"amd64","os":"linux","x":"#);
    deep.push_str(&"[".repeat(100_000));
    deep.push_str(&"]".repeat(100_000));
    deep.push('}');
    let l = tar_of(&[entry(b"f", b'0', b"x")]);
    // Valid JSON nested 100,000 deep in a field we do not read: skipped, no stack overflow.
    let (index, _) = load(&docker(std::slice::from_ref(&l), &deep, None));
    assert_eq!(index.layers.len(), 1);
    // Nested in a field we do read: serde_json's depth limit makes it an error.
    let mut bad = String::from(r#"{"architecture":"amd64","os":"linux","history":"#);
    bad.push_str(&"[".repeat(100_000));
    bad.push_str(&"]".repeat(100_000));
    bad.push('}');
    fails(
        &docker(&[l], &bad, None),
        &[],
        &["config.json", "malformed JSON"],
    );
}

fn with_history(n: usize) -> String {
    let h: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"created_by":"step {i}"}}"#))
        .collect();
    format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"history":[{}]}}"#,
        h.join(",")
    )
}

#[test]
fn history_shorter_or_longer_than_the_layers() {
    let layers = vec![
        tar_of(&[entry(b"a", b'0', &[1u8; 10])]),
        tar_of(&[entry(b"b", b'0', &[2u8; 20])]),
    ];
    for n in [1usize, 3] {
        let (index, a) = load(&docker(&layers, &with_history(n), None));
        assert_eq!(a.totals.content_bytes, 30);
        assert_eq!(index.created_by(0), Some("step 0"));
        assert_eq!(
            index.created_by(1),
            if n == 1 { None } else { Some("step 1") }
        );
        assert!(
            index
                .warnings
                .iter()
                .any(|w| w.contains(&format!("history lists {n} layers, the manifest 2"))),
            "{:?}",
            index.warnings
        );
    }
}

// ---------------------------------------------------------------------------------------
// Entry names and overlay oddities.

#[test]
fn absolute_dotdot_and_dot_slash_names() {
    let base = Layer::new()
        .file("/etc/abs", vec![1u8; 10])
        .file("./etc/dot", vec![2u8; 20])
        .file("usr/../etc/up", vec![3u8; 30])
        .file("../../escape", vec![4u8; 40]);
    // The top layer names the same files in their plain spelling: they overwrite.
    let top = Layer::new()
        .file("etc/abs", vec![5u8; 1])
        .file("escape", vec![6u8; 2]);
    let bytes = synth::write_archive(
        &[Image::new(vec![base, top])],
        &Options::new(Flavour::DockerLegacy),
    )
    .expect("write");
    let (index, a) = load(&bytes);
    assert_eq!(
        find(&index, "etc/dot"),
        (EntryKind::File, 20, Fate::Visible)
    );
    assert_eq!(find(&index, "etc/up"), (EntryKind::File, 30, Fate::Visible));
    assert_eq!(find(&index, "etc/abs"), (EntryKind::File, 1, Fate::Visible));
    assert_eq!(find(&index, "escape"), (EntryKind::File, 2, Fate::Visible));
    assert_eq!(a.totals.content_bytes, 103);
    assert_eq!(a.totals.visible_bytes, 53);
    assert_eq!(a.totals.hidden_by_cause.overwritten, 50);
    assert!(index.warnings.iter().any(|w| w.contains("usr/../etc/up")));
    assert!(
        index
            .warnings
            .iter()
            .any(|w| w.contains("climbs above the root"))
    );
}

#[test]
fn whiteouts_for_paths_that_never_existed() {
    let base = Layer::new().file("keep", vec![1u8; 10]);
    let top = Layer::new().whiteout("never").whiteout("no/such/dir");
    let bytes = synth::write_archive(
        &[Image::new(vec![base, top])],
        &Options::new(Flavour::OciArchive),
    )
    .expect("write");
    let (index, a) = load(&bytes);
    assert_eq!(find(&index, "keep"), (EntryKind::File, 10, Fate::Visible));
    assert_eq!(a.totals.visible_bytes, 10);
    assert_eq!(a.totals.hidden_bytes, 0);
    assert_eq!(index.layers[1].counts.whiteouts, 2);
}

#[test]
fn opaque_marker_at_the_root() {
    let base = Layer::new()
        .file("a/one", vec![1u8; 10])
        .file("two", vec![2u8; 20]);
    let top = Layer::new().opaque("").file("three", vec![3u8; 30]);
    let bytes = synth::write_archive(
        &[Image::new(vec![base, top])],
        &Options::new(Flavour::OciArchive),
    )
    .expect("write");
    let (index, a) = load(&bytes);
    assert_eq!(find(&index, "a/one").2, Fate::Opaque);
    assert_eq!(find(&index, "two").2, Fate::Opaque);
    assert_eq!(find(&index, "three"), (EntryKind::File, 30, Fate::Visible));
    assert_eq!(a.totals.visible_bytes, 30);
    assert_eq!(a.totals.hidden_by_cause.opaque, 30);
}

#[test]
fn hard_links_to_missing_targets_and_to_later_entries() {
    let layer = Layer::new()
        .hardlink("early", "later")
        .file("later", vec![1u8; 100])
        .hardlink("dangling", "missing");
    let bytes = synth::write_archive(
        &[Image::new(vec![layer])],
        &Options::new(Flavour::OciArchive),
    )
    .expect("write");
    let (index, a) = load(&bytes);
    // One inode of 100 bytes; the dangling link is an empty file.
    assert_eq!(a.totals.content_bytes, 100);
    assert_eq!(a.totals.visible_bytes, 100);
    assert_eq!(
        find(&index, "dangling"),
        (EntryKind::HardLink, 0, Fate::Visible)
    );
    assert!(
        index
            .warnings
            .iter()
            .any(|w| w.contains("before its target"))
    );
    assert!(
        index
            .warnings
            .iter()
            .any(|w| w.contains("missing, which the layer does not hold"))
    );
}

#[test]
fn two_hundred_thousand_empty_files_in_one_layer() {
    // CI's version of "a million empty files": time and memory stay linear (the 1M run is
    // measured by hand, see docs/fuzzing.md).
    const N: usize = 200_000;
    let mut layer = Vec::with_capacity((N + 1) * BLOCK);
    let empty = header(b"d/placeholder", b'0', 0);
    for i in 0..N {
        let mut h = empty.clone();
        let name = format!("d/{:x}/{i}", i % 256);
        h[..100].fill(0);
        h[..name.len()].copy_from_slice(name.as_bytes());
        fix_checksum(&mut h);
        layer.extend(h);
    }
    layer.extend([0u8; 2 * BLOCK]);
    let start = std::time::Instant::now();
    let (index, a) = load(&docker(&[layer], CONFIG, None));
    assert_eq!(index.layers[0].counts.entries, N as u64);
    assert_eq!(index.layers[0].counts.files, N as u64);
    assert_eq!(a.totals.visible_files, N as u64);
    assert_eq!(a.totals.content_bytes, 0);
    // Root, d, 256 buckets, N files.
    assert_eq!(index.paths.len(), 1 + 1 + 256 + N);
    eprintln!("200k empty files: {:?}", start.elapsed());
}

#[test]
fn a_path_4096_levels_deep() {
    let deep = format!("{}f", "d/".repeat(4096));
    let layer = Layer::new().file(&deep, vec![1u8; 7]);
    let top = Layer::new().whiteout("d");
    let bytes = synth::write_archive(
        &[
            Image::new(vec![layer.clone()]),
            Image::new(vec![layer, top]).tag("del:1"),
        ],
        &Options::new(Flavour::OciArchive),
    )
    .expect("write");
    let f = temp_file(&bytes);
    let sel = Selection {
        image: Some("del:1".into()),
        platform: None,
    };
    let opts = deadweight::pipeline::Options {
        selection: sel,
        ..Default::default()
    };
    let index =
        deadweight::pipeline::read_index(&Source::Path(f.path().to_path_buf()), &opts, None)
            .expect("load");
    let a = Analysis::new(&index, &BaseHint::default());
    assert_eq!(
        find(&index, &deep),
        (EntryKind::File, 7, Fate::DeletedWithDir)
    );
    assert_eq!(a.totals.hidden_by_cause.deleted_with_dir, 7);
    // The binary renders it (table and JSON) without overflowing its stack.
    for format in ["table", "json"] {
        let out = bin()
            .arg(f.path())
            .args(["--image", "del:1", "--format", format])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn non_utf8_names_are_shown_escaped() {
    let layer = tar_of(&[
        entry(b"caf\xe9", b'0', &[1u8; 11]),
        entry(b"bad\xff\xfe/x", b'0', &[2u8; 22]),
    ]);
    let bytes = docker(&[layer], CONFIG, None);
    let (index, a) = load(&bytes);
    assert_eq!(
        find(&index, "caf\\xe9"),
        (EntryKind::File, 11, Fate::Visible)
    );
    assert_eq!(
        find(&index, "bad\\xff\\xfe/x"),
        (EntryKind::File, 22, Fate::Visible)
    );
    assert_eq!(a.totals.visible_bytes, 33);
    let f = temp_file(&bytes);
    let out = bin()
        .arg(f.path())
        .args(["--format", "json", "--all-files"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("JSON is UTF-8");
    assert!(text.contains(r"caf\\xe9"), "{text}");
    assert!(text.contains(r"bad\\xff\\xfe/x"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Inputs that are not images at all.

#[test]
fn an_empty_archive() {
    fails(b"", &[], &["empty file"]);
    // Just the end-of-archive blocks: a tar with no members.
    fails(&[0u8; 2 * BLOCK], &[], &["manifest"]);
    // A tar of an empty file only.
    fails(&outer(&[("nothing", b"")]), &[], &["manifest"]);
}

#[test]
fn a_directory_that_is_not_a_layout() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/blob"), b"x").expect("write");
    fails_path(dir.path(), &[], &["not an image layout"]);
    let empty = tempfile::tempdir().expect("dir");
    fails_path(empty.path(), &[], &["not an image layout"]);
}

#[test]
fn stdin_closed_early() {
    let bytes = sample_archive();
    for cut in [100usize, 2048 + 300, bytes.len() / 2] {
        let out = bin()
            .arg("-")
            .write_stdin(bytes[..cut].to_vec())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // A cut inside the first header is a truncation too, said as such.
        let needle = if cut < BLOCK {
            "inside the first tar header"
        } else {
            "truncated"
        };
        check_failure(&out, &stderr, &["-: ", "truncated", needle]);
    }
    // Fewer than 512 bytes that do not start like a header are not a tar at all.
    let out = bin()
        .arg("-")
        .write_stdin(b"hello\n".to_vec())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    check_failure(&out, &stderr, &["-: ", "not a tar archive"]);
}

// ---------------------------------------------------------------------------------------
// Caps.

#[test]
fn every_cap_names_its_flag() {
    let layer = tar_of(&[
        entry(b"a", b'0', b"1"),
        entry(b"b", b'0', b"2"),
        entry(b"c", b'0', b"3"),
    ]);
    let bytes = docker(&[layer], CONFIG, None);
    fails(
        &bytes,
        &["--max-layer-entries", "2"],
        &["l0.tar", "--max-layer-entries"],
    );
    // Two layers of three: within the cap per layer, over the cap for the image.
    let three = || {
        tar_of(&[
            entry(b"a", b'0', b"1"),
            entry(b"b", b'0', b"2"),
            entry(b"c", b'0', b"3"),
        ])
    };
    fails(
        &docker(&[three(), three()], CONFIG, None),
        &["--max-entries", "5"],
        &["--max-entries", "entries in the image"],
    );
    let long = tar_of(&[entry(&[b'n'; 90], b'0', b"1")]);
    fails(
        &docker(&[long], CONFIG, None),
        &["--max-path-bytes", "64"],
        &["l0.tar", "--max-path-bytes"],
    );
    let err = load_err(
        &docker(&[tar_of(&[entry(b"a", b'0', b"1")])], CONFIG, None),
        Limits {
            max_json_bytes: 10,
            ..Limits::default()
        },
    );
    assert!(err.contains("--max-json-bytes"), "{err}");
}

#[test]
fn diff_takes_the_same_caps() {
    let three = || {
        tar_of(&[
            entry(b"a", b'0', b"1"),
            entry(b"b", b'0', b"2"),
            entry(b"c", b'0', b"3"),
        ])
    };
    let small = temp_file(&docker(&[three()], CONFIG, None));
    let big = docker(&[three(), three()], CONFIG, None);
    let big_file = temp_file(&big);
    let (before, after) = (small.path().to_str(), big_file.path().to_str());
    let (Some(before), Some(after)) = (before, after) else {
        panic!("temp paths are UTF-8 here");
    };
    // Within the caps, the diff runs.
    let out = bin()
        .args(["diff", before, after, "--max-entries", "6"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Over them, on a file and on standard input, it fails naming the flag.
    let out = bin()
        .args(["diff", before, after, "--max-entries", "5"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    check_failure(&out, &stderr, &["AFTER", "--max-entries"]);
    let out = bin()
        .args(["diff", before, "-", "--max-layer-entries", "2"])
        .write_stdin(big)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    check_failure(&out, &stderr, &["--max-layer-entries"]);
}

// ---------------------------------------------------------------------------------------
// The host: nothing written, no symlink followed, nothing extracted.

#[test]
fn layout_folder_symlinks_are_recorded_not_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let image = Image::new(vec![Layer::new().file("f", vec![1u8; 10])]).tag("l:1");
    synth::write_oci_dir(
        std::slice::from_ref(&image),
        &Options::new(Flavour::OciArchive),
        dir.path(),
    )
    .expect("write");
    let digests = synth::digests(&image, Compression::None);
    let hex = digests.blob_digests[0]
        .trim_start_matches("sha256:")
        .to_string();
    let blob = dir.path().join("blobs/sha256").join(&hex);
    // The layer blob becomes a symlink to a file outside the folder holding the same bytes.
    let outside = tempfile::tempdir().expect("outside");
    std::fs::rename(&blob, outside.path().join("layer")).expect("move");
    std::os::unix::fs::symlink(outside.path().join("layer"), &blob).expect("symlink");
    fails_path(dir.path(), &[], &[&hex, "outside"]);
    // A symlinked folder is not walked either.
    std::fs::remove_file(&blob).expect("rm");
    std::fs::rename(outside.path().join("layer"), &blob).expect("move back");
    std::os::unix::fs::symlink("/", dir.path().join("root-link")).expect("symlink");
    let out = bin().arg(dir.path()).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn writes_nothing_but_the_output_file() {
    let work = tempfile::tempdir().expect("cwd");
    let home = tempfile::tempdir().expect("home");
    let tmp = tempfile::tempdir().expect("tmp");
    let input = temp_file(&sample_archive());
    let report = tmp
        .path()
        .join("..")
        .join(format!("report-{}.json", std::process::id()));
    let _cleanup = Remove(report.clone());
    let out = bin()
        .current_dir(work.path())
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .arg(input.path())
        .args(["--format", "json", "-o"])
        .arg(&report)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.is_file());
    for d in [work.path(), home.path(), tmp.path()] {
        let n = std::fs::read_dir(d).expect("list").count();
        assert_eq!(n, 0, "{} was written to", d.display());
    }
}

struct Remove(std::path::PathBuf);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// A gzip bomb.

/// Runs the binary with stdout to a file, its heap capped by RLIMIT_DATA at `cap` bytes
/// (an allocation past it fails, so memory that grows with content cannot pass), and
/// returns (exit code, stdout, stderr, the largest VmHWM seen in /proc while it ran, KiB).
/// (wait4's ru_maxrss is no use here: it keeps the forking test process's high-water mark.)
fn run_measured(args: &[&std::ffi::OsStr], cap: u64) -> (i32, String, String, u64) {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("dir");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("deadweight"));
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout"))
        .stderr(std::fs::File::create(&err_path).expect("stderr"));
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: cap,
                rlim_max: cap,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("VmHWM:") {
                    let kib = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                    peak = peak.max(kib);
                }
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        std::fs::read_to_string(out_path).expect("read"),
        std::fs::read_to_string(err_path).expect("read"),
        peak,
    )
}

/// A layer tar holding one file of `bytes` zeros, gzip-compressed as it is generated.
fn zero_bomb(bytes: u64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&header(b"zeros", b'0', bytes)).expect("gz");
    let chunk = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        gz.write_all(&chunk[..n]).expect("gz");
        left -= n as u64;
    }
    gz.write_all(&[0u8; 2 * BLOCK]).expect("gz");
    gz.finish().expect("gz")
}

#[test]
fn gzip_bomb_finishes_with_flat_memory() {
    // CI's version: 1 GiB of zeros from a ~1 MB blob (10 GB measured by hand).
    const GIB: u64 = 1 << 30;
    let gz = zero_bomb(GIB);
    assert!(gz.len() < 2 << 20, "{}", gz.len());
    let f = temp_file(&docker(&[gz], CONFIG, None));
    let (code, stdout, stderr, peak_kib) = run_measured(
        &[f.path().as_os_str(), "--format".as_ref(), "json".as_ref()],
        128 << 20,
    );
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["totals"]["content_bytes"], GIB);
    assert_eq!(v["totals"]["visible_bytes"], GIB);
    assert_eq!(v["layers"][0]["content_bytes"], GIB);
    assert_eq!(v["layers"][0]["entries"], 1);
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
    eprintln!("1 GiB gzip bomb: peak RSS {peak_kib} KiB");
}
