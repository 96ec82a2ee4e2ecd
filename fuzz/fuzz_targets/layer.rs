//! Fuzzes one layer's parser: arbitrary bytes as an uncompressed layer tar, first into
//! the bare parser, then as the only layer of a docker-save archive built around it, so
//! the index (names, whiteouts, opaque markers, hard links) and the analysis see it too.
#![no_main]

use deadweight::pipeline::{self, Options};
use deadweight::source::Source;
use deadweight::archive::{LayerBlob, LayerSink, Limits, RawEntry, ReadOptions, Refused};
use libfuzzer_sys::fuzz_target;

struct Count(u64);

impl LayerSink for Count {
    fn begin_layer(&mut self, _member: &str) {}
    fn entry(&mut self, entry: &RawEntry<'_>) -> Result<(), Refused> {
        self.0 += entry.size.min(1);
        Ok(())
    }
    fn end_layer(&mut self, _member: &str, _blob: &LayerBlob) {}
}

fn limits() -> Limits {
    Limits {
        max_json_bytes: 1 << 20,
        max_layer_entries: 100_000,
        max_entries: 150_000,
        max_path_bytes: 4096,
    }
}

fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    let _ = b.append_data(&mut h, name, data);
}

fuzz_target!(|data: &[u8]| {
    let _ = deadweight::archive::layer::read_layer(data, &mut Count(0), &limits());

    let mut b = tar::Builder::new(Vec::new());
    member(
        &mut b,
        "manifest.json",
        br#"[{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":["layer.tar"]}]"#,
    );
    member(
        &mut b,
        "config.json",
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[]}"#,
    );
    member(&mut b, "layer.tar", data);
    let Ok(outer) = b.into_inner() else { return };
    let opts = ReadOptions {
        limits: limits(),
        progress: None,
        // Both ways of reading: digests checked or taken as stated.
        verify: data.len() % 2 == 1,
    };
    let opts = Options {
        read: opts,
        ..Options::default()
    };
    let _ = pipeline::inspect(&Source::memory("fuzz", outer), &opts);
});
