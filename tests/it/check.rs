//! `deadweight check` and `init`: every rule passing, failing and skipped on hand-worked
//! numbers; exit codes; bad configs; dive's `.dive-ci` giving dive's verdicts; the
//! JUnit, SARIF, Markdown and GitHub Actions outputs read back.

use crate::common::{analyze, bin, fixtures, temp_file, testdata};
use deadweight::analyze::budget::{self, Status};
use deadweight::analyze::budget::{Check, Level, Measure, Origin, RuleSpec};
use deadweight::analyze::summary::{Limits, summarize};
use deadweight::model::{FindingInfo, InspectReport};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    testdata("sample/sample.docker.tar")
}

/// The sample's report as `check` builds it (every file listed).
fn sample_report() -> InspectReport {
    let (index, a) = analyze(&sample(), None);
    summarize(
        &index,
        &a,
        "sample.docker.tar",
        Limits {
            top: 10,
            depth: 3,
            all_files: true,
            by_stored: false,
        },
    )
}

fn rules(toml: &str) -> Vec<RuleSpec> {
    budget::parse_config(toml, "test.toml").unwrap()
}

/// Evaluates one config on `r` and returns (status, value) of its only rule.
fn one(toml: &str, r: &InspectReport, base: Option<&InspectReport>) -> (Status, Option<Measure>) {
    let rs = rules(toml);
    assert_eq!(rs.len(), 1, "{toml}");
    let v = budget::evaluate(&rs, r, base);
    let o = &v.outcomes[0];
    assert_eq!(v.passed, o.status != Status::Fail);
    (o.status, o.value)
}

fn finding(category: &str, severity: &str, bytes: u64, path: &str) -> FindingInfo {
    FindingInfo {
        rule: format!("{category}.test"),
        category: category.to_string(),
        severity: severity.to_string(),
        bytes,
        stored_bytes: 0,
        layer: Some(1),
        created_by: None,
        paths: vec![path.to_string()],
        fix: "remove it".to_string(),
        saving_bytes: bytes,
        resolved_by: None,
        message: format!("{path} found"),
        packages: Vec::new(),
    }
}

// The sample's figures, from testdata/sample/README.md and EXPECTED.json:
// blob 2,006,528 + 346,112 + 49,152 + 101,376 + 15,360 + 2,560 + 2,560 = 2,523,648;
// content 2,406,121; visible 2,277,330; hidden 128,791; duplicates 12,636; 7 layers, the
// largest 1,982,544; dive wasted 221,013.
const BLOB: u64 = 2_523_648;

#[test]
fn size_rules_pass_at_the_threshold_and_fail_one_byte_below() {
    let r = sample_report();
    let cases: &[(&str, u64)] = &[
        ("max_blob_bytes", BLOB),
        ("max_content_bytes", 2_406_121),
        ("max_visible_bytes", 2_277_330),
        ("max_hidden_bytes", 128_791),
        ("max_duplicate_bytes", 12_636),
        ("max_layer_bytes", 1_982_544),
        ("max_wasted_bytes", 221_013),
    ];
    for (key, exact) in cases {
        let pass = one(&format!("[budget]\n{key} = {exact}\n"), &r, None);
        assert_eq!(pass, (Status::Pass, Some(Measure::Bytes(*exact))), "{key}");
        let fail = one(&format!("[budget]\n{key} = {}\n", exact - 1), &r, None);
        assert_eq!(fail.0, Status::Fail, "{key}");
        let warn = one(
            &format!(
                "[budget]\n{key} = {{ max = {}, level = \"warn\" }}\n",
                exact - 1
            ),
            &r,
            None,
        );
        assert_eq!(warn.0, Status::Warn, "{key}");
        let skip = one(&format!("[budget]\n{key} = \"off\"\n"), &r, None);
        assert_eq!(skip, (Status::Skip, None), "{key}");
    }
    // Units: 2,523,648 B is 2.52 MB (SI) and 2.407 MiB (IEC).
    assert_eq!(
        one("[budget]\nmax_blob_bytes = \"2.6MB\"\n", &r, None).0,
        Status::Pass
    );
    assert_eq!(
        one("[budget]\nmax_blob_bytes = \"2.5MB\"\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[budget]\nmax_blob_bytes = \"2.4MiB\"\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[budget]\nmax_blob_bytes = \"2.5MiB\"\n", &r, None).0,
        Status::Pass
    );
    // The issue's `max_size` spelling.
    assert_eq!(
        one("[budget]\nmax_size = \"2.5MB\"\n", &r, None).0,
        Status::Fail
    );
}

