//! `deadweight inspect IMAGE`: read -> index -> analyze -> render.

use super::{ExitStatus, emit, load, width};
use crate::cli::{BytesArg, FormatArg, InspectArgs, UnitsArg};
use anyhow::Result;
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::report::{self, ByteFormat, json::InspectReport};

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
    match args.format {
        FormatArg::Json => report::write_json(&doc, &mut buf)?,
        FormatArg::Table => report::table::render(&doc, &opts, &mut buf)?,
    }
    emit(args.output.as_deref(), &buf)?;
    Ok(ExitStatus::Success)
}
