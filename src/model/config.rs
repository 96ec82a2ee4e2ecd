//! `deadweight.toml` as types: what its tables and keys are and what each value may be,
//! for the JSON Schema editors check the file against (`deadweight schema config`,
//! `schemas/config.schema.json`).
//!
//! The file is read by `analyze::budget` (the `check` tables) and `analyze::findings`
//! (`[findings]`), which give each value its meaning and words each error. These types say
//! which keys exist and which value shapes are accepted; tests hold the two together: every
//! key and value shape here is one the readers accept, and every key the readers know is
//! here. Where a reader is more lenient than a pattern here (`"Error"` as a level, `1e3` as
//! a size), the schema keeps to the documented spelling.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

pub use super::category::Category;

/// `deadweight.toml`: the budgets `deadweight check` gates on and the finding rules of
/// `deadweight inspect`. A key left out is no rule at all; `"off"` keeps a rule but skips it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "deadweight.toml")]
pub struct ConfigFile {
    /// Image-wide budgets.
    pub budget: Option<Budget>,
    /// Budgets per finding category (the categories of `inspect`); 0 means none at all.
    pub categories: Option<Categories>,
    /// Another spelling of `[categories]`.
    pub category: Option<Categories>,
    /// Globs on the visible files' paths that must not match.
    pub paths: Option<Paths>,
    /// Security rules.
    pub security: Option<Security>,
    /// Growth against `--baseline REPORT.json|IMAGE`.
    pub baseline: Option<Baseline>,
    /// Your own finding rules and ignores (read by `inspect`, `check` and `diff`).
    pub findings: Option<Findings>,
}

/// `[budget]`: image-wide budgets.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Stored size (the layer blobs: what a pull transfers).
    pub max_blob_bytes: Option<MaxRule<Size>>,
    /// Another spelling of `max_blob_bytes`.
    pub max_size: Option<MaxRule<Size>>,
    /// The sum of the layers' file bytes, uncompressed.
    pub max_content_bytes: Option<MaxRule<Size>>,
    /// What the final filesystem shows.
    pub max_visible_bytes: Option<MaxRule<Size>>,
    /// Bytes shipped but hidden by later layers, or a percent of the content bytes (`"2%"`).
    pub max_hidden_bytes: Option<MaxRule<SizeOrPercent>>,
    /// Hidden bytes as a percent of the content bytes.
    pub max_hidden_percent: Option<MaxRule<Percent>>,
    /// Identical content at several visible paths, or a percent of the content bytes.
    pub max_duplicate_bytes: Option<MaxRule<SizeOrPercent>>,
    /// Duplicate bytes as a percent of the content bytes.
    pub max_duplicate_percent: Option<MaxRule<Percent>>,
    /// The findings' bytes (dead weight), or a percent of the content bytes.
    pub max_dead_weight_bytes: Option<MaxRule<SizeOrPercent>>,
    /// Dead weight as a percent of the content bytes.
    pub max_dead_weight_percent: Option<MaxRule<Percent>>,
    /// dive's lowestEfficiency: fails when the efficiency is below it.
    pub min_efficiency: Option<MinRule<Ratio>>,
    /// dive's highestWastedBytes.
    pub max_wasted_bytes: Option<MaxRule<Size>>,
    /// dive's highestUserWastedPercent: wasted bytes over the bytes above layer 0, a ratio
    /// that may exceed 1.
    pub max_user_wasted_percent: Option<MaxRule<OpenRatio>>,
    /// The largest layer's content bytes.
    pub max_layer_bytes: Option<MaxRule<Size>>,
    /// The number of layers.
    pub max_layers: Option<MaxRule<Count>>,
    /// The largest layer blob as stored (what pulling that layer transfers).
    pub max_layer_blob_bytes: Option<MaxRule<Size>>,
    /// Dockerfile patterns the history shows (apt lists kept, recommends, pip's cache,
    /// the context copied before the install, ADD of a URL, installs spread over RUNs).
    pub max_history_patterns: Option<MaxRule<Count>>,
}

