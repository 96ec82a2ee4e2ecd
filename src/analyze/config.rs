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

use std::collections::BTreeMap;

/// The level of a rule: what a breach does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A breach fails the gate (exit 1).
    Error,
    /// A breach is reported and the gate still passes.
    Warn,
    /// The rule is listed but not evaluated (SKIP), like dive's `disabled`.
    Off,
}

impl Level {
    /// `error`, `warn` or `off`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Off => "off",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "fail" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "off" | "disabled" | "false" | "none" => Some(Level::Off),
            _ => None,
        }
    }
}

/// A figure a rule measures or limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// Bytes.
    Bytes(u64),
    /// A signed difference in bytes (growth against a baseline).
    Delta(i64),
    /// A percentage, 0-100 (of the image's content bytes, or of the baseline's).
    Percent(f64),
    /// A ratio, 0-1 (dive's efficiency and user wasted percent).
    Ratio(f64),
    /// A count (layers, files, findings).
    Count(u64),
}

impl Measure {
    /// The unit's name in reports: `bytes`, `percent`, `ratio`, `count`.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Bytes(_) | Measure::Delta(_) => "bytes",
            Measure::Percent(_) => "percent",
            Measure::Ratio(_) => "ratio",
            Measure::Count(_) => "count",
        }
    }

    /// The figure as a float, for comparisons.
    pub fn as_f64(self) -> f64 {
        match self {
            Measure::Bytes(n) | Measure::Count(n) => n as f64,
            Measure::Delta(n) => n as f64,
            Measure::Percent(x) | Measure::Ratio(x) => x,
        }
    }
}

/// Bytes, or a percentage of a whole (`"5%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// An absolute number of bytes.
    Bytes(u64),
    /// A percentage, 0-100.
    Percent(f64),
}

/// What a rule measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Sum of the layer blobs as stored.
    BlobBytes,
    /// Sum of the layers' file bytes.
    ContentBytes,
    /// What the final filesystem shows.
    VisibleBytes,
    /// Shipped but not visible.
    HiddenBytes,
    /// Identical visible content stored more than once.
    DuplicateBytes,
    /// The findings' dead weight (`summary.dead_weight_bytes`).
    DeadWeight,
    /// dive's `lowestEfficiency`.
    DiveEfficiency,
    /// dive's `highestWastedBytes`.
    DiveWastedBytes,
    /// dive's `highestUserWastedPercent`.
    DiveUserWasted,
    /// The largest layer's content bytes.
    LayerBytes,
    /// The number of layers.
    Layers,
    /// The findings of one category.
    Category(String),
    /// Visible files matching `deny` and not `allow`.
    DenyPaths {
        /// Globs that must match no visible file.
        deny: Vec<String>,
        /// Globs that exempt paths from `deny`.
        allow: Vec<String>,
    },
    /// Content bytes grown since the baseline.
    Growth,
    /// Error-severity findings not in the baseline.
    NewErrorFindings,
    /// The image's configured user is root.
    RootUser,
}

impl Check {
    /// True when the rule is a floor (the value must not fall below the threshold).
    pub fn is_minimum(&self) -> bool {
        matches!(self, Check::DiveEfficiency)
    }
}

/// Where a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `deadweight.toml`.
    Config,
    /// A dive `.dive-ci` file.
    DiveCi,
    /// A command-line flag.
    Flag,
    /// The default set (no config, no flags).
    Default,
}

impl Origin {
    /// `config`, `dive-ci`, `flag`, `default`.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Config => "config",
            Origin::DiveCi => "dive-ci",
            Origin::Flag => "flag",
            Origin::Default => "default",
        }
    }
}

/// One rule: what it measures, its threshold, its level.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// A stable id: the config key (`budget.max_blob_bytes`, `categories.vcs`, ...).
    pub id: String,
    /// What it measures.
    pub check: Check,
    /// The threshold (a maximum, or a minimum for [`Check::is_minimum`]).
    pub limit: Measure,
    /// What a breach does.
    pub level: Level,
    /// Where it came from.
    pub origin: Origin,
}

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

