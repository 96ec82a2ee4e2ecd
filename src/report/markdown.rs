//! The `diff` report as Markdown, short enough for a pull-request comment: the verdict as
//! a heading, the totals, and the long sections folded in `<details>`.
//!
//! Text is escaped and paths sit in code spans (see [`super::text`]), so no path can
//! break the layout or turn bold.

use super::Options;
use super::diff_table::verdict;
use super::text::md_text;
use crate::model::diff::ImageDiff;
use std::io::{self, Write};

/// Renders the diff as Markdown: the verdict as a heading, then the sections of
/// [`super::diff_doc`], the long ones folded in `<details>`.
pub fn render_diff(d: &ImageDiff, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "### deadweight diff: {}",
        md_text(&verdict(d, opts.bytes))
    )?;
    writeln!(out)?;
    super::doc::markdown(&super::diff_doc::blocks(d, opts), out)
}
