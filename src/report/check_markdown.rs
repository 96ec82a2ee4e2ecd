//! The `check` report as Markdown (a pull-request comment, a GitHub job summary), and
//! the GitHub Actions annotations (`::error`/`::warning` workflow commands).

use super::ByteFormat;
use super::check::{contributor_line, show_number};
use super::text::{md_cell, md_code, md_inline, md_text};
use crate::model::check::CheckReport;
use std::io::{self, Write};

/// Renders the check report as GitHub-flavoured Markdown.
pub fn render(r: &CheckReport, bytes: ByteFormat, out: &mut dyn Write) -> io::Result<()> {
    let verdict = if r.passed { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "## deadweight check: {verdict} {}",
        md_code(r.image_name())
    )?;
    writeln!(out)?;
    if r.defaults {
        writeln!(
            out,
            "_No deadweight.toml and no rule flags: the default rules applied (no secrets, no \
             version-control directory, dive's lowestEfficiency 0.9 and \
             highestUserWastedPercent 0.1)._"
        )?;
        writeln!(out)?;
    }
    for n in super::check::other_notes(r) {
        writeln!(out, "> note: {}", md_inline(n))?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "| rule | level | threshold | value | status | message |"
    )?;
    writeln!(out, "|---|---|---:|---:|---|---|")?;
    for rule in &r.rules {
        writeln!(
            out,
            "| {} | {} | {} | {} | **{}** | {} |",
            md_code(&rule.id),
            md_cell(&rule.level),
            show_number(rule.threshold, &rule.unit, bytes),
            show_number(rule.value, &rule.unit, bytes),
            rule.status.to_uppercase(),
            md_inline(&rule.message)
        )?;
    }
    for rule in r
        .rules
        .iter()
        .filter(|x| x.status == "fail" || x.status == "warn")
    {
        writeln!(out)?;
        writeln!(
            out,
            "### {} {}",
            rule.status.to_uppercase(),
            md_code(&rule.id)
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{} ({})",
            md_inline(&rule.message),
            md_inline(&rule.description)
        )?;
        if !rule.contributors.is_empty() {
            writeln!(out)?;
            for c in &rule.contributors {
                writeln!(out, "- {}", md_code(&contributor_line(c, bytes)))?;
            }
        }
        if let Some(fix) = &rule.fix {
            writeln!(out)?;
            writeln!(out, "**Fix:** {}", md_inline(fix))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "**{}**", md_text(&r.headline()))
}

/// Escapes a workflow command's message (`%`, CR, LF), as the Actions runner expects.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Writes one `::error` (failed rule) or `::warning` (warned rule) line per breach.
pub fn annotations(r: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    for rule in &r.rules {
        let command = match rule.status.as_str() {
            "fail" => "error",
            "warn" => "warning",
            _ => continue,
        };
        let mut msg = format!("{}: {}", r.image_name(), rule.message);
        if let Some(fix) = &rule.fix {
            msg.push_str(&format!("\nfix: {fix}"));
        }
        writeln!(
            out,
            "::{command} title={}::{}",
            escape_property(&format!("deadweight {}", rule.id)),
            escape_data(&msg)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
