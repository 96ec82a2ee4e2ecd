//! Registry credentials: where they come from, and the challenges that ask for them.
//!
//! Lookup order, first hit wins (what skopeo and podman do, then Docker's file):
//! `--creds USER[:PASS]`; `--authfile FILE`; `$REGISTRY_AUTH_FILE`;
//! `$XDG_RUNTIME_DIR/containers/auth.json`; `~/.config/containers/auth.json`;
//! `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). In each file, `auths`
//! entries match `host/repo` (containers' auth.json) or the host, with or without a
//! scheme; `credHelpers[host]` and then `credsStore` run `docker-credential-NAME get`.
//!
//! A credential never reaches a message: [`Credentials`] prints as `<redacted>`, and
//! errors name the file or helper, never what it held.

use base64::Engine as _;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A user name and a password (or token), never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl Credentials {
    /// `--creds USER[:PASS]` (the password may itself hold `:`).
    pub fn parse(s: &str) -> Credentials {
        let (u, p) = s.split_once(':').unwrap_or((s, ""));
        Credentials {
            username: u.to_string(),
            password: p.to_string(),
        }
    }

    /// The value of an `Authorization: Basic` header.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Where credentials were looked for, for messages ("no credentials for HOST in ...").
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The credentials, if any.
    pub credentials: Option<Credentials>,
    /// Where they came from (a file or helper), or the places tried.
    pub origin: String,
}

/// Why credentials could not be looked up: a file or helper that is there but unusable.
/// The words name the file, the entry's key or the helper, never what they held.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// `--authfile` names no file.
    #[error("--authfile {}: no such file", .0.display())]
    NoAuthFile(PathBuf),
    /// An auth file is not JSON (serde_json's words give the line and column, not the
    /// text).
    #[error("{}: not a JSON auth file: {error}", .file.display())]
    NotJson {
        /// The file.
        file: PathBuf,
        /// Where the JSON breaks.
        error: serde_json::Error,
    },
    /// An `auths` entry's `auth` is not base64 of `USER:PASSWORD`.
    #[error("{}: the `auth` entry for {key} is not base64 of USER:PASSWORD", .file.display())]
    NotBase64 {
        /// The file.
        file: PathBuf,
        /// The entry's key (`host/repo` or a host).
        key: String,
    },
    /// A credential helper gave no credentials.
    #[error(transparent)]
    Helper(#[from] HelperError),
}

/// Finds credentials for `registry` (`host[:port]`) and `repository`.
pub fn lookup(
    registry: &str,
    repository: &str,
    creds: Option<&str>,
    authfile: Option<&Path>,
) -> Result<Found, AuthError> {
    if let Some(c) = creds {
        return Ok(Found {
            credentials: Some(Credentials::parse(c)),
            origin: "--creds".to_string(),
        });
    }
    let files: Vec<PathBuf> = match authfile {
        Some(f) => {
            if !f.is_file() {
                return Err(AuthError::NoAuthFile(f.to_path_buf()));
            }
            vec![f.to_path_buf()]
        }
        None => default_files(),
    };
    let mut tried = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        tried.push(file.display().to_string());
        let config: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| AuthError::NotJson {
                file: file.clone(),
                error,
            })?;
        if let Some(c) = from_file(&config, registry, repository, file)? {
            return Ok(Found {
                credentials: Some(c),
                origin: file.display().to_string(),
            });
        }
    }
    Ok(Found {
        credentials: None,
        origin: if tried.is_empty() {
            "no auth file".to_string()
        } else {
            tried.join(", ")
        },
    })
}

fn default_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut out = Vec::new();
    if let Some(f) = env("REGISTRY_AUTH_FILE") {
        out.push(f);
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        out.push(d.join("containers/auth.json"));
    }
    let home = env("HOME");
    if let Some(d) = env("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config"))) {
        out.push(d.join("containers/auth.json"));
    }
    if let Some(d) = env("DOCKER_CONFIG").or_else(|| home.as_ref().map(|h| h.join(".docker"))) {
        out.push(d.join("config.json"));
    }
    out
}

/// The keys an `auths` entry for this registry may have, most specific first.
fn keys(registry: &str, repository: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = format!("{registry}/{repository}");
    loop {
        out.push(path.clone());
        match path.rsplit_once('/') {
            Some((head, _)) => path = head.to_string(),
            None => break,
        }
    }
    for host in hosts(registry) {
        out.push(format!("https://{host}"));
        out.push(format!("http://{host}"));
        out.push(format!("https://{host}/v1/"));
        out.push(format!("https://{host}/v2/"));
        out.push(host);
    }
    out
}

/// Docker Hub goes by several names in auth files.
fn hosts(registry: &str) -> Vec<String> {
    if registry == super::super::reference::DOCKER_HUB {
        vec![
            "index.docker.io".to_string(),
            "docker.io".to_string(),
            "registry-1.docker.io".to_string(),
        ]
    } else {
        vec![registry.to_string()]
    }
}

