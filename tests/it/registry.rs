//! `docker://` against a real registry (Debian's docker-registry, the CNCF distribution
//! registry) started by each test, with images pushed by skopeo from the fixtures: the
//! figures must be those of the archive the image was pushed from; auth (basic over TLS,
//! the token flow) and every bad case end in one line and exit 2.

use crate::common::bin;
use crate::servers::{Auth, Fault, Proxy, Registry};
use serde_json::Value;
use std::path::Path;

/// `deadweight inspect --format json ARGS...`: (exit code, stdout, stderr).
fn inspect(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .arg("inspect")
        .args(["--format", "json", "--quiet"])
        .args(args)
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok_json(args: &[&str]) -> Value {
    let (code, out, err) = inspect(args);
    assert_eq!(code, 0, "deadweight {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap()
}

fn failure(args: &[&str]) -> String {
    let (code, _, err) = inspect(args);
    assert_eq!(
        code, 2,
        "deadweight {args:?} should fail with exit 2: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    err
}

/// The report without what says where it was read from: the `source`, and the names and
/// manifest digest a registry gives the image. With `recompressed` (skopeo compresses a
/// docker-archive's tar layers when it pushes them) also the blob-level fields.
fn figures(mut v: Value, recompressed: bool) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("source");
    if let Some(img) = o.get_mut("image").and_then(|i| i.as_object_mut()) {
        for k in ["ref", "refs", "manifest_digest"] {
            img.remove(k);
        }
    }
    if recompressed {
        // The pull cost is the blobs' bytes too: another compression, other figures.
        strip(
            &mut v,
            &[
                "blob_bytes",
                "compression",
                "digest",
                "stored_bytes",
                "entries_stored_bytes",
                "end_stored_bytes",
                "stored_by_category",
            ],
        );
    }
    v
}

fn strip(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(o) => {
            for k in keys {
                o.remove(*k);
            }
            o.values_mut().for_each(|x| strip(x, keys));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip(x, keys)),
        _ => {}
    }
}

fn same_figures(reg: &Registry, name: &str, archive: &Path, recompressed: bool) {
    let url = reg.url(name);
    let remote = ok_json(&[&url]);
    assert_eq!(remote["source"]["path"], url.as_str());
    let local = ok_json(&[archive.to_str().unwrap()]);
    assert_eq!(
        figures(remote, recompressed),
        figures(local, recompressed),
        "{url} and {} differ",
        archive.display()
    );
}

#[test]
fn registry_images_read_as_their_archives() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    let oci = formats.join("tiny.oci.tar");
    let zstd = formats.join("tiny.oci-zstd.tar");
    let docker = formats.join("tiny.docker.tar");
    let arg = |p: &Path, t: &str| format!("{t}:{}", p.display());
    // OCI manifest, gzip layers.
    reg.push(&arg(&oci, "oci-archive"), "tiny:oci", &[]);
    // OCI manifest, zstd layers.
    reg.push(&arg(&zstd, "oci-archive"), "tiny:zstd", &[]);
    // Docker schema 2 manifest, the same gzip blobs.
    reg.push(
        &arg(&oci, "oci-archive"),
        "tiny:v2s2",
        &["--format", "v2s2"],
    );
    // A docker save, which skopeo pushes with its layers gzip-compressed.
    reg.push(&arg(&docker, "docker-archive"), "tiny:docker", &[]);
    same_figures(&reg, "tiny:oci", &oci, false);
    same_figures(&reg, "tiny:zstd", &zstd, false);
    same_figures(&reg, "tiny:v2s2", &oci, false);
    same_figures(&reg, "tiny:docker", &docker, true);
    // By digest, and with the prefixes the archives also take.
    let by_tag = ok_json(&[&reg.url("tiny:v2s2")]);
    let digest = by_tag["image"]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let by_digest = ok_json(&[&reg.url(&format!("tiny@{digest}"))]);
    assert_eq!(figures(by_digest, false), figures(by_tag, false));
    let prefixed = ok_json(&[&arg(&oci, "oci-archive")]);
    assert_eq!(
        figures(prefixed, false),
        figures(ok_json(&[oci.to_str().unwrap()]), false)
    );
    let prefixed = ok_json(&[&arg(&docker, "docker-archive")]);
    assert_eq!(prefixed["source"]["layout"], "docker-archive");
    // The manifest-only view: stored sizes per layer and the history, no layer fetched.
    let out = bin()
        .args(["inspect", "--manifest-only", &reg.url("tiny:oci")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let want = ok_json(&[oci.to_str().unwrap()]);
    let layers = want["layers"].as_array().unwrap();
    for l in layers {
        assert!(text.contains(&l["blob_bytes"].to_string()), "{text}");
    }
    let tail = text.lines().last().unwrap();
    let bytes: u64 = tail
        .rsplit(", ")
        .next()
        .and_then(|b| b.trim_end_matches(" bytes)").parse().ok())
        .unwrap();
    assert!(tail.contains("no layer downloaded"), "{tail}");
    // The manifest (1,330 bytes) and the config (2,555) only; the layers are a megabyte.
    assert_eq!(bytes, 1330 + 2555, "{tail}");
    // Every layer fetched one at a time gives the same figures.
    let one = ok_json(&["--jobs", "1", &reg.url("tiny:zstd")]);
    assert_eq!(
        figures(one, false),
        figures(ok_json(&[zstd.to_str().unwrap()]), false)
    );
}

/// On two cores or more, `--jobs N` layer blobs download and decode at once, each in a
/// worker of its own (archive/pipeline/parallel.rs), and the main pass replays them in
/// order: the report is byte for byte the one of a read one blob at a time (`--jobs 1`,
/// or one core), for gzip and zstd layers, with and without `--verify`; a blob cut
/// mid-way is resumed, whichever order the workers ask for blobs in.
#[test]
fn registry_layers_decoded_in_parallel_report_as_read_one_at_a_time() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    reg.push_oci_archive(&formats.join("tiny.oci.tar"), "tiny:gzip", &[]);
    reg.push_oci_archive(&formats.join("tiny.oci-zstd.tar"), "tiny:zstd", &[]);
    let stdout = |args: &[&str]| {
        let (code, out, err) = inspect(args);
        assert_eq!(code, 0, "deadweight {args:?} failed: {err}");
        out
    };
    for tag in ["tiny:gzip", "tiny:zstd"] {
        let url = reg.url(tag);
        for verify in [&[][..], &["--verify"][..]] {
            let with = |jobs: &str| {
                let mut args = vec!["--jobs", jobs, url.as_str()];
                args.extend_from_slice(verify);
                stdout(&args)
            };
            let one = with("1");
            assert!(one.contains("\"layers\""), "{one}");
            for jobs in ["2", "3", "8"] {
                assert_eq!(with(jobs), one, "{tag} {verify:?}: --jobs {jobs} differs");
            }
            // One core: the blobs are read one after the other, downloads ahead.
            let pinned = std::process::Command::new("taskset")
                .args(["-c", "0"])
                .arg(env!("CARGO_BIN_EXE_deadweight"))
                .args(["inspect", "--format", "json", "--quiet", &url])
                .args(verify)
                .env("HOME", "/nonexistent")
                .output();
            // (util-linux's taskset: skipped only where it is not installed.)
            if let Ok(out) = pinned {
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{tag}, one core: {err}");
                assert_eq!(String::from_utf8_lossy(&out.stdout), one, "{tag}, one core");
            }
        }
    }
    // The 1 MB blob cut 100 kB in, while other workers fetch the rest: resumed.
    let want = ok_json(&[&reg.url("tiny:gzip")]);
    let biggest = largest_blob(&want);
    let proxy = Proxy::start(&reg.host, Fault::CutDigest(biggest, 100_000));
    let got = ok_json(&["--jobs", "3", &format!("docker://{}/tiny:gzip", proxy.addr)]);
    // Asked for twice: cut, then resumed.
    assert_eq!(proxy.fired.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(figures(got, false), figures(want, false));
}

/// A blob is asked for before a layer worker starts on it (`src/source/registry/ahead.rs`),
/// so the registry's delay before each blob's first byte is off the read's critical path.
/// The proxy holds back every layer blob's answer until it has had `--jobs` + 2 blob
/// requests (the config's, the first layer's and the `--jobs` after it): a client that
/// asks for a blob only once a worker starts on it has at most `--jobs` waiting, and would
/// wait the proxy's 20 s out.
#[test]
fn registry_blobs_are_asked_for_ahead_of_their_reads() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return; // One core reads one blob at a time (downloads ahead, `--jobs` of them).
    }
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    reg.push_oci_archive(&formats.join("tiny.oci.tar"), "tiny:1", &[]);
    let want = ok_json(&[&reg.url("tiny:1")]);
    let proxy = Proxy::start(&reg.host, Fault::HoldLayers(3 + 2));
    let got = ok_json(&["--jobs", "3", &format!("docker://{}/tiny:1", proxy.addr)]);
    let gets = proxy.blob_gets();
    let layers = gets.len() - 1;
    assert!(layers > 3, "tiny has more layers than --jobs: {gets:?}");
    assert_eq!(
        proxy.fired.load(std::sync::atomic::Ordering::SeqCst),
        layers,
        "every layer blob asked for ahead, each once: {gets:?}"
    );
    assert_eq!(figures(got, false), figures(want.clone(), false));
    // Past `--jobs`, the small blobs are asked for at once too: tiny's layers after the
    // first three are 165-245 bytes. The proxy holds every answer back until all eight
    // blob requests are in; asking `--jobs` ahead only, four would wait the 20 s out.
    let proxy = Proxy::start(&reg.host, Fault::HoldLayers(1 + 7));
    let got = ok_json(&["--jobs", "2", &format!("docker://{}/tiny:1", proxy.addr)]);
    let gets = proxy.blob_gets();
    assert_eq!(gets.len(), 1 + 7, "{gets:?}");
    assert_eq!(
        proxy.fired.load(std::sync::atomic::Ordering::SeqCst),
        7,
        "all held answers let through in time: {gets:?}"
    );
    assert_eq!(figures(got, false), figures(want, false));
}

