//! The `check` report as Markdown (a pull-request comment, a GitHub job summary), and
//! the GitHub Actions annotations (`::error`/`::warning` workflow commands).

use super::ByteFormat;
use super::check::{contributor_line, show_number};
use crate::model::check::CheckReport;
use std::io::{self, Write};

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the check report as GitHub-flavoured Markdown.
pub fn render(r: &CheckReport, bytes: ByteFormat, out: &mut dyn Write) -> io::Result<()> {
    let verdict = if r.passed { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "## deadweight check: {verdict} `{}`",
        cell(r.image_name())
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
    writeln!(
        out,
        "| rule | level | threshold | value | status | message |"
    )?;
    writeln!(out, "|---|---|---:|---:|---|---|")?;
    for rule in &r.rules {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | **{}** | {} |",
            rule.id,
            rule.level,
            show_number(rule.threshold, &rule.unit, bytes),
            show_number(rule.value, &rule.unit, bytes),
            rule.status.to_uppercase(),
            cell(&rule.message)
        )?;
    }
    for rule in r
        .rules
        .iter()
        .filter(|x| x.status == "fail" || x.status == "warn")
    {
        writeln!(out)?;
        writeln!(out, "### {} `{}`", rule.status.to_uppercase(), rule.id)?;
        writeln!(out)?;
        writeln!(out, "{} ({})", rule.message, rule.description)?;
        if !rule.contributors.is_empty() {
            writeln!(out)?;
            for c in &rule.contributors {
                writeln!(out, "- `{}`", contributor_line(c, bytes).replace('`', "'"))?;
            }
        }
        if let Some(fix) = &rule.fix {
            writeln!(out)?;
            writeln!(out, "**Fix:** {fix}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "**{}**", r.headline())
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
