//! The `deadweight` binary: parse arguments, run a command, map the result to an exit code.

mod cli;
mod cmd;

use clap::Parser;
use std::process::ExitCode;

/// One malloc arena for the whole process, unless `MALLOC_ARENA_MAX` says otherwise, and
/// a fixed threshold above which blocks are mapped on their own, unless
/// `MALLOC_MMAP_THRESHOLD_` says otherwise.
///
/// Why one arena (#23 memory): glibc gives a thread that allocates an arena of its own,
/// and what a thread frees stays in its arena. The analysis computes dive's figures on a
/// thread of its own, then the findings run on this one: the megabytes the dive pass freed
/// could not be reused, and the findings grew the heap anew. Measured with
/// `MALLOC_ARENA_MAX=1` against glibc's default (release build, 2-core Intel Xeon,
/// 2026-12-06): the ML benchmark image (179,763 entries, uncompressed) peaked at 48.8 MB
/// instead of 54-55 MB, the 10-layer zstd image at 45.3 MB instead of 59.7 MB, in the same
/// time (docs/performance.md). The pipeline's threads allocate little while they read
/// (chunks go round and come back), so one arena's lock is not contended.
///
/// Why a fixed threshold (#23 memory): glibc raises the threshold to the size of every
/// mapped block freed (up to 32 MiB), so once the reader has freed a few megabytes, the
/// analysis' tables by path (1-3 MB each) come from the heap, and what they leave there
/// when freed stays resident: the RSS rose by 3-4 MB after the analysis while the heap did
/// not. At 128 KiB (glibc's starting value, now kept) every large table is mapped and
/// unmapped whole. Measured with `MALLOC_MMAP_THRESHOLD_=131072` against without (release
/// build, 3 runs each, peak RSS): the 50-layer whiteout image (210,096 entries) 58.2-59.1
/// MB instead of 62.3-64.4 MB, the ML image 49.1-49.4 MB instead of 49.9-51.0 MB. The
/// cost is pages mapped afresh: 19.7k page faults instead of 15.2-16.3k on the first,
/// about twice as many on a zstd image (each layer's window is mapped anew), with no
/// change in CPU time beyond the noise of a loaded machine.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_settings() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a setting of glibc's allocator, and runs first
        // thing in main, before any other thread of ours exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: as above.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        }
    }
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    malloc_settings();
    if std::env::var_os("DEADWEIGHT_TIMINGS").is_some() {
        // The one place timings are printed: the library only measures.
        #[allow(clippy::print_stderr)]
        deadweight::timings::install(Box::new(|line| eprintln!("{line}")));
    }
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `deadweight IMAGE` is `deadweight inspect IMAGE`.
    // Flags of the top level itself (help, version) stay where they are.
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        let top_level = matches!(first, "-h" | "--help" | "-V" | "--version");
        let names = subcommands();
        if !top_level && !names.iter().any(|n| n == first) {
            // `deadweight inpsect img.tar`: a word close to a subcommand that names no
            // file is a typo, not an image.
            if let Some(near) = typo_of(first, &names) {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!(
                        "deadweight: error: unrecognized subcommand `{first}`; did you mean `{near}`?\n\nUsage: deadweight {near} ...  (see `deadweight --help`)"
                    );
                }
                return ExitCode::from(2);
            }
            args.insert(1, "inspect".into());
        }
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        cli::Command::Inspect(a) => cmd::inspect::run(a),
        cli::Command::Diff(a) => cmd::diff::run(a),
        cli::Command::Check(a) => cmd::check::run(a),
        cli::Command::Init(a) => cmd::init::run(a),
        cli::Command::Completions(a) => cmd::meta::completions(a),
        cli::Command::Man(a) => cmd::meta::man(a),
        cli::Command::Schema(a) => cmd::meta::schema(a),
        cli::Command::Explore(a) => cmd::explore::run(a),
    };
    match result {
        Ok(cmd::ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(cmd::ExitStatus::Failure) => ExitCode::from(1),
        Err(e) => {
            // A closed pipe (`deadweight img.tar | head`) is not a failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("deadweight: error: {}", one_line(&e));
            }
            ExitCode::from(2)
        }
    }
}

/// The subcommand names clap knows (and `help`).
fn subcommands() -> Vec<String> {
    let cmd = <cli::Cli as clap::CommandFactory>::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    names.push("help".to_string());
    names
}

/// The subcommand `arg` is a misspelling of: within two edits of one (a third of its
/// length at most), and not an existing path or `-`.
fn typo_of(arg: &str, names: &[String]) -> Option<String> {
    if arg == "-" || arg.starts_with('-') || std::path::Path::new(arg).exists() {
        return None;
    }
    names
        .iter()
        .map(|n| (deadweight::analyze::budget::keys::edit_distance(arg, n), n))
        .filter(|(d, n)| *d > 0 && *d <= 2 && *d * 3 <= n.len())
        .min()
        .map(|(_, n)| n.clone())
}

/// The error and its causes on one line, each cause once: an error that already ends
/// with its cause's text (an I/O error's, as ours print it) does not repeat it.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{one_line, subcommands, typo_of};

    #[test]
    fn typos_suggest_the_subcommand() {
        let names = subcommands();
        assert_eq!(typo_of("inpsect", &names).as_deref(), Some("inspect"));
        assert_eq!(typo_of("chekc", &names).as_deref(), Some("check"));
        assert_eq!(typo_of("dif", &names).as_deref(), Some("diff"));
        assert_eq!(typo_of("img.tar", &names), None);
        assert_eq!(typo_of("-", &names), None);
    }

    #[test]
    fn causes_are_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(deadweight::Error::Io {
            path: "img.tar".into(),
            source: io,
        });
        assert_eq!(one_line(&e), "img.tar: no such file");
        let e = anyhow::anyhow!("bad budget").context("reading deadweight.toml");
        assert_eq!(one_line(&e), "reading deadweight.toml: bad budget");
    }
}
