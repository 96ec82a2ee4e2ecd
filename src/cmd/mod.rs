//! One module per subcommand: input -> stages -> renderer. This is the only layer that
//! knows about terminals, standard streams and files to write.

pub mod check;
pub mod diff;
pub mod init;
pub mod inspect;
pub mod meta;

use anyhow::{Context, Result};
use deadweight::archive::manifest::{self, Selection};
use deadweight::archive::{
    self, LayerBlob, LayerSink, Limits, Progress, RawEntry, ReadOptions, Source,
};
use deadweight::error::Error;
use deadweight::index::{ContentInspector, Index, IndexBuilder};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

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
pub fn read_limits(args: &LimitArgs) -> Limits {
    Limits {
        max_json_bytes: args.max_json_bytes,
        max_layer_entries: args.max_layer_entries,
        max_entries: args.max_entries,
        max_path_bytes: args.max_path_bytes,
    }
}

/// Reads and indexes the image `input` names, with a progress bar on a terminal, showing
/// every regular file's content to `inspector` (if any) as it streams.
pub fn load_with(input: &InputArgs, inspector: Option<&mut dyn ContentInspector>) -> Result<Index> {
    let source = Source::from_arg(&input.image);
    let platform = parse_platform(input.platform.as_deref())?;
    let selection = Selection {
        image: input.select.clone(),
        platform,
    };
    let progress =
        (!input.quiet && std::io::stderr().is_terminal()).then(|| Arc::new(Progress::default()));
    let opts = ReadOptions {
        limits: read_limits(&input.limits),
        progress: progress.clone(),
        verify: input.verify || input.strict,
    };
    let bar = progress.as_ref().map(|p| spawn_bar(&source, Arc::clone(p)));
    let mut builder = match inspector {
        Some(i) => IndexBuilder::with_inspector(i),
        None => IndexBuilder::new(),
    };
    let read = archive::read_source(&source, &mut builder, &opts);
    if let Some((bar, stop)) = bar {
        stop.store(true, Ordering::Relaxed);
        let _ = bar.join();
    }
    let raw = read?;
    timing("read");
    let image = manifest::resolve(&raw, &selection)?;
    let index = builder.finish(&raw, image)?;
    strict_check(&index, input.strict, &raw.label)?;
    timing("index");
    Ok(index)
}

