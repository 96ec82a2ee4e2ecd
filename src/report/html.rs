//! The HTML report: one self-contained file (styles, script and data inline; nothing is
//! fetched when it is opened) with a zoomable treemap of the final filesystem, the layer
//! bar, findings, waste and packages. The front-end is `html/report.js`, vanilla JS with
//! no libraries; this module only embeds the data.
//!
//! Size: the tree is folded ([`FsTree::aggregate`]) so that entries smaller than
//! 1/[`FOLD_DIVISOR`] of the image become one "smaller entries" tile per directory, and
//! the threshold doubles until the tree has at most [`MAX_NODES`] nodes; the page says
//! how much was folded. The data is JSON inside `<script type="application/json">` with
//! every `<` escaped, so no path or instruction can close the element.
//!
//! `diff`: [`render_diff`] draws a before/after page from two reports: both totals,
//! category deltas as bars, and the AFTER tree with each path's growth or shrink.

use super::ByteFormat;
use super::fstree::{FsNode, FsTree, NodeKind};
use crate::model::inspect::InspectReport;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

const TEMPLATE: &str = include_str!("html/template.html");
const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Entries smaller than the image's visible bytes divided by this are folded.
pub const FOLD_DIVISOR: u64 = 20_000;
/// Most tree nodes embedded in a page.
pub const MAX_NODES: usize = 40_000;

/// How the page shows sizes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlOptions {
    /// Units of sizes.
    pub bytes: ByteFormat,
}

/// A tree node as the page reads it (short keys keep big trees small).
#[derive(Serialize)]
struct JsNode<'a> {
    /// Name.
    n: &'a str,
    /// Bytes.
    s: u64,
    /// Pull cost (stored bytes): what the treemap sizes by when asked.
    t: u64,
    /// Files.
    f: u64,
    /// Layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<usize>,
    /// Several layers.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    m: bool,
    /// `d` directory, `f` file, `r` folded entries.
    k: &'static str,
    /// Children.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    c: Vec<JsNode<'a>>,
    /// diff: bytes after minus bytes before at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<i128>,
    /// diff: the path did not exist before.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    new: bool,
}

#[derive(Serialize)]
struct Page<'a> {
    kind: &'static str,
    format: &'static str,
    report: &'a InspectReport,
    before: Option<&'a InspectReport>,
    tree: JsNode<'a>,
    threshold: u64,
    folded: (u64, u64),
    /// Why the diff's treemap marks no path (the BEFORE side has no file list).
    #[serde(skip_serializing_if = "Option::is_none")]
    unmarked: Option<&'static str>,
}

