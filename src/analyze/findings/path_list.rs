//! [`PathList`]: the paths of one package database's file list in one allocation.
//!
//! Why (#23): a package database keeps a file list per package (dpkg `info/*.list`, pip
//! `RECORD`, apk `installed`), held from the moment the reader parses it until the findings
//! run. One heap `Box<[u8]>` per path cost 16 bytes of pointer and length plus the
//! allocator's rounding and header for each of the hundreds of thousands of paths of an
//! ML image: ~4-5 MB of its 55.9 MB peak (session 9's measurement). Here a list is one
//! byte buffer and one `u32` end offset per path.

/// Paths, concatenated, with where each ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathList {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl PathList {
    /// Adds a path. A list past 4 GiB of path bytes cannot come from a captured database
    /// (they are capped far below), so a path that would overflow the offsets is dropped.
    pub fn push(&mut self, path: &[u8]) {
        let end = self.bytes.len() + path.len();
        if let Ok(end) = u32::try_from(end) {
            self.bytes.extend_from_slice(path);
            self.ends.push(end);
        }
    }

    /// The paths, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let end = end as usize;
            let path = self.bytes.get(start..end).unwrap_or_default();
            start = end;
            path
        })
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when it holds no path.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Gives back the spare capacity, once the list is complete.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
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
        let list: PathList = [&b"/usr"[..], b"", b"/usr/bin/make"].into_iter().collect();
        assert_eq!(list.len(), 3);
        let got: Vec<&[u8]> = list.iter().collect();
        assert_eq!(got, [&b"/usr"[..], b"", b"/usr/bin/make"]);
        assert!(PathList::default().is_empty());
        assert_eq!(PathList::default().iter().count(), 0);
    }
}
