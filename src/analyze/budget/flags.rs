//! Rules given as `check`'s flags, read through the config's value parsers.

use super::config::{
    ConfigError, Kind, Raw, RuleValue, baseline_key, budget_key, check_glob, config_secrets_rule,
    merge, read_rule, root_user_rule,
};
use super::rules::{CATEGORIES, Check, Level, Origin, RuleSpec, deny_rule};

/// Rule values given as flags, by flag name (`--max-layers` and its value as typed).
#[derive(Debug, Clone, Default)]
pub struct FlagRules {
    /// `(flag, value)` pairs for the scalar budgets, e.g. `("max-blob-bytes", "300MB")`.
    pub values: Vec<(String, String)>,
    /// `--category NAME=MAX`.
    pub categories: Vec<String>,
    /// `--deny GLOB`.
    pub deny: Vec<String>,
    /// `--allow GLOB`.
    pub allow: Vec<String>,
    /// `--root-user LEVEL`.
    pub root_user: Option<String>,
    /// `--config-secrets LEVEL`.
    pub config_secrets: Option<String>,
}

impl FlagRules {
    /// True when no flag names a rule.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
            && self.categories.is_empty()
            && self.deny.is_empty()
            && self.allow.is_empty()
            && self.root_user.is_none()
            && self.config_secrets.is_none()
    }
}

/// Reads the rule flags through the config's value parsers. A flag overrides the
/// threshold of the configured rule of the same id and keeps its level.
pub fn apply_flags(rules: &mut Vec<RuleSpec>, flags: &FlagRules) -> Result<(), ConfigError> {
    let fail = |key: &str, problem: String| ConfigError {
        file: "command line".to_string(),
        key: key.to_string(),
        problem,
    };
    let keep_level = |rules: &[RuleSpec], mut spec: RuleSpec| {
        if let Some(old) = rules.iter().find(|r| r.id == spec.id)
            && spec.level == Level::Error
        {
            spec.level = old.level;
        }
        spec
    };
    for (flag, value) in &flags.values {
        let label = format!("--{flag}");
        let key = flag.replace('-', "_");
        let found = budget_key(&key).or_else(|| baseline_key(&key));
        let Some((check, kind, id)) = found else {
            return Err(fail(&label, "not a rule flag".to_string()));
        };
        let spec = read_rule(
            check,
            kind,
            id,
            RuleValue::Scalar(Raw::Str(value.clone())),
            Origin::Flag,
        )
        .map_err(|p| fail(&label, p.to_string()))?;
        let spec = keep_level(rules.as_slice(), spec);
        merge(rules, vec![spec]);
    }
    for c in &flags.categories {
        let label = "--category";
        let (name, max) = c
            .split_once('=')
            .ok_or_else(|| fail(label, format!("expected NAME=MAX, got {c:?}")))?;
        let name = name.trim();
        if !CATEGORIES.contains(&name) {
            return Err(fail(
                label,
                format!(
                    "unknown category {name:?} (known: {})",
                    CATEGORIES.join(", ")
                ),
            ));
        }
        let spec = read_rule(
            Check::Category(name.to_string()),
            Kind::Size,
            &format!("categories.{name}"),
            RuleValue::Scalar(Raw::Str(max.to_string())),
            Origin::Flag,
        )
        .map_err(|p| fail(label, p.to_string()))?;
        let spec = keep_level(rules.as_slice(), spec);
        merge(rules, vec![spec]);
    }
    for g in flags.deny.iter().chain(&flags.allow) {
        check_glob(g).map_err(|p| fail("--deny/--allow", p.to_string()))?;
    }
    if !flags.deny.is_empty() || !flags.allow.is_empty() {
        let (mut deny, mut allow, level) = match rules.iter().find(|r| r.id == "paths.deny") {
            Some(RuleSpec {
                check: Check::DenyPaths { deny, allow },
                level,
                ..
            }) => (deny.clone(), allow.clone(), *level),
            _ => (Vec::new(), Vec::new(), Level::Error),
        };
        deny.extend(flags.deny.iter().cloned());
        allow.extend(flags.allow.iter().cloned());
        if deny.is_empty() {
            return Err(fail(
                "--allow",
                "allow exempts paths from deny, and there is no deny".to_string(),
            ));
        }
        merge(rules, vec![deny_rule(deny, allow, level, Origin::Flag)]);
    }
    if let Some(level) = &flags.root_user {
        let spec = root_user_rule(&Raw::Str(level.clone()), Origin::Flag)
            .map_err(|p| fail("--root-user", p.to_string()))?;
        merge(rules, vec![spec]);
    }
    if let Some(level) = &flags.config_secrets {
        let spec = config_secrets_rule(&Raw::Str(level.clone()), Origin::Flag)
            .map_err(|p| fail("--config-secrets", p.to_string()))?;
        merge(rules, vec![spec]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::budget::*;

    #[test]
    fn flags_override_and_keep_the_level() {
        let mut rules = parse_config(
            "[budget]\nmax_layers = { max = 3, level = \"warn\" }\n",
            "f.toml",
        )
        .unwrap();
        let flags = FlagRules {
            values: vec![("max-layers".into(), "5".into())],
            ..FlagRules::default()
        };
        apply_flags(&mut rules, &flags).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].limit, Measure::Count(5));
        assert_eq!(rules[0].level, Level::Warn);
        let bad = FlagRules {
            values: vec![("max-blob-bytes".into(), "12 parsecs".into())],
            ..FlagRules::default()
        };
        let e = apply_flags(&mut rules, &bad).unwrap_err();
        assert_eq!(e.to_string().split(':').nth(1), Some(" --max-blob-bytes"));
    }
}
