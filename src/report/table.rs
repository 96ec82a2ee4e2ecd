//! The human-readable `inspect` report (its sections are built in
//! [`super::inspect_doc`]); the table style and cell helpers are in [`super::cells`].

use super::Options;
use crate::model::inspect::InspectReport;

use std::io::{self, Write};

pub use super::cells::{cut, instruction};

/// Renders the inspect report as text: the sections of [`super::inspect_doc`] as
/// tables, without trailing spaces.
pub fn render(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let mut out = super::text::TrimEnd::new(out);
    super::doc::text(&super::inspect_doc::blocks(r, opts), opts.width, &mut out)
}

/// Renders the inspect report as GitHub-flavoured Markdown: the same sections.
pub fn render_markdown(r: &InspectReport, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let name = r.image.reference.as_deref().unwrap_or("(untagged)");
    writeln!(
        out,
        "### deadweight inspect: {}",
        super::text::md_code(name)
    )?;
    writeln!(out)?;
    super::doc::markdown(&super::inspect_doc::blocks(r, opts), out)
}