/// `[categories]`: a budget per finding category, in bytes.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Categories {
    /// `.git`, `.hg`, `.svn`.
    pub vcs: Option<MaxRule<Size>>,
    /// Data files, by extension and file magic.
    pub dataset: Option<MaxRule<Size>>,
    /// Model weights (a service often needs its model).
    pub model_weights: Option<MaxRule<Size>>,
    /// Jupyter notebooks.
    pub notebook: Option<MaxRule<Size>>,
    /// The app's test suites.
    pub test_suite: Option<MaxRule<Size>>,
    /// Documentation.
    pub docs: Option<MaxRule<Size>>,
    /// pip, apt, apk, npm, cargo, go and conda caches, `__pycache__`.
    pub package_cache: Option<MaxRule<Size>>,
    /// Development dependencies (pytest, black, mypy, `-dev` packages, npm devDependencies).
    pub dev_dependency: Option<MaxRule<Size>>,
    /// Compilers and build tools.
    pub build_toolchain: Option<MaxRule<Size>>,
    /// Temporary files.
    pub temp_file: Option<MaxRule<Size>>,
    /// Logs the build wrote.
    pub log_file: Option<MaxRule<Size>>,
    /// Private keys, `.env` files, tokens.
    pub secret: Option<MaxRule<Size>>,
    /// Running as root, setuid/setgid and world-writable files.
    pub root_user: Option<MaxRule<Size>>,
    /// Identical content at several paths.
    pub duplicate: Option<MaxRule<Size>>,
    /// Bytes hidden by later layers.
    pub hidden: Option<MaxRule<Size>>,
    /// Dockerfile patterns that add weight.
    pub dockerfile_pattern: Option<MaxRule<Size>>,
}

/// `[paths]`: globs no visible file may match (`*` stays in one directory, `**` crosses
/// them, a leading `/` is ignored).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// Globs no visible file may match, e.g. `"**/.git/**"`.
    pub deny: Option<Vec<String>>,
    /// Globs exempt from `deny`.
    pub allow: Option<Vec<String>>,
    /// The rule's level (default error).
    pub level: Option<Level>,
}

/// `[security]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// The image's USER is unset, root or 0: a level, or true (error) / false (off).
    pub root_user: Option<Switch>,
    /// A secret in the image config: `Env` values, labels, build arguments or `ENV`
    /// recorded in the history (not files; the `secret` category counts both).
    pub config_secrets: Option<Switch>,
}

/// `[baseline]`: growth since `--baseline REPORT.json|IMAGE`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Growth of the content bytes, or a percent (`"5%"`).
    pub max_growth_bytes: Option<MaxRule<SizeOrPercent>>,
    /// Growth of the content bytes, in percent.
    pub max_growth_percent: Option<MaxRule<Percent>>,
    /// No error-level finding that the baseline did not have: a level, or true / false.
    pub no_new_error_findings: Option<Switch>,
}

/// `[findings]`: your own rules and paths that are never a finding.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// Globs of paths that are never a finding.
    pub ignore: Option<Vec<String>>,
    /// Your own path rules (`[[findings.rules]]`), tried after the built-in ones.
    pub rules: Option<Vec<FindingRule>>,
}

/// One `[[findings.rules]]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingRule {
    /// A rule id (default: made from the category).
    pub id: Option<String>,
    /// The finding category.
    pub category: Category,
    /// Globs: `*`, `**`, `?`; without a leading `/` a glob matches at any depth.
    pub paths: Vec<String>,
    /// How serious (default warning).
    pub severity: Option<Severity>,
    /// The fix to print.
    pub fix: Option<String>,
    /// Smaller files do not match.
    pub min_bytes: Option<u64>,
}

/// A finding's severity.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A rule's level: `error` fails the check, `warn` reports and passes, `off` skips.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Level {
    Error,
    Warn,
    Off,
}

/// A rule with an upper bound: the bound, `"off"`, or `{ max = ..., level = "warn" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(rename = "Max{V}")]
pub enum MaxRule<V> {
    /// The bound, at level error.
    Bound(V),
    /// `"off"`: listed as skipped.
    Off(Off),
    /// The bound with a level.
    Table {
        /// The bound.
        #[serde(alias = "value")]
        max: V,
        /// The level (default error).
        level: Option<Level>,
    },
    /// `{ level = "off" }`: listed as skipped.
    OffTable {
        /// `"off"`.
        level: Off,
    },
}