/// What a read asks for first goes out together, not one round trip after another: the
/// manifest beside the ping (`registry::client`, `ping_beside`), the config beside the
/// first layer blobs (`registry::open_to_read`). The proxy holds one request back until
/// the other is in; a client that waits for the one's answer before it sends the other
/// waits the proxy's 20 s out. (A registry that wants credentials answers the early
/// manifest request 401 and the read goes on as before: the token flow and basic auth
/// tests go through the same code.)
#[test]
fn registry_first_requests_go_out_together() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    reg.push_oci_archive(&formats.join("tiny.oci.tar"), "tiny:1", &[]);
    let want = ok_json(&[&reg.url("tiny:1")]);
    let requests = read_holding(&reg, &want, "GET /v2/ ", "/manifests/");
    let manifests = requests
        .iter()
        .filter(|r| r.contains("/manifests/"))
        .count();
    assert_eq!(manifests, 1, "the manifest asked for once: {requests:?}");
    // The image id is the config's digest.
    let config = want["image"]["id"].as_str().unwrap();
    read_holding(&reg, &want, &format!("/blobs/{config}"), "/blobs/");
}

/// Reads tiny through a proxy that holds the request whose line holds `held` back until
/// one with `until` is in: the same figures as without the proxy, and the held request
/// let through in time. The request lines.
fn read_holding(reg: &Registry, want: &Value, held: &str, until: &str) -> Vec<String> {
    let fault = Fault::Hold {
        held: held.to_string(),
        until: until.to_string(),
    };
    let proxy = Proxy::start(&reg.host, fault);
    let started = std::time::Instant::now();
    let got = ok_json(&["--jobs", "3", &format!("docker://{}/tiny:1", proxy.addr)]);
    let requests = proxy.requests.lock().unwrap().clone();
    assert_eq!(
        proxy.fired.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "{held} let through only after {:?}, not once {until} was asked for: {requests:?}",
        started.elapsed()
    );
    assert_eq!(figures(got, false), figures(want.clone(), false));
    requests
}

