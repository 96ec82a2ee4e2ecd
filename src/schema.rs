//! JSON Schemas (draft 2020-12) of the documents deadweight writes (`inspect`, `diff` and
//! `check --format json`) and of `deadweight.toml`, generated from the [`crate::model`]
//! types with schemars, so a schema cannot say other than what the code writes or reads.
//! `deadweight schema DOCUMENT` prints them; `schemas/` in the repository holds them as
//! committed files, and a test fails when those differ from what this module generates
//! (`DEADWEIGHT_UPDATE_SCHEMAS=1 cargo test --test it schemas::` writes them anew).
//!
//! The document schemas leave unknown properties open: new fields may appear in any release
//! (see the schema policy in [`crate::model`]), and a reader's validation must not fail on
//! them. `deadweight.toml`'s schema closes them, as `check` does: a misspelt key is an error.

use crate::model;
use schemars::generate::SchemaSettings;

/// A document with a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `inspect --format json` (also a baseline, and one side of `diff`).
    Inspect,
    /// `diff --format json`.
    Diff,
    /// `check --format json`.
    Check,
    /// `deadweight.toml`.
    Config,
}

impl Document {
    /// Every document, in the order of `deadweight schema --help`.
    pub const ALL: [Document; 4] = [
        Document::Inspect,
        Document::Diff,
        Document::Check,
        Document::Config,
    ];

    /// The short name: `inspect`, `diff`, `check`, `config`.
    pub fn name(self) -> &'static str {
        match self {
            Document::Inspect => "inspect",
            Document::Diff => "diff",
            Document::Check => "check",
            Document::Config => "config",
        }
    }

    /// The committed file's name under `schemas/`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }
}

/// The schema as a JSON value, with an `$id` under the repository's `schemas/`.
pub fn schema(doc: Document) -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = match doc {
        Document::Inspect => generator.into_root_schema_for::<model::InspectReport>(),
        Document::Diff => generator.into_root_schema_for::<model::DiffReport>(),
        Document::Check => generator.into_root_schema_for::<model::CheckReport>(),
        Document::Config => generator.into_root_schema_for::<model::config::ConfigFile>(),
    };
    let mut value = schema.to_value();
    if doc == Document::Config {
        // TOML has no null: a key left out is how a TOML file says "none".
        drop_null_alternatives(&mut value);
    }
    if let Some(obj) = value.as_object_mut() {
        // `$id` right after `$schema`, as editors show it.
        let mut ordered = serde_json::Map::new();
        if let Some(s) = obj.remove("$schema") {
            ordered.insert("$schema".into(), s);
        }
        ordered.insert("$id".into(), serde_json::Value::String(schema_url(doc)));
        ordered.append(obj);
        value = serde_json::Value::Object(ordered);
    }
    value
}

/// Where the committed schema is published: the repository's raw file on `main`.
pub fn schema_url(doc: Document) -> String {
    format!(
        "{}/raw/main/schemas/{}",
        env!("CARGO_PKG_REPOSITORY"),
        doc.file_name()
    )
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn render(doc: Document) -> String {
    // A serde_json::Value always serializes; the fallback is never taken.
    let mut text = serde_json::to_string_pretty(&schema(doc)).unwrap_or_default();
    text.push('\n');
    text
}

/// `{"anyOf": [X, {"type": "null"}], ...}` (schemars' `Option<X>`) becomes X with the rest
/// of the object's keys (its description), and `"type": ["array", "null"]` becomes
/// `"type": "array"`, everywhere in `v`.
fn drop_null_alternatives(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(obj) => {
            let is_null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
            let single = match obj.get("anyOf").and_then(Value::as_array) {
                Some(alts) if alts.len() == 2 && alts.iter().any(is_null) => {
                    alts.iter().find(|a| !is_null(a)).cloned()
                }
                _ => None,
            };
            if let Some(Value::Object(inner)) = single {
                obj.remove("anyOf");
                for (k, val) in inner {
                    obj.entry(k).or_insert(val);
                }
            }
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t.as_str() != Some("null"));
                if types.len() == 1 {
                    let only = types.remove(0);
                    obj.insert("type".into(), only);
                }
            }
            obj.values_mut().for_each(drop_null_alternatives);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_alternatives),
        _ => {}
    }
}
