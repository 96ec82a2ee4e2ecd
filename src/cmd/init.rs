//! `deadweight init IMAGE`: writes a starter `deadweight.toml` from the image as it is
//! today. Size rules get today's figures plus a margin, so `check` passes them now and
//! catches growth. What must never ship is not budgeted, whatever the image holds today:
//! `secret = 0`, `vcs = 0`, the private-key and version-control paths denied, and root
//! an error. `init` says which of those the image breaks now: `check` fails on them, and
//! on them alone, until they are fixed.

use super::{ExitStatus, emit};
use crate::cli::InitArgs;
use anyhow::{Result, bail};
use deadweight::analyze::budget::{CATEGORIES, Status, evaluate, parse_config, parse_size};
use deadweight::model::InspectReport;
use std::fmt::Write as _;

/// Paths denied by every starter config: version control and private keys.
pub const HARD_DENY: &[&str] = &[
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/*.pem",
    "**/id_rsa",
    "**/id_ecdsa",
    "**/id_ed25519",
    "**/.env",
];

/// Public certificate bundles that end in `.pem` and are no private key.
pub const HARD_ALLOW: &[&str] = &[
    "etc/ssl/**",
    "usr/share/ca-certificates/**",
    "usr/lib/ssl/**",
    "**/certifi/cacert.pem",
];

/// Categories written as `0` whatever the image has today.
pub const HARD_CATEGORIES: &[&str] = &["secret", "vcs"];

/// The rule ids a starter config never budgets: they fail until the image is fixed.
pub const HARD_RULES: &[&str] = &[
    "categories.secret",
    "categories.vcs",
    "paths.deny",
    "security.root_user",
];

/// `n` bytes grown by `margin` percent, rounded up to a short SI size (`"2.8MB"`) that
/// reads back as at least the grown figure.
pub fn with_margin(n: u64, margin: u32) -> String {
    let grown = n.saturating_add(n.saturating_mul(u64::from(margin)).div_ceil(100));
    round_up_si(grown)
}

fn round_up_si(n: u64) -> String {
    let units = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (name, size) in units {
        let x = n as f64 / size;
        if x >= 1.0 {
            let mut up = if x >= 100.0 {
                x.ceil()
            } else {
                (x * 10.0).ceil() / 10.0
            };
            // Floating point may land a hair under: step up until it reads back >= n.
            for _ in 0..4 {
                let text = format!("{up}{name}");
                if parse_size(&text).is_ok_and(|v| v >= n) {
                    return text;
                }
                up += if x >= 100.0 { 1.0 } else { 0.1 };
            }
            return n.to_string();
        }
    }
    n.to_string()
}

/// A ratio rounded to two decimals in the direction that keeps today's value passing:
/// up for a maximum, down for a minimum; checked against today's value as read back.
fn ratio_bound(x: f64, maximum: bool) -> String {
    let mut v = if maximum {
        (x * 100.0).ceil() / 100.0
    } else {
        (x * 100.0).floor() / 100.0
    };
    for _ in 0..4 {
        let text = format!("{v}");
        let back: f64 = text.parse().unwrap_or(v);
        if (maximum && back >= x) || (!maximum && back <= x) {
            return if text.contains('.') || text.contains('e') {
                text
            } else {
                format!("{text}.0")
            };
        }
        v += if maximum { 0.01 } else { -0.01 };
    }
    format!("{x}")
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
         # out is not checked, and \"off\" lists it as skipped. Secrets, version control,\n\
         # private keys and root are never budgeted: they fail until fixed. See docs/ci.md.\n"
    );
    let _ = writeln!(s, "[budget]");
    let size = |key: &str, n: u64, what: &str, s: &mut String| {
        let value = if n == 0 {
            "0".to_string()
        } else {
            format!("\"{}\"", with_margin(n, margin))
        };
        let _ = writeln!(s, "{key} = {value:<12} # {what} today: {n} bytes");
    };
    size("max_blob_bytes", t.blob_bytes, "stored size", &mut s);
    size("max_content_bytes", t.content_bytes, "content", &mut s);
    size("max_visible_bytes", t.visible_bytes, "visible", &mut s);
    size("max_hidden_bytes", t.hidden_bytes, "hidden", &mut s);
    size(
        "max_duplicate_bytes",
        t.duplicate_bytes,
        "duplicates",
        &mut s,
    );
    let largest = r.layers.iter().map(|l| l.content_bytes).max().unwrap_or(0);
    size("max_layer_bytes", largest, "largest layer", &mut s);
    let layers = r.layers.len() as u64;
    let _ = writeln!(
        s,
        "max_layers = {:<16} # today: {layers}",
        layers + (layers * u64::from(margin)).div_ceil(100)
    );
    if r.dive.efficiency.is_finite() {
        let _ = writeln!(
            s,
            "min_efficiency = {:<12} # dive's lowestEfficiency; today: {:.4}",
            ratio_bound(r.dive.efficiency.clamp(0.0, 1.0), false),
            r.dive.efficiency
        );
    }
    if let Some(u) = r.dive.user_wasted_percent.filter(|u| u.is_finite()) {
        // dive's ratio is wasted bytes over bytes above layer 0, and may exceed 1.
        let _ = writeln!(
            s,
            "max_user_wasted_percent = {:<3} # dive's highestUserWastedPercent; today: {u:.4}",
            ratio_bound(u.max(0.0), true)
        );
    }
    categories(r, margin, &mut s);
    let _ = writeln!(
        s,
        "\n[paths]                         # never budgeted: version control and private keys"
    );
    let quoted: Vec<String> = HARD_DENY.iter().map(|g| format!("\"{g}\"")).collect();
    let _ = writeln!(s, "deny = [{}]", quoted.join(", "));
    let quoted: Vec<String> = HARD_ALLOW.iter().map(|g| format!("\"{g}\"")).collect();
    let _ = writeln!(s, "allow = [{}]   # public CA bundles", quoted.join(", "));
    let _ = writeln!(s, "\n[security]");
    let _ = writeln!(s, "root_user = \"error\"             # never budgeted");
    let _ = writeln!(
        s,
        "\n# With --baseline REPORT.json|IMAGE (without these, check applies 5% and 10MB):\n# [baseline]\n# max_growth_bytes = \"20MB\"\n# max_growth_percent = 5\n# no_new_error_findings = true"
    );
    s
}

