//! Pull cost (#22 item 4): every entry's stored bytes, and per layer the entries plus
//! what follows the last one add up to the blob exactly, for plain, gzip and zstd layers.
//! The figures to check against come from the synthetic layer's own tar and compressed
//! blob, not from what deadweight printed.

use deadweight::pipeline::{self, Options};
use deadweight::source::Source;
use synth::{Compression, Flavour, Image, Layer};

/// Bytes that compress badly: a linear congruential stream.
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

/// A layer with a file of noise, a large file of zeros between small files, a
/// directory, links, and a name long enough for a PAX or GNU long-name header.
fn layer() -> Layer {
    let mut l = Layer::new()
        .dir("app/")
        .file("app/noise.bin", noise(300_000, 7));
    for i in 0..200 {
        l = l.file(
            &format!("app/small/{i}.txt"),
            format!("line {i}\n").repeat(i % 9),
        );
    }
    l.file("app/zeros.bin", vec![0u8; 3_000_000])
        .symlink("app/link", "noise.bin")
        .hardlink("app/hard", "app/noise.bin")
        .file(
            &format!("app/{}/deep.bin", "long".repeat(40)),
            noise(5_000, 3),
        )
        .file("app/last.bin", noise(40_000, 9))
}

/// Where each entry of `tar` ends (its content's end; padding not included), in order,
/// as the tar crate walks it, and the tar's length.
fn boundaries(tar: &[u8]) -> Vec<(String, u64)> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .expect("entries")
        .map(|e| {
            let e = e.expect("entry");
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            (name, e.raw_file_position() + e.size())
        })
        .collect()
}

/// The stored bytes of every entry of the only layer, in tar order, with the layer's
/// blob size and its counts' total.
fn read(compression: Compression) -> (Vec<u64>, u64, u64, deadweight::model::InspectReport) {
    let archive = synth::write_archive(
        &[Image::new(vec![layer()])],
        &synth::Options::new(Flavour::Docker25).layer_compression(compression),
    )
    .expect("archive");
    let source = Source::memory("pullcost", archive);
    let index = pipeline::read_index(&source, &Options::default(), None).expect("index");
    let l = index.layers.first().expect("one layer");
    let stored = index
        .entries
        .get(l.range.clone())
        .expect("entries")
        .iter()
        .map(|e| e.stored)
        .collect();
    let report = deadweight::inspect(&source, &Options::default())
        .expect("inspect")
        .report;
    (stored, l.blob.blob_bytes, l.counts.stored_bytes, report)
}

#[test]
fn a_plain_layer_costs_its_headers_content_and_padding_exactly() {
    let tar = layer().to_tar();
    let ends = boundaries(&tar);
    let (stored, blob, sum, report) = read(Compression::None);
    assert_eq!(blob, tar.len() as u64);
    assert_eq!(stored.len(), ends.len());
    let mut before = 0;
    for ((name, end), got) in ends.iter().zip(&stored) {
        assert_eq!(*got, end - before, "{name}");
        before = *end;
    }
    assert_eq!(sum, before);
    let l = report.layers.first().expect("layer");
    assert_eq!(l.entries_stored_bytes, before);
    // What follows the last entry: its padding, two zero blocks, the record's fill.
    assert_eq!(l.end_stored_bytes, tar.len() as u64 - before);
    assert!(l.end_stored_bytes >= 1024, "{}", l.end_stored_bytes);
}

