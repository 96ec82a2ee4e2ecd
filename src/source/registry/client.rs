//! One repository of one registry over the OCI Distribution API: authentication,
//! retries, manifests into memory and blobs as verified streams.
//!
//! Authentication follows the registry's challenge. A ping (`GET /v2/`) learns the scheme
//! (HTTPS, or plain HTTP for loopback registries and `--tls-verify=false` when HTTPS
//! fails) and the challenge: none, `Basic` (credentials on every request), or `Bearer`
//! (a token for `repository:REPO:pull` from the realm, with the credentials if any, and
//! again when it expires). Tokens are shared by the threads that fetch layers. The first
//! request the caller will make (the manifest) goes out beside the ping, without
//! credentials: a registry that wants none has answered it by the time the ping is back.
//!
//! Transient failures (the connection refused or reset, 429, 5xx) are retried
//! [`ATTEMPTS`] times with a doubling pause; a blob whose body breaks off is resumed
//! with `Range: bytes=N-` from where it stopped (or skipped up to there when the
//! registry ignores ranges). Every blob's size and SHA-256 are checked against its
//! descriptor as it streams.

use super::auth::{Challenge, Credentials, Found, parse_challenge};
use sha2::{Digest as _, Sha256};
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tries per request, the first included.
pub const ATTEMPTS: u32 = 4;

/// Connections to the registry kept open between requests (ureq keeps one by default).
/// Blob requests are sent ahead of their reads (`ahead.rs`), up to `--jobs` of them
/// beside the `--jobs` being read: a connection freed by one is then there for the next,
/// instead of a new TCP (and TLS) handshake per blob.
const IDLE_CONNECTIONS: usize = 16;

/// Counters of what was asked of the network (for `--verbose`-style reports and the
/// measurements of the manifest-only check).
#[derive(Debug, Default)]
pub struct Traffic {
    /// HTTP requests sent (retries and token requests included).
    pub requests: AtomicU64,
    /// Body bytes received.
    pub bytes: AtomicU64,
    /// Blob bodies opened from their start, and the nanoseconds their readers waited in
    /// all for the answers (`DEADWEIGHT_TIMINGS`: the latency before each blob).
    pub blob_answers: AtomicU64,
    /// See [`Traffic::blob_answers`].
    pub blob_answer_wait_ns: AtomicU64,
}

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct Connect {
    /// Verify TLS certificates (`--tls-verify`, default true). False also allows plain
    /// HTTP when HTTPS fails.
    pub tls_verify: bool,
    /// Extra trusted CA certificates: every `*.crt` in this folder
    /// (`--cert-dir`, as containers tools have it).
    pub cert_dir: Option<std::path::PathBuf>,
    /// Seconds to wait for a connection or a read.
    pub timeout_secs: u64,
}

/// Which schemes [`Client::connect`] tries, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    /// HTTPS alone: a registry elsewhere, certificates verified.
    HttpsOnly,
    /// HTTPS, then plain HTTP if no TLS connection could be made (`--tls-verify=false`).
    HttpsThenPlain,
    /// Plain HTTP, then HTTPS: a loopback registry. Loopback is plain HTTP as a rule
    /// (every registry client allows it), and trying it first needs no TLS set-up at all;
    /// the ping carries no credentials, and a TLS registry on loopback answers it with
    /// 400 or a closed connection, after which HTTPS is tried.
    PlainThenHttps,
}

pub use super::request_error::{Refusal, RequestError};

/// A client for one repository.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    /// `host[:port]`, for messages.
    pub registry: String,
    /// The repository, for messages and scopes.
    pub repository: String,
    credentials: Option<Credentials>,
    /// Where the credentials came from, or where they were looked for.
    credential_origin: String,
    challenge: Option<Challenge>,
    token: Mutex<Option<String>>,
    /// The answer to the request sent beside the ping, until it is asked for.
    early: Mutex<Option<Early>>,
    /// What this client sent and received.
    pub traffic: Arc<Traffic>,
}