/// A rule with a lower bound: the bound, `"off"`, or `{ min = ..., level = "warn" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(rename = "Min{V}")]
pub enum MinRule<V> {
    /// The bound, at level error.
    Bound(V),
    /// `"off"`: listed as skipped.
    Off(Off),
    /// The bound with a level.
    Table {
        /// The bound.
        #[serde(alias = "value")]
        min: V,
        /// The level (default error).
        level: Option<Level>,
    },
    /// `{ level = "off" }`: listed as skipped.
    OffTable {
        /// `"off"`.
        level: Off,
    },
}

/// A switch: a level, or `true` (error) / `false` (off).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Switch {
    /// `true` is error, `false` off.
    On(bool),
    /// A level.
    Level(Level),
}

/// `"off"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum Off {
    #[serde(rename = "off")]
    Off,
}

/// A number of bytes, or a size with a unit: SI (`kB`, `MB`, `GB`, `TB`, `PB`: powers of
/// 1000) or IEC (`KiB`, `MiB`, `GiB`, `TiB`, `PiB`: powers of 1024), case-insensitive.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Size {
    /// Bytes.
    Bytes(u64),
    /// `"450MB"`, `"1.5GiB"`, `"512k"`.
    Text(#[schemars(schema_with = "size_text")] String),
}

/// A size, or a percent of the image's content bytes (`"5%"`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SizeOrPercent {
    /// Bytes.
    Bytes(u64),
    /// `"450MB"` or `"5%"`.
    Text(#[schemars(schema_with = "size_or_percent_text")] String),
}

/// A percent: a number 0-100 or more, or `"5%"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Percent {
    /// A number.
    Number(#[schemars(range(min = 0.0))] f64),
    /// `"5%"`.
    Text(#[schemars(schema_with = "percent_text")] String),
}

/// A ratio between 0 and 1, or a percent `"90%"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Ratio {
    /// A number 0-1.
    Number(#[schemars(range(min = 0.0, max = 1.0))] f64),
    /// `"0.9"` or `"90%"`.
    Text(#[schemars(schema_with = "ratio_text")] String),
}

/// A ratio that may exceed 1 (dive's user wasted ratio), or a percent `"150%"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OpenRatio {
    /// A number, 0 or more.
    Number(#[schemars(range(min = 0.0))] f64),
    /// `"0.9"` or `"90%"`.
    Text(#[schemars(schema_with = "open_ratio_text")] String),
}

/// A non-negative integer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Count {
    /// A number.
    Number(u64),
    /// The number as a string.
    Text(#[schemars(schema_with = "count_text")] String),
}

/// A size's text: digits (with `.` and `_`), then an optional unit.
pub const SIZE_PATTERN: &str = r"^\s*[0-9_.]*[0-9][0-9_.]*\s*([kKmMgGtTpP][iI]?[bB]?|[bB])?\s*$";
/// A percent's text.
pub const PERCENT_PATTERN: &str = r"^\s*[0-9.]*[0-9][0-9.]*\s*%\s*$";

fn size_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": SIZE_PATTERN, "examples": ["450MB", "1.5GiB"] })
}

fn size_or_percent_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "anyOf": [{ "pattern": SIZE_PATTERN }, { "pattern": PERCENT_PATTERN }],
        "examples": ["20MB", "5%"]
    })
}

fn percent_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": PERCENT_PATTERN, "examples": ["5%"] })
}

fn ratio_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "anyOf": [
            { "pattern": r"^\s*(0(\.[0-9]*)?|1(\.0*)?|\.[0-9]+)\s*$" },
            { "pattern": r"^\s*(100(\.0*)?|[0-9]{1,2}(\.[0-9]*)?)\s*%\s*$" }
        ],
        "examples": ["0.95", "90%"]
    })
}

fn open_ratio_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": r"^\s*[0-9.]*[0-9][0-9.]*\s*%?\s*$",
        "examples": ["0.1", "10%"]
    })
}

fn count_text(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": r"^\s*[0-9]+\s*$" })
}
