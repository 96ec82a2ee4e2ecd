//! The JSON Schemas under `schemas/`: the committed files are what the types generate, every
//! JSON document deadweight writes on every fixture validates against its schema (also with
//! unknown properties forbidden, so a field the schema lacks fails), and `deadweight.toml`'s
//! schema accepts only what `check` and `inspect` accept: the documented examples, what
//! `init` writes, and every key in every value shape the schema allows.
//!
//! To write the committed files anew after changing a model type:
//! `DEADWEIGHT_UPDATE_SCHEMAS=1 cargo test --test it schemas::`.

use crate::common::{bin, fixtures, testdata};
use deadweight::schema::{Document, render};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn committed(doc: Document) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(doc.file_name())
}

fn schema_value(doc: Document) -> Value {
    let text = std::fs::read_to_string(committed(doc)).expect("committed schema");
    serde_json::from_str(&text).expect("schema is JSON")
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let update = std::env::var("DEADWEIGHT_UPDATE_SCHEMAS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for doc in Document::ALL {
        let want = render(doc);
        let path = committed(doc);
        if update {
            std::fs::create_dir_all(path.parent().expect("schemas dir")).expect("mkdir");
            std::fs::write(&path, &want).expect("write schema");
            continue;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(path.display().to_string());
        }
        // `deadweight schema NAME` prints the same bytes.
        let out = bin().args(["schema", doc.name()]).output().expect("run");
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{}", doc.name());
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the model types generate: run \
         `DEADWEIGHT_UPDATE_SCHEMAS=1 cargo test --test it schemas::` and commit schemas/"
    );
}

/// The schema with `additionalProperties: false` on every object that lists properties:
/// what deadweight writes today must be exactly what its types say.
fn strict(schema: &Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(obj) => {
                if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
                    obj.insert("additionalProperties".into(), Value::Bool(false));
                }
                obj.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut s = schema.clone();
    close(&mut s);
    s
}

struct Validators {
    open: jsonschema::Validator,
    closed: jsonschema::Validator,
}

impl Validators {
    fn new(doc: Document) -> Self {
        let schema = schema_value(doc);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "draft 2020-12"
        );
        jsonschema::meta::validate(&schema).expect("a valid schema");
        let build = |s: &Value| {
            jsonschema::options()
                .should_validate_formats(true)
                .build(s)
                .expect("the schema compiles")
        };
        Validators {
            open: build(&schema),
            closed: build(&strict(&schema)),
        }
    }

    fn check(&self, what: &str, instance: &Value) {
        for (name, v) in [("schema", &self.open), ("closed schema", &self.closed)] {
            let errors: Vec<String> = v
                .iter_errors(instance)
                .take(5)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{what} fails the {name}: {errors:#?}");
        }
    }
}

/// Every archive of the shared fixtures, and the sample.
fn archives() -> Vec<PathBuf> {
    let mut all = vec![testdata("sample/sample.docker.tar")];
    for sub in ["dive", "formats", "ggcr", "corpus"] {
        let Some(dir) = fixtures(sub) else {
            continue;
        };
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "tar"))
            .collect();
        found.sort();
        all.extend(found);
    }
    all
}

