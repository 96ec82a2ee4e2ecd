//! The HTML report in a real browser (headless Chromium), and the terminal tree.
//!
//! The page has a self-test: opened with `#selftest` it lists the treemap's top-level
//! tiles, clicks the first directory, goes back, and writes what it saw as JSON into
//! `<pre id=selftest>`, which `chromium --dump-dom` prints.

use crate::common::{analyze, bin, temp_file, testdata};
use deadweight::analyze::summary::{Limits, summarize};
use deadweight::model::InspectReport;
use deadweight::report::fstree::FsTree;
use deadweight::report::html;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use synth::{Flavour, History, Image, Layer, Options};

/// Chromium, if installed. Missing: fails under `DEADWEIGHT_REQUIRE_FIXTURES=1` (CI
/// installs it), else the test is skipped.
fn chromium() -> Option<PathBuf> {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).is_file() {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("DEADWEIGHT_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!("chromium missing and DEADWEIGHT_REQUIRE_FIXTURES=1 (apt-get install chromium)");
    }
    eprintln!("skipping: chromium is not installed");
    None
}

/// Runs headless Chromium with `args`, killing it after a minute; returns its stdout.
fn run_chromium(exe: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // Read stdout while Chromium runs: a DOM larger than the pipe's buffer would block it.
    let mut stdout = child.stdout.take().expect("chromium stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = reader.join().expect("reader thread");
    String::from_utf8_lossy(&out).into_owned()
}

fn selftest(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"selftest\">").unwrap_or_else(|| {
        panic!(
            "no selftest output in the DOM:\n{}",
            &dom[..dom.len().min(2000)]
        )
    });
    let body = &dom[start + "<pre id=\"selftest\">".len()..];
    let end = body.find("</pre>").expect("</pre>");
    let json = body[..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("selftest JSON")
}

#[test]
fn html_report_of_the_sample_draws_a_zoomable_treemap_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    bin()
        .args(["inspect", "--quiet", "--format", "html", "--output"])
        .arg(&page)
        .arg(testdata("sample/sample.docker.tar"))
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch.
    for needle in ["<script src", "<link", "@import", "url(http"] {
        assert!(!html.contains(needle), "the page references {needle}");
    }
    assert!(html.len() < 200_000, "{} bytes", html.len());
    let Some(exe) = chromium() else { return };
    let profile = dir.path().join("profile");
    let url = format!("file://{}", page.display());
    let dom = run_chromium(
        &exe,
        &profile,
        &[
            "--window-size=1280,900".to_string(),
            "--dump-dom".to_string(),
            format!("{url}#selftest"),
        ],
    );
    let st = selftest(&dom);
    // The sample's final tree (testdata/sample/README.md): /bin holds busybox
    // (1,982,256 B; its 24 hard links add 0), /app is layer 1's 272,361 B less the
    // 6,082 B of docs/ deleted in layer 5, /root the 16,384 B cache, /opt the 12,123 B
    // vocab copy, /etc the rest of the 2,277,330 visible bytes: 288 B.
    let top: Vec<(String, u64)> = st["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["label"].as_str().unwrap().to_string(),
                t["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("bin", 1_982_256),
        ("app", 272_361 - 6_082),
        ("root", 16_384),
        ("opt", 12_123),
        ("etc", 2_277_330 - 1_982_256 - 266_279 - 16_384 - 12_123),
    ]
    .iter()
    .map(|(n, b)| (n.to_string(), *b))
    .collect();
    assert_eq!(top, expected);
    for t in st["top"].as_array().unwrap() {
        assert!(
            t["w"].as_u64().unwrap() > 0 && t["h"].as_u64().unwrap() > 0,
            "an empty tile: {t}"
        );
    }
    // Clicking /bin zooms in: the breadcrumb gains "bin" and the tiles are its files
    // (busybox's `[`; the hard links have no bytes of their own).
    assert_eq!(st["after_click"]["crumbs"], serde_json::json!(["/", "bin"]));
    assert_eq!(st["after_click"]["top"], serde_json::json!(["["]));
    assert_eq!(st["after_back"]["crumbs"], serde_json::json!(["/"]));
    assert_eq!(st["after_back"]["top"], 5);
    assert_eq!(st["layer_rows"], 7);
    // Selecting layer 1 (COPY . /app) highlights /app, the one top-level directory it
    // wrote most of, and dims bin (L0), root (L2), opt (L4) and etc (L0).
    assert_eq!(st["layer_1"]["highlighted"], serde_json::json!(["app"]));
    assert_eq!(st["layer_1"]["dimmed_top"], 4);
    // Sized by pull cost: the same directories, each tile's stored bytes the pull cost
    // of the visible files below it (the sample's layers are uncompressed: stored is
    // content plus tar headers), the areas in the order of the stored bytes.
    let by_stored = st["by_stored"]["top"].as_array().unwrap();
    assert!(
        st["by_stored"]["note"]
            .as_str()
            .unwrap()
            .contains("pull cost"),
        "{}",
        st["by_stored"]
    );
    let (index, analysis) = analyze(&testdata("sample/sample.docker.tar"), None);
    for t in by_stored {
        let label = t["label"].as_str().unwrap();
        let prefix = format!("/{label}/");
        let want: u64 = analysis
            .waste
            .visible
            .iter()
            .filter(|f| index.paths.display(f.path).starts_with(&prefix))
            .map(|f| f.stored(&index))
            .sum();
        assert_eq!(t["stored"].as_u64(), Some(want), "{label}");
    }
    let stored: Vec<u64> = by_stored
        .iter()
        .map(|t| t["stored"].as_u64().unwrap())
        .collect();
    let areas: Vec<u64> = by_stored
        .iter()
        .map(|t| t["area"].as_u64().unwrap())
        .collect();
    let mut order: Vec<usize> = (0..stored.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(stored[i]));
    assert!(
        order.windows(2).all(|w| areas[w[0]] + 2 >= areas[w[1]]),
        "{stored:?} {areas:?}"
    );
    assert!(
        stored[0] > 1_982_256,
        "bin's stored bytes carry tar headers: {stored:?}"
    );

    let shot = dir.path().join("report.png");
    run_chromium(
        &exe,
        &profile,
        &[
            "--window-size=1280,900".to_string(),
            format!("--screenshot={}", shot.display()),
            url,
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    if let Some(keep) = std::env::var_os("DEADWEIGHT_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// An image with a base, an install and an app layer that deletes a file: the tree
/// shows the final filesystem only.
fn synthetic() -> Vec<u8> {
    let base = Layer::new()
        .dir("usr/")
        .dir("usr/lib/")
        .file("usr/lib/libc.so", vec![1u8; 3000])
        .dir("etc/")
        .file("etc/os-release", vec![2u8; 100]);
    let install = Layer::new()
        .file("usr/lib/libpython.so", vec![3u8; 5000])
        .dir("usr/bin/")
        .file("usr/bin/python3", vec![4u8; 1000])
        .hardlink("usr/bin/python", "usr/bin/python3");
    let app = Layer::new()
        .dir("app/")
        .file("app/model.bin", vec![5u8; 800])
        .file("app/main.py", vec![6u8; 60])
        .file("app/util.py", vec![7u8; 40])
        .whiteout("etc/os-release");
    let mut image = Image::new(vec![base, install, app]).tag("synthetic:1");
    image.history = vec![
        History::layer("/bin/sh -c #(nop) ADD file:0123abcd in / "),
        History::layer("/bin/sh -c apt-get install -y python3"),
        History::layer("COPY . /app # buildkit"),
    ];
    synth::write_archive(&[image], &Options::new(Flavour::OciArchive)).unwrap()
}

fn tree(args: &[&str]) -> String {
    let f = temp_file(&synthetic());
    let out = bin()
        .args(["inspect", "--quiet", "--tree", "--bytes", "raw"])
        .args(args)
        .arg(f.path())
        .env("COLUMNS", "90")
        .env_remove("NO_COLOR")
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn terminal_tree_of_a_synthetic_image() {
    // Visible: 3000 + 5000 + 1000 + 800 + 60 + 40 = 9,900 (os-release deleted).
    insta::assert_snapshot!(tree(&["--color", "never"]), @r"
        /                        9900 100.0% ████████████████████ L1+
        ├── usr                  9000  90.9% ██████████████████▏  L1+
        │   ├── lib              8000  80.8% ████████████████▏    L1+
        │   │   ├── libpython.so 5000  50.5% ██████████▏          L1
        │   │   └── libc.so      3000  30.3% ██████               L0
        │   └── bin              1000  10.1% ██                   L1
        │       └── python3      1000  10.1% ██                   L1
        └── app                   900   9.1% █▉                   L2
            ├── model.bin         800   8.1% █▋                   L2
            ├── main.py            60   0.6% ▏                    L2
            └── util.py            40   0.4% ▏                    L2

          L0    ADD file:0123abcd in /
          L1    RUN apt-get install -y python3
          L2    COPY . /app # buildkit
          a directory's layer is the one that wrote most of its bytes; + means other layers wrote some
    ");
}

#[test]
fn terminal_tree_depth_and_top_limits() {
    insta::assert_snapshot!(tree(&["--color", "never", "--depth", "1", "--top", "1"]), @r"
        /                      9900 100.0% ████████████████████ L1+
        ├── usr                9000  90.9% ██████████████████▏  L1+
        └── … 1 more (3 files)  900   9.1% █▉

          L1    RUN apt-get install -y python3
          a directory's layer is the one that wrote most of its bytes; + means other layers wrote some
    ");
}

#[test]
fn terminal_tree_colours_only_when_asked() {
    assert!(tree(&["--color", "always"]).contains("\x1b["));
    assert!(!tree(&["--color", "never"]).contains("\x1b["));
    // Not a terminal: auto means no colour.
    assert!(!tree(&[]).contains("\x1b["));
}

fn report_of(layers: Vec<Layer>, tag: &str) -> (InspectReport, FsTree) {
    let bytes = synth::write_archive(
        &[Image::new(layers).tag(tag)],
        &Options::new(Flavour::OciArchive),
    )
    .unwrap();
    let f = temp_file(&bytes);
    let (index, analysis) = analyze(f.path(), None);
    let limits = Limits {
        top: 10,
        depth: 3,
        all_files: true,
        by_stored: false,
    };
    let report = summarize(&index, &analysis, tag, limits);
    (report, FsTree::from_analysis(&index, &analysis))
}

#[test]
fn diff_page_marks_growth_shrink_and_new_paths_in_chromium() {
    let (before, _) = report_of(
        vec![
            Layer::new().file("usr/lib/libc.so", vec![1u8; 3000]),
            Layer::new()
                .file("app/model.bin", vec![2u8; 800])
                .file("app/old.py", vec![3u8; 50])
                .file("app/util.py", vec![4u8; 100]),
        ],
        "svc:1",
    );
    let (after, after_tree) = report_of(
        vec![
            Layer::new()
                .file("usr/lib/libc.so", vec![1u8; 3000])
                .file("usr/bin/python3", vec![5u8; 500]),
            Layer::new()
                .file("app/model.bin", vec![6u8; 2000])
                .file("app/new.py", vec![7u8; 70])
                .file("app/util.py", vec![8u8; 40]),
        ],
        "svc:2",
    );
    // The before tree comes from the saved report's `files`, as `diff` would read it.
    let before_tree = FsTree::from_report(&before).expect("files");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("diff.html");
    let mut out = Vec::new();
    let diff = deadweight::analyze::diff::compare(&before, &after, Default::default());
    html::render_diff(
        &diff,
        &before,
        &after,
        Some(&before_tree),
        &after_tree,
        &html::HtmlOptions::default(),
        &mut out,
    )
    .unwrap();
    std::fs::write(&page, &out).unwrap();
    let Some(exe) = chromium() else { return };
    let dom = run_chromium(
        &exe,
        &dir.path().join("profile"),
        &[
            "--window-size=1280,900".to_string(),
            "--dump-dom".to_string(),
            format!("file://{}#selftest", page.display()),
        ],
    );
    let st = selftest(&dom);
    let top: Vec<&str> = st["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    // After: usr 3,500 (was 3,000), app 2,110 (was 950).
    assert_eq!(top, ["usr", "app"]);
    // Grew: usr, app, app/model.bin. New: usr/bin, usr/bin/python3, app/new.py.
    // Shrank: app/util.py. Unchanged (no mark): usr/lib, usr/lib/libc.so.
    assert_eq!(
        st["marks"],
        serde_json::json!({"grow": 3, "shrink": 1, "new": 3, "dead": 0})
    );
    if let Some(keep) = std::env::var_os("DEADWEIGHT_KEEP_DIFF_SCREENSHOT") {
        run_chromium(
            &exe,
            &dir.path().join("profile"),
            &[
                "--window-size=1280,1400".to_string(),
                format!("--screenshot={}", Path::new(&keep).display()),
                format!("file://{}", page.display()),
            ],
        );
    }
}

#[test]
fn html_goes_to_stdout_without_output_and_escapes_hostile_paths() {
    let bytes = synth::write_archive(
        &[Image::new(vec![
            Layer::new().file("app/</script><b>x.txt", vec![1u8; 10]),
        ])],
        &Options::new(Flavour::OciArchive),
    )
    .unwrap();
    let f = temp_file(&bytes);
    let out = bin()
        .args(["inspect", "--quiet", "--format", "html"])
        .arg(f.path())
        .assert()
        .success();
    let html = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    // The one `</script>` pair per script element, and the name kept, escaped.
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains(r"\u003c/script>\u003cb>x.txt"));
}
