//! The human-readable `diff` report: the verdict first, then the sections of
//! [`super::diff_doc`]; and the figures' wording (signed counts and percentages, the
//! verdict) that every diff renderer shares.

use super::ByteFormat;
use super::Options;
use crate::model::diff::ImageDiff;
use std::io::{self, Write};

pub use super::cells::{rows, signed_count, signed_percent};

/// How much larger or smaller: `97.0 MB (42.7%) smaller`.
fn change(bytes: ByteFormat, delta: i64, before: u64) -> String {
    if delta == 0 {
        return "the same size".to_string();
    }
    let magnitude = bytes.format(delta.unsigned_abs());
    let pct = if before == 0 {
        String::new()
    } else {
        format!(
            " ({:.1}%)",
            delta.unsigned_abs() as f64 * 100.0 / before as f64
        )
    };
    let dir = if delta < 0 { "smaller" } else { "larger" };
    format!("{magnitude}{pct} {dir}")
}

/// The one-line verdict: uncompressed size (what `docker images` shows), stored size (what
/// a pull moves), findings fixed and new.
pub fn verdict(d: &ImageDiff, bytes: ByteFormat) -> String {
    let b = &d.before.totals;
    let size = change(bytes, d.delta.content_bytes, b.content_bytes);
    let stored = change(bytes, d.delta.blob_bytes, b.blob_bytes);
    let findings = if d.findings.fixed.is_empty()
        && d.findings.new.is_empty()
        && d.findings.remaining.is_empty()
    {
        "no findings on either side".to_string()
    } else {
        format!(
            "{} finding{} fixed, {} new",
            d.findings.fixed.len(),
            if d.findings.fixed.len() == 1 { "" } else { "s" },
            d.findings.new.len()
        )
    };
    format!("AFTER is {size} (stored: {stored}); {findings}")
}

/// Renders the diff as text: the verdict, then the sections of
/// [`super::diff_doc`] as tables, without trailing spaces.
pub fn render(d: &ImageDiff, opts: &Options, out: &mut dyn Write) -> io::Result<()> {
    let mut out = super::text::TrimEnd::new(out);
    writeln!(out, "{}", verdict(d, opts.bytes))?;
    writeln!(out)?;
    super::doc::text(&super::diff_doc::blocks(d, opts), opts.width, &mut out)
}
