//! `diff`: synthetic pairs with deltas worked out by hand, hand-built reports for findings
//! and packages, and the real corpus pair (bloated -> slim) whose deltas must equal the
//! difference of the two inspect reports and of the corpus's EXPECTED.json.

use crate::common::{analyze, bin, fixtures, temp_file};
use deadweight::analyze::diff::{DiffOptions, compare};
use deadweight::analyze::summary::{Limits, summarize};
use deadweight::model::DiffReport;
use deadweight::model::inspect::{FindingInfo, InspectReport, PackageInfo};
use serde_json::Value;
use std::path::Path;
use synth::{Flavour, History, Image, Layer, Options};

const ALL: Limits = Limits {
    top: 10,
    depth: 3,
    all_files: true,
    by_stored: false,
};

/// The shared base layer: `etc/os` 100 B, `usr/lib/libx.so` 1000 B.
fn base() -> Layer {
    Layer::new()
        .dir("etc")
        .file("etc/os", vec![b'o'; 100])
        .dir("usr/lib")
        .file("usr/lib/libx.so", vec![b'x'; 1000])
}

/// BEFORE: base + L1 `app/main.py` 50 B, `app/docs/a.md` 300 B, `app/docs/b.md` 200 B,
/// `data/model.bin` 400 B. content = visible = 2050, 6 files, 2 layers, nothing hidden.
fn before_image() -> Image {
    let l1 = Layer::new()
        .dir("app/docs")
        .file("app/main.py", vec![b'm'; 50])
        .file("app/docs/a.md", vec![b'd'; 300])
        .file("app/docs/b.md", vec![b'e'; 200])
        .file("data/model.bin", vec![b'w'; 400]);
    Image::new(vec![base(), l1]).tag("app:before").history(vec![
        History::layer("ADD rootfs /"),
        History::layer("COPY . /app"),
    ])
}

/// AFTER: the same base; L1 `app/main.py` grown to 80 B, `data/model.bin` the same 400 B
/// (another layer, same content: unchanged), `app/new.txt` 20 B, no `app/docs`; L2 deletes
/// `etc/os`. content = 100+1000+80+400+20 = 1600, visible 1500, hidden 100 (deleted),
/// 5 files, 3 layers.
fn after_image() -> Image {
    let l1 = Layer::new()
        .file("app/main.py", vec![b'n'; 80])
        .file("data/model.bin", vec![b'w'; 400])
        .file("app/new.txt", vec![b'z'; 20]);
    let l2 = Layer::new().whiteout("etc/os");
    Image::new(vec![base(), l1, l2])
        .tag("app:after")
        .history(vec![
            History::layer("ADD rootfs /"),
            History::layer("COPY . /app"),
            History::layer("RUN rm /etc/os"),
        ])
}

fn write(image: Image) -> tempfile::NamedTempFile {
    let bytes = synth::write_archive(&[image], &Options::new(Flavour::OciArchive))
        .expect("synthetic archive");
    temp_file(&bytes)
}

fn report(path: &Path, limits: Limits) -> InspectReport {
    let (index, a) = analyze(path, None);
    summarize(&index, &a, &path.display().to_string(), limits)
}

fn run_json(args: &[&str]) -> DiffReport {
    let out = bin()
        .arg("diff")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("diff JSON parses")
}

fn names(list: &[deadweight::model::diff::FileDelta]) -> Vec<(&str, i64)> {
    list.iter()
        .map(|f| (f.path.as_str(), f.delta_bytes))
        .collect()
}

