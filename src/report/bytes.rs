//! One display policy for byte counts: every size in every human-readable report goes
//! through [`ByteFormat`]. JSON never does: it holds raw integers.

/// How sizes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByteFormat {
    /// Decimal units (kB, MB, GB), as `docker images` shows them.
    #[default]
    Si,
    /// Binary units (KiB, MiB, GiB).
    Iec,
    /// Exact integers, digits only (`2523648`): what a script can parse.
    Raw,
}

impl ByteFormat {
    /// Formats `n` bytes.
    pub fn format(self, n: u64) -> String {
        match self {
            ByteFormat::Raw => n.to_string(),
            ByteFormat::Si => scaled(n, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"]),
            ByteFormat::Iec => scaled(n, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"]),
        }
    }

    /// Formats a signed difference, with its sign.
    pub fn format_signed(self, n: i128) -> String {
        let magnitude = u64::try_from(n.unsigned_abs()).unwrap_or(u64::MAX);
        match n.signum() {
            1 => format!("+{}", self.format(magnitude)),
            -1 => format!("-{}", self.format(magnitude)),
            _ => self.format(0),
        }
    }
}

fn scaled(n: u64, base: f64, units: &[&str]) -> String {
    if n < base as u64 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= base && unit + 1 < units.len() {
        value /= base;
        unit += 1;
    }
    let name = units.get(unit).copied().unwrap_or("B");
    if value >= 100.0 {
        format!("{value:.0} {name}")
    } else if value >= 10.0 {
        format!("{value:.1} {name}")
    } else {
        format!("{value:.2} {name}")
    }
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part` as a percentage of `whole`, one decimal; `-` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_table() {
        let cases = [
            (0, "0 B", "0 B", "0"),
            (999, "999 B", "999 B", "999"),
            (1000, "1.00 kB", "1000 B", "1000"),
            (1024, "1.02 kB", "1.00 KiB", "1024"),
            (1_536_128, "1.54 MB", "1.46 MiB", "1536128"),
            (226_902_993, "227 MB", "216 MiB", "226902993"),
            (12_000_000_000, "12.0 GB", "11.2 GiB", "12000000000"),
        ];
        for (n, si, iec, raw) in cases {
            assert_eq!(ByteFormat::Si.format(n), si, "{n}");
            assert_eq!(ByteFormat::Iec.format(n), iec, "{n}");
            assert_eq!(ByteFormat::Raw.format(n), raw, "{n}");
        }
        assert_eq!(ByteFormat::Raw.format_signed(-1500), "-1500");
        assert_eq!(group_thousands(1_536_128), "1,536,128");
        assert_eq!(ByteFormat::Raw.format_signed(7), "+7");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
    }
}
