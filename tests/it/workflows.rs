//! The documented CI flows, end to end on the real binary and the fixtures, as a new user
//! follows docs/ci.md: `init` then `check` passes (but for the rules never budgeted), a
//! planted regression fails naming the rule, a typo in the config is exit 2, a baseline
//! catches growth, the GitHub Actions environment, JUnit and SARIF read back. Also the
//! command-line details of issue #21 (conflicting flags, typos, platforms, `.dive-ci`,
//! `--bytes raw`, counts, trailing spaces, Markdown escaping).

use crate::common::{bin, fixtures, testdata};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sample() -> PathBuf {
    testdata("sample/sample.docker.tar")
}

/// The rule ids `init` never budgets (cmd/init.rs `HARD_RULES`).
const HARD_RULES: &[&str] = &[
    "categories.secret",
    "categories.vcs",
    "paths.deny",
    "security.root_user",
];

/// Runs the binary in `dir` with no GitHub environment.
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `init` on `image`, then `check` with the config it wrote: returns the check document
/// and `init`'s message.
fn init_then_check(image: &Path) -> (Value, String, i32) {
    let dir = tempfile::tempdir().unwrap();
    let init = run_in(dir.path(), &["init", s(image), "-q"]);
    assert_eq!(
        init.status.code(),
        Some(0),
        "init {}: {}",
        image.display(),
        text(&init)
    );
    let check = run_in(dir.path(), &["check", s(image), "-q", "--format", "json"]);
    let code = check.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}: {}",
        image.display(),
        text(&check)
    );
    let doc: Value = serde_json::from_slice(&check.stdout).unwrap();
    (doc, String::from_utf8_lossy(&init.stderr).to_string(), code)
}

