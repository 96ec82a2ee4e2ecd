//! The check document: a verdict on an image's budgets, as every `check` renderer (table,
//! JSON, JUnit, SARIF, Markdown, GitHub annotations) reads it.
//!
//! Numbers stay raw in the document (`threshold`, `value` with their `unit`); messages
//! show sizes through the byte format the command was given.
//!
//! Schema policy as for `inspect`: [`CHECK_SCHEMA_VERSION`] changes only when a field is
//! renamed, removed or changes meaning.

use super::inspect::{FindingInfo, Tool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The current schema version of the `check` document.
pub const CHECK_SCHEMA_VERSION: u32 = 1;

/// `check --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CheckReport {
    /// See [`CHECK_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The image checked.
    pub image: CheckedImage,
    /// The baseline, when one was given.
    pub baseline: Option<String>,
    /// True when no error-level rule failed (exit 0).
    pub passed: bool,
    /// True when no config and no flag named a rule, so the default set applied.
    pub defaults: bool,
    /// Where the rules came from (`deadweight.toml`, `--dive-ci FILE`, `flags`, `defaults`).
    pub sources: Vec<String>,
    /// How many rules passed, warned, failed, were skipped.
    pub counts: Counts,
    /// One entry per rule, in the order given.
    pub rules: Vec<RuleResult>,
    /// The image's findings (for SARIF and readers that want them).
    pub findings: Vec<FindingInfo>,
    /// Notes about the configuration (ignored dive plugins, the default set).
    pub notes: Vec<String>,
    /// `manifest` when the image is in a registry and every rule evaluated needs only its
    /// manifest and config (stored sizes, layer count, the user): no layer blob was
    /// downloaded, and `findings` holds only what those show. Absent when the image was
    /// read whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_from: Option<String>,
}

/// The image a check ran on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct CheckedImage {
    /// The path given (`-` for standard input).
    pub path: String,
    /// The first tag or name.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The config digest.
    pub id: String,
}

/// Rule counts by status.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, JsonSchema)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Breached at level warn.
    pub warn: usize,
    /// Breached at level error.
    pub fail: usize,
    /// Not evaluated.
    pub skip: usize,
}

/// One rule's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RuleResult {
    /// The rule id (its config key: `budget.max_blob_bytes`, `categories.vcs`, ...).
    pub id: String,
    /// `error`, `warn` or `off`.
    pub level: String,
    /// The threshold (a maximum; a minimum for `budget.min_efficiency`); null when off.
    pub threshold: Option<f64>,
    /// The measured value; null when skipped.
    pub value: Option<f64>,
    /// `bytes`, `percent` (0-100), `ratio` (0-1) or `count`.
    pub unit: String,
    /// `pass`, `warn`, `fail` or `skip`.
    pub status: String,
    /// One line: what was measured against what, or why it was skipped.
    pub message: String,
    /// What the rule checks, in words.
    pub description: String,
    /// `config`, `dive-ci`, `flag` or `default`.
    pub origin: String,
    /// The top contributors of a breach, largest first.
    pub contributors: Vec<ContributorInfo>,
    /// How to fix a breach.
    pub fix: Option<String>,
}

/// A contributor to a breach.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct ContributorInfo {
    /// The path in the image.
    pub path: Option<String>,
    /// The layer.
    pub layer: Option<usize>,
    /// Its bytes.
    pub bytes: u64,
    /// A few words (an instruction, a finding's message).
    pub note: Option<String>,
}

impl CheckReport {
    /// The image's name for headings: its ref, else its path.
    pub fn image_name(&self) -> &str {
        self.image
            .reference
            .as_deref()
            .unwrap_or(self.image.path.as_str())
    }

    /// `PASS` or `FAIL`, and the counts, in one line.
    pub fn headline(&self) -> String {
        let c = &self.counts;
        format!(
            "{}: {} {}: {} passed, {} failed, {} warned, {} skipped",
            if self.passed { "PASS" } else { "FAIL" },
            self.rules.len(),
            if self.rules.len() == 1 {
                "rule"
            } else {
                "rules"
            },
            c.pass,
            c.fail,
            c.warn,
            c.skip
        )
    }
}
