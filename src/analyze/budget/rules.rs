//! The rules of `check`: what a rule measures ([`Check`]), its threshold ([`Measure`]),
//! its [`Level`] and [`Origin`]; the categories a budget may name; the default set.

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

    pub(super) fn parse(s: &str) -> Option<Level> {
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
    /// The largest layer blob as stored (what pulling that layer transfers).
    LayerBlobBytes,
    /// Secrets in the image config: `Env` values, labels, and build arguments or `ENV`
    /// values recorded in the history (the `secret.config-env`, `secret.label` and
    /// `secret.history` findings; not secret files, which need the layers).
    ConfigSecrets,
    /// Dockerfile patterns read from the history alone (apt lists kept, recommends, pip's
    /// cache, the build context copied before the install, ADD of a URL, installs spread
    /// over RUNs); `single-stage-build-tools` needs the installed packages, so it is not
    /// one of them.
    HistoryPatterns,
}

impl Check {
    /// True when the rule is a floor (the value must not fall below the threshold).
    pub fn is_minimum(&self) -> bool {
        matches!(self, Check::DiveEfficiency)
    }

    /// True when an image's manifest and config alone give this figure exactly: the
    /// stored sizes of the layer blobs (their descriptors' sizes, the whole and the
    /// largest), how many layers, the configured user, the secrets in the config
    /// (`Env`, labels, the history's build arguments) and the patterns the history
    /// shows. Every other figure needs the layers' files: content sizes, dive's figures,
    /// paths, and every finding category, since each also counts files (`secret` key
    /// files beside `Env` secrets, `root_user` setuid files beside the user,
    /// `dockerfile_pattern` the installed packages beside the history); the
    /// config-only rules above are their manifest-answerable parts.
    pub fn answered_by_manifest(&self) -> bool {
        matches!(
            self,
            Check::BlobBytes
                | Check::Layers
                | Check::RootUser
                | Check::LayerBlobBytes
                | Check::ConfigSecrets
                | Check::HistoryPatterns
        )
    }
}

/// True when every rule of `rules` that is evaluated (not `off`) is
/// [answered by the manifest](Check::answered_by_manifest): then a registry image is
/// checked without downloading a layer.
pub fn answered_by_manifest(rules: &[RuleSpec]) -> bool {
    rules
        .iter()
        .all(|r| r.level == Level::Off || r.check.answered_by_manifest())
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

/// The `paths.deny` rule: no visible file may match `deny` unless it matches `allow`.
pub(super) fn deny_rule(
    deny: Vec<String>,
    allow: Vec<String>,
    level: Level,
    origin: Origin,
) -> RuleSpec {
    RuleSpec {
        id: "paths.deny".to_string(),
        check: Check::DenyPaths { deny, allow },
        limit: Measure::Count(0),
        level,
        origin,
    }
}
