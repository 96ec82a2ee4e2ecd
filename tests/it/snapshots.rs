//! Every text format pinned with an insta snapshot, on the README's sample and on a
//! fixture: inspect table, tree, Markdown and suggested `.dockerignore`; diff table and
//! Markdown; check table, Markdown, JUnit and SARIF. The real binary at 100 columns;
//! what varies between machines and releases (the tool's version, the fixtures' and
//! temp paths) is redacted.
//!
//! A layout change shows up here as a diff to review; accept it with
//! `cargo insta review`, or `INSTA_UPDATE=always cargo test --test it snapshots::` and
//! read the `.snap` files.

use crate::common::{bin, fixtures};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary from the repository root (so the sample's path reads
/// `testdata/sample/sample.docker.tar`, as in the README) and returns standard output.
fn run(args: &[&str], expect: i32) -> String {
    let out = bin()
        .current_dir(repo())
        .env_remove("GITHUB_ACTIONS")
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .args(args)
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(expect),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Pins `text` as snapshot `name`, with versions and machine paths redacted.
fn pin(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(repo().join("tests/it/snapshots"));
    let fixtures_root = fixtures_root();
    let mut filters: Vec<(String, String)> = Vec::new();
    if let Some(root) = fixtures_root {
        filters.push((regex_escape(&root), "[fixtures]".to_string()));
    }
    let version = env!("CARGO_PKG_VERSION");
    filters.push((
        format!(
            r#"("version": "|"semanticVersion": "|deadweight |version=")({})"#,
            regex_escape(version)
        ),
        "${1}[version]".to_string(),
    ));
    filters.push((r"/tmp/\.tmp[A-Za-z0-9]+".to_string(), "[temp]".to_string()));
    for (re, with) in &filters {
        settings.add_filter(re, with.as_str());
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The fixtures folder as the tests find it, spelled as the binary prints it.
fn fixtures_root() -> Option<String> {
    let dir = fixtures("corpus")?;
    dir.parent().map(|p| p.display().to_string())
}

const SAMPLE: &str = "testdata/sample/sample.docker.tar";

fn bloated() -> Option<PathBuf> {
    fixtures("corpus").map(|d| d.join("svc-bloated.oci-zstd.tar"))
}

fn slim() -> Option<PathBuf> {
    fixtures("corpus").map(|d| d.join("svc-slim.oci-zstd.tar"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn inspect_formats_on_the_sample() {
    pin("inspect_table_sample", &run(&["inspect", SAMPLE], 0));
    pin(
        "inspect_tree_sample",
        &run(&["inspect", SAMPLE, "--tree", "--color", "never"], 0),
    );
    pin(
        "inspect_markdown_sample",
        &run(&["inspect", SAMPLE, "--format", "markdown"], 0),
    );
    pin(
        "dockerignore_sample",
        &run(&["inspect", SAMPLE, "--suggest-dockerignore"], 0),
    );
    pin(
        "inspect_raw_sample",
        &run(&["inspect", SAMPLE, "--bytes", "raw", "--top", "3"], 0),
    );
}

#[test]
fn inspect_formats_on_a_fixture() {
    let Some(img) = bloated() else { return };
    pin("inspect_table_bloated", &run(&["inspect", p(&img)], 0));
    pin(
        "inspect_tree_bloated",
        &run(&["inspect", p(&img), "--tree", "--color", "never"], 0),
    );
    pin(
        "inspect_markdown_bloated",
        &run(&["inspect", p(&img), "--format", "markdown"], 0),
    );
    pin(
        "dockerignore_bloated",
        &run(&["inspect", p(&img), "--suggest-dockerignore"], 0),
    );
}

#[test]
fn diff_formats_on_the_sample() {
    // The sample against a report of itself saved without its file list: the sections
    // that say what is missing and how to get it.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("sample.json");
    run(&["inspect", SAMPLE, "--format", "json", "-o", p(&base)], 0);
    let table = run(&["diff", p(&base), SAMPLE], 0);
    let md = run(&["diff", p(&base), SAMPLE, "--format", "markdown"], 0);
    let redact = |s: &str| s.replace(p(&base), "[temp]/sample.json");
    pin("diff_table_sample", &redact(&table));
    pin("diff_markdown_sample", &redact(&md));
}

#[test]
fn diff_formats_on_a_fixture() {
    let (Some(a), Some(b)) = (slim(), bloated()) else {
        return;
    };
    pin("diff_table_corpus", &run(&["diff", p(&a), p(&b)], 0));
    pin(
        "diff_markdown_corpus",
        &run(&["diff", p(&a), p(&b), "--format", "markdown"], 0),
    );
}

#[test]
fn check_formats_on_the_sample() {
    for (name, format) in [
        ("table", "table"),
        ("markdown", "markdown"),
        ("junit", "junit"),
        ("sarif", "sarif"),
    ] {
        pin(
            &format!("check_{name}_sample"),
            &run(&["check", SAMPLE, "--format", format], 1),
        );
    }
}

#[test]
fn check_formats_on_a_fixture() {
    let Some(img) = bloated() else { return };
    for (name, format) in [
        ("table", "table"),
        ("markdown", "markdown"),
        ("junit", "junit"),
        ("sarif", "sarif"),
    ] {
        pin(
            &format!("check_{name}_bloated"),
            &run(&["check", p(&img), "--format", format], 1),
        );
    }
}
