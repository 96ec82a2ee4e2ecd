//! The typed errors of budgets: what is wrong with one value a rule source gives
//! ([`ValueError`], which [`ConfigError`](super::ConfigError) places in a file and key), a
//! glob that does not compile ([`BadGlob`]), and why a rule could not be measured on an
//! image ([`Unmeasured`], which `check` shows as the reason a rule was skipped).
//!
//! The words are the ones users read in `check`'s output and errors; tests pin them.

use std::fmt;

use super::size::SizeError;

/// A path glob of `check` (`[paths] deny`, `--deny`) that globset does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad glob {glob:?}: {kind}")]
pub struct BadGlob {
    /// The glob as written.
    pub glob: String,
    /// What is wrong with it.
    pub kind: globset::ErrorKind,
}

/// What is wrong with one value of a rule (a size, a level, a rule's table, a glob list),
/// before [`ConfigError`](super::ConfigError) says in which file and under which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// A size or a percentage that does not read.
    Size(SizeError),
    /// A value of the wrong kind: `expected {what}`, then `, got {got}` when the value is
    /// worth showing (as written: quoted strings are quoted).
    Expected {
        /// What the key takes, in words (`a size like "450MB"`).
        what: &'static str,
        /// The value given, formatted for the message.
        got: Option<String>,
    },
    /// A problem with one key of a rule's table (`level`, `max`).
    Key {
        /// The key.
        key: String,
        /// What is wrong with its value.
        problem: Box<ValueError>,
    },
    /// A rule's table has a key other than its bound and `level`.
    UnknownTableKey {
        /// The key found.
        key: String,
        /// The bound the table takes: `max`, or `min` for a minimum.
        bound: &'static str,
    },
    /// A rule's table has no bound (and is not `{ level = "off" }`).
    NoBound {
        /// The bound the table takes: `max`, or `min` for a minimum.
        bound: &'static str,
    },
    /// A problem with one item of a glob list.
    Item {
        /// The item's index, from 0.
        index: usize,
        /// What is wrong with it.
        problem: Box<ValueError>,
    },
    /// A glob that does not compile.
    Glob(BadGlob),
}

/// The words of the levels a rule takes.
pub(super) const LEVELS: &str = "\"error\", \"warn\" or \"off\"";

impl ValueError {
    /// `expected {what}, got {got}`.
    pub(super) fn expected(what: &'static str, got: impl fmt::Display) -> Self {
        ValueError::Expected {
            what,
            got: Some(got.to_string()),
        }
    }

    /// `expected {what}`, for a value not worth repeating (a table, a list).
    pub(super) fn expected_only(what: &'static str) -> Self {
        ValueError::Expected { what, got: None }
    }

    /// `{key}: {problem}`.
    pub(super) fn at_key(key: impl Into<String>, problem: ValueError) -> Self {
        ValueError::Key {
            key: key.into(),
            problem: Box::new(problem),
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Size(e) => e.fmt(f),
            ValueError::Expected { what, got: None } => write!(f, "expected {what}"),
            ValueError::Expected {
                what,
                got: Some(got),
            } => write!(f, "expected {what}, got {got}"),
            ValueError::Key { key, problem } => write!(f, "{key}: {problem}"),
            ValueError::UnknownTableKey { key, bound } => {
                write!(
                    f,
                    "unknown key {key:?} in the table (expected {bound} and level)"
                )
            }
            ValueError::NoBound { bound } => write!(f, "the table needs a {bound} = ... key"),
            ValueError::Item { index, problem } => write!(f, "item {index}: {problem}"),
            ValueError::Glob(e) => e.fmt(f),
        }
    }
}

// No `source`: the message already holds the inner error's words, and a chain printer
// would say them twice.
impl std::error::Error for ValueError {}

impl From<SizeError> for ValueError {
    fn from(e: SizeError) -> Self {
        ValueError::Size(e)
    }
}

impl From<BadGlob> for ValueError {
    fn from(e: BadGlob) -> Self {
        ValueError::Glob(e)
    }
}

/// Why a rule has no value on an image; `check` skips the rule and shows this as the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmeasured {
    /// A percent budget on an image of 0 content bytes.
    #[error("the image has no content bytes to take a percent of")]
    NoContentBytes,
    /// A baseline rule without a baseline.
    #[error("no --baseline given")]
    NoBaseline,
    /// A growth percent against a baseline of 0 content bytes.
    #[error("the baseline has no content bytes")]
    EmptyBaseline,
    /// A deny rule on a report that lists no files.
    #[error("the report lists no files (made without --all-files)")]
    NoFileList,
    /// A deny rule with a glob that does not compile (a hand-made rule: the config
    /// readers check globs).
    #[error(transparent)]
    Glob(#[from] BadGlob),
}

