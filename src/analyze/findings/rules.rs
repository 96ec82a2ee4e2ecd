//! The path rules: one table per category, one entry per rule. A file matches a rule when
//! its path matches one of the rule's globs, none of its `unless` globs, it is at least
//! `min_file` bytes, and (where the rule says) its first bytes have one of the magics.
//!
//! Globs: `*` matches within one path component, `**` across components, `?` one byte;
//! paths start with `/`. A category's first matching rule claims the file, so a byte
//! counts once per category.

use super::magic::Magic;
use super::names::{NameGlobs, NameGlobsBuilder};
use super::{Category, Severity};
use crate::index::paths::{PathId, PathTable, ROOT};
use foldhash::HashMap;

/// A path rule.
#[derive(Debug, Clone)]
pub struct PathRule {
    /// Stable id, `category.name`.
    pub id: String,
    /// Its category.
    pub category: Category,
    /// Its severity.
    pub severity: Severity,
    /// Globs, any of which matches.
    pub globs: Vec<String>,
    /// Globs that exempt a file.
    pub unless: Vec<String>,
    /// Files smaller than this do not match.
    pub min_file: u64,
    /// When not empty: the file's magic must be one of these.
    pub magic: Vec<Magic>,
    /// A finding is reported only when its files add up to this.
    pub min_total: u64,
    /// The fix, in a build guide's words.
    pub fix: String,
}

/// Places that hold installed software, not the app's own files.
const INSTALLED: &[&str] = &[
    "**/site-packages/**",
    "**/dist-packages/**",
    "**/node_modules/**",
    "/usr/lib/**",
    "/usr/share/**",
    "/usr/local/lib/**",
    "/usr/include/**",
    "/opt/conda/pkgs/**",
    "/var/lib/**",
    "**/.git/**",
    // Toolchains and the packages they fetched: their docs, tests and data are theirs.
    "**/.rustup/**",
    "/usr/local/rustup/**",
    "/usr/local/cargo/**",
    "**/.cargo/registry/**",
    "**/.cargo/git/**",
    "/usr/local/go/**",
    "**/go/pkg/mod/**",
];

const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;

struct R {
    id: &'static str,
    sev: Severity,
    globs: &'static [&'static str],
    unless: &'static [&'static str],
    installed_exempt: bool,
    min_file: u64,
    magic: &'static [Magic],
    min_total: u64,
    fix: &'static str,
}

