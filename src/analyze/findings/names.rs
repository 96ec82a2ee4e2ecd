//! Globs matched against one name (a path component): the findings rules' `**/NAME`
//! globs, tried on every file of an image. globset runs a regex for many of them (any
//! glob with `*` between literals, such as `test_*.py`), about half a microsecond per
//! name; most of these globs are literals around `*`, which a few byte comparisons
//! decide. Those are matched here, found by their last byte; the rest (`?`, classes,
//! braces) go to globset, tried only on names with their literal prefix and suffix.

use super::glob::GlobError;

/// A set of name globs; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct NameGlobs {
    /// Globs of literals and `*` only.
    simple: Vec<Simple>,
    /// For each byte, the `simple` globs whose last piece ends with it.
    by_last: Vec<Vec<usize>>,
    /// The `simple` globs that end with `*`.
    open_end: Vec<usize>,
    other: globset::GlobSet,
    /// Each glob of `other`, in order.
    other_globs: Vec<Other>,
    len: usize,
}

/// A glob globset matches: its index among all the globs, and the literal prefix and
/// suffix a name needs for it to match.
#[derive(Debug, Clone)]
struct Other {
    glob: usize,
    prefix: Box<[u8]>,
    suffix: Box<[u8]>,
}

/// A glob of literals and `*`: the literal pieces between the stars.
#[derive(Debug, Clone)]
struct Simple {
    glob: usize,
    pieces: Vec<Box<[u8]>>,
}

