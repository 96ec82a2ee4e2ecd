//! The GitHub Action (`action.yml`) and the GitLab template (`ci/gitlab.yml`), run here as
//! their runners would: each step's or job's shell lines, with the variables the runner sets
//! (`GITHUB_*`, `CI`/`GITLAB_CI`), the action's inputs substituted, and `ci/install.sh`
//! fetching a release asset made by `ci/release-asset.sh` from a `file://` URL. Nothing here
//! reaches the network.

use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SAMPLE: &str = "testdata/sample/sample.docker.tar";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn built_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_deadweight"))
}

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(rel)).expect("read yaml");
    serde_yaml_ng::from_str(&text).expect("valid yaml")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A workspace as a runner gives a job: a temp dir holding `testdata` (a link to the
/// repository's), with the files GitHub's runner names in its variables.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink(repo().join("testdata"), dir.path().join("testdata"))
            .expect("link testdata");
        for f in ["github_output", "github_path", "step_summary"] {
            std::fs::write(dir.path().join(f), "").expect("runner file");
        }
        std::fs::create_dir(dir.path().join("runner_temp")).expect("runner temp");
        Workspace { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    /// `GITHUB_OUTPUT`'s `key=value` lines.
    fn outputs(&self) -> BTreeMap<String, String> {
        self.read("github_output")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// A PATH without any deadweight: the runner's system directories only.
const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the action's steps in order as GitHub's runner does: `${{ inputs.NAME }}` in a
/// step's `env` replaced by the input (or its default), `GITHUB_ACTION_PATH` the
/// repository, and directories appended to `GITHUB_PATH` by a step put on the next one's
/// PATH. Stops at the first step that fails, as a job does. Returns each `run` step's result.
fn run_action(ws: &Workspace, inputs: &[(&str, &str)], release_url: &str) -> Vec<Ran> {
    let action = yaml("action.yml");
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let declared = action["inputs"].as_mapping().expect("inputs");
    for (name, spec) in declared {
        values.insert(text(name), text(&spec["default"]));
    }
    for (k, v) in inputs {
        assert!(values.contains_key(*k), "action.yml has no input {k}");
        values.insert((*k).to_owned(), (*v).to_owned());
    }
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let mut results = Vec::new();
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        assert_eq!(
            text(&step["shell"]),
            "bash",
            "a composite run step names its shell"
        );
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-c", run])
            .current_dir(ws.dir.path())
            .env_clear()
            .env("HOME", ws.dir.path())
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_ACTION_PATH", repo())
            .env("GITHUB_WORKSPACE", ws.dir.path())
            .env("GITHUB_OUTPUT", ws.path("github_output"))
            .env("GITHUB_PATH", ws.path("github_path"))
            .env("GITHUB_STEP_SUMMARY", ws.path("step_summary"))
            .env("RUNNER_TEMP", ws.path("runner_temp"))
            .env("DEADWEIGHT_RELEASE_URL", release_url);
        let mut path: Vec<String> = ws.read("github_path").lines().map(str::to_owned).collect();
        path.reverse();
        path.push(SYSTEM_PATH.to_owned());
        cmd.env("PATH", path.join(":"));
        if let Some(env) = step["env"].as_mapping() {
            for (k, v) in env {
                cmd.env(text(k), substitute(&text(v), &values));
            }
        }
        let out = cmd.output().expect("run step");
        let ran = Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let failed = ran.code != Some(0);
        results.push(ran);
        if failed {
            break;
        }
    }
    results
}

/// `${{ inputs.NAME }}` replaced by the input's value; any other expression is a test error
/// (a run step's env may only take inputs).
fn substitute(v: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expr = rest[start + 3..end].trim();
        let name = expr
            .strip_prefix("inputs.")
            .unwrap_or_else(|| panic!("a run step's env takes only inputs, not {expr}"));
        out.push_str(inputs.get(name).expect("a declared input"));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The release asset of the built binary for this machine, as `ci/release-asset.sh` packs
/// it, under `DIR/vVERSION/`: returns the `file://` URL of DIR.
fn local_release(ws: &Workspace) -> String {
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-gnu",
        "aarch64" => "aarch64-unknown-linux-gnu",
        other => panic!("no release target for {other}"),
    };
    let releases = ws.path("releases");
    let dir = releases.join(format!("v{}", env!("CARGO_PKG_VERSION")));
    let out = Command::new("sh")
        .arg(repo().join("ci/release-asset.sh"))
        .arg(built_binary())
        .arg(target)
        .arg(&dir)
        .output()
        .expect("run release-asset.sh");
    assert!(out.status.success(), "release-asset.sh: {out:?}");
    format!("file://{}", releases.display())
}

#[test]
fn github_action_installs_from_the_release_checks_and_reports() {
    let ws = Workspace::new();
    let url = local_release(&ws);

    // No config: the default rules, which the sample breaks (a secret, a .git folder).
    let ran = run_action(&ws, &[("image", SAMPLE), ("format", "sarif")], &url);
    assert_eq!(ran.len(), 2, "install and check ran");
    assert_eq!(ran[0].code, Some(0), "install: {}", ran[0].stderr);
    let bin_dir = ws.path("runner_temp").join("deadweight").join("bin");
    assert_eq!(
        ws.read("github_path").trim(),
        bin_dir.to_str().expect("utf-8")
    );
    assert!(ran[0].stderr.contains("deadweight-0"), "{}", ran[0].stderr);
    assert!(ran[0].stderr.contains("tar.gz"), "installed from the asset");
    assert_eq!(ran[1].code, Some(1), "the gate failed: {}", ran[1].stderr);
    assert!(
        ran[1].stdout.contains("::error title=deadweight"),
        "annotations"
    );
    let outputs = ws.outputs();
    assert_eq!(outputs["report"], "deadweight-report.sarif");
    assert_eq!(outputs["exit-code"], "1");
    assert_eq!(outputs["passed"], "false");
    let sarif: serde_json::Value =
        serde_json::from_str(&ws.read("deadweight-report.sarif")).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        ws.read("step_summary").contains("deadweight check: FAIL"),
        "the step summary: {}",
        ws.read("step_summary")
    );

    // The upload step: only for SARIF, also after a failed gate, with the report's path.
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let upload = steps
        .iter()
        .find(|s| text(&s["uses"]).starts_with("github/codeql-action/upload-sarif@"))
        .expect("an upload-sarif step");
    let cond = text(&upload["if"]);
    assert!(cond.contains("!cancelled()") && cond.contains("inputs.format == 'sarif'"));
    assert!(cond.contains("inputs.upload-sarif == 'true'"));
    assert_eq!(
        text(&upload["with"]["sarif_file"]),
        "${{ steps.check.outputs.report }}"
    );
}

#[test]
fn github_action_passes_with_a_config_and_prints_the_table() {
    let ws = Workspace::new();
    let url = local_release(&ws);
    std::fs::write(ws.path("budget.toml"), "[budget]\nmax_layers = 10\n").expect("config");
    let ran = run_action(&ws, &[("image", SAMPLE), ("config", "budget.toml")], &url);
    assert_eq!(ran[1].code, Some(0), "{}{}", ran[1].stdout, ran[1].stderr);
    assert!(
        ran[1].stdout.contains("budget.max_layers"),
        "{}",
        ran[1].stdout
    );
    let outputs = ws.outputs();
    assert_eq!(outputs["passed"], "true");
    assert_eq!(outputs["report"], "deadweight-report.txt");
    assert!(ws.read("step_summary").contains("deadweight check: PASS"));

    // A baseline and extra arguments reach deadweight too: growth against the image's own
    // report is none.
    let report = ws.path("base.json");
    let out = crate::common::bin()
        .args(["inspect", "-q", "--format", "json", "--all-files", "-o"])
        .arg(&report)
        .arg(repo().join(SAMPLE))
        .output()
        .expect("inspect");
    assert!(out.status.success());
    std::fs::write(ws.path("github_output"), "").expect("reset outputs");
    let ran = run_action(
        &ws,
        &[
            ("image", SAMPLE),
            ("baseline", "base.json"),
            ("args", "--max-growth-bytes 0 --max-layers 10"),
            ("format", "json"),
        ],
        &url,
    );
    assert_eq!(ran[1].code, Some(0), "{}", ran[1].stderr);
    let json: serde_json::Value =
        serde_json::from_str(&ws.read("deadweight-report.json")).expect("json report");
    let ids: Vec<String> = json["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| text_json(&r["id"]))
        .collect();
    assert!(
        ids.iter().any(|i| i == "baseline.max_growth_bytes"),
        "{ids:?}"
    );
}

fn text_json(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[test]
fn github_action_rejects_a_bad_format_and_a_missing_image() {
    let ws = Workspace::new();
    let url = local_release(&ws);
    let ran = run_action(&ws, &[("image", SAMPLE), ("format", "xml")], &url);
    assert_eq!(ran[1].code, Some(2));
    assert!(
        ran[1].stderr.contains("format 'xml' is not one of"),
        "{}",
        ran[1].stderr
    );
    let ran = run_action(&ws, &[("image", "")], &url);
    assert_eq!(ran[1].code, Some(2));
    assert!(ran[1].stderr.contains("no image"), "{}", ran[1].stderr);
    let ran = run_action(&ws, &[("image", "missing.tar")], &url);
    assert_eq!(
        ran[1].code,
        Some(2),
        "a tool failure is exit 2, not a gate failure"
    );
    assert_eq!(ws.outputs()["exit-code"], "2");
}

#[test]
fn install_checks_the_asset_checksum() {
    let ws = Workspace::new();
    let url = local_release(&ws);
    let dir = ws
        .path("releases")
        .join(format!("v{}", env!("CARGO_PKG_VERSION")));
    let sum = std::fs::read_dir(&dir)
        .expect("release dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "sha256"))
        .expect("a .sha256 file");
    let line = std::fs::read_to_string(&sum).expect("read sum");
    std::fs::write(&sum, format!("{}{}", "0".repeat(64), &line[64..])).expect("corrupt sum");
    let ran = run_action(&ws, &[("image", SAMPLE)], &url);
    assert_eq!(ran.len(), 1, "the job stops at the install step");
    assert_eq!(ran[0].code, Some(2));
    assert!(
        ran[0].stderr.contains("checksum mismatch"),
        "{}",
        ran[0].stderr
    );
}

#[test]
fn install_builds_with_cargo_when_there_is_no_release_asset() {
    let ws = Workspace::new();
    // A stand-in for cargo that records its arguments and "installs" the built binary
    // where --root says.
    let fake = ws.path("fakebin");
    std::fs::create_dir(&fake).expect("fake bin dir");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\" && cp '{bin}' \"$root/bin/deadweight\"\n",
        log = ws.path("cargo_args").display(),
        bin = built_binary().display()
    );
    std::fs::write(fake.join("cargo"), script).expect("fake cargo");
    std::fs::set_permissions(
        fake.join("cargo"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let empty = format!("file://{}", ws.path("no-releases").display());
    let out = Command::new("sh")
        .arg(repo().join("ci/install.sh"))
        .current_dir(ws.dir.path())
        .env_clear()
        .env("PATH", format!("{}:{SYSTEM_PATH}", fake.display()))
        .env("RUNNER_TEMP", ws.path("runner_temp"))
        .env("DEADWEIGHT_RELEASE_URL", &empty)
        .output()
        .expect("run install.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let root = ws.path("runner_temp").join("deadweight");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        root.join("bin").to_str().expect("utf-8"),
        "stdout is the bin directory alone"
    );
    assert!(stderr.contains("no release asset"), "{stderr}");
    let args: Vec<String> = ws.read("cargo_args").lines().map(str::to_owned).collect();
    let want: Vec<String> = ["install", "--locked", "--root"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            root.display().to_string(),
            "--path".into(),
            repo().display().to_string(),
        ])
        .collect();
    assert_eq!(args, want);
}

/// Runs the GitLab template's `.deadweight` job: its variables (with `overrides`), then its
/// `before_script` and `script` lines in one shell, as GitLab's shell executor does, with
/// GitLab's own variables set. PATH holds the built binary, so install.sh takes it as it is
/// (its version is the repository's).
fn run_gitlab(ws: &Workspace, overrides: &[(&str, &str)]) -> (Ran, Value) {
    let doc = yaml("ci/gitlab.yml");
    let job = doc[".deadweight"].clone();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in job["variables"].as_mapping().expect("variables") {
        vars.insert(text(k), text(v));
    }
    vars.insert("DEADWEIGHT_SRC".into(), repo().display().to_string());
    for (k, v) in overrides {
        assert!(vars.contains_key(*k), "ci/gitlab.yml has no variable {k}");
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut lines = Vec::new();
    for part in ["before_script", "script"] {
        for line in job[part].as_sequence().expect("script lines") {
            lines.push(text(line));
        }
    }
    let bin_dir = built_binary().parent().expect("bin dir").to_owned();
    let out = Command::new("sh")
        .args(["-e", "-c", &lines.join("\n")])
        .current_dir(ws.dir.path())
        .env_clear()
        .env("HOME", ws.dir.path())
        .env("CI", "true")
        .env("GITLAB_CI", "true")
        .env("CI_PROJECT_DIR", ws.dir.path())
        .env("PATH", format!("{}:{SYSTEM_PATH}", bin_dir.display()))
        .envs(&vars)
        .output()
        .expect("run the job");
    let ran = Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (ran, job)
}

#[test]
fn gitlab_template_gates_and_writes_the_junit_report() {
    let ws = Workspace::new();
    let (ran, job) = run_gitlab(&ws, &[("DEADWEIGHT_IMAGE", SAMPLE)]);
    assert_eq!(ran.code, Some(1), "the default rules fail: {}", ran.stderr);
    assert!(
        ran.stderr.contains("using "),
        "install.sh took the deadweight on PATH"
    );
    let xml = ws.read("deadweight-report.xml");
    assert!(xml.contains("<testsuite"), "a JUnit report: {xml}");
    assert!(xml.contains("<failure"), "with the failed rules");
    // The report the job writes is the one its artifacts upload, also when it fails.
    assert_eq!(text(&job["artifacts"]["when"]), "always");
    assert_eq!(
        text(&job["artifacts"]["reports"]["junit"]),
        "$DEADWEIGHT_OUTPUT"
    );
    assert_eq!(
        text(&job["variables"]["DEADWEIGHT_OUTPUT"]),
        "deadweight-report.xml"
    );

    let (ran, _) = run_gitlab(
        &ws,
        &[
            ("DEADWEIGHT_IMAGE", SAMPLE),
            ("DEADWEIGHT_ARGS", "--max-layers 10 --max-blob-bytes 3MB"),
        ],
    );
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    assert!(!ws.read("deadweight-report.xml").contains("<failure"));
    assert!(Path::new(&ws.path("deadweight-report.xml")).is_file());
}