const fn r(id: &'static str, globs: &'static [&'static str], fix: &'static str) -> R {
    R {
        id,
        sev: Severity::Warning,
        globs,
        unless: &[],
        installed_exempt: false,
        min_file: 0,
        magic: &[],
        min_total: 0,
        fix,
    }
}

const VCS: &[R] = &[
    r(
        "vcs.git-directory",
        &["**/.git/**"],
        "add `.git` to .dockerignore (or COPY only the paths the app needs)",
    ),
    r(
        "vcs.hg-directory",
        &["**/.hg/**"],
        "add `.hg` to .dockerignore",
    ),
    r(
        "vcs.svn-directory",
        &["**/.svn/**"],
        "add `.svn` to .dockerignore",
    ),
];

const DATA_EXT: &[&str] = &[
    "**/*.csv",
    "**/*.tsv",
    "**/*.jsonl",
    "**/*.ndjson",
    "**/*.parquet",
    "**/*.arrow",
    "**/*.feather",
    "**/*.npy",
    "**/*.npz",
    "**/*.h5",
    "**/*.hdf5",
    "**/*.tfrecord",
    "**/*.tfrecords",
    "**/*.pkl",
    "**/*.pickle",
    "**/*.csv.gz",
    "**/*.jsonl.gz",
];

const DATASET: &[R] = &[
    R {
        magic: &[
            Magic::Npy,
            Magic::Parquet,
            Magic::Hdf5,
            Magic::Arrow,
            Magic::Pickle,
        ],
        min_file: 64 * KB,
        installed_exempt: true,
        ..r(
            "dataset.by-content",
            &["**"],
            "keep data out of the image: .dockerignore it and mount it or fetch it at run time",
        )
    },
    R {
        min_file: 64 * KB,
        installed_exempt: true,
        ..r(
            "dataset.by-extension",
            DATA_EXT,
            "keep data out of the image: .dockerignore it and mount it or fetch it at run time",
        )
    },
    R {
        min_file: 64 * KB,
        installed_exempt: true,
        ..r(
            "dataset.data-directory",
            &["**/data/**", "**/datasets/**", "**/dataset/**"],
            "keep data directories out of the build context (.dockerignore) and mount them at run time",
        )
    },
    R {
        min_file: 10 * MB,
        installed_exempt: true,
        ..r(
            "dataset.large-archive",
            &[
                "**/*.zip",
                "**/*.tar",
                "**/*.tar.gz",
                "**/*.tgz",
                "**/*.tar.zst",
                "**/*.7z",
            ],
            "unpack or fetch archives at build time in the RUN that uses them, and delete them there",
        )
    },
];

const MODEL_FIX: &str = "a service needs its model, but not baked into the image: mount it or fetch it at start (or at least put it in its own last layer)";

const MODEL: &[R] = &[
    R {
        sev: Severity::Info,
        min_file: 64 * KB,
        unless: &["/usr/**", "**/site-packages/**/tests/**"],
        ..r(
            "model_weights.file",
            &[
                "**/*.onnx",
                "**/*.safetensors",
                "**/*.gguf",
                "**/*.pt",
                "**/*.pth",
                "**/*.ckpt",
                "**/*.tflite",
                "**/*.keras",
                "**/*.joblib",
            ],
            MODEL_FIX,
        )
    },
    // Extensions many other files share: only with a known header.
    R {
        sev: Severity::Info,
        magic: &[
            Magic::Onnx,
            Magic::Safetensors,
            Magic::Gguf,
            Magic::Zip,
            Magic::Pickle,
            Magic::Hdf5,
        ],
        min_file: 64 * KB,
        unless: &["/usr/**", "**/site-packages/**/tests/**"],
        ..r(
            "model_weights.by-header",
            &["**/*.bin", "**/*.h5", "**/*.pb", "**/*.model"],
            MODEL_FIX,
        )
    },
    R {
        sev: Severity::Info,
        magic: &[Magic::Safetensors, Magic::Gguf],
        min_file: MB,
        installed_exempt: true,
        ..r("model_weights.by-content", &["**"], MODEL_FIX)
    },
    R {
        sev: Severity::Info,
        ..r(
            "model_weights.hf-cache",
            &["**/.cache/huggingface/**", "**/.cache/torch/**"],
            "keep Hugging Face/torch caches out of the image: mount the cache, or download the model at start",
        )
    },
    R {
        sev: Severity::Info,
        ..r(
            "model_weights.saved-model",
            &["**/variables/variables.data-*", "**/saved_model.pb"],
            "mount the SavedModel or fetch it at start",
        )
    },
];

const NOTEBOOK: &[R] = &[r(
    "notebook.ipynb",
    &["**/*.ipynb", "**/.ipynb_checkpoints/**"],
    "add `*.ipynb` and `.ipynb_checkpoints` to .dockerignore",
)];

const TEST_SUITE: &[R] = &[
    R {
        installed_exempt: true,
        ..r(
            "test_suite.tests-directory",
            &["**/tests/**", "**/test/**", "**/__tests__/**"],
            "add `tests` to .dockerignore (or COPY only the app's sources)",
        )
    },
    R {
        installed_exempt: true,
        ..r(
            "test_suite.test-file",
            &[
                "**/test_*.py",
                "**/*_test.py",
                "**/*_test.go",
                "**/*.test.js",
                "**/*.spec.js",
                "**/*.test.ts",
                "**/*.spec.ts",
                "**/conftest.py",
            ],
            "add test files to .dockerignore",
        )
    },
];

const DOCS: &[R] = &[
    R {
        installed_exempt: true,
        ..r(
            "docs.app-docs",
            &["**/docs/**", "**/doc/**"],
            "add `docs` to .dockerignore",
        )
    },
    R {
        sev: Severity::Info,
        min_total: 4 * MB,
        unless: &["/usr/share/doc/*/copyright"],
        ..r(
            "docs.system-docs",
            &[
                "/usr/share/doc/**",
                "/usr/share/man/**",
                "/usr/share/info/**",
                "/usr/share/gtk-doc/**",
            ],
            "install with `--no-install-recommends` and drop docs: `rm -rf /usr/share/doc/* /usr/share/man/*` in the same RUN (or a dpkg path-exclude)",
        )
    },
    R {
        sev: Severity::Info,
        min_total: 4 * MB,
        unless: &[
            "/usr/share/locale/locale.alias",
            "/usr/share/locale/en/**",
            "/usr/share/locale/en_US/**",
        ],
        ..r(
            "docs.locales",
            &["/usr/share/locale/**", "/usr/share/i18n/**"],
            "drop unused locales in the installing RUN (dpkg path-exclude=/usr/share/locale/*)",
        )
    },
];

const CACHE: &[R] = &[
    r(
        "package_cache.pip",
        &["**/.cache/pip/**"],
        "`pip install --no-cache-dir` (or `RUN --mount=type=cache,target=/root/.cache/pip`)",
    ),
    r(
        "package_cache.apt-lists",
        &["/var/lib/apt/lists/**"],
        "end the apt-get RUN with `&& rm -rf /var/lib/apt/lists/*`",
    ),
    r(
        "package_cache.apt-archives",
        &["/var/cache/apt/**"],
        "`apt-get clean` in the same RUN (or a cache mount on /var/cache/apt)",
    ),
    r(
        "package_cache.apk",
        &["/var/cache/apk/**", "/etc/apk/cache/**"],
        "`apk add --no-cache`",
    ),
    r(
        "package_cache.yum-dnf",
        &["/var/cache/yum/**", "/var/cache/dnf/**"],
        "`dnf clean all` / `yum clean all` in the same RUN",
    ),
    r(
        "package_cache.npm",
        &[
            "**/.npm/_cacache/**",
            "**/.npm/_logs/**",
            "**/.cache/yarn/**",
            "**/.yarn/cache/**",
            "**/.local/share/pnpm/store/**",
            "**/.pnpm-store/**",
            "/usr/local/share/.cache/yarn/**",
        ],
        "`npm ci && npm cache clean --force` in one RUN, or a cache mount",
    ),
    r(
        "package_cache.cargo",
        &[
            "**/.cargo/registry/**",
            "**/.cargo/git/**",
            "**/target/debug/**",
            "**/target/release/build/**",
            "**/target/release/deps/**",
            "**/target/release/incremental/**",
        ],
        "build in a builder stage and COPY only the binary",
    ),
    r(
        "package_cache.go",
        &["**/.cache/go-build/**", "**/go/pkg/mod/**"],
        "build in a builder stage and COPY only the binary (or a cache mount)",
    ),
    r(
        "package_cache.home-cache",
        &["/root/.cache/**", "/home/*/.cache/**"],
        "keep tool caches out of the image: delete `~/.cache` in the RUN that fills it, or use `RUN --mount=type=cache`",
    ),
    r(
        "package_cache.conda",
        &[
            "/opt/conda/pkgs/**",
            "**/miniconda3/pkgs/**",
            "**/anaconda3/pkgs/**",
        ],
        "`conda clean -afy` in the same RUN",
    ),
    R {
        unless: &[
            "**/site-packages/**",
            "**/dist-packages/**",
            "/usr/lib/**",
            "/usr/share/**",
            "/usr/local/lib/**",
            "/opt/conda/**",
        ],
        ..r(
            "package_cache.pycache",
            &["**/__pycache__/**"],
            "set `PYTHONDONTWRITEBYTECODE=1` and add `__pycache__` to .dockerignore",
        )
    },
];

const TEMP: &[R] = &[
    r(
        "temp_file.tmp",
        &["/tmp/**", "/var/tmp/**"],
        "delete temp files in the RUN that writes them (or use a tmpfs mount)",
    ),
    // Only a real core dump: `core.5.gz` is the core(5) man page, and a `core` may be a
    // script or a package's directory name.
    R {
        magic: &[Magic::ElfCore],
        ..r(
            "temp_file.core-dump",
            &["**/core", "**/core.[0-9]*"],
            "delete core dumps; never COPY them",
        )
    },
    r(
        "temp_file.editor-junk",
        &[
            "**/.DS_Store",
            "**/Thumbs.db",
            "**/*.swp",
            "**/*.swo",
            "**/*~",
            "**/.idea/**",
            "**/.vscode/**",
        ],
        "add editor and OS junk to .dockerignore",
    ),
];

/// Toolchains installed without a package manager, found by where their installers put
/// them (the dpkg and apk ones come from the package databases).
const TOOLCHAIN: &[R] = &[
    r(
        "build_toolchain.rustup",
        &[
            "**/.rustup/toolchains/**",
            "/usr/local/rustup/toolchains/**",
        ],
        "a Rust toolchain from rustup: build in a builder stage (`FROM rust AS build`) and COPY only the binary, or the wheel it built, into a runtime stage without it",
    ),
    r(
        "build_toolchain.go",
        &["/usr/local/go/**"],
        "a Go toolchain: build in a builder stage (`FROM golang AS build`) and COPY only the binary into a runtime stage without it",
    ),
];

const LOGS: &[R] = &[R {
    // A `.log` that a package ships (test data, a doc's sample) was not written by the
    // build; `/var/log` is not an installed place, so the build's logs are still found.
    installed_exempt: true,
    ..r(
        "log_file.log",
        &["**/*.log", "/var/log/**"],
        "delete logs in the RUN that writes them (`/var/log/apt`, `/var/log/dpkg.log`), and .dockerignore `*.log`",
    )
}];

/// The built-in rules, category by category in table order.
pub fn builtin() -> Vec<PathRule> {
    let tables: &[(Category, &[R])] = &[
        (Category::Vcs, VCS),
        (Category::Dataset, DATASET),
        (Category::ModelWeights, MODEL),
        (Category::Notebook, NOTEBOOK),
        (Category::TestSuite, TEST_SUITE),
        (Category::Docs, DOCS),
        (Category::PackageCache, CACHE),
        (Category::BuildToolchain, TOOLCHAIN),
        (Category::TempFile, TEMP),
        (Category::LogFile, LOGS),
    ];
    let mut out = Vec::new();
    for (cat, table) in tables {
        for r in *table {
            let mut unless: Vec<String> = r.unless.iter().map(|s| s.to_string()).collect();
            if r.installed_exempt {
                unless.extend(INSTALLED.iter().map(|s| s.to_string()));
            }
            out.push(PathRule {
                id: r.id.to_string(),
                category: *cat,
                severity: r.sev,
                globs: r.globs.iter().map(|s| s.to_string()).collect(),
                unless,
                min_file: r.min_file,
                magic: r.magic.to_vec(),
                min_total: r.min_total,
                fix: r.fix.to_string(),
            });
        }
    }
    out
}

impl PathRule {
    fn admits(&self, size: u64, magic: Magic) -> bool {
        size >= self.min_file && self.accepts(magic)
    }

    /// True when a file of `magic` can match: the rule names no magic, or this one.
    fn accepts(&self, magic: Magic) -> bool {
        self.magic.is_empty() || self.magic.contains(&magic)
    }
}

/// A findings glob as matched: a pattern without a leading `/` (and not starting with
/// `**`) may match at any depth, as in .dockerignore-style rules.
fn anchored(pat: &str) -> String {
    if pat.starts_with('/') || pat.starts_with("**") {
        pat.to_string()
    } else {
        format!("**/{pat}")
    }
}

/// Compiles a findings glob (`*`, `**`, `?`, `[0-9]`), anchored as [`anchored`] says.
pub fn compile(pat: &str) -> Result<globset::Glob, String> {
    compile_anchored(&anchored(pat), pat)
}

fn compile_anchored(anchored: &str, pat: &str) -> Result<globset::Glob, String> {
    globset::GlobBuilder::new(anchored)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map_err(|e| format!("bad glob {pat:?}: {}", e.kind()))
}

/// Every rule's globs compiled into automata, so a path is scanned once for all rules,
/// not once per glob (a backtracking matcher per glob was a quarter of the run time on a
/// 167k-file image). The globs are split by shape, for the rules and their `unless`
/// exemptions alike:
///
/// - `**`, which matches every path, needs no matching;
/// - `DIR/**` is matched as `DIR` once per directory, not once per file (a file matches
///   when one of its ancestors does); most rules name a directory;
/// - the rest are matched per file.
///
/// Both per directory and per file, a glob `**/NAME` (NAME without `/`) is matched
/// against the name only, and any other glob against the whole path, built only when the
/// name matches the glob's last component.
#[derive(Debug, Clone)]
pub struct RuleMatcher<'r> {
    rules: &'r [PathRule],
    /// Globs of the rules.
    matches: Split,
    /// Globs of the rules' `unless` lists.
    unless: Split,
    ignore: globset::GlobSet,
}

