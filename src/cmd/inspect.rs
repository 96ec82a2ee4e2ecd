//! `deadweight inspect IMAGE`: read -> index -> analyze -> findings -> render.

use super::{ExitStatus, emit, inspect_input, width};
use crate::cli::{ColorArg, FormatArg, InspectArgs};
use anyhow::Result;
use deadweight::report::{self, fstree::FsTree};

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<ExitStatus> {
    if args.manifest_only {
        let mut buf = Vec::new();
        super::source::manifest_only(&args.input, &mut buf)?;
        emit(args.output.as_deref(), &buf)?;
        return Ok(ExitStatus::Success);
    }
    let opts = report::Options {
        bytes: crate::cli::byte_format(args.bytes, args.units),
        top: args.top,
        depth: args.depth,
        width: width(),
        all_files: args.all_files,
        sort_stored: args.sort == crate::cli::SortArg::Stored,
    };
    let seen = inspect_input(
        &args.input,
        args.config.as_deref(),
        args.base.as_deref(),
        deadweight::analyze::summary::Limits {
            top: opts.top,
            depth: opts.depth,
            all_files: opts.all_files,
            by_stored: opts.sort_stored,
        },
    )?;
    let mut buf = Vec::new();
    if args.suggest_dockerignore {
        report::dockerignore::render(&seen.findings, &args.input.image, opts.bytes, &mut buf)?;
    } else if args.tree {
        let tree = FsTree::from_analysis(&seen.index, &seen.analysis);
        let instructions: Vec<Option<String>> = seen
            .report
            .layers
            .iter()
            .map(|l| l.created_by.clone())
            .collect();
        let tree_opts = report::tree::TreeOptions {
            bytes: opts.bytes,
            depth: opts.depth,
            top: opts.top,
            width: opts.width,
            color: use_color(args.color, args.output.is_none()),
        };
        report::tree::render(&tree, &instructions, &tree_opts, &mut buf)?;
    } else {
        match args.format {
            FormatArg::Json => report::write_json(&seen.report, &mut buf)?,
            FormatArg::Table => report::table::render(&seen.report, &opts, &mut buf)?,
            FormatArg::Markdown => report::table::render_markdown(&seen.report, &opts, &mut buf)?,
            FormatArg::Html => {
                let tree = FsTree::from_analysis(&seen.index, &seen.analysis);
                let html_opts = report::html::HtmlOptions { bytes: opts.bytes };
                report::html::render(&seen.report, &tree, &html_opts, &mut buf)?
            }
        }
    }
    emit(args.output.as_deref(), &buf)?;
    super::timing("report");
    Ok(ExitStatus::Success)
}

/// Colour for `--color`: `auto` means standard output is a terminal (not `--output`) and
/// `NO_COLOR` is unset or empty (https://no-color.org).
fn use_color(arg: ColorArg, to_stdout: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            to_stdout
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}