/// The finding categories a `[categories]` budget may name (those of `inspect`).
pub const CATEGORIES: &[&str] = &[
    "vcs",
    "dataset",
    "model_weights",
    "notebook",
    "test_suite",
    "docs",
    "package_cache",
    "dev_dependency",
    "build_toolchain",
    "temp_file",
    "log_file",
    "secret",
    "root_user",
    "duplicate",
    "hidden",
    "dockerfile_pattern",
];

/// Version-control directories, denied by the default rule set.
pub const VCS_GLOBS: &[&str] = &["**/.git/**", "**/.svn/**", "**/.hg/**"];

/// Parses a size: an integer or decimal number, then an optional unit, SI (`k`, `kB`,
/// `MB`, `G`, ...: powers of 1000) or IEC (`KiB`, `Mi`, `GiB`, ...: powers of 1024),
/// case-insensitive as in dive (so `20Mb` is 20,000,000 bytes). A bare number is bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num = num.replace('_', "");
    if num.is_empty() {
        return Err(format!(
            "expected a size like \"450MB\" or \"1.5GiB\", got {s:?}"
        ));
    }
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1000u64.pow(2),
        "g" | "gb" => 1000u64.pow(3),
        "t" | "tb" => 1000u64.pow(4),
        "p" | "pb" => 1000u64.pow(5),
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        "pi" | "pib" => 1 << 50,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB)"
            ));
        }
    };
    if let Ok(n) = num.parse::<u64>() {
        return n
            .checked_mul(mult)
            .ok_or_else(|| format!("{s:?} is too large"));
    }
    match num.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => {
            let bytes = (x * mult as f64).round();
            if bytes >= u64::MAX as f64 {
                Err(format!("{s:?} is too large"))
            } else {
                Ok(bytes as u64)
            }
        }
        _ => Err(format!(
            "expected a size like \"450MB\" or \"1.5GiB\", got {s:?}"
        )),
    }
}

/// Parses a percentage written `"5%"` (or `"5"`): a non-negative number.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim();
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("expected a percentage like \"5%\", got {s:?}")),
    }
}

/// Parses bytes or a percentage: `"450MB"`, `1000`, `"5%"`.
pub fn parse_amount(s: &str) -> Result<Amount, String> {
    if s.trim().ends_with('%') {
        parse_percent(s).map(Amount::Percent)
    } else {
        parse_size(s).map(Amount::Bytes)
    }
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
    fn off(&self) -> bool {
        match self {
            Raw::Str(s) => matches!(Level::parse(s), Some(Level::Off)) || s.trim().is_empty(),
            Raw::Bool(b) => !b,
            _ => false,
        }
    }
}

/// How a rule's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A size in bytes.
    Size,
    /// Bytes or a percent (`"5%"`).
    SizeOrPercent,
    /// A percent: a number 0-100, or `"5%"`.
    Percent,
    /// A ratio 0-1, or `"90%"`.
    Ratio,
    /// A non-negative integer.
    Count,
    /// A level only (`"error"`, `"warn"`, `"off"`, `true`).
    Switch,
}

