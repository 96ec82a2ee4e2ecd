//! The matcher engine: every path rule's globs compiled into automata, so a path is
//! scanned once for all rules (see [`RuleMatcher`]). The rules themselves are tables in
//! [`super::rules`]; the globs' syntax is [`super::glob`]'s.

use super::glob::{GlobError, anchored, as_path, compile, compile_anchored};
use super::magic::Magic;
use super::names::{NameGlobs, NameGlobsBuilder};
use super::rules::PathRule;
use crate::index::paths::{PathId, PathTable, ROOT};
use foldhash::HashMap;

/// Every rule's globs compiled into automata, so a path is scanned once for all rules,
/// not once per glob (a backtracking matcher per glob was a quarter of the run time on a
/// 167k-file image). The globs are split by shape, for the rules and their `unless`
/// exemptions alike:
///
/// - `**`, which matches every path, needs no matching;
/// - `DIR/**` is matched as `DIR` once per directory, not once per file (a file matches
///   when one of its ancestors does); most rules name a directory;
/// - the rest are matched per file.
///
/// Both per directory and per file, a glob `**/NAME` (NAME without `/`) is matched
/// against the name only, and any other glob against the whole path, built only when the
/// name matches the glob's last component.
#[derive(Debug, Clone)]
pub struct RuleMatcher<'r> {
    rules: &'r [PathRule],
    /// Globs of the rules.
    matches: Split,
    /// Globs of the rules' `unless` lists.
    unless: Split,
    ignore: globset::GlobSet,
}

/// A set of globs split by shape (see [`RuleMatcher`]), each glob knowing its rule.
#[derive(Debug, Clone)]
struct Split {
    /// Rules with a `**` glob.
    all: Vec<usize>,
    /// Globs matched per file.
    files: Tiered,
    /// `DIR/**` globs, as `DIR`: matched per directory.
    dirs: Tiered,
}

/// Globs matched against one path (a file's or a directory's) at two costs: `**/NAME`
/// globs against the name alone, the others against the whole path, which is built only
/// when the name matches one of their last components (`*`, `?` and classes stay within
/// a component, so a glob's last component must match the name).
#[derive(Debug, Clone)]
struct Tiered {
    names: NameGlobs,
    name_rule: Vec<usize>,
    whole: globset::GlobSet,
    whole_rule: Vec<usize>,
    /// The whole-path globs' last components.
    whole_last: NameGlobs,
    /// True when a whole-path glob gives no last component to test (it ends in `**`,
    /// or has braces, which may hold a `/`).
    whole_any_name: bool,
}

impl Tiered {
    fn is_empty(&self) -> bool {
        self.names.is_empty() && self.whole.is_empty()
    }

    /// Sets `out[rule]` for the rules whose globs match the path named `name` whose
    /// whole form `whole` builds. With `only`, whole-path globs are tried only for the
    /// rules it holds. `scratch` keeps glob indexes. Returns true when anything matched.
    fn mark(
        &self,
        name: &[u8],
        whole: &mut WholePath<'_>,
        only: Option<&RuleSet>,
        scratch: &mut Vec<usize>,
        out: &mut RuleSet,
    ) -> bool {
        let mut any = false;
        if !self.names.is_empty() {
            self.names.matches_into(name, scratch);
            any |= mark(scratch, &self.name_rule, out);
        }
        if self.whole.is_empty() {
            return any;
        }
        let wanted = match only {
            None => true,
            Some(only) => self.whole_rule.iter().any(|&r| only.contains(r)),
        };
        if wanted && (self.whole_any_name || self.whole_last.is_match(name, scratch)) {
            self.whole
                .matches_into(as_path(whole.get()).as_ref(), scratch);
            any |= mark(scratch, &self.whole_rule, out);
        }
        any
    }

    /// True when no glob can match a path named `name`, whatever its directory: no
    /// name glob matches it and no whole-path glob's last component does.
    fn never_matches(&self, name: &[u8], scratch: &mut Vec<usize>) -> bool {
        !(self.names.is_match(name, scratch)
            || (!self.whole.is_empty()
                && (self.whole_any_name || self.whole_last.is_match(name, scratch))))
    }
}

struct TieredBuilder {
    names: NameGlobsBuilder,
    name_rule: Vec<usize>,
    whole: globset::GlobSetBuilder,
    whole_rule: Vec<usize>,
    whole_last: NameGlobsBuilder,
    whole_any_name: bool,
}

impl TieredBuilder {
    fn new() -> TieredBuilder {
        TieredBuilder {
            names: NameGlobsBuilder::new(),
            name_rule: Vec::new(),
            whole: globset::GlobSetBuilder::new(),
            whole_rule: Vec::new(),
            whole_last: NameGlobsBuilder::new(),
            whole_any_name: false,
        }
    }

