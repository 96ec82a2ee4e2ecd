//! `check` on a registry image answered from its manifest and config alone: when every
//! rule needs only stored sizes, the layer count, the user, the config's secrets or the
//! history's patterns, no layer blob is fetched
//! (counted by a proxy in front of a real registry), and the verdict is the one a full
//! read of the archive the image was pushed from gives. Any rule that needs the files
//! fetches every layer.

use crate::common::{bin, fixtures};
use crate::servers::{Auth, Fault, Proxy, Registry};
use serde_json::Value;
use std::path::Path;

/// `deadweight check --format json ARGS...` in `dir` (no deadweight.toml there):
/// (exit code, the document, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = bin()
        .current_dir(dir)
        .args(["check", "--format", "json", "--quiet"])
        .args(args)
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check {args:?}: not JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), doc, stderr)
}

/// What a verdict is, apart from where the image was read from: each rule's id,
/// status, value, message and contributors.
fn verdict(doc: &Value) -> Vec<Value> {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!([
                r["id"],
                r["status"],
                r["value"],
                r["message"],
                r["contributors"]
            ])
        })
        .collect()
}

/// The layer digests of the image in `archive` (read from the file, not from the registry).
fn layer_digests(archive: &Path) -> Vec<String> {
    let out = bin()
        .args(["inspect", "--format", "json", "--quiet"])
        .arg(archive)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_from_the_manifest_fetches_no_layer_and_agrees_with_a_full_read() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let oci = formats.join("tiny.oci.tar");
    let zstd = formats.join("tiny.oci-zstd.tar");
    reg.push_oci_archive(&oci, "app:oci", &[]);
    reg.push_oci_archive(&oci, "app:v2s2", &["--format", "v2s2"]);
    reg.push_oci_archive(&zstd, "app:zstd", &[]);
    // Rules a manifest answers, one failing, one passing, one warning, one off.
    let config = work.path().join("manifest.toml");
    std::fs::write(
        &config,
        "[budget]\nmax_blob_bytes = \"1MB\"\nmax_layers = { max = 6, level = \"warn\" }\n\
         max_content_bytes = \"off\"\n[security]\nroot_user = \"error\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    for (tag, archive) in [("app:oci", &oci), ("app:v2s2", &oci), ("app:zstd", &zstd)] {
        let proxy = Proxy::start(&reg.host, Fault::Count);
        let url = format!("docker://{}/{tag}", proxy.addr);
        let (code, remote, err) = check(work.path(), &["--config", config, &url]);
        let (want_code, local, _) = check(
            work.path(),
            &["--config", config, archive.to_str().unwrap()],
        );
        assert_eq!(code, want_code, "{url}: {err}");
        assert_eq!(code, 1, "max_blob_bytes 1MB fails on tiny: {err}");
        assert_eq!(verdict(&remote), verdict(&local), "{url}");
        assert_eq!(remote["answered_from"], "manifest", "{url}");
        assert!(local.get("answered_from").is_none());
        let note = remote["notes"].to_string();
        assert!(note.contains("no layer was downloaded"), "{note}");
        let layers = layer_digests(archive);
        let fetched = proxy.blob_gets();
        assert!(
            fetched.iter().all(|d| !layers.contains(d)),
            "{url}: layer blobs fetched: {fetched:?}"
        );
        // The config only.
        assert_eq!(fetched.len(), 1, "{url}: {fetched:?}");
    }
    // A rule that needs the files fetches every layer, once, and says nothing of a manifest.
    let proxy = Proxy::start(&reg.host, Fault::Count);
    let url = format!("docker://{}/app:oci", proxy.addr);
    let (code, remote, err) = check(
        work.path(),
        &["--config", config, "--max-hidden-bytes", "10MB", &url],
    );
    let (want_code, local, _) = check(
        work.path(),
        &[
            "--config",
            config,
            "--max-hidden-bytes",
            "10MB",
            oci.to_str().unwrap(),
        ],
    );
    assert_eq!(code, want_code, "{err}");
    assert_eq!(verdict(&remote), verdict(&local));
    assert!(remote.get("answered_from").is_none());
    let mut fetched = proxy.blob_gets();
    fetched.sort();
    let mut layers = layer_digests(&oci);
    layers.sort();
    layers.dedup();
    let fetched_layers: Vec<&String> = fetched.iter().filter(|d| layers.contains(d)).collect();
    assert_eq!(fetched_layers.len(), layers.len(), "{fetched:?}");
    // The default rules (no config, no flag) look at files: a full read too.
    let proxy = Proxy::start(&reg.host, Fault::Count);
    let url = format!("docker://{}/app:oci", proxy.addr);
    let (_, remote, err) = check(work.path(), &[&url]);
    assert!(remote.get("answered_from").is_none(), "{err}");
    assert!(proxy.blob_gets().len() > 1);
}

