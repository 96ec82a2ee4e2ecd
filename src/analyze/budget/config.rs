//! The budget configuration of `check`: `deadweight.toml`, dive's `.dive-ci`, flags.
//!
//! Three sources give rules, read in this order, a later one replacing a rule of the same
//! id: the `deadweight.toml` file, a dive `.dive-ci` file, and the command-line flags
//! (which go through the same value parsers, named by their flag). Only the rules a source
//! names exist: a key left out is no rule at all, and `"off"` keeps the rule but skips it,
//! as dive's `disabled` does. With no source at all, [`default_rules`] applies.
//!
//! This module reads only its own sections of `deadweight.toml` (`[budget]`,
//! `[categories]`, `[paths]`, `[baseline]`, `[security]`); other top-level sections belong
//! to other commands and are left alone. Within its sections an unknown key is an error
//! that names the key and the file, so a typo never silently turns a rule off.
//!
//! Sizes take SI and IEC units, case-insensitively as dive's `highestWastedBytes` does
//! (`450MB`, `20Mb`, `1.5GiB`, `512k`, a bare integer is bytes); amounts that may be a
//! share of the image take a percent (`"5%"`), see [`parse_size`] and [`Amount`].

use super::error::{BadGlob, LEVELS, ValueError};
use super::rules::{CATEGORIES, Check, Level, Measure, Origin, RuleSpec, deny_rule};
use super::size::{Amount, parse_amount, parse_percent, parse_size};

/// A bad value in a configuration source: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {problem}")]
pub struct ConfigError {
    /// The file (or `command line`).
    pub file: String,
    /// The key (`[budget] max_blob_bytes`, `--max-layers`, `rules.lowestEfficiency`).
    pub key: String,
    /// What is wrong, in words.
    pub problem: String,
}

/// A scalar value from TOML, YAML or a flag, before it is read as a size, ratio, ...
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Raw {
    pub(super) fn off(&self) -> bool {
        match self {
            Raw::Str(s) => matches!(Level::parse(s), Some(Level::Off)) || s.trim().is_empty(),
            Raw::Bool(b) => !b,
            _ => false,
        }
    }
}

/// How a rule's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A size in bytes.
    Size,
    /// Bytes or a percent (`"5%"`).
    SizeOrPercent,
    /// A percent: a number 0-100, or `"5%"`.
    Percent,
    /// A ratio 0-1, or `"90%"`.
    Ratio,
    /// A ratio that may exceed 1: dive's user wasted ratio is wasted bytes over the
    /// bytes above layer 0, which a layer rewriting more than it adds takes past 1.
    OpenRatio,
    /// A non-negative integer.
    Count,
    /// A level only (`"error"`, `"warn"`, `"off"`, `true`).
    Switch,
}

/// The words of what each kind of value takes, as errors say them.
const A_SIZE: &str = "a size";
const A_SIZE_LIKE: &str = "a size like \"450MB\"";
const A_SIZE_OR_PERCENT: &str = "a size like \"450MB\" or a percent like \"5%\"";
const A_PERCENTAGE: &str = "a percentage like 5 or \"5%\"";
const A_RATIO: &str = "a ratio between 0 and 1";
const AN_OPEN_RATIO: &str = "a ratio of 0 or more";
const A_COUNT: &str = "a non-negative integer";
const A_SWITCH: &str = "\"error\", \"warn\", \"off\" or true/false";

