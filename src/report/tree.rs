//! `inspect --tree`: the final filesystem as a directory tree, biggest first, with
//! proportional bars and the layer of each entry (in the spirit of dust and dua).
//!
//! Every row's percentage and bar are of the whole image's visible bytes, so bars compare
//! across the whole tree. At most `top` children per directory are shown; the rest are
//! one "… N more" row whose bytes make the shown rows add up to their directory's.
//! Colours are ANSI escapes, written only when `color` is set (the caller decides from
//! the terminal, `NO_COLOR` and `--color`).

use super::ByteFormat;
use super::fstree::{FsNode, FsTree, NodeKind};
use super::table::{cut, instruction};
use std::collections::BTreeSet;
use std::io::{self, Write};

/// How the tree is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TreeOptions {
    /// How sizes are shown.
    pub bytes: ByteFormat,
    /// Levels below the root that are shown.
    pub depth: u32,
    /// Children shown per directory.
    pub top: usize,
    /// Columns available.
    pub width: u16,
    /// Write ANSI colours.
    pub color: bool,
}

/// Cells of a full bar.
const BAR: usize = 20;
/// Layer colours, by layer index modulo their number.
const PALETTE: [&str; 6] = ["36", "33", "35", "32", "34", "31"];

struct Row {
    prefix: String,
    name: String,
    bytes: u64,
    layer: String,
    layer_index: Option<usize>,
    dir: bool,
    rollup: bool,
}