    /// Adds `anchored`, a glob of rule `rule` (`source` as written, for errors).
    fn add(&mut self, anchored: &str, source: &str, rule: usize) -> Result<(), GlobError> {
        let name = anchored
            .strip_prefix("**/")
            .filter(|n| !n.is_empty() && !n.contains('/') && !n.contains("**"));
        if let Some(name) = name {
            self.names.add(name, compile_anchored(name, source)?);
            self.name_rule.push(rule);
            return Ok(());
        }
        self.whole.add(compile_anchored(anchored, source)?);
        self.whole_rule.push(rule);
        match anchored.rsplit('/').next() {
            Some(last) if !last.is_empty() && !last.contains("**") && !anchored.contains('{') => {
                self.whole_last.add(last, compile_anchored(last, source)?);
            }
            _ => self.whole_any_name = true,
        }
        Ok(())
    }

    fn build(self) -> Result<Tiered, GlobError> {
        let build = |b: globset::GlobSetBuilder| b.build().map_err(GlobError::from);
        Ok(Tiered {
            names: self.names.build()?,
            name_rule: self.name_rule,
            whole: build(self.whole)?,
            whole_rule: self.whole_rule,
            whole_last: self.whole_last.build()?,
            whole_any_name: self.whole_any_name,
        })
    }
}

struct SplitBuilder {
    all: Vec<usize>,
    files: TieredBuilder,
    dirs: TieredBuilder,
}

impl SplitBuilder {
    fn new() -> SplitBuilder {
        SplitBuilder {
            all: Vec::new(),
            files: TieredBuilder::new(),
            dirs: TieredBuilder::new(),
        }
    }

    fn add(&mut self, glob: &str, rule: usize) -> Result<(), GlobError> {
        let a = anchored(glob);
        let dir = a
            .strip_suffix("/**")
            .filter(|d| !d.is_empty() && !d.ends_with('/'));
        if a == "**" {
            self.all.push(rule);
            Ok(())
        } else if let Some(dir) = dir {
            self.dirs.add(dir, glob, rule)
        } else {
            self.files.add(&a, glob, rule)
        }
    }

    fn build(self) -> Result<Split, GlobError> {
        Ok(Split {
            all: self.all,
            files: self.files.build()?,
            dirs: self.dirs.build()?,
        })
    }
}

/// Sets `out[rules[g]]` for each glob `g` of `globs`; true when there was one.
fn mark(globs: &[usize], rules: &[usize], out: &mut RuleSet) -> bool {
    set(globs.iter().filter_map(|&g| rules.get(g)), out);
    !globs.is_empty()
}

/// Sets `out[r]` for each rule `r` of `rules`; true when there was one.
fn set<'a>(rules: impl IntoIterator<Item = &'a usize>, out: &mut RuleSet) -> bool {
    let mut any = false;
    for &r in rules {
        out.insert(r);
        any = true;
    }
    any
}

/// A set of rule numbers: a flag per rule for lookups, and the list of those set, so
/// that clearing and walking cost what was set rather than the number of rules.
#[derive(Debug, Default, Clone)]
pub struct RuleSet {
    on: Vec<bool>,
    list: Vec<usize>,
}

impl RuleSet {
    /// Empties the set, for rule numbers below `n`.
    fn reset(&mut self, n: usize) {
        for &r in &self.list {
            if let Some(slot) = self.on.get_mut(r) {
                *slot = false;
            }
        }
        self.list.clear();
        self.on.resize(n, false);
    }

    fn insert(&mut self, r: usize) {
        if let Some(slot) = self.on.get_mut(r)
            && !*slot
        {
            *slot = true;
            self.list.push(r);
        }
    }

    /// True when rule `r` is in the set.
    pub fn contains(&self, r: usize) -> bool {
        self.on.get(r).copied().unwrap_or(false)
    }

    /// Puts the list of rules in the set in the rules' order.
    fn sort(&mut self) {
        self.list.sort_unstable();
    }

    /// The rules in the set, in the order they were added (or [`RuleSet::sort`]ed).
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.list.iter().copied()
    }
}

/// Scratch space reused across paths.
#[derive(Debug, Default)]
pub struct Hits {
    globs: Vec<usize>,
    rules: RuleSet,
    exempt: RuleSet,
    path: Vec<u8>,
    any: bool,
    /// File names known to match no file glob, wherever they are: see [`QuietNames`].
    quiet: QuietNames,
}