/// A set of globs split by shape (see [`RuleMatcher`]), each glob knowing its rule.
#[derive(Debug, Clone)]
struct Split {
    /// Rules with a `**` glob.
    all: Vec<usize>,
    /// Globs matched per file.
    files: Tiered,
    /// `DIR/**` globs, as `DIR`: matched per directory.
    dirs: Tiered,
}

/// Globs matched against one path (a file's or a directory's) at two costs: `**/NAME`
/// globs against the name alone, the others against the whole path, which is built only
/// when the name matches one of their last components (`*`, `?` and classes stay within
/// a component, so a glob's last component must match the name).
#[derive(Debug, Clone)]
struct Tiered {
    names: NameGlobs,
    name_rule: Vec<usize>,
    whole: globset::GlobSet,
    whole_rule: Vec<usize>,
    /// The whole-path globs' last components.
    whole_last: NameGlobs,
    /// True when a whole-path glob gives no last component to test (it ends in `**`,
    /// or has braces, which may hold a `/`).
    whole_any_name: bool,
}

impl Tiered {
    fn is_empty(&self) -> bool {
        self.names.is_empty() && self.whole.is_empty()
    }

    /// Sets `out[rule]` for the rules whose globs match the path named `name` whose
    /// whole form `whole` builds. With `only`, whole-path globs are tried only for the
    /// rules it holds. `scratch` keeps glob indexes. Returns true when anything matched.
    fn mark(
        &self,
        name: &[u8],
        whole: &mut WholePath<'_>,
        only: Option<&RuleSet>,
        scratch: &mut Vec<usize>,
        out: &mut RuleSet,
    ) -> bool {
        let mut any = false;
        if !self.names.is_empty() {
            self.names.matches_into(name, scratch);
            any |= mark(scratch, &self.name_rule, out);
        }
        if self.whole.is_empty() {
            return any;
        }
        let wanted = match only {
            None => true,
            Some(only) => self.whole_rule.iter().any(|&r| only.contains(r)),
        };
        if wanted && (self.whole_any_name || self.whole_last.is_match(name, scratch)) {
            self.whole
                .matches_into(as_path(whole.get()).as_ref(), scratch);
            any |= mark(scratch, &self.whole_rule, out);
        }
        any
    }

