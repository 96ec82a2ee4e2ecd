//! The `check` verdict turned into the versioned [`CheckReport`] every `check` renderer
//! reads, and the helpers those renderers share.
//!
//! Messages and fixes are written here, once, so every format says the same thing;
//! they show sizes through the [`ByteFormat`] given.

use super::bytes::ByteFormat;
use crate::analyze::budget::{Check, Level, Measure};
use crate::analyze::budget::{Outcome, Status, Verdict};
use crate::model::check::{
    CHECK_SCHEMA_VERSION, CheckReport, CheckedImage, ContributorInfo, Counts, RuleResult,
};
use crate::model::inspect::InspectReport;

/// What a check measures, in words.
pub fn description(check: &Check) -> String {
    match check {
        Check::BlobBytes => "stored size: the layer blobs as a pull transfers them".to_string(),
        Check::ContentBytes => "content: the sum of the layers' file bytes".to_string(),
        Check::VisibleBytes => "visible: what the final filesystem shows".to_string(),
        Check::HiddenBytes => {
            "hidden: bytes shipped in a layer but not visible in the final filesystem".to_string()
        }
        Check::DuplicateBytes => {
            "duplicates: identical visible content stored more than once".to_string()
        }
        Check::DeadWeight => "dead weight: the findings' bytes, each counted once".to_string(),
        Check::DiveEfficiency => "dive's efficiency (lowestEfficiency)".to_string(),
        Check::DiveWastedBytes => "dive's wasted bytes (highestWastedBytes)".to_string(),
        Check::DiveUserWasted => {
            "dive's wasted bytes / bytes above layer 0 (highestUserWastedPercent)".to_string()
        }
        Check::LayerBytes => "the largest layer's content bytes".to_string(),
        Check::Layers => "number of layers".to_string(),
        Check::Category(c) => format!("findings of category {c}: their bytes"),
        Check::DenyPaths { deny, allow } => {
            let mut s = format!("no visible file matches {}", deny.join(", "));
            if !allow.is_empty() {
                s.push_str(&format!(" (allowed: {})", allow.join(", ")));
            }
            s
        }
        Check::Growth => "growth of content bytes since the baseline".to_string(),
        Check::NewErrorFindings => "no error finding that the baseline did not have".to_string(),
        Check::RootUser => "the image does not run as root".to_string(),
        Check::LayerBlobBytes => "the largest layer blob as stored (its pull size)".to_string(),
        Check::ConfigSecrets => {
            "no secret in the image config: Env, labels, build arguments in the history".to_string()
        }
        Check::HistoryPatterns => {
            "Dockerfile patterns the history shows (apt lists kept, pip cache, ...)".to_string()
        }
    }
}