/// A multi-platform OCI layout like `docker buildx --platform linux/amd64,linux/arm64`
/// writes: two images sharing layers, and an attestation manifest (`unknown/unknown`).
pub(crate) fn multi_platform_layout(from: &Path, dir: &Path) {
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(from)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let put = |bytes: &[u8]| -> (String, usize) {
        let d = deadweight::archive::Digest::of(bytes).to_string();
        std::fs::write(blob(&d), bytes).unwrap();
        (d, bytes.len())
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let amd_desc = index["manifests"][0].clone();
    let amd: Value =
        serde_json::from_slice(&std::fs::read(blob(amd_desc["digest"].as_str().unwrap())).unwrap())
            .unwrap();
    let mut config: Value = serde_json::from_slice(
        &std::fs::read(blob(amd["config"]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    config["architecture"] = "arm64".into();
    config["variant"] = "v8".into();
    let (cd, cs) = put(config.to_string().as_bytes());
    let mut arm = amd.clone();
    arm["config"]["digest"] = cd.into();
    arm["config"]["size"] = cs.into();
    let (ad, asz) = put(arm.to_string().as_bytes());
    // The attestation: an in-toto statement as its one layer.
    let (sd, ss) = put(br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#);
    let (ecd, ecs) = put(b"{}");
    let att = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ecd, "size": ecs},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": sd, "size": ss}],
    });
    let (td, ts) = put(att.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd_desc["digest"], "size": amd_desc["size"],
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ad, "size": asz,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": td, "size": ts,
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": amd_desc["digest"]}},
        ]
    });
    // skopeo's oci: transport wants one top entry: the multi-platform index, by name.
    let (xd, xs) = put(index.to_string().as_bytes());
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs,
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}]
    });
    std::fs::write(dir.join("index.json"), top.to_string()).unwrap();
}