/// Runs deadweight; `Some(stdout as JSON)` when it exits with one of `ok`.
fn json_of(args: &[&std::ffi::OsStr], ok: &[i32]) -> Option<Value> {
    let out = bin().args(args).output().expect("run deadweight");
    let code = out.status.code().unwrap_or(-1);
    if !ok.contains(&code) {
        assert_eq!(code, 2, "{args:?}: exit {code}");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("JSON on stdout"))
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn every_json_document_on_every_fixture_validates() {
    let inspect = Validators::new(Document::Inspect);
    let check = Validators::new(Document::Check);
    let diff = Validators::new(Document::Diff);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut read = Vec::new();
    for archive in archives() {
        let a = archive.as_os_str();
        let label = archive.display().to_string();
        // Archives deadweight cannot read alone (two images, no manifest) are exit 2.
        let Some(report) = json_of(
            &[
                os("inspect"),
                os("-q"),
                os("--format"),
                os("json"),
                os("--all-files"),
                a,
            ],
            &[0],
        ) else {
            continue;
        };
        inspect.check(&format!("inspect {label}"), &report);
        let plain = json_of(
            &[os("inspect"), os("-q"), os("--format"), os("json"), a],
            &[0],
        )
        .expect("inspect without --all-files");
        inspect.check(&format!("inspect {label} (no files)"), &plain);
        let saved = dir.path().join(format!("{}.json", read.len()));
        std::fs::write(&saved, serde_json::to_vec(&report).expect("json")).expect("save");
        let c = json_of(
            &[os("check"), os("-q"), os("--format"), os("json"), a],
            &[0, 1],
        )
        .expect("check");
        check.check(&format!("check {label}"), &c);
        let c = json_of(
            &[
                os("check"),
                os("-q"),
                os("--format"),
                os("json"),
                os("--baseline"),
                saved.as_os_str(),
                os("--max-growth-bytes"),
                os("0"),
                os("--max-layers"),
                os("1"),
                a,
            ],
            &[0, 1],
        )
        .expect("check --baseline");
        check.check(&format!("check --baseline {label}"), &c);
        // Each image against the one before it (image to image) and against its own report.
        if let Some((prev, _)) = read.last() {
            let prev: &PathBuf = prev;
            let d = json_of(
                &[
                    os("diff"),
                    os("-q"),
                    os("--format"),
                    os("json"),
                    prev.as_os_str(),
                    a,
                ],
                &[0],
            )
            .expect("diff");
            diff.check(&format!("diff {} {label}", prev.display()), &d);
        }
        let d = json_of(
            &[
                os("diff"),
                os("-q"),
                os("--format"),
                os("json"),
                saved.as_os_str(),
                a,
            ],
            &[0],
        )
        .expect("diff report image");
        diff.check(&format!("diff report {label}"), &d);
        read.push((archive.clone(), saved));
    }
    let want = if fixtures("corpus").is_some() { 15 } else { 1 };
    assert!(read.len() >= want, "only {} archives read", read.len());
}

/// The schema of deadweight.toml, and a validator for it.
fn config_validator() -> (Value, jsonschema::Validator) {
    let schema = schema_value(Document::Config);
    jsonschema::meta::validate(&schema).expect("a valid schema");
    let v = jsonschema::options().build(&schema).expect("compiles");
    (schema, v)
}

fn toml_to_json(text: &str) -> Value {
    let t: toml::Table = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(t).expect("TOML as JSON")
}

fn assert_schema_accepts(v: &jsonschema::Validator, what: &str, text: &str) {
    let errors: Vec<String> = v
        .iter_errors(&toml_to_json(text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} fails the config schema: {errors:#?}\n{text}"
    );
}

/// deadweight reads `text` as its config without an error: `check` for the check tables,
/// `inspect` for a file of `[findings]` alone.
fn assert_deadweight_accepts(what: &str, text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("deadweight.toml");
    std::fs::write(&path, text).expect("write config");
    let doc = toml_to_json(text);
    let only_findings = doc
        .as_object()
        .is_some_and(|o| o.keys().all(|k| k == "findings"));
    let sub = if only_findings { "inspect" } else { "check" };
    let out = bin()
        .args([sub, "-q", "--config"])
        .arg(&path)
        .arg(testdata("sample/sample.docker.tar"))
        .output()
        .expect("run");
    let ok: &[i32] = if only_findings { &[0] } else { &[0, 1] };
    assert!(
        ok.contains(&out.status.code().unwrap_or(-1)),
        "{what}: deadweight {sub} rejects what the schema accepts: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ```toml blocks of a Markdown file.
fn toml_blocks(md: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(md).expect("read doc");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```toml") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn documented_configs_and_init_output_fit_the_config_schema() {
    let (_, v) = config_validator();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for doc in ["README.md", "docs/ci.md"] {
        for (i, block) in toml_blocks(&root.join(doc)).iter().enumerate() {
            let what = format!("{doc} toml block {}", i + 1);
            assert_schema_accepts(&v, &what, block);
            assert_deadweight_accepts(&what, block);
            n += 1;
        }
    }
    assert!(n >= 2, "the docs show configs");
    // What `init` writes, on every archive it can read.
    for archive in archives() {
        let out = bin()
            .args(["init", "-q", "-o", "-"])
            .arg(&archive)
            .output()
            .expect("run init");
        if out.status.code() == Some(2) {
            continue;
        }
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert_schema_accepts(&v, &format!("init {}", archive.display()), &text);
    }
}

/// Values of each shape a `$defs` type of the config schema allows, as TOML.
fn shapes(def: &str) -> &'static [&'static str] {
    match def {
        "MaxSize" => &[
            "1000",
            "\"450MB\"",
            "\"1.5 GiB\"",
            "\"off\"",
            "{ max = \"10MB\", level = \"warn\" }",
            "{ level = \"off\" }",
        ],
        "MaxSizeOrPercent" => &[
            "1000",
            "\"20MB\"",
            "\"5%\"",
            "\"off\"",
            "{ max = \"5%\", level = \"error\" }",
        ],
        "MaxPercent" => &[
            "5",
            "2.5",
            "\"5%\"",
            "\"off\"",
            "{ max = 5, level = \"warn\" }",
        ],
        "MaxRatio" => &["0.1", "\"0.25\"", "\"10%\"", "\"off\"", "{ max = 0.5 }"],
        "MaxOpenRatio" => &["0.1", "\"0.25\"", "\"10%\"", "\"off\"", "{ max = 0.5 }"],
        "MinRatio" => &[
            "0.9",
            "1",
            "\"95%\"",
            "\"off\"",
            "{ min = 0.9, level = \"warn\" }",
        ],
        "MaxCount" => &["30", "\"12\"", "\"off\"", "{ max = 3, level = \"off\" }"],
        "Switch" => &["true", "false", "\"error\"", "\"warn\"", "\"off\""],
        "Level" => &["\"error\"", "\"warn\"", "\"off\""],
        other => panic!("no sample values for {other}: add them here"),
    }
}

/// Every key of every check table, in every value shape its schema type allows: the schema
/// accepts each file and so does `deadweight check`. A type or key added to the schema
/// without sample values here fails.
#[test]
fn every_config_key_in_every_shape_is_read_by_check() {
    let (schema, v) = config_validator();
    let defs = &schema["$defs"];
    let def_of = |prop: &Value| -> String {
        let r = prop["$ref"].as_str().expect("a $ref");
        r.trim_start_matches("#/$defs/").to_owned()
    };
    let tables = ["budget", "categories", "baseline", "security"];
    let mut keys = Vec::new();
    for table in tables {
        let t = def_of(&schema["properties"][table]);
        for (key, prop) in defs[&t]["properties"].as_object().expect("properties") {
            keys.push((table, key.clone(), def_of(prop)));
        }
    }
    assert!(keys.len() > 30, "{keys:?}");
    let rounds = keys
        .iter()
        .map(|(_, _, d)| shapes(d).len())
        .max()
        .unwrap_or(0);
    for round in 0..rounds {
        let mut text = String::new();
        for table in tables {
            text.push_str(&format!("[{table}]\n"));
            for (_, key, def) in keys.iter().filter(|(t, _, _)| *t == table) {
                // max_size is another spelling of max_blob_bytes: one of them per file.
                if key == "max_size" && round % 2 == 0 || key == "max_blob_bytes" && round % 2 == 1
                {
                    continue;
                }
                let s = shapes(def);
                text.push_str(&format!("{key} = {}\n", s[round % s.len()]));
            }
        }
        text.push_str("[paths]\ndeny = [\"**/*.pem\"]\nallow = [\"etc/ssl/**\"]\n");
        text.push_str(&format!("level = {}\n", shapes("Level")[round % 3]));
        assert_schema_accepts(&v, &format!("round {round}"), &text);
        assert_deadweight_accepts(&format!("round {round}"), &text);
    }
    // And what the schema refuses, deadweight refuses too.
    for (what, text) in [
        ("a misspelt key", "[budget]\nmax_blob_byte = \"1MB\"\n"),
        ("a bad unit", "[budget]\nmax_blob_bytes = \"1XB\"\n"),
        ("a ratio over 1", "[budget]\nmin_efficiency = 1.5\n"),
        ("an unknown category", "[categories]\nvideos = 0\n"),
        (
            "a table with a min on a max rule",
            "[budget]\nmax_layers = { min = 3 }\n",
        ),
    ] {
        assert!(
            !v.is_valid(&toml_to_json(text)),
            "the schema accepts {what}"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deadweight.toml");
        std::fs::write(&path, text).expect("write");
        let out = bin()
            .args(["check", "-q", "--config"])
            .arg(&path)
            .arg(testdata("sample/sample.docker.tar"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "deadweight accepts {what}");
    }
}

#[test]
fn every_finding_category_and_severity_is_read_by_inspect() {
    let (schema, v) = config_validator();
    // One `const` per category, each with its description (the type is the findings' own).
    let categories: Vec<&str> = schema["$defs"]["Category"]["oneOf"]
        .as_array()
        .expect("category oneOf")
        .iter()
        .filter_map(|c| c["const"].as_str())
        .collect();
    assert_eq!(categories.len(), 16, "{categories:?}");
    let severities = ["info", "warning", "error"];
    let mut text = String::from("[findings]\nignore = [\"/srv/fixtures/**\"]\n");
    for (i, c) in categories.iter().enumerate() {
        text.push_str(&format!(
            "[[findings.rules]]\nid = \"mine.{c}\"\ncategory = \"{c}\"\npaths = [\"**/*.{c}\"]\nseverity = \"{}\"\nfix = \"remove it\"\nmin_bytes = {i}\n",
            severities[i % 3]
        ));
    }
    assert_schema_accepts(&v, "every category", &text);
    assert_deadweight_accepts("every category", &text);
    // The config's categories are the budget categories, in the same order.
    let table: Vec<String> = schema["$defs"]["Categories"]["properties"]
        .as_object()
        .expect("categories")
        .keys()
        .cloned()
        .collect();
    let mut sorted = categories.clone();
    sorted.sort();
    let mut table_sorted = table.clone();
    table_sorted.sort();
    assert_eq!(
        sorted,
        table_sorted.iter().map(String::as_str).collect::<Vec<_>>()
    );
}