    /// True when no glob can match a path named `name`, whatever its directory: no
    /// name glob matches it and no whole-path glob's last component does.
    fn never_matches(&self, name: &[u8], scratch: &mut Vec<usize>) -> bool {
        !(self.names.is_match(name, scratch)
            || (!self.whole.is_empty()
                && (self.whole_any_name || self.whole_last.is_match(name, scratch))))
    }
}

struct TieredBuilder {
    names: NameGlobsBuilder,
    name_rule: Vec<usize>,
    whole: globset::GlobSetBuilder,
    whole_rule: Vec<usize>,
    whole_last: NameGlobsBuilder,
    whole_any_name: bool,
}

impl TieredBuilder {
    fn new() -> TieredBuilder {
        TieredBuilder {
            names: NameGlobsBuilder::new(),
            name_rule: Vec::new(),
            whole: globset::GlobSetBuilder::new(),
            whole_rule: Vec::new(),
            whole_last: NameGlobsBuilder::new(),
            whole_any_name: false,
        }
    }

    /// Adds `anchored`, a glob of rule `rule` (`source` as written, for errors).
    fn add(&mut self, anchored: &str, source: &str, rule: usize) -> Result<(), String> {
        let name = anchored
            .strip_prefix("**/")
            .filter(|n| !n.is_empty() && !n.contains('/') && !n.contains("**"));
        if let Some(name) = name {
            self.names.add(name, compile_anchored(name, source)?);
            self.name_rule.push(rule);
            return Ok(());
        }
        self.whole.add(compile_anchored(anchored, source)?);
        self.whole_rule.push(rule);
        match anchored.rsplit('/').next() {
            Some(last) if !last.is_empty() && !last.contains("**") && !anchored.contains('{') => {
                self.whole_last.add(last, compile_anchored(last, source)?);
            }
            _ => self.whole_any_name = true,
        }
        Ok(())
    }

