//! The same image written in every layout people save images in: every reader path must
//! give the same, exact answer.

use crate::common::{analyze, assert_invariant, temp_file};
use synth::{Compression, Flavour, History, Image, Layer, Options};

/// A small image with every overlay feature, and its figures worked out by hand:
///
/// - L0: `bin/tool` 1000 B, `bin/link` hard link to it, `etc/conf` 10 B, `etc/old/a` 7 B,
///   `app/config/x` 4 B, `lib/s` symlink.
/// - L1: `etc/conf` rewritten with the same 10 B (a chmod copy), `etc/.wh.old`,
///   `app/config/.wh..wh..opq` and a new `app/config/y` 5 B, `data/big` 300 B.
/// - L2: `data/.wh.big`, `copy/tool` 1000 B identical to `bin/tool`.
///
/// content = 1000+10+7+4 + 10+5+300 + 1000 = 2336; visible = 1000 (tool, once) + 10 + 5 +
/// 1000 = 2015; hidden = 321: overwritten 10 (all same content), deleted 300,
/// deleted_with_dir 7, opaque 4; duplicates 1000 (bin/tool and copy/tool).
pub fn sample_image() -> Image {
    let l0 = Layer::new()
        .dir("bin")
        .file("bin/tool", vec![b'x'; 1000])
        .hardlink("bin/link", "bin/tool")
        .dir("etc")
        .file("etc/conf", vec![b'c'; 10])
        .dir("etc/old")
        .file("etc/old/a", vec![b'a'; 7])
        .dir("app/config")
        .file("app/config/x", vec![b'x'; 4])
        .symlink("lib/s", "../bin/tool");
    let l1 = Layer::new()
        .file_mode("etc/conf", vec![b'c'; 10], 0o600)
        .whiteout("etc/old")
        .opaque("app/config")
        .file("app/config/y", vec![b'y'; 5])
        .file("data/big", vec![b'b'; 300]);
    let l2 = Layer::new()
        .whiteout("data/big")
        .file("copy/tool", vec![b'x'; 1000]);
    Image::new(vec![l0, l1, l2])
        .tag("sample:1")
        .user("app")
        .history(vec![
            History::layer("ADD rootfs /"),
            History::empty("ENV A=1"),
            History::layer("RUN chmod 600 /etc/conf"),
            History::layer("RUN rm /data/big && cp /bin/tool /copy/tool"),
        ])
}

fn check_sample(label: &str, path: &std::path::Path) {
    check_image(label, path, None);
}

fn check_image(label: &str, path: &std::path::Path, image: Option<&str>) {
    let (index, a) = analyze(path, image);
    let t = &a.totals;
    assert_eq!(index.layers.len(), 3, "{label}");
    assert_eq!(t.content_bytes, 2336, "{label}");
    assert_eq!(t.visible_bytes, 2015, "{label}");
    assert_eq!(t.hidden_bytes, 321, "{label}");
    assert_eq!(t.hidden_by_cause.overwritten, 10, "{label}");
    assert_eq!(t.hidden_by_cause.same_content, 10, "{label}");
    assert_eq!(t.hidden_by_cause.deleted, 300, "{label}");
    assert_eq!(t.hidden_by_cause.deleted_with_dir, 7, "{label}");
    assert_eq!(t.hidden_by_cause.opaque, 4, "{label}");
    assert_eq!(t.duplicate_bytes, 1000, "{label}");
    assert_eq!(t.visible_files, 5, "{label}: tool, link, conf, y, copy");
    assert_eq!(t.visible_inodes, 4, "{label}");
    assert_eq!(index.image.config.user, "app", "{label}");
    assert_eq!(
        index.created_by(1),
        Some("RUN chmod 600 /etc/conf"),
        "{label}"
    );
    assert_eq!(
        index.created_by(2),
        Some("RUN rm /data/big && cp /bin/tool /copy/tool"),
        "{label}"
    );
    let digests = synth::digests(&sample_image(), Compression::None);
    let ids: Vec<String> = index
        .layers
        .iter()
        .map(|l| l.blob.diff_id.to_string())
        .collect();
    assert_eq!(ids, digests.diff_ids, "{label}");
    assert!(index.warnings.is_empty(), "{label}: {:?}", index.warnings);
    assert_invariant(label, &a);
}

const FLAVOURS: [Flavour; 5] = [
    Flavour::DockerLegacy,
    Flavour::DockerSymlinked,
    Flavour::Docker25,
    Flavour::OciArchive,
    Flavour::SkopeoDir,
];

