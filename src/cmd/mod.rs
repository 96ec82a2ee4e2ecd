//! One module per subcommand: input -> stages -> renderer. This is the only layer that
//! knows about terminals, standard streams and files to write.

pub mod check;
pub mod diff;
pub mod explore;
pub mod init;
pub mod inspect;
pub mod meta;
pub mod progress;
pub mod source;

use anyhow::{Context, Result};
use deadweight::analyze::summary::Limits;
use deadweight::archive::manifest::{self, Selection};
use deadweight::archive::{Progress, ReadOptions};
use deadweight::error::Error;
use deadweight::pipeline::{self, Inspected, Options};
use deadweight::source::Source;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::cli::{InputArgs, LimitArgs};

/// The exit contract: 0 ok, 1 a gate failed, 2 the tool failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything passed.
    Success,
    /// A gate or budget failed (`check`).
    Failure,
}

/// The library's caps from the command line's.
pub fn read_limits(args: &LimitArgs) -> deadweight::archive::Limits {
    deadweight::archive::Limits {
        max_json_bytes: args.max_json_bytes,
        max_layer_entries: args.max_layer_entries,
        max_entries: args.max_entries,
        max_path_bytes: args.max_path_bytes,
    }
}

/// With `DEADWEIGHT_TIMINGS` set, notes on stderr how long the process has run when
/// `phase` ends: how benches/compare.sh splits reading from the analysis after it.
pub fn timing(phase: &str) {
    deadweight::timings::phase(phase);
}

/// `--platform os/arch[/variant]`, parsed.
pub fn parse_platform(arg: Option<&str>) -> Result<Option<manifest::Platform>> {
    let Some(p) = arg else { return Ok(None) };
    let platform = manifest::Platform::parse(p).ok_or_else(|| {
        Error::Selection(format!(
            "--platform {p}: expected os/arch[/variant], like linux/amd64"
        ))
    })?;
    Ok(Some(platform))
}

/// Writes `bytes` to `--output` or standard output, all at once: a report is written
/// whole or not at all.
pub fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, bytes)
            .with_context(|| format!("{}: cannot write the report", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// The terminal's width, or 120 columns when not a terminal (`COLUMNS` overrides).
pub fn width() -> u16 {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return c;
    }
    if std::io::stdout().is_terminal()
        && let Ok((w, _)) = crossterm_size()
    {
        return w.max(60);
    }
    120
}

fn crossterm_size() -> std::io::Result<(u16, u16)> {
    let t = comfy_table::Table::new();
    match t.width() {
        Some(w) => Ok((w, 0)),
        None => Err(std::io::Error::other("no terminal")),
    }
}

/// The pipeline's options from the command line's: which image, how to read it, the
/// findings config (`--config FILE`, else `./deadweight.toml`), the base image, and how
/// much the report lists.
pub fn options(
    input: &InputArgs,
    config: Option<&Path>,
    base: Option<&str>,
    limits: Limits,
) -> Result<Options> {
    Ok(Options {
        selection: Selection {
            image: input.select.clone(),
            platform: parse_platform(input.platform.as_deref())?,
        },
        read: ReadOptions {
            limits: read_limits(&input.limits),
            progress: None,
            verify: input.verify || input.strict,
        },
        strict: input.strict,
        findings: finding_options(config)?,
        base: base.map(Source::from_arg),
        limits,
    })
}

/// Runs `run` on the image `source` names with a progress bar on a terminal (unless
/// `quiet`): the bar polls the counter the pipeline updates.
pub fn with_bar<T>(
    source: &Source,
    quiet: bool,
    opts: &mut Options,
    run: impl FnOnce(&Options) -> deadweight::Result<T>,
) -> Result<T> {
    let progress =
        (!quiet && std::io::stderr().is_terminal()).then(|| Arc::new(Progress::default()));
    opts.read.progress = progress.clone();
    let bar = progress.map(|p| progress::spawn(source, p));
    let result = run(opts);
    if let Some((bar, stop)) = bar {
        stop.store(true, Ordering::Relaxed);
        let _ = bar.join();
    }
    Ok(result?)
}

/// Reads the image `input` names and runs every stage on it.
pub fn inspect_input(
    input: &InputArgs,
    config: Option<&Path>,
    base: Option<&str>,
    limits: Limits,
) -> Result<Inspected> {
    let (source, mut opts) = source::resolve_with(input, config, base, limits)?;
    with_bar(&source, input.quiet, &mut opts, |o| {
        pipeline::inspect(&source, o)
    })
}

/// The findings options: built-in rules plus `[findings]` of `--config FILE`, else of
/// `./deadweight.toml` when it exists.
pub fn finding_options(config: Option<&Path>) -> Result<deadweight::analyze::findings::Options> {
    let mut opts = deadweight::analyze::findings::Options::default();
    let path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => Some(Path::new("deadweight.toml").to_path_buf()).filter(|p| p.is_file()),
    };
    if let Some(p) = path {
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("{}: cannot read the config file", p.display()))?;
        deadweight::analyze::findings::config::apply(&text, &p.display().to_string(), &mut opts)?;
    }
    Ok(opts)
}
