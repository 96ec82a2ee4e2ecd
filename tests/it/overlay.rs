//! The overlay and the waste accounting, one cause at a time and in combination, each
//! with its figures worked out by hand.

use crate::common::{analyze, assert_invariant, temp_file};
use deadweight::analyze::Analysis;
use deadweight::index::Index;
use synth::{Flavour, Image, Layer, Options};

fn run(layers: Vec<Layer>) -> (Index, Analysis) {
    let bytes = synth::write_archive(&[Image::new(layers)], &Options::new(Flavour::OciArchive))
        .expect("write");
    let f = temp_file(&bytes);
    let out = analyze(f.path(), None);
    assert_invariant("case", &out.1);
    out
}

/// (content, visible, overwritten, same_content, deleted, deleted_with_dir, opaque, duplicate)
fn figures(a: &Analysis) -> [u64; 8] {
    let t = &a.totals;
    let c = &t.hidden_by_cause;
    [
        t.content_bytes,
        t.visible_bytes,
        c.overwritten,
        c.same_content,
        c.deleted,
        c.deleted_with_dir,
        c.opaque,
        t.duplicate_bytes,
    ]
}

#[test]
fn file_readded_in_the_same_layer() {
    let (_, a) = run(vec![
        Layer::new()
            .file("a", vec![1u8; 100])
            .file("a", vec![2u8; 30]),
    ]);
    assert_eq!(figures(&a), [130, 30, 100, 0, 0, 0, 0, 0]);
}

#[test]
fn chmod_only_rewrite_is_same_content() {
    let (_, a) = run(vec![
        Layer::new().file("w.onnx", vec![9u8; 500]),
        Layer::new().file_mode("w.onnx", vec![9u8; 500], 0o444),
    ]);
    assert_eq!(figures(&a), [1000, 500, 500, 500, 0, 0, 0, 0]);
}

#[test]
fn changed_content_is_overwritten_not_same() {
    let (_, a) = run(vec![
        Layer::new().file("f", vec![1u8; 50]),
        Layer::new().file("f", vec![2u8; 50]),
    ]);
    assert_eq!(figures(&a), [100, 50, 50, 0, 0, 0, 0, 0]);
}

#[test]
fn file_whiteout() {
    let (_, a) = run(vec![
        Layer::new()
            .file("tmp/x.csv", vec![1u8; 64])
            .file("keep", vec![2u8; 3]),
        Layer::new().whiteout("tmp/x.csv"),
    ]);
    assert_eq!(figures(&a), [67, 3, 0, 0, 64, 0, 0, 0]);
}

#[test]
fn file_deleted_and_readded() {
    let (_, a) = run(vec![
        Layer::new().file("f", vec![1u8; 10]),
        Layer::new().whiteout("f"),
        Layer::new().file("f", vec![1u8; 10]),
    ]);
    assert_eq!(figures(&a), [20, 10, 0, 0, 10, 0, 0, 0]);
}

#[test]
fn directory_whiteout_takes_the_subtree() {
    let (_, a) = run(vec![
        Layer::new()
            .dir("docs")
            .file("docs/a.md", vec![1u8; 5])
            .file("docs/img/b.png", vec![2u8; 7]),
        Layer::new().whiteout("docs"),
    ]);
    assert_eq!(figures(&a), [12, 0, 0, 0, 0, 12, 0, 0]);
}

#[test]
fn whiteout_of_a_directory_holding_hard_links() {
    let (index, a) = run(vec![
        Layer::new()
            .file("d/f", vec![1u8; 40])
            .hardlink("d/g", "d/f")
            .hardlink("keep", "d/f"),
        Layer::new().whiteout("d"),
    ]);
    // `keep` still shows the inode: its bytes stay visible, on the surviving link.
    assert_eq!(figures(&a), [40, 40, 0, 0, 0, 0, 0, 0]);
    assert_eq!(a.totals.visible_files, 1);
    assert_eq!(a.totals.visible_inodes, 1);
    let f = a.waste.visible.first().expect("keep");
    assert_eq!(
        (index.paths.display(f.path), f.bytes),
        ("/keep".to_string(), 40)
    );

    let (_, a) = run(vec![
        Layer::new()
            .file("d/f", vec![1u8; 40])
            .hardlink("d/g", "d/f"),
        Layer::new().whiteout("d"),
    ]);
    assert_eq!(figures(&a), [40, 0, 0, 0, 0, 40, 0, 0]);
}

