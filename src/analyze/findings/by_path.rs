//! Findings of the path rules ([`super::rules`]), matched ([`super::matcher`]) against
//! every shipped file, visible or hidden (hidden bytes still ship): per category, the first
//! rule that matches a file claims it. `model_weights` claims visible files only (a service
//! needs one copy; the hidden copies are `hidden` findings). One finding per rule and layer
//! that wrote its files.

use super::matcher::Hits;
use super::model::Category;
use super::shipped::{Acc, Ctx, Shipped, in_halves};

/// The path rules' findings.
pub(super) fn path_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>) {
    let paths = &ctx.index.paths;
    // Per category, the first matching rule claims the file. The
    // files are matched in two halves on two threads, then claimed in order.
    // The shipped files each rule claims, by number: 4 bytes a file rather than a
    // copy of it, since rules may claim a large share of an image's files.
    let mut by_rule: Vec<Vec<u32>> = vec![Vec::new(); ctx.opts.rules.len()];
    if let Some(matcher) = &ctx.matcher {
        let dir_rules = matcher.dir_rules(paths, ctx.shipped().map(|s| s.path));
        let claims = |range: std::ops::Range<usize>| -> Vec<(u32, u32)> {
            // Each thread its own copy: globset's regexes keep a cache per copy,
            // and sharing one makes the threads queue for it.
            let matcher = matcher.clone();
            let mut hits = Hits::default();
            let mut out = Vec::new();
            for k in range {
                let Some(s) = ctx.shipped_at(k) else {
                    continue;
                };
                let dir = dir_rules.of(paths.parent(s.path));
                let m = ctx.collected.magic_of(s.entry);
                if !matcher.matches_into(paths, s.path, dir, m, &mut hits) || !hits.any() {
                    continue;
                }
                let mut seen: u32 = 0;
                for &i in hits.matched() {
                    let Some(rule) = ctx.opts.rules.get(i) else {
                        continue;
                    };
                    if seen & rule.category.bit() != 0 {
                        continue;
                    }
                    if rule.category == Category::ModelWeights && !s.visible {
                        continue;
                    }
                    if matcher.rule_matches(&hits, i, s.bytes, m) {
                        seen |= rule.category.bit();
                        if let (Ok(k), Ok(i)) = (u32::try_from(k), u32::try_from(i)) {
                            out.push((k, i));
                        }
                    }
                }
            }
            out
        };
        for (k, i) in in_halves(ctx.n_shipped(), claims) {
            if let Some(v) = by_rule.get_mut(i as usize) {
                v.push(k);
            }
        }
    }
    for (rule, claimed) in ctx.opts.rules.iter().zip(by_rule) {
        let mut files: Vec<Shipped> = claimed
            .iter()
            .filter_map(|&k| ctx.shipped_at(k as usize))
            .collect();
        drop(claimed);
        let total: u64 = files.iter().map(|f| f.bytes).sum();
        if files.is_empty() || total < rule.min_total {
            continue;
        }
        // One finding per layer that wrote the files, in layer order.
        files.sort_by_key(|f| f.layer);
        for fs in files.chunk_by(|a, b| a.layer == b.layer) {
            let layer = fs.first().map_or(0, |f| f.layer);
            let hidden = fs.iter().filter(|f| !f.visible).count();
            let message = format!(
                "{} in layer {layer}{}",
                super::model::files(fs.len()),
                if hidden > 0 {
                    format!(" ({hidden} deleted or replaced later, still shipped)")
                } else {
                    String::new()
                }
            );
            acc.push_files(
                &rule.id,
                rule.category,
                rule.severity,
                fs,
                &rule.fix,
                message,
            );
        }
    }
}