    fn build(self) -> Result<Tiered, String> {
        let build = |b: globset::GlobSetBuilder| b.build().map_err(|e| e.to_string());
        Ok(Tiered {
            names: self.names.build()?,
            name_rule: self.name_rule,
            whole: build(self.whole)?,
            whole_rule: self.whole_rule,
            whole_last: self.whole_last.build()?,
            whole_any_name: self.whole_any_name,
        })
    }
}

struct SplitBuilder {
    all: Vec<usize>,
    files: TieredBuilder,
    dirs: TieredBuilder,
}

impl SplitBuilder {
    fn new() -> SplitBuilder {
        SplitBuilder {
            all: Vec::new(),
            files: TieredBuilder::new(),
            dirs: TieredBuilder::new(),
        }
    }

    fn add(&mut self, glob: &str, rule: usize) -> Result<(), String> {
        let a = anchored(glob);
        let dir = a
            .strip_suffix("/**")
            .filter(|d| !d.is_empty() && !d.ends_with('/'));
        if a == "**" {
            self.all.push(rule);
            Ok(())
        } else if let Some(dir) = dir {
            self.dirs.add(dir, glob, rule)
        } else {
            self.files.add(&a, glob, rule)
        }
    }

    fn build(self) -> Result<Split, String> {
        Ok(Split {
            all: self.all,
            files: self.files.build()?,
            dirs: self.dirs.build()?,
        })
    }
}

/// Sets `out[rules[g]]` for each glob `g` of `globs`; true when there was one.
fn mark(globs: &[usize], rules: &[usize], out: &mut RuleSet) -> bool {
    set(globs.iter().filter_map(|&g| rules.get(g)), out);
    !globs.is_empty()
}

/// Sets `out[r]` for each rule `r` of `rules`; true when there was one.
fn set<'a>(rules: impl IntoIterator<Item = &'a usize>, out: &mut RuleSet) -> bool {
    let mut any = false;
    for &r in rules {
        out.insert(r);
        any = true;
    }
    any
}

/// A set of rule numbers: a flag per rule for lookups, and the list of those set, so
/// that clearing and walking cost what was set rather than the number of rules.
#[derive(Debug, Default, Clone)]
pub struct RuleSet {
    on: Vec<bool>,
    list: Vec<usize>,
}

impl RuleSet {
    /// Empties the set, for rule numbers below `n`.
    fn reset(&mut self, n: usize) {
        for &r in &self.list {
            if let Some(slot) = self.on.get_mut(r) {
                *slot = false;
            }
        }
        self.list.clear();
        self.on.resize(n, false);
    }

    fn insert(&mut self, r: usize) {
        if let Some(slot) = self.on.get_mut(r)
            && !*slot
        {
            *slot = true;
            self.list.push(r);
        }
    }

    /// True when rule `r` is in the set.
    pub fn contains(&self, r: usize) -> bool {
        self.on.get(r).copied().unwrap_or(false)
    }