#[cfg(test)]
mod tests {
    use super::super::config::{parse_config, toml_rule_value};

    /// The words of every value problem, as they read before the problems were typed
    /// (`ValueError`): users and scripts see them after `file: key: `.
    #[test]
    fn value_problems_keep_their_words() {
        let cases = [
            ("[budget]\nmax_blob_bytes = -5\n", "expected a size, got -5"),
            (
                "[budget]\nmax_blob_bytes = true\n",
                "expected a size like \"450MB\", got true",
            ),
            (
                "[budget]\nmax_blob_bytes = \"lots\"\n",
                "expected a size like \"450MB\" or \"1.5GiB\", got \"lots\"",
            ),
            (
                "[budget]\nmax_hidden_bytes = 1.5\n",
                "expected a size like \"450MB\" or a percent like \"5%\", got 1.5",
            ),
            (
                "[budget]\nmax_hidden_bytes = -1\n",
                "expected a size, got -1",
            ),
            (
                "[budget]\nmax_hidden_percent = -2\n",
                "expected a percentage like 5 or \"5%\", got -2",
            ),
            (
                "[budget]\nmax_hidden_percent = \"x%\"\n",
                "expected a percentage like \"5%\", got \"x%\"",
            ),
            (
                "[budget]\nmin_efficiency = \"abc\"\n",
                "expected a ratio between 0 and 1, got \"abc\"",
            ),
            (
                "[budget]\nmin_efficiency = true\n",
                "expected a ratio between 0 and 1, got true",
            ),
            (
                "[budget]\nmin_efficiency = 1.5\n",
                "expected a ratio between 0 and 1, got 1.5",
            ),
            (
                "[budget]\nmax_user_wasted_percent = -0.5\n",
                "expected a ratio of 0 or more, got -0.5",
            ),
            (
                "[budget]\nmax_layers = -1\n",
                "expected a non-negative integer, got -1",
            ),
            (
                "[budget]\nmax_layers = \"x\"\n",
                "expected a non-negative integer, got \"x\"",
            ),
            (
                "[budget]\nmax_layers = 1.5\n",
                "expected a non-negative integer, got 1.5",
            ),
            (
                "[budget]\nmax_layers = { max = 1, level = \"loud\" }\n",
                "level: expected \"error\", \"warn\" or \"off\", got \"loud\"",
            ),
            (
                "[budget]\nmax_layers = { max = 1, level = 3 }\n",
                "level: expected \"error\", \"warn\" or \"off\"",
            ),
            (
                "[budget]\nmax_layers = { max = [1] }\n",
                "max: expected a scalar value",
            ),
            (
                "[budget]\nmax_layers = [1]\n",
                "expected a value or a table { max = ..., level = \"warn\" }",
            ),
            (
                "[budget]\nmin_efficiency = { level = \"warn\" }\n",
                "the table needs a min = ... key",
            ),
            (
                "[baseline]\nno_new_error_findings = \"maybe\"\n",
                "expected \"error\", \"warn\", \"off\" or true/false, got \"maybe\"",
            ),
            (
                "[baseline]\nno_new_error_findings = 3\n",
                "expected \"error\", \"warn\", \"off\" or true/false, got Int(3)",
            ),
            (
                "[paths]\ndeny = \"x\"\n",
                "expected a list of globs, like [\"**/.git/**\"]",
            ),
            ("[paths]\ndeny = [1]\n", "item 0: expected a string glob"),
            (
                "[paths]\ndeny = [\"ok/**\", \"a[\"]\n",
                "item 1: bad glob \"a[\": unclosed character class; missing ']'",
            ),
            (
                "[security]\nroot_user = \"maybe\"\n",
                "expected \"error\", \"warn\" or \"off\", got \"maybe\"",
            ),
            (
                "[security]\nroot_user = 3\n",
                "expected \"error\", \"warn\" or \"off\", got Int(3)",
            ),
        ];
        for (text, problem) in cases {
            let e = parse_config(text, "my.toml").unwrap_err();
            assert_eq!(e.problem, problem, "{text}");
        }
        // A table key other than the bound: keys::validate names it first in a file, so
        // read the table directly.
        let table: toml::Value = toml::from_str("t = { most = 1 }").unwrap();
        assert_eq!(
            toml_rule_value(&table["t"], false).unwrap_err().to_string(),
            "unknown key \"most\" in the table (expected max and level)"
        );
    }
}