/// A request [`Client::connect`] sends beside its ping: `GET /v2/<repo>/<path>` with
/// these `Accept` types.
#[derive(Debug, Clone, Copy)]
pub struct First<'a> {
    /// `manifests/<tag or digest>`.
    pub path: &'a str,
    /// Media types asked for.
    pub accept: &'a [&'a str],
}

/// The successful answer to a [`First`] request, its body unread.
struct Early {
    path: String,
    response: ureq::Response,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("repository", &self.repository)
            .finish_non_exhaustive()
    }
}

/// The response of a successful GET.
pub struct Got {
    /// The response.
    pub response: ureq::Response,
}

/// The TLS side of a client, built on the first HTTPS connection and shared by every
/// connection after it.
///
/// Why lazy: native-tls parses the system CA bundle twice when it builds a connector
/// (OpenSSL's default verify paths, then openssl-probe's file: the same
/// `/etc/ssl/certs/ca-certificates.crt`), about 30 ms each. `strace -tt` showed that as
/// 60 of the 85 ms of an `inspect --manifest-only` against a plain-HTTP loopback
/// registry, which made no TLS connection at all. The `--cert-dir` files are read and
/// parsed up front, so a bad one is still an error before any request.
struct LazyTls {
    tls_verify: bool,
    extra_roots: Vec<native_tls::Certificate>,
    built: std::sync::OnceLock<Result<native_tls::TlsConnector, TlsSetupError>>,
}

/// native-tls could not build a connector. Kept in the lazy cell, so every HTTPS
/// connection after the first fails with the same words (hence the `Arc`: native-tls's
/// error is not `Clone`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot set up TLS: {0}")]
struct TlsSetupError(Arc<native_tls::Error>);

impl LazyTls {
    fn new(connect: &Connect) -> Result<LazyTls, RequestError> {
        let mut extra_roots = Vec::new();
        if let Some(dir) = &connect.cert_dir {
            let entries = std::fs::read_dir(dir).map_err(|error| RequestError::CertDir {
                dir: dir.clone(),
                error,
            })?;
            let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            names.sort();
            for path in names {
                // containers-certs.d(5): `*.crt` are CAs (`*.cert`/`*.key` a client's).
                if path.extension().and_then(|e| e.to_str()) != Some("crt") {
                    continue;
                }
                let pem = std::fs::read(&path).map_err(|error| RequestError::CertRead {
                    path: path.clone(),
                    error,
                })?;
                let cert = native_tls::Certificate::from_pem(&pem)
                    .map_err(|error| RequestError::CertNotPem { path, error })?;
                extra_roots.push(cert);
            }
        }
        Ok(LazyTls {
            tls_verify: connect.tls_verify,
            extra_roots,
            built: std::sync::OnceLock::new(),
        })
    }

    fn build(&self) -> Result<native_tls::TlsConnector, TlsSetupError> {
        let mut b = native_tls::TlsConnector::builder();
        if !self.tls_verify {
            b.danger_accept_invalid_certs(true);
            b.danger_accept_invalid_hostnames(true);
        }
        for cert in &self.extra_roots {
            b.add_root_certificate(cert.clone());
        }
        b.build().map_err(|e| TlsSetupError(Arc::new(e)))
    }
}

impl ureq::TlsConnector for LazyTls {
    fn connect(
        &self,
        dns_name: &str,
        io: Box<dyn ureq::ReadWrite>,
    ) -> Result<Box<dyn ureq::ReadWrite>, ureq::Error> {
        match self.built.get_or_init(|| self.build()) {
            Ok(tls) => ureq::TlsConnector::connect(tls, dns_name, io),
            Err(e) => Err(io::Error::other(e.clone()).into()),
        }
    }
}

