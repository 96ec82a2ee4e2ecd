//! Budgets: rules in, a verdict out. The rules come from [`config`] (`deadweight.toml`),
//! [`dive_ci`] (dive's `.dive-ci`) and [`flags`], with values read by [`size`]; they are
//! described in [`rules`].
//!
//! Each [`RuleSpec`] is measured on an image's
//! [`InspectReport`] (and a baseline's, for growth) and gets a [`Status`]; the gate
//! passes when no error-level rule failed.
//!
//! The measured figures are read from the versioned report rather than from an
//! `Analysis`, because that is the one type that holds everything a rule looks at (the
//! totals, dive's figures, the findings and their summary) and the only form a baseline
//! can be given in besides an image. Comparisons keep dive's semantics: a maximum fails
//! when the value is strictly above it, a minimum when strictly below it; a value equal
//! to the threshold passes.
//!
//! Invariants: every rule given yields exactly one [`Outcome`], in the order given;
//! `passed` is false exactly when some outcome is [`Status::Fail`]; nothing here formats
//! a size (the reports do).

pub mod config;
pub mod dive_ci;
pub mod error;
pub mod flags;
pub mod keys;
pub mod rules;
pub mod size;

pub use config::{ConfigError, Raw, compile_glob, merge, parse_config};
pub use dive_ci::parse_dive_ci;
pub use error::{BadGlob, Unmeasured, ValueError};
pub use flags::{FlagRules, apply_flags};
pub use rules::{
    CATEGORIES, Check, Level, Measure, Origin, RuleSpec, VCS_GLOBS, answered_by_manifest,
    category_limits, default_rules,
};
pub use size::{Amount, SizeError, parse_amount, parse_percent, parse_size};

use crate::model::inspect::{FileInfo, FindingInfo, InspectReport, LayerInfo};

/// What a rule concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Within the threshold.
    Pass,
    /// Breached, at level warn.
    Warn,
    /// Breached, at level error: the gate fails.
    Fail,
    /// Not evaluated: turned off, or the figure is not available.
    Skip,
}

impl Status {
    /// `pass`, `warn`, `fail`, `skip`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// Something that contributes to a breach: a path, a layer, a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    /// The path in the image, where it is one.
    pub path: Option<String>,
    /// The layer, where one is known.
    pub layer: Option<usize>,
    /// Bytes it contributes.
    pub bytes: u64,
    /// A few words (a layer's instruction, a finding's message).
    pub note: Option<String>,
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The rule.
    pub rule: RuleSpec,
    /// The measured value; `None` when the rule was skipped for want of it.
    pub value: Option<Measure>,
    /// The conclusion.
    pub status: Status,
    /// Why a rule was skipped, or what else counted in a breach (a finding count).
    pub reason: Option<String>,
    /// The top contributors, largest first (for breaches).
    pub contributors: Vec<Contributor>,
}

/// The verdict of a set of rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// One outcome per rule, in order.
    pub outcomes: Vec<Outcome>,
    /// True when no error-level rule failed.
    pub passed: bool,
}

impl Verdict {
    /// How many outcomes have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }
}

/// How many contributors an outcome lists.
pub const TOP: usize = 5;

/// Evaluates `rules` on `report`, with `baseline` for growth rules.
pub fn evaluate(
    rules: &[RuleSpec],
    report: &InspectReport,
    baseline: Option<&InspectReport>,
) -> Verdict {
    let outcomes: Vec<Outcome> = rules
        .iter()
        .map(|r| evaluate_one(r, report, baseline))
        .collect();
    let passed = !outcomes.iter().any(|o| o.status == Status::Fail);
    Verdict { outcomes, passed }
}

/// True when a configured user runs as root: unset, `root`, uid 0, with or without a group.
pub fn is_root_user(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("").trim();
    name.is_empty() || name == "root" || name == "0"
}

