//! Applies the layers in order and gives every entry its fate.
//!
//! One pass over the layers with a table `live[path] = entry` of what the filesystem shows
//! so far. Each layer is applied in two steps, as the OCI layer spec orders them: first
//! its whiteouts and opaque markers, which act on the lower layers only, then its other
//! entries in tar order, each replacing what is at its path. Removing a subtree walks the
//! interned path tree below it, iteratively (a path may be thousands of levels deep).

use super::{EntryKind, Fate, FileEntry, Index, NONE, PathId};

/// Sets `fate` and `hidden_by` of every entry of `index`.
pub fn apply(index: &mut Index) {
    let Index {
        paths,
        entries,
        digests,
        layers,
        ..
    } = index;
    let mut live: Vec<u32> = vec![NONE; paths.len()];
    let mut stack: Vec<PathId> = Vec::new();
    for layer in layers.iter_mut() {
        let by = layer.index as u16;
        // Step 1: whiteouts and opaque markers hide what the lower layers put there.
        for i in layer.range.clone() {
            let Some(e) = entries.get(i).copied() else {
                continue;
            };
            match e.kind {
                EntryKind::Whiteout => {
                    kill(entries, &mut live, e.path, Fate::Deleted, by);
                    kill_below(
                        paths,
                        entries,
                        &mut live,
                        &mut stack,
                        e.path,
                        Fate::DeletedWithDir,
                        by,
                    );
                }
                EntryKind::Opaque => {
                    kill_below(
                        paths,
                        entries,
                        &mut live,
                        &mut stack,
                        e.path,
                        Fate::Opaque,
                        by,
                    );
                }
                _ => {}
            }
            if matches!(
                e.kind,
                EntryKind::Whiteout | EntryKind::Opaque | EntryKind::Meta
            ) && let Some(m) = entries.get_mut(i)
            {
                m.fate = Fate::Marker;
            }
        }
        // Step 2: the layer's files, in tar order.
        for i in layer.range.clone() {
            let Some(e) = entries.get(i).copied() else {
                continue;
            };
            if matches!(
                e.kind,
                EntryKind::Whiteout | EntryKind::Opaque | EntryKind::Meta
            ) {
                continue;
            }
            if e.path == super::ROOT && e.kind != EntryKind::Dir {
                // A file at the root cannot exist; the builder warned about it.
                if let Some(m) = entries.get_mut(i) {
                    m.fate = Fate::Overwritten;
                    m.hidden_by = by;
                }
                continue;
            }
            // A file standing where this entry needs a directory is replaced by one.
            let mut anc = paths.parent(e.path);
            loop {
                if let Some(&occupant) = live.get(anc as usize)
                    && occupant != NONE
                    && entries
                        .get(occupant as usize)
                        .is_some_and(|o| o.kind != EntryKind::Dir)
                {
                    kill(entries, &mut live, anc, Fate::Overwritten, by);
                }
                if anc == super::ROOT {
                    break;
                }
                anc = paths.parent(anc);
            }
            let previous = live.get(e.path as usize).copied().unwrap_or(NONE);
            if e.kind != EntryKind::Dir {
                if previous == NONE {
                    layer.added += 1;
                } else {
                    layer.changed += 1;
                }
            }
            if previous != NONE {
                let fate = match entries.get(previous as usize) {
                    Some(p) if same_content(digests, p, &e) => Fate::OverwrittenSame,
                    _ => Fate::Overwritten,
                };
                kill(entries, &mut live, e.path, fate, by);
            }
            if e.kind != EntryKind::Dir {
                kill_below(
                    paths,
                    entries,
                    &mut live,
                    &mut stack,
                    e.path,
                    Fate::DeletedWithDir,
                    by,
                );
            }
            if let Some(slot) = live.get_mut(e.path as usize) {
                *slot = i as u32;
            }
        }
    }
}

/// Both regular files with the same size and content digest. A hard link does not count
/// as a rewrite with identical content even when it shares it: the bytes it points at are
/// the layer's other entry's, counted there.
fn same_content(digests: &[crate::archive::Digest], old: &FileEntry, new: &FileEntry) -> bool {
    old.kind == EntryKind::File
        && new.kind == EntryKind::File
        && old.size == new.size
        && old.digest != NONE
        && new.digest != NONE
        && digests.get(old.digest as usize) == digests.get(new.digest as usize)
}

/// Hides the entry live at `path`, if any.
fn kill(entries: &mut [FileEntry], live: &mut [u32], path: PathId, fate: Fate, by: u16) {
    let Some(slot) = live.get_mut(path as usize) else {
        return;
    };
    if *slot == NONE {
        return;
    }
    if let Some(e) = entries.get_mut(*slot as usize) {
        e.fate = fate;
        e.hidden_by = by;
    }
    *slot = NONE;
}

/// Hides every entry live strictly below `path`.
fn kill_below(
    paths: &super::PathTable,
    entries: &mut [FileEntry],
    live: &mut [u32],
    stack: &mut Vec<PathId>,
    path: PathId,
    fate: Fate,
    by: u16,
) {
    stack.clear();
    stack.extend(paths.children(path));
    while let Some(n) = stack.pop() {
        kill(entries, live, n, fate, by);
        stack.extend(paths.children(n));
    }
}
