//! The report stage: analysis in, bytes out. One renderer per format, each writing into
//! any `Write`; none prints or knows about terminals beyond the width it is given.

pub mod bytes;
pub mod cells;
pub mod check;
pub mod check_markdown;
pub mod check_table;
pub mod diff_doc;
pub mod diff_json;
pub mod diff_table;
pub mod doc;
pub mod dockerignore;
pub mod explore;
pub mod fstree;
pub mod html;
pub mod inspect_doc;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;
pub mod text;
pub mod tree;

pub use bytes::ByteFormat;

use std::io::{self, Write};

/// Output formats of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// The versioned JSON document.
    Json,
    /// A self-contained HTML page with a treemap.
    Html,
}

/// Options every renderer honours.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How sizes are shown.
    pub bytes: ByteFormat,
    /// Rows of the top lists.
    pub top: usize,
    /// Depth of the directory list.
    pub depth: u32,
    /// Columns available.
    pub width: u16,
    /// Include every visible file in JSON.
    pub all_files: bool,
    /// Lists by pull cost rather than bytes (`--sort stored`).
    pub sort_stored: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bytes: ByteFormat::Si,
            top: 10,
            depth: 3,
            width: 120,
            all_files: false,
            sort_stored: false,
        }
    }
}

/// Writes `report` as pretty JSON followed by a newline.
pub fn write_json<T: serde::Serialize>(report: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
