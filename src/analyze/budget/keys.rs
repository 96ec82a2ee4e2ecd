//! The tables and keys `deadweight.toml` may hold, checked before anything in it is
//! read, so the gate fails closed: a misspelled table (`[budgets]`) or key (`ignor`)
//! anywhere is an error naming the file, the line and the nearest valid name, never a
//! silently skipped rule. `inspect` (which reads `[findings]`) and `check` (which reads
//! the rest) both check the whole file. dive's `.dive-ci` gets the same at its top level.

use super::{CATEGORIES, ConfigError};

/// The keys of `[budget]`.
pub const BUDGET_KEYS: &[&str] = &[
    "max_blob_bytes",
    "max_size",
    "max_content_bytes",
    "max_visible_bytes",
    "max_hidden_bytes",
    "max_hidden_percent",
    "max_duplicate_bytes",
    "max_duplicate_percent",
    "max_dead_weight_bytes",
    "max_dead_weight_percent",
    "min_efficiency",
    "max_wasted_bytes",
    "max_user_wasted_percent",
    "max_layer_bytes",
    "max_layers",
    "max_layer_blob_bytes",
    "max_history_patterns",
];

/// The keys of `[baseline]`.
pub const BASELINE_KEYS: &[&str] = &[
    "max_growth_bytes",
    "max_growth_percent",
    "no_new_error_findings",
];

/// The keys of `[paths]`.
pub const PATHS_KEYS: &[&str] = &["deny", "allow", "level"];

/// The keys of `[security]`.
pub const SECURITY_KEYS: &[&str] = &["root_user", "config_secrets"];

/// The keys of `[findings]`.
pub const FINDINGS_KEYS: &[&str] = &["ignore", "rules"];

/// The keys of each `[[findings.rules]]`.
pub const FINDINGS_RULE_KEYS: &[&str] =
    &["id", "category", "paths", "severity", "fix", "min_bytes"];

/// The keys of a rule given as a table (`{ max = "10MB", level = "warn" }`).
pub const RULE_TABLE_KEYS: &[&str] = &["max", "min", "value", "level"];

/// The tables of `deadweight.toml` and their keys.
pub const TABLES: &[(&str, &[&str])] = &[
    ("budget", BUDGET_KEYS),
    ("categories", CATEGORIES),
    ("category", CATEGORIES),
    ("paths", PATHS_KEYS),
    ("security", SECURITY_KEYS),
    ("baseline", BASELINE_KEYS),
    ("findings", FINDINGS_KEYS),
];

/// The top-level keys of dive's `.dive-ci`.
pub const DIVE_CI_KEYS: &[&str] = &["rules", "plugins"];

/// Checks every table and key of the TOML `text` (read from `file`) against [`TABLES`].
pub fn validate(text: &str, file: &str) -> Result<(), ConfigError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
        file: match e.span() {
            Some(span) => format!("{file}:{}", line_at(text, span.start)),
            None => file.to_string(),
        },
        key: "(syntax)".to_string(),
        problem: e.message().trim().replace('\n', "; "),
    })?;
    // Suggestions name the canonical tables (`category` is an alias of `categories`).
    let names: Vec<&str> = TABLES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "category")
        .collect();
    for (table, value) in &doc {
        let Some((_, keys)) = TABLES.iter().find(|(n, _)| n == table) else {
            let line = line_of_table(text, table);
            let owner = TABLES
                .iter()
                .find(|(n, keys)| *n != "category" && keys.contains(&table.as_str()));
            let problem = match (owner, nearest(table, &names)) {
                (Some((n, _)), _) if !value.is_table() => {
                    format!("a key outside any table; it belongs under [{n}]")
                }
                (_, Some(n)) => format!("unknown table; did you mean [{n}]?"),
                _ => format!("unknown table (known: [{}])", names.join("], [")),
            };
            let key = if value.is_table() {
                format!("[{table}]")
            } else {
                table.clone()
            };
            return Err(error(file, line, key, problem));
        };
        let toml::Value::Table(t) = value else {
            // `budget = 3`: parse_config words this one.
            continue;
        };
        for (key, v) in t {
            if !keys.contains(&key.as_str()) {
                return Err(unknown_key(text, file, table, key, keys));
            }
            check_inner(text, file, table, key, v)?;
        }
    }
    Ok(())
}