#[test]
fn synthetic_pair_has_the_hand_worked_deltas() {
    let (b, a) = (write(before_image()), write(after_image()));
    let d = compare(
        &report(b.path(), ALL),
        &report(a.path(), ALL),
        DiffOptions { depth: 1, top: 0 },
    );
    assert_eq!(d.before.totals.content_bytes, 2050);
    assert_eq!(d.after.totals.visible_bytes, 1500);
    assert_eq!(d.delta.content_bytes, -450);
    assert_eq!(d.delta.visible_bytes, -550);
    assert_eq!(d.delta.hidden_bytes, 100);
    assert_eq!(d.delta.duplicate_bytes, 0);
    assert_eq!(d.delta.files, -2);
    assert_eq!(d.delta.layers, 1);
    assert_eq!(d.delta.dead_weight_bytes, 0);
    // The base layer is shared, the app layer replaced, the rm layer new.
    assert_eq!(d.layers.shared.len(), 1);
    assert_eq!(
        (
            d.layers.shared[0].before_index,
            d.layers.shared[0].after_index
        ),
        (0, 0)
    );
    assert_eq!(d.layers.shared[0].content_bytes, 1100);
    assert_eq!(d.layers.removed.len(), 1);
    assert_eq!(d.layers.removed[0].content_bytes, 950);
    assert_eq!(
        d.layers.added.iter().map(|l| l.index).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // Files: one grown, a directory's two files and a deleted file removed, one added.
    let f = &d.files;
    assert!(f.available);
    assert_eq!(names(&f.changed), vec![("/app/main.py", 30)]);
    assert_eq!(f.changed[0].before_bytes, 50);
    assert_eq!(f.changed[0].after_bytes, 80);
    assert_eq!(
        names(&f.removed),
        vec![
            ("/app/docs/a.md", -300),
            ("/app/docs/b.md", -200),
            ("/etc/os", -100)
        ]
    );
    assert_eq!(names(&f.added), vec![("/app/new.txt", 20)]);
    assert_eq!((f.added_count, f.added_bytes), (1, 20));
    assert_eq!((f.removed_count, f.removed_bytes), (3, 600));
    assert_eq!((f.changed_count, f.changed_delta_bytes), (1, 30));
    // /usr/lib/libx.so and /data/model.bin (same content, another layer).
    assert_eq!(f.unchanged_count, 2);
    // Directories one level deep: /app 550 -> 100, /etc 100 -> 0; /data and /usr equal.
    let dirs: Vec<(&str, u64, u64, i64)> = d
        .dirs
        .iter()
        .map(|x| {
            (
                x.path.as_str(),
                x.before_bytes,
                x.after_bytes,
                x.delta_bytes,
            )
        })
        .collect();
    assert_eq!(dirs, vec![("/app", 550, 100, -450), ("/etc", 100, 0, -100)]);
    // Two levels deep, the removed docs directory shows on its own.
    let d2 = compare(
        &report(b.path(), ALL),
        &report(a.path(), ALL),
        DiffOptions { depth: 2, top: 0 },
    );
    let dirs2: Vec<(&str, i64)> = d2
        .dirs
        .iter()
        .map(|x| (x.path.as_str(), x.delta_bytes))
        .collect();
    assert_eq!(
        dirs2,
        vec![("/app/docs", -500), ("/etc", -100), ("/app", 50)]
    );
    assert!(d.findings.fixed.is_empty() && d.packages.added.is_empty());
}

fn finding(rule: &str, category: &str, bytes: u64, paths: &[&str]) -> FindingInfo {
    FindingInfo {
        rule: rule.to_string(),
        category: category.to_string(),
        severity: "warning".to_string(),
        bytes,
        stored_bytes: 0,
        layer: Some(1),
        created_by: None,
        paths: paths.iter().map(|p| p.to_string()).collect(),
        fix: format!("fix {rule}"),
        saving_bytes: bytes,
        resolved_by: None,
        message: String::new(),
        packages: Vec::new(),
    }
}

fn package(manager: &str, name: &str, version: &str, bytes: u64) -> PackageInfo {
    PackageInfo {
        manager: manager.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        bytes,
        dev: false,
    }
}

/// Findings, packages and dead weight come from hand-built reports: two findings fixed,
/// one remaining (matched by its first path although its path set shrank), one new; a
/// package upgraded, one removed, one added.
fn hand_built_pair() -> (InspectReport, InspectReport) {
    let b = write(before_image());
    let mut before = report(b.path(), ALL);
    let mut after = before.clone();
    before.findings = vec![
        finding("vcs.git-directory", "vcs", 560, &["/srv/.git"]),
        finding("cache.pip", "package_cache", 310, &["/root/.cache/pip"]),
        finding(
            "secret.env-file",
            "secret",
            90,
            &["/srv/.env", "/srv/.env.local"],
        ),
    ];
    after.findings = vec![
        finding("temp.file", "temp_file", 7, &["/tmp/x"]),
        finding("secret.env-file", "secret", 45, &["/srv/.env"]),
    ];
    before.packages = vec![
        package("pip", "flask", "3.0.2", 1000),
        package("pip", "pytest", "8.3.3", 500),
        package("dpkg", "make", "4.3", 300),
    ];
    after.packages = vec![
        package("pip", "gunicorn", "23.0.0", 700),
        package("pip", "flask", "3.0.3", 1100),
        package("dpkg", "make", "4.3", 300),
    ];
    before.summary.dead_weight_bytes = 900;
    before.summary.by_category = [
        ("vcs".to_string(), 560),
        ("package_cache".to_string(), 310),
        ("secret".to_string(), 30),
    ]
    .into();
    after.summary.dead_weight_bytes = 50;
    after.summary.by_category = [("secret".to_string(), 45), ("temp_file".to_string(), 5)].into();
    (before, after)
}

#[test]
fn findings_and_packages_are_matched_by_identity() {
    let (before, after) = hand_built_pair();
    let d = compare(&before, &after, DiffOptions::default());
    let rules = |l: &[FindingInfo]| l.iter().map(|f| f.rule.clone()).collect::<Vec<_>>();
    assert_eq!(
        rules(&d.findings.fixed),
        vec!["vcs.git-directory", "cache.pip"]
    );
    assert_eq!(rules(&d.findings.new), vec!["temp.file"]);
    assert_eq!(d.findings.remaining.len(), 1);
    let r = &d.findings.remaining[0];
    assert_eq!(
        (
            r.rule.as_str(),
            r.before_bytes,
            r.after_bytes,
            r.delta_bytes
        ),
        ("secret.env-file", 90, 45, -45)
    );
    let p = &d.packages;
    assert_eq!(
        p.added.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        vec!["gunicorn"]
    );
    assert_eq!(
        p.removed
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        vec!["pytest"]
    );
    assert_eq!(p.changed.len(), 1);
    let c = &p.changed[0];
    assert_eq!(
        (
            c.name.as_str(),
            c.before_version.as_str(),
            c.after_version.as_str(),
            c.delta_bytes
        ),
        ("flask", "3.0.2", "3.0.3", 100)
    );
    let cats: Vec<(&str, u64, u64, i64)> = d
        .categories
        .iter()
        .map(|c| {
            (
                c.category.as_str(),
                c.before_bytes,
                c.after_bytes,
                c.delta_bytes,
            )
        })
        .collect();
    assert_eq!(
        cats,
        vec![
            ("vcs", 560, 0, -560),
            ("package_cache", 310, 0, -310),
            ("secret", 30, 45, 15),
            ("temp_file", 0, 5, 5),
        ]
    );
    assert_eq!(d.delta.dead_weight_bytes, -850);
    // The images are the same: only the hand-built parts differ.
    assert_eq!(d.delta.content_bytes, 0);
    assert!(!d.is_zero());
    let v = deadweight::report::diff_table::verdict(&d, deadweight::report::ByteFormat::Si);
    assert_eq!(
        v,
        "AFTER is the same size (stored: the same size); 2 findings fixed, 1 new"
    );
}

#[test]
fn an_image_diffed_with_itself_is_all_zero() {
    let b = write(before_image());
    let r = report(b.path(), ALL);
    let d = compare(&r, &r, DiffOptions::default());
    assert!(d.is_zero());
    assert_eq!(d.layers.shared.len(), 2);
    assert_eq!(d.files.unchanged_count, 6);
    // Through the binary, on the project's sample.
    let sample = crate::common::testdata("sample/sample.docker.tar");
    let s = sample.to_str().unwrap();
    let d = run_json(&[s, s]).diff;
    assert!(d.is_zero(), "{d:?}");
    assert_eq!(d.delta.efficiency, 0.0);
}

/// A saved JSON report (with --all-files) diffs exactly as the image it was written from,
/// on either side; one without --all-files says the file sections are unavailable.
#[test]
fn a_saved_report_diffs_as_its_image() {
    let (b, a) = (write(before_image()), write(after_image()));
    let (bp, ap) = (b.path().to_str().unwrap(), a.path().to_str().unwrap());
    let saved = bin()
        .args(["inspect", "--format", "json", "--all-files", bp])
        .output()
        .unwrap();
    assert!(saved.status.success());
    let saved = temp_file(&saved.stdout);
    let sp = saved.path().to_str().unwrap();
    let from_images = run_json(&[bp, ap]);
    assert_eq!(run_json(&[sp, ap]), from_images);
    assert_eq!(from_images.schema_version, 1);
    assert_eq!(from_images.diff.delta.visible_bytes, -550);

    let short = bin()
        .args(["inspect", "--format", "json", bp])
        .output()
        .unwrap();
    let short = temp_file(&short.stdout);
    let d = run_json(&[short.path().to_str().unwrap(), ap]).diff;
    assert!(!d.files.available);
    assert!(d.dirs.is_empty() && d.files.added.is_empty());
    let why = d.files.unavailable.clone().unwrap();
    assert!(why.contains("--all-files"), "{why}");
    // The totals do not need the file list.
    assert_eq!(d.delta, from_images.diff.delta);
    let table = bin()
        .args(["diff", short.path().to_str().unwrap(), ap])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("files and directories not compared"),
        "{text}"
    );
}