#[test]
fn every_flavour_and_compression_gives_the_same_figures() {
    for flavour in FLAVOURS {
        for layers in [Compression::None, Compression::Gzip, Compression::Zstd] {
            for manifest_last in [false, true] {
                let opts = Options::new(flavour)
                    .layer_compression(layers)
                    .manifest_last(manifest_last);
                let bytes = synth::write_archive(&[sample_image()], &opts).expect("write");
                let f = temp_file(&bytes);
                check_sample(
                    &format!("{flavour:?}/{layers:?}/last={manifest_last}"),
                    f.path(),
                );
            }
        }
    }
}

#[test]
fn whole_archive_gzip_and_zstd() {
    for outer in [Compression::Gzip, Compression::Zstd] {
        let opts = Options::new(Flavour::DockerLegacy).outer_compression(outer);
        let bytes = synth::write_archive(&[sample_image()], &opts).expect("write");
        let f = temp_file(&bytes);
        check_sample(&format!("outer {outer:?}"), f.path());
        let (index, _) = analyze(f.path(), None);
        assert!(index.outer_compression.is_some());
    }
}

#[test]
fn layout_folders() {
    for flavour in [Flavour::OciArchive, Flavour::Docker25, Flavour::SkopeoDir] {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = Options::new(flavour).layer_compression(Compression::Gzip);
        synth::write_oci_dir(&[sample_image()], &opts, dir.path()).expect("write dir");
        check_sample(&format!("folder {flavour:?}"), dir.path());
    }
}

#[test]
fn several_images_need_a_choice() {
    let other = Image::new(vec![Layer::new().file("only", vec![1u8; 42])]).tag("other:2");
    for flavour in [
        Flavour::DockerLegacy,
        Flavour::OciArchive,
        Flavour::Docker25,
    ] {
        let bytes = synth::write_archive(&[sample_image(), other.clone()], &Options::new(flavour))
            .expect("write");
        let f = temp_file(&bytes);
        let err = crate::common::load(f.path(), None).expect_err("ambiguous");
        let msg = err.to_string();
        assert!(
            msg.contains("--image") && msg.contains("sample") && msg.contains("other"),
            "{msg}"
        );
        check_image(
            &format!("{flavour:?} pick sample"),
            f.path(),
            Some("sample:1"),
        );
        let (_, a) = analyze(f.path(), Some("other:2"));
        assert_eq!(a.totals.content_bytes, 42);
        let err = crate::common::load(f.path(), Some("nope:1")).expect_err("missing ref");
        assert!(err.to_string().contains("no image nope:1"), "{err}");
    }
}

#[test]
fn several_platforms_pick_host_or_flag() {
    let amd = sample_image();
    let arm = Image::new(vec![Layer::new().file("arm-only", vec![2u8; 77])])
        .tag("sample:1")
        .platform("linux", "arm64", Some("v8"));
    let bytes = synth::write_multi_platform(&[amd, arm], &Options::new(Flavour::OciArchive))
        .expect("write");
    let f = temp_file(&bytes);
    let load = |platform: Option<&str>| {
        let opts = deadweight::pipeline::Options {
            selection: deadweight::archive::manifest::Selection {
                image: None,
                platform: platform
                    .map(|p| deadweight::archive::manifest::Platform::parse(p).expect("platform")),
            },
            ..Default::default()
        };
        deadweight::pipeline::read_index(
            &deadweight::source::Source::Path(f.path().to_path_buf()),
            &opts,
            None,
        )
    };
    let arm = load(Some("linux/arm64")).expect("arm64");
    assert_eq!(arm.layers.len(), 1);
    assert_eq!(arm.image.config.architecture, "arm64");
    let arm_v8 = load(Some("linux/arm64/v8")).expect("arm64/v8");
    assert_eq!(arm_v8.image.config.architecture, "arm64");
    let amd = load(Some("linux/amd64")).expect("amd64");
    assert_eq!(amd.layers.len(), 3);
    let default = load(None).expect("default");
    let host = deadweight::archive::manifest::Platform::host();
    let expected = if host.architecture == "arm64" { 1 } else { 3 };
    assert_eq!(default.layers.len(), expected);
    let err = load(Some("linux/s390x")).expect_err("no such platform");
    assert!(
        err.to_string()
            .contains("no image for platform linux/s390x"),
        "{err}"
    );
}
