//! What the findings are about and how they are gathered: the shipped files (visible or
//! hidden, by number, never copied into one list), the visible file at each path, and the
//! accumulator that records findings and which categories claimed which entry (so a byte
//! counts once per category, and once in the headline).

use super::collect::Collected;
use super::config::Options;
use super::matcher::RuleMatcher;
use super::model::{Category, Finding, Severity};
use crate::analyze::Analysis;
use crate::analyze::waste::VisibleFile;
use crate::index::{Index, PathId};
use foldhash::{HashMap, HashMapExt};

/// What every part of the findings reads: the image, its accounting, what the reader
/// collected, the options and the compiled rules.
pub(super) struct Ctx<'a> {
    pub index: &'a Index,
    pub analysis: &'a Analysis,
    pub collected: &'a Collected,
    pub opts: &'a Options,
    /// `None` when the rules fail to compile: see [`Ctx::new`].
    pub matcher: Option<RuleMatcher<'a>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        index: &'a Index,
        analysis: &'a Analysis,
        collected: &'a Collected,
        opts: &'a Options,
    ) -> Ctx<'a> {
        Ctx {
            index,
            analysis,
            collected,
            opts,
            // Globs were checked when the rules were loaded; a set that still fails to
            // compile matches nothing rather than failing the whole report.
            matcher: RuleMatcher::new(&opts.rules, &opts.ignore).ok(),
        }
    }

    /// True when the user's ignore globs match `id`. Ignore globs are rare: a path is
    /// built for them only when there are some.
    pub fn ignored(&self, id: PathId) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|m| m.has_ignores() && m.ignored(&self.index.paths.path_bytes(id)))
    }

    /// How many shipped files [`Ctx::shipped_at`] numbers (some have no bytes).
    pub fn n_shipped(&self) -> usize {
        self.analysis.waste.visible.len() + self.analysis.waste.hidden.len()
    }

    /// Shipped file number `k`, when it has bytes: the visible files first, then the
    /// hidden ones.
    pub fn shipped_at(&self, k: usize) -> Option<Shipped> {
        let (visible_files, hidden_files) =
            (&self.analysis.waste.visible, &self.analysis.waste.hidden);
        let s = match visible_files.get(k) {
            Some(f) => Shipped {
                entry: f.entry,
                path: f.path,
                bytes: f.bytes,
                layer: f.layer(self.index),
                visible: true,
            },
            None => {
                let h = hidden_files.get(k - visible_files.len())?;
                Shipped {
                    entry: h.entry,
                    path: h.path,
                    bytes: h.bytes,
                    layer: h.written_by,
                    visible: false,
                }
            }
        };
        (s.bytes > 0).then_some(s)
    }

    /// Every shipped file with bytes, by number.
    pub fn shipped(&self) -> impl Iterator<Item = Shipped> + '_ {
        (0..self.n_shipped()).filter_map(|k| self.shipped_at(k))
    }
}

/// The visible file at each path: a table by path id (ids are dense), a fraction of
/// a hash map's memory on an image of 200k files.
pub(super) struct VisibleByPath<'a> {
    index: &'a Index,
    pub files: &'a [VisibleFile],
    /// Index into `files` by path id; `u32::MAX` where no file is visible.
    at: Vec<u32>,
}

impl<'a> VisibleByPath<'a> {
    pub fn new(index: &'a Index, files: &'a [VisibleFile]) -> VisibleByPath<'a> {
        let mut at = vec![u32::MAX; index.paths.len()];
        for (i, f) in files.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (at.get_mut(f.path as usize), u32::try_from(i)) {
                *slot = i;
            }
        }
        VisibleByPath { index, files, at }
    }

    /// The entry, bytes and layer of the file visible at `path`.
    pub fn get(&self, path: PathId) -> Option<(u32, u64, u16)> {
        let i = *self.at.get(path as usize)?;
        let f = self.files.get(i as usize)?;
        Some((f.entry, f.bytes, f.layer(self.index)))
    }
}

/// A shipped regular file (visible or hidden).
#[derive(Debug, Clone, Copy)]
pub(super) struct Shipped {
    pub entry: u32,
    pub path: PathId,
    pub bytes: u64,
    pub layer: u16,
    pub visible: bool,
}

/// Accumulates findings and who claimed which entry.
pub(super) struct Acc<'a> {
    pub index: &'a Index,
    pub max_paths: usize,
    pub findings: Vec<Finding>,
    /// The categories claiming each entry, as bits, by entry index: a dense table,
    /// since the rules may claim a large share of an image's files.
    pub claims: Vec<u32>,
}

impl Acc<'_> {
    /// Claims `entry` for `cat`; false when the category already had it.
    pub fn claim(&mut self, entry: u32, cat: Category) -> bool {
        match self.claims.get_mut(entry as usize) {
            Some(mask) if *mask & cat.bit() == 0 => {
                *mask |= cat.bit();
                true
            }
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push_files(
        &mut self,
        rule: &str,
        cat: Category,
        sev: Severity,
        files: &[Shipped],
        fix: &str,
        message: String,
    ) {
        let mut bytes = 0;
        let mut entries = Vec::new();
        let mut sorted: Vec<&Shipped> = files.iter().collect();
        sorted.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.entry.cmp(&b.entry)));
        let mut layer_bytes: HashMap<u16, u64> = HashMap::new();
        for f in &sorted {
            if self.claim(f.entry, cat) {
                bytes += f.bytes;
                entries.push(f.entry);
                *layer_bytes.entry(f.layer).or_default() += f.bytes;
            }
        }
        if entries.is_empty() {
            return;
        }
        let layer = layer_bytes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(l, _)| usize::from(*l));
        let paths = sorted
            .iter()
            .take(self.max_paths)
            .map(|f| self.index.paths.display(f.path))
            .collect();
        self.findings.push(Finding {
            rule: rule.to_string(),
            category: cat,
            severity: sev,
            bytes,
            layer,
            paths,
            fix: fix.to_string(),
            saving_bytes: bytes,
            message,
            entries,
            packages: Vec::new(),
            resolved_by: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push_note(
        &mut self,
        rule: &str,
        cat: Category,
        sev: Severity,
        layer: Option<usize>,
        paths: Vec<String>,
        fix: &str,
        message: String,
    ) {
        self.findings.push(Finding {
            rule: rule.to_string(),
            category: cat,
            severity: sev,
            bytes: 0,
            layer,
            paths,
            fix: fix.to_string(),
            saving_bytes: 0,
            message,
            entries: Vec::new(),
            packages: Vec::new(),
            resolved_by: None,
        });
    }
}

/// `f` over the first and the second half of `0..n` on two threads, the results
/// concatenated in order. A panic in either half is a bug, and goes on as a panic rather
/// than being hidden by a second run.
pub(super) fn in_halves<T: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    let half = n.div_ceil(2);
    let (mut first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| f(half..n));
        let first = f(0..half);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    first.extend(second);
    first
}