impl Client {
    /// Connects to `registry` for `repository` with the credentials `found` (if any): the
    /// ping that learns the scheme and the challenge, over the schemes `schemes` allows,
    /// in its order, with `first` sent beside it ([`Client::ping_beside`]).
    pub fn connect(
        registry: &str,
        api_host: &str,
        repository: &str,
        schemes: Schemes,
        connect: &Connect,
        found: Found,
        first: Option<First<'_>>,
    ) -> Result<Client, RequestError> {
        let Found {
            credentials,
            origin: credential_origin,
        } = found;
        let timeout = Duration::from_secs(connect.timeout_secs.max(1));
        let agent = ureq::AgentBuilder::new()
            .tls_connector(Arc::new(LazyTls::new(connect)?))
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .max_idle_connections_per_host(IDLE_CONNECTIONS)
            .user_agent(concat!("deadweight/", env!("CARGO_PKG_VERSION")))
            .build();
        let https = format!("https://{api_host}");
        let plain = format!("http://{api_host}");
        let mut client = Client {
            agent,
            base: https.clone(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            credentials,
            credential_origin,
            challenge: None,
            token: Mutex::new(None),
            early: Mutex::new(None),
            traffic: Arc::new(Traffic::default()),
        };
        let cert_hint = |e: &Ping| {
            if matches!(e, Ping::Transport(t) if t.contains("certificate")) {
                "; for a registry whose certificate a private CA signed, pass --cert-dir DIR (or --tls-verify=false)"
            } else {
                ""
            }
        };
        // Neither HTTPS (`https`) nor plain HTTP (`plain`) answered.
        let neither = |https: &Ping, plain: &Ping| RequestError::NeitherScheme {
            registry: registry.to_string(),
            https: https.describe(),
            plain: plain.describe(),
            hint: cert_hint(https),
        };
        let pinged = match schemes {
            Schemes::HttpsOnly => client.ping_beside(first).map_err(|p| {
                let hint = if matches!(p, Ping::Transport(_)) {
                    " (a registry without TLS needs --tls-verify=false; a private CA, --cert-dir DIR)"
                } else {
                    ""
                };
                RequestError::NoAnswer {
                    registry: registry.to_string(),
                    why: p.describe(),
                    hint,
                }
            })?,
            Schemes::HttpsThenPlain => match client.ping_beside(first) {
                Ok(c) => c,
                Err(e @ Ping::Transport(_)) => {
                    client.base = plain;
                    client.ping().map_err(|p| neither(&e, &p))?
                }
                Err(p) => {
                    return Err(RequestError::NoAnswer {
                        registry: registry.to_string(),
                        why: p.describe(),
                        hint: "",
                    });
                }
            },
            Schemes::PlainThenHttps => {
                client.base = plain;
                match client.ping_beside(first) {
                    Ok(c) => c,
                    // A TLS registry answers plain HTTP with 400 or a closed connection.
                    Err(p) => {
                        client.base = https;
                        client.ping().map_err(|e| neither(&e, &p))?
                    }
                }
            }
        };
        client.challenge = pinged;
        Ok(client)
    }

    /// [`Client::ping`], with `first` sent at the same time on a connection of its own,
    /// once, without credentials. Its answer is kept only if it succeeded and the ping
    /// found no challenge (a registry that wants credentials answers it 401, and it is
    /// asked again with them).
    ///
    /// Why: a read waited for the ping's answer before it asked for the manifest, one
    /// round trip more before any layer. Through a proxy that holds each request 20 ms
    /// (`benches/slow_proxy.py`), the README sample read took 105.6 ms, of which 20 ms
    /// were that wait.
    fn ping_beside(&mut self, first: Option<First<'_>>) -> Result<Option<Challenge>, Ping> {
        let Some(first) = first else {
            return self.ping();
        };
        let (pinged, early) = std::thread::scope(|scope| {
            // No thread to be had: the ping alone, and `first` asked for after it.
            let early = std::thread::Builder::new()
                .name("first request".to_string())
                .spawn_scoped(scope, || self.try_once(first))
                .ok();
            let pinged = self.ping();
            (pinged, early.and_then(|e| e.join().ok()).flatten())
        });
        if let (Ok(None), Some(response)) = (&pinged, early) {
            self.early = Mutex::new(Some(Early {
                path: first.path.to_string(),
                response,
            }));
        }
        pinged
    }

    /// `first`, asked for once without credentials: its response if it succeeded.
    fn try_once(&self, first: First<'_>) -> Option<ureq::Response> {
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        self.agent
            .get(&self.url(first.path))
            .set("Accept", &first.accept.join(", "))
            .call()
            .ok()
    }

    /// `<base>/v2/<repository>/<path>`.
    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.repository)
    }

    /// The answer to the request sent beside the ping, if it was for `path`.
    fn take_early(&self, path: &str) -> Option<ureq::Response> {
        let mut early = self.early.lock().ok()?;
        if early.as_ref().is_some_and(|e| e.path == path) {
            return early.take().map(|e| e.response);
        }
        None
    }

    /// `GET /v2/`: `Ok(challenge)` when the registry answers 200 or 401.
    fn ping(&self) -> Result<Option<Challenge>, Ping> {
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        match self.agent.get(&format!("{}/v2/", self.base)).call() {
            Ok(_) => Ok(None),
            Err(ureq::Error::Status(401, r)) => {
                Ok(r.header("www-authenticate").and_then(parse_challenge))
            }
            Err(ureq::Error::Status(code, r)) => {
                Err(Ping::Status(code, r.status_text().to_string()))
            }
            Err(ureq::Error::Transport(t)) => Err(Ping::Transport(t.to_string())),
        }
    }

    /// The `Authorization` header for the next request, fetching a token if needed.
    fn authorization(&self, renew: bool) -> Result<Option<String>, RequestError> {
        match &self.challenge {
            None => Ok(None),
            Some(Challenge::Basic) => match &self.credentials {
                Some(c) => Ok(Some(c.basic_header())),
                None => Err(RequestError::NoCredentials {
                    registry: self.registry.clone(),
                    origin: self.credential_origin.clone(),
                }),
            },
            Some(Challenge::Bearer { realm, service, .. }) => {
                let mut token = self
                    .token
                    .lock()
                    .map_err(|_| RequestError::Internal("token lock poisoned"))?;
                if renew || token.is_none() {
                    *token = Some(self.fetch_token(realm, service.as_deref())?);
                }
                Ok(token.as_ref().map(|t| format!("Bearer {t}")))
            }
        }
    }

    /// The token flow of the distribution spec: `GET realm?service=..&scope=..`.
    fn fetch_token(&self, realm: &str, service: Option<&str>) -> Result<String, RequestError> {
        let scope = format!("repository:{}:pull", self.repository);
        let mut req = self.agent.get(realm).query("scope", &scope);
        if let Some(s) = service {
            req = req.query("service", s);
        }
        if let Some(c) = &self.credentials {
            req = req.set("Authorization", &c.basic_header());
        }
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code @ (401 | 403), _)) => {
                return Err(if self.credentials.is_some() {
                    RequestError::TokenRefused {
                        registry: self.registry.clone(),
                        origin: self.credential_origin.clone(),
                        code,
                    }
                } else {
                    RequestError::TokenWantsCredentials {
                        registry: self.registry.clone(),
                        repository: self.repository.clone(),
                        code,
                        origin: self.credential_origin.clone(),
                    }
                });
            }
            Err(ureq::Error::Status(code, r)) => {
                return Err(RequestError::TokenStatus {
                    registry: self.registry.clone(),
                    code,
                    text: r.status_text().to_string(),
                });
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(RequestError::TokenTransport {
                    registry: self.registry.clone(),
                    error: t.to_string(),
                });
            }
        };
        let mut body = Vec::new();
        resp.into_reader()
            .take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|error| RequestError::TokenRead {
                registry: self.registry.clone(),
                error,
            })?;
        self.traffic
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| RequestError::TokenNotJson {
                registry: self.registry.clone(),
            })?;
        value
            .get("token")
            .or_else(|| value.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| RequestError::TokenMissing {
                registry: self.registry.clone(),
            })
    }

    /// `GET /v2/<repo>/<path>` with retries, auth renewal and an optional range start.
    /// `what` names the object in messages ("manifest main", "layer 3 (sha256:..)").
    pub fn get(
        &self,
        path: &str,
        accept: &[&str],
        from: u64,
        what: &str,
    ) -> Result<ureq::Response, RequestError> {
        let url = self.url(path);
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.agent.get(&url);
            if !accept.is_empty() {
                req = req.set("Accept", &accept.join(", "));
            }
            if from > 0 {
                req = req.set("Range", &format!("bytes={from}-"));
            }
            if let Some(auth) = self.authorization(false)? {
                req = req.set("Authorization", &auth);
            }
            self.traffic.requests.fetch_add(1, Ordering::Relaxed);
            let transient = match req.call() {
                Ok(r) => return Ok(r),
                Err(ureq::Error::Status(401, _)) if !renewed && self.challenge.is_some() => {
                    // An expired token: one more, once.
                    renewed = true;
                    self.authorization(true)?;
                    continue;
                }
                Err(ureq::Error::Status(code, r)) if code == 429 || code >= 500 => {
                    let wait = r
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(10)));
                    (format!("HTTP {code} {}", r.status_text()), wait)
                }
                Err(ureq::Error::Status(code, r)) => {
                    return Err(self.refused(code, r, what));
                }
                Err(ureq::Error::Transport(t)) => (t.to_string(), None),
            };
            if attempt >= ATTEMPTS {
                return Err(RequestError::RetriesExhausted {
                    registry: self.registry.clone(),
                    repository: self.repository.clone(),
                    what: what.to_string(),
                    last: transient.0,
                    tries: ATTEMPTS,
                });
            }
            std::thread::sleep(transient.1.unwrap_or_else(|| backoff(attempt)));
        }
    }

    /// One line for a 4xx answer: what the registry said and what to do.
    fn refused(&self, code: u16, r: ureq::Response, what: &str) -> RequestError {
        let mut body = Vec::new();
        let _ = r.into_reader().take(64 * 1024).read_to_end(&mut body);
        let said = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let first = v.get("errors")?.get(0)?.clone();
                let code = first.get("code")?.as_str()?.to_string();
                let msg = first
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .to_string();
                Some(if msg.is_empty() {
                    code
                } else {
                    format!("{code}: {msg}")
                })
            });
        let said = said.map(|s| format!(" ({s})")).unwrap_or_default();
        let todo = match code {
            401 if self.credentials.is_some() => Refusal::CredentialsRefused {
                origin: self.credential_origin.clone(),
            },
            401 => Refusal::NoCredentials {
                origin: self.credential_origin.clone(),
            },
            403 => Refusal::Forbidden,
            404 => Refusal::NotFound,
            _ => Refusal::Other,
        };
        RequestError::Refused {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            what: what.to_string(),
            code,
            said: said.into(),
            todo,
        }
    }

    /// Reads a small object (a manifest, a config) whole, up to `limit` bytes.
    pub fn get_small(
        &self,
        path: &str,
        accept: &[&str],
        limit: u64,
        what: &str,
    ) -> Result<(Vec<u8>, Option<String>), RequestError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = match self.take_early(path) {
                Some(early) => early,
                None => self.get(path, accept, 0, what)?,
            };
            let content_type = resp.header("content-type").map(str::to_string);
            if let Some(len) = resp
                .header("content-length")
                .and_then(|l| l.parse::<u64>().ok())
                && len > limit
            {
                return Err(RequestError::TooLarge {
                    registry: self.registry.clone(),
                    repository: self.repository.clone(),
                    what: what.to_string(),
                    len,
                    limit,
                });
            }
            let mut body = Vec::new();
            match resp.into_reader().take(limit + 1).read_to_end(&mut body) {
                Ok(_) => {
                    self.traffic
                        .bytes
                        .fetch_add(body.len() as u64, Ordering::Relaxed);
                    if body.len() as u64 > limit {
                        return Err(RequestError::OverLimit {
                            registry: self.registry.clone(),
                            repository: self.repository.clone(),
                            what: what.to_string(),
                            limit,
                        });
                    }
                    return Ok((body, content_type));
                }
                Err(e) if attempt < ATTEMPTS => {
                    let _ = e;
                    std::thread::sleep(backoff(attempt));
                }
                Err(error) => {
                    return Err(RequestError::BodyBroke {
                        registry: self.registry.clone(),
                        repository: self.repository.clone(),
                        what: what.to_string(),
                        error,
                        tries: ATTEMPTS,
                    });
                }
            }
        }
    }
}

