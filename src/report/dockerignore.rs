//! `inspect --suggest-dockerignore`: the lines to add to `.dockerignore`, heaviest first,
//! each under a comment saying what it saves. A `#` starts a comment only at the start of
//! a line in `.dockerignore`, so the figures go on their own lines.

use super::ByteFormat;
use crate::analyze::findings::Findings;
use std::io::{self, Write};

/// Writes the suggested lines for the image read from `source`.
pub fn render(
    f: &Findings,
    source: &str,
    bytes: ByteFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    if f.dockerignore.is_empty() {
        writeln!(
            out,
            "# deadweight: nothing in {source}'s COPY/ADD layers calls for a .dockerignore line"
        )?;
        return Ok(());
    }
    let total: u64 = f.dockerignore.iter().map(|l| l.bytes).sum();
    writeln!(
        out,
        "# .dockerignore lines suggested by deadweight for {source}: together they keep {} out of the image",
        bytes.format(total)
    )?;
    for l in &f.dockerignore {
        writeln!(out, "# {} ({})", bytes.format(l.bytes), l.category.name())?;
        writeln!(out, "{}", l.pattern)?;
    }
    Ok(())
}
