//! Interned paths: every distinct path of every layer once, as a tree of nodes.
//!
//! A node holds its parent, its name (a span of one shared byte arena) and its first child
//! and next sibling, so subtrees can be walked without allocating. Lookup of a child by
//! name goes through one hash table of node ids hashed by (parent, name): the names live
//! only in the arena, and a lookup allocates nothing. Paths are stored as the layers
//! give them, as bytes: names that are not UTF-8 are kept and shown escaped, never dropped.

use std::hash::{BuildHasher, Hasher};

fn key_hash(hasher: &foldhash::fast::RandomState, parent: PathId, name: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u32(parent);
    h.write(name);
    h.finish()
}

/// A path's id in the [`PathTable`]. The root is [`ROOT`].
pub type PathId = u32;

/// The root directory.
pub const ROOT: PathId = 0;

/// "No node": the end of a child or sibling list.
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    parent: PathId,
    name_start: u32,
    name_len: u32,
    first_child: u32,
    next_sibling: u32,
    depth: u32,
}

/// All paths of an image, interned.
#[derive(Debug, Clone)]
pub struct PathTable {
    nodes: Vec<Node>,
    names: Vec<u8>,
    /// Every node but the root, hashed by (parent, name) with `hasher`.
    lookup: hashbrown::HashTable<PathId>,
    /// Seeded per process, so names cannot be chosen to collide.
    hasher: foldhash::fast::RandomState,
}