/// How a ping failed.
enum Ping {
    Status(u16, String),
    Transport(String),
}

impl Ping {
    fn describe(&self) -> String {
        match self {
            Ping::Status(code, text) => format!("HTTP {code} {text} at /v2/"),
            Ping::Transport(t) => t.clone(),
        }
    }
}

/// Where the answer to a blob request sent ahead of its read arrives (`ahead.rs`; a
/// trait, so that this file, which `ahead.rs` builds on, does not import it back).
pub(super) trait AskedAhead: Send {
    /// The answer, once the blob's reader starts; `None` if the request was never sent:
    /// the reader then sends it itself.
    fn answer(self: Box<Self>) -> Option<Result<ureq::Response, RequestError>>;
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.min(6))
}

/// A blob as it streams: counted, hashed, resumed after a broken connection, and checked
/// against its descriptor's size and digest when the last byte arrives.
pub struct BlobReader {
    client: Arc<Client>,
    digest: String,
    size: u64,
    what: String,
    body: Option<Box<dyn Read + Send + Sync>>,
    /// Where the answer to a request sent ahead arrives, until the first read.
    asked: Option<Box<dyn AskedAhead>>,
    /// Bytes delivered so far.
    offset: u64,
    /// Bytes the current body must skip first (a registry that ignored our range).
    skip: u64,
    hasher: Sha256,
    resumes: u32,
    done: bool,
    /// The size or digest failure, once found: the cause to report.
    failure: Option<String>,
}