pub(super) fn read_value(kind: Kind, v: &Raw) -> Result<Measure, ValueError> {
    let text = |v: &Raw| match v {
        Raw::Str(s) => s.clone(),
        Raw::Int(i) => i.to_string(),
        Raw::Float(f) => f.to_string(),
        Raw::Bool(b) => b.to_string(),
    };
    match kind {
        Kind::Size => match v {
            Raw::Int(i) => u64::try_from(*i)
                .map(Measure::Bytes)
                .map_err(|_| ValueError::expected(A_SIZE, i)),
            Raw::Str(s) => Ok(Measure::Bytes(parse_size(s)?)),
            other => Err(ValueError::expected(A_SIZE_LIKE, text(other))),
        },
        Kind::SizeOrPercent => match v {
            Raw::Int(i) => u64::try_from(*i)
                .map(Measure::Bytes)
                .map_err(|_| ValueError::expected(A_SIZE, i)),
            Raw::Str(s) => Ok(match parse_amount(s)? {
                Amount::Bytes(b) => Measure::Bytes(b),
                Amount::Percent(p) => Measure::Percent(p),
            }),
            other => Err(ValueError::expected(A_SIZE_OR_PERCENT, text(other))),
        },
        Kind::Percent => match v {
            Raw::Int(i) if *i >= 0 => Ok(Measure::Percent(*i as f64)),
            Raw::Float(f) if f.is_finite() && *f >= 0.0 => Ok(Measure::Percent(*f)),
            Raw::Str(s) => Ok(Measure::Percent(parse_percent(s)?)),
            other => Err(ValueError::expected(A_PERCENTAGE, text(other))),
        },
        Kind::Ratio | Kind::OpenRatio => {
            let x = match v {
                Raw::Int(i) => *i as f64,
                Raw::Float(f) => *f,
                Raw::Str(s) if s.trim().ends_with('%') => parse_percent(s)? / 100.0,
                Raw::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| ValueError::expected(A_RATIO, format!("{s:?}")))?,
                Raw::Bool(b) => return Err(ValueError::expected(A_RATIO, b)),
            };
            if (0.0..=1.0).contains(&x) || (kind == Kind::OpenRatio && x.is_finite() && x > 1.0) {
                Ok(Measure::Ratio(x))
            } else if kind == Kind::OpenRatio {
                Err(ValueError::expected(AN_OPEN_RATIO, text(v)))
            } else {
                Err(ValueError::expected(A_RATIO, text(v)))
            }
        }
        Kind::Count => match v {
            Raw::Int(i) => u64::try_from(*i)
                .map(Measure::Count)
                .map_err(|_| ValueError::expected(A_COUNT, i)),
            Raw::Str(s) => s
                .trim()
                .parse::<u64>()
                .map(Measure::Count)
                .map_err(|_| ValueError::expected(A_COUNT, format!("{s:?}"))),
            other => Err(ValueError::expected(A_COUNT, text(other))),
        },
        Kind::Switch => Ok(Measure::Count(0)),
    }
}

/// The keys of `[budget]`: key, what it checks, how its value reads.
pub(super) fn budget_key(key: &str) -> Option<(Check, Kind, &'static str)> {
    Some(match key {
        "max_blob_bytes" => (Check::BlobBytes, Kind::Size, "budget.max_blob_bytes"),
        // The issue's first spelling of the stored-size budget.
        "max_size" => (Check::BlobBytes, Kind::Size, "budget.max_blob_bytes"),
        "max_content_bytes" => (Check::ContentBytes, Kind::Size, "budget.max_content_bytes"),
        "max_visible_bytes" => (Check::VisibleBytes, Kind::Size, "budget.max_visible_bytes"),
        "max_hidden_bytes" => (
            Check::HiddenBytes,
            Kind::SizeOrPercent,
            "budget.max_hidden_bytes",
        ),
        "max_hidden_percent" => (
            Check::HiddenBytes,
            Kind::Percent,
            "budget.max_hidden_percent",
        ),
        "max_duplicate_bytes" => (
            Check::DuplicateBytes,
            Kind::SizeOrPercent,
            "budget.max_duplicate_bytes",
        ),
        "max_duplicate_percent" => (
            Check::DuplicateBytes,
            Kind::Percent,
            "budget.max_duplicate_percent",
        ),
        "max_dead_weight_bytes" => (
            Check::DeadWeight,
            Kind::SizeOrPercent,
            "budget.max_dead_weight_bytes",
        ),
        "max_dead_weight_percent" => (
            Check::DeadWeight,
            Kind::Percent,
            "budget.max_dead_weight_percent",
        ),
        "min_efficiency" => (Check::DiveEfficiency, Kind::Ratio, "budget.min_efficiency"),
        "max_wasted_bytes" => (
            Check::DiveWastedBytes,
            Kind::Size,
            "budget.max_wasted_bytes",
        ),
        "max_user_wasted_percent" => (
            Check::DiveUserWasted,
            Kind::OpenRatio,
            "budget.max_user_wasted_percent",
        ),
        "max_layer_bytes" => (Check::LayerBytes, Kind::Size, "budget.max_layer_bytes"),
        "max_layers" => (Check::Layers, Kind::Count, "budget.max_layers"),
        "max_layer_blob_bytes" => (
            Check::LayerBlobBytes,
            Kind::Size,
            "budget.max_layer_blob_bytes",
        ),
        "max_history_patterns" => (
            Check::HistoryPatterns,
            Kind::Count,
            "budget.max_history_patterns",
        ),
        _ => return None,
    })
}

