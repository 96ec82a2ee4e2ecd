//! Fixes, the unit of advice (#22 item 2): the findings that one change to the build
//! removes together are grouped under that change, and a fix's `saving_bytes` is what
//! applying it removes from the image, each shipped entry once.
//!
//! Each finding that carries dead weight (or a secret file that a `.dockerignore` keeps
//! out) is resolved by one fix, chosen in this order:
//!
//! 1. `dockerignore`: files a COPY/ADD took from the build context (the layers
//!    [`super::dockerignore::context_layers`] names) of the categories a `.dockerignore`
//!    line keeps out, and files such a COPY brought that a later `rm` deleted;
//! 2. `builder-stage`: build toolchains, `-dev` packages, headers and static libraries;
//! 3. `runtime-deps-only`: pip dev tools, npm devDependencies;
//! 4. `apt-lists`, `pip-no-cache`: those caches, per layer;
//! 5. `delete-in-same-run`: files a RUN wrote that a later layer deleted (every entry of
//!    the finding deleted), per layer;
//! 6. `copy-chmod`: identical re-copies (a later chmod/chown/touch), per layer;
//! 7. then, if every entry of the finding is already in a fix above, that fix (the logs
//!    of a build-tools layer go with the builder stage); else `write-once` for
//!    overwritten files, `as-advised` (the finding's own fix, per rule and layer) for the
//!    rest, and last `keep-one-copy` for duplicates (a duplicate whose copy is a dataset
//!    goes with the dataset's fix).
//!
//! Notes without bytes join the fix they describe (`dockerfile_pattern.apt-lists-kept`,
//! `pip-cache`, `single-stage-build-tools`); the other notes, model weights, secrets in
//! the config and root-user findings have no fix here: they save no bytes.
//!
//! The builder stage saves more than the packages: a layer whose only packages are the
//! ones the stage takes away (nothing it wrote belongs to a package that stays) leaves
//! the runtime image altogether, so the fix also saves what that install wrote beside
//! the packages: files any headline category claims (logs, caches, docs) and the package
//! managers' own state it rewrote (`/var/lib/dpkg`, `/var/lib/apt`, `/var/cache/debconf`,
//! `/var/log`, `ld.so.cache`...). Not the layer's other files: a build in the same RUN
//! may have made them, and the runtime stage would COPY them. A layer that also installed
//! a kept package keeps its state files and caches (the runtime image still installs).
//!
//! A finding's own `saving_bytes` stays its `bytes`: a fix never keeps part of a file a
//! finding it resolves counts, so that is what the finding contributes; what the whole
//! change saves is its fix's figure.

use super::model::{Category, Finding, Fix, IgnoreLine, Package};
use super::shipped::Ctx;
use crate::analyze::instruction::Instruction;
use crate::index::Fate;
use foldhash::{HashSet, HashSetExt};

/// Fix kinds, in the order a finding is offered to them.
const DOCKERIGNORE: &str = "dockerignore";
const BUILDER: &str = "builder-stage";
const RUNTIME_DEPS: &str = "runtime-deps-only";
const APT_LISTS: &str = "apt-lists";
const PIP_CACHE: &str = "pip-no-cache";
const SAME_RUN: &str = "delete-in-same-run";
const CHMOD: &str = "copy-chmod";
const WRITE_ONCE: &str = "write-once";
const AS_ADVISED: &str = "as-advised";
const ONE_COPY: &str = "keep-one-copy";

/// Where package managers keep their state: an install rewrites these.
const STATE_DIRS: &[&[u8]] = &[
    b"/var/lib/dpkg",
    b"/var/lib/apt",
    b"/var/cache/debconf",
    b"/var/cache/apt",
    b"/var/cache/ldconfig",
    b"/var/log",
    b"/lib/apk/db",
    b"/var/cache/apk",
];

/// What [`fixes`] reads beside the findings.
pub(super) struct Inputs<'a> {
    pub ctx: &'a Ctx<'a>,
    pub packages: &'a [Package],
    /// The categories claiming each entry (bits), by entry.
    pub claims: &'a [u32],
    /// Layers that COPY or ADD from the build context.
    pub context_layers: &'a [bool],
    /// The suggested `.dockerignore` lines, heaviest first.
    pub ignore_lines: &'a [IgnoreLine],
}

