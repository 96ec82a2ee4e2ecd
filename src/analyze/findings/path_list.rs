//! [`PathList`]: the paths of one package database's file list, front-coded in one
//! allocation.
//!
//! Why (#23): a package database keeps a file list per package (dpkg `info/*.list`, pip
//! `RECORD`, apk `installed`), held from the moment the reader parses it until the findings
//! run. One heap `Box<[u8]>` per path cost 16 bytes of pointer and length plus the
//! allocator's rounding and header for each of the hundreds of thousands of paths of an
//! ML image: ~4-5 MB of its 55.9 MB peak (session 9's measurement); one buffer per list
//! (session 10) left 7.7 MB, the paths themselves, which are long and alike
//! (`/usr/local/lib/python3.11/dist-packages/tensorflow/include/...`). A list is written
//! in the order its database gives, which groups a directory's files, so each path is
//! stored as the length it shares with the one before it and the rest of its bytes.

/// Paths, front-coded: for each, how many leading bytes it shares with the previous one,
/// and where its own remaining bytes end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathList {
    /// The paths' bytes after their shared prefixes, concatenated.
    rest: Vec<u8>,
    /// Where each path's remaining bytes end in `rest`.
    ends: Vec<u32>,
    /// How many bytes each path shares with the one before it.
    shared: Vec<u16>,
    /// The last path pushed, to find the next one's shared prefix; emptied by
    /// [`PathList::shrink_to_fit`] once the list is complete.
    last: Vec<u8>,
}

impl PathList {
    /// Adds a path. A list past 4 GiB of path bytes cannot come from a captured database
    /// (they are capped far below), so a path that would overflow the offsets is dropped.
    pub fn push(&mut self, path: &[u8]) {
        let common = if self.ends.is_empty() {
            0
        } else {
            common_prefix(&self.last, path).min(usize::from(u16::MAX))
        };
        let tail = path.get(common..).unwrap_or_default();
        let Ok(end) = u32::try_from(self.rest.len() + tail.len()) else {
            return;
        };
        self.rest.extend_from_slice(tail);
        self.ends.push(end);
        // `common` is at most u16::MAX by the `min` above.
        self.shared.push(u16::try_from(common).unwrap_or(0));
        self.last.clear();
        self.last.extend_from_slice(path);
    }

    /// Calls `f` with each path, in the order pushed (a path is rebuilt in one buffer
    /// that is reused, so it cannot be kept: see [`PathList::to_vecs`]).
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        let mut path: Vec<u8> = Vec::new();
        let mut start = 0usize;
        for (&end, &shared) in self.ends.iter().zip(&self.shared) {
            let end = end as usize;
            path.truncate(usize::from(shared));
            path.extend_from_slice(self.rest.get(start..end).unwrap_or_default());
            start = end;
            f(&path);
        }
    }

    /// The paths, each in a buffer of its own.
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|p| out.push(p.to_vec()));
        out
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when it holds no path.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Gives back the spare capacity, once the list is complete. A path pushed after
    /// this shares nothing with the one before (it is still stored whole and right).
    pub fn shrink_to_fit(&mut self) {
        self.rest.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.shared.shrink_to_fit();
        self.last = Vec::new();
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl<P: AsRef<[u8]>> FromIterator<P> for PathList {
    fn from_iter<I: IntoIterator<Item = P>>(iter: I) -> PathList {
        let mut out = PathList::default();
        for p in iter {
            out.push(p.as_ref());
        }
        out.shrink_to_fit();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_back_as_pushed() {
        let given: [&[u8]; 7] = [
            b"/usr",
            b"",
            b"/usr/bin/make",
            b"/usr/bin/make-first-existing-target",
            b"/usr/bin/m",
            b"/usr/bin/make",
            b"numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
        ];
        let list: PathList = given.iter().collect();
        assert_eq!(list.len(), given.len());
        assert_eq!(list.to_vecs(), given.map(<[u8]>::to_vec));
        // Front-coded: "/usr/bin/make-first-existing-target" stores its 22 new bytes.
        assert_eq!(list.shared, [0, 0, 0, 13, 10, 10, 0]);
        assert!(PathList::default().is_empty());
        assert!(PathList::default().to_vecs().is_empty());
    }

    #[test]
    fn a_shared_prefix_longer_than_u16_is_cut_not_wrapped() {
        let long = vec![b'a'; 70_000];
        let mut longer = long.clone();
        longer.push(b'b');
        let list: PathList = [&long, &longer].into_iter().collect();
        assert_eq!(list.shared, [0, u16::MAX]);
        assert_eq!(list.to_vecs(), [long, longer]);
    }

    #[test]
    fn pushing_after_shrinking_stores_the_path_whole() {
        let mut list: PathList = [&b"/a/b"[..]].into_iter().collect();
        list.push(b"/a/c");
        assert_eq!(list.shared, [0, 0]);
        assert_eq!(list.to_vecs(), [b"/a/b".to_vec(), b"/a/c".to_vec()]);
    }
}