impl BlobReader {
    /// A reader of blob `digest` of `size` bytes; nothing is requested until the first
    /// read.
    pub fn new(client: Arc<Client>, digest: &str, size: u64, what: String) -> BlobReader {
        BlobReader {
            client,
            digest: digest.to_string(),
            size,
            what,
            body: None,
            asked: None,
            offset: 0,
            skip: 0,
            hasher: Sha256::new(),
            resumes: 0,
            done: false,
            failure: None,
        }
    }

    /// The client, path and name in messages of this blob's request, for
    /// [`super::ahead::Requests`] to send it ahead.
    pub(super) fn request(&self) -> (Arc<Client>, String, String) {
        (Arc::clone(&self.client), self.path(), self.what.clone())
    }

    /// `blobs/sha256:...`, the blob's path in its repository.
    fn path(&self) -> String {
        format!("blobs/{}", self.digest)
    }

    /// The blob's size in its descriptor.
    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// Takes the answer to this blob's request from `asked` instead of asking on the
    /// first read (a resumed read asks itself).
    pub(super) fn answer_from(&mut self, asked: Box<dyn AskedAhead>) {
        self.asked = Some(asked);
    }

    fn open(&mut self) -> io::Result<()> {
        let started = std::time::Instant::now();
        let asked = match self.asked.take() {
            Some(asked) if self.offset == 0 => asked.answer(),
            _ => None,
        };
        let answer = match asked {
            Some(answer) => answer,
            None => self.client.get(&self.path(), &[], self.offset, &self.what),
        };
        if self.offset == 0 {
            let traffic = &self.client.traffic;
            let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            traffic.blob_answers.fetch_add(1, Ordering::Relaxed);
            traffic
                .blob_answer_wait_ns
                .fetch_add(waited, Ordering::Relaxed);
        }
        let resp = answer.map_err(io::Error::other)?;
        // 206: the range we asked for; 200: the whole blob again.
        self.skip = if resp.status() == 206 { 0 } else { self.offset };
        self.body = Some(resp.into_reader());
        Ok(())
    }