/// `.dockerignore` lines the fix spells out.
const IGNORE_LINES_SHOWN: usize = 8;

/// Groups `findings` (in their final order) into fixes, heaviest first, and sets nothing
/// on the findings: the caller links them.
pub(super) fn fixes(inp: &Inputs<'_>, findings: &[Finding]) -> Vec<Fix> {
    let ctx = inp.ctx;
    let n = ctx.index.entries.len();
    let (bytes, layer, deleted) = entry_tables(ctx);
    let is_run = |l: usize| {
        ctx.index
            .created_by(l)
            .map(|c| Instruction::parse(c).keyword)
            .is_none_or(|k| k == "RUN" || k.is_empty())
    };
    let in_context = |f: &Finding| {
        f.layer
            .is_some_and(|l| inp.context_layers.get(l).copied().unwrap_or(false))
    };
    let mut out: Vec<Fix> = Vec::new();
    let mut order: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let rank = rank_of(f, in_context(f), f.layer.is_some_and(is_run), &deleted)?;
            Some((rank, i))
        })
        .collect();
    order.sort();
    // The first fix that took each entry, by entry.
    let mut owner = vec![u32::MAX; n];
    let mut builder_done = false;
    for (rank, i) in order {
        let f = &findings[i];
        // Leftovers of the builder stage go in once its package findings are all in.
        if rank > RANKS.iter().position(|k| *k == BUILDER).unwrap_or(0) && !builder_done {
            builder_done = true;
            if let Some((b, added)) = add_builder_leftovers(inp, findings, &mut out, &layer) {
                own(&mut owner, &added, b);
            }
        }
        let kind = RANKS.get(rank).copied().unwrap_or(AS_ADVISED);
        if f.entries.is_empty() {
            // A note: the fix it describes, if there is one.
            let target = match f.rule.as_str() {
                "dockerfile_pattern.apt-lists-kept" => Some((APT_LISTS, f.layer)),
                "dockerfile_pattern.pip-cache" => Some((PIP_CACHE, f.layer)),
                "dockerfile_pattern.single-stage-build-tools" => Some((BUILDER, None)),
                _ => None,
            };
            if let Some((k, l)) = target
                && let Some(x) = out
                    .iter_mut()
                    .find(|x| x.kind == k && (k == BUILDER || x.layer == l))
            {
                x.findings.push(i);
            }
            continue;
        }
        // Every entry already in one fix above: that fix resolves it. By the first fix
        // that took each entry, a table by entry (fixes can hold 100k entries).
        if rank >= RANKS.iter().position(|k| *k == WRITE_ONCE).unwrap_or(0) {
            let of = |e: &u32| owner.get(*e as usize).copied().unwrap_or(u32::MAX);
            let first = f.entries.first().map(of).unwrap_or(u32::MAX);
            if first != u32::MAX
                && f.entries.iter().all(|e| of(e) == first)
                && let Some(x) = out.get_mut(first as usize)
            {
                x.findings.push(i);
                continue;
            }
        }
        // One fix per image for these; per layer (and per rule for `as-advised`) else.
        let per_image = matches!(kind, DOCKERIGNORE | BUILDER);
        let k = out.len() as u32;
        let existing = out.iter_mut().find(|x| {
            x.kind == kind
                && (per_image || x.layer == f.layer)
                && (kind != AS_ADVISED
                    || x.findings
                        .first()
                        .is_some_and(|&j| findings[j].rule == f.rule))
        });
        match existing {
            Some(x) => {
                x.findings.push(i);
                x.entries.extend(f.entries.iter().copied());
            }
            None => out.push(Fix {
                kind,
                layer: f.layer,
                advice: advice(kind, f, inp),
                findings: vec![i],
                saving_bytes: 0,
                entries: f.entries.clone(),
            }),
        }
        let at = out
            .iter()
            .position(|x| x.findings.last() == Some(&i))
            .map_or(k, |p| p as u32);
        own(&mut owner, &f.entries, at);
    }
    if !builder_done {
        add_builder_leftovers(inp, findings, &mut out, &layer);
    }
    finish(&mut out, &bytes);
    out
}