impl Default for PathTable {
    fn default() -> Self {
        PathTable {
            nodes: vec![Node {
                parent: ROOT,
                name_start: 0,
                name_len: 0,
                first_child: NONE,
                next_sibling: NONE,
                depth: 0,
            }],
            names: Vec::new(),
            lookup: hashbrown::HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

/// Why a path needed fixing when it was interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathNote {
    /// It was clean (or only had `./` or `/` prefixes, which are normal).
    Clean,
    /// It had `..` components; they were applied lexically.
    DotDot,
    /// Its `..` components climbed above the root; they were clamped there.
    AboveRoot,
}

impl PathTable {
    /// Gives back the capacity the node and name tables grew beyond what they hold (the
    /// lookup table stays: shrinking it would rehash every path).
    pub fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.names.shrink_to_fit();
    }

    /// The number of distinct paths (the root included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never empty: the root is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Interns `path` (bytes as in a tar), normalising `./`, `/`, empty and `.` parts and
    /// applying `..` lexically. Returns the id and what had to be fixed.
    pub fn intern(&mut self, path: &[u8]) -> (PathId, PathNote) {
        let mut note = PathNote::Clean;
        // Fast path: no `..` part, so walk down from the root directly.
        let has_dotdot = path.split(|&b| b == b'/').any(|p| p == b"..");
        if !has_dotdot {
            let mut id = ROOT;
            for part in path.split(|&b| b == b'/') {
                if part.is_empty() || part == b"." {
                    continue;
                }
                id = self.child(id, part);
            }
            return (id, note);
        }
        note = PathNote::DotDot;
        let mut stack: Vec<&[u8]> = Vec::new();
        for part in path.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    if stack.pop().is_none() {
                        note = PathNote::AboveRoot;
                    }
                }
                p => stack.push(p),
            }
        }
        let mut id = ROOT;
        for part in stack {
            id = self.child(id, part);
        }
        (id, note)
    }

    /// The child `name` of `parent`, created if new.
    pub fn child(&mut self, parent: PathId, name: &[u8]) -> PathId {
        let hash = key_hash(&self.hasher, parent, name);
        if let Some(&id) = self.lookup.find(hash, |&id| self.is(id, parent, name)) {
            return id;
        }
        let id = self.nodes.len() as PathId;
        let name_start = self.names.len() as u32;
        self.names.extend_from_slice(name);
        let depth = self.node(parent).map(|n| n.depth + 1).unwrap_or(1);
        let first_sibling = self.node(parent).map(|n| n.first_child).unwrap_or(NONE);
        self.nodes.push(Node {
            parent,
            name_start,
            name_len: name.len() as u32,
            first_child: NONE,
            next_sibling: first_sibling,
            depth,
        });
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            p.first_child = id;
        }
        let PathTable {
            nodes,
            names,
            lookup,
            hasher,
        } = self;
        lookup.insert_unique(hash, id, |&other| {
            let n = nodes.get(other as usize);
            let name = n
                .and_then(|n| {
                    names.get(n.name_start as usize..(n.name_start + n.name_len) as usize)
                })
                .unwrap_or_default();
            key_hash(hasher, n.map(|n| n.parent).unwrap_or(ROOT), name)
        });
        id
    }

    /// True when node `id` is the child `name` of `parent`.
    fn is(&self, id: PathId, parent: PathId, name: &[u8]) -> bool {
        self.node(id).is_some_and(|n| n.parent == parent) && self.name(id) == name
    }

    /// Looks a path up without interning it.
    pub fn find(&self, path: &[u8]) -> Option<PathId> {
        let mut id = ROOT;
        for part in path.split(|&b| b == b'/') {
            if part.is_empty() || part == b"." {
                continue;
            }
            let hash = key_hash(&self.hasher, id, part);
            id = *self.lookup.find(hash, |&c| self.is(c, id, part))?;
        }
        Some(id)
    }

    fn node(&self, id: PathId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    /// The parent of `id` (the root is its own parent).
    pub fn parent(&self, id: PathId) -> PathId {
        self.node(id).map(|n| n.parent).unwrap_or(ROOT)
    }

    /// How many components deep `id` is (the root is 0).
    pub fn depth(&self, id: PathId) -> u32 {
        self.node(id).map(|n| n.depth).unwrap_or(0)
    }

    /// The last component of `id`.
    pub fn name(&self, id: PathId) -> &[u8] {
        self.node(id)
            .and_then(|n| {
                self.names
                    .get(n.name_start as usize..(n.name_start + n.name_len) as usize)
            })
            .unwrap_or_default()
    }

    /// The children of `id`, most recently interned first.
    pub fn children(&self, id: PathId) -> Children<'_> {
        Children {
            table: self,
            next: self.node(id).map(|n| n.first_child).unwrap_or(NONE),
        }
    }

    /// Calls `f` for every node strictly below `id`, without recursion.
    pub fn for_each_descendant(&self, id: PathId, mut f: impl FnMut(PathId)) {
        let mut stack: Vec<PathId> = self.children(id).collect();
        while let Some(n) = stack.pop() {
            f(n);
            stack.extend(self.children(n));
        }
    }

    /// The ancestors of `id` from its parent up to (and including) the root.
    pub fn ancestors(&self, id: PathId) -> Ancestors<'_> {
        Ancestors {
            table: self,
            next: if id == ROOT {
                None
            } else {
                Some(self.parent(id))
            },
        }
    }

    /// The ancestor of `id` at `depth` (or `id` itself when it is that shallow).
    pub fn ancestor_at(&self, id: PathId, depth: u32) -> PathId {
        let mut cur = id;
        while self.depth(cur) > depth {
            cur = self.parent(cur);
        }
        cur
    }

    /// The path as bytes, `/`-separated, starting with `/`.
    pub fn path_bytes(&self, id: PathId) -> Vec<u8> {
        let mut out = Vec::new();
        self.path_into(id, &mut out);
        out
    }

    /// [`PathTable::path_bytes`] written into `out` (cleared first), so a loop over many
    /// paths can reuse one buffer.
    pub fn path_into(&self, id: PathId, out: &mut Vec<u8>) {
        out.clear();
        // Components are written from the leaf up, each reversed, then the whole reversed.
        let mut cur = id;
        while cur != ROOT {
            out.extend(self.name(cur).iter().rev());
            out.push(b'/');
            cur = self.parent(cur);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out.reverse();
    }

    /// Orders `a` and `b` as their [`PathTable::path_bytes`] would order, without
    /// building either: from their common ancestor, by the names below it, then by the
    /// byte after the shorter name (`/` when the path goes on, nothing when it ends).
    pub fn cmp_paths(&self, a: PathId, b: PathId) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        if a == b {
            return Ordering::Equal;
        }
        // Both at the shallower one's depth.
        let mut x = self.ancestor_at(a, self.depth(b));
        let mut y = self.ancestor_at(b, self.depth(a));
        if x == y {
            // One is an ancestor of the other, and its path a prefix of the other's.
            return self.depth(a).cmp(&self.depth(b));
        }
        while self.parent(x) != self.parent(y) {
            x = self.parent(x);
            y = self.parent(y);
        }
        let (nx, ny) = (self.name(x), self.name(y));
        let common = nx.len().min(ny.len());
        let by_name = nx
            .get(..common)
            .unwrap_or_default()
            .cmp(ny.get(..common).unwrap_or_default());
        if by_name != Ordering::Equal {
            return by_name;
        }
        // One name is a prefix of the other (they differ: siblings have distinct names).
        let after = |id: PathId, top: PathId, name: &[u8]| -> Option<u8> {
            match name.get(common) {
                Some(&byte) => Some(byte),
                None if id == top => None,
                None => Some(b'/'),
            }
        };
        after(a, x, nx).cmp(&after(b, y, ny))
    }

    /// The path for display: `/`-separated, starting with `/`, bytes that are not UTF-8
    /// escaped as `\xNN`.
    pub fn display(&self, id: PathId) -> String {
        escape_bytes(&self.path_bytes(id))
    }
}

/// Shows bytes as text: UTF-8 kept, anything else as `\xNN`, control characters escaped.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Iterator over a node's children.
pub struct Children<'a> {
    table: &'a PathTable,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = PathId;
    fn next(&mut self) -> Option<PathId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.table.node(id).map(|n| n.next_sibling).unwrap_or(NONE);
        Some(id)
    }
}

/// Iterator over a node's ancestors.
pub struct Ancestors<'a> {
    table: &'a PathTable,
    next: Option<PathId>,
}