fn read_value(kind: Kind, v: &Raw) -> Result<Measure, String> {
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
                .map_err(|_| format!("expected a size, got {i}")),
            Raw::Str(s) => parse_size(s).map(Measure::Bytes),
            other => Err(format!(
                "expected a size like \"450MB\", got {}",
                text(other)
            )),
        },
        Kind::SizeOrPercent => match v {
            Raw::Int(i) => u64::try_from(*i)
                .map(Measure::Bytes)
                .map_err(|_| format!("expected a size, got {i}")),
            Raw::Str(s) => parse_amount(s).map(|a| match a {
                Amount::Bytes(b) => Measure::Bytes(b),
                Amount::Percent(p) => Measure::Percent(p),
            }),
            other => Err(format!(
                "expected a size like \"450MB\" or a percent like \"5%\", got {}",
                text(other)
            )),
        },
        Kind::Percent => match v {
            Raw::Int(i) if *i >= 0 => Ok(Measure::Percent(*i as f64)),
            Raw::Float(f) if f.is_finite() && *f >= 0.0 => Ok(Measure::Percent(*f)),
            Raw::Str(s) => parse_percent(s).map(Measure::Percent),
            other => Err(format!(
                "expected a percentage like 5 or \"5%\", got {}",
                text(other)
            )),
        },
        Kind::Ratio => {
            let x = match v {
                Raw::Int(i) => *i as f64,
                Raw::Float(f) => *f,
                Raw::Str(s) if s.trim().ends_with('%') => parse_percent(s)? / 100.0,
                Raw::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("expected a ratio between 0 and 1, got {s:?}"))?,
                Raw::Bool(b) => return Err(format!("expected a ratio between 0 and 1, got {b}")),
            };
            if (0.0..=1.0).contains(&x) {
                Ok(Measure::Ratio(x))
            } else {
                Err(format!("expected a ratio between 0 and 1, got {}", text(v)))
            }
        }
        Kind::Count => match v {
            Raw::Int(i) => u64::try_from(*i)
                .map(Measure::Count)
                .map_err(|_| format!("expected a non-negative integer, got {i}")),
            Raw::Str(s) => s
                .trim()
                .parse::<u64>()
                .map(Measure::Count)
                .map_err(|_| format!("expected a non-negative integer, got {s:?}")),
            other => Err(format!(
                "expected a non-negative integer, got {}",
                text(other)
            )),
        },
        Kind::Switch => Ok(Measure::Count(0)),
    }
}

/// The keys of `[budget]`: key, what it checks, how its value reads.
fn budget_key(key: &str) -> Option<(Check, Kind, &'static str)> {
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
            Kind::Ratio,
            "budget.max_user_wasted_percent",
        ),
        "max_layer_bytes" => (Check::LayerBytes, Kind::Size, "budget.max_layer_bytes"),
        "max_layers" => (Check::Layers, Kind::Count, "budget.max_layers"),
        _ => return None,
    })
}

