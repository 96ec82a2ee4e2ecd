//! Dead weight and leaks: what an image carries that it should not, with the fix and what
//! it saves.
//!
//! Inputs: the [`Index`], the byte accounting ([`Analysis`]), and what the
//! [`collect::Collector`] noted while the reader streamed (file magic, package databases,
//! secret hits). Findings come from:
//!
//! - path rules ([`rules`], one table per category), matched against every shipped file,
//!   visible or hidden (hidden bytes still ship); `model_weights` against visible files
//!   only (a service needs one copy; the hidden copies are `hidden` findings);
//! - package databases ([`packages`]): dev tools (pip, npm devDependencies, dpkg `-dev`)
//!   and build toolchains, with the bytes of their files present in the final tree;
//! - secrets ([`secrets`]): key and credential files, tokens in small text files, secrets
//!   in the config's `Env`, labels and history;
//! - the config (root user), modes (setuid/setgid, world-writable), the waste accounting
//!   (duplicates, hidden bytes) and the history (`dockerfile_pattern`).
//!
//! Byte counting: a finding's bytes count each entry once; within a category an entry
//! belongs to the first rule that claims it, so a byte counts once per category. The
//! headline (`dead_weight_bytes`) counts every entry once across categories, giving it to
//! the first category of [`Category::HEADLINE`] that claims it: the specific causes first
//! (their fix removes the bytes at the source), then duplicate and hidden bytes (whose fix
//! restructures the build). `model_weights` (info: the service needs its model),
//! `secret`, `root_user` and `dockerfile_pattern` carry no dead weight.

pub mod collect;
pub mod config;
pub mod magic;
mod names;
pub mod packages;
pub mod rules;
pub mod secrets;

use super::Analysis;
use super::waste::VisibleFile;
use crate::index::{EntryKind, Fate, Index, PathId, escape_bytes};
use collect::Collected;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use magic::Magic;
use packages::Record;
use rules::{Hits, PathRule, RuleMatcher};
use std::collections::BTreeMap;

/// What a finding is about. The names are part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `.git`, `.hg`, `.svn`.
    Vcs,
    /// Training and evaluation data.
    Dataset,
    /// Model weights.
    ModelWeights,
    /// Jupyter notebooks.
    Notebook,
    /// The app's tests.
    TestSuite,
    /// Documentation, man pages, locales.
    Docs,
    /// Package manager caches.
    PackageCache,
    /// Development tools and headers.
    DevDependency,
    /// Compilers and build tools.
    BuildToolchain,
    /// Temporary files.
    TempFile,
    /// Logs.
    LogFile,
    /// Keys, tokens, credentials.
    Secret,
    /// Runs as root; setuid and world-writable files.
    RootUser,
    /// The same content at several paths.
    Duplicate,
    /// Bytes shipped but not visible.
    Hidden,
    /// How the image was built.
    DockerfilePattern,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: &'static [Category] = &[
        Category::Vcs,
        Category::Dataset,
        Category::ModelWeights,
        Category::Notebook,
        Category::TestSuite,
        Category::Docs,
        Category::PackageCache,
        Category::DevDependency,
        Category::BuildToolchain,
        Category::TempFile,
        Category::LogFile,
        Category::Secret,
        Category::RootUser,
        Category::Duplicate,
        Category::Hidden,
        Category::DockerfilePattern,
    ];

    /// The categories that count as dead weight, in headline precedence order: an entry
    /// claimed by several counts in the first.
    pub const HEADLINE: &'static [Category] = &[
        Category::Vcs,
        Category::Dataset,
        Category::Notebook,
        Category::TestSuite,
        Category::Docs,
        Category::PackageCache,
        Category::DevDependency,
        Category::BuildToolchain,
        Category::TempFile,
        Category::LogFile,
        Category::Duplicate,
        Category::Hidden,
    ];

    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Vcs => "vcs",
            Category::Dataset => "dataset",
            Category::ModelWeights => "model_weights",
            Category::Notebook => "notebook",
            Category::TestSuite => "test_suite",
            Category::Docs => "docs",
            Category::PackageCache => "package_cache",
            Category::DevDependency => "dev_dependency",
            Category::BuildToolchain => "build_toolchain",
            Category::TempFile => "temp_file",
            Category::LogFile => "log_file",
            Category::Secret => "secret",
            Category::RootUser => "root_user",
            Category::Duplicate => "duplicate",
            Category::Hidden => "hidden",
            Category::DockerfilePattern => "dockerfile_pattern",
        }
    }

    /// The category of a JSON name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.name() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

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
    /// What the fix saves.
    pub saving_bytes: u64,
    /// One line saying what was found.
    pub message: String,
    /// The entries whose bytes it counts (for deduplicated totals).
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
    /// Installed packages, heaviest first.
    pub packages: Vec<Package>,
    /// Dead weight, each byte once across categories.
    pub dead_weight_bytes: u64,
    /// Dead weight by headline category (adds up to `dead_weight_bytes`).
    pub by_category: BTreeMap<&'static str, u64>,
    /// What the three fixes that save most save together (each byte once).
    pub top3_saving_bytes: u64,
    /// Suggested `.dockerignore` lines.
    pub dockerignore: Vec<IgnoreLine>,
}

/// What to look for beyond the built-in rules.
#[derive(Debug, Clone)]
pub struct Options {
    /// The path rules (built-in first, then the user's).
    pub rules: Vec<PathRule>,
    /// Files matching these globs are never findings.
    pub ignore: Vec<String>,
    /// Example paths per finding.
    pub max_paths: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rules: rules::builtin(),
            ignore: Vec::new(),
            max_paths: 5,
        }
    }
}