    /// Puts the list of rules in the set in the rules' order.
    fn sort(&mut self) {
        self.list.sort_unstable();
    }

    /// The rules in the set, in the order they were added (or [`RuleSet::sort`]ed).
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.list.iter().copied()
    }
}

/// Scratch space reused across paths.
#[derive(Debug, Default)]
pub struct Hits {
    globs: Vec<usize>,
    rules: RuleSet,
    exempt: RuleSet,
    path: Vec<u8>,
    any: bool,
    /// File names known to match no file glob, wherever they are: see [`QuietNames`].
    quiet: QuietNames,
}

/// Whether a name can match any glob of a set, remembered per distinct name: names
/// repeat (`__init__.py`, `METADATA`, `lib`, `tests` in every package), and a lookup costs
/// less than trying the globs. Keyed by the name's hash, with a path of that name to
/// compare against, so a hash collision costs a retry, never a wrong answer.
#[derive(Debug, Default)]
struct QuietNames {
    seen: HashMap<u64, (PathId, bool)>,
    hasher: foldhash::fast::FixedState,
}

impl QuietNames {
    /// Remembers at most this many names (about 20 bytes each).
    const MAX: usize = 1 << 14;

    /// Whether the name of `file` in `paths` (`name`) never matches, from memory, or
    /// from `decide` the first time.
    fn never_matches(
        &mut self,
        paths: &PathTable,
        file: PathId,
        name: &[u8],
        decide: impl FnOnce() -> bool,
    ) -> bool {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(name);
        if let Some(&(other, never)) = self.seen.get(&h)
            && paths.name(other) == name
        {
            return never;
        }
        let never = decide();
        if self.seen.len() < QuietNames::MAX {
            self.seen.insert(h, (file, never));
        }
        never
    }
}

impl Hits {
    /// True when some rule's glob matched the last path.
    pub fn any(&self) -> bool {
        self.any
    }

    /// The rules whose globs matched the last path, in the rules' order.
    pub fn matched(&self) -> &[usize] {
        &self.rules.list
    }
}

/// What the `DIR/**` globs say of one directory (matched by it or by an ancestor).
#[derive(Debug, Default, Clone)]
pub struct DirMatch {
    /// Rules whose globs match every file below.
    rules: Vec<usize>,
    /// Rules an `unless` glob exempts every file below from.
    exempt: Vec<usize>,
}

/// The [`DirMatch`] of every directory that has one: see [`RuleMatcher::dir_rules`].
/// A directory's is a number into the distinct ones, by path id: a directory that
/// matches nothing itself shares its parent's.
#[derive(Debug, Default)]
pub struct DirRules {
    /// By path id: the directory's match, or `NO_MATCH`.
    of: Vec<u32>,
    matches: Vec<DirMatch>,
}

const NO_MATCH: u32 = u32::MAX;

impl DirRules {
    /// What the directory globs say of the files in `dir`.
    pub fn of(&self, dir: PathId) -> &DirMatch {
        static NONE: DirMatch = DirMatch {
            rules: Vec::new(),
            exempt: Vec::new(),
        };
        self.of
            .get(dir as usize)
            .and_then(|&m| self.matches.get(m as usize))
            .unwrap_or(&NONE)
    }

    fn get(&self, dir: PathId) -> u32 {
        self.of.get(dir as usize).copied().unwrap_or(NO_MATCH)
    }
}

/// A file's whole path, built the first time it is asked for.
struct WholePath<'a> {
    paths: &'a PathTable,
    /// The file or directory.
    file: PathId,
    buf: &'a mut Vec<u8>,
    built: bool,
}

impl WholePath<'_> {
    fn get(&mut self) -> &[u8] {
        if !self.built {
            self.paths.path_into(self.file, self.buf);
            self.built = true;
        }
        self.buf
    }
}

