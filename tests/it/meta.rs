//! `completions` and `man`: the scripts load in the shell they are for and complete, and
//! the man pages render through man-db and groff without a warning.

use crate::common::bin;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tool the test runs (bash, man). Missing: fails under `DEADWEIGHT_REQUIRE_FIXTURES=1`
/// (CI installs it), else the test is skipped.
fn tool(name: &str, apt: &str) -> Option<PathBuf> {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    if std::env::var("DEADWEIGHT_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!("{name} missing and DEADWEIGHT_REQUIRE_FIXTURES=1 (apt-get install {apt})");
    }
    eprintln!("skipping: {name} is not installed");
    None
}

fn stdout_of(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run deadweight");
    assert!(out.status.success(), "deadweight {args:?}: {:?}", out);
    assert!(out.stderr.is_empty(), "deadweight {args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The subcommands, as `deadweight --help` lists them (without `help`).
fn subcommands() -> Vec<String> {
    let help = stdout_of(&["--help"]);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 6, "too few subcommands in --help: {names:?}");
    names
}

/// The long flags of a subcommand, as its `--help` lists them.
fn long_flags(sub: &str) -> Vec<String> {
    stdout_of(&[sub, "--help"])
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("-").map(|_| l))
        .filter_map(|l| l.split(&[' ', ','][..]).find(|w| w.starts_with("--")))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_owned()
        })
        .collect()
}

/// What bash's completion function offers for `line` (the cursor at its end), the way
/// readline calls it on TAB: COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT set, then the
/// function named by `complete -p deadweight` called with the command, the current word and
/// the previous word.
fn bash_complete(bash: &Path, script: &Path, line: &str) -> Vec<String> {
    let program = r#"
set -u
source "$1"
line="$2"
read -r -a COMP_WORDS <<< "$line"
[[ "$line" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$line"
COMP_POINT=${#line}
spec=$(complete -p deadweight) || exit 3
fn=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<< "$spec")
prev=""
(( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
"$fn" deadweight "${COMP_WORDS[COMP_CWORD]}" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new(bash)
        .args(["--norc", "--noprofile", "-c", program, "complete"])
        .arg(script)
        .arg(line)
        .output()
        .expect("run bash");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "bash completion of {line:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort();
    words
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let Some(bash) = tool("bash", "bash") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("deadweight.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).expect("write script");

    // `deadweight in<TAB>`: the two subcommands that start so, nothing else.
    assert_eq!(
        bash_complete(&bash, &script, "deadweight in"),
        ["init", "inspect"]
    );
    assert_eq!(
        bash_complete(&bash, &script, "deadweight com"),
        ["completions"]
    );
    // A subcommand's own flags, and a value enum's values.
    assert_eq!(
        bash_complete(&bash, &script, "deadweight inspect --suggest"),
        ["--suggest-dockerignore"]
    );
    let formats = bash_complete(&bash, &script, "deadweight check img.tar --format ");
    assert_eq!(formats, ["json", "junit", "markdown", "sarif", "table"]);
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let names = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{shell} script lacks {name}"
            );
        }
    }
    let out = bin().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// `man -l` on `page`, as a user reads it: stderr must be empty (groff's and man's
/// warnings go there under `--warnings`), and the text is returned.
fn man_render(man: &Path, page: &Path) -> String {
    let out = Command::new(man)
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("run man");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "man -l {} warned: {stderr}",
        page.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn man_page_renders_without_warnings_and_holds_every_subcommand() {
    let Some(man) = tool("man", "man-db groff") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("deadweight.1");
    std::fs::write(&page, stdout_of(&["man"])).expect("write page");
    // groff justifies lines with extra spaces: compare words, not spacing.
    let text = man_render(&man, &page)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for sub in subcommands() {
        let heading = format!("DEADWEIGHT {}", sub.to_uppercase());
        assert!(text.contains(&heading), "the page lacks {heading}");
        // Each subcommand's flags are on the page, not only its name.
        let flags = long_flags(&sub);
        assert!(
            flags.iter().any(|f| f == "--help"),
            "{sub}: no flags parsed"
        );
        for flag in flags {
            assert!(text.contains(&flag), "the page lacks {sub} {flag}");
        }
    }
    assert!(text.contains("Exit codes"), "the page lacks the exit codes");
}

#[test]
fn man_out_writes_one_page_per_subcommand() {
    let Some(man) = tool("man", "man-db groff") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    stdout_of(&["man", "--out", out.to_str().expect("utf-8 path")]);
    let mut want: Vec<String> = subcommands()
        .iter()
        .map(|s| format!("deadweight-{s}.1"))
        .collect();
    want.push("deadweight.1".into());
    want.sort();
    let mut got: Vec<String> = std::fs::read_dir(&out)
        .expect("read out dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, want);
    for name in &got {
        let text = man_render(&man, &out.join(name));
        assert!(text.contains("SYNOPSIS"), "{name} has no synopsis");
    }
}