/// Whether a name can match any glob of a set, remembered per distinct name: names
/// repeat (`__init__.py`, `METADATA`, `lib`, `tests` in every package), and a lookup costs
/// less than trying the globs. Keyed by the name's hash, with a path of that name to
/// compare against, so a hash collision costs a retry, never a wrong answer.
#[derive(Debug, Default)]
struct QuietNames {
    seen: HashMap<u64, (PathId, bool)>,
    hasher: foldhash::fast::FixedState,
}

impl QuietNames {
    /// Remembers at most this many names (about 20 bytes each).
    const MAX: usize = 1 << 14;

    /// Whether the name of `file` in `paths` (`name`) never matches, from memory, or
    /// from `decide` the first time.
    fn never_matches(
        &mut self,
        paths: &PathTable,
        file: PathId,
        name: &[u8],
        decide: impl FnOnce() -> bool,
    ) -> bool {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(name);
        if let Some(&(other, never)) = self.seen.get(&h)
            && paths.name(other) == name
        {
            return never;
        }
        let never = decide();
        if self.seen.len() < QuietNames::MAX {
            self.seen.insert(h, (file, never));
        }
        never
    }
}

impl Hits {
    /// True when some rule's glob matched the last path.
    pub fn any(&self) -> bool {
        self.any
    }

    /// The rules whose globs matched the last path, in the rules' order.
    pub fn matched(&self) -> &[usize] {
        &self.rules.list
    }
}

/// What the `DIR/**` globs say of one directory (matched by it or by an ancestor).
#[derive(Debug, Default, Clone)]
pub struct DirMatch {
    /// Rules whose globs match every file below.
    rules: Vec<usize>,
    /// Rules an `unless` glob exempts every file below from.
    exempt: Vec<usize>,
}

/// The [`DirMatch`] of every directory that has one: see [`RuleMatcher::dir_rules`].
/// A directory's is a number into the distinct ones, by path id: a directory that
/// matches nothing itself shares its parent's.
#[derive(Debug, Default)]
pub struct DirRules {
    /// By path id: the directory's match, or `NO_MATCH`.
    of: Vec<u32>,
    matches: Vec<DirMatch>,
}

const NO_MATCH: u32 = u32::MAX;

impl DirRules {
    /// What the directory globs say of the files in `dir`.
    pub fn of(&self, dir: PathId) -> &DirMatch {
        static NONE: DirMatch = DirMatch {
            rules: Vec::new(),
            exempt: Vec::new(),
        };
        self.of
            .get(dir as usize)
            .and_then(|&m| self.matches.get(m as usize))
            .unwrap_or(&NONE)
    }

    fn get(&self, dir: PathId) -> u32 {
        self.of.get(dir as usize).copied().unwrap_or(NO_MATCH)
    }
}

/// A file's whole path, built the first time it is asked for.
struct WholePath<'a> {
    paths: &'a PathTable,
    /// The file or directory.
    file: PathId,
    buf: &'a mut Vec<u8>,
    built: bool,
}

impl WholePath<'_> {
    fn get(&mut self) -> &[u8] {
        if !self.built {
            self.paths.path_into(self.file, self.buf);
            self.built = true;
        }
        self.buf
    }
}