fn percent_of(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The measured value of `rule` (in the unit of its limit), or why there is none.
fn measure(
    rule: &RuleSpec,
    r: &InspectReport,
    baseline: Option<&InspectReport>,
) -> Result<(Measure, Option<String>), Unmeasured> {
    let t = &r.totals;
    let share = |bytes: u64| -> Result<Measure, Unmeasured> {
        match rule.limit {
            Measure::Percent(_) => percent_of(bytes, t.content_bytes)
                .map(Measure::Percent)
                .ok_or(Unmeasured::NoContentBytes),
            _ => Ok(Measure::Bytes(bytes)),
        }
    };
    Ok(match &rule.check {
        Check::BlobBytes => (Measure::Bytes(t.blob_bytes), None),
        Check::ContentBytes => (Measure::Bytes(t.content_bytes), None),
        Check::VisibleBytes => (Measure::Bytes(t.visible_bytes), None),
        Check::HiddenBytes => (share(t.hidden_bytes)?, None),
        Check::DuplicateBytes => (share(t.duplicate_bytes)?, None),
        Check::DeadWeight => (share(r.summary.dead_weight_bytes)?, None),
        Check::DiveEfficiency => (Measure::Ratio(r.dive.efficiency), None),
        Check::DiveWastedBytes => (Measure::Bytes(r.dive.wasted_bytes), None),
        Check::DiveUserWasted => match r.dive.user_wasted_percent {
            Some(x) => (Measure::Ratio(x), None),
            // No bytes above layer 0: dive divides by zero in floating point and
            // compares, so 0/0 (NaN) passes and x/0 (+Inf) fails. Keep its verdicts.
            None if r.dive.wasted_bytes == 0 => (
                Measure::Ratio(0.0),
                Some("0 wasted of 0 bytes above layer 0, which dive passes".to_string()),
            ),
            None => (
                Measure::Ratio(f64::INFINITY),
                Some("wasted bytes but no bytes above layer 0".to_string()),
            ),
        },
        Check::LayerBytes => (
            Measure::Bytes(r.layers.iter().map(|l| l.content_bytes).max().unwrap_or(0)),
            None,
        ),
        Check::Layers => (Measure::Count(r.layers.len() as u64), None),
        Check::Category(c) => {
            let of_cat: Vec<&FindingInfo> = r
                .findings
                .iter()
                .filter(|f| &f.category == c && counted(f))
                .collect();
            let bytes = r
                .summary
                .by_category
                .get(c)
                .copied()
                .unwrap_or_else(|| of_cat.iter().map(|f| f.bytes).sum());
            let note = match of_cat.len() {
                0 => None,
                1 => Some("1 finding".to_string()),
                n => Some(format!("{n} findings")),
            };
            (Measure::Bytes(bytes), note)
        }
        Check::DenyPaths { .. } => {
            let n = denied(rule, r)?.len() as u64;
            (Measure::Count(n), None)
        }
        Check::Growth => {
            let b = baseline.ok_or(Unmeasured::NoBaseline)?;
            let delta = i128::from(t.content_bytes) - i128::from(b.totals.content_bytes);
            let delta = i64::try_from(delta).unwrap_or(i64::MAX);
            match rule.limit {
                Measure::Percent(_) => {
                    if b.totals.content_bytes == 0 {
                        return Err(Unmeasured::EmptyBaseline);
                    }
                    (
                        Measure::Percent(delta as f64 * 100.0 / b.totals.content_bytes as f64),
                        None,
                    )
                }
                _ => (Measure::Delta(delta), None),
            }
        }
        Check::NewErrorFindings => {
            let b = baseline.ok_or(Unmeasured::NoBaseline)?;
            (Measure::Count(new_error_findings(r, b).len() as u64), None)
        }
        Check::RootUser => (Measure::Count(u64::from(is_root_user(&r.image.user))), None),
        Check::LayerBlobBytes => (
            Measure::Bytes(r.layers.iter().map(|l| l.blob_bytes).max().unwrap_or(0)),
            None,
        ),
        Check::ConfigSecrets => (Measure::Count(config_secrets(r).count() as u64), None),
        Check::HistoryPatterns => (Measure::Count(history_patterns(r).count() as u64), None),
    })
}

/// The secret findings the image config alone shows: `Env`, labels, the history.
fn config_secrets(r: &InspectReport) -> impl Iterator<Item = &FindingInfo> {
    r.findings
        .iter()
        .filter(|f| CONFIG_SECRETS.contains(&f.rule.as_str()))
}

/// Rules of the findings the image config's secrets are.
const CONFIG_SECRETS: &[&str] = &["secret.config-env", "secret.label", "secret.history"];

/// The `dockerfile_pattern` findings the history alone shows: all but the one that reads
/// the installed packages.
fn history_patterns(r: &InspectReport) -> impl Iterator<Item = &FindingInfo> {
    r.findings.iter().filter(|f| {
        f.category == "dockerfile_pattern"
            && f.rule != "dockerfile_pattern.single-stage-build-tools"
    })
}

fn breached(rule: &RuleSpec, value: Measure, note: Option<&String>) -> bool {
    let limit = rule.limit.as_f64();
    let v = value.as_f64();
    if rule.check.is_minimum() {
        return v < limit;
    }
    // A category budget of zero means none at all: a finding of 0 bytes still breaches.
    if let Check::Category(_) = rule.check
        && limit == 0.0
        && note.is_some()
    {
        return true;
    }
    v > limit
}

/// False for findings no category budget counts: an `info` secret is a key or credential
/// file an installed package lists as its own (tornado's `test.key`), public, not a leak.
fn counted(f: &FindingInfo) -> bool {
    !(f.category == "secret" && f.severity == "info")
}

fn evaluate_one(rule: &RuleSpec, r: &InspectReport, baseline: Option<&InspectReport>) -> Outcome {
    if rule.level == Level::Off {
        return Outcome {
            rule: rule.clone(),
            value: None,
            status: Status::Skip,
            reason: Some(match rule.origin {
                Origin::DiveCi => "rule disabled in the .dive-ci file".to_string(),
                Origin::Flag => "rule turned off by a flag".to_string(),
                _ => "rule turned off in the config".to_string(),
            }),
            contributors: Vec::new(),
        };
    }
    let (value, note) = match measure(rule, r, baseline) {
        Ok(v) => v,
        Err(reason) => {
            return Outcome {
                rule: rule.clone(),
                value: None,
                status: Status::Skip,
                reason: Some(reason.to_string()),
                contributors: Vec::new(),
            };
        }
    };
    let status = if breached(rule, value, note.as_ref()) {
        match rule.level {
            Level::Warn => Status::Warn,
            _ => Status::Fail,
        }
    } else {
        Status::Pass
    };
    let contributors = if status == Status::Pass {
        Vec::new()
    } else {
        contributors(rule, r, baseline)
    };
    Outcome {
        rule: rule.clone(),
        value: Some(value),
        status,
        reason: note,
        contributors,
    }
}

/// The visible files a deny rule catches (requires `files` in the report).
fn denied<'a>(rule: &RuleSpec, r: &'a InspectReport) -> Result<Vec<&'a FileInfo>, Unmeasured> {
    let Check::DenyPaths { deny, allow } = &rule.check else {
        return Ok(Vec::new());
    };
    let files = r.files.as_ref().ok_or(Unmeasured::NoFileList)?;
    let compile = |globs: &Vec<String>| -> Result<Vec<globset::GlobMatcher>, BadGlob> {
        globs.iter().map(|g| compile_glob(g)).collect()
    };
    let deny = compile(deny)?;
    let allow = compile(allow)?;
    let mut hits: Vec<&FileInfo> = files
        .iter()
        .filter(|f| {
            let p = f.path.trim_start_matches('/');
            deny.iter().any(|g| g.is_match(p)) && !allow.iter().any(|g| g.is_match(p))
        })
        .collect();
    hits.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    Ok(hits)
}

