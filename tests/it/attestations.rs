//! Docker 25+ attestation manifests (BuildKit provenance and SBOMs: platform
//! `unknown/unknown`, `vnd.docker.reference.type: attestation-manifest`) in an OCI layout
//! folder or an `oci-archive:` are never offered as images, as the registry source never
//! offers them.

use crate::common::{bin, fixtures};
use crate::registry::multi_platform_layout;
use serde_json::Value;
use std::path::Path;

fn inspect(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(["inspect", "--format", "json", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tar_of(dir: &Path, out: &Path) {
    let status = std::process::Command::new("tar")
        .arg("-cf")
        .arg(out)
        .arg("-C")
        .arg(dir)
        .args(["oci-layout", "index.json", "blobs"])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn archives_never_offer_attestation_manifests() {
    let Some(formats) = fixtures("formats") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    multi_platform_layout(&formats.join("tiny.oci.tar"), &layout);
    let archive = work.path().join("multi.oci.tar");
    tar_of(&layout, &archive);
    for image in [
        format!("oci:{}", layout.display()),
        format!("oci-archive:{}", archive.display()),
    ] {
        let (code, _, err) = inspect(&["--platform", "linux/s390x", &image]);
        assert_eq!(code, 2, "{image}: {err}");
        assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
        assert!(!err.contains("unknown"), "{image}: {err}");
        let (code, _, err) = inspect(&["--platform", "unknown/unknown", &image]);
        assert_eq!(code, 2, "{image}: the attestation is no image: {err}");
        let (code, out, err) = inspect(&["--platform", "linux/arm64", &image]);
        assert_eq!(code, 0, "{image}: {err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["image"]["arch"], "arm64");
    }
    // An index that lists one image without a platform and its attestation beside it (as
    // `docker save` of a BuildKit image writes): one image, picked without asking.
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let nested = index["manifests"][0]["digest"].as_str().unwrap();
    let nested: Value = serde_json::from_slice(
        &std::fs::read(
            layout
                .join("blobs/sha256")
                .join(nested.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let mut image = nested["manifests"][0].clone();
    image.as_object_mut().unwrap().remove("platform");
    image["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "latest"});
    let flat = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [image, nested["manifests"][2]],
    });
    std::fs::write(layout.join("index.json"), flat.to_string()).unwrap();
    let (code, out, err) = inspect(&[&format!("oci:{}", layout.display())]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["image"]["arch"], "amd64");
}