/// `[categories]`: the hard ones at 0; the others at today's bytes plus the margin, 0
/// when clean, and a warning when today's findings weigh nothing (a budget of 0 means
/// "none at all", which they would breach).
fn categories(r: &InspectReport, margin: u32, s: &mut String) {
    let _ = writeln!(
        s,
        "\n[categories]                    # the finding categories of inspect"
    );
    for c in CATEGORIES
        .iter()
        .filter(|c| !matches!(**c, "root_user" | "hidden" | "duplicate"))
    {
        let of_cat: Vec<_> = r.findings.iter().filter(|f| f.category == *c).collect();
        // What `check` measures for a category: its dead weight, or for categories that
        // are not dead weight (secret, model_weights) the bytes of its findings.
        let in_findings: u64 = of_cat.iter().map(|f| f.bytes).sum();
        let today = r
            .summary
            .by_category
            .get(*c)
            .copied()
            .unwrap_or(in_findings);
        let found = match of_cat.len() {
            0 => String::new(),
            1 => " in 1 finding".to_string(),
            n => format!(" in {n} findings"),
        };
        if HARD_CATEGORIES.contains(c) {
            let now = if of_cat.is_empty() {
                String::new()
            } else {
                format!("; today: {today} bytes{found}, which fails until fixed")
            };
            let _ = writeln!(s, "{c} = 0  # never budgeted{now}");
        } else if of_cat.is_empty() {
            let _ = writeln!(s, "{c} = 0");
        } else if today == 0 {
            let _ = writeln!(
                s,
                "{c} = {{ max = 0, level = \"warn\" }}  # today: 0 bytes{found}: reported, not failed"
            );
        } else {
            let _ = writeln!(
                s,
                "{c} = \"{}\"  # today: {today} bytes{found}",
                with_margin(today, margin)
            );
        }
    }
}

/// The rules of `text` that `r` breaks now, each with its message: the hard rules, and
/// (never, if [`starter`] is right) a size rule.
pub fn broken_now(text: &str, r: &InspectReport) -> Result<Vec<(String, String)>> {
    let rules = parse_config(text, "the starter config")?;
    let verdict = evaluate(&rules, r, None);
    Ok(verdict
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Fail)
        .map(|o| {
            let doc = deadweight::report::check::document(
                &deadweight::analyze::budget::Verdict {
                    outcomes: vec![o.clone()],
                    passed: false,
                },
                r,
                None,
                false,
                Vec::new(),
                Vec::new(),
                deadweight::report::ByteFormat::Si,
            );
            let message = doc
                .rules
                .first()
                .map(|x| x.message.clone())
                .unwrap_or_default();
            (o.rule.id.clone(), message)
        })
        .collect())
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
    let broken = broken_now(&text, &report)?;
    emit(
        (!to_stdout).then_some(args.output.as_path()),
        text.as_bytes(),
    )?;
    let target = if to_stdout {
        "the config".to_string()
    } else {
        args.output.display().to_string()
    };
    #[allow(clippy::print_stderr)]
    {
        if broken.is_empty() {
            eprintln!(
                "deadweight: wrote {target}: `deadweight check` passes on this image today and fails when it grows past the margin"
            );
        } else {
            eprintln!(
                "deadweight: wrote {target}: the size rules pass today, but the image breaks {} that {} never budgeted, so `deadweight check` fails until {} fixed:",
                if broken.len() == 1 { "a rule" } else { "rules" },
                if broken.len() == 1 { "is" } else { "are" },
                if broken.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
            );
            for (id, message) in &broken {
                let hard = if HARD_RULES.contains(&id.as_str()) {
                    ""
                } else {
                    " (a size rule: please report this)"
                };
                eprintln!("  {id}: {message}{hard}");
            }
        }
    }
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
        // Exactly on a rounding step, with no margin: reads back as the figure itself.
        assert_eq!(with_margin(2_800_000, 0), "2.8MB");
        assert_eq!(with_margin(1_000_000, 0), "1MB");
    }

    #[test]
    fn ratios_keep_today_passing() {
        assert_eq!(ratio_bound(1.0002, true), "1.01");
        assert_eq!(ratio_bound(1.0, true), "1.0");
        assert_eq!(ratio_bound(0.1, true), "0.1");
        assert_eq!(ratio_bound(0.949130, false), "0.94");
        assert_eq!(ratio_bound(1.0, false), "1.0");
        assert_eq!(ratio_bound(0.0, false), "0.0");
        for x in [0.57, 0.58, 0.29, 0.3333, 0.999999, 1e-9] {
            assert!(ratio_bound(x, true).parse::<f64>().unwrap() >= x, "{x}");
            assert!(ratio_bound(x, false).parse::<f64>().unwrap() <= x, "{x}");
        }
    }
}