/// The keys inside a rule table and inside each `[[findings.rules]]`.
fn check_inner(
    text: &str,
    file: &str,
    table: &str,
    key: &str,
    v: &toml::Value,
) -> Result<(), ConfigError> {
    let (inner, allowed): (Vec<&toml::Table>, &[&str]) = match (table, key, v) {
        ("findings", "rules", toml::Value::Array(items)) => (
            items.iter().filter_map(|i| i.as_table()).collect(),
            FINDINGS_RULE_KEYS,
        ),
        ("findings", _, _) | ("paths", _, _) => return Ok(()),
        (_, _, toml::Value::Table(t)) => (vec![t], RULE_TABLE_KEYS),
        _ => return Ok(()),
    };
    for t in inner {
        for k in t.keys() {
            if !allowed.contains(&k.as_str()) {
                let label = format!("{table}.{key}");
                return Err(unknown_key(text, file, &label, k, allowed));
            }
        }
    }
    Ok(())
}

fn unknown_key(text: &str, file: &str, table: &str, key: &str, keys: &[&str]) -> ConfigError {
    let line = line_of_key(text, table, key);
    let problem = match nearest(key, keys) {
        Some(n) => format!("unknown key; did you mean {n}?"),
        None => format!("unknown key (known: {})", keys.join(", ")),
    };
    error(file, line, format!("[{table}] {key}"), problem)
}

fn error(file: &str, line: Option<usize>, key: String, problem: String) -> ConfigError {
    ConfigError {
        file: match line {
            Some(l) => format!("{file}:{l}"),
            None => file.to_string(),
        },
        key,
        problem,
    }
}

/// Checks the top-level keys of a `.dive-ci` (YAML) against [`DIVE_CI_KEYS`].
pub fn validate_dive_ci(
    doc: &serde_yaml_ng::Value,
    text: &str,
    file: &str,
) -> Result<(), ConfigError> {
    let Some(map) = doc.as_mapping() else {
        return Ok(());
    };
    for k in map.keys() {
        let key = k.as_str().unwrap_or("(not a string)");
        if !DIVE_CI_KEYS.contains(&key) {
            let line = text
                .lines()
                .position(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
                .map(|i| i + 1);
            let problem = match nearest(key, DIVE_CI_KEYS) {
                Some(n) => format!("unknown key; did you mean {n}?"),
                None => format!("unknown key (dive reads: {})", DIVE_CI_KEYS.join(", ")),
            };
            return Err(error(file, line, key.to_string(), problem));
        }
    }
    Ok(())
}

/// The line (1-based) of a `.dive-ci` rule key under `rules:`.
pub fn dive_rule_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            l.len() > t.len() && t.starts_with(key) && t[key.len()..].trim_start().starts_with(':')
        })
        .map(|i| i + 1)
}

/// The 1-based line of byte offset `at`.
fn line_at(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(1, |head| head.matches('\n').count() + 1)
}

/// The line of the header `[name]` (or `[[name...`, or a dotted `name.key =`).
fn line_of_table(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim();
            let inner = t.trim_start_matches('[').trim_start();
            (t.starts_with('[') && header_names(inner, name))
                || (t.starts_with(name) && t[name.len()..].trim_start().starts_with(['=', '.']))
        })
        .map(|i| i + 1)
}

fn header_names(inner: &str, name: &str) -> bool {
    let bare = inner.trim_start_matches('"');
    bare.starts_with(name)
        && bare[name.len()..]
            .trim_start_matches('"')
            .trim_start()
            .starts_with([']', '.'])
}