/// The keys of `[baseline]`.
fn baseline_key(key: &str) -> Option<(Check, Kind, &'static str)> {
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
fn read_rule(
    check: Check,
    kind: Kind,
    id: &str,
    value: RuleValue,
    origin: Origin,
) -> Result<RuleSpec, String> {
    let (raw, level) = match value {
        RuleValue::Scalar(r) => (r, None),
        RuleValue::Table { bound, level } => (bound, level),
    };
    let mut level = match level {
        Some(l) => Level::parse(&l)
            .ok_or_else(|| format!("level: expected \"error\", \"warn\" or \"off\", got {l:?}"))?,
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
                level = Level::parse(s).ok_or_else(|| {
                    format!("expected \"error\", \"warn\", \"off\" or true/false, got {s:?}")
                })?;
                Measure::Count(0)
            }
            other => {
                return Err(format!(
                    "expected \"error\", \"warn\", \"off\" or true/false, got {other:?}"
                ));
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
enum RuleValue {
    Scalar(Raw),
    Table { bound: Raw, level: Option<String> },
}

fn toml_raw(v: &toml::Value) -> Option<Raw> {
    Some(match v {
        toml::Value::String(s) => Raw::Str(s.clone()),
        toml::Value::Integer(i) => Raw::Int(*i),
        toml::Value::Float(f) => Raw::Float(*f),
        toml::Value::Boolean(b) => Raw::Bool(*b),
        _ => return None,
    })
}

fn toml_rule_value(v: &toml::Value, minimum: bool) -> Result<RuleValue, String> {
    if let Some(raw) = toml_raw(v) {
        return Ok(RuleValue::Scalar(raw));
    }
    let toml::Value::Table(t) = v else {
        return Err("expected a value or a table { max = ..., level = \"warn\" }".to_string());
    };
    let bound_key = if minimum { "min" } else { "max" };
    let mut bound = None;
    let mut level = None;
    for (k, v) in t {
        if k == bound_key || k == "value" {
            bound = Some(toml_raw(v).ok_or_else(|| format!("{k}: expected a scalar value"))?);
        } else if k == "level" {
            match v {
                toml::Value::String(s) => level = Some(s.clone()),
                _ => return Err("level: expected \"error\", \"warn\" or \"off\"".to_string()),
            }
        } else {
            return Err(format!(
                "unknown key {k:?} in the table (expected {bound_key} and level)"
            ));
        }
    }
    let bound = match (bound, &level) {
        (Some(b), _) => b,
        // `{ level = "off" }` alone turns the rule off.
        (None, Some(l)) if Level::parse(l) == Some(Level::Off) => Raw::Str("off".to_string()),
        _ => return Err(format!("the table needs a {bound_key} = ... key")),
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
                    let rv = toml_rule_value(v, check.is_minimum()).map_err(|p| fail(&label, p))?;
                    let spec = read_rule(check, kind, id, rv, Origin::Config)
                        .map_err(|p| fail(&label, p))?;
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
                    let rv = toml_rule_value(v, false).map_err(|p| fail(&label, p))?;
                    let spec = read_rule(
                        Check::Category(key.clone()),
                        Kind::Size,
                        &format!("categories.{key}"),
                        rv,
                        Origin::Config,
                    )
                    .map_err(|p| fail(&label, p))?;
                    rules.push(spec);
                }
            }
            "paths" => {
                let mut deny = Vec::new();
                let mut allow = Vec::new();
                let mut level = Level::Error;
                for (key, v) in table {
                    let label = format!("[paths] {key}");
                    match key.as_str() {
                        "deny" | "allow" => {
                            let list = glob_list(v).map_err(|p| fail(&label, p))?;
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
                    rules.push(deny_rule(deny, allow, level, Origin::Config));
                } else if !allow.is_empty() {
                    return Err(fail(
                        "[paths] allow",
                        "allow exempts paths from deny, and there is no deny".to_string(),
                    ));
                }
            }
            "security" => {
                for (key, v) in table {
                    let label = format!("[security] {key}");
                    if key != "root_user" {
                        return Err(fail(
                            &label,
                            "unknown key in [security] (expected root_user)".to_string(),
                        ));
                    }
                    let raw = toml_raw(v).ok_or_else(|| {
                        fail(
                            &label,
                            "expected \"error\", \"warn\" or \"off\"".to_string(),
                        )
                    })?;
                    rules.push(root_user_rule(&raw, Origin::Config).map_err(|p| fail(&label, p))?);
                }
            }
            // Another command's section ([findings], ...): not ours to judge.
            _ => {}
        }
    }
    Ok(rules)
}

fn is_own_section(s: &str) -> bool {
    matches!(
        s,
        "budget" | "categories" | "category" | "paths" | "baseline" | "security"
    )
}

fn glob_list(v: &toml::Value) -> Result<Vec<String>, String> {
    let toml::Value::Array(items) = v else {
        return Err("expected a list of globs, like [\"**/.git/**\"]".to_string());
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let toml::Value::String(s) = item else {
            return Err(format!("item {i}: expected a string glob"));
        };
        check_glob(s).map_err(|e| format!("item {i}: {e}"))?;
        out.push(s.clone());
    }
    Ok(out)
}

/// Compiles a path glob as `check` does: `*` stays within one path component, `**`
/// crosses them, a leading `/` is ignored (paths are relative to the image root).
pub fn compile_glob(s: &str) -> Result<globset::GlobMatcher, String> {
    let pattern = s.trim().trim_start_matches('/');
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob {s:?}: {}", e.kind()))
}

fn check_glob(s: &str) -> Result<(), String> {
    compile_glob(s).map(|_| ())
}

fn deny_rule(deny: Vec<String>, allow: Vec<String>, level: Level, origin: Origin) -> RuleSpec {
    RuleSpec {
        id: "paths.deny".to_string(),
        check: Check::DenyPaths { deny, allow },
        limit: Measure::Count(0),
        level,
        origin,
    }
}

fn root_user_rule(raw: &Raw, origin: Origin) -> Result<RuleSpec, String> {
    let level = match raw {
        Raw::Bool(true) => Level::Error,
        Raw::Bool(false) => Level::Off,
        Raw::Str(s) => Level::parse(s)
            .ok_or_else(|| format!("expected \"error\", \"warn\" or \"off\", got {s:?}"))?,
        other => {
            return Err(format!(
                "expected \"error\", \"warn\" or \"off\", got {other:?}"
            ));
        }
    };
    Ok(RuleSpec {
        id: "security.root_user".to_string(),
        check: Check::RootUser,
        limit: Measure::Count(0),
        level,
        origin,
    })
}

/// Parses a dive `.dive-ci` file as dive does: the keys under `rules:` that are present
/// (`lowestEfficiency`, `highestWastedBytes`, `highestUserWastedPercent`), each a number or
/// a string, `disabled`/`off`/`false`/empty turning it off. Unlike dive, a key left out is
/// no rule: dive's defaults fill missing keys in, which its users report as a bug
/// (dive#606). Plugin rules (`name/rule`) are ignored, with a note. Returns the rules
/// and the notes.
pub fn parse_dive_ci(text: &str, file: &str) -> Result<(Vec<RuleSpec>, Vec<String>), ConfigError> {
    let fail = |key: &str, problem: String| ConfigError {
        file: file.to_string(),
        key: key.to_string(),
        problem,
    };
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| fail("(syntax)", e.to_string()))?;
    let mut rules = Vec::new();
    let mut notes = Vec::new();
    let Some(map) = doc.get("rules").and_then(|r| r.as_mapping()) else {
        notes.push(format!("{file}: no `rules:` mapping, so no dive rule"));
        return Ok((rules, notes));
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            return Err(fail("rules", "a key that is not a string".to_string()));
        };
        let label = format!("rules.{key}");
        let raw = match v {
            serde_yaml_ng::Value::String(s) => Raw::Str(s.clone()),
            serde_yaml_ng::Value::Number(n) => match n.as_i64() {
                Some(i) => Raw::Int(i),
                None => Raw::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_yaml_ng::Value::Bool(b) => Raw::Bool(*b),
            serde_yaml_ng::Value::Null => Raw::Str(String::new()),
            _ => return Err(fail(&label, "expected a number or a string".to_string())),
        };
        let (check, kind, id) = match key {
            "lowestEfficiency" => (Check::DiveEfficiency, Kind::Ratio, "budget.min_efficiency"),
            "highestWastedBytes" => (Check::DiveWastedBytes, Kind::Size, "budget.max_wasted_bytes"),
            "highestUserWastedPercent" => (
                Check::DiveUserWasted,
                Kind::Ratio,
                "budget.max_user_wasted_percent",
            ),
            other if other.contains('/') => {
                notes.push(format!("{file}: plugin rule {other} ignored (deadweight runs no dive plugins)"));
                continue;
            }
            _ => return Err(fail(&label, "unknown dive rule (expected lowestEfficiency, highestWastedBytes, highestUserWastedPercent)".to_string())),
        };
        // dive reads `highestWastedBytes: 1000` as bytes: a YAML integer is bytes here too.
        let spec = read_rule(check, kind, id, RuleValue::Scalar(raw), Origin::DiveCi)
            .map_err(|p| fail(&label, p))?;
        rules.push(spec);
    }
    Ok((rules, notes))
}

/// Rule values given as flags, by flag name (`--max-layers` and its value as typed).
#[derive(Debug, Clone, Default)]
pub struct FlagRules {
    /// `(flag, value)` pairs for the scalar budgets, e.g. `("max-blob-bytes", "300MB")`.
    pub values: Vec<(String, String)>,
    /// `--category NAME=MAX`.
    pub categories: Vec<String>,
    /// `--deny GLOB`.
    pub deny: Vec<String>,
    /// `--allow GLOB`.
    pub allow: Vec<String>,
    /// `--root-user LEVEL`.
    pub root_user: Option<String>,
}

impl FlagRules {
    /// True when no flag names a rule.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
            && self.categories.is_empty()
            && self.deny.is_empty()
            && self.allow.is_empty()
            && self.root_user.is_none()
    }
}

