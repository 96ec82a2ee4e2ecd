//! Typed errors of the library.
//!
//! Every error that comes from the input names where it was found: the file (or `-` for
//! standard input), the archive member and, where known, the layer. The binary prints it as
//! one line and exits with code 2.

use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The input file, folder or `-` for standard input.
    pub file: String,
    /// The member of the outer archive (or file of a layout folder), if any.
    pub member: Option<String>,
    /// The layer's index in the image, if known.
    pub layer: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(member) = &self.member {
            write!(f, ": member {member}")?;
        }
        if let Some(layer) = self.layer {
            write!(f, " (layer {layer})")?;
        }
        Ok(())
    }
}

/// An error of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not what it should be: bad archive, bad JSON, missing member, ...
    #[error("{location}: {problem}")]
    Input {
        /// Where.
        location: Box<Location>,
        /// What is wrong, in words.
        problem: String,
    },
    /// The caller asked for something the input does not have (an image ref, a platform).
    #[error("{0}")]
    Selection(String),
    /// A registry or daemon could not give the image; the message names the registry and
    /// repository, or the socket, and what to do.
    #[error("{0}")]
    Source(String),
    /// Reading the input failed below the archive level (permissions, a closed pipe, ...).
    #[error("{path}: {source}")]
    Io {
        /// The file being read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A bug in deadweight (a thread panicked): never the input's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An input error located in `file` only.
    pub fn input(file: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Input {
            location: Box::new(Location {
                file: file.into(),
                ..Location::default()
            }),
            problem: problem.into(),
        }
    }

    /// An input error located at `location`.
    pub fn at(location: Location, problem: impl Into<String>) -> Self {
        Error::Input {
            location: Box::new(location),
            problem: problem.into(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