#[test]
fn layer_and_percent_rules() {
    let r = sample_report();
    assert_eq!(
        one("[budget]\nmax_layers = 7\n", &r, None),
        (Status::Pass, Some(Measure::Count(7)))
    );
    assert_eq!(one("[budget]\nmax_layers = 6\n", &r, None).0, Status::Fail);
    // hidden 128,791 / content 2,406,121 = 5.3526 %.
    let (s, v) = one("[budget]\nmax_hidden_percent = 6\n", &r, None);
    assert_eq!(s, Status::Pass);
    let Some(Measure::Percent(p)) = v else {
        panic!("{v:?}")
    };
    assert!((p - 5.352_6).abs() < 1e-3, "{p}");
    assert_eq!(
        one("[budget]\nmax_hidden_bytes = \"5%\"\n", &r, None).0,
        Status::Fail
    );
    // duplicates 12,636 / 2,406,121 = 0.525 %.
    assert_eq!(
        one("[budget]\nmax_duplicate_percent = 0.6\n", &r, None).0,
        Status::Pass
    );
    assert_eq!(
        one("[budget]\nmax_duplicate_bytes = \"0.5%\"\n", &r, None).0,
        Status::Fail
    );
}

#[test]
fn dive_rules_follow_dive_comparisons() {
    let r = sample_report();
    // dive 0.13.1 on the sample: efficiency 0.94913, user wasted 0.5218 (dive-ci.txt).
    assert_eq!(
        one("[budget]\nmin_efficiency = 0.9\n", &r, None).0,
        Status::Pass
    );
    assert_eq!(
        one("[budget]\nmin_efficiency = 0.95\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[budget]\nmax_user_wasted_percent = 0.1\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[budget]\nmax_user_wasted_percent = \"53%\"\n", &r, None).0,
        Status::Pass
    );
    // Equal passes, as in dive (`threshold > efficiency` fails).
    let mut exact = r.clone();
    exact.dive.efficiency = 0.95;
    assert_eq!(
        one("[budget]\nmin_efficiency = 0.95\n", &exact, None).0,
        Status::Pass
    );
    // No bytes above layer 0: dive's 0/0 is NaN and passes.
    let mut single = r.clone();
    single.dive.user_wasted_percent = None;
    single.dive.wasted_bytes = 0;
    assert_eq!(
        one("[budget]\nmax_user_wasted_percent = 0.1\n", &single, None).0,
        Status::Pass
    );
    assert_eq!(
        one(
            "[budget]\nmax_user_wasted_percent = \"disabled\"\n",
            &r,
            None
        )
        .0,
        Status::Skip
    );
}

