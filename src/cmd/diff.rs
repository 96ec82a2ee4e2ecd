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
use deadweight::model::InspectReport;
use deadweight::pipeline;
use deadweight::report;
use deadweight::source::Source;

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

/// One side's report, from a JSON file, an image, or standard input holding either.
fn read_side(arg: &str, select: Option<&str>, args: &DiffArgs) -> Result<InspectReport> {
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
    let (source, mut opts) = super::source::resolve_with(&input, None, None, limits(args))?;
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
