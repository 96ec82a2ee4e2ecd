//! Every runnable example of README.md and docs/ci.md is run, and does what the text
//! shows.
//!
//! The convention (docs/ci.md states it for writers):
//! - Only ```` ```console ```` blocks run; ```` ```sh ````, `yaml`, `toml` and `text`
//!   blocks do not (use `sh` for what needs docker, a registry or the network).
//! - A line starting with `$ ` is a command, run with `sh -c` in one temp directory per
//!   document (blocks run in order and share it, so `init` then `check` works), where
//!   `testdata` links to the repository's `testdata/`. `deadweight` is the binary under
//!   test, first on `PATH`; a leading `cargo run --release --` runs it too.
//! - Reports are as wide as `COLUMNS=120` (the width off a terminal); `NO_COLOR` is set.
//! - The command must exit 0, unless its line ends with a comment `# exit N`.
//! - The lines after a command, up to the next `$ ` or the block's end, are what it
//!   prints: each non-blank one (trailing spaces aside) must occur, in order, within the
//!   lines of its standard output and error. A line `…` or `...` elides and is skipped.

use std::path::{Path, PathBuf};

/// One `$ ` command and what the document says it prints.
#[derive(Debug)]
struct Example {
    /// The document and line, for messages.
    place: String,
    command: String,
    exit: i32,
    expected: Vec<String>,
}

/// The examples of one Markdown document, in order.
fn examples(doc: &str, name: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    let mut in_other = false;
    for (i, line) in doc.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if in_console || in_other {
                in_console = false;
                in_other = false;
            } else if info.trim() == "console" {
                in_console = true;
            } else {
                in_other = true;
            }
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let (command, exit) = match cmd.rsplit_once("# exit ") {
                Some((c, n)) if n.trim().parse::<i32>().is_ok() => {
                    (c.trim().to_string(), n.trim().parse().unwrap_or(0))
                }
                _ => (cmd.trim().to_string(), 0),
            };
            let command = match command.strip_prefix("cargo run --release -- ") {
                Some(rest) => format!("deadweight {rest}"),
                None => command,
            };
            out.push(Example {
                place: format!("{name}:{}", i + 1),
                command,
                exit,
                expected: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            let l = line.trim_end();
            if !l.trim().is_empty() && l.trim() != "…" && l.trim() != "..." {
                last.expected.push(l.to_string());
            }
        }
    }
    out
}

/// The directory holding the binary under test.
fn bin_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_deadweight"));
    exe.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Runs the examples of `doc_path` (relative to the repository) and returns how many ran.
fn run_document(rel: &str) -> usize {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join(rel)).unwrap();
    let list = examples(&text, rel);
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo.join("testdata"), dir.path().join("testdata")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for ex in &list {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&ex.command)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("COLUMNS", "120")
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(ex.exit),
            "{}: `{}` exited {:?}, the text says {}:\n{printed}",
            ex.place,
            ex.command,
            out.status.code(),
            ex.exit
        );
        let lines: Vec<&str> = printed.lines().collect();
        let mut at = 0;
        for want in &ex.expected {
            let want_t = want.trim();
            match lines[at..].iter().position(|l| l.contains(want_t)) {
                Some(k) => at += k + 1,
                None => panic!(
                    "{}: `{}` does not print, in this order, the line\n  {want_t}\nit printed:\n{printed}",
                    ex.place, ex.command
                ),
            }
        }
    }
    list.len()
}

#[test]
fn readme_examples_run_as_written() {
    let n = run_document("README.md");
    assert!(n >= 1, "README.md has no ```console example");
}

#[test]
fn ci_doc_examples_run_as_written() {
    let n = run_document("docs/ci.md");
    assert!(n >= 3, "docs/ci.md has too few ```console examples: {n}");
}

#[test]
fn the_convention_is_read_as_documented() {
    let doc = "text\n```sh\n$ not run\n```\n```console\n$ deadweight check x  # exit 1\nFAIL: 1 rule\n…\n\n$ cargo run --release -- inspect y\n```\n";
    let ex = examples(doc, "t.md");
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].command, "deadweight check x");
    assert_eq!(ex[0].exit, 1);
    assert_eq!(ex[0].expected, vec!["FAIL: 1 rule".to_string()]);
    assert_eq!(ex[1].command, "deadweight inspect y");
    assert_eq!(ex[1].exit, 0);
}

/// Issue #21 item 9: the README tells contributors where the fixtures come from, that
/// the tests skip without them, and that `DEADWEIGHT_REQUIRE_FIXTURES=1` fails instead.
#[test]
fn readme_explains_the_fixtures() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("README.md")).unwrap();
    for needle in [
        "../shared/fixtures",
        "DEADWEIGHT_REQUIRE_FIXTURES=1",
        "skip",
    ] {
        assert!(text.contains(needle), "README.md does not mention {needle}");
    }
}