#[test]
fn registry_multi_platform_index_picks_a_platform_and_never_an_attestation() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    let layout = tempfile::tempdir().unwrap();
    multi_platform_layout(&formats.join("tiny.oci.tar"), layout.path());
    reg.push(
        &format!("oci:{}:1", layout.path().display()),
        "multi:1",
        &["--all"],
    );
    let url = reg.url("multi:1");
    let arm = ok_json(&["--platform", "linux/arm64", &url]);
    assert_eq!(arm["image"]["arch"], "arm64");
    assert_eq!(arm["image"]["variant"], "v8");
    let amd = ok_json(&["--platform", "linux/amd64", &url]);
    assert_eq!(amd["image"]["arch"], "amd64");
    // Same layers, so the same figures but for the config.
    assert_eq!(amd["layers"], arm["layers"]);
    if cfg!(target_arch = "x86_64") {
        assert_eq!(ok_json(&[&url])["image"]["arch"], "amd64");
    }
    let err = failure(&["--platform", "linux/s390x", &url]);
    assert!(err.contains("no image for platform linux/s390x"), "{err}");
    assert!(err.contains("linux/amd64, linux/arm64/v8"), "{err}");
    assert!(
        !err.contains("unknown"),
        "attestations are not offered: {err}"
    );
    // The index's layout read from the folder offers the same images.
    let local = ok_json(&[
        "--platform",
        "linux/arm64",
        &format!("oci:{}", layout.path().display()),
    ]);
    assert_eq!(figures(local, false), figures(arm, false));
}

