//! The dependency fields of the package databases, reduced to the names a package needs:
//! dpkg relation fields (`a (>= 1) | b:any, c`), apt's `extended_states`, pip's
//! `Requires-Dist` (with markers), apk's `D:`/`p:` tokens and `world`, and npm's lock
//! (`dev: true`). Version constraints are dropped: an installed system already satisfies
//! them, and keeping a package a constraint would not is the safe side (a closure can
//! only shrink).

/// The package names of a dpkg relation field (`Depends`, `Pre-Depends`, `Recommends`,
/// `Suggests`, `Provides`): every alternative of every `a | b` group, version constraint
/// and architecture qualifier (`:any`, `:native`, `:amd64`) dropped. Every alternative
/// counts, as apt's autoremover marks every installed package that satisfies one.
pub fn dpkg_relations(field: &str) -> Vec<String> {
    field
        .split([',', '|'])
        .filter_map(|alt| {
            let name = alt.trim().split([' ', '(', '[', '<']).next()?;
            let name = name.split(':').next()?.trim();
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// The names apt's `extended_states` marks `Auto-Installed: 1`.
pub fn apt_auto_installed(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut name = None;
        let mut auto = false;
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Auto-Installed:") {
                auto = v.trim() == "1";
            }
        }
        if let Some(n) = name.filter(|n| auto && !n.is_empty()) {
            out.push(n.to_string());
        }
    }
    out
}

/// A `Requires-Dist` value (`name[extra] (>=1) ; marker`): the name as written, and
/// whether the dependency is hard. One that applies only under an `extra == ...` marker
/// is not: the extra may not have been asked for. Other markers (`python_version`,
/// `sys_platform`) count as met, the safe side for keeping a package.
pub fn requires_dist(value: &str) -> Option<(String, bool)> {
    let (spec, marker) = value.split_once(';').unwrap_or((value, ""));
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = spec.get(..end)?;
    if name.is_empty() {
        return None;
    }
    Some((name.to_string(), !mentions_extra(marker)))
}

/// True when a PEP 508 marker tests the `extra` variable (outside quoted strings).
fn mentions_extra(marker: &str) -> bool {
    let mut bare = String::with_capacity(marker.len());
    let mut quote = None;
    for c in marker.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                bare.push(' ');
            }
            None => bare.push(c),
        }
    }
    bare.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w == "extra")
}

/// The name of an apk dependency or provides token (`so:libc.musl-x86_64.so.1`,
/// `python3>=3.11`, `cmd:sh=1.36`); `None` for a conflict (`!foo`).
pub fn apk_name(token: &str) -> Option<String> {
    let token = token.trim();
    if token.is_empty() || token.starts_with('!') {
        return None;
    }
    let name = token.split(['<', '>', '=', '~', '@']).next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The packages `/etc/apk/world` asks for, by name.
pub fn apk_world(text: &str) -> Vec<String> {
    text.split_whitespace().filter_map(apk_name).collect()
}

/// The package directories an npm lock (`package-lock.json`, or the hidden
/// `node_modules/.package-lock.json`, lockfile v2/v3) flags `dev: true`: only
/// devDependencies need them. Relative to the project directory, as the lock keys them.
pub fn npm_lock_dev(v: &serde_json::Value) -> Vec<&str> {
    let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    pkgs.iter()
        .filter(|(k, p)| {
            !k.is_empty() && p.get("dev").and_then(serde_json::Value::as_bool) == Some(true)
        })
        .map(|(k, _)| k.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_fields_keep_every_alternative_and_drop_versions_and_arches() {
        assert_eq!(
            dpkg_relations("libc6 (>= 2.34), gcc-12 | gcc:any (>= 4:12), python3:any, awk"),
            ["libc6", "gcc-12", "gcc", "python3", "awk"]
        );
        assert_eq!(dpkg_relations(""), Vec::<String>::new());
        assert_eq!(dpkg_relations("foo [amd64]"), ["foo"]);
    }

    #[test]
    fn extended_states_auto_only() {
        let text = "Package: a\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: b\nArchitecture: amd64\nAuto-Installed: 0\n\nPackage: c\nAuto-Installed: 1\n";
        assert_eq!(apt_auto_installed(text), ["a", "c"]);
    }

    #[test]
    fn requires_dist_markers() {
        assert_eq!(
            requires_dist("Werkzeug (>=3.0.0)"),
            Some(("Werkzeug".into(), true))
        );
        assert_eq!(
            requires_dist("colorama; platform_system == \"Windows\""),
            Some(("colorama".into(), true))
        );
        assert_eq!(
            requires_dist("pytest>=7; extra == 'testing'"),
            Some(("pytest".into(), false))
        );
        assert_eq!(
            requires_dist("asgiref>=3.2 ; (python_version<'3.9') and extra==\"async\""),
            Some(("asgiref".into(), false))
        );
        // A quoted "extra" is a value, not the variable.
        assert_eq!(
            requires_dist("x; platform_release == 'extra'"),
            Some(("x".into(), true))
        );
        assert_eq!(
            requires_dist("Typing_Extensions[x]>=4"),
            Some(("Typing_Extensions".into(), true))
        );
        assert_eq!(requires_dist("   "), None);
    }

    #[test]
    fn apk_tokens() {
        assert_eq!(
            apk_name("so:libc.musl-x86_64.so.1").as_deref(),
            Some("so:libc.musl-x86_64.so.1")
        );
        assert_eq!(apk_name("python3>=3.11").as_deref(), Some("python3"));
        assert_eq!(apk_name("cmd:sh=1.36.1-r2").as_deref(), Some("cmd:sh"));
        assert_eq!(apk_name("!busybox-suid"), None);
        assert_eq!(
            apk_world("alpine-base\nbuild-base>=0.5\n.build-deps\n"),
            ["alpine-base", "build-base", ".build-deps"]
        );
    }

    #[test]
    fn npm_lock_dev_flags() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/jest":{"dev":true},"node_modules/a/node_modules/b":{"dev":true},"node_modules/left-pad":{}}}"#,
        )
        .unwrap();
        let mut got = npm_lock_dev(&v);
        got.sort();
        assert_eq!(got, ["node_modules/a/node_modules/b", "node_modules/jest"]);
    }
}