#[test]
fn check_from_the_manifest_says_so_in_text_and_markdown() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let oci = formats.join("tiny.oci.tar");
    reg.push_oci_archive(&oci, "app:main", &[]);
    for format in ["table", "markdown"] {
        let out = bin()
            .current_dir(work.path())
            .args(["check", "--quiet", "--format", format])
            .args(["--max-layers", "10", "--root-user", "off"])
            .arg(reg.url("app:main"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("answered from the registry's manifest and config alone"))
            .collect();
        assert_eq!(lines.len(), 1, "{format}: {text}");
    }
}

/// The config-only rules (secrets in `Env`, labels and the history; the patterns the
/// history shows; the largest layer blob) are answered from the manifest and config of
/// the corpus images: no layer blob is fetched, and the verdict is the archive file's.
/// What each rule must find is what the corpus planted (its README): svc-bloated's
/// `ENV SENTRY_DSN=https://abc123@...` and `ENV DB_PASSWORD=...`, and its Dockerfile
/// habits (two `apt-get install` without `--no-install-recommends` or removing the lists,
/// `pip install` keeping its cache, `COPY . .` before that install, installs in three
/// RUNs); svc-slim, its optimized twin, has none of them.
#[test]
fn config_secrets_and_history_patterns_come_from_the_manifest() {
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let Some(reg) = Registry::start(Auth::None) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let bloated = corpus.join("svc-bloated.oci-zstd.tar");
    let slim = corpus.join("svc-slim.oci-zstd.tar");
    reg.push(
        &format!("oci-archive:{}", bloated.display()),
        "svc:bloated",
        &[],
    );
    reg.push(&format!("oci-archive:{}", slim.display()), "svc:slim", &[]);
    let config = work.path().join("config-only.toml");
    // The largest layer blob of svc-bloated is its apt layer (L1): `tar tvf` of the archive
    // lists blobs/sha256/37944360... at 27,246,331 bytes, as its manifest's descriptor says.
    std::fs::write(
        &config,
        "[budget]\nmax_history_patterns = { max = 0, level = \"warn\" }\n\
         max_layer_blob_bytes = \"25MB\"\n[security]\nconfig_secrets = \"error\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let rule = |doc: &Value, id: &str| -> Value {
        doc["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no rule {id}: {doc}"))
            .clone()
    };
    for (tag, archive, want_code) in [("svc:bloated", &bloated, 1), ("svc:slim", &slim, 0)] {
        let proxy = Proxy::start(&reg.host, Fault::Count);
        let url = format!("docker://{}/{tag}", proxy.addr);
        let (code, remote, err) = check(work.path(), &["--config", config, &url]);
        let (local_code, local, _) = check(
            work.path(),
            &["--config", config, archive.to_str().unwrap()],
        );
        assert_eq!(code, want_code, "{url}: {err}");
        assert_eq!(local_code, want_code, "{}", archive.display());
        assert_eq!(verdict(&remote), verdict(&local), "{url}");
        assert_eq!(remote["answered_from"], "manifest", "{url}");
        let layers = layer_digests(archive);
        let fetched = proxy.blob_gets();
        assert!(
            fetched.iter().all(|d| !layers.contains(d)),
            "{url}: layer blobs fetched: {fetched:?}"
        );
        assert_eq!(fetched.len(), 1, "{url}: the config only: {fetched:?}");
        let secrets = rule(&remote, "security.config_secrets");
        let patterns = rule(&remote, "budget.max_history_patterns");
        let blob = rule(&remote, "budget.max_layer_blob_bytes");
        if tag == "svc:bloated" {
            assert_eq!(secrets["status"], "fail", "{secrets}");
            assert_eq!(secrets["value"].as_f64(), Some(2.0), "{secrets}");
            let named = secrets["contributors"].to_string();
            assert!(
                named.contains("SENTRY_DSN") && named.contains("DB_PASSWORD"),
                "{named}"
            );
            // Never the values themselves.
            assert!(!named.contains("predictor-db-pass-FAKE-0000"), "{named}");
            assert_eq!(patterns["status"], "warn", "{patterns}");
            let names = patterns["contributors"].to_string();
            for needle in [
                "package lists",
                "recommended",
                "keeps its cache",
                "copies the whole build context",
            ] {
                assert!(names.contains(needle), "{needle}: {names}");
            }
            assert_eq!(patterns["value"].as_f64(), Some(7.0), "{patterns}");
            assert_eq!(blob["status"], "fail", "{blob}");
            assert_eq!(blob["value"].as_f64(), Some(27_246_331.0), "{blob}");
        } else {
            for r in [&secrets, &patterns, &blob] {
                assert_eq!(r["status"], "pass", "{r}");
            }
            assert_eq!(patterns["value"].as_f64(), Some(0.0), "{patterns}");
        }
    }
}