/// The visible file at each path: a table by path id (ids are dense), a fraction of
/// a hash map's memory on an image of 200k files.
struct VisibleByPath<'a> {
    files: &'a [VisibleFile],
    /// Index into `files` by path id; `u32::MAX` where no file is visible.
    at: Vec<u32>,
}

impl<'a> VisibleByPath<'a> {
    fn new(files: &'a [VisibleFile], paths: usize) -> VisibleByPath<'a> {
        let mut at = vec![u32::MAX; paths];
        for (i, f) in files.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (at.get_mut(f.path as usize), u32::try_from(i)) {
                *slot = i;
            }
        }
        VisibleByPath { files, at }
    }

    /// The entry, bytes and layer of the file visible at `path`.
    fn get(&self, path: PathId) -> Option<(u32, u64, u16)> {
        let i = *self.at.get(path as usize)?;
        let f = self.files.get(i as usize)?;
        Some((f.entry, f.bytes, f.layer))
    }
}

/// A shipped regular file (visible or hidden).
#[derive(Debug, Clone, Copy)]
struct Shipped {
    entry: u32,
    path: PathId,
    bytes: u64,
    layer: u16,
    visible: bool,
}

/// Accumulates findings and who claimed which entry.
struct Acc<'a> {
    index: &'a Index,
    max_paths: usize,
    findings: Vec<Finding>,
    /// The categories claiming each entry, as bits, by entry index: a dense table,
    /// since the rules may claim a large share of an image's files.
    claims: Vec<u32>,
}

