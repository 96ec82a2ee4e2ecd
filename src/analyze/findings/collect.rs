//! The [`ContentInspector`] of the findings stage: while the reader streams, it notes each
//! file's magic, parses package databases, and scans the few config-like files that may
//! hold secrets. It keeps compact results only, keyed by (layer member, entry index in the
//! layer); [`Collected::resolve`] maps them to global entry indexes once the index exists.

use super::magic::{self, Magic};
use super::packages::{self, DbKind, Record};
use super::secrets::{self, Hit};
use crate::archive::Capture;
use crate::index::{ContentInspector, Index, InspectedFile};
use foldhash::{HashMap, HashMapExt};

/// Largest package database captured whole.
pub const MAX_DB_BYTES: u64 = 8 * 1024 * 1024;
/// Largest config-like text file scanned for secrets.
pub const MAX_TEXT_BYTES: u64 = 256 * 1024;
/// Secret hits kept per file.
const HITS_PER_FILE: usize = 8;

/// What the collector keeps, by (member number, local entry index).
#[derive(Debug, Default, Clone)]
pub struct Collector {
    members: Vec<String>,
    member_ids: HashMap<String, u16>,
    current: u16,
    /// Files whose magic is not [`Magic::Unknown`].
    magic: HashMap<(u16, u32), Magic>,
    /// Parsed package databases.
    records: Vec<((u16, u32), Record)>,
    /// Secrets found, by file; `true` when the file itself is a secret (a key, a .env).
    #[allow(clippy::type_complexity)]
    secrets: Vec<((u16, u32), Vec<Hit>, Option<&'static str>)>,
    /// The path being looked at, normalised: reused from one entry to the next.
    path_buf: Vec<u8>,
}

/// Secrets found in one file: its entry, the hits, and the file's own kind when its name
/// makes it a secret.
pub type SecretFile = (u32, Vec<Hit>, Option<&'static str>);

/// The collector's results with global entry indexes.
#[derive(Debug, Default)]
pub struct Collected {
    /// Entry index -> magic, for files with a known magic.
    pub magic: HashMap<u32, Magic>,
    /// Package databases, with the entry they were read from.
    pub records: Vec<(u32, Record)>,
    /// Secret files and hits, with their entry.
    pub secrets: Vec<SecretFile>,
}

impl Collected {
    /// The magic of entry `entry`'s content: [`Magic::Unknown`] when none was recognised.
    pub fn magic_of(&self, entry: u32) -> Magic {
        self.magic.get(&entry).copied().unwrap_or(Magic::Unknown)
    }
}

/// Normalises a tar name the way the index does, enough for choosing what to capture:
/// leading `./` and `/` dropped, a `/` put in front. Into `out`, which is reused.
fn norm_into(path: &[u8], out: &mut Vec<u8>) {
    let mut p = path;
    loop {
        if let Some(r) = p.strip_prefix(b"./") {
            p = r;
        } else if let Some(r) = p.strip_prefix(b"/") {
            p = r;
        } else {
            break;
        }
    }
    out.clear();
    out.push(b'/');
    out.extend_from_slice(p);
}

/// The last component of `path`.
fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or_default()
}

/// `name` ends with `suffix`, ignoring ASCII case.
fn ends_with_ci(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len()
        && name
            .get(name.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
}

/// `name` starts with `prefix`, ignoring ASCII case.
fn starts_with_ci(name: &[u8], prefix: &[u8]) -> bool {
    name.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Why a file is a secret by its name alone (a key, a credentials file), if it is.
pub fn secret_file_kind(path: &[u8]) -> Option<&'static str> {
    let name = file_name(path);
    let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
    if is(b".env")
        || starts_with_ci(name, b".env.")
            && !ends_with_ci(name, b".example")
            && !ends_with_ci(name, b".sample")
            && !ends_with_ci(name, b".template")
    {
        Some("env_file")
    } else if path.ends_with(b"/.aws/credentials")
        || path.ends_with(b"/.config/gcloud/application_default_credentials.json")
        || is(b"credentials.json")
        || is(b"service-account.json")
    {
        Some("cloud_credentials")
    } else if is(b".npmrc") || is(b".pypirc") || is(b".netrc") || is(b".git-credentials") {
        Some("auth_config")
    } else if path.ends_with(b"/.docker/config.json") {
        Some("docker_auth")
    } else {
        None
    }
}

/// True for files worth scanning for secrets: small config-like text outside the places
/// where installed software and package caches live (their files are other people's,
/// and full of sample keys and `authors = [...]`).
fn secret_candidate(path: &[u8]) -> bool {
    if secret_file_kind(path).is_some() {
        return true;
    }
    let name = file_name(path);
    let key_name = ends_with_ci(name, b".pem")
        || ends_with_ci(name, b".key")
        || starts_with_ci(name, b"id_rsa")
        || starts_with_ci(name, b"id_dsa")
        || starts_with_ci(name, b"id_ecdsa")
        || starts_with_ci(name, b"id_ed25519");
    if key_name {
        return !path.starts_with(b"/usr/share/ca-certificates/")
            && !path.starts_with(b"/etc/ssl/certs/");
    }
    // The name first: it rules out most files at the cost of a few comparisons.
    const EXT: &[&[u8]] = &[
        b".yml",
        b".yaml",
        b".json",
        b".toml",
        b".ini",
        b".cfg",
        b".conf",
        b".properties",
        b".sh",
        b".env",
        b".txt",
        b".xml",
        b".tf",
        b".tfvars",
    ];
    if !EXT.iter().any(|e| ends_with_ci(name, e)) {
        return false;
    }
    const SKIP: &[&[u8]] = &[b"/usr/", b"/var/lib/", b"/etc/ssl/", b"/proc/", b"/sys/"];
    const CACHES: &[&[u8]] = &[
        b"/.cargo/registry/",
        b"/.cargo/git/",
        b"/go/pkg/mod/",
        b"/.m2/repository/",
        b"/.gradle/caches/",
    ];
    let installed = |c: &[u8]| {
        matches!(
            c,
            b"site-packages" | b"dist-packages" | b"node_modules" | b".git" | b".rustup" | b".npm"
        )
    };
    !(SKIP.iter().any(|s| path.starts_with(s))
        || path.split(|&b| b == b'/').any(installed)
        || CACHES
            .iter()
            .any(|c| memchr::memmem::find(path, c).is_some()))
}

/// What of the file at the normalised path `p` the collector captures.
fn capture_normalised(p: &[u8]) -> Capture {
    if packages::db_kind(p).is_some() {
        Capture::Full { max: MAX_DB_BYTES }
    } else if secret_candidate(p) {
        Capture::Full {
            max: MAX_TEXT_BYTES,
        }
    } else {
        Capture::Head
    }
}

/// [`Collector`]'s capture choice as a plain function (its
/// [`ContentInspector::capture_policy`]): the path alone decides.
fn capture_policy(path: &[u8], _size: u64) -> Capture {
    thread_local! {
        static PATH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    PATH.with(|buf| {
        let mut p = buf.borrow_mut();
        norm_into(path, &mut p);
        capture_normalised(&p)
    })
}

impl ContentInspector for Collector {
    fn capture(&mut self, path: &[u8], _size: u64) -> Capture {
        let mut p = std::mem::take(&mut self.path_buf);
        norm_into(path, &mut p);
        let capture = capture_normalised(&p);
        self.path_buf = p;
        capture
    }

    fn capture_policy(&self) -> Option<crate::archive::CapturePolicy> {
        Some(capture_policy)
    }

    fn inspect(&mut self, f: &InspectedFile<'_>) {
        if self
            .members
            .get(usize::from(self.current))
            .map(String::as_str)
            != Some(f.member)
        {
            self.current = match self.member_ids.get(f.member) {
                Some(&id) => id,
                None => {
                    let id = self.members.len() as u16;
                    self.members.push(f.member.to_string());
                    self.member_ids.insert(f.member.to_string(), id);
                    id
                }
            };
        }
        let key = (self.current, f.local);
        let m = magic::classify(f.head);
        if m != Magic::Unknown {
            self.magic.insert(key, m);
        }
        if let Some(content) = f.content {
            if let Some(kind) = packages::db_kind(f.path_bytes) {
                if let Some(r) = packages::parse(kind, f.path_bytes, content) {
                    self.records.push((key, r));
                }
                if kind != DbKind::Requirements {
                    return;
                }
            }
            let hits = secrets::scan(content, HITS_PER_FILE);
            let file_kind = secret_file_kind(f.path_bytes);
            if !hits.is_empty() || file_kind.is_some() {
                self.secrets.push((key, hits, file_kind));
            }
        } else if m == Magic::Pem && f.head.windows(16).any(|w| w == b"PRIVATE KEY-----") {
            // A key too large to capture: its header is in the head.
            self.secrets.push((
                key,
                vec![Hit {
                    kind: "private_key",
                    line: 1,
                    masked: "-----BEGIN … PRIVATE KEY-----".to_string(),
                }],
                None,
            ));
        }
    }
}

impl Collector {
    /// Maps the results to global entry indexes of `index`; entries of members the image
    /// does not use are dropped.
    pub fn resolve(self, index: &Index) -> Collected {
        let mut start: HashMap<u16, usize> = HashMap::new();
        for l in &index.layers {
            if let Some(&id) = self.member_ids.get(&l.member) {
                start.insert(id, l.range.start);
            }
        }
        let global = |(m, local): (u16, u32)| -> Option<u32> {
            let s = *start.get(&m)?;
            u32::try_from(s + local as usize).ok()
        };
        Collected {
            magic: self
                .magic
                .into_iter()
                .filter_map(|(k, v)| Some((global(k)?, v)))
                .collect(),
            records: self
                .records
                .into_iter()
                .filter_map(|(k, r)| Some((global(k)?, r)))
                .collect(),
            secrets: self
                .secrets
                .into_iter()
                .filter_map(|(k, h, f)| Some((global(k)?, h, f)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_candidates_are_the_app_config_files_not_other_peoples() {
        for path in [
            "/app/config.yaml",
            "/app/.env",
            "/app/.ENV.production",
            "/srv/keys/server.PEM",
            "/root/.ssh/id_ed25519",
            "/root/.npmrc",
            "/opt/svc/settings.Toml",
        ] {
            assert!(secret_candidate(path.as_bytes()), "{path} is scanned");
        }
        for path in [
            "/app/main.py",
            "/app/.env.example",
            "/usr/share/doc/x/config.json",
            "/opt/venv/lib/python3.11/site-packages/pkg/conf.yaml",
            "/root/.cargo/registry/src/index.crates.io-1/ahash-0.8.12/Cargo.toml",
            "/root/.rustup/toolchains/stable/lib/rustlib/components.txt",
            "/go/pkg/mod/example.com/m@v1/config.json",
            "/root/.npm/_cacache/index.json",
            "/etc/ssl/certs/ca.pem",
        ] {
            assert!(!secret_candidate(path.as_bytes()), "{path} is not scanned");
        }
        assert_eq!(secret_file_kind(b"/app/.ENV"), Some("env_file"));
        assert_eq!(secret_file_kind(b"/app/.env.sample"), None);
        assert_eq!(
            secret_file_kind(b"/x/Credentials.json"),
            Some("cloud_credentials")
        );
    }

    #[test]
    fn captures_reuse_one_path_buffer() {
        let mut c = Collector::default();
        assert!(matches!(c.capture(b"./app/.env", 10), Capture::Full { .. }));
        assert!(matches!(c.capture(b"app/main.py", 10), Capture::Head));
        assert!(matches!(
            c.capture(b"var/lib/dpkg/status", 10),
            Capture::Full { max: MAX_DB_BYTES }
        ));
        assert_eq!(c.path_buf, b"/var/lib/dpkg/status");
    }
}