#[test]
fn opaque_directory_over_lower_layers_refilled_by_its_own_layer() {
    let (index, a) = run(vec![
        Layer::new()
            .dir("cfg")
            .file("cfg/a", vec![1u8; 4])
            .file("cfg/sub/b", vec![2u8; 6]),
        Layer::new().file("cfg/c", vec![3u8; 8]),
        // The marker comes after the refill in tar order: still only lower layers hide.
        Layer::new().file("cfg/new", vec![4u8; 9]).opaque("cfg"),
    ]);
    assert_eq!(figures(&a), [27, 9, 0, 0, 0, 0, 18, 0]);
    let visible: Vec<String> = a
        .waste
        .visible
        .iter()
        .map(|f| index.paths.display(f.path))
        .collect();
    assert_eq!(visible, vec!["/cfg/new"]);
}

#[test]
fn opaque_marker_at_the_root() {
    let (_, a) = run(vec![
        Layer::new().file("a", vec![1u8; 5]),
        Layer::new().opaque("").file("b", vec![2u8; 2]),
    ]);
    assert_eq!(figures(&a), [7, 2, 0, 0, 0, 0, 5, 0]);
}

#[test]
fn file_replacing_a_directory_removes_the_subtree() {
    let (_, a) = run(vec![
        Layer::new().file("x/y", vec![1u8; 11]),
        Layer::new().file("x", vec![2u8; 3]),
    ]);
    assert_eq!(figures(&a), [14, 3, 0, 0, 0, 11, 0, 0]);
}

#[test]
fn directory_replacing_a_file() {
    let (_, a) = run(vec![
        Layer::new().file("x", vec![2u8; 3]),
        Layer::new().file("x/y", vec![1u8; 11]),
    ]);
    assert_eq!(figures(&a), [14, 11, 3, 0, 0, 0, 0, 0]);
}