fn ties_out(compression: Compression) {
    let tar = layer().to_tar();
    let blob = compression.compress(&tar).expect("compress").len() as u64;
    let (stored, read_blob, sum, report) = read(compression);
    assert_eq!(read_blob, blob, "the blob as synth wrote it");
    assert_eq!(stored.iter().sum::<u64>(), sum);
    let l = report.layers.first().expect("layer");
    assert_eq!(l.blob_bytes, blob);
    assert_eq!(l.entries_stored_bytes, sum);
    assert_eq!(
        l.entries_stored_bytes + l.end_stored_bytes,
        blob,
        "entries plus the end are the blob, exactly"
    );
    // The figures mean something: noise costs about its size, zeros almost nothing.
    let names: Vec<String> = boundaries(&tar).into_iter().map(|(n, _)| n).collect();
    let of = |name: &str| {
        let at = names.iter().position(|n| n == name).expect(name);
        *stored.get(at).expect("stored")
    };
    // zstd marks its position once per block (up to 128 KiB of tar): the block that
    // holds noise.bin's end holds the small files too, and a share of its stored bytes
    // goes to them by tar bytes, so zstd's figure may fall 30 KB short. gzip marks every
    // 8 KiB of tar.
    let low = match compression {
        Compression::Zstd => 260_000,
        _ => 290_000,
    };
    let noise = of("app/noise.bin");
    assert!(
        (low..=330_000).contains(&noise),
        "{compression:?}: noise.bin (300,000 bytes of noise) costs {noise}"
    );
    let zeros = of("app/zeros.bin");
    assert!(
        zeros < 60_000,
        "{compression:?}: zeros.bin (3,000,000 zero bytes) costs {zeros}"
    );
    let last = of("app/last.bin");
    assert!(
        (30_000..=50_000).contains(&last),
        "{compression:?}: last.bin (40,000 bytes of noise) costs {last}"
    );
    // The document's files carry the same figure.
    let top = report
        .top_files
        .iter()
        .find(|f| f.path == "/app/noise.bin")
        .expect("noise.bin among the largest files");
    assert_eq!(top.stored_bytes, noise);
    let app = report
        .top_dirs
        .iter()
        .find(|d| d.path == "/app")
        .expect("/app among the largest directories");
    assert!(app.stored_bytes >= noise + zeros + last);
    assert!(app.stored_bytes <= blob);
}

#[test]
fn gzip_layers_tie_out_to_the_blob() {
    ties_out(Compression::Gzip);
}

#[test]
fn zstd_layers_tie_out_to_the_blob() {
    ties_out(Compression::Zstd);
}

/// Two gzip layers in an archive file are read by workers of their own (one per core):
/// the entries cost what a sequential read of the same bytes says.
#[test]
fn layers_read_in_parallel_cost_what_a_sequential_read_says() {
    let second = Layer::new().file("b/noise.bin", noise(70_000, 5));
    let archive = synth::write_archive(
        &[Image::new(vec![layer(), second])],
        &synth::Options::new(Flavour::Docker25).layer_compression(Compression::Gzip),
    )
    .expect("archive");
    let file = crate::common::temp_file(&archive);
    let stored = |source: &Source| -> Vec<u64> {
        let index = pipeline::read_index(source, &Options::default(), None).expect("index");
        index.entries.iter().map(|e| e.stored).collect()
    };
    let from_file = stored(&Source::Path(file.path().to_path_buf()));
    let from_memory = stored(&Source::memory("pullcost", archive));
    assert_eq!(from_file, from_memory);
}

/// Every layer of every fixture: its entries' stored bytes never exceed its blob, so the
/// entries and what follows them add up to the blob exactly.
#[test]
fn every_fixture_layer_ties_out() {
    for sub in ["corpus", "formats", "ggcr", "dive"] {
        let Some(dir) = crate::common::fixtures(sub) else {
            return;
        };
        let mut tars: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tar"))
            .collect();
        tars.sort();
        for path in tars {
            let Ok(index) = crate::common::load(&path, None) else {
                continue;
            };
            for l in &index.layers {
                let sum: u64 = index
                    .entries
                    .get(l.range.clone())
                    .expect("entries")
                    .iter()
                    .map(|e| e.stored)
                    .sum();
                assert_eq!(sum, l.counts.stored_bytes);
                assert!(
                    sum <= l.blob.blob_bytes,
                    "{} layer {}: entries cost {sum} of a {}-byte blob",
                    path.display(),
                    l.index,
                    l.blob.blob_bytes
                );
            }
        }
    }
}

/// `--sort stored` puts what a pull downloads first: 3 MB of zeros is the largest file
/// and 300 kB of noise the largest pull cost.
#[test]
fn sort_stored_orders_the_lists_by_pull_cost() {
    let archive = synth::write_archive(
        &[Image::new(vec![layer()])],
        &synth::Options::new(Flavour::Docker25).layer_compression(Compression::Gzip),
    )
    .expect("archive");
    let file = crate::common::temp_file(&archive);
    let first = |args: &[&str]| -> String {
        let out = crate::common::bin()
            .args(["inspect", "-q", "--format", "json"])
            .args(args)
            .arg(file.path())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["top_files"][0]["path"]
            .as_str()
            .expect("a path")
            .to_string()
    };
    assert_eq!(first(&[]), "/app/zeros.bin");
    assert_eq!(first(&["--sort", "stored"]), "/app/noise.bin");
    let table = crate::common::bin()
        .args(["inspect", "-q", "--sort", "stored"])
        .arg(file.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("visible files, largest pull cost first"),
        "{text}"
    );
}
