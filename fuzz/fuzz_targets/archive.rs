//! Fuzzes the whole reader: arbitrary bytes as a saved image (outer tar, gzip or zstd,
//! manifests, configs, layers), indexed, analysed, its findings and report built. Any panic, hang or runaway
//! allocation is a bug; an `Err` is the right answer to garbage.
#![no_main]

use deadweight::archive::{Limits, ReadOptions};
use deadweight::pipeline::{self, Options};
use deadweight::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        // Small caps so the fuzzer reaches the limit paths too.
        limits: Limits {
            max_json_bytes: 1 << 20,
            max_layer_entries: 100_000,
            max_entries: 150_000,
            max_path_bytes: 4096,
        },
        progress: None,
        // Both ways of reading: digests checked or taken as stated.
        verify: data.len() % 2 == 1,
    };
    // The whole pipeline, as `inspect` runs it: findings and the report too.
    let opts = Options {
        read: opts,
        ..Options::default()
    };
    let _ = pipeline::inspect(&Source::memory("fuzz", data), &opts);
});