/// Counts what each fix saves (its entries' bytes, each once) and orders them: heaviest
/// first, then by kind and layer.
fn finish(out: &mut [Fix], bytes: &[u64]) {
    for x in out.iter_mut() {
        x.entries.sort_unstable();
        x.entries.dedup();
        x.saving_bytes = x
            .entries
            .iter()
            .map(|&e| bytes.get(e as usize).copied().unwrap_or(0))
            .sum();
        x.findings.sort_unstable();
    }
    out.sort_by(|a, b| {
        b.saving_bytes
            .cmp(&a.saving_bytes)
            .then(rank(a.kind).cmp(&rank(b.kind)))
            .then(a.layer.cmp(&b.layer))
            .then(a.findings.cmp(&b.findings))
    });
}

/// By entry: the bytes and layer of every shipped entry (0 and `u16::MAX` for the rest),
/// and whether a later layer deleted it.
fn entry_tables(ctx: &Ctx<'_>) -> (Vec<u64>, Vec<u16>, Vec<bool>) {
    let n = ctx.index.entries.len();
    let mut bytes = vec![0u64; n];
    let mut layer = vec![u16::MAX; n];
    for s in ctx.shipped() {
        if let Some(b) = bytes.get_mut(s.entry as usize) {
            *b = s.bytes;
        }
        if let Some(l) = layer.get_mut(s.entry as usize) {
            *l = s.layer;
        }
    }
    let mut deleted = vec![false; n];
    for h in &ctx.analysis.waste.hidden {
        if matches!(h.fate, Fate::Deleted | Fate::DeletedWithDir)
            && let Some(d) = deleted.get_mut(h.entry as usize)
        {
            *d = true;
        }
    }
    (bytes, layer, deleted)
}

/// The fix kinds in the order they are offered a finding.
const RANKS: &[&str] = &[
    DOCKERIGNORE,
    BUILDER,
    RUNTIME_DEPS,
    APT_LISTS,
    PIP_CACHE,
    SAME_RUN,
    CHMOD,
    // Notes come here: after the fixes they join.
    "note",
    WRITE_ONCE,
    AS_ADVISED,
    ONE_COPY,
];

fn rank(kind: &str) -> usize {
    RANKS.iter().position(|k| *k == kind).unwrap_or(RANKS.len())
}

/// The rank of the fix that resolves `f`, or None when no fix does.
fn rank_of(f: &Finding, in_context: bool, in_run: bool, deleted: &[bool]) -> Option<usize> {
    let rule = f.rule.as_str();
    if f.entries.is_empty() {
        return (f.category == Category::DockerfilePattern).then(|| rank("note"));
    }
    let dead = Category::HEADLINE.contains(&f.category);
    // What `suggest_dockerignore` writes a line for, and files deleted in a later layer
    // (never needed in the context).
    let ignorable = super::dockerignore::ignorable(f) || rule == "hidden.deleted-later";
    if in_context && ignorable {
        return Some(rank(DOCKERIGNORE));
    }
    if !dead {
        return None;
    }
    let all_deleted = f
        .entries
        .iter()
        .all(|&e| deleted.get(e as usize).copied().unwrap_or(false));
    let kind = match rule {
        r if r.starts_with("build_toolchain.") => BUILDER,
        "dev_dependency.dpkg-dev-packages"
        | "dev_dependency.apk-dev-packages"
        | "dev_dependency.headers-static-libs" => BUILDER,
        "dev_dependency.python-dev-tools" | "dev_dependency.npm-dev-dependencies" => RUNTIME_DEPS,
        "package_cache.apt-lists" => APT_LISTS,
        "package_cache.pip" => PIP_CACHE,
        _ if all_deleted && in_run => SAME_RUN,
        "hidden.metadata-copy" => CHMOD,
        "hidden.overwritten" => WRITE_ONCE,
        _ if f.category == Category::Duplicate => ONE_COPY,
        _ => AS_ADVISED,
    };
    Some(rank(kind))
}