/// When the process started, for [`timing`].
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// With `DEADWEIGHT_TIMINGS` set, prints on stderr how long the process has run when
/// `phase` ends: how benches/compare.sh splits reading from the analysis after it.
pub fn timing(phase: &str) {
    if deadweight::timings_wanted()
        && let Some(start) = STARTED.get()
    {
        // Peak and current memory, where the system tells (Linux).
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        eprintln!(
            "deadweight: timing: {phase} done at {:.3} s (peak RSS {}, RSS {})",
            start.elapsed().as_secs_f64(),
            field("VmHWM:"),
            field("VmRSS:")
        );
    }
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

/// Under `--strict`, the first warning of `index` (read from `label`) is an error.
pub fn strict_check(index: &Index, strict: bool, label: &str) -> Result<()> {
    if strict && let Some(first) = index.warnings.first() {
        return Err(Error::input(
            label,
            format!(
                "{first} (--strict; {} warning(s) in all)",
                index.warnings.len()
            ),
        )
        .into());
    }
    Ok(())
}

/// A sink that keeps nothing: for reading only a base image's layer digests.
struct NullSink;

impl LayerSink for NullSink {
    fn begin_layer(&mut self, _member: &str) {}
    fn entry(&mut self, _entry: &RawEntry<'_>) -> std::result::Result<(), String> {
        Ok(())
    }
    fn end_layer(&mut self, _member: &str, _blob: &LayerBlob) {}
}

/// The diff_ids of a base image given as a saved image or as a JSON report.
pub fn base_diff_ids(arg: &str) -> Result<Vec<deadweight::archive::Digest>> {
    let path = Path::new(arg);
    if path.is_file() {
        let head = std::fs::read(path)
            .ok()
            .filter(|b| b.first() == Some(&b'{'));
        if let Some(bytes) = head {
            let report: deadweight::model::InspectReport = serde_json::from_slice(&bytes)
                .with_context(|| format!("{arg}: not a deadweight JSON report"))?;
            return report
                .layers
                .iter()
                .map(|l| {
                    deadweight::archive::Digest::parse(&l.diff_id)
                        .with_context(|| format!("{arg}: layer {}: bad diff_id", l.index))
                })
                .collect();
        }
    }
    let source = Source::from_arg(arg);
    let raw = archive::read_source(&source, &mut NullSink, &ReadOptions::default())?;
    let image = manifest::resolve(&raw, &Selection::default())?;
    Ok(image
        .layers
        .iter()
        .enumerate()
        .filter_map(
            |(i, l)| match raw.members.get(&l.member).map(|m| &m.content) {
                Some(archive::MemberContent::Layer(b)) => {
                    let mut b = b.clone();
                    b.settle(
                        l.digest.or_else(|| manifest::digest_in_name(&l.member)),
                        image.config.diff_ids.get(i).copied(),
                    );
                    Some(b.diff_id)
                }
                _ => None,
            },
        )
        .collect())
}

fn spawn_bar(
    source: &Source,
    progress: Arc<Progress>,
) -> (
    std::thread::JoinHandle<()>,
    Arc<std::sync::atomic::AtomicBool>,
) {
    let total = match source {
        Source::Path(p) => std::fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len()),
        Source::Stdin => None,
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let style = if total.is_some() {
            "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}"
        } else {
            "{spinner} {bytes} {bytes_per_sec} {msg}"
        };
        if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
            bar.set_style(s);
        }
        // Only show a bar for reads that take a while.
        let started = std::time::Instant::now();
        while !stop_flag.load(Ordering::Relaxed) {
            if started.elapsed() > Duration::from_millis(300) {
                bar.set_position(progress.bytes.load(Ordering::Relaxed));
                if let Ok(m) = progress.member.lock() {
                    bar.set_message(m.chars().take(40).collect::<String>());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    (handle, stop)
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

/// Everything `inspect` learns of one image; `diff` and `check` build on the same.
pub struct Inspected {
    /// The index.
    pub index: Index,
    /// Its byte accounting and dive's figures.
    pub analysis: deadweight::analyze::Analysis,
    /// Dead weight and security findings.
    pub findings: deadweight::analyze::findings::Findings,
    /// The report every renderer reads.
    pub report: deadweight::model::InspectReport,
}

/// Reads the image `input` names and runs every analysis on it: read -> index -> analyze
/// -> findings -> report.
pub fn inspect_input(
    input: &InputArgs,
    config: Option<&Path>,
    base: Option<&str>,
    limits: deadweight::analyze::summary::Limits,
) -> Result<Inspected> {
    let mut collector = deadweight::analyze::findings::collect::Collector::default();
    let index = load_with(input, Some(&mut collector))?;
    complete(index, collector, config, base, &input.image, limits)
}

/// Runs the analyses on an index that `collector` watched being read.
pub fn complete(
    index: Index,
    collector: deadweight::analyze::findings::collect::Collector,
    config: Option<&Path>,
    base: Option<&str>,
    label: &str,
    limits: deadweight::analyze::summary::Limits,
) -> Result<Inspected> {
    use deadweight::analyze::findings::Findings;
    use deadweight::analyze::{Analysis, BaseHint};
    let finding_opts = finding_options(config)?;
    let base = match base {
        Some(b) => BaseHint {
            diff_ids: Some(base_diff_ids(b)?),
            label: Some(b.to_string()),
        },
        None => BaseHint::default(),
    };
    let analysis = Analysis::new(&index, &base);
    timing("waste");
    // The report's lists do not depend on the findings: built beside them.
    let (findings, mut report) = std::thread::scope(|s| {
        let report =
            s.spawn(|| deadweight::analyze::summary::summarize(&index, &analysis, label, limits));
        let collected = collector.resolve(&index);
        let findings = Findings::new(&index, &analysis, &collected, &finding_opts);
        timing("findings");
        let report = report.join().unwrap_or_else(|_| {
            deadweight::analyze::summary::summarize(&index, &analysis, label, limits)
        });
        (findings, report)
    });
    deadweight::analyze::summary::add_findings(&mut report, &findings, &index);
    timing("analysis");
    Ok(Inspected {
        index,
        analysis,
        findings,
        report,
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
