//! One walk over a report's sections, three ways to draw it.
//!
//! A report (inspect, diff) is first turned into a list of [`Block`]s: lines, headings,
//! tables, and folds (a summary line with blocks under it). The text, Markdown and HTML
//! renderers then draw the same list, so a section is written once and every format
//! shows it. Cells are plain text; a column marked `code` holds paths or instructions,
//! which Markdown puts in code spans and the others show as they are.

use super::cells::{right, table};
use super::text::{md_cell, md_code, md_text};
use comfy_table::Cell;
use std::io::{self, Write};

/// One column of a [`Grid`].
#[derive(Debug, Clone)]
pub struct Col {
    /// The header.
    pub title: String,
    /// Numbers: right-aligned.
    pub right: bool,
    /// Paths or instructions: a code span in Markdown.
    pub code: bool,
}

impl Col {
    /// A left-aligned text column.
    pub fn text(title: impl Into<String>) -> Col {
        Col {
            title: title.into(),
            right: false,
            code: false,
        }
    }
    /// A right-aligned number column.
    pub fn num(title: impl Into<String>) -> Col {
        Col {
            title: title.into(),
            right: true,
            code: false,
        }
    }
    /// A left-aligned column of paths or instructions.
    pub fn code(title: impl Into<String>) -> Col {
        Col {
            title: title.into(),
            right: false,
            code: true,
        }
    }
}

/// A table: columns and rows of cells (each row as long as the columns).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// The columns.
    pub cols: Vec<Col>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
    /// Which rows are rollups and totals ("and 3 more", "total"): words, not paths.
    pub totals: Vec<bool>,
}

impl Grid {
    /// A table with these columns and no rows.
    pub fn new(cols: Vec<Col>) -> Grid {
        Grid {
            cols,
            rows: Vec::new(),
            totals: Vec::new(),
        }
    }
    /// Adds a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self.totals.push(false);
    }
    /// Adds a rollup or total row.
    pub fn total<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self.totals.push(true);
    }
    fn is_total(&self, row: usize) -> bool {
        self.totals.get(row).copied().unwrap_or(false)
    }
}

/// A piece of a report.
#[derive(Debug, Clone)]
pub enum Block {
    /// A line of prose; empty is a blank line (text only: Markdown separates paragraphs
    /// itself).
    Line(String),
    /// A section title.
    Heading(String),
    /// A table.
    Table(Grid),
    /// A summary line and what it sums up: shown in full in text, folded in Markdown
    /// (`<details>`) and HTML.
    Fold(String, Vec<Block>),
    /// Blocks shown as they are in text (no summary line: their tables say it), folded
    /// under the summary in Markdown and HTML, to keep a pull-request comment short.
    Collapse(String, Vec<Block>),
}

/// Draws `blocks` as text tables fitted to `width` columns.
pub fn text(blocks: &[Block], width: u16, out: &mut dyn Write) -> io::Result<()> {
    for b in blocks {
        match b {
            Block::Line(s) | Block::Heading(s) => writeln!(out, "{s}")?,
            Block::Table(g) => {
                let mut t = table(width);
                t.set_header(
                    g.cols
                        .iter()
                        .map(|c| cell(&c.title, c.right))
                        .collect::<Vec<_>>(),
                );
                for r in &g.rows {
                    t.add_row(
                        r.iter()
                            .zip(&g.cols)
                            .map(|(s, c)| cell(s, c.right))
                            .collect::<Vec<_>>(),
                    );
                }
                writeln!(out, "{t}")?;
            }
            Block::Fold(summary, inner) => {
                writeln!(out, "{summary}")?;
                text(inner, width, out)?;
            }
            Block::Collapse(_, inner) => text(inner, width, out)?,
        }
    }
    Ok(())
}

fn cell(s: &str, right_aligned: bool) -> Cell {
    if right_aligned {
        right(s)
    } else {
        Cell::new(s)
    }
}

