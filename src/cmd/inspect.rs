//! `deadweight inspect IMAGE`: read -> index -> analyze -> render.

use super::{ExitStatus, emit, load, width};
use crate::cli::{BytesArg, ColorArg, FormatArg, InspectArgs, UnitsArg};
use anyhow::Result;
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::report::{self, ByteFormat, fstree::FsTree, json::InspectReport};

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<ExitStatus> {
    let index = load(&args.input)?;
    let base = match &args.base {
        Some(b) => BaseHint {
            diff_ids: Some(super::base_diff_ids(b)?),
            label: Some(b.clone()),
        },
        None => BaseHint::default(),
    };
    let analysis = Analysis::new(&index, &base);
    let opts = report::Options {
        bytes: match (args.bytes, args.units) {
            (BytesArg::Raw, _) => ByteFormat::Raw,
            (BytesArg::Human, UnitsArg::Si) => ByteFormat::Si,
            (BytesArg::Human, UnitsArg::Iec) => ByteFormat::Iec,
        },
        top: args.top,
        depth: args.depth,
        width: width(),
        all_files: args.all_files,
    };
    let doc = InspectReport::new(
        &index,
        &analysis,
        &args.input.image,
        report::json::Limits {
            top: opts.top,
            depth: opts.depth,
            all_files: opts.all_files,
        },
    );
    let mut buf = Vec::new();
    if args.tree {
        let tree = FsTree::from_analysis(&index, &analysis);
        let instructions: Vec<Option<String>> =
            doc.layers.iter().map(|l| l.created_by.clone()).collect();
        let tree_opts = report::tree::TreeOptions {
            bytes: opts.bytes,
            depth: opts.depth,
            top: opts.top,
            width: opts.width,
            color: use_color(args.color, args.output.is_none()),
        };
        report::tree::render(&tree, &instructions, &tree_opts, &mut buf)?;
        emit(args.output.as_deref(), &buf)?;
        return Ok(ExitStatus::Success);
    }
    match args.format {
        FormatArg::Json => report::write_json(&doc, &mut buf)?,
        FormatArg::Table => report::table::render(&doc, &opts, &mut buf)?,
        FormatArg::Html => {
            let tree = FsTree::from_analysis(&index, &analysis);
            let html_opts = report::html::HtmlOptions { bytes: opts.bytes };
            report::html::render(&doc, &tree, &html_opts, &mut buf)?
        }
    }
    emit(args.output.as_deref(), &buf)?;
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
