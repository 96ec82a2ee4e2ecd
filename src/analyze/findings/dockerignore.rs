//! `.dockerignore` lines for what COPY/ADD layers took from the build context: the
//! findings' files (of the categories a `.dockerignore` can keep out) below a COPY's
//! destination, as the top directory or the file relative to it.

use super::model::{Category, Finding, IgnoreLine};
use crate::analyze::instruction::Instruction;
use crate::analyze::{Analysis, BaseSource};
use crate::index::{Index, PathId, ROOT};
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeMap;

/// How many bottom layers are the base image's: those `--base` named, or else those made
/// before the base's own `CMD`/`ENTRYPOINT` (the last one in the history that a layer
/// follows: a Dockerfile's own comes at its end). None when the history shows no such
/// line.
fn base_layers(index: &Index, analysis: &Analysis) -> usize {
    if matches!(analysis.base.source, BaseSource::Given(_)) {
        return analysis.base.layers;
    }
    let history = &index.image.config.history;
    let mut layers = 0;
    let (mut base, mut candidate) = (0, None);
    for h in history {
        if !h.empty_layer {
            // A layer follows the CMD: the CMD was the base's.
            if let Some(c) = candidate.take() {
                base = c;
            }
            layers += 1;
            continue;
        }
        let keyword = h
            .created_by
            .as_deref()
            .map(|c| Instruction::parse(c).keyword)
            .unwrap_or_default();
        if matches!(keyword, "CMD" | "ENTRYPOINT") {
            candidate = Some(layers);
        }
    }
    base
}

/// The top directories of a root filesystem: never a `.dockerignore` line, even under a
/// `COPY . /`.
const SYSTEM_DIRS: &[&[u8]] = &[
    b"bin", b"boot", b"dev", b"etc", b"lib", b"lib32", b"lib64", b"libx32", b"media", b"mnt",
    b"opt", b"proc", b"root", b"run", b"sbin", b"srv", b"sys", b"tmp", b"usr", b"var",
];

/// For each layer, where a COPY or ADD of the build context put its files: only the
/// image's own layers (not the first `base` ones), never a `COPY --from` of another
/// stage or image, an ADD of a URL, or an ADD into `/` (a root filesystem: `ADD file:...
/// in /`, a tarball extracted at `/`). Under a COPY into `/`, the system directories
/// ([`SYSTEM_DIRS`]) are never a line either. A relative destination is below the WORKDIR the history had
/// set by then (the config's WORKDIR when the history records none).
fn context_copies(index: &Index, base: usize) -> Vec<Option<CopyDest>> {
    let history = &index.image.config.history;
    let tracks_workdir = history.iter().any(|h| {
        h.created_by
            .as_deref()
            .is_some_and(|c| Instruction::parse(c).keyword == "WORKDIR")
    });
    let mut workdir = if tracks_workdir {
        "/".to_string()
    } else {
        index.image.config.working_dir.clone()
    };
    // The WORKDIR in force at each layer, in history order.
    let mut workdirs: Vec<String> = Vec::new();
    for h in history {
        let i = h
            .created_by
            .as_deref()
            .map(Instruction::parse)
            .unwrap_or_default();
        if i.keyword == "WORKDIR" {
            workdir = join(&workdir, &i.args);
        }
        if !h.empty_layer {
            workdirs.push(workdir.clone());
        }
    }
    (0..index.layers.len())
        .map(|layer| {
            if layer < base {
                return None;
            }
            let i = Instruction::parse(index.layers.get(layer)?.created_by()?);
            let copy = i.copy()?;
            let remote = copy
                .sources
                .iter()
                .any(|s| s.contains("://") || s.starts_with("git@"));
            if copy.from.is_some() || remote {
                return None;
            }
            let wd = workdirs
                .get(layer)
                .map_or(index.image.config.working_dir.as_str(), String::as_str);
            let dest = join(wd, copy.dest);
            if dest == "/" && copy.add {
                return None;
            }
            // The one source, when the record names it (`COPY dataset /srv/dataset`; the
            // classic builder records only a digest, `dir:<sha256>`).
            let source = match copy.sources.as_slice() {
                [one] if !one.contains(':') => {
                    let s = one.trim_start_matches("./").trim_end_matches('/');
                    (!s.is_empty() && s != ".").then(|| s.to_string())
                }
                _ => None,
            };
            Some(CopyDest {
                dest: index.paths.find(dest.as_bytes())?,
                source,
            })
        })
        .collect()
}

/// Where a COPY put the build context's files: its destination, and its one source when
/// the record names it.
struct CopyDest {
    dest: PathId,
    source: Option<String>,
}