#[test]
fn category_and_dead_weight_rules_read_the_findings() {
    let mut r = sample_report();
    r.findings = vec![
        finding("secret", "error", 312, "app/.env"),
        finding(
            "package_cache",
            "warning",
            16_384,
            "root/.cache/predictor/weights.onnx.partial",
        ),
        finding("vcs", "error", 37_979, "app/.git"),
    ];
    r.summary.by_category.insert("secret".into(), 312);
    r.summary.by_category.insert("package_cache".into(), 16_384);
    r.summary.by_category.insert("vcs".into(), 37_979);
    r.summary.dead_weight_bytes = 312 + 16_384 + 37_979;

    assert_eq!(
        one("[categories]\nsecret = 0\n", &r, None),
        (Status::Fail, Some(Measure::Bytes(312)))
    );
    assert_eq!(
        one("[categories]\npackage_cache = \"20kB\"\n", &r, None).0,
        Status::Pass
    );
    assert_eq!(
        one("[categories]\npackage_cache = \"16kB\"\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one(
            "[categories]\nvcs = { max = 0, level = \"warn\" }\n",
            &r,
            None
        )
        .0,
        Status::Warn
    );
    assert_eq!(one("[categories]\ndataset = 0\n", &r, None).0, Status::Pass);
    assert_eq!(
        one("[categories]\nsecret = \"off\"\n", &r, None).0,
        Status::Skip
    );
    // A zero budget means none at all: a 0-byte secret still fails.
    let mut empty_secret = r.clone();
    empty_secret.findings = vec![finding("secret", "error", 0, "app/.npmrc")];
    empty_secret.summary.by_category.clear();
    assert_eq!(
        one("[categories]\nsecret = 0\n", &empty_secret, None).0,
        Status::Fail
    );

    // Dead weight 54,675 B = 2.27 % of 2,406,121.
    assert_eq!(
        one("[budget]\nmax_dead_weight_bytes = 54675\n", &r, None).0,
        Status::Pass
    );
    assert_eq!(
        one("[budget]\nmax_dead_weight_percent = 2\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[budget]\nmax_dead_weight_percent = 2.5\n", &r, None).0,
        Status::Pass
    );
    // The failure lists the findings as contributors, largest first.
    let v = budget::evaluate(&rules("[budget]\nmax_dead_weight_bytes = 1000\n"), &r, None);
    let paths: Vec<_> = v.outcomes[0]
        .contributors
        .iter()
        .map(|c| c.path.clone().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "app/.git",
            "root/.cache/predictor/weights.onnx.partial",
            "app/.env"
        ]
    );
}

#[test]
fn deny_and_allow_globs_on_the_visible_files() {
    let r = sample_report();
    // The sample's leaked .git holds 46 files, 14 of them hook samples (README.md).
    let (s, v) = one("[paths]\ndeny = [\"**/.git/**\"]\n", &r, None);
    assert_eq!((s, v), (Status::Fail, Some(Measure::Count(46))));
    let (s, v) = one(
        "[paths]\ndeny = [\"**/.git/**\"]\nallow = [\"app/.git/hooks/**\"]\n",
        &r,
        None,
    );
    assert_eq!((s, v), (Status::Fail, Some(Measure::Count(32))));
    assert_eq!(
        one(
            "[paths]\ndeny = [\"**/*.pem\", \"/etc/shadow\"]\n",
            &r,
            None
        ),
        (Status::Pass, Some(Measure::Count(0)))
    );
    assert_eq!(
        one(
            "[paths]\ndeny = [\"/app/.env\"]\nlevel = \"warn\"\n",
            &r,
            None
        )
        .0,
        Status::Warn
    );
    assert_eq!(
        one(
            "[paths]\ndeny = [\"**/.git/**\"]\nlevel = \"off\"\n",
            &r,
            None
        )
        .0,
        Status::Skip
    );
    // Without the file list there is nothing to match: skipped, not passed.
    let mut no_files = r.clone();
    no_files.files = None;
    assert_eq!(
        one("[paths]\ndeny = [\"**/.git/**\"]\n", &no_files, None).0,
        Status::Skip
    );
}

#[test]
fn root_user_rule_reads_the_config_user() {
    let mut r = sample_report();
    assert_eq!(r.image.user, "", "the sample sets no USER");
    assert_eq!(
        one("[security]\nroot_user = \"error\"\n", &r, None).0,
        Status::Fail
    );
    assert_eq!(
        one("[security]\nroot_user = \"warn\"\n", &r, None).0,
        Status::Warn
    );
    assert_eq!(
        one("[security]\nroot_user = \"off\"\n", &r, None).0,
        Status::Skip
    );
    r.image.user = "10001:10001".into();
    assert_eq!(
        one("[security]\nroot_user = \"error\"\n", &r, None).0,
        Status::Pass
    );
    r.image.user = "0".into();
    assert_eq!(
        one("[security]\nroot_user = true\n", &r, None).0,
        Status::Fail
    );
}

