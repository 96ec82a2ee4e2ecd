//! `deadweight init IMAGE`: writes a starter `deadweight.toml` from the image as it is
//! today: its sizes plus a margin, zero for the finding categories that are clean now,
//! denied paths that match nothing now, so the gate passes today and catches growth.

use super::{ExitStatus, emit};
use crate::cli::InitArgs;
use anyhow::{Result, bail};
use deadweight::analyze::budget::is_root_user;
use deadweight::analyze::budget::{CATEGORIES, compile_glob};
use deadweight::model::InspectReport;
use std::fmt::Write as _;

/// Paths a starter config denies when the image has none of them today.
const CANDIDATE_DENY: &[&str] = &[
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/*.pem",
    "**/id_rsa",
    "**/.env",
];

/// `n` bytes grown by `margin` percent, rounded up to a short SI size (`"2.8MB"`).
pub fn with_margin(n: u64, margin: u32) -> String {
    let grown = n.saturating_add(n.saturating_mul(u64::from(margin)).div_ceil(100));
    round_up_si(grown)
}

fn round_up_si(n: u64) -> String {
    let units = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (name, size) in units {
        let x = n as f64 / size;
        if x >= 1.0 {
            let up = if x >= 100.0 {
                x.ceil()
            } else {
                (x * 10.0).ceil() / 10.0
            };
            return format!("{up}{name}");
        }
    }
    n.to_string()
}

/// The starter config for `r`.
pub fn starter(r: &InspectReport, margin: u32) -> String {
    let t = &r.totals;
    let mut s = String::new();
    let name = r.image.reference.as_deref().unwrap_or(&r.source.path);
    let _ = writeln!(
        s,
        "# deadweight.toml: budgets for `deadweight check`, written by `deadweight init`\n\
         # from {name}: today's sizes plus {margin}%. Sizes take SI (MB, GB) or IEC (MiB,\n\
         # GiB) units; a rule may be a table {{ max = ..., level = \"warn\" }}; a rule left\n\
         # out is not checked, and \"off\" lists it as skipped. See the README, \"CI integration\".\n"
    );
    let _ = writeln!(s, "[budget]");
    let mut size = |key: &str, n: u64, what: &str| {
        let value = if n == 0 {
            "0".to_string()
        } else {
            format!("\"{}\"", with_margin(n, margin))
        };
        let _ = writeln!(s, "{key} = {value:<12} # {what} today: {n} bytes");
    };
    size("max_blob_bytes", t.blob_bytes, "stored size");
    size("max_content_bytes", t.content_bytes, "content");
    size("max_visible_bytes", t.visible_bytes, "visible");
    size("max_hidden_bytes", t.hidden_bytes, "hidden");
    size("max_duplicate_bytes", t.duplicate_bytes, "duplicates");
    let largest = r.layers.iter().map(|l| l.content_bytes).max().unwrap_or(0);
    size("max_layer_bytes", largest, "largest layer");
    let layers = r.layers.len() as u64;
    let _ = writeln!(
        s,
        "max_layers = {:<16} # today: {layers}",
        layers + (layers * u64::from(margin)).div_ceil(100)
    );
    let eff = (r.dive.efficiency * 100.0).floor() / 100.0;
    let _ = writeln!(
        s,
        "min_efficiency = {eff:<12} # dive's lowestEfficiency; today: {:.4}",
        r.dive.efficiency
    );
    if let Some(u) = r.dive.user_wasted_percent {
        let up = ((u * 100.0).ceil() / 100.0).min(1.0);
        let _ = writeln!(
            s,
            "max_user_wasted_percent = {up:<3} # dive's highestUserWastedPercent; today: {u:.4}"
        );
    }
    let _ = writeln!(
        s,
        "\n[categories]                    # the finding categories of inspect"
    );
    for c in CATEGORIES
        .iter()
        .filter(|c| !matches!(**c, "root_user" | "hidden" | "duplicate"))
    {
        // What `check` measures for a category: its dead weight, or for categories that
        // are not dead weight (secret, model_weights) the bytes of its findings.
        let in_findings: u64 = r
            .findings
            .iter()
            .filter(|f| f.category == *c)
            .map(|f| f.bytes)
            .sum();
        let today = r
            .summary
            .by_category
            .get(*c)
            .copied()
            .unwrap_or(in_findings);
        let any = r.findings.iter().any(|f| f.category == *c);
        if today == 0 && !any {
            let _ = writeln!(s, "{c} = 0");
        } else {
            let _ = writeln!(
                s,
                "{c} = \"{}\"  # today: {today} bytes",
                with_margin(today, margin)
            );
        }
    }
    let files = r.files.as_deref().unwrap_or(&[]);
    let (clean, dirty): (Vec<&str>, Vec<&str>) = CANDIDATE_DENY.iter().copied().partition(|g| {
        compile_glob(g).is_ok_and(|m| {
            !files
                .iter()
                .any(|f| m.is_match(f.path.trim_start_matches('/')))
        })
    });
    let _ = writeln!(s, "\n[paths]");
    let quoted: Vec<String> = clean.iter().map(|g| format!("\"{g}\"")).collect();
    let _ = writeln!(s, "deny = [{}]", quoted.join(", "));
    let _ = writeln!(s, "allow = []");
    for g in dirty {
        let _ = writeln!(s, "# not denied, the image has such paths today: \"{g}\"");
    }
    let _ = writeln!(s, "\n[security]");
    if is_root_user(&r.image.user) {
        let _ = writeln!(
            s,
            "root_user = \"warn\"             # the image runs as root today; make it \"error\" once it does not"
        );
    } else {
        let _ = writeln!(s, "root_user = \"error\"");
    }
    let _ = writeln!(
        s,
        "\n# With --baseline REPORT.json|IMAGE:\n# [baseline]\n# max_growth_bytes = \"20MB\"\n# max_growth_percent = 5\n# no_new_error_findings = true"
    );
    s
}

/// Runs `init`.
pub fn run(args: &InitArgs) -> Result<ExitStatus> {
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout && args.output.exists() && !args.force {
        bail!(
            "{}: exists already (use --force to replace it)",
            args.output.display()
        );
    }
    let report = super::check::load_report(&args.input, None)?;
    let text = starter(&report, args.margin);
    emit(
        (!to_stdout).then_some(args.output.as_path()),
        text.as_bytes(),
    )?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_round_up() {
        assert_eq!(with_margin(2_523_648, 10), "2.8MB");
        assert_eq!(with_margin(1_982_544, 10), "2.2MB");
        assert_eq!(with_margin(500, 10), "550");
        assert_eq!(with_margin(123_456_789_012, 0), "124GB");
        assert_eq!(with_margin(999, 10), "1.1kB");
    }
}