impl Simple {
    fn matches(&self, name: &[u8]) -> bool {
        let (Some(first), Some(last)) = (self.pieces.first(), self.pieces.last()) else {
            return false;
        };
        if self.pieces.len() == 1 {
            return name == &first[..];
        }
        if name.len() < first.len() + last.len()
            || !name.starts_with(first)
            || !name.ends_with(last)
        {
            return false;
        }
        // Leftmost placement of each middle piece is optimal for `*` alone.
        let mut rest = name
            .get(first.len()..name.len() - last.len())
            .unwrap_or_default();
        for piece in self
            .pieces
            .get(1..self.pieces.len() - 1)
            .unwrap_or_default()
        {
            match find(rest, piece) {
                Some(at) => rest = rest.get(at + piece.len()..).unwrap_or_default(),
                None => return false,
            }
        }
        true
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Bytes that make a glob more than literals and `*` (braces and their comma, classes,
/// `?`, and the backslash, which globset may treat as an escape).
const SPECIAL: &[u8] = b"?[]{},\\";

/// Builds a [`NameGlobs`].
pub(crate) struct NameGlobsBuilder {
    simple: Vec<Simple>,
    other: globset::GlobSetBuilder,
    other_globs: Vec<Other>,
    len: usize,
}

impl NameGlobsBuilder {
    pub(crate) fn new() -> NameGlobsBuilder {
        NameGlobsBuilder {
            simple: Vec::new(),
            other: globset::GlobSetBuilder::new(),
            other_globs: Vec::new(),
            len: 0,
        }
    }

    /// Adds `pattern` (a glob without `/`), compiled by globset as `compiled`; its index
    /// is the number of globs added before it.
    pub(crate) fn add(&mut self, pattern: &str, compiled: globset::Glob) {
        let glob = self.len;
        self.len += 1;
        let bytes = pattern.as_bytes();
        if !bytes.iter().any(|b| SPECIAL.contains(b)) {
            self.simple.push(Simple {
                glob,
                pieces: bytes.split(|&b| b == b'*').map(Box::from).collect(),
            });
            return;
        }
        let wild = |b: &u8| SPECIAL.contains(b) || *b == b'*';
        let prefix = bytes.split(wild).next().unwrap_or_default();
        let suffix = bytes.rsplit(wild).next().unwrap_or_default();
        self.other_globs.push(Other {
            glob,
            prefix: prefix.into(),
            suffix: suffix.into(),
        });
        self.other.add(compiled);
    }

    pub(crate) fn build(self) -> Result<NameGlobs, GlobError> {
        let mut by_last = vec![Vec::new(); 256];
        let mut open_end = Vec::new();
        for (i, s) in self.simple.iter().enumerate() {
            match s.pieces.last().and_then(|p| p.last()) {
                Some(&b) => {
                    if let Some(list) = by_last.get_mut(usize::from(b)) {
                        list.push(i);
                    }
                }
                None => open_end.push(i),
            }
        }
        Ok(NameGlobs {
            simple: self.simple,
            by_last,
            open_end,
            other: self.other.build()?,
            other_globs: self.other_globs,
            len: self.len,
        })
    }
}

impl NameGlobs {
    /// True when there are no globs.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The globs that match `name`, by index, into `out` (cleared first).
    pub(crate) fn matches_into(&self, name: &[u8], out: &mut Vec<usize>) {
        out.clear();
        let bucket = name
            .last()
            .and_then(|&b| self.by_last.get(usize::from(b)))
            .map(Vec::as_slice)
            .unwrap_or_default();
        for &i in bucket.iter().chain(&self.open_end) {
            if let Some(s) = self.simple.get(i)
                && s.matches(name)
            {
                out.push(s.glob);
            }
        }
        let maybe = self.other_globs.iter().any(|o| {
            name.len() >= o.prefix.len() + o.suffix.len()
                && name.starts_with(&o.prefix)
                && name.ends_with(&o.suffix)
        });
        if maybe {
            let mut hits = Vec::new();
            self.other
                .matches_into(super::glob::as_path(name).as_ref(), &mut hits);
            out.extend(
                hits.iter()
                    .filter_map(|&h| self.other_globs.get(h).map(|o| o.glob)),
            );
        }
        out.sort_unstable();
        out.dedup();
    }

    /// True when a glob matches `name`.
    pub(crate) fn is_match(&self, name: &[u8], scratch: &mut Vec<usize>) -> bool {
        self.matches_into(name, scratch);
        !scratch.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answers as one globset over all the globs, on every pair of a set of
    /// patterns (simple and not) and names.
    #[test]
    fn matches_what_globset_matches() {
        let patterns = [
            "*.csv",
            "*.csv.gz",
            "core",
            "core.[0-9]*",
            "*~",
            ".DS_Store",
            "test_*.py",
            "*_test.py",
            "*.test.js",
            "variables.data-*",
            "*",
            "a*b*c",
            "a*a",
            "*ab*",
            "x?z",
            "{foo,bar}.txt",
            "[!a]*",
            "",
        ];
        let names: &[&[u8]] = &[
            b"x.csv",
            b".csv",
            b"csv",
            b"x.csv.gz",
            b"core",
            b"core.12",
            b"core.x",
            b"file~",
            b"~",
            b".DS_Store",
            b"test_a.py",
            b"test_.py",
            b"a_test.py",
            b"_test.py",
            b"test.py",
            b"a.test.js",
            b"variables.data-00000-of-00001",
            b"abc",
            b"aXbYc",
            b"acb",
            b"axc",
            b"abc.csv.gz",
            b"aa",
            b"a",
            b"xab",
            b"xyz",
            b"foo.txt",
            b"baz.txt",
            b"b",
            b"",
            "é.csv".as_bytes(),
            b"\xff.csv",
        ];
        let compile = |p: &str| {
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(false)
                .build()
                .expect("glob")
        };
        let mut b = NameGlobsBuilder::new();
        let mut whole = globset::GlobSetBuilder::new();
        for p in patterns {
            b.add(p, compile(p));
            whole.add(compile(p));
        }
        let ours = b.build().expect("build");
        let theirs = whole.build().expect("build");
        let mut got = Vec::new();
        for name in names {
            ours.matches_into(name, &mut got);
            let want = theirs.matches(super::super::glob::as_path(name).as_ref());
            assert_eq!(got, want, "{}", String::from_utf8_lossy(name));
        }
    }
}
