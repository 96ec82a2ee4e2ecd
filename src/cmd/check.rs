//! `deadweight check IMAGE`: rules (deadweight.toml, .dive-ci, flags) -> read -> index ->
//! analyze -> report -> verdict -> render; exit 1 when an error-level rule failed.
//! Inside GitHub Actions it also appends the Markdown summary to `$GITHUB_STEP_SUMMARY`
//! and prints each breach as an `::error`/`::warning` annotation.

use super::{ExitStatus, emit, width};
use crate::cli::{CheckArgs, CheckFormatArg, InputArgs, RuleFlags};
use anyhow::{Context, Result};
use deadweight::analyze::budget;
use deadweight::analyze::budget::{FlagRules, RuleSpec};
use deadweight::analyze::summary::Limits;
use deadweight::model::CheckReport;
use deadweight::model::InspectReport;
use deadweight::pipeline;
use deadweight::report::{self, ByteFormat};
use deadweight::source::Source;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The config file looked for in the working directory.
pub const CONFIG_FILE: &str = "deadweight.toml";

/// dive's CI file, looked for in the working directory as dive does.
pub const DIVE_CI_FILE: &str = ".dive-ci";

/// The rules to apply, where they came from, notes, and whether they are the defaults.
struct Rules {
    rules: Vec<RuleSpec>,
    sources: Vec<String>,
    notes: Vec<String>,
    defaults: bool,
}

/// The growth rules `--baseline` applies when no source names one, in words.
pub const DEFAULT_GROWTH: &str = "baseline.max_growth_percent 5 and baseline.max_growth_bytes 10MB: content may grow by at most 5% and at most 10 MB";

/// The growth rules of [`DEFAULT_GROWTH`].
fn default_growth_rules() -> Vec<RuleSpec> {
    use budget::{Check, Level, Measure, Origin};
    vec![
        RuleSpec {
            id: "baseline.max_growth_percent".to_string(),
            check: Check::Growth,
            limit: Measure::Percent(5.0),
            level: Level::Error,
            origin: Origin::Default,
        },
        RuleSpec {
            id: "baseline.max_growth_bytes".to_string(),
            check: Check::Growth,
            limit: Measure::Bytes(10_000_000),
            level: Level::Error,
            origin: Origin::Default,
        },
    ]
}

fn flag_rules(f: &RuleFlags) -> FlagRules {
    let pairs = [
        ("max-blob-bytes", &f.max_blob_bytes),
        ("max-content-bytes", &f.max_content_bytes),
        ("max-visible-bytes", &f.max_visible_bytes),
        ("max-hidden-bytes", &f.max_hidden_bytes),
        ("max-duplicate-bytes", &f.max_duplicate_bytes),
        ("max-dead-weight-bytes", &f.max_dead_weight_bytes),
        ("min-efficiency", &f.min_efficiency),
        ("max-wasted-bytes", &f.max_wasted_bytes),
        ("max-user-wasted-percent", &f.max_user_wasted_percent),
        ("max-layer-bytes", &f.max_layer_bytes),
        ("max-layers", &f.max_layers),
        ("max-layer-blob-bytes", &f.max_layer_blob_bytes),
        ("max-history-patterns", &f.max_history_patterns),
        ("max-growth-bytes", &f.max_growth_bytes),
        ("max-growth-percent", &f.max_growth_percent),
    ];
    FlagRules {
        values: pairs
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.clone())))
            .collect(),
        categories: f.category.clone(),
        deny: f.deny.clone(),
        allow: f.allow.clone(),
        root_user: f.root_user.clone(),
        config_secrets: f.config_secrets.clone(),
    }
}

fn gather_rules(args: &CheckArgs) -> Result<Rules> {
    let mut rules = Vec::new();
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let config_path: Option<PathBuf> = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(CONFIG_FILE)).filter(|p| p.is_file()),
    };
    if let Some(path) = &config_path {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{label}: cannot read the config"))?;
        let parsed = budget::parse_config(&text, &label)?;
        budget::merge(&mut rules, parsed);
        sources.push(label);
    }
    // dive reads `.dive-ci` from the working directory when no file is named; so does
    // `check`, beside deadweight.toml.
    let dive_ci = args
        .dive_ci
        .clone()
        .or_else(|| Some(PathBuf::from(DIVE_CI_FILE)).filter(|p| p.is_file()));
    if let Some(path) = &dive_ci {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{label}: cannot read the .dive-ci file"))?;
        let (parsed, dive_notes) = budget::parse_dive_ci(&text, &label)?;
        budget::merge(&mut rules, parsed);
        notes.extend(dive_notes);
        sources.push(format!("--dive-ci {label}"));
    }
    let flags = flag_rules(&args.rules);
    if !flags.is_empty() {
        budget::apply_flags(&mut rules, &flags)?;
        sources.push("flags".to_string());
    }
    let defaults = sources.is_empty();
    if !defaults && rules.is_empty() {
        // A gate that checks nothing must not pass: a config holding only [findings],
        // a .dive-ci of plugin rules only.
        anyhow::bail!(
            "{}: names no rule of `check` (add [budget], [categories], [paths] or [security] rules; `deadweight init IMAGE` writes a starter config)",
            sources.join(", ")
        );
    }
    if defaults {
        rules = budget::default_rules();
        sources.push("defaults".to_string());
        notes.push(
            "no deadweight.toml and no rule flags: the default rules applied (no secrets, no \
             version-control directory, dive's lowestEfficiency 0.9 and \
             highestUserWastedPercent 0.1)"
                .to_string(),
        );
    }
    if args.baseline.is_some() && !rules.iter().any(|r| r.check == budget::Check::Growth) {
        rules.extend(default_growth_rules());
        notes.push(format!(
            "--baseline without a growth rule: the default growth rules applied ({DEFAULT_GROWTH})"
        ));
    }
    Ok(Rules {
        rules,
        sources,
        notes,
        defaults,
    })
}