/// The keys of `[baseline]`.
pub(super) fn baseline_key(key: &str) -> Option<(Check, Kind, &'static str)> {
    Some(match key {
        "max_growth_bytes" => (
            Check::Growth,
            Kind::SizeOrPercent,
            "baseline.max_growth_bytes",
        ),
        "max_growth_percent" => (Check::Growth, Kind::Percent, "baseline.max_growth_percent"),
        "no_new_error_findings" => (
            Check::NewErrorFindings,
            Kind::Switch,
            "baseline.no_new_error_findings",
        ),
        _ => return None,
    })
}

/// Reads one rule value: a scalar, `"off"`, or a table `{ max = ..., level = "warn" }`
/// (`min` for a minimum). `label` names the key in errors.
pub(super) fn read_rule(
    check: Check,
    kind: Kind,
    id: &str,
    value: RuleValue,
    origin: Origin,
) -> Result<RuleSpec, ValueError> {
    let (raw, level) = match value {
        RuleValue::Scalar(r) => (r, None),
        RuleValue::Table { bound, level } => (bound, level),
    };
    let mut level = match level {
        Some(l) => Level::parse(&l).ok_or_else(|| {
            ValueError::at_key("level", ValueError::expected(LEVELS, format!("{l:?}")))
        })?,
        None => Level::Error,
    };
    let limit = if kind == Kind::Switch {
        match &raw {
            Raw::Bool(true) => Measure::Count(0),
            Raw::Bool(false) => {
                level = Level::Off;
                Measure::Count(0)
            }
            Raw::Str(s) => {
                level = Level::parse(s)
                    .ok_or_else(|| ValueError::expected(A_SWITCH, format!("{s:?}")))?;
                Measure::Count(0)
            }
            other => {
                return Err(ValueError::expected(A_SWITCH, format!("{other:?}")));
            }
        }
    } else if raw.off() {
        level = Level::Off;
        Measure::Count(0)
    } else {
        read_value(kind, &raw)?
    };
    Ok(RuleSpec {
        id: id.to_string(),
        check,
        limit,
        level,
        origin,
    })
}

/// A rule's value as written: a scalar, or a table with a bound and a level.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RuleValue {
    /// A bare value.
    Scalar(Raw),
    /// `{ max = ..., level = "warn" }`.
    Table {
        /// The bound.
        bound: Raw,
        /// The level, when given.
        level: Option<String>,
    },
}

pub(super) fn toml_raw(v: &toml::Value) -> Option<Raw> {
    Some(match v {
        toml::Value::String(s) => Raw::Str(s.clone()),
        toml::Value::Integer(i) => Raw::Int(*i),
        toml::Value::Float(f) => Raw::Float(*f),
        toml::Value::Boolean(b) => Raw::Bool(*b),
        _ => return None,
    })
}

pub(super) fn toml_rule_value(v: &toml::Value, minimum: bool) -> Result<RuleValue, ValueError> {
    if let Some(raw) = toml_raw(v) {
        return Ok(RuleValue::Scalar(raw));
    }
    let toml::Value::Table(t) = v else {
        return Err(ValueError::expected_only(
            "a value or a table { max = ..., level = \"warn\" }",
        ));
    };
    let bound_key = if minimum { "min" } else { "max" };
    let mut bound = None;
    let mut level = None;
    for (k, v) in t {
        if k == bound_key || k == "value" {
            bound = Some(toml_raw(v).ok_or_else(|| {
                ValueError::at_key(k.as_str(), ValueError::expected_only("a scalar value"))
            })?);
        } else if k == "level" {
            match v {
                toml::Value::String(s) => level = Some(s.clone()),
                _ => {
                    return Err(ValueError::at_key(
                        "level",
                        ValueError::expected_only(LEVELS),
                    ));
                }
            }
        } else {
            return Err(ValueError::UnknownTableKey {
                key: k.clone(),
                bound: bound_key,
            });
        }
    }
    let bound = match (bound, &level) {
        (Some(b), _) => b,
        // `{ level = "off" }` alone turns the rule off.
        (None, Some(l)) if Level::parse(l) == Some(Level::Off) => Raw::Str("off".to_string()),
        _ => return Err(ValueError::NoBound { bound: bound_key }),
    };
    Ok(RuleValue::Table { bound, level })
}