impl Acc<'_> {
    /// Claims `entry` for `cat`; false when the category already had it.
    fn claim(&mut self, entry: u32, cat: Category) -> bool {
        match self.claims.get_mut(entry as usize) {
            Some(mask) if *mask & cat.bit() == 0 => {
                *mask |= cat.bit();
                true
            }
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_files(
        &mut self,
        rule: &str,
        cat: Category,
        sev: Severity,
        files: &[Shipped],
        fix: &str,
        message: String,
    ) {
        let mut bytes = 0;
        let mut entries = Vec::new();
        let mut sorted: Vec<&Shipped> = files.iter().collect();
        sorted.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.entry.cmp(&b.entry)));
        let mut layer_bytes: HashMap<u16, u64> = HashMap::new();
        for f in &sorted {
            if self.claim(f.entry, cat) {
                bytes += f.bytes;
                entries.push(f.entry);
                *layer_bytes.entry(f.layer).or_default() += f.bytes;
            }
        }
        if entries.is_empty() {
            return;
        }
        let layer = layer_bytes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(l, _)| usize::from(*l));
        let paths = sorted
            .iter()
            .take(self.max_paths)
            .map(|f| self.index.paths.display(f.path))
            .collect();
        self.findings.push(Finding {
            rule: rule.to_string(),
            category: cat,
            severity: sev,
            bytes,
            layer,
            paths,
            fix: fix.to_string(),
            saving_bytes: bytes,
            message,
            entries,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn push_note(
        &mut self,
        rule: &str,
        cat: Category,
        sev: Severity,
        layer: Option<usize>,
        paths: Vec<String>,
        fix: &str,
        message: String,
    ) {
        self.findings.push(Finding {
            rule: rule.to_string(),
            category: cat,
            severity: sev,
            bytes: 0,
            layer,
            paths,
            fix: fix.to_string(),
            saving_bytes: 0,
            message,
            entries: Vec::new(),
        });
    }
}

impl Findings {
    /// Finds the dead weight and leaks of `index`.
    pub fn new(index: &Index, a: &Analysis, collected: &Collected, opts: &Options) -> Findings {
        let paths = &index.paths;
        let mut acc = Acc {
            index,
            max_paths: opts.max_paths,
            findings: Vec::new(),
            claims: vec![0; index.entries.len()],
        };
        // Globs were checked when the rules were loaded; a set that still fails to
        // compile matches nothing rather than failing the whole report.
        let matcher = RuleMatcher::new(&opts.rules, &opts.ignore).ok();
        // Ignore globs are rare: build a path for them only when there are some.
        let ignored = |id: PathId| {
            matcher
                .as_ref()
                .is_some_and(|m| m.has_ignores() && m.ignored(&paths.path_bytes(id)))
        };
        // Every shipped file with bytes: the visible ones, then the hidden ones, by
        // number, without building a list of them all.
        let (visible_files, hidden_files) = (&a.waste.visible, &a.waste.hidden);
        let n_shipped = visible_files.len() + hidden_files.len();
        let shipped_at = |k: usize| -> Option<Shipped> {
            let s = match visible_files.get(k) {
                Some(f) => Shipped {
                    entry: f.entry,
                    path: f.path,
                    bytes: f.bytes,
                    layer: f.layer,
                    visible: true,
                },
                None => {
                    let h = hidden_files.get(k - visible_files.len())?;
                    Shipped {
                        entry: h.entry,
                        path: h.path,
                        bytes: h.bytes,
                        layer: h.written_by,
                        visible: false,
                    }
                }
            };
            (s.bytes > 0).then_some(s)
        };
        let shipped = || (0..n_shipped).filter_map(shipped_at);

        // 1. Path rules: per category, the first matching rule claims the file. The
        // files are matched in two halves on two threads, then claimed in order.
        // The shipped files each rule claims, by number: 4 bytes a file rather than a
        // copy of it, since rules may claim a large share of an image's files.
        let mut by_rule: Vec<Vec<u32>> = vec![Vec::new(); opts.rules.len()];
        if let Some(matcher) = &matcher {
            let dir_rules = matcher.dir_rules(paths, shipped().map(|s| s.path));
            let claims = |range: std::ops::Range<usize>| -> Vec<(u32, u32)> {
                // Each thread its own copy: globset's regexes keep a cache per copy,
                // and sharing one makes the threads queue for it.
                let matcher = matcher.clone();
                let mut hits = Hits::default();
                let mut out = Vec::new();
                for k in range {
                    let Some(s) = shipped_at(k) else {
                        continue;
                    };
                    let dir = dir_rules.of(paths.parent(s.path));
                    let m = collected
                        .magic
                        .get(&s.entry)
                        .copied()
                        .unwrap_or(Magic::Unknown);
                    if !matcher.matches_into(paths, s.path, dir, m, &mut hits) || !hits.any() {
                        continue;
                    }
                    let mut seen: u32 = 0;
                    for &i in hits.matched() {
                        let Some(rule) = opts.rules.get(i) else {
                            continue;
                        };
                        if seen & rule.category.bit() != 0 {
                            continue;
                        }
                        if rule.category == Category::ModelWeights && !s.visible {
                            continue;
                        }
                        if matcher.rule_matches(&hits, i, s.bytes, m) {
                            seen |= rule.category.bit();
                            if let (Ok(k), Ok(i)) = (u32::try_from(k), u32::try_from(i)) {
                                out.push((k, i));
                            }
                        }
                    }
                }
                out
            };
            for (k, i) in in_halves(n_shipped, claims) {
                if let Some(v) = by_rule.get_mut(i as usize) {
                    v.push(k);
                }
            }
        }
        for (rule, claimed) in opts.rules.iter().zip(by_rule) {
            let mut files: Vec<Shipped> = claimed
                .iter()
                .filter_map(|&k| shipped_at(k as usize))
                .collect();
            drop(claimed);
            let total: u64 = files.iter().map(|f| f.bytes).sum();
            if files.is_empty() || total < rule.min_total {
                continue;
            }
            // One finding per layer that wrote the files, in layer order.
            files.sort_by_key(|f| f.layer);
            for fs in files.chunk_by(|a, b| a.layer == b.layer) {
                let layer = fs.first().map_or(0, |f| f.layer);
                let bytes: u64 = fs.iter().map(|f| f.bytes).sum();
                let hidden = fs.iter().filter(|f| !f.visible).count();
                let message = format!(
                    "{} file(s) in layer {layer}{}",
                    fs.len(),
                    if hidden > 0 {
                        format!(" ({hidden} deleted or replaced later, still shipped)")
                    } else {
                        String::new()
                    }
                );
                let _ = bytes;
                acc.push_files(
                    &rule.id,
                    rule.category,
                    rule.severity,
                    fs,
                    &rule.fix,
                    message,
                );
            }
        }

        // 2. Packages.
        let visible = VisibleByPath::new(&a.waste.visible, paths.len());
        let visible_entry = |e: u32| {
            index
                .entries
                .get(e as usize)
                .is_some_and(|x| x.fate == Fate::Visible)
        };
        let packages = attribute_packages(index, collected, &visible, &visible_entry);
        let shipped_of = |entries: &[u32]| -> Vec<Shipped> {
            entries
                .iter()
                .filter_map(|&e| {
                    let fe = index.entries.get(e as usize)?;
                    let (_, bytes, layer) = visible.get(fe.path)?;
                    Some(Shipped {
                        entry: e,
                        path: fe.path,
                        bytes,
                        layer,
                        visible: true,
                    })
                })
                .filter(|s| !ignored(s.path))
                .collect()
        };
        for (manager, rule, fix) in [
            (
                "pip",
                "dev_dependency.python-dev-tools",
                "install only the runtime requirements in the final image (e.g. `pip install -r requirements-prod.txt`); run tests and linters in a separate stage",
            ),
            (
                "npm",
                "dev_dependency.npm-dev-dependencies",
                "`npm ci --omit=dev` (or `npm prune --omit=dev`) in the final image",
            ),
            (
                "dpkg",
                "dev_dependency.dpkg-dev-packages",
                "install -dev packages in a builder stage only, or `apt-get purge` them in the RUN that builds",
            ),
            (
                "apk",
                "dev_dependency.apk-dev-packages",
                "`apk add --virtual .build-deps ...` and `apk del .build-deps` in the same RUN",
            ),
        ] {
            let devs: Vec<&Package> = packages
                .iter()
                .filter(|p| p.manager == manager && p.dev && !p.toolchain)
                .collect();
            if devs.is_empty() {
                continue;
            }
            let entries: Vec<u32> = devs
                .iter()
                .flat_map(|p| p.entries.iter().copied())
                .collect();
            let names: Vec<String> = devs
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            let message = format!(
                "{} development package(s) installed: {}",
                devs.len(),
                names.join(", ")
            );
            acc.push_files(
                rule,
                Category::DevDependency,
                Severity::Warning,
                &shipped_of(&entries),
                fix,
                message,
            );
        }
        let tools: Vec<&Package> = packages.iter().filter(|p| p.toolchain).collect();
        if !tools.is_empty() {
            let entries: Vec<u32> = tools
                .iter()
                .flat_map(|p| p.entries.iter().copied())
                .collect();
            let names: Vec<String> = tools
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            acc.push_files(
                "build_toolchain.packages",
                Category::BuildToolchain,
                Severity::Warning,
                &shipped_of(&entries),
                "build in a builder stage (`FROM ... AS build`) and COPY only the artefacts into a runtime stage without compilers",
                format!("build tools installed: {}", names.join(", ")),
            );
        }
        // Headers and static libraries, whoever installed them.
        // By directory ids, not path bytes: no path is built per file.
        let dirs_of =
            |ps: &[&[u8]]| -> Vec<PathId> { ps.iter().filter_map(|p| paths.find(p)).collect() };
        let include_dirs = dirs_of(&[b"/usr/include", b"/usr/local/include"]);
        let lib_dirs = dirs_of(&[b"/usr/lib", b"/usr/local/lib"]);
        let under = |id: PathId, dirs: &[PathId]| {
            !dirs.is_empty() && paths.ancestors(id).any(|d| dirs.contains(&d))
        };
        let dev_files: Vec<Shipped> = shipped()
            .filter(|s| {
                s.visible
                    && (under(s.path, &include_dirs)
                        || (paths.name(s.path).ends_with(b".a") && under(s.path, &lib_dirs)))
                    && !ignored(s.path)
            })
            .collect();
        if !dev_files.is_empty() {
            acc.push_files(
                "dev_dependency.headers-static-libs",
                Category::DevDependency,
                Severity::Info,
                &dev_files,
                "headers and static libraries are for building: build in a builder stage and ship only the shared libraries",
                format!("{} header or static library file(s)", dev_files.len()),
            );
        }

        // 3. Secrets.
        secret_findings(index, collected, &mut acc, &ignored);

        // 4. Root user, setuid/setgid, world-writable.
        let user = index.image.config.user.trim();
        let user_name = user.split(':').next().unwrap_or_default();
        if user_name.is_empty() || user_name == "root" || user_name == "0" {
            acc.push_note(
                "root_user.runs-as-root",
                Category::RootUser,
                Severity::Warning,
                None,
                Vec::new(),
                "create an unprivileged user and switch to it: `RUN useradd -r -u 10001 app` then `USER 10001`",
                if user.is_empty() { "no USER is set: the container runs as root".to_string() } else { format!("USER is {user}: the container runs as root") },
            );
        }
        let mut setuid = Vec::new();
        let mut writable = Vec::new();
        for f in &a.waste.visible {
            let Some(e) = index.entries.get(f.entry as usize) else {
                continue;
            };
            if e.kind != EntryKind::File {
                continue;
            }
            if e.mode & 0o6000 != 0 {
                setuid.push((f.layer, paths.display(f.path)));
            }
            if e.mode & 0o002 != 0 {
                writable.push((f.layer, paths.display(f.path)));
            }
        }
        for (rule, list, sev, fix, what) in [
            (
                "root_user.setuid-setgid",
                &setuid,
                Severity::Info,
                "remove the setuid/setgid bits the service does not need: `chmod u-s,g-s FILE` (or `find / -perm /6000 -type f -exec chmod a-s {} +`)",
                "setuid/setgid file(s)",
            ),
            (
                "root_user.world-writable",
                &writable,
                Severity::Warning,
                "drop write permission for others: `COPY --chmod=644` or `chmod o-w`",
                "world-writable file(s)",
            ),
        ] {
            if !list.is_empty() {
                let layer = list.iter().map(|(l, _)| usize::from(*l)).max();
                let ps = list
                    .iter()
                    .take(opts.max_paths)
                    .map(|(_, p)| p.clone())
                    .collect();
                acc.push_note(
                    rule,
                    Category::RootUser,
                    sev,
                    layer,
                    ps,
                    fix,
                    format!("{} {what}", list.len()),
                );
            }
        }

        // 5. Duplicates and hidden bytes, from the accounting.
        let mut small_dups: Vec<Shipped> = Vec::new();
        for g in &a.waste.duplicates {
            // By layer, then by path: the copies come sorted by path, and the sort is
            // stable.
            let mut copies: Vec<(PathId, u16)> = g.copies.clone();
            copies.sort_by_key(|&(_, l)| l);
            let extra: Vec<Shipped> = copies
                .iter()
                .skip(1)
                .filter_map(|(p, _)| {
                    let (e, b, l) = visible.get(*p)?;
                    Some(Shipped {
                        entry: e,
                        path: *p,
                        bytes: b,
                        layer: l,
                        visible: true,
                    })
                })
                .filter(|s| !ignored(s.path))
                .collect();
            if g.wasted() >= 64 * 1024 {
                let first = copies
                    .first()
                    .map(|(p, _)| paths.display(*p))
                    .unwrap_or_default();
                acc.push_files(
                    "duplicate.same-content",
                    Category::Duplicate,
                    Severity::Warning,
                    &extra,
                    "keep one copy: COPY or cp it once and point the others at it (a symlink), or move it instead of copying",
                    format!("{} copies of {first} ({} each)", copies.len(), g.size),
                );
            } else {
                small_dups.extend(extra);
            }
        }
        if !small_dups.is_empty() {
            let n = small_dups.len();
            acc.push_files(
                "duplicate.small-files",
                Category::Duplicate,
                Severity::Info,
                &small_dups,
                "keep one copy of each: symlink or hard-link the others, or move instead of copying",
                format!("{n} extra copies of small files"),
            );
        }
        let mut hidden_groups: BTreeMap<(u16, u16, &'static str), Vec<Shipped>> = BTreeMap::new();
        for h in &a.waste.hidden {
            if h.bytes == 0 || ignored(h.path) {
                continue;
            }
            hidden_groups
                .entry((h.written_by, h.hidden_by, h.fate.cause()))
                .or_default()
                .push(Shipped {
                    entry: h.entry,
                    path: h.path,
                    bytes: h.bytes,
                    layer: h.written_by,
                    visible: false,
                });
        }
        for ((written, hidden_by, cause), files) in hidden_groups {
            let (rule, fix) = match cause {
                "same_content" => (
                    "hidden.metadata-copy",
                    "a later RUN wrote the file again with identical content (a chmod/chown/touch copies it whole): set modes when copying (`COPY --chmod=... --chown=...`) or in the RUN that creates it",
                ),
                "deleted" => (
                    "hidden.deleted-later",
                    "delete in the same RUN that created it (a later `rm` does not shrink the image)",
                ),
                "deleted_with_dir" => (
                    "hidden.deleted-later",
                    "keep it out of the build context (.dockerignore), or delete it in the same RUN that created it",
                ),
                "opaque" => (
                    "hidden.opaque-dir",
                    "replace the directory's contents in the layer that fills it",
                ),
                _ => (
                    "hidden.overwritten",
                    "write the file once, in its final form, in the layer that creates it",
                ),
            };
            let instr = crate::analyze::findings::short(index.created_by(usize::from(hidden_by)));
            acc.push_files(
                rule,
                Category::Hidden,
                Severity::Warning,
                &files,
                fix,
                format!("{} file(s) of layer {written} {} by layer {hidden_by} ({instr}), still shipped", files.len(), cause.replace('_', " ")),
            );
        }

        // 6. How the image was built.
        dockerfile_patterns(index, &packages, &mut acc);

        // Headline: each entry once, in the first headline category that claims it.
        // Every claim is of a shipped file, so its bytes are the shipped file's.
        let claims = std::mem::take(&mut acc.claims);
        let mask_of = |e: u32| claims.get(e as usize).copied().unwrap_or(0);
        let mut by_category: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut dead = 0;
        for s in shipped() {
            let mask = mask_of(s.entry);
            if let Some(cat) = Category::HEADLINE.iter().find(|c| mask & c.bit() != 0) {
                *by_category.entry(cat.name()).or_default() += s.bytes;
                dead += s.bytes;
            }
        }
        let mut findings = acc.findings;
        findings.sort_by(|x, y| {
            y.saving_bytes
                .cmp(&x.saving_bytes)
                .then(y.severity.cmp(&x.severity))
                .then(x.category.cmp(&y.category))
                .then(x.rule.cmp(&y.rule))
                .then(x.layer.cmp(&y.layer))
        });
        let mut top: HashSet<u32> = HashSet::new();
        for f in findings
            .iter()
            .filter(|f| Category::HEADLINE.contains(&f.category))
            .take(3)
        {
            top.extend(f.entries.iter().copied());
        }
        let top3: u64 = shipped()
            .filter(|s| mask_of(s.entry) != 0 && top.contains(&s.entry))
            .map(|s| s.bytes)
            .sum();
        let dockerignore = suggest_dockerignore(index, &findings);
        Findings {
            findings,
            packages,
            dead_weight_bytes: dead,
            by_category,
            top3_saving_bytes: top3,
            dockerignore,
        }
    }
}

/// Shortens an instruction for a message.
pub fn short(created_by: Option<&str>) -> String {
    let s = created_by.unwrap_or("no history").trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s
        .find("/bin/sh -c ")
        .map_or(s, |i| s.get(i + 11..).unwrap_or(s));
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        let mut t: String = one.chars().take(59).collect();
        t.push('…');
        t
    } else {
        one
    }
}

fn attribute_packages(
    index: &Index,
    c: &Collected,
    visible: &VisibleByPath<'_>,
    is_visible: &dyn Fn(u32) -> bool,
) -> Vec<Package> {
    let paths = &index.paths;
    let files_of = |list: &[Box<[u8]>]| -> (u64, Vec<u32>) {
        let mut bytes = 0;
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        for p in list {
            if let Some(id) = paths.find(p)
                && let Some((e, b, _)) = visible.get(id)
                && seen.insert(e)
            {
                bytes += b;
                entries.push(e);
            }
        }
        (bytes, entries)
    };
    let mut out = Vec::new();
    // Dev names from requirements files: `requirements.txt` that includes a prod file
    // lists the dev extras beyond it; files named dev/test list dev packages.
    let mut req: HashMap<&str, (&[String], &[String])> = HashMap::new();
    let mut app_npm_dev: HashSet<&str> = HashSet::new();
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::Requirements {
                file,
                names,
                includes,
            } => {
                req.insert(file.as_str(), (names.as_slice(), includes.as_slice()));
            }
            Record::Npm {
                installed: false,
                dev_dependencies,
                ..
            } => {
                app_npm_dev.extend(dev_dependencies.iter().map(String::as_str));
            }
            _ => {}
        }
    }
    let mut py_dev: HashSet<String> = packages::DEV_PY.iter().map(|s| s.to_string()).collect();
    for (file, (names, includes)) in &req {
        let lower = file.to_ascii_lowercase();
        if lower.contains("dev") || lower.contains("test") || lower.contains("lint") {
            py_dev.extend(names.iter().cloned());
        }
        for inc in includes.iter() {
            let il = inc.to_ascii_lowercase();
            if (il.contains("prod") || il.contains("runtime") || il.contains("base"))
                && let Some((prod, _)) = req.get(inc.as_str())
            {
                py_dev.extend(names.iter().filter(|n| !prod.contains(n)).cloned());
            }
        }
    }
    // dpkg.
    let mut lists: HashMap<&str, &[Box<[u8]>]> = HashMap::new();
    let mut pip_meta: HashMap<&[u8], (&str, &str)> = HashMap::new();
    let mut pip_record: HashMap<&[u8], &[Box<[u8]>]> = HashMap::new();
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::DpkgList { package, paths } => {
                lists.insert(package.as_str(), paths.as_slice());
            }
            Record::PipMetadata { dir, name, version } => {
                pip_meta.insert(dir, (name.as_str(), version.as_str()));
            }
            Record::PipRecord { dir, paths } => {
                pip_record.insert(dir, paths.as_slice());
            }
            _ => {}
        }
    }
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::DpkgStatus(pkgs) => {
                for p in pkgs {
                    let (bytes, entries) = lists
                        .get(p.name.as_str())
                        .map(|l| files_of(l))
                        .unwrap_or_default();
                    let toolchain = packages::is_toolchain(&p.name);
                    out.push(Package {
                        manager: "dpkg",
                        name: p.name.clone(),
                        version: p.version.clone(),
                        bytes,
                        dev: p.name.ends_with("-dev") || toolchain,
                        toolchain,
                        entries,
                    });
                }
            }
            Record::Apk(pkgs) => {
                for p in pkgs {
                    let (bytes, entries) = files_of(&p.paths);
                    let toolchain = packages::is_toolchain(&p.name);
                    out.push(Package {
                        manager: "apk",
                        name: p.name.clone(),
                        version: p.version.clone(),
                        bytes,
                        dev: p.name.ends_with("-dev") || toolchain,
                        toolchain,
                        entries,
                    });
                }
            }
            _ => {}
        }
    }
    let mut metas: Vec<(&&[u8], &(&str, &str))> = pip_meta.iter().collect();
    metas.sort();
    for (dir, (name, version)) in metas {
        let (bytes, entries) = pip_record
            .get(*dir)
            .map(|l| files_of(l))
            .unwrap_or_default();
        out.push(Package {
            manager: "pip",
            name: name.to_string(),
            version: version.to_string(),
            bytes,
            dev: py_dev.contains(&packages::normalise_py(name)),
            toolchain: false,
            entries,
        });
    }
    // npm: each visible file belongs to the nearest installed package directory above it.
    let mut npm_dirs: HashMap<PathId, usize> = HashMap::new();
    for (e, r) in &c.records {
        if let Record::Npm {
            dir,
            name,
            version,
            installed: true,
            ..
        } = r
            && is_visible(*e)
            && let Some(id) = paths.find(dir)
        {
            npm_dirs.insert(id, out.len());
            out.push(Package {
                manager: "npm",
                name: name.clone(),
                version: version.clone(),
                bytes: 0,
                dev: app_npm_dev.contains(name.as_str()),
                toolchain: false,
                entries: Vec::new(),
            });
        }
    }
    if !npm_dirs.is_empty() {
        let mut files: Vec<&VisibleFile> = visible.files.iter().collect();
        files.sort_by_key(|f| f.entry);
        for f in files {
            if let Some(pkg) = paths.ancestors(f.path).find_map(|a| npm_dirs.get(&a))
                && let Some(pk) = out.get_mut(*pkg)
            {
                pk.bytes += f.bytes;
                pk.entries.push(f.entry);
            }
        }
    }
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(a.manager.cmp(b.manager))
            .then(a.name.cmp(&b.name))
    });
    out
}