fn js_tree<'a>(node: &'a FsNode, path: &str, before: Option<&HashMap<String, u64>>) -> JsNode<'a> {
    let (d, new) = match (before, node.kind) {
        (Some(map), NodeKind::Dir | NodeKind::File) => match map.get(path) {
            Some(b) => (Some(i128::from(node.bytes) - i128::from(*b)), false),
            None => (Some(i128::from(node.bytes)), true),
        },
        _ => (None, false),
    };
    JsNode {
        n: &node.name,
        s: node.bytes,
        t: node.stored,
        f: node.files,
        l: node.layer,
        m: node.mixed,
        k: match node.kind {
            NodeKind::Dir => "d",
            NodeKind::File => "f",
            NodeKind::Rest => "r",
        },
        c: node
            .children
            .iter()
            .map(|c| js_tree(c, &join(path, &c.name), before))
            .collect(),
        d,
        new,
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Every path of `tree` (directories and files) with its bytes.
fn path_bytes(tree: &FsTree) -> HashMap<String, u64> {
    fn walk(n: &FsNode, path: &str, out: &mut HashMap<String, u64>) {
        out.insert(path.to_string(), n.bytes);
        for c in &n.children {
            if c.kind != NodeKind::Rest {
                walk(c, &join(path, &c.name), out);
            }
        }
    }
    let mut out = HashMap::new();
    walk(&tree.root, "/", &mut out);
    out
}

/// Folds `tree` until it is small enough to embed; returns the folded tree and threshold.
fn folded(tree: &FsTree) -> (FsTree, u64) {
    let mut threshold = (tree.root.bytes / FOLD_DIVISOR).max(1);
    loop {
        let mut t = tree.clone();
        t.aggregate(threshold);
        if t.node_count() <= MAX_NODES || threshold > tree.root.bytes {
            return (t, threshold);
        }
        threshold = threshold.saturating_mul(2);
    }
}

/// The report's sections as tables (the same [`super::doc`] walk as the text and
/// Markdown reports), folded below the treemap: every figure readable without script.
fn tables(blocks: &[super::doc::Block]) -> io::Result<String> {
    let mut buf = Vec::new();
    super::doc::to_html(blocks, &mut buf)?;
    String::from_utf8(buf).map_err(io::Error::other)
}

fn write_page(page: &Page<'_>, title: &str, tables: &str, out: &mut dyn Write) -> io::Result<()> {
    let data = serde_json::to_string(page).map_err(io::Error::other)?;
    // `<` only occurs inside JSON strings, where `\u003c` means the same.
    let data = data.replace('<', "\\u003c");
    let title = html_escape(title);
    let mut rest = TEMPLATE;
    let markers: [(&str, &str); 5] = [
        ("@TITLE@", &title),
        ("@STYLE@", STYLE),
        ("@TABLES@", tables),
        ("@DATA@", &data),
        ("@SCRIPT@", SCRIPT),
    ];
    // The markers occur once each, in this order; what replaces them is never rescanned.
    for (marker, value) in markers {
        let (head, tail) = rest.split_once(marker).unwrap_or((rest, ""));
        out.write_all(head.as_bytes())?;
        out.write_all(value.as_bytes())?;
        rest = tail;
    }
    out.write_all(rest.as_bytes())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn format_name(b: ByteFormat) -> &'static str {
    match b {
        ByteFormat::Si => "si",
        ByteFormat::Iec => "iec",
        ByteFormat::Raw => "raw",
    }
}

fn title_of(r: &InspectReport) -> String {
    r.image
        .reference
        .clone()
        .unwrap_or_else(|| r.source.path.clone())
}

/// Writes the `inspect` page of `report`, with `tree` (the final filesystem, unfolded)
/// as its treemap.
pub fn render(
    report: &InspectReport,
    tree: &FsTree,
    opts: &HtmlOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (t, threshold) = folded(tree);
    let page = Page {
        kind: "inspect",
        format: format_name(opts.bytes),
        report,
        before: None,
        tree: js_tree(&t.root, "/", None),
        threshold,
        folded: t.folded,
        unmarked: None,
    };
    let opts = super::Options {
        bytes: opts.bytes,
        ..super::Options::default()
    };
    let tables = tables(&super::inspect_doc::blocks(report, &opts))?;
    write_page(
        &page,
        &format!("deadweight: {}", title_of(report)),
        &tables,
        out,
    )
}

/// Writes the `diff` page: `before` and `after` totals, category deltas, and the treemap
/// of `after_tree` with each path marked by how it changed from `before_tree`. Without a
/// `before_tree` (a report saved without `--all-files`) no path is marked, and the page
/// says why. `diff`'s sections follow as tables (the walk of [`super::diff_doc`]).
pub fn render_diff(
    diff: &crate::model::diff::ImageDiff,
    before: &InspectReport,
    after: &InspectReport,
    before_tree: Option<&FsTree>,
    after_tree: &FsTree,
    opts: &HtmlOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (t, threshold) = folded(after_tree);
    let before_paths = before_tree.map(path_bytes);
    let page = Page {
        kind: "diff",
        format: format_name(opts.bytes),
        report: after,
        before: Some(before),
        tree: js_tree(&t.root, "/", before_paths.as_ref()),
        threshold,
        folded: t.folded,
        unmarked: before_tree.is_none().then_some(
            "No path is marked: the before report lists no files. Save it with `deadweight inspect IMAGE --format json --all-files`, or pass the before image itself.",
        ),
    };
    let opts = super::Options {
        bytes: opts.bytes,
        ..super::Options::default()
    };
    let tables = tables(&super::diff_doc::blocks(diff, &opts))?;
    write_page(
        &page,
        &format!(
            "deadweight diff: {} → {}",
            title_of(before),
            title_of(after)
        ),
        &tables,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_has_each_marker_once() {
        for m in ["@TITLE@", "@STYLE@", "@TABLES@", "@DATA@", "@SCRIPT@"] {
            assert_eq!(TEMPLATE.matches(m).count(), 1, "{m}");
        }
    }

    #[test]
    fn nothing_is_fetched() {
        for text in [TEMPLATE, STYLE, SCRIPT] {
            assert!(!text.contains("http://") && !text.contains("https://"));
            assert!(!text.contains("src=") && !text.contains("@import"));
        }
    }

    #[test]
    fn diff_marks_growth_shrink_and_new_paths() {
        let before = FsTree::from_files([("/a/x", 100, 0), ("/a/y", 50, 0)]);
        let after = FsTree::from_files([("/a/x", 300, 0), ("/a/z", 10, 1)]);
        let map = path_bytes(&before);
        let js = js_tree(&after.root, "/", Some(&map));
        assert_eq!(js.d, Some(160)); // 310 - 150
        let a = &js.c[0];
        assert_eq!((a.n, a.d, a.new), ("a", Some(160), false));
        assert_eq!((a.c[0].n, a.c[0].d, a.c[0].new), ("x", Some(200), false));
        assert_eq!((a.c[1].n, a.c[1].d, a.c[1].new), ("z", Some(10), true));
    }

    #[test]
    fn big_trees_are_folded_below_the_node_cap() {
        let paths: Vec<String> = (0..60_000)
            .map(|i| format!("/d{}/f{}", i % 300, i))
            .collect();
        let tree = FsTree::from_files(paths.iter().map(|p| (p.as_str(), 1000, 0)));
        let (t, threshold) = folded(&tree);
        assert!(t.node_count() <= MAX_NODES);
        assert!(threshold > 1000); // every file folded: they are all the same size
        assert_eq!(t.root.bytes, 60_000_000);
        assert_eq!(t.folded.1, 60_000_000);
    }
}
