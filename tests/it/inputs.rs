//! Inputs from the outside: standard input, bad files, error lines and exit codes.

use crate::common::{bin, fixtures, temp_file, testdata};
use predicates::prelude::*;
use synth::{Compression, Flavour, Options};

#[test]
fn readme_sample_reports() {
    bin()
        .args(["inspect", "-q"])
        .arg(testdata("sample/sample.docker.tar"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "localhost/deadweight/sample:latest",
        ))
        .stdout(predicate::str::contains("Where the waste is"))
        .stdout(predicate::str::contains("total visible"));
}

#[test]
fn a_path_alone_means_inspect() {
    let a = bin()
        .arg(testdata("sample/sample.docker.tar"))
        .arg("--format=json")
        .output()
        .expect("run");
    let b = bin()
        .args(["inspect", "--format=json"])
        .arg(testdata("sample/sample.docker.tar"))
        .output()
        .expect("run");
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn stdin_gives_the_same_report_as_the_file() {
    let path = testdata("sample/sample.docker.tar");
    let bytes = std::fs::read(&path).expect("sample");
    let from_file = bin()
        .args(["inspect", "--format", "json"])
        .arg(&path)
        .output()
        .expect("run");
    let from_stdin = bin()
        .args(["inspect", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .expect("run");
    let mut a: serde_json::Value = serde_json::from_slice(&from_file.stdout).expect("json");
    let mut b: serde_json::Value = serde_json::from_slice(&from_stdin.stdout).expect("json");
    a["source"]["path"] = serde_json::Value::Null;
    b["source"]["path"] = serde_json::Value::Null;
    assert_eq!(a, b);
}

#[test]
fn json_has_the_contracted_fields() {
    let out = bin()
        .args(["inspect", "--format", "json"])
        .arg(testdata("sample/sample.docker.tar"))
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["schema_version"], 1);
    for key in ["ref", "id", "os", "arch", "user"] {
        assert!(v["image"].get(key).is_some(), "image.{key}");
    }
    for key in [
        "index",
        "digest",
        "blob_bytes",
        "content_bytes",
        "files",
        "whiteouts",
        "opaque",
        "hidden_bytes",
        "created_by",
    ] {
        assert!(v["layers"][0].get(key).is_some(), "layers[].{key}");
    }
    for key in [
        "content_bytes",
        "blob_bytes",
        "visible_bytes",
        "visible_files",
        "hidden_bytes",
        "hidden_by_cause",
        "duplicate_bytes",
    ] {
        assert!(v["totals"].get(key).is_some(), "totals.{key}");
    }
    for key in [
        "overwritten",
        "same_content",
        "deleted",
        "deleted_with_dir",
        "opaque",
    ] {
        assert!(
            v["totals"]["hidden_by_cause"].get(key).is_some(),
            "hidden_by_cause.{key}"
        );
    }
    assert!(v["top_files"][0].get("layer").is_some());
    assert!(v["top_dirs"][0].get("bytes").is_some());
    assert!(v["duplicates"][0].get("paths").is_some());
    for key in [
        "path",
        "bytes",
        "cause",
        "written_by_layer",
        "hidden_by_layer",
    ] {
        assert!(
            v["hidden_paths"][0].get(key).is_some(),
            "hidden_paths[].{key}"
        );
    }
    for key in [
        "efficiency",
        "wasted_bytes",
        "user_bytes",
        "user_wasted_percent",
        "inefficient_paths",
    ] {
        assert!(v["dive"].get(key).is_some(), "dive.{key}");
    }
    for key in ["source", "layers", "content_bytes", "hidden_bytes"] {
        assert!(v["base"].get(key).is_some(), "base.{key}");
    }
    assert!(v["warnings"].is_array());
    // The top lists tie to the totals.
    let files: u64 = v["top_files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["bytes"].as_u64().unwrap_or(0))
        .sum();
    assert!(files <= v["totals"]["visible_bytes"].as_u64().unwrap_or(0));
}

#[test]
fn raw_bytes_are_exact_integers() {
    bin()
        .args(["inspect", "--bytes", "raw"])
        .arg(testdata("sample/sample.docker.tar"))
        .assert()
        .success()
        .stdout(predicate::str::contains(" 2277330 "))
        .stdout(predicate::str::contains("2,277,330").not());
}

/// One line on stderr, naming the file, exit code 2, nothing on stdout.
fn fails_with(args: &[&str], stdin: Option<Vec<u8>>, needle: &str) {
    let mut cmd = bin();
    cmd.args(args);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let out = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: a partial report was printed"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    let parts: Vec<&str> = stderr.trim_end().split(": ").collect();
    assert!(
        parts.windows(2).all(|w| w.first() != w.get(1)),
        "{args:?}: a cause is repeated: {stderr:?}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
}

#[test]
fn bad_inputs_fail_with_one_line() {
    let empty = temp_file(b"");
    fails_with(
        &[empty.path().to_str().unwrap_or_default()],
        None,
        "empty file",
    );
    let text = temp_file(b"hello, not a tar\n");
    fails_with(
        &[text.path().to_str().unwrap_or_default()],
        None,
        "not a tar archive",
    );
    let json = temp_file(b"{\"schema_version\":1}");
    fails_with(
        &[text.path().to_str().unwrap_or_default()],
        None,
        "not a tar",
    );
    fails_with(&[json.path().to_str().unwrap_or_default()], None, "JSON");
    fails_with(&["/nonexistent/image.tar"], None, "/nonexistent/image.tar");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("notes.txt"), b"x").expect("write");
    fails_with(
        &[dir.path().to_str().unwrap_or_default()],
        None,
        "not an image layout",
    );
    fails_with(&["-"], Some(Vec::new()), "-: empty file");
}

#[test]
fn truncated_archive_names_the_member() {
    let sample = std::fs::read(testdata("sample/sample.docker.tar")).expect("sample");
    let cut = sample.get(..sample.len() / 2).unwrap_or_default().to_vec();
    let f = temp_file(&cut);
    fails_with(&[f.path().to_str().unwrap_or_default()], None, "truncated");
    fails_with(&["-"], Some(cut), "truncated");
}

#[test]
fn corrupt_layers_fail_cleanly() {
    let image = crate::flavours::sample_image();
    for (compression, what) in [(Compression::Gzip, "gzip"), (Compression::Zstd, "zstd")] {
        let mut bytes = synth::write_archive(
            std::slice::from_ref(&image),
            &Options::new(Flavour::DockerLegacy).layer_compression(compression),
        )
        .expect("write");
        // Flip bytes inside the first compressed layer, well after its header.
        let magic: &[u8] = if compression == Compression::Gzip {
            &[0x1f, 0x8b]
        } else {
            &[0x28, 0xb5, 0x2f, 0xfd]
        };
        let at = bytes
            .windows(magic.len())
            .position(|w| w == magic)
            .expect("magic");
        for b in bytes.iter_mut().skip(at + 20).take(40) {
            *b ^= 0x5a;
        }
        let f = temp_file(&bytes);
        let out = bin().arg(f.path()).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("layer.tar") || stderr.contains("member"),
            "{what}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn blob_with_wrong_digest_is_an_error() {
    let image = crate::flavours::sample_image();
    let bytes = synth::write_archive(
        std::slice::from_ref(&image),
        &Options::new(Flavour::OciArchive),
    )
    .expect("write");
    // Rewrite one content byte of file data inside the uncompressed layer blob: the
    // blob no longer hashes to its name. 'x' * 1000 is bin/tool's content.
    let mut bytes = bytes;
    let at = bytes
        .windows(16)
        .position(|w| w == [b'x'; 16])
        .expect("content");
    if let Some(b) = bytes.get_mut(at) {
        *b = b'z';
    }
    let f = temp_file(&bytes);
    let path = f.path().to_str().unwrap_or_default();
    fails_with(&["inspect", "--verify", path], None, "does not match");
    fails_with(&["inspect", "--strict", path], None, "does not match");
    // Without --verify the digests are taken as stated (only file contents are hashed):
    // the report shows the blob's name, and the changed file is still measured.
    let out = bin()
        .args(["inspect", "--format", "json", path])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let stated: Vec<String> = bytes_members(&bytes)
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix("blobs/sha256/")
                .map(|h| format!("sha256:{h}"))
        })
        .collect();
    for l in v["layers"].as_array().expect("layers") {
        let d = l["digest"].as_str().unwrap_or_default().to_string();
        assert!(stated.contains(&d), "{d} is not a blob name");
    }
}

/// The member names of a tar held in memory.
fn bytes_members(bytes: &[u8]) -> Vec<String> {
    let mut ar = tar::Archive::new(bytes);
    ar.entries()
        .expect("tar")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.path().ok().map(|p| p.display().to_string()))
        .collect()
}

#[test]
fn missing_layer_and_null_manifest() {
    let Some(dir) = fixtures("ggcr") else { return };
    let null = dir.join("null_manifest.tar");
    fails_with(&[null.to_str().unwrap_or_default()], None, "null");
    // A manifest naming a layer the archive lacks.
    let image = crate::flavours::sample_image();
    let bytes = synth::write_archive(
        std::slice::from_ref(&image),
        &Options::new(Flavour::DockerLegacy),
    )
    .expect("write");
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut out = tar::Builder::new(Vec::new());
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        if path.ends_with("layer.tar") && !out.get_ref().is_empty() {
            // Drop the first layer we meet after the first member.
            continue;
        }
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("read");
        out.append_data(&mut header, &path, &data[..])
            .expect("append");
    }
    let rebuilt = out.into_inner().expect("finish");
    let f = temp_file(&rebuilt);
    fails_with(
        &[f.path().to_str().unwrap_or_default()],
        None,
        "does not hold",
    );
}

#[test]
fn image_ref_not_in_archive() {
    fails_with(
        &[
            testdata("sample/sample.docker.tar")
                .to_str()
                .unwrap_or_default(),
            "--image",
            "nope:1",
        ],
        None,
        "no image nope:1",
    );
}
