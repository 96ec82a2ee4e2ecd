//! Real servers for the source tests, started by the tests: Debian's `docker-registry`
//! (the CNCF distribution registry), a token issuer, a proxy that breaks connections, and
//! `podman system service`. Each listens on 127.0.0.1 with a free port or on a socket in a
//! temporary folder, and is killed by its PID when its guard drops, also when a test fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The program `name` on PATH. Missing: the test fails under
/// `DEADWEIGHT_REQUIRE_FIXTURES=1` (as CI sets), else it is skipped with a note.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("DEADWEIGHT_REQUIRE_FIXTURES").as_deref() != Ok("1"),
            "{name} is not installed and DEADWEIGHT_REQUIRE_FIXTURES=1 (apt-get install docker-registry skopeo podman openssl umoci)"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// All of `names`, or `None` (see [`tool`]).
pub fn tools(names: &[&str]) -> Option<()> {
    let mut ok = true;
    for n in names {
        ok &= tool(n).is_some();
    }
    ok.then_some(())
}

/// A child process killed (by PID) and reaped when dropped.
pub struct Guard {
    child: Child,
    what: String,
}

impl Guard {
    /// Starts `cmd` with its output into `log`.
    pub fn spawn(mut cmd: Command, log: &Path, what: &str) -> Guard {
        let out = std::fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Guard {
            child,
            what: what.to_string(),
        }
    }

    /// Fails the test with the server's log when it has died.
    pub fn assert_alive(&mut self, log: &Path) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}): {}",
                self.what,
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections at `addr`.
pub fn wait_for_port(addr: &str, guard: &mut Guard, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        guard.assert_alive(log);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing listens at {addr}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How a test registry authenticates.
pub enum Auth {
    /// Anyone may pull and push, over plain HTTP.
    None,
    /// htpasswd basic auth over TLS with a certificate the test made.
    Htpasswd {
        /// user
        user: String,
        /// password
        password: String,
    },
    /// The token flow, with [`TokenIssuer`] as the realm, over plain HTTP.
    Token {
        /// user
        user: String,
        /// password
        password: String,
    },
}

/// A running `docker-registry` with its storage in a temporary folder.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Holds config, storage, certificates and logs.
    pub dir: tempfile::TempDir,
    /// The folder with the CA certificate (`ca.crt`), for TLS registries.
    pub cert_dir: Option<PathBuf>,
    /// user:password for the pushes, if the registry wants them.
    pub creds: Option<String>,
    _issuer: Option<TokenIssuer>,
    _guard: Guard,
}

