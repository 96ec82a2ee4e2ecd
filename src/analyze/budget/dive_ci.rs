//! dive's `.dive-ci` rules, read as dive reads them.

use super::config::{ConfigError, Kind, Raw, RuleValue, read_rule};
use super::rules::{Check, Origin, RuleSpec};

/// Parses a dive `.dive-ci` file as dive does: the keys under `rules:` that are present
/// (`lowestEfficiency`, `highestWastedBytes`, `highestUserWastedPercent`), each a number or
/// a string, `disabled`/`off`/`false`/empty turning it off. Unlike dive, a key left out is
/// no rule: dive's defaults fill missing keys in, which its users report as a bug
/// (dive#606). Plugin rules (`name/rule`) are ignored, with a note. Returns the rules
/// and the notes.
pub fn parse_dive_ci(text: &str, file: &str) -> Result<(Vec<RuleSpec>, Vec<String>), ConfigError> {
    let fail = |key: &str, problem: String| ConfigError {
        file: file.to_string(),
        key: key.to_string(),
        problem,
    };
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| fail("(syntax)", e.to_string()))?;
    super::keys::validate_dive_ci(&doc, text, file)?;
    let mut rules = Vec::new();
    let mut notes = Vec::new();
    let Some(map) = doc.get("rules").and_then(|r| r.as_mapping()) else {
        notes.push(format!("{file}: no `rules:` mapping, so no dive rule"));
        return Ok((rules, notes));
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            return Err(fail("rules", "a key that is not a string".to_string()));
        };
        let label = format!("rules.{key}");
        let raw = match v {
            serde_yaml_ng::Value::String(s) => Raw::Str(s.clone()),
            serde_yaml_ng::Value::Number(n) => match n.as_i64() {
                Some(i) => Raw::Int(i),
                None => Raw::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_yaml_ng::Value::Bool(b) => Raw::Bool(*b),
            serde_yaml_ng::Value::Null => Raw::Str(String::new()),
            _ => return Err(fail(&label, "expected a number or a string".to_string())),
        };
        let (check, kind, id) = match key {
            "lowestEfficiency" => (Check::DiveEfficiency, Kind::Ratio, "budget.min_efficiency"),
            "highestWastedBytes" => (
                Check::DiveWastedBytes,
                Kind::Size,
                "budget.max_wasted_bytes",
            ),
            "highestUserWastedPercent" => (
                Check::DiveUserWasted,
                Kind::OpenRatio,
                "budget.max_user_wasted_percent",
            ),
            other if other.contains('/') => {
                notes.push(format!(
                    "{file}: plugin rule {other} ignored (deadweight runs no dive plugins)"
                ));
                continue;
            }
            _ => {
                const DIVE_RULES: &[&str] = &[
                    "lowestEfficiency",
                    "highestWastedBytes",
                    "highestUserWastedPercent",
                ];
                let at = match super::keys::dive_rule_line(text, key) {
                    Some(l) => format!("{file}:{l}"),
                    None => file.to_string(),
                };
                let problem = match super::keys::nearest(key, DIVE_RULES) {
                    Some(n) => format!("unknown dive rule; did you mean {n}?"),
                    None => format!("unknown dive rule (expected {})", DIVE_RULES.join(", ")),
                };
                return Err(ConfigError {
                    file: at,
                    key: label,
                    problem,
                });
            }
        };
        // dive reads `highestWastedBytes: 1000` as bytes: a YAML integer is bytes here too.
        let spec = read_rule(check, kind, id, RuleValue::Scalar(raw), Origin::DiveCi)
            .map_err(|p| fail(&label, p.to_string()))?;
        rules.push(spec);
    }
    Ok((rules, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::budget::*;

    #[test]
    fn dive_ci_as_dive_reads_it() {
        let text = "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20Mb\n  highestUserWastedPercent: disabled\n  plugin1/rule1: error\n";
        let (rules, notes) = parse_dive_ci(text, ".dive-ci").unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].limit, Measure::Ratio(0.95));
        assert_eq!(rules[1].limit, Measure::Bytes(20_000_000));
        assert_eq!(rules[2].level, Level::Off);
        assert_eq!(notes.len(), 1);
        let e = parse_dive_ci("rules:\n  lowestEfficiency: 2\n", "x.yaml").unwrap_err();
        assert_eq!(e.key, "rules.lowestEfficiency");
    }
}
