//! The `deadweight` binary: parse arguments, run a command, map the result to an exit code.

mod cli;
mod cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let _ = cmd::STARTED.set(std::time::Instant::now());
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `deadweight IMAGE` is `deadweight inspect IMAGE`.
    // Flags of the top level itself (help, version) stay where they are.
    if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
        let top_level = matches!(first, "-h" | "--help" | "-V" | "--version");
        if !top_level && !cli::SUBCOMMANDS.contains(&first) {
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
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("deadweight: error: {}", msg.join(": "));
            }
            ExitCode::from(2)
        }
    }
}