/// Replaces the rule of the same id, or appends.
pub fn merge(rules: &mut Vec<RuleSpec>, new: Vec<RuleSpec>) {
    for r in new {
        match rules.iter_mut().find(|x| x.id == r.id) {
            Some(slot) => *slot = r,
            None => rules.push(r),
        }
    }
}

/// Parses the `check` sections of a `deadweight.toml`; `file` names it in errors.
pub fn parse_config(text: &str, file: &str) -> Result<Vec<RuleSpec>, ConfigError> {
    let fail = |key: &str, problem: String| ConfigError {
        file: file.to_string(),
        key: key.to_string(),
        problem,
    };
    super::keys::validate(text, file)?;
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| fail("(syntax)", e.message().to_string()))?;
    let mut rules = Vec::new();
    for (section, value) in &doc {
        let table = match value {
            toml::Value::Table(t) => t,
            _ if is_own_section(section) => {
                return Err(fail(section, "expected a [section]".to_string()));
            }
            _ => {
                return Err(fail(
                    section,
                    "a key outside any section (budget keys go under [budget])".to_string(),
                ));
            }
        };
        match section.as_str() {
            "budget" | "baseline" => {
                for (key, v) in table {
                    let label = format!("[{section}] {key}");
                    let found = if section == "budget" {
                        budget_key(key)
                    } else {
                        baseline_key(key)
                    };
                    let Some((check, kind, id)) = found else {
                        return Err(fail(&label, format!("unknown key in [{section}]")));
                    };
                    let rv = toml_rule_value(v, check.is_minimum())
                        .map_err(|p| fail(&label, p.to_string()))?;
                    let spec = read_rule(check, kind, id, rv, Origin::Config)
                        .map_err(|p| fail(&label, p.to_string()))?;
                    merge(&mut rules, vec![spec]);
                }
            }
            "categories" | "category" => {
                for (key, v) in table {
                    let label = format!("[{section}] {key}");
                    if !CATEGORIES.contains(&key.as_str()) {
                        return Err(fail(
                            &label,
                            format!("unknown category (known: {})", CATEGORIES.join(", ")),
                        ));
                    }
                    let rv = toml_rule_value(v, false).map_err(|p| fail(&label, p.to_string()))?;
                    let spec = read_rule(
                        Check::Category(key.clone()),
                        Kind::Size,
                        &format!("categories.{key}"),
                        rv,
                        Origin::Config,
                    )
                    .map_err(|p| fail(&label, p.to_string()))?;
                    rules.push(spec);
                }
            }
            "paths" => rules.extend(paths_section(table, &fail)?),
            "security" => rules.extend(security_section(table, &fail)?),
            // Another command's section ([findings], ...): not ours to judge.
            _ => {}
        }
    }
    Ok(rules)
}