fn secret_findings(
    index: &Index,
    c: &Collected,
    acc: &mut Acc<'_>,
    ignored: &dyn Fn(PathId) -> bool,
) {
    const FIX: &str = "rotate it (it has shipped), keep it out of the build context (.dockerignore), and pass secrets at run time or with `RUN --mount=type=secret`";
    let mut files: Vec<&(u32, Vec<secrets::Hit>, Option<&'static str>)> =
        c.secrets.iter().collect();
    files.sort_by_key(|(e, _, _)| *e);
    for (e, hits, file_kind) in files {
        let Some(entry) = index.entries.get(*e as usize) else {
            continue;
        };
        if ignored(entry.path) {
            continue;
        }
        let path = index.paths.display(entry.path);
        let layer = usize::from(entry.layer);
        let (rule, what) = if hits.iter().any(|h| h.kind == "private_key") {
            ("secret.private-key", "a private key".to_string())
        } else if let Some(k) = file_kind {
            (
                match *k {
                    "env_file" => "secret.env-file",
                    "cloud_credentials" => "secret.cloud-credentials",
                    "docker_auth" => "secret.docker-auth",
                    _ => "secret.auth-config",
                },
                k.replace('_', " "),
            )
        } else {
            ("secret.token-in-file", "a token".to_string())
        };
        if *file_kind == Some("docker_auth") && hits.is_empty() {
            continue;
        }
        let listed: Vec<String> = hits
            .iter()
            .map(|h| format!("{} {} (line {})", h.kind, h.masked, h.line))
            .collect();
        let hidden = entry.fate != Fate::Visible;
        let sev = if hidden || !hits.is_empty() {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut message = format!("{what} at {path}");
        if !listed.is_empty() {
            message.push_str(": ");
            message.push_str(&listed.join(", "));
        }
        if hidden {
            message.push_str(&format!(
                "; layer {} {} it, but layer {layer} still ships it",
                entry.hidden_by,
                if entry.fate == Fate::Overwritten || entry.fate == Fate::OverwrittenSame {
                    "replaced"
                } else {
                    "deleted"
                }
            ));
        }
        let _ = acc.claim(*e, Category::Secret);
        acc.findings.push(Finding {
            rule: rule.to_string(),
            category: Category::Secret,
            severity: sev,
            bytes: entry.size,
            layer: Some(layer),
            paths: vec![path],
            fix: FIX.to_string(),
            saving_bytes: 0,
            message,
            entries: vec![*e],
        });
    }
    // The config's Env and labels.
    let cfg = &index.image.config;
    let mut env_names: HashSet<String> = HashSet::new();
    for kv in &cfg.env {
        let (name, value) = kv.split_once('=').unwrap_or((kv, ""));
        let shaped = secrets::scan(value.as_bytes(), 2);
        if !shaped.is_empty()
            || (secrets::is_secret_name(name) && secrets::plausible_value(value.as_bytes()))
        {
            env_names.insert(name.to_string());
            let masked = secrets::mask(value.as_bytes());
            acc.push_note(
                "secret.config-env",
                Category::Secret,
                Severity::Error,
                None,
                Vec::new(),
                "never bake secrets into ENV: pass them at run time (`docker run -e`, a secret store) and rotate this one",
                format!("ENV {name}={masked} is stored in the image config and history"),
            );
        }
    }
    for (k, v) in &cfg.labels {
        for h in secrets::scan(v.as_bytes(), 2) {
            acc.push_note(
                "secret.label",
                Category::Secret,
                Severity::Error,
                None,
                Vec::new(),
                "remove the secret from LABEL and rotate it",
                format!("LABEL {k} holds a {} ({})", h.kind, h.masked),
            );
        }
    }
    // Build args and ENV in the history.
    let mut reported: HashSet<String> = HashSet::new();
    for h in &cfg.history {
        let Some(cb) = h.created_by.as_deref() else {
            continue;
        };
        for (name, value) in history_assignments(cb) {
            if env_names.contains(&name) || reported.contains(&name) {
                continue;
            }
            let shaped = !secrets::scan(value.as_bytes(), 1).is_empty();
            if shaped
                || (secrets::is_secret_name(&name) && secrets::plausible_value(value.as_bytes()))
            {
                reported.insert(name.clone());
                acc.push_note(
                    "secret.history",
                    Category::Secret,
                    Severity::Error,
                    None,
                    Vec::new(),
                    "build args and ENV values are recorded in the image history: use `RUN --mount=type=secret` and rotate this one",
                    format!("{name}={} in the history ({})", secrets::mask(value.as_bytes()), short(Some(cb))),
                );
            }
        }
    }
}

/// `NAME=value` pairs an instruction records: `ENV`/`ARG` lines and the `|N K=V ...` build
/// args of RUN lines.
fn history_assignments(created_by: &str) -> Vec<(String, String)> {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s).trim();
    let mut out = Vec::new();
    let words: Vec<&str> =
        if let Some(rest) = s.strip_prefix("ENV ").or_else(|| s.strip_prefix("ARG ")) {
            rest.split_whitespace().collect()
        } else if s.starts_with('|') {
            s.split_whitespace()
                .skip(1)
                .take_while(|w| *w != "/bin/sh" && *w != "-c")
                .collect()
        } else {
            Vec::new()
        };
    for w in words {
        if let Some((k, v)) = w.split_once('=') {
            out.push((k.to_string(), v.trim_matches('"').to_string()));
        }
    }
    out
}

fn dockerfile_patterns(index: &Index, packages: &[Package], acc: &mut Acc<'_>) {
    let mut install_layers = Vec::new();
    let mut copy_all: Option<usize> = None;
    let no_pip_cache_env = index
        .image
        .config
        .env
        .iter()
        .any(|e| e.starts_with("PIP_NO_CACHE_DIR="));
    for l in &index.layers {
        let Some(cb) = l.created_by() else { continue };
        let i = l.index;
        let run = short(Some(cb));
        let apt = cb.contains("apt-get install") || cb.contains("apt install");
        if apt && !cb.contains("/var/lib/apt/lists") {
            acc.push_note(
                "dockerfile_pattern.apt-lists-kept",
                Category::DockerfilePattern,
                Severity::Warning,
                Some(i),
                Vec::new(),
                "end the RUN with `&& rm -rf /var/lib/apt/lists/*` (same RUN as `apt-get update`)",
                format!("apt-get install without removing the package lists: {run}"),
            );
        }
        if apt && !cb.contains("--no-install-recommends") {
            acc.push_note(
                "dockerfile_pattern.apt-recommends",
                Category::DockerfilePattern,
                Severity::Info,
                Some(i),
                Vec::new(),
                "`apt-get install -y --no-install-recommends ...`",
                format!("apt-get install pulls recommended packages: {run}"),
            );
        }
        if (cb.contains("pip install") || cb.contains("pip3 install"))
            && !cb.contains("--no-cache-dir")
            && !no_pip_cache_env
        {
            acc.push_note(
                "dockerfile_pattern.pip-cache",
                Category::DockerfilePattern,
                Severity::Warning,
                Some(i),
                Vec::new(),
                "`pip install --no-cache-dir ...` (or ENV PIP_NO_CACHE_DIR=1)",
                format!("pip install keeps its cache: {run}"),
            );
        }
        if apt
            || cb.contains("apk add")
            || cb.contains("dnf install")
            || cb.contains("yum install")
            || cb.contains("pip install")
            || cb.contains("npm install")
            || cb.contains("npm ci")
        {
            install_layers.push(i);
            if let Some(c) = copy_all
                && c < i
                && (cb.contains("pip install")
                    || cb.contains("npm install")
                    || cb.contains("npm ci")
                    || cb.contains("go mod download")
                    || cb.contains("bundle install"))
            {
                acc.push_note("dockerfile_pattern.copy-before-install", Category::DockerfilePattern, Severity::Warning, Some(c), Vec::new(),
                    "COPY only the dependency manifest (requirements.txt, package*.json) and install, then `COPY . .`: code changes stop invalidating the install layer",
                    format!("layer {c} copies the whole build context before layer {i} installs dependencies"));
                copy_all = None;
            }
        }
        let nop = cb.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(cb).trim();
        if (nop.starts_with("COPY dir:")
            || nop.starts_with("COPY . ")
            || nop.starts_with("ADD dir:"))
            && copy_all.is_none()
        {
            copy_all = Some(i);
        }
        if nop.starts_with("ADD http://")
            || nop.starts_with("ADD https://")
            || (nop.starts_with("ADD ") && nop.contains("://"))
        {
            acc.push_note("dockerfile_pattern.add-url", Category::DockerfilePattern, Severity::Info, Some(i), Vec::new(),
                "fetch with curl/wget in a RUN that also unpacks and deletes it (or ADD --checksum=...)",
                format!("ADD of a URL: {run}"));
        }
    }
    if install_layers.len() >= 3 {
        acc.push_note("dockerfile_pattern.installs-spread", Category::DockerfilePattern, Severity::Info, install_layers.first().copied(), Vec::new(),
            "combine dependency installs into one RUN per package manager, cleaning up in the same RUN",
            format!("dependency installs spread over {} RUN layers", install_layers.len()));
    }
    let tools: Vec<&str> = packages
        .iter()
        .filter(|p| p.toolchain)
        .map(|p| p.name.as_str())
        .collect();
    if !tools.is_empty() {
        acc.push_note("dockerfile_pattern.single-stage-build-tools", Category::DockerfilePattern, Severity::Warning, None, Vec::new(),
            "use a multi-stage build: compile in `FROM ... AS build`, then COPY --from=build only what runs",
            format!("the runtime image ships build tools ({})", tools.join(", ")));
    }
}

/// `f` over the first and the second half of `0..n` on two threads, the results
/// concatenated in order.
fn in_halves<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let half = n.div_ceil(2);
    let (mut first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| f(half..n));
        let first = f(0..half);
        (first, second.join().unwrap_or_else(|_| f(half..n)))
    });
    first.extend(second);
    first
}