fn failed_rules(doc: &Value) -> Vec<String> {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every readable image of the fixtures and the sample.
fn every_image() -> Vec<PathBuf> {
    let mut images = vec![sample()];
    for sub in ["corpus", "formats", "dive", "ggcr"] {
        let Some(dir) = fixtures(sub) else { continue };
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tar"))
            // Archives that are broken on purpose, or hold several images.
            .filter(|p| {
                let n = p.file_name().unwrap().to_str().unwrap();
                !matches!(
                    n,
                    "no_manifest.tar" | "null_manifest.tar" | "test_bundle.tar" | "test_link.tar"
                )
            })
            .collect();
        found.sort();
        images.extend(found);
    }
    images
}

/// Issue #21 items 1 and 2: on every fixture, `check` under the config `init` wrote fails
/// on nothing but the rules that are never budgeted, and `init` named exactly those.
#[test]
fn init_then_check_passes_the_size_rules_on_every_fixture() {
    let mut seen = 0;
    for image in every_image() {
        let (doc, said, code) = init_then_check(&image);
        let failed = failed_rules(&doc);
        for id in &failed {
            assert!(
                HARD_RULES.contains(&id.as_str()),
                "{}: {id} failed under init's own config: {doc:#}",
                image.display()
            );
            assert!(
                said.contains(id.as_str()),
                "{}: init did not say {id} fails now: {said}",
                image.display()
            );
        }
        assert_eq!(code == 0, failed.is_empty(), "{}", image.display());
        if failed.is_empty() {
            assert!(said.contains("passes on this image today"), "{said}");
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// The edge cases of item 1, by name: zero-byte findings (svc-bloated's
/// dockerfile_pattern) and dive's user-wasted ratio above 1 (tiny: 1.0002).
#[test]
fn init_handles_zero_byte_findings_and_ratios_above_one() {
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let Some(formats) = fixtures("formats") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bloated = corpus.join("svc-bloated.oci-zstd.tar");
    let out = run_in(dir.path(), &["init", s(&bloated), "-q", "-o", "-"]);
    let toml = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        toml.contains("dockerfile_pattern = { max = 0, level = \"warn\" }"),
        "{toml}"
    );
    // Item 2: what must never ship is a hard rule whatever the image holds.
    assert!(toml.contains("secret = 0"), "{toml}");
    assert!(toml.contains("vcs = 0"), "{toml}");
    assert!(toml.contains("\"**/.git/**\""), "{toml}");
    assert!(toml.contains("\"**/*.pem\""), "{toml}");
    assert!(toml.contains("root_user = \"error\""), "{toml}");
    let said = String::from_utf8_lossy(&out.stderr);
    for id in ["categories.secret", "categories.vcs", "paths.deny"] {
        assert!(said.contains(id), "{said}");
    }
    let (doc, _, code) = init_then_check(&bloated);
    assert_eq!(code, 1);
    let failed = failed_rules(&doc);
    assert!(
        failed.contains(&"categories.secret".to_string()),
        "{failed:?}"
    );
    assert!(failed.contains(&"categories.vcs".to_string()), "{failed:?}");
    assert!(failed.contains(&"paths.deny".to_string()), "{failed:?}");

    let tiny = formats.join("tiny.docker.tar");
    let out = run_in(dir.path(), &["init", s(&tiny), "-q", "-o", "-"]);
    let toml = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(toml.contains("max_user_wasted_percent = 1.01"), "{toml}");
    let (doc, _, _) = init_then_check(&tiny);
    let rule = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "budget.max_user_wasted_percent")
        .unwrap();
    assert_eq!(rule["status"], "pass", "{rule:#}");
}

/// Item 1's planted regression: a config written from the slim service fails the bloated
/// one with exit 1, naming the size rules it breaks.
#[test]
fn a_planted_regression_fails_naming_the_rule() {
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let slim = corpus.join("svc-slim.oci-zstd.tar");
    let bloated = corpus.join("svc-bloated.oci-zstd.tar");
    assert_eq!(
        run_in(dir.path(), &["init", s(&slim), "-q"]).status.code(),
        Some(0)
    );
    let out = run_in(dir.path(), &["check", s(&bloated), "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("FAIL budget.max_content_bytes"), "{t}");
    assert!(t.contains("FAIL: "), "{t}");
}

/// Item 3: `--baseline` without a growth rule applies the documented default (5% and
/// 10 MB) and says so; growth past it fails.
#[test]
fn baseline_alone_checks_growth_with_the_documented_default() {
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let slim = corpus.join("svc-slim.oci-zstd.tar");
    let bloated = corpus.join("svc-bloated.oci-zstd.tar");
    let out = run_in(
        dir.path(),
        &[
            "inspect",
            s(&slim),
            "-q",
            "--format",
            "json",
            "--all-files",
            "-o",
            "base.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_in(
        dir.path(),
        &["check", s(&bloated), "-q", "--baseline", "base.json"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("FAIL baseline.max_growth_percent"), "{t}");
    assert!(t.contains("default growth rules"), "{t}");
    // The same image as its own baseline has not grown.
    let out = run_in(
        dir.path(),
        &[
            "check",
            s(&slim),
            "-q",
            "--baseline",
            "base.json",
            "--max-layers",
            "100",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Item 4: a misspelled table, an unknown key anywhere, a config naming no rule: exit 2
/// naming the file, the line and the nearest valid name. Never a PASS.
#[test]
fn config_typos_are_errors_naming_file_line_and_the_right_name() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "[budgets]\nmax_layers = 3\n",
            "deadweight.toml:1",
            &["[budgets]", "did you mean [budget]"],
        ),
        (
            "[budget]\nmax_layers = 30\n\n[categorys]\nvcs = 0\n",
            "deadweight.toml:4",
            &["did you mean [categories]"],
        ),
        (
            "[budget]\nmax_layer = 30\n",
            "deadweight.toml:2",
            &["did you mean max_layers"],
        ),
        (
            "[findings]\nignore = [\"x\"]\n",
            "deadweight.toml",
            &["names no rule"],
        ),
        (
            "[budget]\nmax_layers = 30\n[findings]\nignor = [\"x\"]\n",
            "deadweight.toml:4",
            &["did you mean ignore"],
        ),
    ];
    for (config, place, words) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deadweight.toml"), config).unwrap();
        let out = run_in(dir.path(), &["check", s(&sample()), "-q"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{config}: {t}");
        assert!(t.contains(place), "{config}: {t}");
        for w in *words {
            assert!(t.contains(w), "{config}: {w}: {t}");
        }
        assert!(!t.contains("PASS"), "{config}: {t}");
    }
    // inspect reads [findings] too, and rejects the same typo.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[findings]\nignor = [\"x\"]\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["inspect", s(&sample()), "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("did you mean ignore"), "{}", text(&out));
}

/// `.dive-ci` in the working directory is read as dive reads it; a key dive does not
/// know is an error, its plugins are not.
#[test]
fn dive_ci_in_the_working_directory_is_read() {
    let Some(dive) = fixtures("dive") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(dive.join("dive-ci.yaml"), dir.path().join(".dive-ci")).unwrap();
    let image = dive.join("test-docker-image.tar");
    let out = run_in(dir.path(), &["check", s(&image), "-q", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"budget.min_efficiency"), "{doc:#}");
    assert_eq!(doc["defaults"], false);
    assert!(
        doc["sources"].to_string().contains(".dive-ci"),
        "{}",
        doc["sources"]
    );
    std::fs::write(
        dir.path().join(".dive-ci"),
        "rules:\n  lowestEfficiency: 0.9\nrule:\n  x: 1\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["check", s(&image), "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(".dive-ci:3"), "{}", text(&out));
}

/// Item 6: inside GitHub Actions the summary is appended and breaches annotated; a
/// summary that cannot be written is a warning, and a pass stays exit 0.
#[test]
fn github_actions_summary_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", s(&sample()), "-q", "--max-layers", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::error title=deadweight budget.max_layers::"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("## deadweight check: FAIL"), "{md}");
    // A directory is no file to append to: the pass stands.
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", dir.path())
        .args(["check", s(&sample()), "-q", "--max-layers", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("warning"), "{}", text(&out));
}

/// Item 6: SARIF from standard input is located at the image's ref (or `--sarif-base`),
/// never `-`, and validates against the 2.1.0 schema; JUnit parses.
#[test]
fn sarif_and_junit_from_standard_input() {
    // The published schema's stray `]` in its `language` patterns, fixed as in
    // check::sarif_validates_against_the_official_schema; formats asserted.
    let text = std::fs::read_to_string(testdata("sarif/sarif-schema-2.1.0.json")).unwrap();
    let bad = "\"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$\"";
    let schema: Value =
        serde_json::from_str(&text.replace(bad, "\"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$\"")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let image = std::fs::read(sample()).unwrap();
    for base in [None, Some("deploy/Dockerfile")] {
        let mut cmd = bin();
        cmd.env_remove("GITHUB_ACTIONS")
            .args(["check", "-", "--format", "sarif"])
            .write_stdin(image.clone());
        if let Some(b) = base {
            cmd.args(["--sarif-base", b]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let want = base.unwrap_or("localhost/deadweight/sample%3Alatest");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            for l in r["locations"].as_array().unwrap() {
                assert_eq!(l["physicalLocation"]["artifactLocation"]["uri"], want);
            }
        }
    }
    let out = bin()
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "-", "--format", "junit"])
        .write_stdin(image)
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases = 0;
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().0 == "testcase" =>
            {
                cases += 1
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, 4, "{xml}");
}

/// Item 7: conflicting flags and mistyped subcommands are rejected with a clear message.
#[test]
fn conflicting_flags_and_typos_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample();
    for args in [
        vec!["inspect", s(&img), "--tree", "--format", "json"],
        vec![
            "inspect",
            s(&img),
            "--suggest-dockerignore",
            "--format",
            "json",
        ],
        vec!["inspect", s(&img), "--tree", "--suggest-dockerignore"],
    ] {
        let out = run_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("cannot be used with"), "{}", text(&out));
    }
    let out = run_in(dir.path(), &["inpsect", s(&img)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("did you mean `inspect`?"),
        "{}",
        text(&out)
    );
    // An image path is still an image, whatever it is called.
    let out = run_in(dir.path(), &[s(&img), "-q", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Item 7: asking for a platform the image does not have lists the platforms it has.
#[test]
fn platform_errors_list_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &["inspect", s(&sample()), "-q", "--platform", "linux/arm64"],
    );
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(t.contains("linux/amd64"), "{t}");
    assert!(!t.contains("there are: latest"), "{t}");
    let out = run_in(
        dir.path(),
        &[
            "inspect",
            s(&sample()),
            "-q",
            "--platform",
            "linux/amd64",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Item 8: `--bytes raw` prints plain integers; human output has no bare byte counts,
/// counts agree with their nouns, and no line ends in a space.
#[test]
fn output_details() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample();
    let raw = text(&run_in(
        dir.path(),
        &["inspect", s(&img), "-q", "--bytes", "raw"],
    ));
    assert!(raw.contains(" 2523648 "), "{raw}");
    assert!(!raw.contains("2,523,648"), "{raw}");
    let check = text(&run_in(
        dir.path(),
        &[
            "check",
            s(&img),
            "-q",
            "--bytes",
            "raw",
            "--max-blob-bytes",
            "1000",
        ],
    ));
    assert!(check.contains("2523648"), "{check}");
    assert!(!check.contains("2,523,648"), "{check}");
    for args in [
        vec!["inspect", s(&img), "-q"],
        vec!["inspect", s(&img), "-q", "--tree", "--color", "never"],
        vec!["check", s(&img), "-q"],
        vec!["diff", s(&img), s(&img), "-q"],
    ] {
        let out = text(&run_in(dir.path(), &args));
        for line in out.lines() {
            assert!(!line.ends_with(' '), "{args:?}: trailing space: {line:?}");
        }
        assert!(!out.contains("(s)"), "{args:?}: {out}");
        assert!(!out.contains(" 1 layers"), "{args:?}: {out}");
    }
    let md = text(&run_in(
        dir.path(),
        &["inspect", s(&img), "-q", "--format", "markdown"],
    ));
    assert!(
        md.starts_with("### deadweight inspect: `localhost/deadweight/sample:latest`"),
        "{md}"
    );
    assert!(md.contains("| stored | 2.52 MB |"), "{md}");
}

/// Item 8: the secret rule's fix says to rotate; a one-layer image says "1 layer".
#[test]
fn secret_fix_rotates_and_counts_agree() {
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bloated = corpus.join("svc-bloated.oci-zstd.tar");
    let t = text(&run_in(dir.path(), &["check", s(&bloated), "-q"]));
    let secret = t
        .split("\n\n")
        .find(|b| b.starts_with("FAIL categories.secret"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(secret.contains("rotate"), "{secret}");
    if let Some(ggcr) = fixtures("ggcr") {
        let one = text(&run_in(
            dir.path(),
            &["inspect", s(&ggcr.join("hello-world-v25.tar")), "-q"],
        ));
        assert!(one.contains(" · 1 layer · "), "{one}");
    }
}

/// Item 5: Markdown escapes what it prints: globs are not bold, `__pycache__` is not.
#[test]
fn markdown_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let md = text(&run_in(
        dir.path(),
        &["check", s(&sample()), "-q", "--format", "markdown"],
    ));
    assert!(md.contains("\\*\\*/.git/\\*\\*"), "{md}");
    assert!(!md.contains(" **/.git/**"), "{md}");
    let Some(corpus) = fixtures("corpus") else {
        return;
    };
    let md = text(&run_in(
        dir.path(),
        &[
            "diff",
            s(&corpus.join("svc-slim.oci-zstd.tar")),
            s(&corpus.join("svc-bloated.oci-zstd.tar")),
            "-q",
            "--format",
            "markdown",
        ],
    ));
    for line in md.lines().filter(|l| l.contains("pycache")) {
        assert!(
            line.contains("`") || line.contains("\\_\\_pycache\\_\\_"),
            "unescaped: {line}"
        );
    }
}

/// Item 8: the HTML diff against a baseline saved without `--all-files` says why
/// nothing is marked.
#[test]
fn html_diff_without_file_lists_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let img = sample();
    let out = run_in(
        dir.path(),
        &[
            "inspect",
            s(&img),
            "-q",
            "--format",
            "json",
            "-o",
            "base.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = run_in(
        dir.path(),
        &["diff", "base.json", s(&img), "-q", "--format", "html"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(html.contains("--all-files"), "no reason given");
}

/// Item 9: a test skipped for want of fixtures says so on the real standard error, with
/// the count, even though it passes.
#[test]
fn skipped_fixture_tests_are_counted_in_the_output() {
    if std::env::var_os("DEADWEIGHT_SKIP_PROBE").is_some() {
        // The probe: look for fixtures that are not there.
        let _ = fixtures("no-such-fixture-set");
        return;
    }
    let me = std::env::current_exe().unwrap();
    let out = std::process::Command::new(me)
        .args([
            "--exact",
            "workflows::skipped_fixture_tests_are_counted_in_the_output",
            "--test-threads",
            "1",
        ])
        .env("DEADWEIGHT_SKIP_PROBE", "1")
        .env_remove("DEADWEIGHT_REQUIRE_FIXTURES")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains(
            "SKIPPED workflows::skipped_fixture_tests_are_counted_in_the_output: no fixtures at"
        ),
        "{t}"
    );
    assert!(t.contains("fixture tests skipped so far: 1"), "{t}");
}
