//! `deadweight inspect IMAGE`: read -> index -> analyze -> findings -> render.

use super::{ExitStatus, emit, load_with, width};
use crate::cli::{BytesArg, FormatArg, InspectArgs, UnitsArg};
use anyhow::{Context, Result};
use deadweight::analyze::findings::{self, Findings, collect::Collector};
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::report::{self, ByteFormat, json::InspectReport};
use std::io::Write;
use std::path::Path;

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<ExitStatus> {
    let finding_opts = finding_options(args.config.as_deref())?;
    let mut collector = Collector::default();
    let index = load_with(&args.input, Some(&mut collector))?;
    let base = match &args.base {
        Some(b) => BaseHint {
            diff_ids: Some(super::base_diff_ids(b)?),
            label: Some(b.clone()),
        },
        None => BaseHint::default(),
    };
    let analysis = Analysis::new(&index, &base);
    let collected = collector.resolve(&index);
    let found = Findings::new(&index, &analysis, &collected, &finding_opts);
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
    let mut buf = Vec::new();
    if args.suggest_dockerignore {
        report::dockerignore::render(&found, &args.input.image, opts.bytes, &mut buf)?;
        emit(args.output.as_deref(), &buf)?;
        return Ok(ExitStatus::Success);
    }
    let mut doc = InspectReport::new(
        &index,
        &analysis,
        &args.input.image,
        report::json::Limits {
            top: opts.top,
            depth: opts.depth,
            all_files: opts.all_files,
        },
    );
    doc.set_findings(&found, &index);
    match args.format {
        FormatArg::Json => report::write_json(&doc, &mut buf)?,
        FormatArg::Table => report::table::render(&doc, &opts, &mut buf)?,
    }
    buf.flush()?;
    emit(args.output.as_deref(), &buf)?;
    Ok(ExitStatus::Success)
}

/// The findings options: built-in rules plus `[findings]` of `--config FILE`, else of
/// `./deadweight.toml` when it exists.
fn finding_options(config: Option<&Path>) -> Result<findings::Options> {
    let mut opts = findings::Options::default();
    let path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => Some(Path::new("deadweight.toml").to_path_buf()).filter(|p| p.is_file()),
    };
    if let Some(p) = path {
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("{}: cannot read the config file", p.display()))?;
        findings::config::apply(&text, &p.display().to_string(), &mut opts)?;
    }
    Ok(opts)
}