/// `.dockerignore` lines for what COPY/ADD layers took from the build context.
fn suggest_dockerignore(index: &Index, findings: &[Finding]) -> Vec<IgnoreLine> {
    const CATS: &[Category] = &[
        Category::Vcs,
        Category::Dataset,
        Category::Notebook,
        Category::TestSuite,
        Category::Docs,
        Category::Secret,
        Category::PackageCache,
        Category::TempFile,
        Category::LogFile,
    ];
    // Each COPY/ADD layer's destination, once per layer.
    let dest_of = |layer: usize| -> Option<PathId> {
        let cb = index.layers.get(layer)?.created_by()?;
        let nop = cb.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(cb).trim();
        let is_copy =
            (nop.starts_with("COPY") || nop.starts_with("ADD")) && !nop.contains("--from");
        if !is_copy {
            return None;
        }
        // The destination: `... in DEST`.
        let dest = nop.rsplit(" in ").next().unwrap_or("/").trim();
        let dest = if dest == "." || dest == "./" || !dest.starts_with('/') {
            let wd = index.image.config.working_dir.trim_end_matches('/');
            let rel = dest.trim_start_matches("./").trim_end_matches('/');
            if rel.is_empty() || rel == "." {
                wd.to_string()
            } else {
                format!("{wd}/{rel}")
            }
        } else {
            dest.trim_end_matches('/').to_string()
        };
        index.paths.find(dest.as_bytes())
    };
    // With its display, without a trailing `/`, which prefixes the display of every path
    // below it.
    let dests: Vec<Option<(PathId, String)>> = (0..index.layers.len())
        .map(|layer| {
            let dest = dest_of(layer)?;
            let shown = index.paths.display(dest).trim_end_matches('/').to_string();
            Some((dest, shown))
        })
        .collect();
    let mut lines: BTreeMap<String, (u64, Category, HashSet<u32>)> = BTreeMap::new();
    for f in findings.iter().filter(|f| CATS.contains(&f.category)) {
        for &e in &f.entries {
            let Some(entry) = index.entries.get(e as usize) else {
                continue;
            };
            let Some(Some((dest, dest_shown))) = dests.get(usize::from(entry.layer)) else {
                continue;
            };
            let dest = *dest;
            // The entry's ancestor just below the destination, if it is below it.
            let top = index
                .paths
                .ancestor_at(entry.path, index.paths.depth(dest) + 1);
            if top == dest || index.paths.parent(top) != dest {
                continue;
            }
            let pattern = if top != entry.path
                && matches!(
                    f.category,
                    Category::Vcs
                        | Category::Dataset
                        | Category::Notebook
                        | Category::TestSuite
                        | Category::Docs
                ) {
                escape_bytes(index.paths.name(top))
            } else {
                let full = index.paths.display(entry.path);
                let rel = full
                    .strip_prefix(dest_shown.as_str())
                    .and_then(|r| r.strip_prefix('/'));
                match rel {
                    Some(rel) => rel.to_string(),
                    None => continue,
                }
            };
            let slot = lines
                .entry(pattern)
                .or_insert((0, f.category, HashSet::new()));
            if slot.2.insert(e) {
                slot.0 += entry.size;
            }
        }
    }
    let mut out: Vec<IgnoreLine> = lines
        .into_iter()
        .map(|(pattern, (bytes, category, _))| IgnoreLine {
            pattern,
            bytes,
            category,
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.pattern.cmp(&b.pattern)));
    out
}