#[test]
fn baseline_rules() {
    let r = sample_report();
    let mut base = r.clone();
    base.totals.content_bytes = 2_300_000;
    // Growth 2,406,121 - 2,300,000 = 106,121 B = 4.614 %.
    assert_eq!(
        one(
            "[baseline]\nmax_growth_bytes = \"200kB\"\n",
            &r,
            Some(&base)
        ),
        (Status::Pass, Some(Measure::Delta(106_121)))
    );
    assert_eq!(
        one(
            "[baseline]\nmax_growth_bytes = \"100kB\"\n",
            &r,
            Some(&base)
        )
        .0,
        Status::Fail
    );
    assert_eq!(
        one("[baseline]\nmax_growth_percent = 5\n", &r, Some(&base)).0,
        Status::Pass
    );
    assert_eq!(
        one("[baseline]\nmax_growth_bytes = \"4.5%\"\n", &r, Some(&base)).0,
        Status::Fail
    );
    // Shrinking always passes.
    assert_eq!(
        one("[baseline]\nmax_growth_bytes = 0\n", &base, Some(&r)),
        (Status::Pass, Some(Measure::Delta(-106_121)))
    );
    // No baseline given: skipped.
    assert_eq!(
        one("[baseline]\nmax_growth_bytes = \"1MB\"\n", &r, None),
        (Status::Skip, None)
    );
    // New error findings.
    let mut now = r.clone();
    now.findings = vec![
        finding("secret", "error", 10, "app/.env"),
        finding("vcs", "error", 10, "app/.git"),
        finding("docs", "info", 10, "app/docs"),
    ];
    let mut before = r.clone();
    before.findings = vec![finding("vcs", "error", 10, "app/.git")];
    assert_eq!(
        one(
            "[baseline]\nno_new_error_findings = true\n",
            &now,
            Some(&before)
        ),
        (Status::Fail, Some(Measure::Count(1)))
    );
    assert_eq!(
        one(
            "[baseline]\nno_new_error_findings = true\n",
            &before,
            Some(&now)
        )
        .0,
        Status::Pass
    );
    assert_eq!(
        one("[baseline]\nno_new_error_findings = true\n", &now, None).0,
        Status::Skip
    );
}

#[test]
fn verdict_fails_only_on_error_level() {
    let r = sample_report();
    let mut rs = rules("[budget]\nmax_layers = { max = 1, level = \"warn\" }\n");
    let v = budget::evaluate(&rs, &r, None);
    assert!(v.passed);
    rs.push(RuleSpec {
        id: "x".into(),
        check: Check::Layers,
        limit: Measure::Count(1),
        level: Level::Error,
        origin: Origin::Flag,
    });
    assert!(!budget::evaluate(&rs, &r, None).passed);
}

// ---- The binary ----

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn rule<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in {doc}"))
}

/// Runs `check` in an empty temp dir (so no ./deadweight.toml is picked up).
fn check(args: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .arg("check")
        .args(args)
        .assert()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn default_rules_on_the_sample_fail_as_dive_does() {
    let out = check(&[s(&sample()), "--format", "json"]).code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["defaults"], true);
    assert!(
        doc["notes"][0].as_str().unwrap().contains("default rules"),
        "{doc}"
    );
    let ids: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "categories.secret",
            "paths.deny",
            "budget.min_efficiency",
            "budget.max_user_wasted_percent"
        ]
    );
    // dive-ci.txt: lowestEfficiency PASS, highestUserWastedPercent FAIL (0.5218 > 0.1).
    assert_eq!(rule(&doc, "budget.min_efficiency")["status"], "pass");
    assert_eq!(
        rule(&doc, "budget.max_user_wasted_percent")["status"],
        "fail"
    );
    assert_eq!(
        rule(&doc, "budget.max_user_wasted_percent")["threshold"],
        0.1
    );
    // The FAKE .env of layer 1 (312 B, the sample's README): a secret finding.
    assert_eq!(rule(&doc, "categories.secret")["status"], "fail");
    assert_eq!(rule(&doc, "categories.secret")["value"], 312.0);
    // The .git directory: 46 files.
    assert_eq!(rule(&doc, "paths.deny")["status"], "fail");
    assert_eq!(rule(&doc, "paths.deny")["value"], 46.0);
    // The table says the defaults applied, and explains the failure.
    let out = check(&[s(&sample())]).code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("applying the default rules"), "{text}");
    assert!(
        text.contains("FAIL budget.max_user_wasted_percent"),
        "{text}"
    );
    assert!(
        text.contains("/app/model/weights.onnx") || text.contains("app/model/weights.onnx"),
        "{text}"
    );
    assert!(text.contains("fix: "), "{text}");
    assert!(
        text.contains("FAIL: 4 rules: 1 passed, 3 failed, 0 warned, 0 skipped"),
        "{text}"
    );
}

