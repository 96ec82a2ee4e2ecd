//! `diff` of two images in one registry that share layers: each shared blob is fetched
//! once (counted by a proxy), and the diff is the one of the same two images read from
//! an OCI layout on disk, apart from the labels that say where each side came from.

use crate::common::bin;
use crate::servers::{Auth, Fault, Proxy, Registry, tools};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// `deadweight diff --format json BEFORE AFTER`, which must succeed.
fn diff_json(before: &str, after: &str) -> Value {
    let out = bin()
        .args(["diff", "--format", "json", "--quiet", before, after])
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "diff {before} {after}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = v.as_object_mut().unwrap();
    assert!(o.remove("before").is_some() && o.remove("after").is_some());
    v
}

/// The config and layer digests of image `tag` of the OCI layout `dir`, read from its
/// files (not from deadweight).
fn blobs_of(dir: &Path, tag: &str) -> BTreeSet<String> {
    let read = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let index = read(&dir.join("index.json"));
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap();
    let hex = |d: &Value| {
        d.as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_string()
    };
    let manifest = read(&dir.join("blobs/sha256").join(hex(&entry["digest"])));
    let mut out = BTreeSet::from([manifest["config"]["digest"].as_str().unwrap().to_string()]);
    for l in manifest["layers"].as_array().unwrap() {
        out.insert(l["digest"].as_str().unwrap().to_string());
    }
    out
}

#[test]
fn registry_diff_fetches_a_shared_layer_once() {
    if tools(&["umoci"]).is_none() {
        return;
    }
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    // `pr` is `main` plus one layer, added with umoci.
    let work = tempfile::tempdir().unwrap();
    let lay = work.path().join("lay");
    let oci = formats.join("tiny.oci.tar");
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("oci-archive:{}", oci.display()))
        .arg(format!("oci:{}:main", lay.display())));
    // `umoci insert` 0.4.7 writes a tar that ends inside the file's data (GNU tar says
    // "Unexpected EOF"); `raw add-layer` takes a tar made by tar(1).
    let extra = work.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    std::fs::write(extra.join("extra.txt"), "one more layer\n").unwrap();
    let layer = work.path().join("layer.tar");
    run(Command::new("tar")
        .arg("cf")
        .arg(&layer)
        .arg("-C")
        .arg(&extra)
        .arg("extra.txt"));
    run(Command::new("umoci")
        .args(["raw", "add-layer", "--image"])
        .arg(format!("{}:main", lay.display()))
        .args(["--tag", "pr"])
        .arg(&layer));
    for tag in ["main", "pr"] {
        reg.push(
            &format!("oci:{}:{tag}", lay.display()),
            &format!("app:{tag}"),
            &[],
        );
    }
    reg.push(&format!("oci:{}:main", lay.display()), "app:same", &[]);
    let (main, pr) = (blobs_of(&lay, "main"), blobs_of(&lay, "pr"));
    assert!(
        main.len() >= 2 && pr.len() == main.len() + 1,
        "{main:?} {pr:?}"
    );
    let local = |a: &str, b: &str| {
        diff_json(
            &format!("oci:{}:{a}", lay.display()),
            &format!("oci:{}:{b}", lay.display()),
        )
    };
    // A derived image: its base layers are shared, the configs differ.
    let proxy = Proxy::start(&reg.host, Fault::Count);
    let url = |t: &str| format!("docker://{}/app:{t}", proxy.addr);
    let remote = diff_json(&url("main"), &url("pr"));
    let mut fetched = proxy.blob_gets();
    fetched.sort();
    let want: Vec<String> = main.union(&pr).cloned().collect();
    assert_eq!(fetched, want, "each blob of either image once");
    assert_eq!(remote, local("main", "pr"));
    // The other way round, and two tags of one manifest.
    let proxy = Proxy::start(&reg.host, Fault::Count);
    let url = |t: &str| format!("docker://{}/app:{t}", proxy.addr);
    assert_eq!(diff_json(&url("pr"), &url("main")), local("pr", "main"));
    assert_eq!(proxy.blob_gets().len(), want.len());
    let proxy = Proxy::start(&reg.host, Fault::Count);
    let url = |t: &str| format!("docker://{}/app:{t}", proxy.addr);
    assert_eq!(diff_json(&url("main"), &url("same")), local("main", "main"));
    let mut fetched = proxy.blob_gets();
    fetched.sort();
    assert_eq!(fetched, main.iter().cloned().collect::<Vec<_>>());
    // A side that is not there: one line, naming the side and the tag.
    let out = bin()
        .args([
            "diff",
            "--format",
            "json",
            "--quiet",
            &url("main"),
            &url("gone"),
        ])
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("AFTER") && err.contains("gone"), "{err}");
}
