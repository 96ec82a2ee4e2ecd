//! The findings' data: what a finding is about ([`Category`]), how bad it is
//! ([`Severity`]), the finding itself, the installed packages, the suggested
//! `.dockerignore` lines, and what to look for ([`Options`]). The JSON names of the
//! categories and severities are part of the report's contract.

use std::collections::BTreeMap;

pub use crate::model::Category;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth fixing.
    Warning,
    /// Fix it: a leak, or a secret that ships.
    Error,
}

impl Severity {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The severity of a JSON name.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id, `category.name`.
    pub rule: String,
    /// Its category.
    pub category: Category,
    /// Its severity.
    pub severity: Severity,
    /// Bytes at stake, each entry once.
    pub bytes: u64,
    /// The layer that wrote it, where one did.
    pub layer: Option<usize>,
    /// Example paths, heaviest first.
    pub paths: Vec<String>,
    /// The fix.
    pub fix: String,
    /// What the fix saves of this finding's own files: its `bytes` (a fix never keeps
    /// part of a file a finding it resolves counts). What the whole change saves, with
    /// the other findings it resolves, is its [`Fix`]'s `saving_bytes`.
    pub saving_bytes: u64,
    /// The fix that resolves it: an index into [`Findings::fixes`].
    pub resolved_by: Option<usize>,
    /// One line saying what was found.
    pub message: String,
    /// The entries whose bytes it counts (for deduplicated totals).
    pub entries: Vec<u32>,
    /// For a package finding, the packages its fix removes (the closure: the packages
    /// named, then what only they need) and the bytes of each one's files.
    pub packages: Vec<(String, u64)>,
}

/// A change to the build, the findings it resolves and what it saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What kind of change (`dockerignore`, `builder-stage`, ...; see `fixes.rs`).
    pub kind: &'static str,
    /// The layer whose instruction it changes, where one does.
    pub layer: Option<usize>,
    /// What to change, in the Dockerfile's or `.dockerignore`'s words.
    pub advice: String,
    /// The findings it resolves: indexes into [`super::Findings::findings`].
    pub findings: Vec<usize>,
    /// Bytes the change removes from the image, each entry once.
    pub saving_bytes: u64,
    /// The entries it removes.
    pub entries: Vec<u32>,
}

/// An installed package and the bytes of its files in the final tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// `dpkg`, `pip`, `npm`, `apk`.
    pub manager: &'static str,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Bytes of its files the final tree shows.
    pub bytes: u64,
    /// A development-only package.
    pub dev: bool,
    /// A compiler or build tool.
    pub toolchain: bool,
    /// The visible entries of its files.
    pub entries: Vec<u32>,
    /// Where its manager resolves its dependencies from: the dist-info directory (pip),
    /// the package directory (npm); empty for dpkg and apk.
    pub scope: Box<[u8]>,
    /// The packages it needs (indexes into the package list): what removing it may
    /// take along ([`Package::manual`] and the kept packages' needs permitting).
    pub needs: Vec<u32>,
    /// Packages it only keeps: apt's `Suggests`, pip's extras. Keeping it keeps them;
    /// removing it does not take them along.
    pub keeps: Vec<u32>,
    /// Asked for by name (apt not `Auto-Installed`, an `Essential` package, pip
    /// `REQUESTED`, apk `world`, the app's npm `dependencies`): an autoremover never
    /// removes it.
    pub manual: bool,
}

/// A line to add to `.dockerignore`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreLine {
    /// The pattern.
    pub pattern: String,
    /// Bytes it keeps out of the image.
    pub bytes: u64,
    /// Why (the category).
    pub category: Category,
}

/// The findings of an image.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Findings, heaviest first within severity order.
    pub findings: Vec<Finding>,
    /// The changes to the build that resolve them, heaviest first.
    pub fixes: Vec<Fix>,
    /// Installed packages, heaviest first.
    pub packages: Vec<Package>,
    /// Dead weight, each byte once across categories.
    pub dead_weight_bytes: u64,
    /// Dead weight by headline category (adds up to `dead_weight_bytes`).
    pub by_category: BTreeMap<&'static str, u64>,
    /// The pull cost of the same entries, by the same category (adds up to the pull cost
    /// of the dead weight).
    pub stored_by_category: BTreeMap<&'static str, u64>,
    /// What the three heaviest fixes save together (each byte once).
    pub top3_saving_bytes: u64,
    /// Suggested `.dockerignore` lines.
    pub dockerignore: Vec<IgnoreLine>,
}

/// `n` files, the noun agreeing: `1 file`, `3 files`.
pub(crate) fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_string()
    } else {
        format!("{n} files")
    }
}
