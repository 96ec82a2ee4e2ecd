//! The human-readable `diff` report: the verdict first, then the sections of
//! [`super::diff_doc`]; and the figures' wording (signed counts and percentages, the
//! verdict) that every diff renderer shares.

use super::ByteFormat;
use super::Options;
use super::bytes::group_thousands;
use crate::model::diff::ImageDiff;
use std::io::{self, Write};

/// Rows of a list cut at `--top`, where 0 means all.
pub fn rows(top: usize) -> usize {
    if top == 0 { usize::MAX } else { top }
}

/// A signed count with thousands separators: `+1,204`, `-3`, `0`.
pub fn signed_count(n: i64) -> String {
    let m = group_thousands(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{m}"),
        -1 => format!("-{m}"),
        _ => m,
    }
}

/// `delta` as a signed percentage of `before`, one decimal; `-` when `before` is 0.
pub fn signed_percent(delta: i64, before: u64) -> String {
    if before == 0 {
        return "-".to_string();
    }
    let p = delta as f64 * 100.0 / before as f64;
    if delta == 0 {
        "0.0%".to_string()
    } else {
        format!("{p:+.1}%")
    }
}

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
