//! Findings of what an attacker could use: secrets (key and credential files, tokens in
//! small text files, secrets in the config's `Env`, labels and history; values always
//! masked) and privileges (running as root, setuid/setgid and world-writable files).

use super::attribution::{Owner, owners};
use super::history::short;
use super::model::{Category, Finding, Severity};
use super::secrets;
use super::shipped::{Acc, Ctx};
use crate::index::{EntryKind, Fate, Index};
use foldhash::{HashSet, HashSetExt};

/// Secrets in files: what the reader's scan found ([`super::collect`]). A key or
/// credential file that an installed package's own file list claims (tornado ships
/// `tornado/test/test.key`) is that package's public fixture: reported at `info` with
/// the package named, which no gate counts. The same file that no list claims, wherever
/// it is (also inside `site-packages`), is what it looks like.
pub(super) fn file_secrets(ctx: &Ctx<'_>, acc: &mut Acc<'_>) {
    const FIX: &str = "rotate it (it has shipped), keep it out of the build context (.dockerignore), and pass secrets at run time or with `RUN --mount=type=secret`";
    let index = ctx.index;
    let mut files: Vec<&(u32, Vec<secrets::Hit>, Option<&'static str>)> =
        ctx.collected.secrets.iter().collect();
    files.sort_by_key(|(e, _, _)| *e);
    let wanted: Vec<_> = files
        .iter()
        .filter_map(|(e, _, _)| index.entries.get(*e as usize).map(|x| x.path))
        .collect();
    let owners = owners(ctx, &wanted);
    for (e, hits, file_kind) in files {
        let Some(entry) = index.entries.get(*e as usize) else {
            continue;
        };
        if ctx.ignored(entry.path) {
            continue;
        }
        let path = index.paths.display(entry.path);
        let layer = usize::from(entry.layer);
        let (rule, what) = if hits.iter().any(|h| h.kind == "private_key") {
            ("secret.private-key", "a private key".to_string())
        } else if let Some(k) = file_kind {
            (
                match *k {
                    "env_file" => "secret.env-file",
                    "cloud_credentials" => "secret.cloud-credentials",
                    "docker_auth" => "secret.docker-auth",
                    _ => "secret.auth-config",
                },
                k.replace('_', " "),
            )
        } else {
            ("secret.token-in-file", "a token".to_string())
        };
        if *file_kind == Some("docker_auth") && hits.is_empty() {
            continue;
        }
        let listed: Vec<String> = hits
            .iter()
            .map(|h| format!("{} {} (line {})", h.kind, h.masked, h.line))
            .collect();
        let hidden = entry.fate != Fate::Visible;
        let sev = if hidden || !hits.is_empty() {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut message = format!("{what} at {path}");
        if !listed.is_empty() {
            message.push_str(": ");
            message.push_str(&listed.join(", "));
        }
        if hidden {
            message.push_str(&format!(
                "; layer {} {} it, but layer {layer} still ships it",
                entry.hidden_by,
                if entry.fate == Fate::Overwritten || entry.fate == Fate::OverwrittenSame {
                    "replaced"
                } else {
                    "deleted"
                }
            ));
        }
        let _ = acc.claim(*e, Category::Secret);
        if let Some(owner) = owners.get(&entry.path) {
            acc.findings
                .push(package_fixture(owner, &what, path, layer, entry.size, *e));
            continue;
        }
        acc.findings.push(Finding {
            rule: rule.to_string(),
            category: Category::Secret,
            severity: sev,
            bytes: entry.size,
            layer: Some(layer),
            paths: vec![path],
            fix: FIX.to_string(),
            saving_bytes: 0,
            message,
            entries: vec![*e],
            packages: Vec::new(),
            resolved_by: None,
        });
    }
}

/// The finding of a key or credential file that `owner` lists among its own files.
fn package_fixture(
    owner: &Owner,
    what: &str,
    path: String,
    layer: usize,
    bytes: u64,
    entry: u32,
) -> Finding {
    let db = match owner.manager {
        "dpkg" => "its dpkg file list",
        "pip" => "its RECORD",
        "apk" => "the apk database",
        _ => "its package directory",
    };
    let version = if owner.version.is_empty() {
        String::new()
    } else {
        format!(" {}", owner.version)
    };
    Finding {
        rule: "secret.package-fixture".to_string(),
        category: Category::Secret,
        severity: Severity::Info,
        bytes,
        layer: Some(layer),
        paths: vec![path.clone()],
        fix: format!(
            "nothing to rotate: {} ships it as its own public file; to drop it anyway, delete it in the RUN that installs the package",
            owner.name
        ),
        saving_bytes: 0,
        message: format!(
            "{what} at {path}, shipped by {} package {}{version} (listed in {db}): a fixture of the package, not a leak",
            owner.manager, owner.name
        ),
        entries: vec![entry],
        packages: Vec::new(),
        resolved_by: None,
    }
}

/// Secrets in the config's `Env` and labels, and in the build args and `ENV` lines the
/// history records.
pub(super) fn config_secrets(index: &Index, acc: &mut Acc<'_>) {
    // The config's Env and labels.
    let cfg = &index.image.config;
    let mut env_names: HashSet<String> = HashSet::new();
    for kv in &cfg.env {
        let (name, value) = kv.split_once('=').unwrap_or((kv, ""));
        let shaped = secrets::scan(value.as_bytes(), 2);
        if !shaped.is_empty()
            || (secrets::is_secret_name(name) && secrets::plausible_value(value.as_bytes()))
        {
            env_names.insert(name.to_string());
            let masked = secrets::mask(value.as_bytes());
            acc.push_note(
                "secret.config-env",
                Category::Secret,
                Severity::Error,
                None,
                Vec::new(),
                "never bake secrets into ENV: pass them at run time (`docker run -e`, a secret store) and rotate this one",
                format!("ENV {name}={masked} is stored in the image config and history"),
            );
        }
    }
    for (k, v) in &cfg.labels {
        for h in secrets::scan(v.as_bytes(), 2) {
            acc.push_note(
                "secret.label",
                Category::Secret,
                Severity::Error,
                None,
                Vec::new(),
                "remove the secret from LABEL and rotate it",
                format!("LABEL {k} holds a {} ({})", h.kind, h.masked),
            );
        }
    }
    // Build args and ENV in the history.
    let mut reported: HashSet<String> = HashSet::new();
    for h in &cfg.history {
        let Some(cb) = h.created_by.as_deref() else {
            continue;
        };
        for (name, value) in history_assignments(cb) {
            if env_names.contains(&name) || reported.contains(&name) {
                continue;
            }
            let shaped = !secrets::scan(value.as_bytes(), 1).is_empty();
            if shaped
                || (secrets::is_secret_name(&name) && secrets::plausible_value(value.as_bytes()))
            {
                reported.insert(name.clone());
                acc.push_note(
                    "secret.history",
                    Category::Secret,
                    Severity::Error,
                    None,
                    Vec::new(),
                    "build args and ENV values are recorded in the image history: use `RUN --mount=type=secret` and rotate this one",
                    format!("{name}={} in the history ({})", secrets::mask(value.as_bytes()), short(Some(cb))),
                );
            }
        }
    }
}

/// `NAME=value` pairs an instruction records: `ENV`/`ARG` lines and the `|N K=V ...` build
/// args of RUN lines.
fn history_assignments(created_by: &str) -> Vec<(String, String)> {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s).trim();
    let mut out = Vec::new();
    let words: Vec<&str> =
        if let Some(rest) = s.strip_prefix("ENV ").or_else(|| s.strip_prefix("ARG ")) {
            rest.split_whitespace().collect()
        } else if s.starts_with('|') {
            s.split_whitespace()
                .skip(1)
                .take_while(|w| *w != "/bin/sh" && *w != "-c")
                .collect()
        } else {
            Vec::new()
        };
    for w in words {
        if let Some((k, v)) = w.split_once('=') {
            out.push((k.to_string(), v.trim_matches('"').to_string()));
        }
    }
    out
}

/// Running as root, setuid/setgid and world-writable files.
pub(super) fn privilege_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>) {
    let paths = &ctx.index.paths;
    let user = ctx.index.image.config.user.trim();
    let user_name = user.split(':').next().unwrap_or_default();
    if user_name.is_empty() || user_name == "root" || user_name == "0" {
        acc.push_note(
            "root_user.runs-as-root",
            Category::RootUser,
            Severity::Warning,
            None,
            Vec::new(),
            "create an unprivileged user and switch to it: `RUN useradd -r -u 10001 app` then `USER 10001`",
            if user.is_empty() { "no USER is set: the container runs as root".to_string() } else { format!("USER is {user}: the container runs as root") },
        );
    }
    let mut setuid = Vec::new();
    let mut writable = Vec::new();
    for f in &ctx.analysis.waste.visible {
        let Some(e) = ctx.index.entries.get(f.entry as usize) else {
            continue;
        };
        if e.kind != EntryKind::File {
            continue;
        }
        if e.mode & 0o6000 != 0 {
            setuid.push((e.layer, paths.display(f.path)));
        }
        if e.mode & 0o002 != 0 {
            writable.push((e.layer, paths.display(f.path)));
        }
    }
    for (rule, list, sev, fix, what) in [
        (
            "root_user.setuid-setgid",
            &setuid,
            Severity::Info,
            "remove the setuid/setgid bits the service does not need: `chmod u-s,g-s FILE` (or `find / -perm /6000 -type f -exec chmod a-s {} +`)",
            "setuid/setgid",
        ),
        (
            "root_user.world-writable",
            &writable,
            Severity::Warning,
            "drop write permission for others: `COPY --chmod=644` or `chmod o-w`",
            "world-writable",
        ),
    ] {
        if !list.is_empty() {
            let layer = list.iter().map(|(l, _)| usize::from(*l)).max();
            let ps = list
                .iter()
                .take(ctx.opts.max_paths)
                .map(|(_, p)| p.clone())
                .collect();
            acc.push_note(
                rule,
                Category::RootUser,
                sev,
                layer,
                ps,
                fix,
                format!(
                    "{} {what} {}",
                    list.len(),
                    if list.len() == 1 { "file" } else { "files" }
                ),
            );
        }
    }
}