#[test]
fn config_file_flags_and_exit_codes() {
    let cfg = temp_file(
        b"[budget]\nmax_blob_bytes = \"3MB\"\nmax_layers = 3\n\n[findings]\nignore = []\n",
    );
    // max_layers 3 < 7 layers: exit 1.
    let out = check(&[s(&sample()), "--config", s(cfg.path()), "--format", "json"]).code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["defaults"], false);
    assert_eq!(rule(&doc, "budget.max_layers")["status"], "fail");
    assert_eq!(rule(&doc, "budget.max_blob_bytes")["status"], "pass");
    assert_eq!(rule(&doc, "budget.max_blob_bytes")["value"], BLOB as f64);
    assert_eq!(rule(&doc, "budget.max_blob_bytes")["threshold"], 3e6);
    // A flag overrides the config: exit 0.
    check(&[s(&sample()), "--config", s(cfg.path()), "--max-layers", "7"]).code(0);
    // Flags alone: only the rules they name.
    let out = check(&[s(&sample()), "--max-blob-bytes", "2MiB", "--format", "json"]).code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["rules"].as_array().unwrap().len(), 1);
    check(&[s(&sample()), "--root-user", "warn"]).code(0);
    check(&[s(&sample()), "--deny", "**/*.pem"]).code(0);
    check(&[s(&sample()), "--deny", "**/.env"]).code(1);
    // The sample's .git is 37,979 B (its README): over 0, under 40 kB.
    check(&[s(&sample()), "--category", "vcs=0"]).code(1);
    check(&[s(&sample()), "--category", "vcs=40kB"]).code(0);
    // ./deadweight.toml is found in the working directory.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[budget]\nmax_layers = 2\n",
    )
    .unwrap();
    bin()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", s(&sample())])
        .assert()
        .code(1);
    // Standard input.
    let bytes = std::fs::read(sample()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    bin()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "-", "--max-layers", "7"])
        .write_stdin(bytes)
        .assert()
        .code(0);
    // The tool could not do its job: exit 2.
    check(&["/nonexistent/image.tar"]).code(2);
    check(&[s(&sample()), "--config", "/nonexistent/deadweight.toml"]).code(2);
}

#[test]
fn bad_config_exits_2_naming_key_and_file() {
    let cases: &[(&str, &str)] = &[
        (
            "[budget]\nmax_blob_bytes = \"big\"\n",
            "[budget] max_blob_bytes",
        ),
        ("[budget]\nmax_blob = 3\n", "[budget] max_blob"),
        ("[budget]\nmin_efficiency = 95\n", "[budget] min_efficiency"),
        ("[budget]\nmax_layers = \"many\"\n", "[budget] max_layers"),
        (
            "[budget]\nmax_dead_weight_percent = \"some\"\n",
            "[budget] max_dead_weight_percent",
        ),
        ("[categories]\nsecrets = 0\n", "[categories] secrets"),
        (
            "[categories]\nvcs = { max = 0, level = \"fatal\" }\n",
            "[categories] vcs",
        ),
        ("[paths]\ndeny = [\"{a\"]\n", "[paths] deny"),
        ("[paths]\nexclude = []\n", "[paths] exclude"),
        (
            "[baseline]\nmax_growth_bytes = true\n",
            "[baseline] max_growth_bytes",
        ),
        ("[security]\nroot_user = 1\n", "[security] root_user"),
    ];
    for (text, key) in cases {
        let cfg = temp_file(text.as_bytes());
        let out = check(&[s(&sample()), "--config", s(cfg.path())]).code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        // The file, then its line where known, then the key.
        let file = cfg.path().display().to_string();
        assert!(err.contains(&file), "{text}: {err}");
        assert!(err.contains(&format!(": {key}: ")), "{text}: {err}");
    }
    let out = check(&[s(&sample()), "--max-layers", "lots"]).code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("command line: --max-layers: "), "{err}");
    let out = check(&[s(&sample()), "--min-efficiency", "2"]).code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("--min-efficiency"), "{err}");
}