impl CopyDest {
    /// The build-context path of `p`, at or below the destination: its path below the
    /// destination, under the source when known. A single file copied into a directory
    /// (`COPY app.py /srv/`) is the source itself.
    fn context_path(&self, index: &Index, p: PathId) -> Option<String> {
        let paths = &index.paths;
        if p != self.dest && !paths.ancestors(p).any(|a| a == self.dest) {
            return None;
        }
        let shown = paths.display(p);
        let dest = paths.display(self.dest);
        let rel = shown
            .strip_prefix(dest.trim_end_matches('/'))
            .unwrap_or_default()
            .trim_start_matches('/');
        match &self.source {
            Some(src) => {
                let base = src.rsplit('/').next().unwrap_or(src);
                if rel.is_empty() || rel == base {
                    Some(src.clone())
                } else {
                    Some(format!("{src}/{rel}"))
                }
            }
            None => (!rel.is_empty()).then(|| rel.to_string()),
        }
    }
}

/// `rel` below `dir` (`rel` itself when absolute), `.` and trailing `/` resolved away.
fn join(dir: &str, rel: &str) -> String {
    let base = if rel.starts_with('/') { "" } else { dir };
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `.dockerignore` lines for what COPY/ADD layers of the image's own took from the build
/// context (see [`context_copies`]). A key a package lists as its own file is the
/// package's, not the build context's.
/// Which layers COPY or ADD from the build context (as [`context_copies`] reads them):
/// what a `.dockerignore` line can keep out of.
pub(super) fn context_layers(index: &Index, analysis: &Analysis) -> Vec<bool> {
    context_copies(index, base_layers(index, analysis))
        .iter()
        .map(Option::is_some)
        .collect()
}

/// Whether a `.dockerignore` line is suggested for `f`'s files when a COPY took them from
/// the build context: the categories nobody ships on purpose, except a package's own
/// test fixture that looks like a secret.
pub(super) fn ignorable(f: &Finding) -> bool {
    const CATS: &[Category] = &[
        Category::Vcs,
        Category::Dataset,
        Category::Notebook,
        Category::TestSuite,
        Category::Docs,
        Category::Secret,
        Category::PackageCache,
        Category::TempFile,
        Category::LogFile,
    ];
    CATS.contains(&f.category) && f.rule != "secret.package-fixture"
}

pub(super) fn suggest_dockerignore(
    index: &Index,
    analysis: &Analysis,
    findings: &[Finding],
) -> Vec<IgnoreLine> {
    let dests = context_copies(index, base_layers(index, analysis));
    let paths = &index.paths;
    let mut lines: BTreeMap<String, (u64, Category, HashSet<u32>)> = BTreeMap::new();
    for f in findings.iter().filter(|f| ignorable(f)) {
        // A dataset directory's finding: one line for the directory.
        let dataset_dir = (f.rule == "dataset.many-files")
            .then(|| f.paths.first())
            .flatten()
            .and_then(|d| paths.find(d.trim_end_matches('/').as_bytes()));
        for &e in &f.entries {
            let Some(entry) = index.entries.get(e as usize) else {
                continue;
            };
            let Some(Some(copy)) = dests.get(usize::from(entry.layer)) else {
                continue;
            };
            let dest = copy.dest;
            // The entry's ancestor just below the destination, if it is below it.
            let top = paths.ancestor_at(entry.path, paths.depth(dest) + 1);
            if top == dest || paths.parent(top) != dest {
                continue;
            }
            // A copy into `/`: system paths are never a line.
            if dest == ROOT && SYSTEM_DIRS.contains(&paths.name(top)) {
                continue;
            }
            let whole_dir = matches!(
                f.category,
                Category::Vcs
                    | Category::Dataset
                    | Category::Notebook
                    | Category::TestSuite
                    | Category::Docs
            );
            let at = match dataset_dir {
                // The directory, or the destination when the copy went inside it.
                Some(d) if d == dest || paths.ancestors(d).any(|a| a == dest) => d,
                Some(_) => dest,
                None if whole_dir && top != entry.path => top,
                None => entry.path,
            };
            // A copy whose source the record does not name, into the directory itself:
            // the lines are what is below it.
            let Some(pattern) = copy
                .context_path(index, at)
                .or_else(|| copy.context_path(index, top))
            else {
                continue;
            };
            let slot = lines
                .entry(pattern)
                .or_insert((0, f.category, HashSet::new()));
            if slot.2.insert(e) {
                slot.0 += entry.size;
            }
        }
    }
    let mut out: Vec<IgnoreLine> = lines
        .into_iter()
        .map(|(pattern, (bytes, category, _))| IgnoreLine {
            pattern,
            bytes,
            category,
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.pattern.cmp(&b.pattern)));
    out
}
