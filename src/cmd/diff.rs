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
use deadweight::Error;
use deadweight::analyze::diff::{self, DiffOptions};
use deadweight::model::InspectReport;
use deadweight::pipeline;
use deadweight::report;
use deadweight::source::{Source, registry};

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> Result<ExitStatus> {
    if args.before == "-" && args.after == "-" {
        bail!("BEFORE and AFTER are both `-`: standard input can feed only one side");
    }
    let (before, after) = read_sides(args)?;
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
        sort_stored: false,
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
                &diff,
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

/// Both sides' reports. Two different registry images are read together, so that a
/// layer both list is fetched and indexed once ([`pipeline::inspect_pair`]); any other
/// pair is read side by side.
fn read_sides(args: &DiffArgs) -> Result<(InspectReport, InspectReport)> {
    let (b, mut opts) =
        resolve(&args.before, args.before_image.as_deref(), args).context("BEFORE")?;
    let (a, _) = resolve(&args.after, args.after_image.as_deref(), args).context("AFTER")?;
    if let (Source::Registry(rb), Source::Registry(ra)) = (&b, &a)
        && rb.reference != ra.reference
        && args.before_image.is_none()
        && args.after_image.is_none()
    {
        let open = registry::open(&rb.reference, &rb.options).map_err(Error::from);
        let before = open.context("BEFORE")?;
        let open = registry::open_beside(&ra.reference, &ra.options, Some(&before));
        let after = open.map_err(Error::from).context("AFTER")?;
        let (before, after) = super::with_bar(&b, args.quiet, &mut opts, |o| {
            pipeline::inspect_pair(before, after, o)
        })?;
        return Ok((before.report, after.report));
    }
    let before = read_side(&args.before, args.before_image.as_deref(), args).context("BEFORE")?;
    let after = read_side(&args.after, args.after_image.as_deref(), args).context("AFTER")?;
    Ok((before, after))
}

/// The source `arg` names, and the options to read it with.
fn resolve(
    arg: &str,
    select: Option<&str>,
    args: &DiffArgs,
) -> Result<(Source, pipeline::Options)> {
    let input = InputArgs {
        image: arg.to_string(),
        select: select.map(str::to_string),
        platform: args.platform.clone(),
        strict: args.strict,
        verify: args.verify,
        limits: args.limits.clone(),
        remote: args.remote.clone(),
        quiet: args.quiet,
    };
    super::source::resolve_with(&input, None, None, limits(args))
}

/// One side's report, from a JSON file, an image, or standard input holding either.
fn read_side(arg: &str, select: Option<&str>, args: &DiffArgs) -> Result<InspectReport> {
    let (source, mut opts) = resolve(arg, select, args)?;
    // No bar on standard input: it may be the JSON side.
    let quiet = args.quiet || source == Source::Stdin;
    let loaded = super::with_bar(&source, quiet, &mut opts, |o| pipeline::load(&source, o))?;
    Ok(loaded.into_report())
}

/// The report diff compares: inspect's, with every visible file.
fn limits(args: &DiffArgs) -> deadweight::analyze::summary::Limits {
    deadweight::analyze::summary::Limits {
        top: args.top,
        depth: args.depth,
        all_files: true,
        by_stored: false,
    }
}