#[test]
fn dive_ci_file_gives_dive_verdicts_on_dive_fixtures() {
    let Some(dir) = fixtures("dive") else { return };
    let ci = dir.join("dive-ci.yaml");
    // test-docker-image.tar: efficiency 0.98442 >= 0.95, wasted 32,025 <= 20 MB, user
    // wasted 0.48349 <= 0.5: all PASS, as dive says.
    let out = check(&[
        s(&dir.join("test-docker-image.tar")),
        "--dive-ci",
        s(&ci),
        "--format",
        "json",
    ])
    .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["passed"], true);
    assert_eq!(doc["rules"].as_array().unwrap().len(), 3);
    let eff = rule(&doc, "budget.min_efficiency");
    assert_eq!(eff["status"], "pass");
    assert_eq!(eff["value"], 0.9844212134184309);
    assert_eq!(eff["threshold"], 0.95);
    let wasted = rule(&doc, "budget.max_wasted_bytes");
    assert_eq!(wasted["status"], "pass");
    assert_eq!(wasted["value"], 32_025.0);
    assert_eq!(
        wasted["threshold"], 20_000_000.0,
        "20Mb is SI, as go-humanize reads it"
    );
    let user = rule(&doc, "budget.max_user_wasted_percent");
    assert_eq!(user["status"], "pass");
    assert_eq!(user["value"], 0.4834911001404049);
    assert_eq!(user["origin"], "dive-ci");
    assert!(
        doc["notes"][0].as_str().unwrap().contains("plugin1/rule1"),
        "{doc}"
    );
    // test-kaniko-image.tar: user wasted 0.48845 <= 0.5, efficiency 0.97937: PASS.
    let out = check(&[
        s(&dir.join("test-kaniko-image.tar")),
        "--dive-ci",
        s(&ci),
        "--format",
        "json",
    ])
    .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(
        rule(&doc, "budget.max_user_wasted_percent")["value"],
        0.4884502043790995
    );
    assert_eq!(
        rule(&doc, "budget.min_efficiency")["value"],
        0.9793688490216431
    );
    assert_eq!(rule(&doc, "budget.max_wasted_bytes")["value"], 46_245.0);
    // The OCI fixture: one layer, dive's 0/0 user wasted passes.
    check(&[s(&dir.join("test-oci-gzip-image.tar")), "--dive-ci", s(&ci)]).code(0);
    // The sample under the same file: efficiency 0.9491 < 0.95 and 0.5218 > 0.5 fail.
    let out = check(&[s(&sample()), "--dive-ci", s(&ci), "--format", "json"]).code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(rule(&doc, "budget.min_efficiency")["status"], "fail");
    assert_eq!(rule(&doc, "budget.max_wasted_bytes")["status"], "pass");
    assert_eq!(
        rule(&doc, "budget.max_user_wasted_percent")["status"],
        "fail"
    );
    // A rule missing from .dive-ci is no rule (dive#606); "disabled" is a skip.
    let partial = temp_file(b"rules:\n  highestWastedBytes: disabled\n");
    let out = check(&[
        s(&sample()),
        "--dive-ci",
        s(partial.path()),
        "--format",
        "json",
    ])
    .code(0);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["rules"].as_array().unwrap().len(), 1);
    assert_eq!(rule(&doc, "budget.max_wasted_bytes")["status"], "skip");
}