fn new_error_findings<'a>(r: &'a InspectReport, b: &InspectReport) -> Vec<&'a FindingInfo> {
    let key = |f: &FindingInfo| (f.rule.clone(), f.paths.first().cloned());
    let before: std::collections::HashSet<_> = b
        .findings
        .iter()
        .filter(|f| f.severity == "error")
        .map(key)
        .collect();
    r.findings
        .iter()
        .filter(|f| f.severity == "error" && !before.contains(&key(f)))
        .collect()
}

fn layer_contributors(r: &InspectReport, by: impl Fn(&LayerInfo) -> u64) -> Vec<Contributor> {
    let mut layers: Vec<&LayerInfo> = r.layers.iter().collect();
    layers.sort_by(|a, b| by(b).cmp(&by(a)).then(a.index.cmp(&b.index)));
    layers
        .into_iter()
        .filter(|l| by(l) > 0)
        .take(TOP)
        .map(|l| Contributor {
            path: None,
            layer: Some(l.index),
            bytes: by(l),
            note: l.created_by.clone(),
        })
        .collect()
}

/// The layers whose figure (`by`) is over the rule's limit, largest first.
fn layers_over(
    rule: &RuleSpec,
    r: &InspectReport,
    by: impl Fn(&LayerInfo) -> u64,
) -> Vec<Contributor> {
    let max = rule.limit.as_f64();
    layer_contributors(r, by)
        .into_iter()
        .filter(|c| c.bytes as f64 > max)
        .collect()
}

fn finding_contributor(f: &FindingInfo) -> Contributor {
    Contributor {
        path: f.paths.first().cloned(),
        layer: f.layer,
        bytes: f.bytes,
        note: Some(if f.message.is_empty() {
            f.rule.clone()
        } else {
            f.message.clone()
        }),
    }
}