impl Registry {
    /// Starts a registry, or `None` when the tools are missing (see [`tool`]).
    pub fn start(auth: Auth) -> Option<Registry> {
        tools(&["docker-registry", "skopeo", "openssl"])?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let storage = dir.path().join("storage");
        let mut extra = String::new();
        let mut cert_dir = None;
        let mut creds = None;
        let mut issuer = None;
        match &auth {
            Auth::None => {}
            Auth::Htpasswd { user, password } => {
                let certs = dir.path().join("certs");
                std::fs::create_dir(&certs).unwrap();
                self_signed(&certs, "ca.crt", "key.pem", Some("IP:127.0.0.1"));
                let hash = bcrypt::hash(password, 4).unwrap();
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
                extra = format!(
                    "  tls:\n    certificate: {c}/ca.crt\n    key: {c}/key.pem\nauth:\n  htpasswd:\n    realm: test\n    path: {h}\n",
                    c = certs.display(),
                    h = htpasswd.display()
                );
                cert_dir = Some(certs);
                creds = Some(format!("{user}:{password}"));
            }
            Auth::Token { user, password } => {
                let t = TokenIssuer::start(dir.path(), user, password);
                extra = format!(
                    "auth:\n  token:\n    realm: http://{}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: {}\n",
                    t.addr,
                    t.cert.display()
                );
                issuer = Some(t);
                creds = Some(format!("{user}:{password}"));
            }
        }
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n{extra}",
                storage.display()
            ),
        )
        .unwrap();
        let log = dir.path().join("registry.log");
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve").arg(&config);
        let mut guard = Guard::spawn(cmd, &log, "docker-registry");
        wait_for_port(&host, &mut guard, &log);
        Some(Registry {
            host,
            dir,
            cert_dir,
            creds,
            _issuer: issuer,
            _guard: guard,
        })
    }

    /// The start of a test that pushes fixtures: a registry with `auth`, and the `formats`
    /// fixtures folder. `None` (the test is skipped) where either is missing.
    pub fn with_formats(auth: Auth) -> Option<(Registry, PathBuf)> {
        let formats = crate::common::fixtures("formats")?;
        Some((Registry::start(auth)?, formats))
    }

    /// Pushes the OCI archive `archive` as `dest`: [`Registry::push`] of `oci-archive:ARCHIVE`.
    pub fn push_oci_archive(&self, archive: &Path, dest: &str, extra: &[&str]) {
        self.push(&format!("oci-archive:{}", archive.display()), dest, extra);
    }

    /// `skopeo copy [extra] SRC docker://HOST/DEST`.
    pub fn push(&self, src: &str, dest: &str, extra: &[&str]) {
        let mut cmd = Command::new("skopeo");
        cmd.arg("copy").arg("--quiet");
        match &self.cert_dir {
            Some(d) => {
                cmd.arg("--dest-cert-dir").arg(d);
            }
            None => {
                cmd.arg("--dest-tls-verify=false");
            }
        }
        if let Some(c) = &self.creds {
            cmd.arg("--dest-creds").arg(c);
        }
        cmd.args(extra)
            .arg(src)
            .arg(format!("docker://{}/{dest}", self.host));
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "skopeo copy {src} -> {dest}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The file that holds blob `digest` in the registry's storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.path().join(format!(
            "storage/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    /// `docker://HOST/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("docker://{}/{name}", self.host)
    }
}

