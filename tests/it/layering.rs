//! The library's layers, read off its source: each file's `crate::`, `super::` and
//! child-module paths (outside comments and `#[cfg(test)]` modules) must point down the
//! pipeline, `source <- archive <- index <- analyze <- report`, with `model` below
//! `analyze` and `report` importing nothing of the crate, and no two files may import
//! each other, directly or round a longer circle.
//!
//! A `mod.rs` and the files of its own folder are left out of the circle check: the
//! folder's `mod.rs` declares and re-exports them, and they share its types, so they are
//! one module spread over files. Circles between sibling files or across folders fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn library_files() -> BTreeMap<Vec<String>, (PathBuf, bool)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).expect("under src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            // The binary's side (main, cli, cmd) sits above the library.
            if matches!(parts[0].as_str(), "main" | "cli" | "cmd") {
                continue;
            }
            let folder = matches!(parts.last().map(String::as_str), Some("mod" | "lib"));
            if folder {
                parts.pop();
            }
            out.insert(parts, (path, folder));
        }
    }
    out
}

/// The code of a file without comments and without its `#[cfg(test)] mod` (tests may
/// reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The module paths a file's code names: `crate::a::b`, `super::a` (resolved), the
/// items of `use crate::a::{b, c}` / `use super::{b, c}`, and a folder module's bare
/// `child::` paths.
fn references(me: &[String], folder: bool, code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // The module `super` names from this file.
    let parent: Vec<String> = me[..me.len().saturating_sub(1)].to_vec();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let start = if !boundary {
            None
        } else if rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if rest.starts_with("super::") {
            let mut base = parent.clone();
            let mut n = "super::".len();
            while code[i + n..].starts_with("super::") {
                base.pop();
                n += "super::".len();
            }
            Some((base, n))
        } else {
            None
        };
        let Some((mut path, mut n)) = start else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        loop {
            let tail = &code[i + n..];
            if tail.starts_with('{') {
                let end = tail.find('}').unwrap_or(tail.len());
                for item in tail[1..end].split(',') {
                    let name = ident(item.trim());
                    if !name.is_empty() && name != "self" {
                        let mut p = path.clone();
                        p.push(name);
                        out.push(p);
                    }
                }
                break;
            }
            let name = ident(tail);
            if name.is_empty() {
                break;
            }
            n += name.len();
            path.push(name);
            if code[i + n..].starts_with("::") {
                n += 2;
            } else {
                break;
            }
        }
        out.push(path);
        i += n.max(1);
    }
    if folder {
        // `child::item` in a folder module names its own child.
        for (pos, _) in code.match_indices("::") {
            let before = &code[..pos];
            let name: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let prev = before[..before.len() - name.len()].chars().last();
            if !name.is_empty() && prev != Some(':') {
                let mut p = me.to_vec();
                p.push(name);
                out.push(p);
            }
        }
    }
    out
}

/// The file a module path lands in: the deepest prefix that is a file of its own.
fn file_of<'a>(
    files: &'a BTreeMap<Vec<String>, (PathBuf, bool)>,
    path: &[String],
) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

/// The modules each top-level module may not name.
fn forbidden(from: &str) -> &'static [&'static str] {
    match from {
        "model" | "error" | "timings" => &[
            "source", "archive", "index", "analyze", "model", "report", "pipeline", "timings",
            "error",
        ],
        "source" => &["archive", "index", "analyze", "model", "report", "pipeline"],
        "archive" => &["index", "analyze", "model", "report", "pipeline"],
        "index" => &["analyze", "model", "report", "pipeline"],
        "analyze" => &["report", "pipeline"],
        "report" => &["pipeline"],
        _ => &[],
    }
}

struct Graph {
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    bad: Vec<String>,
}

fn graph() -> Graph {
    let files = library_files();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut bad = Vec::new();
    for (me, (path, folder)) in &files {
        let text = std::fs::read_to_string(path).expect("read");
        for target in references(me, *folder, &code(&text)) {
            let Some(to) = file_of(&files, &target) else {
                continue;
            };
            if to == me {
                continue;
            }
            let (from_top, to_top) = (
                me.first().map_or("lib", String::as_str),
                to.first().map_or("lib", String::as_str),
            );
            if from_top != to_top && forbidden(from_top).contains(&to_top) {
                bad.push(format!("{} names {}", path.display(), target.join("::")));
            }
            edges.entry(me.clone()).or_default().insert(to.clone());
        }
    }
    Graph { edges, bad }
}

fn is_within(child: &[String], folder: &[String]) -> bool {
    child.len() > folder.len() && child.starts_with(folder)
}

/// The file-level circles: strongly connected sets of more than one file, leaving out
/// a folder module's edges to and from its own descendants.
fn circles(g: &Graph) -> Vec<Vec<String>> {
    let files = library_files();
    let folder = |m: &Vec<String>| files.get(m).is_some_and(|(_, f)| *f);
    let edge_counts = |a: &Vec<String>, b: &Vec<String>| {
        !((folder(a) && is_within(b, a)) || (folder(b) && is_within(a, b)))
    };
    let nodes: Vec<&Vec<String>> = g.edges.keys().collect();
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for t in g.edges.get(&n).into_iter().flatten() {
                if edge_counts(&n, t) && seen.insert(t.clone()) {
                    stack.push(t.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for n in &nodes {
        if done.contains(*n) || !reaches[n].contains(*n) {
            continue;
        }
        let ring: Vec<String> = nodes
            .iter()
            .filter(|m| reaches[n].contains(**m) && reaches[*m].contains(*n))
            .map(|m| {
                done.insert((*m).clone());
                m.join("::")
            })
            .collect();
        out.push(ring);
    }
    out
}

#[test]
fn layers_point_down_the_pipeline() {
    let g = graph();
    assert!(
        g.bad.is_empty(),
        "imports against the pipeline's direction:\n{}",
        g.bad.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other() {
    let rings = circles(&graph());
    assert!(rings.is_empty(), "import circles: {rings:?}");
}

#[test]
fn the_checks_see_what_they_must() {
    // A reference down, one up, one through `super::super`, one in a use group, one in
    // a comment and one in a test module.
    let code = code(
        "use crate::archive::Digest;\nuse super::super::super::report::table;\nuse super::{a, b::c};\n\
         // crate::report::json\nfn f() { crate::model::Tool::this(); }\n\
         #[cfg(test)]\nmod tests { use crate::report::html; }\n",
    );
    let me: Vec<String> = ["analyze", "budget", "rules"].map(String::from).to_vec();
    let refs = references(&me, false, &code);
    let has = |p: &str| refs.iter().any(|r| r.join("::") == p);
    assert!(has("archive::Digest"), "{refs:?}");
    assert!(has("report::table"), "{refs:?}");
    assert!(
        has("analyze::budget::a") && has("analyze::budget::b"),
        "{refs:?}"
    );
    assert!(has("model::Tool::this"), "{refs:?}");
    assert!(
        !refs.iter().any(|r| r.join("::").contains("json")),
        "{refs:?}"
    );
    assert!(
        !refs.iter().any(|r| r.join("::").contains("html")),
        "{refs:?}"
    );
    assert_eq!(forbidden("analyze"), &["report", "pipeline"]);
    assert!(forbidden("model").contains(&"analyze"));
}