fn put_blob(base: &str, repo: &str, bytes: &[u8]) -> String {
    let digest = deadweight::archive::Digest::of(bytes).to_string();
    let agent = ureq::agent();
    let resp = agent
        .post(&format!("{base}/v2/{repo}/blobs/uploads/"))
        .send_bytes(&[])
        .unwrap();
    let location = resp.header("location").unwrap().to_string();
    let url = if location.starts_with("http") {
        location
    } else {
        format!("{base}{location}")
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    agent
        .put(&format!("{url}{sep}digest={digest}"))
        .set("Content-Type", "application/octet-stream")
        .send_bytes(bytes)
        .unwrap();
    digest
}

/// Pushes a Helm-chart-like artifact: an OCI manifest whose config is not an image's.
fn push_artifact(reg: &Registry, repo: &str, tag: &str) {
    let base = format!("http://{}", reg.host);
    let config = br#"{"name":"chart","version":"1.0.0"}"#;
    let layer = b"not a tar at all";
    let cd = put_blob(&base, repo, config);
    let ld = put_blob(&base, repo, layer);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": ld, "size": layer.len()}],
    });
    ureq::put(&format!("{base}/v2/{repo}/manifests/{tag}"))
        .set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .send_string(&manifest.to_string())
        .unwrap();
}

