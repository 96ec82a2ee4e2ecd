//! Dead weight and leaks: what an image carries that it should not, with the fix and what
//! it saves.
//!
//! Inputs: the [`Index`], the byte accounting ([`Analysis`]), and what the
//! [`collect::Collector`] noted while the reader streamed (file magic, package databases,
//! secret hits). Findings come from:
//!
//! - path rules ([`rules`], one table per category; [`matcher`] the engine), matched
//!   against every shipped file, visible or hidden ([`by_path`]);
//! - directories of many small data files, one finding each ([`datasets`]);
//! - package databases ([`packages`], attributed in [`attribution`]): dev tools (pip, npm
//!   devDependencies, dpkg `-dev`) and build toolchains, with the bytes of their files
//!   present in the final tree ([`build_time`]);
//! - secrets ([`secrets`] the scanner, [`security`] the findings): key and credential
//!   files, tokens in small text files, secrets in the config's `Env`, labels and history;
//!   a key an installed package lists as its own file is that package's fixture (`info`);
//! - the config (root user), modes (setuid/setgid, world-writable) ([`security`]), the
//!   waste accounting (duplicates, hidden bytes: [`accounting`]) and the history
//!   (`dockerfile_pattern`: [`history`]);
//! - and, from all of them, the `.dockerignore` lines ([`dockerignore`]).
//!
//! The data types are in [`model`]; [`shipped`] holds the context every part reads and
//! the accumulator that records who claimed which file.
//!
//! Byte counting: a finding's bytes count each entry once; within a category an entry
//! belongs to the first rule that claims it, so a byte counts once per category. The
//! headline (`dead_weight_bytes`) counts every entry once across categories, giving it to
//! the first category of [`Category::HEADLINE`] that claims it: the specific causes first
//! (their fix removes the bytes at the source), then duplicate and hidden bytes (whose fix
//! restructures the build). `model_weights` (info: the service needs its model),
//! `secret`, `root_user` and `dockerfile_pattern` carry no dead weight.

mod accounting;
mod attribution;
mod build_time;
mod by_path;
mod closure;
pub mod collect;
pub mod config;
mod datasets;
pub mod deps;
mod dockerignore;
mod fixes;
pub mod glob;
mod history;
pub mod magic;
pub mod matcher;
pub mod model;
mod names;
pub mod packages;
mod path_list;
pub mod rules;
pub mod secrets;
mod security;
mod shipped;

pub use config::Options;
pub use history::short;
pub use model::{Category, Finding, Findings, Fix, IgnoreLine, Package, Severity};

use super::Analysis;
use collect::Collected;
use foldhash::HashSet;
use shipped::{Acc, Ctx, VisibleByPath};
use std::collections::BTreeMap;

impl Findings {
    /// Finds the dead weight and leaks of `index`.
    pub fn new(
        index: &crate::index::Index,
        a: &Analysis,
        collected: &Collected,
        opts: &Options,
    ) -> Findings {
        let ctx = Ctx::new(index, a, collected, opts);
        let mut acc = Acc {
            index,
            max_paths: opts.max_paths,
            findings: Vec::new(),
            claims: vec![0; index.entries.len()],
        };
        let visible = VisibleByPath::new(index, &a.waste.visible);
        let packages = attribution::attribute_packages(&ctx, &visible);
        // The order matters: within a category, an entry belongs to the first finding
        // that claims it. A dataset directory's finding holds all its data files, so it
        // claims them before the per-file rules do.
        datasets::dataset_dir_findings(&ctx, &mut acc, &packages);
        by_path::path_findings(&ctx, &mut acc);
        build_time::package_findings(&ctx, &mut acc, &visible, &packages);
        build_time::header_findings(&ctx, &mut acc);
        security::file_secrets(&ctx, &mut acc);
        security::config_secrets(index, &mut acc);
        security::privilege_findings(&ctx, &mut acc);
        accounting::duplicate_findings(&ctx, &mut acc, &visible);
        accounting::hidden_findings(&ctx, &mut acc);
        history::dockerfile_patterns(index, &packages, &mut acc);
        let claims = std::mem::take(&mut acc.claims);
        let (mut findings, headline) = headline(&ctx, &claims, acc.findings);
        let dockerignore = dockerignore::suggest_dockerignore(index, a, &findings);
        let context_layers = dockerignore::context_layers(index, a);
        let fixes = fixes::fixes(
            &fixes::Inputs {
                ctx: &ctx,
                packages: &packages,
                claims: &claims,
                context_layers: &context_layers,
                ignore_lines: &dockerignore,
            },
            &findings,
        );
        for (k, fix) in fixes.iter().enumerate() {
            for &i in &fix.findings {
                if let Some(f) = findings.get_mut(i) {
                    f.resolved_by = Some(k);
                }
            }
        }
        let top3_saving_bytes = top3(&ctx, &fixes);
        Findings {
            findings,
            fixes,
            packages,
            dead_weight_bytes: headline.dead,
            by_category: headline.by_category,
            stored_by_category: headline.stored_by_category,
            top3_saving_bytes,
            dockerignore,
        }
    }
}

/// The headline figures.
struct Headline {
    dead: u64,
    by_category: BTreeMap<&'static str, u64>,
    stored_by_category: BTreeMap<&'static str, u64>,
}

/// Sorts the findings (what they save first) and counts the headline: each entry once,
/// in the first headline category that claims it. Every claim is of a shipped file, so
/// its bytes are the shipped file's.
fn headline(ctx: &Ctx<'_>, claims: &[u32], mut findings: Vec<Finding>) -> (Vec<Finding>, Headline) {
    let mask_of = |e: u32| claims.get(e as usize).copied().unwrap_or(0);
    let mut by_category: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut stored_by_category: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut dead = 0;
    for s in ctx.shipped() {
        let mask = mask_of(s.entry);
        if let Some(cat) = Category::HEADLINE.iter().find(|c| mask & c.bit() != 0) {
            *by_category.entry(cat.name()).or_default() += s.bytes;
            // The pull cost of the same entry, in the same category: each entry once.
            let stored = ctx
                .index
                .entries
                .get(s.entry as usize)
                .map_or(0, |e| e.stored);
            *stored_by_category.entry(cat.name()).or_default() += stored;
            dead += s.bytes;
        }
    }
    findings.sort_by(|x, y| {
        y.saving_bytes
            .cmp(&x.saving_bytes)
            .then(y.severity.cmp(&x.severity))
            .then(x.category.cmp(&y.category))
            .then(x.rule.cmp(&y.rule))
            .then(x.layer.cmp(&y.layer))
    });
    (
        findings,
        Headline {
            dead,
            by_category,
            stored_by_category,
        },
    )
}

/// What the three fixes that save most save together: their entries' bytes, each entry
/// once (two fixes may remove the same file: a temp file that is also a dataset).
fn top3(ctx: &Ctx<'_>, fixes: &[Fix]) -> u64 {
    let top: HashSet<u32> = fixes
        .iter()
        .take(3)
        .flat_map(|f| f.entries.iter().copied())
        .collect();
    ctx.shipped()
        .filter(|s| top.contains(&s.entry))
        .map(|s| s.bytes)
        .sum()
}
