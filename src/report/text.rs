//! Small text policies every human-readable renderer shares: counts with their noun in
//! the right number, Markdown escaping, and no trailing spaces.

use super::bytes::group_thousands;
use std::io::{self, Write};

/// `n` and its noun: `1 layer`, `7 layers`, `1,204 files`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_thousands(n), if n == 1 { one } else { many })
}

/// `n` and its noun, where the plural only adds an `s`: `1 rule`, `2 rules`.
pub fn counted(n: usize, noun: &str) -> String {
    count(n as u64, noun, &format!("{noun}s"))
}

/// Text as Markdown shows it literally: every character Markdown (or GitHub's HTML)
/// would read as markup is backslash-escaped, and line breaks become spaces, so
/// `**/.git/**` stays a glob and `__pycache__` is not bold. Safe in table cells too.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            // A heading or a list only at the start of a line.
            '#' | '+' | '-' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text as a Markdown table cell shows it literally: as [`md_text`], but a leading `-`,
/// `+` or `#` (a signed delta) stays as it is, since a cell starts no list or heading.
pub fn md_cell(s: &str) -> String {
    match s.chars().next() {
        Some(c @ ('-' | '+' | '#')) => {
            let rest = md_text(&s[c.len_utf8()..]);
            format!("{c}{rest}")
        }
        _ => md_text(s),
    }
}

/// Text of ours that marks code with backticks (a fix's `COPY --chmod`): the code
/// spans kept, everything else escaped as [`md_text`].
pub fn md_inline(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An unpaired backtick: nothing is code.
        return md_text(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { md_code(p) } else { md_text(p) })
        .collect()
}

/// A code span holding `s` literally (a path, a glob, an instruction), safe in a table
/// cell: a backtick inside becomes `'`, `|` is escaped as GitHub's tables require.
pub fn md_code(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("`{}`", one_line.replace('`', "'").replace('|', "\\|"))
}

/// A writer that drops the spaces at the end of each line (table padding), so reports
/// copy-paste and diff cleanly.
pub struct TrimEnd<'a> {
    inner: &'a mut dyn Write,
    pending: usize,
}

impl<'a> TrimEnd<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut dyn Write) -> Self {
        TrimEnd { inner, pending: 0 }
    }
}

impl Write for TrimEnd<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            match b {
                b' ' => {
                    self.inner.write_all(&buf[start..i])?;
                    start = i + 1;
                    self.pending += 1;
                }
                b'\n' => {
                    self.inner.write_all(&buf[start..i])?;
                    start = i;
                    self.pending = 0;
                }
                _ if self.pending > 0 => {
                    self.inner.write_all(&buf[start..i])?;
                    start = i;
                    for _ in 0..self.pending {
                        self.inner.write_all(b" ")?;
                    }
                    self.pending = 0;
                }
                _ => {}
            }
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree() {
        assert_eq!(count(1, "layer", "layers"), "1 layer");
        assert_eq!(count(0, "layer", "layers"), "0 layers");
        assert_eq!(count(1204, "file", "files"), "1,204 files");
        assert_eq!(counted(1, "rule"), "1 rule");
        assert_eq!(counted(3, "rule"), "3 rules");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(md_text("**/.git/**"), "\\*\\*/.git/\\*\\*");
        assert_eq!(md_text("__pycache__"), "\\_\\_pycache\\_\\_");
        assert_eq!(md_text("a|b\nc"), "a\\|b c");
        assert_eq!(md_text("- x"), "\\- x");
        assert_eq!(md_cell("-850"), "-850");
        assert_eq!(md_cell("+1 *x*"), "+1 \\*x\\*");
        assert_eq!(md_code("a`b|c"), "`a'b\\|c`");
        assert_eq!(
            md_inline("use `COPY --chmod` for *x*"),
            "use `COPY --chmod` for \\*x\\*"
        );
        assert_eq!(md_inline("a ` b_"), "a \\` b\\_");
    }

    #[test]
    fn trailing_spaces_are_dropped() {
        let mut buf = Vec::new();
        {
            let mut w = TrimEnd::new(&mut buf);
            w.write_all(b"a  b   \n  c ").unwrap();
            w.write_all(b" d  \n\n x  ").unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "a  b\n  c  d\n\n x");
    }
}