/// Makes a self-signed certificate and key in `dir`, for `san` (e.g. `IP:127.0.0.1`).
pub fn self_signed(dir: &Path, cert: &str, key: &str, san: Option<&str>) {
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=deadweight-test", "-keyout", key, "-out", cert]);
    if let Some(san) = san {
        cmd.arg("-addext").arg(format!("subjectAltName={san}"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token issuer as the distribution registry's token spec describes: `GET
/// /token?service=..&scope=repository:NAME:ACTIONS` with basic auth answers
/// `{"token": JWT}`, the JWT signed (RS256, by `openssl dgst`) with a key whose
/// certificate is in the registry's `rootcertbundle` and is sent in the `x5c` header.
pub struct TokenIssuer {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The certificate bundle for the registry.
    pub cert: PathBuf,
    /// Token requests served (kept for debugging a failing test).
    pub _served: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TokenIssuer {
    fn start(dir: &Path, user: &str, password: &str) -> TokenIssuer {
        self_signed(dir, "token.crt", "token.key", None);
        let der = Command::new("openssl")
            .current_dir(dir)
            .args(["x509", "-in", "token.crt", "-outform", "DER"])
            .output()
            .unwrap()
            .stdout;
        use base64::Engine as _;
        let x5c = base64::engine::general_purpose::STANDARD.encode(der);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let key = dir.join("token.key");
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let (stop2, served2) = (Arc::clone(&stop), Arc::clone(&served));
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        served2.fetch_add(1, Ordering::Relaxed);
                        let _ = answer_token(stream, &key, &x5c, &expected);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        TokenIssuer {
            addr,
            cert: dir.join("token.crt"),
            _served: served,
            stop,
        }
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn query_param(target: &str, name: &str) -> Vec<String> {
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| {
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
                    out.push(u8::from_str_radix(h, 16).unwrap_or(b'?'));
                    i += 3;
                } else {
                    out.push(if b[i] == b'+' { b' ' } else { b[i] });
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        })
        .collect()
}

fn answer_token(stream: TcpStream, key: &Path, x5c: &str, expected: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut authorized = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorized = v.trim() == expected;
        }
    }
    let mut out = stream;
    if !authorized {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#;
        write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return Ok(());
    }
    let access: Vec<serde_json::Value> = query_param(&target, "scope")
        .iter()
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({
                "type": kind, "name": name,
                "actions": actions.split(',').collect::<Vec<_>>(),
            }))
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": "test-issuer", "sub": "tester", "aud": "test-registry",
        "exp": now + 300, "nbf": now - 10, "iat": now - 10,
        "jti": format!("{now}-{}", std::process::id()), "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())?;
    let sig = child.wait_with_output()?.stdout;
    let token = format!("{signing_input}.{}", b64url(&sig));
    let body =
        serde_json::json!({"token": token, "access_token": token, "expires_in": 300}).to_string();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

/// What the [`Proxy`] does to the traffic it relays.
#[derive(Clone)]
pub enum Fault {
    /// The response to the Nth blob request (1-based; the config is the first) is cut
    /// this many bytes into its body.
    CutBlob(usize, usize),
    /// The first response with the blob of this digest is cut this many bytes into its
    /// body (whatever order blobs are asked for in, as by layer workers); `fired` counts
    /// every request for that blob.
    CutDigest(String, usize),
    /// The first manifest request is answered 503.
    Unavailable,
    /// Nothing: relays every request as it is (and records it, as every fault does).
    Count,
    /// Every blob request after the first (the config's, or a layer's sent at the same
    /// time) is held back until this many blob requests have arrived, 20 s at most;
    /// `fired` counts those let through in time. A client that asks for a blob only once
    /// a reader starts on it has at most one request per reader waiting, and never gets
    /// there.
    HoldLayers(usize),
    /// The requests whose line holds `held` are held back until one whose line holds
    /// `until` (and not `held`) has arrived, 20 s at most; `fired` counts those let
    /// through in time.
    Hold {
        /// Part of the request line held back (`GET /v2/ `, `/blobs/sha256:...`).
        held: String,
        /// Part of the request line that lets it through.
        until: String,
    },
}

/// A TCP proxy in front of a registry that breaks things once.
pub struct Proxy {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Times the fault was applied.
    pub fired: Arc<AtomicUsize>,
    /// The request line of every request relayed (`GET /v2/app/blobs/sha256:... HTTP/1.1`).
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Relays to `upstream`, with `fault` applied once.
    pub fn start(upstream: &str, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicUsize::new(0));
        let blobs = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop2, fired2, requests2) =
            (Arc::clone(&stop), Arc::clone(&fired), Arc::clone(&requests));
        let upstream = upstream.to_string();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let (up, fired, blobs, seen) = (
                            upstream.clone(),
                            Arc::clone(&fired2),
                            Arc::clone(&blobs),
                            Arc::clone(&requests2),
                        );
                        let fault = fault.clone();
                        std::thread::spawn(move || {
                            relay(client, &up, fault, &fired, &blobs, &seen)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy {
            addr,
            fired,
            requests,
            stop,
        }
    }

    /// The digests of the blobs fetched so far (`GET .../blobs/DIGEST`), one per request.
    pub fn blob_gets(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("GET "))
            .filter_map(|l| l.split("/blobs/").nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Relays one connection request by request (a client keeps it alive and sends one
/// request at a time), reading each request's head to decide whether to break it.
fn relay(
    client: TcpStream,
    upstream: &str,
    fault: Fault,
    fired: &AtomicUsize,
    blobs: &AtomicUsize,
    seen: &Mutex<Vec<String>>,
) {
    // A TLS hello (a client trying HTTPS first) is refused as a plain HTTP server would.
    let mut first = [0u8; 1];
    if client.peek(&mut first).is_err() || first[0] == 0x16 {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let mut to_server = server.try_clone().unwrap();
    let mut from_server = server;
    let mut to_client = client.try_clone().unwrap();
    let mut from_client = BufReader::new(client);
    let sent = Arc::new(AtomicUsize::new(0));
    let cut = Arc::new(AtomicUsize::new(usize::MAX));
    let (sent2, cut2) = (Arc::clone(&sent), Arc::clone(&cut));
    let mut to_client2 = to_client.try_clone().unwrap();
    let pump = std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match from_server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let (s, c) = (sent2.load(Ordering::SeqCst), cut2.load(Ordering::SeqCst));
            if s + n >= c {
                let _ = to_client2.write_all(&buf[..c - s]);
                let _ = to_client2.shutdown(std::net::Shutdown::Both);
                break;
            }
            if to_client2.write_all(&buf[..n]).is_err() {
                break;
            }
            sent2.fetch_add(n, Ordering::SeqCst);
        }
    });
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            match from_client.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => {
                    let _ = to_server.shutdown(std::net::Shutdown::Both);
                    let _ = pump.join();
                    return;
                }
                Ok(_) => {}
            }
            let end = line == b"\r\n" || line == b"\n";
            head.extend_from_slice(&line);
            if end {
                break;
            }
        }
        let first = String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push(first.clone());
        match fault {
            Fault::Unavailable
                if first.contains("/manifests/") && fired.fetch_add(1, Ordering::SeqCst) == 0 =>
            {
                let _ = write!(
                    to_client,
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                );
                continue;
            }
            Fault::CutDigest(ref digest, after)
                if first.starts_with("GET ")
                    && first.contains(&format!("/blobs/{digest}"))
                    && fired.fetch_add(1, Ordering::SeqCst) == 0 =>
            {
                cut.store(sent.load(Ordering::SeqCst) + 600 + after, Ordering::SeqCst);
            }
            Fault::CutBlob(nth, after)
                if first.starts_with("GET ")
                    && first.contains("/blobs/sha256:")
                    && blobs.fetch_add(1, Ordering::SeqCst) + 1 == nth =>
            {
                fired.fetch_add(1, Ordering::SeqCst);
                // The response head is a few hundred bytes; cut `after` bytes past it.
                cut.store(sent.load(Ordering::SeqCst) + 600 + after, Ordering::SeqCst);
            }
            Fault::Hold { ref held, .. } if first.contains(held.as_str()) => {
                let start = Instant::now();
                while blobs.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(20)
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if blobs.load(Ordering::SeqCst) > 0 {
                    fired.fetch_add(1, Ordering::SeqCst);
                }
            }
            Fault::Hold { ref until, .. } if first.contains(until.as_str()) => {
                blobs.fetch_add(1, Ordering::SeqCst);
            }
            Fault::HoldLayers(wanted)
                if first.starts_with("GET ")
                    && first.contains("/blobs/sha256:")
                    && blobs.fetch_add(1, Ordering::SeqCst) > 0 =>
            {
                let start = Instant::now();
                while blobs.load(Ordering::SeqCst) < wanted
                    && start.elapsed() < Duration::from_secs(20)
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if blobs.load(Ordering::SeqCst) >= wanted {
                    fired.fetch_add(1, Ordering::SeqCst);
                }
            }
            _ => {}
        }
        if to_server.write_all(&head).is_err() {
            break;
        }
    }
    let _ = pump.join();
}

/// A running `podman system service` on a socket in a temporary folder, with its own
/// storage (vfs, which needs no kernel overlay support).
pub struct Podman {
    /// Storage, run root, socket and log.
    pub dir: tempfile::TempDir,
    /// The socket.
    pub socket: PathBuf,
    _guard: Guard,
}

impl Podman {
    /// Starts the service, or `None` when podman is missing (see [`tool`]).
    pub fn start() -> Option<Podman> {
        tool("podman")?;
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let log = dir.path().join("podman.log");
        let mut cmd = Self::podman_in(dir.path());
        cmd.args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()));
        let mut guard = Guard::spawn(cmd, &log, "podman system service");
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            guard.assert_alive(&log);
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "podman's socket did not appear: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Podman {
            dir,
            socket,
            _guard: guard,
        })
    }

    fn podman_in(dir: &Path) -> Command {
        let mut cmd = Command::new("podman");
        cmd.arg("--root")
            .arg(dir.join("root"))
            .arg("--runroot")
            .arg(dir.join("run"))
            .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"])
            .args(["--events-backend", "file"]);
        cmd
    }

    /// `podman load -i ARCHIVE` into this service's storage, tagged `tag`.
    pub fn load(&self, archive: &Path, tag: &str) {
        let out = Self::podman_in(self.dir.path())
            .arg("load")
            .arg("-q")
            .arg("-i")
            .arg(archive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman load {}: {}",
            archive.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let loaded = String::from_utf8_lossy(&out.stdout);
        let name = loaded
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Loaded image: ")
                    .or(l.strip_prefix("Loaded image(s): "))
            })
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let out = Self::podman_in(self.dir.path())
            .args(["tag", &name, tag])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman tag {name} {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `unix://SOCKET`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}
