//! The findings' globs: `*` matches within one path component, `**` across components,
//! `?` one byte, classes (`[0-9]`) one of theirs; a pattern without a leading `/` (and not
//! starting with `**`) may match at any depth, as in .dockerignore-style rules. Image
//! paths are bytes, matched as they are.

/// A glob that does not compile, or a set of them that globset cannot build.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GlobError {
    /// One glob is malformed.
    #[error("bad glob {pattern:?}: {kind}")]
    Bad {
        /// The glob as written.
        pattern: String,
        /// What is wrong with it.
        kind: globset::ErrorKind,
    },
    /// The compiled globs could not be combined into one set.
    #[error("{0}")]
    Set(#[from] globset::Error),
}

/// A findings glob as matched: a pattern without a leading `/` (and not starting with
/// `**`) may match at any depth, as in .dockerignore-style rules.
pub(super) fn anchored(pat: &str) -> String {
    if pat.starts_with('/') || pat.starts_with("**") {
        pat.to_string()
    } else {
        format!("**/{pat}")
    }
}

/// Compiles a findings glob (`*`, `**`, `?`, `[0-9]`), anchored as [`anchored`] says.
pub fn compile(pat: &str) -> Result<globset::Glob, GlobError> {
    compile_anchored(&anchored(pat), pat)
}

/// Compiles `anchored`, the anchored form of `pat` (as written, for the error).
pub(super) fn compile_anchored(anchored: &str, pat: &str) -> Result<globset::Glob, GlobError> {
    globset::GlobBuilder::new(anchored)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map_err(|e| GlobError::Bad {
            pattern: pat.to_string(),
            kind: e.kind().clone(),
        })
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