impl Iterator for Ancestors<'_> {
    type Item = PathId;
    fn next(&mut self) -> Option<PathId> {
        let id = self.next?;
        self.next = if id == ROOT {
            None
        } else {
            Some(self.table.parent(id))
        };
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmp_paths_orders_as_the_path_bytes_do() {
        let mut t = PathTable::default();
        let names: [&[u8]; 16] = [
            b"/a",
            b"/a/b",
            b"/a/b-c",
            b"/a/b/x",
            b"/a/b/x/y",
            b"/a/b.txt",
            b"/a/b!",
            b"/a/bb",
            b"/a/c",
            b"/ab",
            b"/a-",
            b"/z/\xff",
            b"/z/a",
            b"/b/a/b",
            b"/b/a/b/",
            b"/",
        ];
        let ids: Vec<PathId> = names.iter().map(|p| t.intern(p).0).collect();
        for &x in &ids {
            for &y in &ids {
                assert_eq!(
                    t.cmp_paths(x, y),
                    t.path_bytes(x).cmp(&t.path_bytes(y)),
                    "{} vs {}",
                    t.display(x),
                    t.display(y)
                );
            }
        }
    }

    #[test]
    fn interns_and_normalises() {
        let mut t = PathTable::default();
        let (a, n) = t.intern(b"./usr/bin/ls");
        assert_eq!(n, PathNote::Clean);
        assert_eq!(t.intern(b"/usr/bin/ls").0, a);
        assert_eq!(t.intern(b"usr//bin/./ls").0, a);
        assert_eq!(t.intern(b"usr/lib/../bin/ls"), (a, PathNote::DotDot));
        assert_eq!(t.intern(b"../../usr/bin/ls"), (a, PathNote::AboveRoot));
        assert_eq!(t.display(a), "/usr/bin/ls");
        assert_eq!(t.depth(a), 3);
        assert_eq!(t.intern(b"./").0, ROOT);
        assert_eq!(t.find(b"usr/bin"), Some(t.parent(a)));
        assert_eq!(t.ancestors(a).count(), 3);
    }

    /// Whatever order paths are interned in, each gets the id of its normalised path.
    #[test]
    fn interning_in_any_order_gives_the_normalised_path() {
        let paths: [&[u8]; 16] = [
            b"usr/bin/ls",
            b"usr/bin/",
            b"usr/bin/cat",
            b"usr/lib/x/y",
            b"usr/lib",
            b"usr/lib/x/y/z",
            b"./usr/./lib//x/y2",
            b"usr/lib/../bin/ls",
            b"/",
            b"usr/bin/ls",
            b"../../etc/passwd",
            b"etc/passwd/..",
            b"usr/bin/ls-extra",
            b"usr/bin/l",
            b"usr/binx/ls",
            b"",
        ];
        // The same paths normalised by hand, as `path_bytes` must give them.
        let normal: [&[u8]; 16] = [
            b"/usr/bin/ls",
            b"/usr/bin",
            b"/usr/bin/cat",
            b"/usr/lib/x/y",
            b"/usr/lib",
            b"/usr/lib/x/y/z",
            b"/usr/lib/x/y2",
            b"/usr/bin/ls",
            b"/",
            b"/usr/bin/ls",
            b"/etc/passwd",
            b"/etc",
            b"/usr/bin/ls-extra",
            b"/usr/bin/l",
            b"/usr/binx/ls",
            b"/",
        ];
        // Every order of two paths, then all of them in a row, forwards and backwards.
        let mut orders: Vec<Vec<usize>> = Vec::new();
        for a in 0..paths.len() {
            for b in 0..paths.len() {
                orders.push(vec![a, b, a]);
            }
        }
        orders.push((0..paths.len()).collect());
        orders.push((0..paths.len()).rev().collect());
        for order in orders {
            let mut t = PathTable::default();
            for i in order {
                let (id, _) = t.intern(paths[i]);
                assert_eq!(t.path_bytes(id), normal[i], "{:?}", escape_bytes(paths[i]));
                assert_eq!(t.find(normal[i]), Some(id));
            }
            // No path was interned twice over: every node has a distinct path.
            let mut seen = std::collections::HashSet::new();
            for id in 0..t.len() as PathId {
                assert!(seen.insert(t.path_bytes(id)));
            }
        }
    }

    #[test]
    fn non_utf8_names_are_escaped_not_dropped() {
        let mut t = PathTable::default();
        let (id, _) = t.intern(b"data/caf\xe9\n.txt");
        assert_eq!(t.display(id), "/data/caf\\xe9\\n.txt");
    }

    #[test]
    fn deep_paths_do_not_recurse() {
        let mut t = PathTable::default();
        let deep: Vec<u8> = b"d/".repeat(4096);
        let (id, _) = t.intern(&deep);
        assert_eq!(t.depth(id), 4096);
        let mut count = 0;
        t.for_each_descendant(ROOT, |_| count += 1);
        assert_eq!(count, 4096);
        assert_eq!(t.path_bytes(id).len(), 4096 * 2);
    }
}