/// How to fix a breach of `check`.
pub fn fix(check: &Check) -> String {
    match check {
        Check::BlobBytes
        | Check::ContentBytes
        | Check::VisibleBytes
        | Check::LayerBytes
        | Check::LayerBlobBytes => {
            "Start from the largest layers and files above: a smaller base image, a multi-stage \
             build that copies only what runs, and a .dockerignore for the build context."
                .to_string()
        }
        Check::HiddenBytes
        | Check::DiveEfficiency
        | Check::DiveWastedBytes
        | Check::DiveUserWasted => {
            "Files written in one layer and deleted or rewritten in a later one still ship: \
             create and remove them in the same RUN (`... && rm -rf ...`), avoid chmod/chown \
             in a later RUN (use COPY --chmod/--chown), or build in a separate stage."
                .to_string()
        }
        Check::DuplicateBytes => {
            "Keep one copy: symlink or reference the first, or COPY --from a stage instead of \
             copying twice."
                .to_string()
        }
        Check::Category(c) if c == "secret" => {
            "Treat every secret listed above as leaked: rotate it (revoke the key, token or \
             password and issue a new one), then keep it out of the image: .dockerignore the \
             file, pass build secrets with `RUN --mount=type=secret`, and set runtime secrets \
             from the environment or a secret store, not `ENV`. Deleting it in a later layer \
             does not remove it."
                .to_string()
        }
        Check::Category(c) if c == "vcs" => {
            "Keep the version-control directory out of the image: add `.git` (and `.svn`, \
             `.hg`) to .dockerignore; its history may hold secrets, so rotate any that were \
             ever committed."
                .to_string()
        }
        Check::DeadWeight | Check::Category(_) => {
            "Apply each finding's fix (see `deadweight inspect`): usually a .dockerignore entry, \
             a cache cleaned in the same RUN, or a multi-stage build."
                .to_string()
        }
        Check::Layers => {
            "Merge consecutive RUN steps, or copy the result of a build stage in one COPY."
                .to_string()
        }
        Check::DenyPaths { .. } => {
            "Keep these paths out of the image: add them to .dockerignore, or delete them in \
             the RUN that creates them; list exceptions under [paths] allow."
                .to_string()
        }
        Check::Growth => {
            "The image grew past the budget: the files above are new or larger than in the \
             baseline."
                .to_string()
        }
        Check::NewErrorFindings => {
            "Fix the new findings above (see `deadweight inspect` for each fix).".to_string()
        }
        Check::ConfigSecrets => {
            "Treat every secret listed above as leaked and rotate it. The config and history \
             ship with every pull: set runtime secrets from the environment or a secret store \
             (`docker run -e`), not `ENV` or `LABEL`, and pass build secrets with \
             `RUN --mount=type=secret`, not `ARG`."
                .to_string()
        }
        Check::HistoryPatterns => {
            "Apply each pattern's fix above in the Dockerfile: clean package lists and caches \
             in the same RUN that makes them, `--no-install-recommends`, `pip install \
             --no-cache-dir`, and COPY the dependency manifest before the rest of the context."
                .to_string()
        }
        Check::RootUser => {
            "Add a non-root user and switch to it: `RUN useradd -r -u 10001 app` then \
             `USER 10001`."
                .to_string()
        }
    }
}

fn number(m: Measure) -> f64 {
    m.as_f64()
}

/// Shows a figure in its unit.
pub fn show(m: Measure, b: ByteFormat) -> String {
    match m {
        Measure::Bytes(n) => b.format(n),
        Measure::Delta(n) => b.format_signed(i128::from(n)),
        Measure::Percent(x) => format!("{x:.2}%"),
        Measure::Ratio(x) => format!("{x:.4}"),
        Measure::Count(n) => n.to_string(),
    }
}

fn message(o: &Outcome, b: ByteFormat) -> String {
    let rule = &o.rule;
    let Some(v) = o.value else {
        return o
            .reason
            .clone()
            .unwrap_or_else(|| "not evaluated".to_string());
    };
    let t = show(rule.limit, b);
    let shown = show(v, b);
    let extra = o
        .reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let ok = o.status == Status::Pass;
    match &rule.check {
        Check::RootUser => {
            if ok {
                "the image runs as a non-root user".to_string()
            } else {
                "the image runs as root (its config sets no USER, or USER root/0)".to_string()
            }
        }
        Check::DenyPaths { .. } => {
            if ok {
                "no visible file matches a denied glob".to_string()
            } else {
                match v {
                    Measure::Count(1) => "1 visible file matches a denied glob".to_string(),
                    _ => format!("{shown} visible files match a denied glob"),
                }
            }
        }
        Check::ConfigSecrets => match v {
            _ if ok => "no secret in the config's Env, labels or history".to_string(),
            Measure::Count(1) => "1 secret in the config's Env, labels or history".to_string(),
            _ => format!("{shown} secrets in the config's Env, labels or history"),
        },
        Check::HistoryPatterns => {
            let found = match v {
                Measure::Count(1) => "1 Dockerfile pattern".to_string(),
                _ => format!("{shown} Dockerfile patterns"),
            };
            if ok {
                format!("{found} in the history, at most {t}")
            } else {
                format!("{found} in the history, over the maximum of {t}")
            }
        }
        Check::NewErrorFindings => {
            if ok {
                "no new error finding since the baseline".to_string()
            } else {
                match v {
                    Measure::Count(1) => "1 error finding not in the baseline".to_string(),
                    _ => format!("{shown} error findings not in the baseline"),
                }
            }
        }
        Check::Category(c) => {
            if ok {
                format!("{c}: {shown}{extra}, budget {t}")
            } else {
                format!("{c}: {shown}{extra} over the budget of {t}")
            }
        }
        c if c.is_minimum() => {
            if ok {
                format!("{shown} >= {t}")
            } else {
                format!("{shown} is below the minimum {t}")
            }
        }
        _ => {
            if ok {
                format!("{shown} <= {t}{extra}")
            } else {
                format!("{shown} is over the budget of {t}{extra}")
            }
        }
    }
}