#[test]
fn junit_parses_back_with_one_testcase_per_rule() {
    use quick_xml::events::Event;
    let out = check(&[
        s(&sample()),
        "--max-layers",
        "3",
        "--max-blob-bytes",
        "3MB",
        "--max-growth-bytes",
        "1MB",
        "--format",
        "junit",
    ])
    .code(1);
    let xml = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut skipped, mut suites) = (Vec::new(), 0, 0, 0);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testcase" => {
                    let attr = e.try_get_attribute("name").unwrap().unwrap();
                    let name = attr.value.to_string();
                    cases.push(name);
                }
                "failure" => failures += 1,
                "skipped" => skipped += 1,
                "testsuite" => suites += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, 1);
    assert_eq!(
        cases,
        [
            "budget.max_blob_bytes",
            "budget.max_layers",
            "baseline.max_growth_bytes"
        ]
    );
    assert_eq!(failures, 1, "{xml}");
    assert_eq!(skipped, 1, "{xml}");
    assert!(xml.contains("tests=\"3\""), "{xml}");
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

#[test]
fn sarif_validates_against_the_official_schema() {
    // The published `language` patterns (of `run` and `toolComponent`) have a stray `]`,
    // which jsonschema's strict ECMA regex check rejects when it checks the schema itself;
    // swap in the pattern they mean (a language tag like `en` or `en-US`). deadweight
    // writes no `language`, so this changes nothing our output is held to.
    let text = std::fs::read_to_string(testdata("sarif/sarif-schema-2.1.0.json")).unwrap();
    let bad = "\"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$\"";
    assert_eq!(text.matches(bad).count(), 2);
    let schema: Value =
        serde_json::from_str(&text.replace(bad, "\"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$\"")).unwrap();
    // Formats (uri, uri-reference, ...) are asserted.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    // Breaches and findings: the table-built report with hand-made findings, rendered
    // through the library, and the binary's own output.
    let mut r = sample_report();
    r.findings = vec![
        finding("secret", "error", 312, "app/.env"),
        finding("docs", "info", 6_082, "app/docs"),
    ];
    r.summary.by_category.insert("secret".into(), 312);
    let rs = rules(
        "[budget]\nmax_layers = 3\nmax_hidden_bytes = { max = \"1kB\", level = \"warn\" }\n[categories]\nsecret = 0\n[paths]\ndeny = [\"**/.git/**\"]\n",
    );
    let v = budget::evaluate(&rs, &r, None);
    let doc = deadweight::report::check::document(
        &v,
        &r,
        None,
        false,
        vec!["test.toml".into()],
        vec![],
        deadweight::report::ByteFormat::Si,
    );
    let mut buf = Vec::new();
    deadweight::report::sarif::render(&doc, deadweight::report::ByteFormat::Si, &mut buf).unwrap();
    let sarif: Value = serde_json::from_slice(&buf).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    // 4 budget rules + 2 finding rules described; 4 breaches + 2 findings as results.
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 6);
    let results = run["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|x| x["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "budget.max_layers",
            "budget.max_hidden_bytes",
            "categories.secret",
            "paths.deny",
            "secret.test",
            "docs.test"
        ]
    );
    let levels: Vec<&str> = results
        .iter()
        .map(|x| x["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        ["error", "warning", "error", "error", "error", "note"]
    );
    let loc = &results[4]["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "sample.docker.tar"
    );
    assert_eq!(loc["logicalLocations"][0]["name"], "layer 1");
    assert_eq!(
        loc["logicalLocations"][1]["fullyQualifiedName"],
        "layer 1:app/.env"
    );

    let out = check(&[s(&sample()), "--format", "sarif"]).code(1);
    let sarif = json_of(&out.get_output().stdout);
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // A broken log is caught: the validator is not vacuous.
    let mut broken = sarif.clone();
    broken["version"] = "2.0".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn github_actions_summary_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", s(&sample())])
        .assert()
        .code(1);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with(
            "earlier step\n## deadweight check: FAIL `localhost/deadweight/sample:latest`"
        ),
        "{md}"
    );
    assert!(
        md.contains("| `budget.max_user_wasted_percent` | error | 0.1000 | 0.5218 | **FAIL** |"),
        "{md}"
    );
    assert!(md.contains("**Fix:**"), "{md}");
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    // One per failing rule: the secret, the .git paths, dive's user wasted percent.
    assert_eq!(errors.len(), 3, "{stdout}");
    assert!(errors[0].starts_with("::error title=deadweight categories.secret::"));
    assert!(
        errors[2].starts_with("::error title=deadweight budget.max_user_wasted_percent::localhost/deadweight/sample%3Alatest")
            || errors[2].starts_with("::error title=deadweight budget.max_user_wasted_percent::localhost/deadweight/sample:latest"),
        "{stdout}"
    );
    assert!(!errors[2].contains('\n'));
    // JSON on stdout stays JSON: the annotations go to stderr.
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", s(&sample()), "--format", "json"])
        .assert()
        .code(1);
    json_of(&out.get_output().stdout);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("::error title="));
}

