//! Sizes and percentages as configs and flags write them: SI and IEC units,
//! case-insensitively as dive's `highestWastedBytes` does (`450MB`, `20Mb`, `1.5GiB`,
//! `512k`; a bare integer is bytes), and shares of the image (`"5%"`).

/// Bytes, or a percentage of a whole (`"5%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// An absolute number of bytes.
    Bytes(u64),
    /// A percentage, 0-100.
    Percent(f64),
}

/// Why a size or a percentage was not read; the words name the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// No number, or not a number.
    #[error("expected a size like \"450MB\" or \"1.5GiB\", got {0:?}")]
    NotASize(String),
    /// A unit deadweight does not know.
    #[error("unknown unit {unit:?} in {text:?} (use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB)")]
    UnknownUnit {
        /// The unit, lowercased.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// More bytes than a `u64` holds.
    #[error("{0:?} is too large")]
    TooLarge(String),
    /// Not a non-negative number, with or without `%`.
    #[error("expected a percentage like \"5%\", got {0:?}")]
    NotAPercent(String),
}

/// Parses a size: an integer or decimal number, then an optional unit, SI (`k`, `kB`,
/// `MB`, `G`, ...: powers of 1000) or IEC (`KiB`, `Mi`, `GiB`, ...: powers of 1024),
/// case-insensitive as in dive (so `20Mb` is 20,000,000 bytes). A bare number is bytes.
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num = num.replace('_', "");
    if num.is_empty() {
        return Err(SizeError::NotASize(s.to_string()));
    }
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "m" | "mb" => 1000u64.pow(2),
        "g" | "gb" => 1000u64.pow(3),
        "t" | "tb" => 1000u64.pow(4),
        "p" | "pb" => 1000u64.pow(5),
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        "pi" | "pib" => 1 << 50,
        other => {
            return Err(SizeError::UnknownUnit {
                unit: other.to_string(),
                text: s.to_string(),
            });
        }
    };
    if let Ok(n) = num.parse::<u64>() {
        return n
            .checked_mul(mult)
            .ok_or_else(|| SizeError::TooLarge(s.to_string()));
    }
    match num.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => {
            let bytes = (x * mult as f64).round();
            if bytes >= u64::MAX as f64 {
                Err(SizeError::TooLarge(s.to_string()))
            } else {
                Ok(bytes as u64)
            }
        }
        _ => Err(SizeError::NotASize(s.to_string())),
    }
}

/// Parses a percentage written `"5%"` (or `"5"`): a non-negative number.
pub fn parse_percent(s: &str) -> Result<f64, SizeError> {
    let t = s.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim();
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(SizeError::NotAPercent(s.to_string())),
    }
}

/// Parses bytes or a percentage: `"450MB"`, `1000`, `"5%"`.
pub fn parse_amount(s: &str) -> Result<Amount, SizeError> {
    if s.trim().ends_with('%') {
        parse_percent(s).map(Amount::Percent)
    } else {
        parse_size(s).map(Amount::Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::budget::config::{Kind, Raw, read_value};
    use crate::analyze::budget::rules::Measure;

    #[test]
    fn sizes_si_and_iec() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("1234", 1234),
            ("450MB", 450_000_000),
            ("450 MB", 450_000_000),
            ("450mb", 450_000_000),
            ("20Mb", 20_000_000),
            ("1kB", 1000),
            ("1k", 1000),
            ("1KiB", 1024),
            ("1.5GiB", 1_610_612_736),
            ("1.5GB", 1_500_000_000),
            ("2Gi", 2_147_483_648),
            ("10MiB", 10_485_760),
            ("1TB", 1_000_000_000_000),
            ("1_000", 1000),
            ("0.5KiB", 512),
            ("12B", 12),
        ];
        for (s, want) in cases {
            assert_eq!(parse_size(s), Ok(*want), "{s}");
        }
        for bad in ["", "MB", "12XB", "-5MB", "1.2.3GB", "abc"] {
            assert!(parse_size(bad).is_err(), "{bad} should not parse");
        }
        assert!(parse_size("99999999999PB").is_err());
    }

    #[test]
    fn errors_word_the_text_as_written() {
        let words = |r: Result<u64, SizeError>| r.map_err(|e| e.to_string()).unwrap_err();
        assert_eq!(
            words(parse_size("MB")),
            r#"expected a size like "450MB" or "1.5GiB", got "MB""#
        );
        assert_eq!(
            words(parse_size("5 parsecs")),
            r#"unknown unit "parsecs" in "5 parsecs" (use B, kB, MB, GB, TB or KiB, MiB, GiB, TiB)"#
        );
        assert_eq!(
            words(parse_size("99999999999PB")),
            r#""99999999999PB" is too large"#
        );
        assert_eq!(
            parse_percent("x%").map_err(|e| e.to_string()),
            Err(r#"expected a percentage like "5%", got "x%""#.to_string())
        );
    }

    #[test]
    fn percents_and_amounts() {
        assert_eq!(parse_amount("5%"), Ok(Amount::Percent(5.0)));
        assert_eq!(parse_amount(" 2.5 % "), Ok(Amount::Percent(2.5)));
        assert_eq!(parse_amount("10MB"), Ok(Amount::Bytes(10_000_000)));
        assert!(parse_amount("-1%").is_err());
        assert_eq!(
            read_value(Kind::Ratio, &Raw::Str("90%".into())),
            Ok(Measure::Ratio(0.9))
        );
        assert!(read_value(Kind::Ratio, &Raw::Float(1.5)).is_err());
        // dive's user wasted ratio may exceed 1 (tiny.docker.tar's is 1.0002).
        assert_eq!(
            read_value(Kind::OpenRatio, &Raw::Float(1.01)),
            Ok(Measure::Ratio(1.01))
        );
        assert!(read_value(Kind::OpenRatio, &Raw::Float(-0.1)).is_err());
        assert_eq!(
            read_value(Kind::Percent, &Raw::Int(5)),
            Ok(Measure::Percent(5.0))
        );
    }
}