/// The line of `key = ...` in the table `table` (`budget`, or `findings.rules` for the
/// rules' keys): after its header, before the next one; else anywhere.
fn line_of_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let is_key = |l: &str| {
        let t = l.trim().trim_start_matches('"');
        t.starts_with(key)
            && t[key.len()..]
                .trim_start_matches('"')
                .trim_start()
                .starts_with('=')
    };
    let is_inline = |l: &str| {
        let t = l.trim();
        let k = table.rsplit('.').next().unwrap_or(table);
        t.starts_with(k) && t.contains(key)
    };
    let head = table.split('.').next().unwrap_or(table);
    let mut in_table = false;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_table = header_names(t.trim_start_matches('[').trim_start(), head);
            continue;
        }
        if in_table && (is_key(l) || (table.contains('.') && is_inline(l))) {
            return Some(i + 1);
        }
    }
    lines.iter().position(|l| is_key(l)).map(|i| i + 1)
}

/// The name of `names` closest to `word`, when it is close: within two edits and a
/// third of its length (so `budgets` finds `budget`, `ignor` finds `ignore`).
pub fn nearest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (edit_distance(word, n), *n))
        .filter(|(d, n)| *d <= 2 && *d * 3 <= n.len().max(3))
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        validate(text, "d.toml").unwrap_err().to_string()
    }

    #[test]
    fn unknown_tables_and_keys_name_file_line_and_nearest() {
        assert_eq!(
            err("[budgets]\nmax_layers = 3\n"),
            "d.toml:1: [budgets]: unknown table; did you mean [budget]?"
        );
        assert_eq!(
            err("[budget]\nmax_layers = 3\n\n[categorys]\nvcs = 0\n"),
            "d.toml:4: [categorys]: unknown table; did you mean [categories]?"
        );
        assert_eq!(
            err("[budget]\nmax_layers = 3\nmax_layer = 4\n"),
            "d.toml:3: [budget] max_layer: unknown key; did you mean max_layers?"
        );
        assert_eq!(
            err("[budget]\nmax_layers = 3\n[findings]\nignor = []\n"),
            "d.toml:4: [findings] ignor: unknown key; did you mean ignore?"
        );
        assert_eq!(
            err("[[findings.rules]]\ncategory = \"docs\"\npath = [\"x\"]\n"),
            "d.toml:3: [findings.rules] path: unknown key; did you mean paths?"
        );
        assert_eq!(
            err("[budget]\nmax_layers = { max = 3, levle = \"warn\" }\n"),
            "d.toml:2: [budget.max_layers] levle: unknown key; did you mean level?"
        );
        assert!(err("[xyzzy]\na = 1\n").contains("unknown table (known: [budget], "));
        assert_eq!(
            err("max_layers = 3\n"),
            "d.toml:1: max_layers: a key outside any table; it belongs under [budget]"
        );
        assert!(err("[budget\n").starts_with("d.toml:1: (syntax)"));
    }

    #[test]
    fn every_documented_key_is_known() {
        let full = "[budget]\nmax_blob_bytes = 1\nmax_layers = { max = 3, level = \"warn\" }\nmin_efficiency = { min = 0.9 }\n\
                    [categories]\nvcs = 0\n[paths]\ndeny = []\nallow = []\nlevel = \"warn\"\n\
                    [security]\nroot_user = \"error\"\n[baseline]\nmax_growth_percent = 5\n\
                    [findings]\nignore = []\n[[findings.rules]]\nid = \"a\"\ncategory = \"docs\"\npaths = [\"x\"]\nseverity = \"info\"\nfix = \"f\"\nmin_bytes = 1\n";
        validate(full, "d.toml").unwrap();
    }

    #[test]
    fn dive_ci_top_level() {
        let text = "plugins:\n  - p\nrules:\n  lowestEfficiency: 0.9\nrule:\n  x: 1\n";
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap();
        assert_eq!(
            validate_dive_ci(&doc, text, ".dive-ci")
                .unwrap_err()
                .to_string(),
            ".dive-ci:5: rule: unknown key; did you mean rules?"
        );
        assert_eq!(dive_rule_line(text, "lowestEfficiency"), Some(4));
    }

    #[test]
    fn nearest_names() {
        assert_eq!(nearest("budgets", &["budget", "baseline"]), Some("budget"));
        assert_eq!(nearest("ignor", FINDINGS_KEYS), Some("ignore"));
        assert_eq!(nearest("zzz", FINDINGS_KEYS), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
