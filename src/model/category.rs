//! A finding's category: what a finding is about. One type for the findings (`analyze`
//! makes them) and for `[[findings.rules]]` in `deadweight.toml` (its JSON Schema); the
//! JSON names ([`Category::name`]) are part of the report's contract.

use schemars::JsonSchema;
use serde::Deserialize;

/// What a finding is about. The names are part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
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

    /// The category's bit in a set of categories (`u32`: 16 categories).
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }
}