/// Writes the tree of `tree`; `instructions[i]` is layer i's `created_by`, for the legend.
pub fn render(
    tree: &FsTree,
    instructions: &[Option<String>],
    opts: &TreeOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut trimmed = super::text::TrimEnd::new(out);
    let out: &mut dyn Write = &mut trimmed;
    let mut rows = vec![Row {
        prefix: String::new(),
        name: "/".to_string(),
        bytes: tree.root.bytes,
        layer: layer_label(&tree.root),
        layer_index: tree.root.layer,
        dir: true,
        rollup: false,
    }];
    walk(&tree.root, "", 0, opts, &mut rows);
    let total = tree.root.bytes;
    let sizes: Vec<String> = rows.iter().map(|r| opts.bytes.format(r.bytes)).collect();
    let size_w = sizes.iter().map(|s| s.chars().count()).max().unwrap_or(1);
    // name | size | percent | bar | layer
    let fixed = 1 + size_w + 1 + 6 + 1 + BAR + 1 + 4;
    let max_name = usize::from(opts.width).saturating_sub(fixed).max(16);
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            cut(
                &r.name,
                max_name.saturating_sub(r.prefix.chars().count()).max(4),
            )
        })
        .collect();
    let name_w = rows
        .iter()
        .zip(&names)
        .map(|(r, n)| r.prefix.chars().count() + n.chars().count())
        .max()
        .unwrap_or(1);
    let paint = |code: &str, s: &str| -> String {
        if opts.color && !code.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for ((row, name), size) in rows.iter().zip(&names).zip(&sizes) {
        if let Some(l) = row.layer_index {
            used.insert(l);
        }
        let colour = row.layer_index.map_or("", layer_colour);
        let pad = name_w - row.prefix.chars().count() - name.chars().count();
        let name_code = if row.rollup {
            "2"
        } else if row.dir {
            "1"
        } else {
            ""
        };
        let bar = bar(row.bytes, total);
        let bar_pad = BAR - bar.chars().count();
        let line = format!(
            "{}{}{} {:>size_w$} {:>6} {}{} {}",
            paint("2", &row.prefix),
            paint(name_code, name),
            " ".repeat(pad),
            size,
            percent(row.bytes, total),
            paint(if row.rollup { "2" } else { colour }, &bar),
            " ".repeat(bar_pad),
            paint(colour, &row.layer),
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if !used.is_empty() {
        writeln!(out)?;
        let instr_w = usize::from(opts.width).saturating_sub(8).max(20);
        for l in used {
            let label = format!("L{l}");
            let created = instructions.get(l).and_then(|c| c.as_deref());
            writeln!(
                out,
                "  {:<5} {}",
                paint(layer_colour(l), &label),
                cut(&instruction(created), instr_w)
            )?;
        }
        writeln!(
            out,
            "  {}",
            paint(
                "2",
                "a directory's layer is the one that wrote most of its bytes; + means other layers wrote some"
            )
        )?;
    }
    Ok(())
}

fn walk(node: &FsNode, prefix: &str, depth: u32, opts: &TreeOptions, rows: &mut Vec<Row>) {
    if depth >= opts.depth || node.children.is_empty() {
        return;
    }
    let shown = node.children.len().min(opts.top.max(1));
    let hidden = &node.children[shown..];
    let count = shown + usize::from(!hidden.is_empty());
    for (i, child) in node.children.iter().take(shown).enumerate() {
        let last = i + 1 == count;
        let branch = if last { "└── " } else { "├── " };
        rows.push(Row {
            prefix: format!("{prefix}{branch}"),
            name: child.name.clone(),
            bytes: child.bytes,
            layer: layer_label(child),
            layer_index: child.layer,
            dir: child.kind == NodeKind::Dir,
            rollup: child.kind == NodeKind::Rest,
        });
        if child.kind == NodeKind::Dir {
            let next = format!("{prefix}{}", if last { "    " } else { "│   " });
            walk(child, &next, depth + 1, opts, rows);
        }
    }
    if !hidden.is_empty() {
        let files: u64 = hidden.iter().map(|c| c.files).sum();
        rows.push(Row {
            prefix: format!("{prefix}└── "),
            name: format!(
                "… {} more ({} file{})",
                hidden.len(),
                files,
                if files == 1 { "" } else { "s" }
            ),
            bytes: hidden.iter().map(|c| c.bytes).sum(),
            layer: String::new(),
            layer_index: None,
            dir: false,
            rollup: true,
        });
    }
}

fn layer_label(n: &FsNode) -> String {
    match n.layer {
        Some(l) if n.mixed => format!("L{l}+"),
        Some(l) => format!("L{l}"),
        None => String::new(),
    }
}

fn layer_colour(l: usize) -> &'static str {
    PALETTE.get(l % PALETTE.len()).copied().unwrap_or("")
}

/// A bar of `BAR` cells for `part / whole`, in eighths of a cell.
fn bar(part: u64, whole: u64) -> String {
    if whole == 0 {
        return String::new();
    }
    let eighths = ((part as f64 / whole as f64) * (BAR * 8) as f64).round() as usize;
    let eighths = eighths.min(BAR * 8).max(usize::from(part > 0));
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS.get(eighths % 8).copied().unwrap_or(""));
    s
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> TreeOptions {
        TreeOptions {
            bytes: ByteFormat::Raw,
            depth: 3,
            top: 10,
            width: 100,
            color: false,
        }
    }

    fn image() -> (FsTree, Vec<Option<String>>) {
        let tree = FsTree::from_files([
            ("/usr/lib/libpython.so", 6000, 1),
            ("/usr/lib/libc.so", 2000, 0),
            ("/usr/bin/python3", 1000, 1),
            ("/app/model.bin", 800, 2),
            ("/app/app.py", 100, 2),
            ("/app/README", 50, 2),
            ("/app/.env", 50, 2),
            ("/etc/hostname", 0, 0),
        ]);
        let instr = vec![
            Some("/bin/sh -c #(nop) ADD file:abc in / ".to_string()),
            Some("/bin/sh -c apt-get install -y python3".to_string()),
            Some("COPY . /app # buildkit".to_string()),
        ];
        (tree, instr)
    }

    fn draw(o: &TreeOptions) -> String {
        let (tree, instr) = image();
        let mut out = Vec::new();
        render(&tree, &instr, o, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tree_biggest_first_with_bars_and_layers() {
        insta::assert_snapshot!(draw(&opts()), @r"
        /                        10000 100.0% ████████████████████ L1+
        ├── usr                   9000  90.0% ██████████████████   L1+
        │   ├── lib               8000  80.0% ████████████████     L1+
        │   │   ├── libpython.so  6000  60.0% ████████████         L1
        │   │   └── libc.so       2000  20.0% ████                 L0
        │   └── bin               1000  10.0% ██                   L1
        │       └── python3       1000  10.0% ██                   L1
        └── app                   1000  10.0% ██                   L2
            ├── model.bin          800   8.0% █▋                   L2
            ├── app.py             100   1.0% ▎                    L2
            ├── .env                50   0.5% ▏                    L2
            └── README              50   0.5% ▏                    L2

          L0    ADD file:abc in /
          L1    RUN apt-get install -y python3
          L2    COPY . /app # buildkit
          a directory's layer is the one that wrote most of its bytes; + means other layers wrote some
        ");
    }

    #[test]
    fn top_and_depth_limit_rows_with_a_rollup_that_adds_up() {
        let o = TreeOptions {
            depth: 2,
            top: 1,
            ..opts()
        };
        insta::assert_snapshot!(draw(&o), @r"
        /                         10000 100.0% ████████████████████ L1+
        ├── usr                    9000  90.0% ██████████████████   L1+
        │   ├── lib                8000  80.0% ████████████████     L1+
        │   └── … 1 more (1 file)  1000  10.0% ██
        └── … 1 more (4 files)     1000  10.0% ██

          L1    RUN apt-get install -y python3
          a directory's layer is the one that wrote most of its bytes; + means other layers wrote some
        ");
    }
}