#[test]
fn registry_failures_are_one_line_naming_registry_and_layer() {
    let Some((reg, formats)) = Registry::with_formats(Auth::None) else {
        return;
    };
    let oci = formats.join("tiny.oci.tar");
    let src = format!("oci-archive:{}", oci.display());
    reg.push(&src, "tiny:1", &[]);
    reg.push(&src, "gone:1", &[]);
    reg.push(&src, "bad:1", &[]);
    let want = ok_json(&[&reg.url("tiny:1")]);
    let layers = want["layers"].as_array().unwrap();
    let first = layers[0]["digest"].as_str().unwrap().to_string();
    let biggest = largest_blob(&want);

    // A missing tag, a missing repository.
    let err = failure(&[&reg.url("tiny:nope")]);
    assert!(
        err.contains(&format!("registry {}, repository tiny", reg.host)),
        "{err}"
    );
    assert!(
        err.contains("HTTP 404") && err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );
    let err = failure(&[&reg.url("nothing/here:1")]);
    assert!(err.contains("HTTP 404"), "{err}");

    // An artifact is not an image.
    push_artifact(&reg, "chart", "1.0.0");
    let err = failure(&[&reg.url("chart:1.0.0")]);
    assert!(
        err.contains("an artifact of type application/vnd.cncf.helm.config.v1+json"),
        "{err}"
    );

    // A config whose bytes no longer match its digest: fetched after the first layers
    // are asked for, and still the one line that names it, whole or one blob at a time.
    let config = want["image"]["id"].as_str().unwrap().to_string();
    let path = reg.blob_path(&config);
    let good = std::fs::read(&path).unwrap();
    let mut bad = good.clone();
    bad[10] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    for jobs in ["3", "1"] {
        let err = failure(&["--jobs", jobs, &reg.url("bad:1")]);
        assert!(
            err.contains(&format!("config {config}: the registry sent"))
                && err.contains("the blob is corrupt in the registry"),
            "{err}"
        );
    }
    std::fs::write(&path, &good).unwrap();

    // A blob whose bytes no longer match its digest (corrupted in the registry's
    // storage; each repository links the same blob, so corrupt a copy: re-push under a
    // layer all tags share, then restore).
    let path = reg.blob_path(&biggest);
    let good = std::fs::read(&path).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(&path, &bad).unwrap();
    let err = failure(&[&reg.url("bad:1")]);
    assert!(err.contains(&biggest), "names the layer: {err}");
    assert!(err.contains("SHA-256"), "{err}");
    // The same with --jobs 1 (no prefetch thread) and with --verify.
    let err = failure(&["--jobs", "1", "--verify", &reg.url("bad:1")]);
    assert!(err.contains(&biggest) && err.contains("SHA-256"), "{err}");
    std::fs::write(&path, &good).unwrap();

    // A blob the registry lost.
    let path = reg.blob_path(&first);
    let good = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = failure(&[&reg.url("gone:1")]);
    assert!(err.contains(&first), "names the layer: {err}");
    assert!(
        err.contains("HTTP 404") || err.contains("HTTP 500"),
        "{err}"
    );
    std::fs::write(&path, &good).unwrap();

    // A connection closed mid-blob is resumed where it broke (1 = the config, 2 = the
    // first layer; the biggest blob is a megabyte, cut 100 kB in).
    let nth = 2 + layers
        .iter()
        .position(|l| l["digest"] == biggest.as_str())
        .unwrap();
    let proxy = Proxy::start(&reg.host, Fault::CutBlob(nth, 100_000));
    let url = format!("docker://{}/tiny:1", proxy.addr);
    let got = ok_json(&["--jobs", "1", &url]);
    assert_eq!(proxy.fired.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(figures(got, false), figures(want.clone(), false));
    // A 503 is retried.
    let proxy = Proxy::start(&reg.host, Fault::Unavailable);
    let got = ok_json(&[&format!("docker://{}/tiny:1", proxy.addr)]);
    assert_eq!(proxy.fired.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(figures(got, false), figures(want, false));

    // Nothing listens.
    let port = crate::servers::free_port();
    let err = failure(&[&format!("docker://127.0.0.1:{port}/x:1")]);
    assert!(
        err.contains(&format!("registry 127.0.0.1:{port} does not answer")),
        "{err}"
    );
}

#[test]
fn registry_basic_auth_over_tls() {
    let Some((reg, formats)) = Registry::with_formats(Auth::Htpasswd {
        user: "alice".into(),
        password: "pa55-word".into(),
    }) else {
        return;
    };
    let oci = formats.join("tiny.oci.tar");
    reg.push_oci_archive(&oci, "app:main", &[]);
    let url = reg.url("app:main");
    let certs = reg.cert_dir.clone().unwrap();
    let certs = certs.to_str().unwrap();
    let want = figures(ok_json(&[oci.to_str().unwrap()]), false);
    let got = ok_json(&["--creds", "alice:pa55-word", "--cert-dir", certs, &url]);
    assert_eq!(figures(got, false), want);
    // --tls-verify=false instead of the certificate.
    let got = ok_json(&["--creds", "alice:pa55-word", "--tls-verify=false", &url]);
    assert_eq!(figures(got, false), want);
    // Credentials from an auth file (containers' auth.json format).
    let dir = tempfile::tempdir().unwrap();
    let authfile = dir.path().join("auth.json");
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:pa55-word");
    std::fs::write(
        &authfile,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host),
    )
    .unwrap();
    let got = ok_json(&[
        "--authfile",
        authfile.to_str().unwrap(),
        "--cert-dir",
        certs,
        &url,
    ]);
    assert_eq!(figures(got, false), want);
    // Wrong password: one line, and the password is never printed.
    let err = failure(&["--creds", "alice:wrong-secret", "--cert-dir", certs, &url]);
    assert!(
        err.contains("refused the credentials from --creds"),
        "{err}"
    );
    assert!(
        !err.contains("wrong-secret") && !err.contains("pa55"),
        "{err}"
    );
    // No credentials.
    let err = failure(&["--cert-dir", certs, &url]);
    assert!(
        err.contains("--creds USER:PASS or --authfile FILE"),
        "{err}"
    );
    // An unknown CA.
    let err = failure(&["--creds", "alice:pa55-word", &url]);
    assert!(err.contains("--cert-dir"), "{err}");
}

#[test]
fn registry_token_auth() {
    let Some((reg, formats)) = Registry::with_formats(Auth::Token {
        user: "bob".into(),
        password: "t0ken-pass".into(),
    }) else {
        return;
    };
    let zstd = formats.join("tiny.oci-zstd.tar");
    reg.push_oci_archive(&zstd, "team/app:main", &[]);
    let url = reg.url("team/app:main");
    let got = ok_json(&["--creds", "bob:t0ken-pass", &url]);
    assert_eq!(
        figures(got, false),
        figures(ok_json(&[zstd.to_str().unwrap()]), false)
    );
    let err = failure(&["--creds", "bob:nope-nope", &url]);
    assert!(
        err.contains("token service refused the credentials"),
        "{err}"
    );
    assert!(!err.contains("nope-nope"), "{err}");
    let err = failure(&[&url]);
    assert!(err.contains("--creds USER:PASS"), "{err}");
}

/// The digest of the largest layer blob an inspect document lists.
fn largest_blob(doc: &Value) -> String {
    doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|l| l["blob_bytes"].as_u64())
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}