/// Reads the rule flags through the config's value parsers. A flag overrides the
/// threshold of the configured rule of the same id and keeps its level.
pub fn apply_flags(rules: &mut Vec<RuleSpec>, flags: &FlagRules) -> Result<(), ConfigError> {
    let fail = |key: &str, problem: String| ConfigError {
        file: "command line".to_string(),
        key: key.to_string(),
        problem,
    };
    let keep_level = |rules: &[RuleSpec], mut spec: RuleSpec| {
        if let Some(old) = rules.iter().find(|r| r.id == spec.id)
            && spec.level == Level::Error
        {
            spec.level = old.level;
        }
        spec
    };
    for (flag, value) in &flags.values {
        let label = format!("--{flag}");
        let key = flag.replace('-', "_");
        let found = budget_key(&key).or_else(|| baseline_key(&key));
        let Some((check, kind, id)) = found else {
            return Err(fail(&label, "not a rule flag".to_string()));
        };
        let spec = read_rule(
            check,
            kind,
            id,
            RuleValue::Scalar(Raw::Str(value.clone())),
            Origin::Flag,
        )
        .map_err(|p| fail(&label, p))?;
        let spec = keep_level(rules.as_slice(), spec);
        merge(rules, vec![spec]);
    }
    for c in &flags.categories {
        let label = "--category";
        let (name, max) = c
            .split_once('=')
            .ok_or_else(|| fail(label, format!("expected NAME=MAX, got {c:?}")))?;
        let name = name.trim();
        if !CATEGORIES.contains(&name) {
            return Err(fail(
                label,
                format!(
                    "unknown category {name:?} (known: {})",
                    CATEGORIES.join(", ")
                ),
            ));
        }
        let spec = read_rule(
            Check::Category(name.to_string()),
            Kind::Size,
            &format!("categories.{name}"),
            RuleValue::Scalar(Raw::Str(max.to_string())),
            Origin::Flag,
        )
        .map_err(|p| fail(label, p))?;
        let spec = keep_level(rules.as_slice(), spec);
        merge(rules, vec![spec]);
    }
    for g in flags.deny.iter().chain(&flags.allow) {
        check_glob(g).map_err(|p| fail("--deny/--allow", p))?;
    }
    if !flags.deny.is_empty() || !flags.allow.is_empty() {
        let (mut deny, mut allow, level) = match rules.iter().find(|r| r.id == "paths.deny") {
            Some(RuleSpec {
                check: Check::DenyPaths { deny, allow },
                level,
                ..
            }) => (deny.clone(), allow.clone(), *level),
            _ => (Vec::new(), Vec::new(), Level::Error),
        };
        deny.extend(flags.deny.iter().cloned());
        allow.extend(flags.allow.iter().cloned());
        if deny.is_empty() {
            return Err(fail(
                "--allow",
                "allow exempts paths from deny, and there is no deny".to_string(),
            ));
        }
        merge(rules, vec![deny_rule(deny, allow, level, Origin::Flag)]);
    }
    if let Some(level) = &flags.root_user {
        let spec = root_user_rule(&Raw::Str(level.clone()), Origin::Flag)
            .map_err(|p| fail("--root-user", p))?;
        merge(rules, vec![spec]);
    }
    Ok(())
}

