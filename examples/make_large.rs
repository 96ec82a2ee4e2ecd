//! Writes a large synthetic image archive for whole-process benchmarks (benches/compare.sh).
//!
//! `cargo run --release --example make_large -- OUT.tar [layers] [files-per-layer] [gzip|zstd|none] [whiteouts-per-layer] [blob-MiB]`
//!
//! Each layer holds `files-per-layer` small files (0.5-16 KiB, text-like so compressors
//! behave as on real files) under a few hundred directories, two 96 MiB "model" blobs, and
//! whiteouts of 1,000 of the previous layer's files: by default 8 layers, 20,000 files
//! each, about 2 GB and 160k entries with 7k whiteouts.

use std::io::Write;
use synth::{Compression, Flavour, Image, Layer, Options};

fn filler(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b"abcdefghij klmnopqrstuvwxyz\n0123456789"[(x % 38) as usize]
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "large.tar".to_string());
    let layers: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let files: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let compression = match args.get(4).map(String::as_str) {
        Some("gzip") => Compression::Gzip,
        Some("zstd") => Compression::Zstd,
        _ => Compression::None,
    };
    let whiteouts: u64 = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let blob_mib: usize = args.get(6).and_then(|a| a.parse().ok()).unwrap_or(96);
    let mut image_layers = Vec::new();
    for l in 0..layers {
        let mut layer = Layer::new();
        for i in 0..files {
            let size = 512 + ((i * 7919 + l * 31) % 16_000) as usize;
            layer = layer.file(
                &format!("srv/l{l}/pkg{}/mod{}/file{i}.py", i % 300, i % 11),
                filler(l * 1_000_000 + i, size),
            );
        }
        for b in 0..2 {
            layer = layer.file(
                &format!("models/l{l}/blob{b}.bin"),
                filler(l * 7 + b, blob_mib << 20),
            );
        }
        if l > 0 {
            for i in 0..whiteouts.min(files) {
                layer = layer.whiteout(&format!(
                    "srv/l{}/pkg{}/mod{}/file{i}.py",
                    l - 1,
                    i % 300,
                    i % 11
                ));
            }
        }
        image_layers.push(layer);
    }
    let image = Image::new(image_layers).tag("large:bench");
    let bytes = synth::write_archive(
        &[image],
        &Options::new(Flavour::DockerLegacy).layer_compression(compression),
    )?;
    let mut f = std::fs::File::create(&out)?;
    f.write_all(&bytes)?;
    let entries = layers * files + layers * 2 + (layers - 1) * whiteouts.min(files);
    let msg = format!("{out}: {} bytes, about {entries} entries\n", bytes.len());
    std::io::stderr().write_all(msg.as_bytes())?;
    Ok(())
}