fn contributors(
    rule: &RuleSpec,
    r: &InspectReport,
    baseline: Option<&InspectReport>,
) -> Vec<Contributor> {
    let file = |path: &str, layer: usize, bytes: u64, note: Option<String>| Contributor {
        path: Some(path.to_string()),
        layer: Some(layer),
        bytes,
        note,
    };
    match &rule.check {
        Check::BlobBytes => layer_contributors(r, |l| l.blob_bytes),
        Check::ContentBytes => layer_contributors(r, |l| l.content_bytes),
        Check::VisibleBytes => r
            .top_files
            .iter()
            .take(TOP)
            .map(|f| file(&f.path, f.layer, f.bytes, None))
            .collect(),
        Check::LayerBytes => layers_over(rule, r, |l| l.content_bytes),
        Check::Layers => Vec::new(),
        Check::HiddenBytes => r
            .hidden_paths
            .iter()
            .take(TOP)
            .map(|h| {
                file(
                    &h.path,
                    h.written_by_layer,
                    h.bytes,
                    Some(format!("{}, by layer {}", h.cause, h.hidden_by_layer)),
                )
            })
            .collect(),
        Check::DuplicateBytes => r
            .duplicates
            .iter()
            .take(TOP)
            .map(|d| Contributor {
                path: Some(d.paths.join(", ")),
                layer: d.layers.last().copied(),
                bytes: d.wasted_bytes,
                note: Some(format!("{} copies", d.paths.len())),
            })
            .collect(),
        Check::DeadWeight => {
            let mut fs: Vec<&FindingInfo> = r.findings.iter().collect();
            fs.sort_by_key(|f| std::cmp::Reverse(f.bytes));
            fs.into_iter().take(TOP).map(finding_contributor).collect()
        }
        Check::DiveEfficiency | Check::DiveWastedBytes | Check::DiveUserWasted => {
            let mut ps: Vec<_> = r.dive.inefficient_paths.iter().collect();
            ps.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
            ps.into_iter()
                .filter(|p| p.bytes > 0)
                .take(TOP)
                .map(|p| Contributor {
                    path: Some(p.path.clone()),
                    layer: None,
                    bytes: p.bytes,
                    note: Some(format!("in {} layers", p.count)),
                })
                .collect()
        }
        Check::Category(c) => {
            let mut fs: Vec<&FindingInfo> = r
                .findings
                .iter()
                .filter(|f| &f.category == c && counted(f))
                .collect();
            fs.sort_by_key(|f| std::cmp::Reverse(f.bytes));
            fs.into_iter().take(TOP).map(finding_contributor).collect()
        }
        Check::DenyPaths { .. } => denied(rule, r)
            .unwrap_or_default()
            .into_iter()
            .take(TOP)
            .map(|f| file(&f.path, f.layer, f.bytes, None))
            .collect(),
        Check::Growth => growth_contributors(r, baseline),
        Check::NewErrorFindings => match baseline {
            Some(b) => new_error_findings(r, b)
                .into_iter()
                .take(TOP)
                .map(finding_contributor)
                .collect(),
            None => Vec::new(),
        },
        Check::RootUser => Vec::new(),
        Check::LayerBlobBytes => layers_over(rule, r, |l| l.blob_bytes),
        Check::ConfigSecrets => config_secrets(r)
            .take(TOP)
            .map(finding_contributor)
            .collect(),
        Check::HistoryPatterns => history_patterns(r)
            .take(TOP)
            .map(finding_contributor)
            .collect(),
    }
}

/// The files that grew most since the baseline, when both reports list files; else the
/// layers that are new.
fn growth_contributors(r: &InspectReport, baseline: Option<&InspectReport>) -> Vec<Contributor> {
    let Some(b) = baseline else {
        return Vec::new();
    };
    if let (Some(now), Some(before)) = (&r.files, &b.files) {
        let old: std::collections::HashMap<&str, u64> =
            before.iter().map(|f| (f.path.as_str(), f.bytes)).collect();
        let mut grown: Vec<Contributor> = now
            .iter()
            .filter_map(|f| {
                let was = old.get(f.path.as_str()).copied();
                let d = f.bytes.saturating_sub(was.unwrap_or(0));
                (d > 0).then(|| Contributor {
                    path: Some(f.path.clone()),
                    layer: Some(f.layer),
                    bytes: d,
                    note: Some(if was.is_some() { "grew" } else { "new" }.to_string()),
                })
            })
            .collect();
        grown.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        grown.truncate(TOP);
        return grown;
    }
    let known: std::collections::HashSet<&str> =
        b.layers.iter().map(|l| l.diff_id.as_str()).collect();
    r.layers
        .iter()
        .filter(|l| !known.contains(l.diff_id.as_str()) && l.content_bytes > 0)
        .take(TOP)
        .map(|l| Contributor {
            path: None,
            layer: Some(l.index),
            bytes: l.content_bytes,
            note: l.created_by.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users() {
        for u in ["", "root", "0", "0:0", "root:root", " 0 "] {
            assert!(is_root_user(u), "{u:?}");
        }
        for u in ["app", "1000", "1000:0", "nobody"] {
            assert!(!is_root_user(u), "{u:?}");
        }
    }
}
