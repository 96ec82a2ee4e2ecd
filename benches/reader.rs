//! Reader + index throughput on archives synthesized in memory.
//!
//! Why: reading every byte once and hashing every file is the work deadweight cannot avoid;
//! these benches say how close to that floor the archive and index stages run, per shape
//! of image (many small files, few large ones, deep trees, many whiteouts, compressed
//! layers). Throughput is in bytes of the archive as stored.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deadweight::pipeline::{self, Options as InspectOptions};
use deadweight::source::Source;
use std::hint::black_box;
use synth::{Compression, Flavour, Image, Layer, Options};

/// Deterministic filler that does not compress to nothing.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 61) as u8 + b'0'
        })
        .collect()
}

fn many_small_files() -> Image {
    let layers = (0..4)
        .map(|l| {
            (0..5_000).fold(Layer::new(), |layer, i| {
                layer.file(
                    &format!("usr/lib/pkg{}/mod{}/f{i}.py", i % 50, i % 7),
                    bytes(l * 100_000 + i, 1_000),
                )
            })
        })
        .collect();
    Image::new(layers)
}

fn few_large_files() -> Image {
    Image::new(vec![
        Layer::new().file("models/a.bin", bytes(1, 32 << 20)),
        Layer::new().file("models/b.bin", bytes(2, 32 << 20)),
    ])
}

fn deep_tree() -> Image {
    let mut layer = Layer::new();
    for i in 0..2_000u64 {
        let dir: String = (0..(i % 40)).map(|d| format!("d{d}/")).collect();
        layer = layer.file(&format!("{dir}f{i}"), bytes(i, 512));
    }
    Image::new(vec![layer])
}

fn many_whiteouts() -> Image {
    let mut layers = Vec::new();
    for l in 0..10u64 {
        let mut layer = Layer::new();
        for i in 0..1_000u64 {
            layer = layer.file(&format!("data/l{l}/f{i}"), bytes(l * 1_000 + i, 256));
            if l > 0 {
                layer = layer.whiteout(&format!("data/l{}/f{i}", l - 1));
            }
        }
        layers.push(layer);
    }
    Image::new(layers)
}

fn bench_reader(c: &mut Criterion) {
    let cases: Vec<(&str, Image, Compression)> = vec![
        ("many-small-files", many_small_files(), Compression::None),
        ("few-large-files", few_large_files(), Compression::None),
        ("deep-tree", deep_tree(), Compression::None),
        ("many-whiteouts", many_whiteouts(), Compression::None),
        (
            "many-small-files-gzip",
            many_small_files(),
            Compression::Gzip,
        ),
        ("few-large-files-gzip", few_large_files(), Compression::Gzip),
        ("few-large-files-zstd", few_large_files(), Compression::Zstd),
    ];
    // The whole pipeline, as `inspect` runs it: read, index, analyze, findings, report.
    let mut group = c.benchmark_group("inspect");
    group.sample_size(10);
    for (name, image, compression) in cases {
        let archive = synth::write_archive(
            &[image],
            &Options::new(Flavour::DockerLegacy).layer_compression(compression),
        )
        .unwrap_or_default();
        group.throughput(Throughput::Bytes(archive.len() as u64));
        let source = Source::memory(name, archive);
        group.bench_function(name, |b| {
            b.iter(|| {
                let seen = pipeline::inspect(&source, &InspectOptions::default());
                black_box(seen.ok().map(|s| s.report.totals.visible_bytes))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_reader);
criterion_main!(benches);