#[test]
fn markdown_format() {
    let out = check(&[s(&sample()), "--max-layers", "7", "--format", "markdown"]).code(0);
    let md = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(md.starts_with("## deadweight check: PASS"), "{md}");
    assert!(
        md.contains("| `budget.max_layers` | error | 7 | 7 | **PASS** |"),
        "{md}"
    );
    assert!(
        md.contains("**PASS: 1 rule: 1 passed, 0 failed, 0 warned, 0 skipped**"),
        "{md}"
    );
}

#[test]
fn baseline_from_a_report_or_an_image() {
    let dir = tempfile::tempdir().unwrap();
    // The image against itself: no growth.
    check(&[
        s(&sample()),
        "--baseline",
        s(&sample()),
        "--max-growth-bytes",
        "0",
    ])
    .code(0);
    // Against a report that claims 100,000 B less content: grew 100,000 B.
    let mut base = sample_report();
    base.totals.content_bytes -= 100_000;
    let path = dir.path().join("base.json");
    std::fs::write(&path, serde_json::to_vec(&base).unwrap()).unwrap();
    let out = check(&[
        s(&sample()),
        "--baseline",
        s(&path),
        "--max-growth-bytes",
        "99999",
        "--format",
        "json",
    ])
    .code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(rule(&doc, "baseline.max_growth_bytes")["value"], 100_000.0);
    check(&[
        s(&sample()),
        "--baseline",
        s(&path),
        "--max-growth-bytes",
        "100kB",
    ])
    .code(0);
}

#[test]
fn init_writes_a_config_that_passes_today() {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .current_dir(dir.path())
        .args(["init", s(&sample())])
        .assert()
        .code(0);
    let path = dir.path().join("deadweight.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // 2,523,648 B + 10 % = 2,776,013 B, rounded up to 2.8 MB.
    assert!(text.contains("max_blob_bytes = \"2.8MB\""), "{text}");
    assert!(text.contains("max_layers = 8"), "{text}");
    // What must never ship is a hard rule whatever the image holds: the sample's FAKE
    // .env (312 B), its .git and root are written as 0, denied and an error.
    assert!(text.contains("secret = 0"), "{text}");
    assert!(text.contains("vcs = 0"), "{text}");
    assert!(text.contains("root_user = \"error\""), "{text}");
    assert!(
        text.contains(
            "deny = [\"**/.git/**\", \"**/.svn/**\", \"**/.hg/**\", \"**/*.pem\", \"**/id_rsa\""
        ),
        "{text}"
    );
    // It parses; the image passes every size rule and fails the hard rules alone.
    assert!(budget::parse_config(&text, "deadweight.toml").is_ok());
    let out = bin()
        .current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", s(&sample()), "--format", "json"])
        .assert()
        .code(1);
    let doc = json_of(&out.get_output().stdout);
    assert_eq!(doc["defaults"], false);
    let failed: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "categories.vcs",
            "categories.secret",
            "paths.deny",
            "security.root_user"
        ]
    );
    // It does not overwrite without --force.
    bin()
        .current_dir(dir.path())
        .args(["init", s(&sample())])
        .assert()
        .code(2);
    bin()
        .current_dir(dir.path())
        .args(["init", s(&sample()), "--force", "--margin", "0"])
        .assert()
        .code(0);
}
