//! The `check` report as SARIF 2.1.0, for code-scanning dashboards. Serde types of our
//! own, only the parts of the schema we fill (the schema is in
//! `testdata/sarif/sarif-schema-2.1.0.json` and a test validates our output against it).
//!
//! One run; `tool.driver.rules` holds every budget rule checked and every finding rule
//! seen, each with its description, help (the fix) and default level. Results are the
//! breached budget rules (`error` for fail, `warning` for warn) and the image's findings
//! (severity `error`/`warning`/`info` as `error`/`warning`/`note`). Each result is located
//! at one artifact (a physical location, see [`artifact_uri`]: `--sarif-base`, the image
//! file, or the image's ref for standard input) and, where known, at the layer and the
//! path inside the image (logical locations).

use super::ByteFormat;
use super::check::contributor_line;
use crate::model::check::{CheckReport, RuleResult};
use crate::model::inspect::FindingInfo;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The schema URI written into `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Debug, Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: ToolSection,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct ToolSection {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: String,
    version: String,
    semantic_version: String,
    rules: Vec<Descriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    exit_code: i32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<Logical>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
}

#[derive(Debug, Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

/// Percent-encodes what a URI reference may not hold as is (RFC 3986 unreserved
/// characters and `/` are kept).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(image: &str, layer: Option<usize>, path: Option<&str>) -> Location {
    let mut logical = Vec::new();
    if let Some(l) = layer {
        logical.push(Logical {
            name: format!("layer {l}"),
            fully_qualified_name: format!("layer {l}"),
            kind: "layer",
        });
    }
    if let Some(p) = path {
        logical.push(Logical {
            name: p.to_string(),
            fully_qualified_name: match layer {
                Some(l) => format!("layer {l}:{p}"),
                None => p.to_string(),
            },
            kind: "path",
        });
    }
    Location {
        physical_location: Physical {
            artifact_location: Artifact {
                uri: image.to_string(),
            },
        },
        logical_locations: logical,
    }
}

/// The artifact every result is located at, as a URI reference code scanning accepts:
/// `base` when given (`--sarif-base Dockerfile`: a path in the repository), else the
/// image file as given (a `file://` URI when absolute), else for standard input the
/// image's ref (or its config digest), never `-`.
pub fn artifact_uri(r: &CheckReport, base: Option<&str>) -> String {
    if let Some(b) = base.filter(|b| !b.trim().is_empty()) {
        return uri_reference(b.trim());
    }
    let path = r.image.path.as_str();
    if path == "-" || path.is_empty() {
        return uri_reference(r.image.reference.as_deref().unwrap_or(r.image.id.as_str()));
    }
    if path.starts_with('/') {
        return format!("file://{}", uri_reference(path));
    }
    uri_reference(path.strip_prefix("./").unwrap_or(path))
}

/// Renders the check report as a SARIF 2.1.0 log, located at [`artifact_uri`] with no
/// `--sarif-base`.
pub fn render(r: &CheckReport, bytes: ByteFormat, out: &mut dyn Write) -> io::Result<()> {
    render_at(r, bytes, None, out)
}