/// The rules applied when no config file and no rule flag names any: no secrets, no
/// version-control directory, and dive's two default rules (dive 0.13.1:
/// `lowestEfficiency` 0.9, `highestUserWastedPercent` 0.1; `highestWastedBytes` is
/// disabled by default in dive, so it is not here).
pub fn default_rules() -> Vec<RuleSpec> {
    vec![
        RuleSpec {
            id: "categories.secret".to_string(),
            check: Check::Category("secret".to_string()),
            limit: Measure::Bytes(0),
            level: Level::Error,
            origin: Origin::Default,
        },
        deny_rule(
            VCS_GLOBS.iter().map(|s| s.to_string()).collect(),
            Vec::new(),
            Level::Error,
            Origin::Default,
        ),
        RuleSpec {
            id: "budget.min_efficiency".to_string(),
            check: Check::DiveEfficiency,
            limit: Measure::Ratio(0.9),
            level: Level::Error,
            origin: Origin::Default,
        },
        RuleSpec {
            id: "budget.max_user_wasted_percent".to_string(),
            check: Check::DiveUserWasted,
            limit: Measure::Ratio(0.1),
            level: Level::Error,
            origin: Origin::Default,
        },
    ]
}

/// Category budgets of a config, by name (for `init` and reports).
pub fn category_limits(rules: &[RuleSpec]) -> BTreeMap<String, Measure> {
    rules
        .iter()
        .filter_map(|r| match &r.check {
            Check::Category(c) => Some((c.clone(), r.limit)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_si_and_iec() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("1234", 1234),
            ("450MB", 450_000_000),
            ("450 MB", 450_000_000),
            ("450mb", 450_000_000),
            ("20Mb", 20_000_000),
            ("1kB", 1000),
            ("1k", 1000),
            ("1KiB", 1024),
            ("1.5GiB", 1_610_612_736),
            ("1.5GB", 1_500_000_000),
            ("2Gi", 2_147_483_648),
            ("10MiB", 10_485_760),
            ("1TB", 1_000_000_000_000),
            ("1_000", 1000),
            ("0.5KiB", 512),
            ("12B", 12),
        ];
        for (s, want) in cases {
            assert_eq!(parse_size(s), Ok(*want), "{s}");
        }
        for bad in ["", "MB", "12XB", "-5MB", "1.2.3GB", "abc"] {
            assert!(parse_size(bad).is_err(), "{bad} should not parse");
        }
        assert!(parse_size("99999999999PB").is_err());
    }

    #[test]
    fn percents_and_amounts() {
        assert_eq!(parse_amount("5%"), Ok(Amount::Percent(5.0)));
        assert_eq!(parse_amount(" 2.5 % "), Ok(Amount::Percent(2.5)));
        assert_eq!(parse_amount("10MB"), Ok(Amount::Bytes(10_000_000)));
        assert!(parse_amount("-1%").is_err());
        assert_eq!(
            read_value(Kind::Ratio, &Raw::Str("90%".into())),
            Ok(Measure::Ratio(0.9))
        );
        assert!(read_value(Kind::Ratio, &Raw::Float(1.5)).is_err());
        assert_eq!(
            read_value(Kind::Percent, &Raw::Int(5)),
            Ok(Measure::Percent(5.0))
        );
    }

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
anything = "belongs to inspect"
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
                "[budget] max_layer_bytes",
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
            ("max_layers = 3\n", "max_layers"),
            ("[budget\n", "(syntax)"),
        ];
        for (text, key) in cases {
            let e = parse_config(text, "my.toml").unwrap_err();
            assert_eq!(e.key, key, "{text}");
            assert_eq!(e.file, "my.toml");
            assert!(
                e.to_string().starts_with(&format!("my.toml: {key}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn dive_ci_as_dive_reads_it() {
        let text = "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20Mb\n  highestUserWastedPercent: disabled\n  plugin1/rule1: error\n";
        let (rules, notes) = parse_dive_ci(text, ".dive-ci").unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].limit, Measure::Ratio(0.95));
        assert_eq!(rules[1].limit, Measure::Bytes(20_000_000));
        assert_eq!(rules[2].level, Level::Off);
        assert_eq!(notes.len(), 1);
        let e = parse_dive_ci("rules:\n  lowestEfficiency: 2\n", "x.yaml").unwrap_err();
        assert_eq!(e.key, "rules.lowestEfficiency");
    }

    #[test]
    fn flags_override_and_keep_the_level() {
        let mut rules = parse_config(
            "[budget]\nmax_layers = { max = 3, level = \"warn\" }\n",
            "f.toml",
        )
        .unwrap();
        let flags = FlagRules {
            values: vec![("max-layers".into(), "5".into())],
            ..FlagRules::default()
        };
        apply_flags(&mut rules, &flags).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].limit, Measure::Count(5));
        assert_eq!(rules[0].level, Level::Warn);
        let bad = FlagRules {
            values: vec![("max-blob-bytes".into(), "12 parsecs".into())],
            ..FlagRules::default()
        };
        let e = apply_flags(&mut rules, &bad).unwrap_err();
        assert_eq!(e.to_string().split(':').nth(1), Some(" --max-blob-bytes"));
    }
}