/// `[paths]`: one deny rule (with its allow list and level), or none when `deny` is empty.
fn paths_section(
    table: &toml::Table,
    fail: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Option<RuleSpec>, ConfigError> {
    let mut deny = Vec::new();
    let mut allow = Vec::new();
    let mut level = Level::Error;
    for (key, v) in table {
        let label = format!("[paths] {key}");
        match key.as_str() {
            "deny" | "allow" => {
                let list = glob_list(v).map_err(|p| fail(&label, p.to_string()))?;
                if key == "deny" {
                    deny = list;
                } else {
                    allow = list;
                }
            }
            "level" => {
                level = match v {
                    toml::Value::String(s) => Level::parse(s),
                    _ => None,
                }
                .ok_or_else(|| {
                    fail(
                        &label,
                        "expected \"error\", \"warn\" or \"off\"".to_string(),
                    )
                })?;
            }
            _ => {
                return Err(fail(
                    &label,
                    "unknown key in [paths] (expected deny, allow, level)".to_string(),
                ));
            }
        }
    }
    if !deny.is_empty() {
        Ok(Some(deny_rule(deny, allow, level, Origin::Config)))
    } else if !allow.is_empty() {
        Err(fail(
            "[paths] allow",
            "allow exempts paths from deny, and there is no deny".to_string(),
        ))
    } else {
        Ok(None)
    }
}

/// `[security]`: the `root_user` and `config_secrets` rules.
fn security_section(
    table: &toml::Table,
    fail: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Vec<RuleSpec>, ConfigError> {
    let mut rules = Vec::new();
    for (key, v) in table {
        let label = format!("[security] {key}");
        let rule: fn(&Raw, Origin) -> Result<RuleSpec, ValueError> = match key.as_str() {
            "root_user" => root_user_rule,
            "config_secrets" => config_secrets_rule,
            _ => {
                return Err(fail(
                    &label,
                    "unknown key in [security] (expected root_user, config_secrets)".to_string(),
                ));
            }
        };
        let raw = toml_raw(v).ok_or_else(|| {
            fail(
                &label,
                "expected \"error\", \"warn\" or \"off\"".to_string(),
            )
        })?;
        rules.push(rule(&raw, Origin::Config).map_err(|p| fail(&label, p.to_string()))?);
    }
    Ok(rules)
}

pub(super) fn is_own_section(s: &str) -> bool {
    matches!(
        s,
        "budget" | "categories" | "category" | "paths" | "baseline" | "security"
    )
}

pub(super) fn glob_list(v: &toml::Value) -> Result<Vec<String>, ValueError> {
    let toml::Value::Array(items) = v else {
        return Err(ValueError::expected_only(
            "a list of globs, like [\"**/.git/**\"]",
        ));
    };
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let in_item = |problem: ValueError| ValueError::Item {
            index,
            problem: Box::new(problem),
        };
        let toml::Value::String(s) = item else {
            return Err(in_item(ValueError::expected_only("a string glob")));
        };
        check_glob(s).map_err(|e| in_item(e.into()))?;
        out.push(s.clone());
    }
    Ok(out)
}

/// Compiles a path glob as `check` does: `*` stays within one path component, `**`
/// crosses them, a leading `/` is ignored (paths are relative to the image root).
pub fn compile_glob(s: &str) -> Result<globset::GlobMatcher, BadGlob> {
    let pattern = s.trim().trim_start_matches('/');
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| BadGlob {
            glob: s.to_string(),
            kind: e.kind().clone(),
        })
}

pub(super) fn check_glob(s: &str) -> Result<(), BadGlob> {
    compile_glob(s).map(|_| ())
}

pub(super) fn root_user_rule(raw: &Raw, origin: Origin) -> Result<RuleSpec, ValueError> {
    switch_rule("security.root_user", Check::RootUser, raw, origin)
}

pub(super) fn config_secrets_rule(raw: &Raw, origin: Origin) -> Result<RuleSpec, ValueError> {
    switch_rule("security.config_secrets", Check::ConfigSecrets, raw, origin)
}