/// Renders the check report as a SARIF 2.1.0 log, every result located at
/// [`artifact_uri`]`(r, base)`.
pub fn render_at(
    r: &CheckReport,
    bytes: ByteFormat,
    base: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let artifact = artifact_uri(r, base);
    let image = artifact.as_str();
    let mut rules: Vec<Descriptor> = Vec::new();
    let mut results = Vec::new();
    for rule in &r.rules {
        let index = rules.len();
        rules.push(rule_descriptor(rule));
        results.extend(rule_result(rule, index, image, bytes));
    }
    for f in &r.findings {
        let index = match rules.iter().position(|d| d.id == f.rule) {
            Some(i) => i,
            None => {
                rules.push(finding_descriptor(f));
                rules.len() - 1
            }
        };
        results.push(finding_result(f, index, image, bytes));
    }
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: ToolSection {
                driver: Driver {
                    name: r.tool.name.clone(),
                    version: r.tool.version.clone(),
                    semantic_version: r.tool.version.clone(),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                exit_code: if r.passed { 0 } else { 1 },
            }],
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

/// A `check` rule as a SARIF reporting descriptor.
fn rule_descriptor(rule: &RuleResult) -> Descriptor {
    let mut props = BTreeMap::new();
    props.insert("origin".to_string(), rule.origin.clone().into());
    props.insert("unit".to_string(), rule.unit.clone().into());
    if let Some(t) = rule.threshold {
        props.insert("threshold".to_string(), t.into());
    }
    Descriptor {
        id: rule.id.clone(),
        name: rule.id.replace(['.', '_'], " "),
        short_description: Text {
            text: rule.description.clone(),
        },
        help: Text {
            text: crate::report::check::fix_text(&rule.id, rule.fix.as_deref()),
        },
        default_configuration: Configuration {
            level: match rule.level.as_str() {
                "error" => "error",
                "warn" => "warning",
                _ => "none",
            },
        },
        properties: props,
    }
}

/// A failed or warned `check` rule as a SARIF result (none for a pass or a skip),
/// located at its contributors.
fn rule_result(
    rule: &RuleResult,
    index: usize,
    image: &str,
    bytes: ByteFormat,
) -> Option<SarifResult> {
    let level = match rule.status.as_str() {
        "fail" => "error",
        "warn" => "warning",
        _ => return None,
    };
    let mut text = format!("{}: {}", rule.id, rule.message);
    for c in &rule.contributors {
        text.push_str(&format!("\n- {}", contributor_line(c, bytes)));
    }
    if let Some(fix) = &rule.fix {
        text.push_str(&format!("\nfix: {fix}"));
    }
    let mut locations: Vec<Location> = rule
        .contributors
        .iter()
        .map(|c| location(image, c.layer, c.path.as_deref()))
        .collect();
    if locations.is_empty() {
        locations.push(location(image, None, None));
    }
    let mut props = BTreeMap::new();
    props.insert("status".to_string(), rule.status.clone().into());
    if let Some(v) = rule.value {
        props.insert("value".to_string(), v.into());
    }
    Some(SarifResult {
        rule_id: rule.id.clone(),
        rule_index: index,
        level,
        message: Text { text },
        locations,
        properties: props,
    })
}

/// A finding's rule as a SARIF reporting descriptor (when no `check` rule has its id).
fn finding_descriptor(f: &FindingInfo) -> Descriptor {
    let mut props = BTreeMap::new();
    props.insert("category".to_string(), f.category.clone().into());
    Descriptor {
        id: f.rule.clone(),
        name: f.rule.replace(['.', '_', '-'], " "),
        short_description: Text {
            text: format!("finding of category {}", f.category),
        },
        help: Text {
            text: f.fix.clone(),
        },
        default_configuration: Configuration {
            level: sarif_level(&f.severity),
        },
        properties: props,
    }
}

/// A finding as a SARIF result, located at its paths in its layer.
fn finding_result(f: &FindingInfo, index: usize, image: &str, bytes: ByteFormat) -> SarifResult {
    let mut text = if f.message.is_empty() {
        format!("{} ({})", f.rule, bytes.format(f.bytes))
    } else {
        f.message.clone()
    };
    if !f.fix.is_empty() {
        text.push_str(&format!("\nfix: {}", f.fix));
    }
    let mut locations: Vec<Location> = f
        .paths
        .iter()
        .map(|p| location(image, f.layer, Some(p)))
        .collect();
    if locations.is_empty() {
        locations.push(location(image, f.layer, None));
    }
    let mut props = BTreeMap::new();
    props.insert("category".to_string(), f.category.clone().into());
    props.insert("bytes".to_string(), f.bytes.into());
    props.insert("saving_bytes".to_string(), f.saving_bytes.into());
    SarifResult {
        rule_id: f.rule.clone(),
        rule_index: index,
        level: sarif_level(&f.severity),
        message: Text { text },
        locations,
        properties: props,
    }
}

fn sarif_level(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" | "warn" => "warning",
        _ => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri_reference("a b/c.tar"), "a%20b/c.tar");
        assert_eq!(uri_reference("-"), "-");
        assert_eq!(uri_reference("x#%"), "x%23%25");
    }
}