impl<'r> RuleMatcher<'r> {
    /// Compiles `rules` and the `ignore` globs.
    pub fn new(rules: &'r [PathRule], ignore: &[String]) -> Result<RuleMatcher<'r>, String> {
        let mut matches = SplitBuilder::new();
        let mut unless = SplitBuilder::new();
        for (i, r) in rules.iter().enumerate() {
            for g in &r.globs {
                matches.add(g, i)?;
            }
            for g in &r.unless {
                unless.add(g, i)?;
            }
        }
        let mut ig = globset::GlobSetBuilder::new();
        for g in ignore {
            ig.add(compile(g)?);
        }
        Ok(RuleMatcher {
            rules,
            matches: matches.build()?,
            unless: unless.build()?,
            ignore: ig.build().map_err(|e| e.to_string())?,
        })
    }

    /// True when `path` matches an ignore glob.
    pub fn ignored(&self, path: &[u8]) -> bool {
        !self.ignore.is_empty() && self.ignore.is_match(as_path(path).as_ref())
    }

    /// What the directory globs say of every directory that holds one of `files` (and
    /// of their ancestors), each directory matched once. Parents have smaller ids than
    /// their children, so walking the ids in order inherits from a parent already done.
    pub fn dir_rules(&self, paths: &PathTable, files: impl Iterator<Item = PathId>) -> DirRules {
        let mut out = DirRules::default();
        if self.matches.dirs.is_empty() && self.unless.dirs.is_empty() {
            return out;
        }
        // The directories to match, by id (ids are dense); their matches go in the same
        // table once they are known.
        const NEEDED: u32 = NO_MATCH - 1;
        out.of = vec![NO_MATCH; paths.len()];
        for f in files {
            let mut d = paths.parent(f);
            while d != ROOT {
                match out.of.get_mut(d as usize) {
                    Some(seen) if *seen == NO_MATCH => *seen = NEEDED,
                    _ => break,
                }
                d = paths.parent(d);
            }
        }
        let n = self.rules.len();
        let (mut rules, mut exempt) = (RuleSet::default(), RuleSet::default());
        let (mut path, mut scratch) = (Vec::new(), Vec::new());
        // Directory names repeat (`lib`, `src`, `tests` in every package): whether a name
        // can match at all is decided once per distinct name.
        let mut quiet = QuietNames::default();
        for d in 0..out.of.len() {
            if out.of.get(d) != Some(&NEEDED) {
                continue;
            }
            let Ok(d) = PathId::try_from(d) else {
                break;
            };
            let name = paths.name(d);
            let never = quiet.never_matches(paths, d, name, || {
                self.matches.dirs.never_matches(name, &mut scratch)
                    && self.unless.dirs.never_matches(name, &mut scratch)
            });
            if never {
                let parent = out.get(paths.parent(d));
                if let Some(slot) = out.of.get_mut(d as usize) {
                    *slot = parent;
                }
                continue;
            }
            let mut whole = WholePath {
                paths,
                file: d,
                buf: &mut path,
                built: false,
            };
            rules.reset(n);
            exempt.reset(n);
            let matched = self
                .matches
                .dirs
                .mark(name, &mut whole, None, &mut scratch, &mut rules);
            let exempted = self
                .unless
                .dirs
                .mark(name, &mut whole, None, &mut scratch, &mut exempt);
            // Parents have smaller ids: the parent's match is known.
            let parent = out.get(paths.parent(d));
            let own = if !matched && !exempted {
                parent
            } else {
                let mut dm = out
                    .matches
                    .get(parent as usize)
                    .cloned()
                    .unwrap_or_default();
                for (list, hit) in [(&mut dm.rules, &rules), (&mut dm.exempt, &exempt)] {
                    for r in hit.iter() {
                        if !list.contains(&r) {
                            list.push(r);
                        }
                    }
                }
                out.matches.push(dm);
                u32::try_from(out.matches.len() - 1).unwrap_or(NO_MATCH)
            };
            if let Some(slot) = out.of.get_mut(d as usize) {
                *slot = own;
            }
        }
        out
    }

    /// True when there are ignore globs (a file's whole path is needed to check them).
    pub fn has_ignores(&self) -> bool {
        !self.ignore.is_empty()
    }

    /// Matches the file `file` of `paths`: fills `hits` with the rules whose globs match
    /// it (`hits.rules`), given `dir`, what its directory matched
    /// ([`RuleMatcher::dir_rules`]), and those an `unless` glob exempts (`hits.exempt`).
    /// Rules with a `**` glob match only files of a `magic` they accept; otherwise size
    /// and magic are not checked. Returns false (and matches nothing) when an
    /// ignore glob matches the file.
    pub fn matches_into(
        &self,
        paths: &PathTable,
        file: PathId,
        dir: &DirMatch,
        magic: Magic,
        hits: &mut Hits,
    ) -> bool {
        let n = self.rules.len();
        hits.rules.reset(n);
        hits.exempt.reset(n);
        hits.any = false;
        let Hits {
            globs,
            rules,
            exempt,
            path,
            any,
            quiet,
        } = hits;
        let mut whole = WholePath {
            paths,
            file,
            buf: path,
            built: false,
        };
        if !self.ignore.is_empty() && self.ignore.is_match(as_path(whole.get()).as_ref()) {
            return false;
        }
        let name = paths.name(file);
        // A `**` glob matches every file: such a rule is about content, and only a file
        // of a magic it accepts can match it.
        let by_content = self
            .matches
            .all
            .iter()
            .filter(|&&r| self.rules.get(r).is_some_and(|rule| rule.accepts(magic)));
        let files = &self.matches.files;
        let by_name = !quiet.never_matches(paths, file, name, || files.never_matches(name, globs))
            && files.mark(name, &mut whole, None, globs, rules);
        *any = set(by_content, rules) | by_name | set(&dir.rules, rules);
        if !*any {
            return true;
        }
        rules.sort();
        set(&self.unless.all, exempt);
        // An exemption matters only for a rule that matched.
        self.unless
            .files
            .mark(name, &mut whole, Some(rules), globs, exempt);
        set(&dir.exempt, exempt);
        true
    }

    /// True when rule `i` matched in `hits` and admits a file of `size` and `magic`.
    pub fn rule_matches(&self, hits: &Hits, i: usize, size: u64, magic: Magic) -> bool {
        hits.rules.contains(i)
            && !hits.exempt.contains(i)
            && self.rules.get(i).is_some_and(|r| r.admits(size, magic))
    }
}

/// An image path as a host `Path` for globset, bytes kept as they are on Unix.
pub(super) fn as_path(bytes: &[u8]) -> std::borrow::Cow<'_, std::path::Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(String::from_utf8_lossy(bytes).into_owned().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Matches `path` against the findings glob `pat` (see [`compile`]); a bad glob matches
    /// nothing.
    fn glob(pat: &[u8], path: &[u8]) -> bool {
        let Ok(pat) = std::str::from_utf8(pat) else {
            return false;
        };
        compile(pat).is_ok_and(|g| g.compile_matcher().is_match(as_path(path).as_ref()))
    }

