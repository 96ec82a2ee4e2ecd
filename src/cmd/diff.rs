//! `deadweight diff BEFORE AFTER`: two reports in (each read from a saved image or from a
//! JSON report deadweight wrote earlier), one [`ImageDiff`] out, rendered.
//!
//! A side is a JSON report when its first non-blank byte is `{` (no image archive starts
//! so: tar, gzip and zstd do not), whatever its name; standard input may be either, and
//! feeds at most one side. An image is read with every visible file listed
//! (`all_files`), so both sides of an image-vs-image diff can compare files.

use super::{ExitStatus, emit, width};
use crate::cli::{DiffArgs, DiffFormatArg, InputArgs};
use anyhow::{Context, Result, bail};
use deadweight::analyze::diff::{self, DiffOptions};
use deadweight::analyze::findings::collect::Collector;
use deadweight::archive::manifest::{self, Selection};
use deadweight::archive::{self, ReadOptions};
use deadweight::index::{Index, IndexBuilder};
use deadweight::model::{InspectReport, SCHEMA_VERSION};
use deadweight::report;
use std::io::{Cursor, Read};
use std::path::Path;

/// How many leading bytes decide between JSON and an image.
const SNIFF_BYTES: u64 = 4096;

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> Result<ExitStatus> {
    if args.before == "-" && args.after == "-" {
        bail!("BEFORE and AFTER are both `-`: standard input can feed only one side");
    }
    let before = read_side(&args.before, args.before_image.as_deref(), args).context("BEFORE")?;
    let after = read_side(&args.after, args.after_image.as_deref(), args).context("AFTER")?;
    let diff = diff::compare(
        &before,
        &after,
        DiffOptions {
            depth: args.depth,
            top: args.top,
        },
    );
    let opts = report::Options {
        bytes: crate::cli::byte_format(args.bytes, args.units),
        top: args.top,
        depth: args.depth,
        width: width(),
        all_files: true,
    };
    let mut buf = Vec::new();
    match args.format {
        DiffFormatArg::Json => report::write_json(&report::diff_json::document(diff), &mut buf)?,
        DiffFormatArg::Table => report::diff_table::render(&diff, &opts, &mut buf)?,
        DiffFormatArg::Markdown => report::markdown::render_diff(&diff, &opts, &mut buf)?,
        DiffFormatArg::Html => {
            let after_tree = report::fstree::FsTree::from_report(&after).with_context(|| {
                format!(
                    "{}: the AFTER report has no file list; write it with `inspect --all-files` or pass the image",
                    args.after
                )
            })?;
            let before_tree = report::fstree::FsTree::from_report(&before);
            report::html::render_diff(
                &before,
                &after,
                before_tree.as_ref(),
                &after_tree,
                &report::html::HtmlOptions { bytes: opts.bytes },
                &mut buf,
            )?;
        }
    }
    emit(args.output.as_deref(), &buf)?;
    Ok(ExitStatus::Success)
}

/// True when `head` starts (after blanks and a UTF-8 byte-order mark) with `{`.
fn is_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// One side's report, from a JSON file, an image, or standard input holding either.
fn read_side(arg: &str, select: Option<&str>, args: &DiffArgs) -> Result<InspectReport> {
    if arg == "-" {
        let mut stdin = std::io::stdin().lock();
        let mut head = Vec::new();
        (&mut stdin)
            .take(SNIFF_BYTES)
            .read_to_end(&mut head)
            .context("-: cannot read standard input")?;
        if is_json(&head) {
            stdin
                .read_to_end(&mut head)
                .context("-: cannot read standard input")?;
            return parse_report(arg, &head);
        }
        let mut collector = Collector::default();
        let index = load_stream(Cursor::new(head).chain(stdin), select, args, &mut collector)?;
        return Ok(super::complete(index, collector, None, None, arg, limits(args))?.report);
    }
    let path = Path::new(arg);
    if path.is_file() {
        let mut head = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
            .with_context(|| format!("{arg}: cannot read"))?;
        if is_json(&head) {
            let bytes = std::fs::read(path).with_context(|| format!("{arg}: cannot read"))?;
            return parse_report(arg, &bytes);
        }
    }
    let input = InputArgs {
        image: arg.to_string(),
        select: select.map(str::to_string),
        platform: args.platform.clone(),
        strict: args.strict,
        verify: args.verify,
        limits: args.limits.clone(),
        quiet: args.quiet,
    };
    Ok(super::inspect_input(&input, None, None, limits(args))?.report)
}

/// A saved inspect report, checked for a schema this build reads.
fn parse_report(arg: &str, bytes: &[u8]) -> Result<InspectReport> {
    let version = serde_json::from_slice::<serde_json::Value>(bytes)
        .with_context(|| format!("{arg}: not JSON"))?
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    match version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => bail!(
            "{arg}: a report of schema_version {v}; this deadweight reads {SCHEMA_VERSION}: \
             write it again with this version's `inspect --format json --all-files`"
        ),
        None => bail!("{arg}: JSON, but not a deadweight inspect report (no schema_version)"),
    }
    serde_json::from_slice(bytes).with_context(|| format!("{arg}: not a deadweight inspect report"))
}

/// The report diff compares: inspect's, with every visible file.
fn limits(args: &DiffArgs) -> deadweight::analyze::summary::Limits {
    deadweight::analyze::summary::Limits {
        top: args.top,
        depth: args.depth,
        all_files: true,
    }
}

/// Reads and indexes an image from a stream (standard input, its first bytes put back).
fn load_stream(
    input: impl Read,
    select: Option<&str>,
    args: &DiffArgs,
    collector: &mut Collector,
) -> Result<Index> {
    let platform = super::parse_platform(args.platform.as_deref())?;
    let selection = Selection {
        image: select.map(str::to_string),
        platform,
    };
    let opts = ReadOptions {
        limits: super::read_limits(&args.limits),
        progress: None,
        verify: args.verify || args.strict,
    };
    let mut builder = IndexBuilder::with_inspector(collector);
    let raw = archive::read_stream("-", input, &mut builder, &opts)?;
    let image = manifest::resolve(&raw, &selection)?;
    let index = builder.finish(&raw, image)?;
    super::strict_check(&index, args.strict, &raw.label)?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_is_told_from_archives() {
        assert!(is_json(b"{\"schema_version\": 1}"));
        assert!(is_json(b"\n  {"));
        assert!(is_json(b"\xEF\xBB\xBF{"));
        assert!(!is_json(b"\x1f\x8b\x08"));
        assert!(!is_json(b"\x28\xb5\x2f\xfd"));
        assert!(!is_json(b"blobs/sha256/"));
        assert!(!is_json(b""));
    }
}