/// What a fix says, in the Dockerfile's words.
fn advice(kind: &str, f: &Finding, inp: &Inputs<'_>) -> String {
    match kind {
        DOCKERIGNORE => {
            // The suggested lines, heaviest first, as many as read on one line.
            let shown: Vec<String> = inp
                .ignore_lines
                .iter()
                .take(IGNORE_LINES_SHOWN)
                .map(|l| format!("`{}`", l.pattern))
                .collect();
            let more = inp.ignore_lines.len().saturating_sub(IGNORE_LINES_SHOWN);
            let lines = match (shown.is_empty(), more) {
                (true, _) => "the paths the app does not need".to_string(),
                (false, 0) => shown.join(", "),
                (false, m) => format!("{} and {m} more (`--dockerignore`)", shown.join(", ")),
            };
            format!(
                "keep them out of the build context: add {lines} to .dockerignore (or COPY only the paths the app needs)"
            )
        }
        BUILDER => "build in a builder stage (`FROM ... AS build`) and COPY only the artefacts into a runtime stage without compilers, -dev packages or headers".to_string(),
        APT_LISTS => "end the apt-get RUN with `&& rm -rf /var/lib/apt/lists/*`".to_string(),
        PIP_CACHE => "`pip install --no-cache-dir` (or `RUN --mount=type=cache,target=/root/.cache/pip`)".to_string(),
        SAME_RUN => "delete them in the same RUN that creates them (a later `rm` does not shrink the image)".to_string(),
        CHMOD => "set modes and owners when copying (`COPY --chmod=... --chown=...`), not in a later RUN that copies the files whole".to_string(),
        WRITE_ONCE => "write the files once, in their final form, in the layer that creates them".to_string(),
        _ => f.fix.clone(),
    }
}

/// Marks `entries` as taken by fix `k` where no fix took them yet.
fn own(owner: &mut [u32], entries: &[u32], k: u32) {
    for &e in entries {
        if let Some(o) = owner.get_mut(e as usize)
            && *o == u32::MAX
        {
            *o = k;
        }
    }
}

/// Adds to the builder-stage fix, if there is one, what the layers that installed only
/// the packages it removes wrote beside them (see the module doc); returns the fix's
/// index and the entries added.
fn add_builder_leftovers(
    inp: &Inputs<'_>,
    findings: &[Finding],
    out: &mut [Fix],
    layer: &[u16],
) -> Option<(u32, Vec<u32>)> {
    let b = out.iter().position(|x| x.kind == BUILDER)?;
    let fix = out.get_mut(b)?;
    let ctx = inp.ctx;
    let removed: HashSet<&str> = fix
        .findings
        .iter()
        .flat_map(|&i| findings[i].packages.iter().map(|(n, _)| n.as_str()))
        .collect();
    let mut kept: HashSet<u32> = HashSet::new();
    for p in inp.packages {
        if !removed.contains(p.name.as_str()) {
            kept.extend(p.entries.iter().copied());
        }
    }
    let mut layers: Vec<u16> = fix
        .entries
        .iter()
        .filter_map(|&e| layer.get(e as usize).copied())
        .filter(|&l| l != u16::MAX)
        .collect();
    layers.sort_unstable();
    layers.dedup();
    // A layer that wrote a file of a package that stays is still needed.
    layers.retain(|&l| {
        !ctx.shipped()
            .any(|s| s.layer == l && s.visible && kept.contains(&s.entry))
    });
    if layers.is_empty() {
        return None;
    }
    let headline: u32 = Category::HEADLINE.iter().fold(0, |m, c| m | c.bit());
    let paths = &ctx.index.paths;
    let state: Vec<_> = STATE_DIRS.iter().filter_map(|d| paths.find(d)).collect();
    let etc_ld = paths.find(b"/etc/ld.so.cache");
    let mut added = Vec::new();
    for s in ctx.shipped().filter(|s| layers.contains(&s.layer)) {
        let claimed = inp.claims.get(s.entry as usize).copied().unwrap_or(0) & headline != 0;
        let is_state =
            Some(s.path) == etc_ld || paths.ancestors(s.path).any(|a| state.contains(&a));
        if claimed || is_state {
            added.push(s.entry);
        }
    }
    fix.entries.extend(added.iter().copied());
    Some((b as u32, added))
}