fn from_file(
    config: &serde_json::Value,
    registry: &str,
    repository: &str,
    file: &Path,
) -> Result<Option<Credentials>, AuthError> {
    let keys = keys(registry, repository);
    if let Some(helpers) = config.get("credHelpers").and_then(|h| h.as_object()) {
        for host in hosts(registry) {
            if let Some(helper) = helpers.get(&host).and_then(|h| h.as_str()) {
                return Ok(Some(helper_get(helper, &host)?));
            }
        }
    }
    if let Some(auths) = config.get("auths").and_then(|a| a.as_object()) {
        for key in &keys {
            let Some(entry) = auths.get(key) else {
                continue;
            };
            if let Some(auth) = entry.get("auth").and_then(|a| a.as_str())
                && !auth.is_empty()
            {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| AuthError::NotBase64 {
                        file: file.to_path_buf(),
                        key: key.clone(),
                    })?;
                return Ok(Some(Credentials::parse(&decoded)));
            }
            let user = entry.get("username").and_then(|u| u.as_str());
            let pass = entry.get("password").and_then(|u| u.as_str());
            if let (Some(u), Some(p)) = (user, pass) {
                return Ok(Some(Credentials {
                    username: u.to_string(),
                    password: p.to_string(),
                }));
            }
        }
    }
    if let Some(store) = config.get("credsStore").and_then(|s| s.as_str())
        && !store.is_empty()
    {
        let host = hosts(registry).into_iter().next().unwrap_or_default();
        return Ok(Some(helper_get(store, &host)?));
    }
    Ok(None)
}

/// Why a credential helper gave no credentials. The words never hold its answer (it may
/// be a secret), only the program, the server and the exit status.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// `credsStore`/`credHelpers` names something that is not a program name.
    #[error("credential helper name {0:?} is not a program name")]
    NotAProgram(String),
    /// The program could not be started.
    #[error("credential helper {program}: cannot run it: {source}")]
    CannotRun {
        /// `docker-credential-NAME`.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// Its output could not be read.
    #[error("credential helper {program}: {source}")]
    Output {
        /// `docker-credential-NAME`.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// It exited with a failure: nothing stored for the server.
    #[error("credential helper {program} has no credentials for {server} ({status})")]
    NoCredentials {
        /// `docker-credential-NAME`.
        program: String,
        /// The server asked about.
        server: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// Its answer is not JSON.
    #[error("credential helper {program}: its answer is not JSON")]
    NotJson {
        /// `docker-credential-NAME`.
        program: String,
    },
}

/// Runs `docker-credential-NAME get` with the server on standard input, as Docker does.
fn helper_get(name: &str, server: &str) -> Result<Credentials, HelperError> {
    if name.is_empty() || name.contains('/') {
        return Err(HelperError::NotAProgram(name.to_string()));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| HelperError::CannotRun {
            program: program.clone(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe: its exit status says why.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|source| HelperError::Output {
            program: program.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(HelperError::NoCredentials {
            program,
            server: server.to_string(),
            status: out.status,
        });
    }
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|_| HelperError::NotJson { program })?;
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    Ok(Credentials {
        username: field("Username").to_string(),
        password: field("Secret").to_string(),
    })
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=...`.
    Basic,
    /// `Bearer realm=...,service=...,scope=...`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter, if given.
        service: Option<String>,
        /// The `scope` parameter, if given.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header value (quoted or bare parameters).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `a="x,y", b=z` -> `[(a, "x,y"), (b, "z")]`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        out.push((key.trim().to_string(), value.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_errors_name_the_program_not_the_answer() {
        let words = |name: &str| helper_get(name, "r.example").unwrap_err().to_string();
        assert_eq!(
            words("a/b"),
            r#"credential helper name "a/b" is not a program name"#
        );
        let e = words("deadweight-no-such-helper");
        assert!(
            e.starts_with(
                "credential helper docker-credential-deadweight-no-such-helper: cannot run it: "
            ),
            "{e}"
        );
    }

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/python:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge("Bearer realm=http://x/t"),
            Some(Challenge::Bearer {
                realm: "http://x/t".into(),
                service: None,
                scope: None
            })
        );
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn credentials_never_print() {
        let c = Credentials::parse("me:s3cr3t:with-colon");
        assert_eq!(c.password, "s3cr3t:with-colon");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.basic_header(), "Basic bWU6czNjcjN0OndpdGgtY29sb24=");
    }

    #[test]
    fn auth_files_match_repo_then_host() {
        let dir = std::env::temp_dir().join(format!("dw-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("auth.json");
        // base64("u1:p1"), base64("u2:p2")
        std::fs::write(
            &file,
            r#"{"auths":{"reg.example:5000/team/app":{"auth":"dTE6cDE="},"https://reg.example:5000":{"auth":"dTI6cDI="}}}"#,
        )
        .unwrap();
        let found = lookup("reg.example:5000", "team/app", None, Some(&file)).unwrap();
        assert_eq!(found.credentials.unwrap().username, "u1");
        let found = lookup("reg.example:5000", "other", None, Some(&file)).unwrap();
        assert_eq!(found.credentials.unwrap().password, "p2");
        let found = lookup("elsewhere", "x", None, Some(&file)).unwrap();
        assert!(found.credentials.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