    /// The split matcher (directory globs once per directory, name globs on the file
    /// name, the rest on the whole path) finds exactly what each glob on the whole path
    /// finds.
    #[test]
    fn split_matching_equals_whole_path_matching() {
        let rules = builtin();
        let m = RuleMatcher::new(&rules, &[]).expect("compile");
        let samples: &[&[u8]] = &[
            b"/srv/app/.git/HEAD",
            b"/srv/app/.git",
            b"/srv/app/.gitignore",
            b"/data/train.csv",
            b"/data/x.csv.gz",
            b"/root/.cache/pip/http/ab/cd",
            b"/usr/share/doc/bash/copyright",
            b"/usr/share/doc/bash/x/copyright",
            b"/usr/lib/python3/site-packages/numpy/tests/test_a.py",
            b"/app/tests/test_model.py",
            b"/app/core.123",
            b"/app/model/variables/variables.data-00000-of-00001",
            b"/var/cache/apt/archives/x.deb",
            b"/tmp/build/x.o",
            b"/node_modules/a/b.js",
            b"/notebooks/eda.ipynb",
            b"/weights.safetensors",
            b"/usr/include/stdio.h",
            b"/opt/conda/pkgs/x.tar.bz2",
            b"/home/u/.DS_Store",
            // Names seen again elsewhere: answered from what was learnt of the name.
            b"/srv/test_model.py",
            b"/srv/copyright",
            b"/srv/tests/copyright",
            b"/opt/variables/variables.data-1",
            b"/opt/variables.data-1",
            b"/app/lib/core.123",
        ];
        let mut table = PathTable::default();
        let ids: Vec<PathId> = samples.iter().map(|p| table.intern(p).0).collect();
        let dirs = m.dir_rules(&table, ids.iter().copied());
        let mut hits = Hits::default();
        for (p, id) in samples.iter().zip(&ids) {
            assert!(m.matches_into(
                &table,
                *id,
                dirs.of(table.parent(*id)),
                Magic::Unknown,
                &mut hits
            ));
            for (i, r) in rules.iter().enumerate() {
                // `**` rules are about content: none accepts an unknown magic.
                let by_content = r.globs.iter().any(|g| g == "**") && !r.magic.is_empty();
                let whole = !by_content && r.globs.iter().any(|g| glob(g.as_bytes(), p));
                assert_eq!(
                    hits.rules.contains(i),
                    whole,
                    "{} on {}",
                    r.id,
                    String::from_utf8_lossy(p)
                );
                if whole {
                    let exempt = r.unless.iter().any(|g| glob(g.as_bytes(), p));
                    assert_eq!(
                        hits.exempt.contains(i),
                        exempt,
                        "{} unless on {}",
                        r.id,
                        String::from_utf8_lossy(p)
                    );
                }
            }
        }
    }

    #[test]
    fn globs() {
        assert!(glob(b"**/.git/**", b"/srv/app/.git/HEAD"));
        assert!(glob(b"**/.git/**", b"/.git/objects/ab/cd"));
        assert!(!glob(b"**/.git/**", b"/srv/app/.gitignore"));
        assert!(glob(b"**/*.csv", b"/data/x.csv"));
        assert!(!glob(b"/tmp/**", b"/srv/tmp/x"));
        assert!(glob(b"/tmp/**", b"/tmp/a/b"));
        assert!(glob(b"*.log", b"/var/log/x.log"));
        assert!(glob(
            b"/usr/share/doc/*/copyright",
            b"/usr/share/doc/bash/copyright"
        ));
        assert!(!glob(
            b"/usr/share/doc/*/copyright",
            b"/usr/share/doc/bash/x/copyright"
        ));
        assert!(glob(b"**/core.[0-9]*", b"/app/core.123"));
    }
}