/// Standard input feeds one side, as an image or as a JSON report.
#[test]
fn stdin_feeds_one_side() {
    let (b, a) = (write(before_image()), write(after_image()));
    let (bp, ap) = (b.path().to_str().unwrap(), a.path().to_str().unwrap());
    let expected = run_json(&[bp, ap]).diff;
    let out = bin()
        .args(["diff", "-", ap, "--format", "json"])
        .write_stdin(std::fs::read(b.path()).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got: DiffReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got.diff.before.source, "-");
    got.diff.before.source = expected.before.source.clone();
    assert_eq!(got.diff, expected);
    // A JSON report on standard input, as AFTER.
    let saved = bin()
        .args(["inspect", "--format", "json", "--all-files", ap])
        .output()
        .unwrap();
    let out = bin()
        .args(["diff", bp, "-", "--format", "json"])
        .write_stdin(saved.stdout)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: DiffReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got.diff, expected);
    // Not both.
    bin().args(["diff", "-", "-"]).assert().code(2);
}

#[test]
fn table_and_markdown_lead_with_the_verdict() {
    let (b, a) = (write(before_image()), write(after_image()));
    let (bp, ap) = (b.path().to_str().unwrap(), a.path().to_str().unwrap());
    let out = bin().args(["diff", bp, ap]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    // content 2050 -> 1600: 450 B, 21.95% smaller.
    assert!(
        first.starts_with("AFTER is 450 B (22.0%) smaller (stored: "),
        "{first}"
    );
    // BEFORE's docs/ leak is fixed; AFTER's `RUN rm /etc/os` hides 100 B (a new finding).
    let json = bin()
        .args(["diff", "--format", "json", bp, ap])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let rules = |k: &str| -> Vec<String> {
        v["findings"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(rules("fixed"), vec!["docs.app-docs"]);
    assert_eq!(rules("new"), vec!["hidden.deleted-later"]);
    assert_eq!(rules("remaining"), vec!["root_user.runs-as-root"]);
    assert!(first.ends_with("; 1 finding fixed, 1 new"), "{first}");
    assert!(
        text.contains("Layers: 1 shared, 1 removed, 2 added"),
        "{text}"
    );
    assert!(text.contains("/app/docs/a.md"), "{text}");

    let out = bin()
        .args(["diff", bp, ap, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("### deadweight diff: AFTER is 450 B (22.0%) smaller"),
        "{md}"
    );
    assert!(md.contains("`/app/docs/a.md`"), "{md}");
    assert!(
        md.contains("<details><summary>Layers: 1 shared, 1 removed, 2 added"),
        "{md}"
    );
    // Short for a pull-request comment: what is not folded in <details> fits a screen.
    let mut unfolded = 0;
    let mut depth = 0;
    for line in md.lines() {
        if line.starts_with("<details>") {
            depth += 1;
        }
        if depth == 0 && !line.trim().is_empty() {
            unfolded += 1;
        }
        if line.starts_with("</details>") {
            depth -= 1;
        }
    }
    assert!(unfolded < 30, "{unfolded} lines unfolded: {md}");
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in EXPECTED.json"))
}

/// The corpus pair: every delta is the difference of the two inspect reports, and of the
/// figures in EXPECTED.json; the directory and file deltas add up to the visible delta.
#[test]
fn corpus_bloated_to_slim_ties_to_both_reports() {
    let Some(dir) = fixtures("corpus") else {
        return;
    };
    let before = report(&dir.join("svc-bloated.oci-zstd.tar"), ALL);
    let after = report(&dir.join("svc-slim.oci-zstd.tar"), ALL);
    let d = compare(&before, &after, DiffOptions::default());
    // Worked by hand from EXPECTED.json: slim - bloated.
    assert_eq!(d.delta.content_bytes, 129_958_658 - 226_902_993);
    assert_eq!(d.delta.visible_bytes, 129_037_811 - 217_574_258);
    assert_eq!(d.delta.hidden_bytes, 920_847 - 9_328_735);
    assert_eq!(d.delta.duplicate_bytes, 708_184 - 3_245_410);
    assert_eq!(d.delta.files, 5_155 - 7_563);
    assert_eq!(d.delta.layers, 5 - 10);
    // And read from the file, with the stored bytes summed over its layers.
    let text = std::fs::read_to_string(dir.join("EXPECTED.json")).unwrap();
    let e: Value = serde_json::from_str(&text).unwrap();
    let side = |name: &str| e["archives"][name].clone();
    let (eb, ea) = (
        side("svc-bloated.oci-zstd.tar"),
        side("svc-slim.oci-zstd.tar"),
    );
    let diff_of = |k: &str| u(&ea["totals"], k) as i64 - u(&eb["totals"], k) as i64;
    assert_eq!(d.delta.content_bytes, diff_of("content_bytes"));
    assert_eq!(d.delta.visible_bytes, diff_of("visible_bytes"));
    assert_eq!(d.delta.hidden_bytes, diff_of("hidden_bytes"));
    assert_eq!(d.delta.files, diff_of("visible_files"));
    assert_eq!(
        d.delta.duplicate_bytes,
        u(&ea, "duplicate_bytes") as i64 - u(&eb, "duplicate_bytes") as i64
    );
    let blobs = |s: &Value| -> u64 {
        s["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| u(l, "blob_bytes"))
            .sum()
    };
    assert_eq!(d.delta.blob_bytes, blobs(&ea) as i64 - blobs(&eb) as i64);
    let eff = |s: &Value| s["dive"]["efficiency"].as_f64().unwrap();
    assert!((d.delta.efficiency - (eff(&ea) - eff(&eb))).abs() < 1e-12);
    // ... and exactly the two inspect reports' difference.
    let (bt, at) = (&before.totals, &after.totals);
    assert_eq!(
        d.delta.blob_bytes,
        at.blob_bytes as i64 - bt.blob_bytes as i64
    );
    assert_eq!(d.before.totals, *bt);
    assert_eq!(d.after.totals, *at);
    // The base layer is the same blob in both (README: same layer digest as bloated L0).
    assert_eq!(d.layers.shared.len(), 1);
    assert_eq!(
        d.layers.shared[0].diff_id,
        "sha256:72089999634f7a2c67392379a1df64fe2eda5c702ea1f06925f5fea81550e1ea"
    );
    assert_eq!((d.layers.removed.len(), d.layers.added.len()), (9, 4));
    // Directory and file deltas tie to the visible delta.
    let dirs: i64 = d.dirs.iter().map(|x| x.delta_bytes).sum();
    assert_eq!(dirs, d.delta.visible_bytes);
    let f = &d.files;
    assert_eq!(
        f.added_bytes as i64 - f.removed_bytes as i64 + f.changed_delta_bytes,
        d.delta.visible_bytes
    );
    // Planted in bloated only: the apt lists, .git, the datasets; gone in slim.
    assert!(
        f.removed
            .iter()
            .any(|x| x.path.ends_with("_bookworm_main_binary-amd64_Packages")
                && x.before_bytes == 50_060_337),
        "{:?}",
        f.removed
    );
    assert!(
        d.dirs
            .iter()
            .any(|x| x.path == "/srv/predictor/.git" && x.after_bytes == 0)
    );
    // A saved report (JSON text) diffs exactly as the image.
    let json = serde_json::to_string(&before).unwrap();
    let back: InspectReport = serde_json::from_str(&json).unwrap();
    assert_eq!(compare(&back, &after, DiffOptions::default()), d);
    // And the self-diff of the real image is all zero.
    assert!(compare(&after, &after, DiffOptions::default()).is_zero());
}

/// The renderers show the hand-built findings, categories and packages; paths with `|` or
/// a backtick cannot break the Markdown table.
#[test]
fn renderers_show_findings_categories_and_packages() {
    let (mut before, after) = hand_built_pair();
    before
        .findings
        .push(finding("odd.path", "docs", 1, &["/a|b`c"]));
    let d = compare(&before, &after, DiffOptions::default());
    let opts = deadweight::report::Options {
        bytes: deadweight::report::ByteFormat::Raw,
        ..Default::default()
    };
    let mut out = Vec::new();
    deadweight::report::diff_table::render(&d, &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(
            "AFTER is the same size (stored: the same size); 3 findings fixed, 1 new\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Findings: 3 fixed, 1 remaining, 1 new"),
        "{text}"
    );
    assert!(text.contains("3.0.2 -> 3.0.3"), "{text}");
    assert!(
        text.contains("Packages: 1 added, 1 removed, 1 changed"),
        "{text}"
    );
    let vcs = text.lines().find(|l| l.contains(" vcs ")).unwrap();
    assert!(vcs.contains("560") && vcs.contains("-560"), "{vcs}");
    let total = text
        .lines()
        .find(|l| l.contains("total dead weight"))
        .unwrap();
    assert!(total.contains("900") && total.contains("-850"), "{total}");

    let mut out = Vec::new();
    deadweight::report::markdown::render_diff(&d, &opts, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    // Paths are code spans: `|` escaped, a backtick cannot close the span.
    assert!(
        md.contains("| fixed | `odd.path` | 1 | 0 | `/a\\|b'c` |"),
        "{md}"
    );
    assert!(
        md.contains("| NEW | `temp.file` | 0 | 7 | `/tmp/x` |"),
        "{md}"
    );
    assert!(
        md.contains("| \\~ | `pip flask` | 3.0.2 -\\> 3.0.3 |"),
        "{md}"
    );
    // Every table row has the same number of unescaped cell separators as its header.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cols = |l: &str| l.replace("\\|", "").matches('|').count();
        let first = block.lines().next().unwrap();
        for line in block.lines() {
            assert_eq!(cols(line), cols(first), "{line}");
        }
    }
}

/// The JSON document has the fields the issue names, deltas as signed integers.
#[test]
fn json_has_the_documented_shape() {
    let (b, a) = (write(before_image()), write(after_image()));
    let out = bin()
        .args([
            "diff",
            b.path().to_str().unwrap(),
            a.path().to_str().unwrap(),
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["before"]["ref"], "app:before");
    assert_eq!(v["after"]["totals"]["visible_bytes"], 1500);
    assert_eq!(v["delta"]["visible_bytes"].as_i64(), Some(-550));
    assert_eq!(v["delta"]["layers"].as_i64(), Some(1));
    for key in [
        "blob_bytes",
        "content_bytes",
        "hidden_bytes",
        "duplicate_bytes",
        "dead_weight_bytes",
        "files",
    ] {
        assert!(v["delta"][key].is_i64(), "{key}");
    }
    for (section, lists) in [
        ("layers", ["shared", "removed", "added"]),
        ("files", ["added", "removed", "changed"]),
        ("findings", ["fixed", "remaining", "new"]),
        ("packages", ["added", "removed", "changed"]),
    ] {
        for l in lists {
            assert!(v[section][l].is_array(), "{section}.{l}");
        }
    }
    assert!(v["categories"].is_array());
    assert_eq!(v["dirs"][0]["path"], "/app/docs");
    assert_eq!(v["dirs"][0]["delta_bytes"].as_i64(), Some(-500));
}

fn file(
    path: &str,
    bytes: u64,
    layer: usize,
    digest: &str,
) -> deadweight::model::inspect::FileInfo {
    deadweight::model::inspect::FileInfo {
        path: path.to_string(),
        bytes,
        stored_bytes: 0,
        layer,
        sha256: Some(digest.to_string()),
    }
}

/// Matching is by path and content: content that left one path for another is a move,
/// not a removal and an addition; an empty file never counts as moved.
#[test]
fn content_at_a_new_path_is_a_move() {
    let b = write(before_image());
    let mut before = report(b.path(), ALL);
    let mut after = before.clone();
    before.files = Some(vec![
        file("/app/model.bin", 400, 1, "sha256:aa"),
        file("/app/gone.txt", 10, 1, "sha256:bb"),
        file("/app/empty", 0, 1, "sha256:e0"),
    ]);
    after.files = Some(vec![
        file("/srv/model.bin", 400, 3, "sha256:aa"),
        file("/srv/empty", 0, 3, "sha256:e0"),
        file("/srv/new.txt", 10, 3, "sha256:cc"),
    ]);
    let d = compare(&before, &after, DiffOptions { depth: 1, top: 0 });
    let f = &d.files;
    assert_eq!((f.moved_count, f.moved_bytes), (1, 400));
    assert_eq!(
        (
            f.moved[0].from.as_str(),
            f.moved[0].to.as_str(),
            f.moved[0].before_layer,
            f.moved[0].after_layer
        ),
        ("/app/model.bin", "/srv/model.bin", 1, 3)
    );
    assert_eq!(
        names(&f.removed),
        vec![("/app/gone.txt", -10), ("/app/empty", 0)]
    );
    assert_eq!(
        names(&f.added),
        vec![("/srv/new.txt", 10), ("/srv/empty", 0)]
    );
    assert_eq!(
        (
            f.added_count,
            f.added_bytes,
            f.removed_count,
            f.removed_bytes
        ),
        (2, 10, 2, 10)
    );
    // Directories still follow the bytes: /app 410 -> 0, /srv 0 -> 410.
    let dirs: Vec<(&str, i64)> = d
        .dirs
        .iter()
        .map(|x| (x.path.as_str(), x.delta_bytes))
        .collect();
    assert_eq!(dirs, vec![("/app", -410), ("/srv", 410)]);
}

/// One archive holding both images (two tags): each side picks its own.
#[test]
fn both_sides_from_one_archive() {
    let (b, a) = (write(before_image()), write(after_image()));
    let (bp, ap) = (b.path().to_str().unwrap(), a.path().to_str().unwrap());
    let expected = run_json(&[bp, ap]).diff;
    let both = synth::write_archive(
        &[before_image(), after_image()],
        &Options::new(Flavour::DockerLegacy),
    )
    .unwrap();
    let both = temp_file(&both);
    let p = both.path().to_str().unwrap();
    let got = run_json(&[
        p,
        p,
        "--before-image",
        "app:before",
        "--after-image",
        "app:after",
    ])
    .diff;
    assert_eq!(got.delta, expected.delta);
    assert_eq!(got.files, expected.files);
    assert_eq!(got.dirs, expected.dirs);
    assert_eq!(got.layers.shared.len(), 1);
}
