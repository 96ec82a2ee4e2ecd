//! The commands about deadweight itself rather than an image: shell completions, the man
//! page and the JSON Schemas. Completions and man pages are generated from the clap types in
//! `cli.rs`, so a new flag or subcommand shows up in them without a change here.

use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;

use super::ExitStatus;
use crate::cli::{Cli, CompletionsArgs, ManArgs, SchemaArg, SchemaArgs};

/// `deadweight completions SHELL`: the script on standard output.
pub fn completions(args: &CompletionsArgs) -> Result<ExitStatus> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "deadweight", &mut out);
    write_stdout(&out)?;
    Ok(ExitStatus::Success)
}

/// `deadweight man`: one page with every subcommand on standard output, or with `--out DIR`
/// `deadweight.1` and a `deadweight-COMMAND.1` per subcommand (what packagers install).
pub fn man(args: &ManArgs) -> Result<ExitStatus> {
    let cmd = Cli::command();
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("{}: cannot write the man pages", dir.display()))?;
        }
        None => {
            let mut out = Vec::new();
            render_one_page(cmd, &mut out).context("rendering the man page")?;
            write_stdout(&out)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// `deadweight schema DOCUMENT`: the JSON Schema on standard output.
pub fn schema(args: &SchemaArgs) -> Result<ExitStatus> {
    use deadweight::schema::Document;
    let doc = match args.document {
        SchemaArg::Inspect => Document::Inspect,
        SchemaArg::Diff => Document::Diff,
        SchemaArg::Check => Document::Check,
        SchemaArg::Config => Document::Config,
    };
    write_stdout(deadweight::schema::render(doc).as_bytes())?;
    Ok(ExitStatus::Success)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .context("writing to standard output")?;
    stdout.flush().context("writing to standard output")
}

/// The top-level page (name, synopsis, description, options, the list of subcommands, exit
/// codes), then a section per subcommand with its synopsis and options.
///
/// clap_mangen renders whole pages; a subcommand's page is rendered in parts and each of its
/// `.SH` headings becomes a `.SS` under a `.SH` of the subcommand's own, so the page keeps
/// one title and man's section structure stays valid.
fn render_one_page(cmd: clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let top = clap_mangen::Man::new(cmd.clone());
    top.render_title(w)?;
    top.render_name_section(w)?;
    top.render_synopsis_section(w)?;
    top.render_description_section(w)?;
    top.render_options_section(w)?;
    top.render_subcommands_section(w)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("deadweight {}", sub.get_name());
        writeln!(w, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().display_name(name.replace(' ', "-")));
        let mut part = Vec::new();
        page.render_description_section(&mut part)?;
        page.render_synopsis_section(&mut part)?;
        page.render_options_section(&mut part)?;
        w.write_all(demote_headings(&String::from_utf8_lossy(&part)).as_bytes())?;
    }
    if cmd.get_after_help().is_some() {
        // The after-help text is the exit codes and the IMAGE forms: man's usual name for it.
        let mut part = Vec::new();
        top.render_extra_section(&mut part)?;
        let text = String::from_utf8_lossy(&part).replacen(".SH EXTRA", ".SH NOTES", 1);
        w.write_all(text.as_bytes())?;
    }
    top.render_version_section(w)
}

/// `.SH HEADING` lines become `.SS Heading` (a subsection under the subcommand's section).
fn demote_headings(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.lines() {
        match line.strip_prefix(".SH ") {
            Some(heading) => {
                let heading = heading.trim_matches('"').to_lowercase();
                let mut chars = heading.chars();
                let title: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                out.push_str(&format!(".SS \"{title}\"\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::demote_headings;

    #[test]
    fn section_headings_become_subsections() {
        let roff = ".SH OPTIONS\n.TP\n\\fB\\-\\-top\\fR\n.SH \"RULES\"\ntext .SH inline\n";
        assert_eq!(
            demote_headings(roff),
            ".SS \"Options\"\n.TP\n\\fB\\-\\-top\\fR\n.SS \"Rules\"\ntext .SH inline\n"
        );
    }
}
