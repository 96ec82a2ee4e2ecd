//! The real archives in `../shared/fixtures/` and the project's sample: every figure of
//! their EXPECTED files, which an independent reader computed and dive cross-checked.

use crate::common::{analyze, assert_invariant, fixtures, testdata};
use serde_json::Value;
use std::path::Path;

fn u(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("EXPECTED lacks {key}: {v}"))
}

/// Checks every archive listed in `dir/EXPECTED.json`; returns how many.
fn check_folder(dir: &Path) -> usize {
    let text = std::fs::read_to_string(dir.join("EXPECTED.json")).expect("EXPECTED.json");
    let expected: Value = serde_json::from_str(&text).expect("EXPECTED.json parses");
    let archives = expected["archives"].as_object().expect("archives");
    for (key, e) in archives {
        let (file, image) = match key.split_once(".image-") {
            Some((f, img)) => (f.to_string(), Some(img.to_string())),
            None => (key.clone(), None),
        };
        // Archives with several images need --image even for the first one.
        let several = archives
            .keys()
            .any(|k| k.starts_with(&format!("{file}.image-")));
        let image = image.or_else(|| {
            several
                .then(|| {
                    e["image"][0]
                        .as_str()
                        .map(|s| s.rsplit(':').next().unwrap_or(s).to_string())
                })
                .flatten()
        });
        let (index, a) = analyze(&dir.join(&file), image.as_deref());
        let label = key.as_str();
        let t = &a.totals;
        let et = &e["totals"];
        assert_eq!(t.content_bytes, u(et, "content_bytes"), "{label} content");
        assert_eq!(t.visible_bytes, u(et, "visible_bytes"), "{label} visible");
        assert_eq!(
            t.visible_files,
            u(et, "visible_files"),
            "{label} visible files"
        );
        assert_eq!(
            t.visible_inodes,
            u(et, "visible_inodes"),
            "{label} visible inodes"
        );
        assert_eq!(t.hidden_bytes, u(et, "hidden_bytes"), "{label} hidden");
        let c = &et["hidden_by_cause"];
        let got = &t.hidden_by_cause;
        assert_eq!(got.overwritten, u(c, "overwritten"), "{label} overwritten");
        assert_eq!(
            got.same_content,
            u(c, "same_content"),
            "{label} same_content"
        );
        assert_eq!(got.deleted, u(c, "deleted"), "{label} deleted");
        assert_eq!(
            got.deleted_with_dir,
            u(c, "deleted_with_dir"),
            "{label} deleted_with_dir"
        );
        assert_eq!(got.opaque, u(c, "opaque"), "{label} opaque");
        assert_eq!(
            t.duplicate_bytes,
            u(e, "duplicate_bytes"),
            "{label} duplicates"
        );
        assert_eq!(
            index.image.config.user,
            e["user"].as_str().unwrap_or(""),
            "{label} user"
        );
        let layers = e["layers"].as_array().expect("layers");
        assert_eq!(index.layers.len(), layers.len(), "{label} layer count");
        for (l, el) in index.layers.iter().zip(layers) {
            let i = l.index;
            assert_eq!(l.blob.blob_bytes, u(el, "blob_bytes"), "{label} L{i} blob");
            assert_eq!(
                l.blob.compression.name(),
                el["compression"].as_str().unwrap_or(""),
                "{label} L{i} compression"
            );
            assert_eq!(
                l.counts.content_bytes,
                u(el, "content_bytes"),
                "{label} L{i} content"
            );
            assert_eq!(l.counts.entries, u(el, "entries"), "{label} L{i} entries");
            assert_eq!(l.counts.files, u(el, "files"), "{label} L{i} files");
            assert_eq!(
                l.counts.whiteouts,
                u(el, "whiteouts"),
                "{label} L{i} whiteouts"
            );
            assert_eq!(l.counts.opaque, u(el, "opaque"), "{label} L{i} opaque");
            assert_eq!(
                l.blob.diff_id.to_string(),
                el["diff_id"].as_str().unwrap_or(""),
                "{label} L{i} diff_id"
            );
        }
        // Hashing every blob and tar (--verify) checks the stated digests and finds
        // the same diff_ids.
        let verified = crate::common::load_verified(&dir.join(&file), image.as_deref())
            .unwrap_or_else(|e| panic!("{label} --verify: {e}"));
        assert!(verified.layers.iter().all(|l| l.blob.verified), "{label}");
        let computed: Vec<String> = verified
            .layers
            .iter()
            .map(|l| l.blob.diff_id.to_string())
            .collect();
        let stated: Vec<String> = index
            .layers
            .iter()
            .map(|l| l.blob.diff_id.to_string())
            .collect();
        assert_eq!(computed, stated, "{label} diff_ids, verified");
        if let Some(d) = e.get("dive") {
            assert_eq!(a.dive.size_bytes, u(d, "size_bytes"), "{label} dive size");
            assert_eq!(
                a.dive.user_bytes,
                u(d, "user_size_bytes"),
                "{label} dive user size"
            );
            assert_eq!(
                a.dive.wasted_bytes,
                u(d, "wasted_bytes"),
                "{label} dive wasted"
            );
            // Bit-exact: the same integer sums divided once, as dive does.
            assert_eq!(
                a.dive.efficiency,
                d["efficiency"].as_f64().expect("efficiency"),
                "{label} dive efficiency"
            );
            assert_eq!(
                a.dive.user_wasted_percent,
                d["user_wasted_percent"].as_f64(),
                "{label} dive user wasted"
            );
        }
        assert_invariant(label, &a);
    }
    archives.len()
}