/// Draws `blocks` as GitHub-flavoured Markdown: every text escaped, paths in code spans.
pub fn markdown(blocks: &[Block], out: &mut dyn Write) -> io::Result<()> {
    for b in blocks {
        match b {
            Block::Line(s) if s.trim().is_empty() => {}
            Block::Line(s) => {
                writeln!(out, "{}", md_text(s.trim()))?;
                writeln!(out)?;
            }
            Block::Heading(s) => {
                writeln!(out, "#### {}", md_text(s.trim()))?;
                writeln!(out)?;
            }
            Block::Table(g) => {
                let head: Vec<String> = g.cols.iter().map(|c| md_cell(&c.title)).collect();
                writeln!(out, "| {} |", head.join(" | "))?;
                let rule: Vec<&str> = g
                    .cols
                    .iter()
                    .map(|c| if c.right { "---:" } else { "---" })
                    .collect();
                writeln!(out, "|{}|", rule.join("|"))?;
                for (i, r) in g.rows.iter().enumerate() {
                    let total = g.is_total(i);
                    let cells: Vec<String> = r
                        .iter()
                        .zip(&g.cols)
                        .map(|(s, c)| match (c.code && !total, s.trim().is_empty()) {
                            (_, true) => String::new(),
                            (true, false) => md_code(s),
                            (false, false) => md_cell(s),
                        })
                        .collect();
                    writeln!(out, "| {} |", cells.join(" | "))?;
                }
                writeln!(out)?;
            }
            Block::Fold(summary, inner) | Block::Collapse(summary, inner) => {
                writeln!(out, "<details><summary>{}</summary>", html(summary))?;
                writeln!(out)?;
                markdown(inner, out)?;
                writeln!(out, "</details>")?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Escapes text for HTML (also what a `<summary>` in Markdown needs).
pub fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws `blocks` as HTML (tables, `<details>` for folds), every text escaped.
pub fn to_html(blocks: &[Block], out: &mut dyn Write) -> io::Result<()> {
    for b in blocks {
        match b {
            Block::Line(s) if s.trim().is_empty() => {}
            Block::Line(s) => writeln!(out, "<p>{}</p>", html(s))?,
            Block::Heading(s) => writeln!(out, "<h3>{}</h3>", html(s))?,
            Block::Table(g) => {
                write!(out, "<table><thead><tr>")?;
                for c in &g.cols {
                    let class = if c.right { " class=\"num\"" } else { "" };
                    write!(out, "<th{class}>{}</th>", html(&c.title))?;
                }
                writeln!(out, "</tr></thead><tbody>")?;
                for (i, r) in g.rows.iter().enumerate() {
                    let total = g.is_total(i);
                    write!(
                        out,
                        "{}",
                        if total {
                            "<tr class=\"total\">"
                        } else {
                            "<tr>"
                        }
                    )?;
                    for (s, c) in r.iter().zip(&g.cols) {
                        match (c.right, c.code && !total) {
                            (true, _) => write!(out, "<td class=\"num\">{}</td>", html(s))?,
                            (false, true) => write!(out, "<td><code>{}</code></td>", html(s))?,
                            (false, false) => write!(out, "<td>{}</td>", html(s))?,
                        }
                    }
                    writeln!(out, "</tr>")?;
                }
                writeln!(out, "</tbody></table>")?;
            }
            Block::Fold(summary, inner) | Block::Collapse(summary, inner) => {
                writeln!(out, "<details><summary>{}</summary>", html(summary))?;
                to_html(inner, out)?;
                writeln!(out, "</details>")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Block> {
        let mut g = Grid::new(vec![Col::num("bytes"), Col::code("path")]);
        g.row(["1.00 kB", "/app/__pycache__/x|y.pyc"]);
        g.total(["", "and 3 more"]);
        vec![
            Block::Heading("Largest *files*".to_string()),
            Block::Table(g.clone()),
            Block::Fold(
                "Denied: **/.git/**".to_string(),
                vec![Block::Line("<b>".to_string())],
            ),
            Block::Collapse("Quiet".to_string(), vec![Block::Line("inside".to_string())]),
        ]
    }

    #[test]
    fn one_walk_three_drawings() {
        let mut t = Vec::new();
        text(&sample(), 80, &mut t).unwrap();
        let t = String::from_utf8(t).unwrap();
        assert!(t.contains("/app/__pycache__/x|y.pyc"), "{t}");
        assert!(t.contains("Denied: **/.git/**\n<b>\ninside\n"), "{t}");
        assert!(!t.contains("Quiet"), "{t}");
        let mut m = Vec::new();
        markdown(&sample(), &mut m).unwrap();
        let m = String::from_utf8(m).unwrap();
        assert!(m.contains("#### Largest \\*files\\*"), "{m}");
        assert!(m.contains("| `/app/__pycache__/x\\|y.pyc` |"), "{m}");
        assert!(m.contains("|  | and 3 more |"), "{m}");
        assert!(m.contains("<summary>Denied: **/.git/**</summary>"), "{m}");
        assert!(m.contains("\\<b\\>"), "{m}");
        assert!(
            m.contains("<details><summary>Quiet</summary>\n\ninside\n"),
            "{m}"
        );
        let mut h = Vec::new();
        to_html(&sample(), &mut h).unwrap();
        let h = String::from_utf8(h).unwrap();
        assert!(h.contains("<p>&lt;b&gt;</p>"), "{h}");
        assert!(
            h.contains("<td><code>/app/__pycache__/x|y.pyc</code></td>"),
            "{h}"
        );
    }
}
