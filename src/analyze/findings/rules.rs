//! The path rules: one table per category, one entry per rule. A file matches a rule when
//! its path matches one of the rule's globs, none of its `unless` globs, it is at least
//! `min_file` bytes, and (where the rule says) its first bytes have one of the magics.
//!
//! Globs: `*` matches within one path component, `**` across components, `?` one byte;
//! paths start with `/`. A category's first matching rule claims the file, so a byte
//! counts once per category.

use super::magic::Magic;
use super::model::{Category, Severity};

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
    pub(super) fn admits(&self, size: u64, magic: Magic) -> bool {
        size >= self.min_file && self.accepts(magic)
    }

    /// True when a file of `magic` can match: the rule names no magic, or this one.
    pub(super) fn accepts(&self, magic: Magic) -> bool {
        self.magic.is_empty() || self.magic.contains(&magic)
    }
}