impl<'r> RuleMatcher<'r> {
    /// Compiles `rules` and the `ignore` globs.
    pub fn new(rules: &'r [PathRule], ignore: &[String]) -> Result<RuleMatcher<'r>, GlobError> {
        let mut matches = SplitBuilder::new();
        let mut unless = SplitBuilder::new();
        for (i, r) in rules.iter().enumerate() {
            for g in &r.globs {
                matches.add(g, i)?;
            }
            for g in &r.unless {
                unless.add(g, i)?;
            }
        }
        let mut ig = globset::GlobSetBuilder::new();
        for g in ignore {
            ig.add(compile(g)?);
        }
        Ok(RuleMatcher {
            rules,
            matches: matches.build()?,
            unless: unless.build()?,
            ignore: ig.build()?,
        })
    }

    /// True when `path` matches an ignore glob.
    pub fn ignored(&self, path: &[u8]) -> bool {
        !self.ignore.is_empty() && self.ignore.is_match(as_path(path).as_ref())
    }

    /// What the directory globs say of every directory that holds one of `files` (and
    /// of their ancestors), each directory matched once. Parents have smaller ids than
    /// their children, so walking the ids in order inherits from a parent already done.
    pub fn dir_rules(&self, paths: &PathTable, files: impl Iterator<Item = PathId>) -> DirRules {
        let mut out = DirRules::default();
        if self.matches.dirs.is_empty() && self.unless.dirs.is_empty() {
            return out;
        }
        // The directories to match, by id (ids are dense); their matches go in the same
        // table once they are known.
        const NEEDED: u32 = NO_MATCH - 1;
        out.of = vec![NO_MATCH; paths.len()];
        for f in files {
            let mut d = paths.parent(f);
            while d != ROOT {
                match out.of.get_mut(d as usize) {
                    Some(seen) if *seen == NO_MATCH => *seen = NEEDED,
                    _ => break,
                }
                d = paths.parent(d);
            }
        }
        let n = self.rules.len();
        let (mut rules, mut exempt) = (RuleSet::default(), RuleSet::default());
        let (mut path, mut scratch) = (Vec::new(), Vec::new());
        // Directory names repeat (`lib`, `src`, `tests` in every package): whether a name
        // can match at all is decided once per distinct name.
        let mut quiet = QuietNames::default();
        for d in 0..out.of.len() {
            if out.of.get(d) != Some(&NEEDED) {
                continue;
            }
            let Ok(d) = PathId::try_from(d) else {
                break;
            };
            let name = paths.name(d);
            let never = quiet.never_matches(paths, d, name, || {
                self.matches.dirs.never_matches(name, &mut scratch)
                    && self.unless.dirs.never_matches(name, &mut scratch)
            });
            if never {
                let parent = out.get(paths.parent(d));
                if let Some(slot) = out.of.get_mut(d as usize) {
                    *slot = parent;
                }
                continue;
            }
            let mut whole = WholePath {
                paths,
                file: d,
                buf: &mut path,
                built: false,
            };
            rules.reset(n);
            exempt.reset(n);
            let matched = self
                .matches
                .dirs
                .mark(name, &mut whole, None, &mut scratch, &mut rules);
            let exempted = self
                .unless
                .dirs
                .mark(name, &mut whole, None, &mut scratch, &mut exempt);
            // Parents have smaller ids: the parent's match is known.
            let parent = out.get(paths.parent(d));
            let own = if !matched && !exempted {
                parent
            } else {
                let mut dm = out
                    .matches
                    .get(parent as usize)
                    .cloned()
                    .unwrap_or_default();
                for (list, hit) in [(&mut dm.rules, &rules), (&mut dm.exempt, &exempt)] {
                    for r in hit.iter() {
                        if !list.contains(&r) {
                            list.push(r);
                        }
                    }
                }
                out.matches.push(dm);
                u32::try_from(out.matches.len() - 1).unwrap_or(NO_MATCH)
            };
            if let Some(slot) = out.of.get_mut(d as usize) {
                *slot = own;
            }
        }
        out
    }

    /// True when there are ignore globs (a file's whole path is needed to check them).
    pub fn has_ignores(&self) -> bool {
        !self.ignore.is_empty()
    }

    /// Matches the file `file` of `paths`: fills `hits` with the rules whose globs match
    /// it (`hits.rules`), given `dir`, what its directory matched
    /// ([`RuleMatcher::dir_rules`]), and those an `unless` glob exempts (`hits.exempt`).
    /// Rules with a `**` glob match only files of a `magic` they accept; otherwise size
    /// and magic are not checked. Returns false (and matches nothing) when an
    /// ignore glob matches the file.
    pub fn matches_into(
        &self,
        paths: &PathTable,
        file: PathId,
        dir: &DirMatch,
        magic: Magic,
        hits: &mut Hits,
    ) -> bool {
        let n = self.rules.len();
        hits.rules.reset(n);
        hits.exempt.reset(n);
        hits.any = false;
        let Hits {
            globs,
            rules,
            exempt,
            path,
            any,
            quiet,
        } = hits;
        let mut whole = WholePath {
            paths,
            file,
            buf: path,
            built: false,
        };
        if !self.ignore.is_empty() && self.ignore.is_match(as_path(whole.get()).as_ref()) {
            return false;
        }
        let name = paths.name(file);
        // A `**` glob matches every file: such a rule is about content, and only a file
        // of a magic it accepts can match it.
        let by_content = self
            .matches
            .all
            .iter()
            .filter(|&&r| self.rules.get(r).is_some_and(|rule| rule.accepts(magic)));
        let files = &self.matches.files;
        let by_name = !quiet.never_matches(paths, file, name, || files.never_matches(name, globs))
            && files.mark(name, &mut whole, None, globs, rules);
        *any = set(by_content, rules) | by_name | set(&dir.rules, rules);
        if !*any {
            return true;
        }
        rules.sort();
        set(&self.unless.all, exempt);
        // An exemption matters only for a rule that matched.
        self.unless
            .files
            .mark(name, &mut whole, Some(rules), globs, exempt);
        set(&dir.exempt, exempt);
        true
    }

    /// True when rule `i` matched in `hits` and admits a file of `size` and `magic`.
    pub fn rule_matches(&self, hits: &Hits, i: usize, size: u64, magic: Magic) -> bool {
        hits.rules.contains(i)
            && !hits.exempt.contains(i)
            && self.rules.get(i).is_some_and(|r| r.admits(size, magic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::rules::builtin;

    /// Matches `path` against the findings glob `pat` (see [`compile`]); a bad glob matches
    /// nothing.
    fn glob(pat: &[u8], path: &[u8]) -> bool {
        let Ok(pat) = std::str::from_utf8(pat) else {
            return false;
        };
        compile(pat).is_ok_and(|g| g.compile_matcher().is_match(as_path(path).as_ref()))
    }

    /// The split matcher (directory globs once per directory, name globs on the file
    /// name, the rest on the whole path) finds exactly what each glob on the whole path
    /// finds.
    #[test]
    fn split_matching_equals_whole_path_matching() {
        let rules = builtin();
        let m = RuleMatcher::new(&rules, &[]).expect("compile");
        let samples: &[&[u8]] = &[
            b"/srv/app/.git/HEAD",
            b"/srv/app/.git",
            b"/srv/app/.gitignore",
            b"/data/train.csv",
            b"/data/x.csv.gz",
            b"/root/.cache/pip/http/ab/cd",
            b"/usr/share/doc/bash/copyright",
            b"/usr/share/doc/bash/x/copyright",
            b"/usr/lib/python3/site-packages/numpy/tests/test_a.py",
            b"/app/tests/test_model.py",
            b"/app/core.123",
            b"/app/model/variables/variables.data-00000-of-00001",
            b"/var/cache/apt/archives/x.deb",
            b"/tmp/build/x.o",
            b"/node_modules/a/b.js",
            b"/notebooks/eda.ipynb",
            b"/weights.safetensors",
            b"/usr/include/stdio.h",
            b"/opt/conda/pkgs/x.tar.bz2",
            b"/home/u/.DS_Store",
            // Names seen again elsewhere: answered from what was learnt of the name.
            b"/srv/test_model.py",
            b"/srv/copyright",
            b"/srv/tests/copyright",
            b"/opt/variables/variables.data-1",
            b"/opt/variables.data-1",
            b"/app/lib/core.123",
        ];
        let mut table = PathTable::default();
        let ids: Vec<PathId> = samples.iter().map(|p| table.intern(p).0).collect();
        let dirs = m.dir_rules(&table, ids.iter().copied());
        let mut hits = Hits::default();
        for (p, id) in samples.iter().zip(&ids) {
            assert!(m.matches_into(
                &table,
                *id,
                dirs.of(table.parent(*id)),
                Magic::Unknown,
                &mut hits
            ));
            for (i, r) in rules.iter().enumerate() {
                // `**` rules are about content: none accepts an unknown magic.
                let by_content = r.globs.iter().any(|g| g == "**") && !r.magic.is_empty();
                let whole = !by_content && r.globs.iter().any(|g| glob(g.as_bytes(), p));
                assert_eq!(
                    hits.rules.contains(i),
                    whole,
                    "{} on {}",
                    r.id,
                    String::from_utf8_lossy(p)
                );
                if whole {
                    let exempt = r.unless.iter().any(|g| glob(g.as_bytes(), p));
                    assert_eq!(
                        hits.exempt.contains(i),
                        exempt,
                        "{} unless on {}",
                        r.id,
                        String::from_utf8_lossy(p)
                    );
                }
            }
        }
    }

    #[test]
    fn globs() {
        assert!(glob(b"**/.git/**", b"/srv/app/.git/HEAD"));
        assert!(glob(b"**/.git/**", b"/.git/objects/ab/cd"));
        assert!(!glob(b"**/.git/**", b"/srv/app/.gitignore"));
        assert!(glob(b"**/*.csv", b"/data/x.csv"));
        assert!(!glob(b"/tmp/**", b"/srv/tmp/x"));
        assert!(glob(b"/tmp/**", b"/tmp/a/b"));
        assert!(glob(b"*.log", b"/var/log/x.log"));
        assert!(glob(
            b"/usr/share/doc/*/copyright",
            b"/usr/share/doc/bash/copyright"
        ));
        assert!(!glob(
            b"/usr/share/doc/*/copyright",
            b"/usr/share/doc/bash/x/copyright"
        ));
        assert!(glob(b"**/core.[0-9]*", b"/app/core.123"));
    }
}