/// Builds the document of a verdict on `report`.
pub fn document(
    verdict: &Verdict,
    report: &InspectReport,
    baseline: Option<String>,
    defaults: bool,
    sources: Vec<String>,
    notes: Vec<String>,
    bytes: ByteFormat,
) -> CheckReport {
    let rules = verdict
        .outcomes
        .iter()
        .map(|o| {
            let breached = matches!(o.status, Status::Fail | Status::Warn);
            RuleResult {
                id: o.rule.id.clone(),
                level: o.rule.level.name().to_string(),
                threshold: (o.rule.level != Level::Off).then(|| number(o.rule.limit)),
                value: o.value.map(number),
                unit: o.value.unwrap_or(o.rule.limit).unit().to_string(),
                status: o.status.name().to_string(),
                message: message(o, bytes),
                description: description(&o.rule.check),
                origin: o.rule.origin.name().to_string(),
                contributors: o
                    .contributors
                    .iter()
                    .map(|c| ContributorInfo {
                        path: c.path.clone(),
                        layer: c.layer,
                        bytes: c.bytes,
                        note: c.note.clone(),
                    })
                    .collect(),
                fix: breached.then(|| fix(&o.rule.check)),
            }
        })
        .collect();
    CheckReport {
        schema_version: CHECK_SCHEMA_VERSION,
        tool: report.tool.clone(),
        image: CheckedImage {
            path: report.source.path.clone(),
            reference: report.image.reference.clone(),
            id: report.image.id.clone(),
        },
        baseline,
        passed: verdict.passed,
        defaults,
        sources,
        counts: Counts {
            pass: verdict.count(Status::Pass),
            warn: verdict.count(Status::Warn),
            fail: verdict.count(Status::Fail),
            skip: verdict.count(Status::Skip),
        },
        rules,
        findings: report.findings.clone(),
        notes,
        answered_from: None,
    }
}

/// The notes of `r` besides the one saying the default rules applied (which the
/// renderers word themselves).
pub fn other_notes(r: &CheckReport) -> impl Iterator<Item = &String> {
    let defaults = r.defaults;
    r.notes
        .iter()
        .filter(move |n| !(defaults && n.starts_with("no deadweight.toml")))
}

/// A threshold or value of a rule result, shown in its unit.
pub fn show_number(x: Option<f64>, unit: &str, b: ByteFormat) -> String {
    let Some(x) = x else {
        return "-".to_string();
    };
    match unit {
        "bytes" if x < 0.0 => b.format_signed(x as i128),
        "bytes" => b.format(x as u64),
        "percent" => format!("{x:.2}%"),
        "ratio" => format!("{x:.4}"),
        _ => format!("{x}"),
    }
}

/// One contributor in one line.
pub fn contributor_line(c: &ContributorInfo, b: ByteFormat) -> String {
    let mut s = String::new();
    if let Some(p) = &c.path {
        s.push_str(p);
    }
    if let Some(l) = c.layer {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&format!("(layer {l})"));
    }
    s.push_str(&format!(" {}", b.format(c.bytes)));
    if let Some(n) = &c.note {
        s.push_str(&format!(" - {}", super::table::cut(n, 80)));
    }
    s.trim().to_string()
}

/// The help text of a rule in SARIF: its fix when it was breached, else a general word.
pub fn fix_text(id: &str, fix: Option<&str>) -> String {
    match fix {
        Some(f) => f.to_string(),
        None => format!("{id}: see the deadweight README, \"CI integration\"."),
    }
}