#[test]
fn dive_fixtures_match_expected() {
    if let Some(dir) = fixtures("dive") {
        assert_eq!(check_folder(&dir), 6);
    }
}

#[test]
fn formats_fixtures_match_expected() {
    if let Some(dir) = fixtures("formats") {
        assert_eq!(check_folder(&dir), 5);
    }
}

#[test]
fn ggcr_fixtures_match_expected() {
    if let Some(dir) = fixtures("ggcr") {
        assert_eq!(check_folder(&dir), 7);
    }
}

#[test]
fn corpus_fixtures_match_expected() {
    if let Some(dir) = fixtures("corpus") {
        assert_eq!(check_folder(&dir), 2);
    }
}

#[test]
fn sample_matches_its_independent_figures() {
    assert_eq!(check_folder(&testdata("sample")), 1);
}

/// dive's own test asserts these on its legacy docker save (EXPECTED.md).
#[test]
fn dive_inefficient_paths_match_dive() {
    let Some(dir) = fixtures("dive") else { return };
    let (index, a) = analyze(&dir.join("test-docker-image.tar"), None);
    let listed: Vec<(String, u32, u64)> = a
        .dive
        .inefficient
        .iter()
        .filter(|p| p.bytes > 0)
        .map(|p| (index.paths.display(p.path), p.count, p.bytes))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("/root/example/somefile1.txt".to_string(), 2, 12_810),
            ("/root/saved.txt".to_string(), 2, 12_810),
            ("/root/example/somefile3.txt".to_string(), 2, 6_405),
        ]
    );
    assert_eq!(index.layers.len(), 14);
    assert_eq!(a.totals.entries, 451);
}

/// The saves of one build agree with each other (the vfs build wrote its opaque directory
/// as per-file whiteouts, so it differs, as the fixture's README says).
#[test]
fn formats_saves_agree() {
    let Some(dir) = fixtures("formats") else {
        return;
    };
    let reference = analyze(&dir.join("tiny.docker.tar"), None);
    for other in [
        "tiny.oci.tar",
        "tiny.oci-zstd.tar",
        "tiny.docker-dir-gzip.tar",
    ] {
        let (index, a) = analyze(&dir.join(other), None);
        assert_eq!(
            a.totals.content_bytes, reference.1.totals.content_bytes,
            "{other}"
        );
        assert_eq!(
            a.totals.visible_bytes, reference.1.totals.visible_bytes,
            "{other}"
        );
        assert_eq!(
            a.totals.hidden_by_cause, reference.1.totals.hidden_by_cause,
            "{other}"
        );
        let named = |i: &deadweight::index::Index, d: &deadweight::analyze::DiveFigures| {
            let paths: Vec<(String, u32, u64)> = d
                .inefficient
                .iter()
                .map(|p| (i.paths.display(p.path), p.count, p.bytes))
                .collect();
            (d.efficiency, d.wasted_bytes, d.user_wasted_percent, paths)
        };
        assert_eq!(
            named(&index, &a.dive),
            named(&reference.0, &reference.1.dive),
            "{other}"
        );
        let diff_ids: Vec<_> = index.layers.iter().map(|l| l.blob.diff_id).collect();
        let ref_ids: Vec<_> = reference.0.layers.iter().map(|l| l.blob.diff_id).collect();
        assert_eq!(diff_ids, ref_ids, "{other}");
    }
}

/// The corpus README's planted whiteouts show up as the causes they are.
#[test]
fn corpus_bloated_hidden_paths_name_their_layers() {
    let Some(dir) = fixtures("corpus") else {
        return;
    };
    let (index, a) = analyze(&dir.join("svc-bloated.oci-zstd.tar"), None);
    let find = |p: &str| {
        a.waste
            .hidden
            .iter()
            .find(|h| index.paths.display(h.path) == p)
            .unwrap_or_else(|| panic!("{p} not hidden"))
    };
    let csv = find("/tmp/feature-export.csv");
    assert_eq!((csv.written_by, csv.hidden_by), (5, 9));
    assert_eq!(csv.fate.cause(), "deleted");
    let onnx = find("/srv/predictor/weights/classifier.onnx");
    assert_eq!(
        (onnx.written_by, onnx.hidden_by, onnx.bytes),
        (3, 7, 3_269_184)
    );
    assert_eq!(onnx.fate.cause(), "same_content");
    let doc = a
        .waste
        .hidden
        .iter()
        .find(|h| {
            index
                .paths
                .display(h.path)
                .starts_with("/srv/predictor/docs/")
        })
        .expect("docs hidden");
    assert_eq!((doc.hidden_by, doc.fate.cause()), (8, "deleted_with_dir"));
}