#[test]
fn whiteout_for_a_path_that_never_existed_is_harmless() {
    let (_, a) = run(vec![
        Layer::new().file("a", vec![1u8; 5]),
        Layer::new().whiteout("ghost").whiteout("dir/ghost"),
    ]);
    assert_eq!(figures(&a), [5, 5, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn duplicates_count_copies_not_hard_links() {
    let (_, a) = run(vec![
        Layer::new()
            .file("a", vec![7u8; 100])
            .hardlink("a2", "a")
            .file("b", vec![7u8; 100])
            .file("c", vec![7u8; 100])
            .file("empty1", Vec::new())
            .file("empty2", Vec::new()),
    ]);
    assert_eq!(a.totals.duplicate_bytes, 200);
    let g = a.waste.duplicates.first().expect("a group");
    assert_eq!(g.copies.len(), 3);
}

#[test]
fn combination_of_every_cause() {
    let (index, a) = run(vec![
        Layer::new()
            .file("app/model.bin", vec![1u8; 1000])
            .file("app/docs/a.md", vec![2u8; 20])
            .file("app/cfg/old.ini", vec![3u8; 30])
            .file("tmp/dl.tgz", vec![4u8; 400]),
        Layer::new()
            .file_mode("app/model.bin", vec![1u8; 1000], 0o444)
            .whiteout("app/docs")
            .opaque("app/cfg")
            .file("app/cfg/new.ini", vec![5u8; 5])
            .whiteout("tmp/dl.tgz"),
    ]);
    assert_eq!(figures(&a), [2455, 1005, 1000, 1000, 400, 20, 30, 0]);
    let l = a.waste.layers.get(1).expect("layer 1");
    assert_eq!((l.hides_bytes, l.hidden_bytes, l.deleted), (1450, 0, 3));
    let first = a.waste.hidden.first().expect("hidden");
    assert_eq!(index.paths.display(first.path), "/app/model.bin");
    assert_eq!((first.written_by, first.hidden_by), (0, 1));
}

#[test]
fn dive_figures_on_a_synthetic_image() {
    // dive counts the surviving copy as waste and a file whiteout as 0.
    let (_, a) = run(vec![
        Layer::new().file("base", vec![0u8; 100]),
        Layer::new().file("f", vec![1u8; 10]),
        Layer::new().file("f", vec![1u8; 10]),
        Layer::new().whiteout("f"),
    ]);
    assert_eq!(a.dive.wasted_bytes, 20);
    assert_eq!(a.dive.size_bytes, 120);
    assert_eq!(a.dive.user_bytes, 20);
    assert_eq!(a.dive.user_wasted_percent, Some(1.0));
    // min over the three sightings of /f is 0 (the whiteout), total 20; base 100/100.
    assert_eq!(a.dive.efficiency, 100.0 / 120.0);
}

/// dive 0.13.1's own output on the overlay's tricky cases (`benches/dive_crosscheck.sh`
/// ran dive on these archives): efficiency, wasted bytes, user wasted percent.
#[test]
fn dive_figures_equal_dive_on_tricky_cases() {
    let dive: &[(&str, f64, u64, f64)] = &[
        ("dir-whiteout", 1.0, 0, 0.0),
        ("file-over-dir", 0.7857142857142857, 3, 1.0),
        ("hardlinks", 0.0, 80, 2.0),
        ("implicit-dir-whiteout", 1.0, 0, 0.0),
        ("opaque", 0.8260869565217391, 8, 0.6153846153846154),
        ("readd-after-delete", 0.0, 20, 2.0),
        ("rewrite", 0.2, 250, 1.6666666666666667),
    ];
    let cases = synth::overlay_cases();
    assert_eq!(cases.len(), dive.len());
    for (name, layers) in cases {
        let bytes =
            synth::write_archive(&[Image::new(layers)], &Options::new(Flavour::DockerLegacy))
                .expect("write");
        let f = temp_file(&bytes);
        let (_, a) = analyze(f.path(), None);
        let &(_, eff, wasted, user) = dive.iter().find(|d| d.0 == name).expect("case");
        assert_eq!(a.dive.efficiency, eff, "{name}");
        assert_eq!(a.dive.wasted_bytes, wasted, "{name}");
        assert_eq!(a.dive.user_wasted_percent.unwrap_or(0.0), user, "{name}");
        assert_invariant(name, &a);
    }
}

/// Every file gets its own content's digest, whatever comes between files (whiteout
/// markers are regular entries that are not files, opaque markers, directories, links)
/// and however large the files are: digests reach the index a few entries after their
/// files, from the hasher thread.
#[test]
fn every_file_has_its_contents_digest() {
    let big = |b: u8| vec![b; 3 * 256 * 1024 + 7];
    let layers = vec![
        Layer::new()
            .file("d/x", vec![1u8; 10])
            .file("d/y", big(2))
            .file("gone", vec![3u8; 5])
            .file("empty", Vec::new()),
        Layer::new()
            .whiteout("gone")
            .file("a", big(4))
            .opaque("d")
            .file("d/z", vec![5u8; 1])
            .whiteout("empty")
            .file("b", vec![6u8; 700_000])
            .symlink("s", "a")
            .file("c", Vec::new()),
    ];
    let contents: Vec<(&str, Vec<u8>)> = vec![
        ("/d/x", vec![1u8; 10]),
        ("/d/y", big(2)),
        ("/gone", vec![3u8; 5]),
        ("/empty", Vec::new()),
        ("/a", big(4)),
        ("/d/z", vec![5u8; 1]),
        ("/b", vec![6u8; 700_000]),
        ("/c", Vec::new()),
    ];
    let (index, _) = run(layers);
    for (path, content) in contents {
        let e = index
            .entries
            .iter()
            .find(|e| index.paths.display(e.path) == path && e.size == content.len() as u64)
            .unwrap_or_else(|| panic!("no entry {path}"));
        assert_eq!(
            index.digest_of(e),
            Some(&deadweight::archive::Digest::of(&content)),
            "{path}"
        );
    }
}