    fn fail(&mut self, problem: String) -> io::Error {
        let message = format!(
            "registry {}, repository {}: {}: {problem}",
            self.client.registry, self.client.repository, self.what
        );
        self.failure = Some(message.clone());
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    /// After the last byte: the digest check.
    fn finish(&mut self) -> io::Result<()> {
        self.done = true;
        let got = format!(
            "sha256:{}",
            crate::source::digest::hex(&std::mem::take(&mut self.hasher).finalize())
        );
        if got != self.digest {
            return Err(self.fail(format!(
                "the registry sent bytes whose SHA-256 is {got}, not the descriptor's {}; the blob is corrupt in the registry or was altered on the way",
                self.digest
            )));
        }
        Ok(())
    }

    /// Reads what is left (after the consumer stopped early, on an error of its own) and
    /// says whether the blob failed its size or digest check: that is the cause to report.
    pub fn verify_rest(&mut self) -> Option<String> {
        let mut sink = vec![0u8; 64 * 1024];
        while self.failure.is_none() {
            match self.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        self.failure.clone()
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.body.is_none() {
                self.open()?;
            }
            let Some(body) = self.body.as_mut() else {
                continue;
            };
            let want = buf
                .len()
                .min(usize::try_from(self.size - self.offset + 1).unwrap_or(usize::MAX))
                .max(1);
            let read = body.read(buf.get_mut(..want).unwrap_or_default());
            match read {
                Ok(0) if self.offset == self.size && self.skip == 0 => {
                    self.finish()?;
                    return Ok(0);
                }
                Ok(0) => {
                    // The body ended early: a broken connection, resumed below.
                    self.retry(format!(
                        "the connection closed after {} of {} bytes",
                        self.offset, self.size
                    ))?;
                }
                Ok(n) => {
                    self.client
                        .traffic
                        .bytes
                        .fetch_add(n as u64, Ordering::Relaxed);
                    let mut n = n;
                    if self.skip > 0 {
                        let s = usize::try_from(self.skip).unwrap_or(usize::MAX).min(n);
                        self.skip -= s as u64;
                        if s == n {
                            continue;
                        }
                        buf.copy_within(s..n, 0);
                        n -= s;
                    }
                    if self.offset + n as u64 > self.size {
                        return Err(self.fail(format!(
                            "the registry sent more than the descriptor's {} bytes",
                            self.size
                        )));
                    }
                    self.hasher.update(buf.get(..n).unwrap_or_default());
                    self.offset += n as u64;
                    if self.offset == self.size {
                        // Check now, so the consumer never takes bad bytes as the end.
                        self.finish()?;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.retry(e.to_string())?,
            }
        }
    }
}

impl BlobReader {
    fn retry(&mut self, why: String) -> io::Result<()> {
        self.body = None;
        self.resumes += 1;
        if self.resumes >= ATTEMPTS {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "registry {}, repository {}: {}: {why} (after {ATTEMPTS} tries)",
                    self.client.registry, self.client.repository, self.what
                ),
            ));
        }
        std::thread::sleep(backoff(self.resumes));
        Ok(())
    }
}

/// Loads the certificates of `--cert-dir` early, so a bad folder fails before any
/// request (and the tests can check the message).
pub fn check_cert_dir(dir: &Path) -> Result<(), RequestError> {
    LazyTls::new(&Connect {
        tls_verify: true,
        cert_dir: Some(dir.to_path_buf()),
        timeout_secs: 1,
    })
    .map(|_| ())
}