/// The report `check` measures: inspect's, findings included, with every visible file
/// listed (for path rules and growth). `[findings]` of the same config file applies.
pub fn load_report(input: &InputArgs, config: Option<&Path>) -> Result<InspectReport> {
    Ok(super::inspect_input(input, config, None, report_limits())?.report)
}

/// The report the rules are measured on, and, when it came from a registry's manifest
/// and config alone, the traffic that took. That is decided by the rules, never by a
/// flag: when every rule evaluated is answered by the manifest (stored sizes, layer
/// count, user), no layer blob is downloaded; any other rule reads the image whole.
fn read_image(
    input: &InputArgs,
    config: Option<&Path>,
    rules: &[RuleSpec],
) -> Result<(InspectReport, Option<String>)> {
    let (source, mut opts) = super::source::resolve_with(input, config, None, report_limits())?;
    if let Source::Registry(registry) = &source
        && budget::answered_by_manifest(rules)
    {
        let described = pipeline::inspect_described(registry, &opts)?;
        return Ok((described.inspected.report, Some(described.traffic)));
    }
    let seen = super::with_bar(&source, input.quiet, &mut opts, |o| {
        pipeline::inspect(&source, o)
    })?;
    Ok((seen.report, None))
}

/// Inspect's lists, with every visible file.
fn report_limits() -> Limits {
    Limits {
        top: 10,
        depth: 3,
        all_files: true,
        by_stored: false,
    }
}

/// A baseline given as a JSON report or as a saved image.
fn load_baseline(arg: &str, input: &InputArgs, config: Option<&Path>) -> Result<InspectReport> {
    let base_input = InputArgs {
        image: arg.to_string(),
        select: None,
        platform: input.platform.clone(),
        quiet: true,
        ..input.clone()
    };
    let (source, mut opts) =
        super::source::resolve_with(&base_input, config, None, report_limits())?;
    let loaded = super::with_bar(&source, true, &mut opts, |o| pipeline::load(&source, o))
        .with_context(|| format!("--baseline {arg}"))?;
    Ok(loaded.into_report())
}

/// Runs `check`.
pub fn run(args: &CheckArgs) -> Result<ExitStatus> {
    let rules = gather_rules(args)?;
    let config = args
        .config
        .clone()
        .or_else(|| Some(PathBuf::from(CONFIG_FILE)).filter(|p| p.is_file()));
    let (report, answered) = read_image(&args.input, config.as_deref(), &rules.rules)?;
    let mut notes = rules.notes;
    if let Some(traffic) = &answered {
        notes.push(format!(
            "answered from the registry's manifest and config alone: every rule needs only \
             stored sizes, the layer count or the user, so no layer was downloaded ({traffic})"
        ));
    }
    let baseline = match &args.baseline {
        Some(b) => Some(load_baseline(b, &args.input, config.as_deref())?),
        None => None,
    };
    let verdict = budget::evaluate(&rules.rules, &report, baseline.as_ref());
    let bytes = crate::cli::byte_format(args.bytes, args.units);
    let mut doc = report::check::document(
        &verdict,
        &report,
        args.baseline.clone(),
        rules.defaults,
        rules.sources,
        notes,
        bytes,
    );
    doc.answered_from = answered.map(|_| "manifest".to_string());
    let opts = report::Options {
        bytes,
        width: width(),
        ..report::Options::default()
    };
    let mut buf = Vec::new();
    match args.format {
        CheckFormatArg::Table => report::check_table::render(&doc, &opts, &mut buf)?,
        CheckFormatArg::Json => report::write_json(&doc, &mut buf)?,
        CheckFormatArg::Junit => report::junit::render(&doc, bytes, &mut buf)?,
        CheckFormatArg::Sarif => {
            report::sarif::render_at(&doc, bytes, args.sarif_base.as_deref(), &mut buf)?
        }
        CheckFormatArg::Markdown => report::check_markdown::render(&doc, bytes, &mut buf)?,
    }
    emit(args.output.as_deref(), &buf)?;
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        github(args, &doc, bytes)?;
    }
    Ok(if doc.passed {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` and prints the annotations:
/// on standard output, unless a machine-readable report is going there, then standard
/// error (the runner reads workflow commands from both).
///
/// The verdict is already written: a summary file that cannot be written is a warning
/// on standard error, never an exit 2 that would turn a pass into a failed job.
fn github(args: &CheckArgs, doc: &CheckReport, bytes: ByteFormat) -> Result<()> {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut md = Vec::new();
        report::check_markdown::render(doc, bytes, &mut md)?;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&md));
        if let Err(e) = written {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "deadweight: warning: {}: cannot append the summary to $GITHUB_STEP_SUMMARY ({e}); the verdict stands",
                    path.display()
                );
            }
        }
    }
    let mut notes = Vec::new();
    report::check_markdown::annotations(doc, &mut notes)?;
    let machine = matches!(
        args.format,
        CheckFormatArg::Json | CheckFormatArg::Junit | CheckFormatArg::Sarif
    );
    if machine && args.output.is_none() {
        let mut err = std::io::stderr().lock();
        err.write_all(&notes)?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(&notes)?;
        out.flush()?;
    }
    Ok(())
}
