//! The `[findings]` section of `deadweight.toml`: the user's own path rules and paths to
//! ignore. Only this section is read here, but the whole file's tables and keys are
//! checked first ([`crate::analyze::budget::keys`]): a typo anywhere is an error.
//!
//! ```toml
//! [findings]
//! ignore = ["/srv/app/fixtures/**"]          # never a finding
//!
//! [[findings.rules]]
//! id = "dataset.blobs"                       # optional
//! category = "dataset"                       # one of the JSON categories
//! paths = ["/srv/app/blobs/**", "*.bin"]     # globs: *, **, ?; no leading / = any depth
//! severity = "warning"                       # optional: info, warning (default), error
//! fix = "fetch blobs at start"               # optional
//! min_bytes = 1024                           # optional: smaller files do not match
//! ```

use super::model::{Category, Severity};
use super::rules::{self, PathRule};
use serde::Deserialize;

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

/// A problem with the `[findings]` section.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML, or the section has the wrong shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    findings: Option<Section>,
}

#[derive(Debug, Default, Deserialize)]
struct Section {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    rules: Vec<UserRule>,
}

#[derive(Debug, Deserialize)]
struct UserRule {
    id: Option<String>,
    category: String,
    paths: Vec<String>,
    severity: Option<String>,
    fix: Option<String>,
    #[serde(default)]
    min_bytes: u64,
}

/// Adds the `[findings]` section of the TOML `text` (read from `file`) to `opts`: user
/// rules after the built-in ones (a user rule claims what no built-in rule of its
/// category did), ignores added.
pub fn apply(text: &str, file: &str, opts: &mut Options) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::Parse {
        file: file.to_string(),
        message,
    };
    // The whole file's tables and keys first: a typo anywhere fails closed.
    crate::analyze::budget::keys::validate(text, file).map_err(|e| ConfigError::Parse {
        file: e.file,
        message: format!("{}: {}", e.key, e.problem),
    })?;
    let parsed: File = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let Some(section) = parsed.findings else {
        return Ok(());
    };
    for g in section.ignore.iter() {
        super::glob::compile(g).map_err(|e| err(format!("[findings] ignore: {e}")))?;
    }
    opts.ignore.extend(section.ignore);
    for (i, r) in section.rules.into_iter().enumerate() {
        let category = Category::parse(&r.category).ok_or_else(|| {
            err(format!(
                "[findings] rule {}: unknown category {:?}",
                i + 1,
                r.category
            ))
        })?;
        let severity = match r.severity.as_deref() {
            None => Severity::Warning,
            Some(s) => Severity::parse(s)
                .ok_or_else(|| err(format!("[findings] rule {}: unknown severity {s:?}", i + 1)))?,
        };
        if r.paths.is_empty() {
            return Err(err(format!("[findings] rule {}: `paths` is empty", i + 1)));
        }
        for g in &r.paths {
            super::glob::compile(g).map_err(|e| err(format!("[findings] rule {}: {e}", i + 1)))?;
        }
        opts.rules.push(PathRule {
            id: r
                .id
                .unwrap_or_else(|| format!("{}.user-{}", category.name(), i + 1)),
            category,
            severity,
            globs: r.paths,
            unless: Vec::new(),
            min_file: r.min_bytes,
            magic: Vec::new(),
            min_total: 0,
            fix: r.fix.unwrap_or_else(|| {
                "a rule of deadweight.toml matched: remove it from the image".to_string()
            }),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_its_section() {
        let mut o = Options::default();
        let n = o.rules.len();
        apply(
            "[budget]\nmax_size = \"1GB\"\n[findings]\nignore = [\"/a/**\"]\n[[findings.rules]]\ncategory = \"dataset\"\npaths = [\"*.bin\"]\n",
            "deadweight.toml",
            &mut o,
        )
        .unwrap();
        assert_eq!(o.ignore, ["/a/**"]);
        assert_eq!(o.rules.len(), n + 1);
        assert_eq!(o.rules[n].id, "dataset.user-1");
        // A key of no section is an error, not ignored (the gate fails closed).
        let e = apply(
            "[findings]\nignore = []\nfuture = 1\n",
            "deadweight.toml",
            &mut o,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "deadweight.toml:3: [findings] future: unknown key (known: ignore, rules)"
        );
        assert!(
            apply(
                "[[findings.rules]]\ncategory = \"nope\"\npaths = [\"x\"]\n",
                "f",
                &mut o
            )
            .is_err()
        );
    }
}