/// A rule that is only a level: it fails on any count above 0.
fn switch_rule(id: &str, check: Check, raw: &Raw, origin: Origin) -> Result<RuleSpec, ValueError> {
    let level = match raw {
        Raw::Bool(true) => Level::Error,
        Raw::Bool(false) => Level::Off,
        Raw::Str(s) => {
            Level::parse(s).ok_or_else(|| ValueError::expected(LEVELS, format!("{s:?}")))?
        }
        other => return Err(ValueError::expected(LEVELS, format!("{other:?}"))),
    };
    Ok(RuleSpec {
        id: id.to_string(),
        check,
        limit: Measure::Count(0),
        level,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_example_of_the_issue() {
        let text = r#"
[budget]
max_blob_bytes = "300MB"
max_content_bytes = "1GB"
max_hidden_bytes = "10MB"
max_duplicate_bytes = "20MB"
max_dead_weight_percent = 5
min_efficiency = 0.95
max_layer_bytes = "500MB"
max_layers = 30

[categories]
vcs = 0
secret = 0
package_cache = "10MB"
dev_dependency = { max = 0, level = "warn" }

[paths]
deny = ["**/.git/**", "**/*.pem"]
allow = ["usr/share/ca-certificates/**"]

[baseline]
max_growth_bytes = "20MB"
max_growth_percent = 5

[findings]
ignore = ["/srv/app/fixtures/**"]
"#;
        let rules = parse_config(text, "deadweight.toml").unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "budget.max_blob_bytes",
                "budget.max_content_bytes",
                "budget.max_hidden_bytes",
                "budget.max_duplicate_bytes",
                "budget.max_dead_weight_percent",
                "budget.min_efficiency",
                "budget.max_layer_bytes",
                "budget.max_layers",
                "categories.vcs",
                "categories.secret",
                "categories.package_cache",
                "categories.dev_dependency",
                "paths.deny",
                "baseline.max_growth_bytes",
                "baseline.max_growth_percent",
            ]
        );
        let get = |id: &str| rules.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            get("budget.max_blob_bytes").limit,
            Measure::Bytes(300_000_000)
        );
        assert_eq!(
            get("budget.max_dead_weight_percent").limit,
            Measure::Percent(5.0)
        );
        assert_eq!(get("budget.min_efficiency").limit, Measure::Ratio(0.95));
        assert_eq!(get("budget.max_layers").limit, Measure::Count(30));
        assert_eq!(get("categories.dev_dependency").level, Level::Warn);
        assert_eq!(
            get("categories.package_cache").limit,
            Measure::Bytes(10_000_000)
        );
        assert_eq!(
            get("baseline.max_growth_percent").limit,
            Measure::Percent(5.0)
        );
    }

    #[test]
    fn off_keeps_the_rule_as_skipped() {
        let rules = parse_config(
            "[budget]\nmax_layers = \"off\"\nmin_efficiency = { min = 0.9, level = \"disabled\" }\n",
            "f.toml",
        )
        .unwrap();
        assert!(rules.iter().all(|r| r.level == Level::Off));
        assert_eq!(rules.len(), 2);
    }

    #[test]
    fn bad_values_name_the_key_and_file() {
        let cases = [
            (
                "[budget]\nmax_blob_bytes = \"lots\"\n",
                "[budget] max_blob_bytes",
            ),
            ("[budget]\nmax_blobs = 1\n", "[budget] max_blobs"),
            (
                "[budget]\nmin_efficiency = 1.5\n",
                "[budget] min_efficiency",
            ),
            ("[budget]\nmax_layers = -1\n", "[budget] max_layers"),
            (
                "[budget]\nmax_hidden_bytes = \"x%\"\n",
                "[budget] max_hidden_bytes",
            ),
            (
                "[budget]\nmax_layer_bytes = { max = 1, level = \"loud\" }\n",
                "[budget] max_layer_bytes",
            ),
            (
                "[budget]\nmax_layer_bytes = { most = 1 }\n",
                "[budget.max_layer_bytes] most",
            ),
            ("[categories]\nvsc = 0\n", "[categories] vsc"),
            ("[paths]\ndeny = \"**/.git\"\n", "[paths] deny"),
            ("[paths]\ndeny = [\"a[\"]\n", "[paths] deny"),
            ("[paths]\nallow = [\"a/**\"]\n", "[paths] allow"),
            (
                "[baseline]\nmax_growth_percent = \"much\"\n",
                "[baseline] max_growth_percent",
            ),
            (
                "[security]\nroot_user = \"maybe\"\n",
                "[security] root_user",
            ),
            (
                "[security]\nconfig_secrets = \"maybe\"\n",
                "[security] config_secrets",
            ),
            (
                "[budget]\nmax_history_patterns = \"many\"\n",
                "[budget] max_history_patterns",
            ),
            ("max_layers = 3\n", "max_layers"),
            ("[budget\n", "(syntax)"),
        ];
        for (text, key) in cases {
            let e = parse_config(text, "my.toml").unwrap_err();
            assert_eq!(e.key, key, "{text}");
            // The file, with the line where it is known.
            assert!(e.file == "my.toml" || e.file.starts_with("my.toml:"), "{e}");
            assert!(
                e.to_string().starts_with(&format!("{}: {key}: ", e.file)),
                "{e}"
            );
        }
    }
}
