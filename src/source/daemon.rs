//! Images in a Docker Engine API daemon (`docker-daemon:`, `podman:`), read as the
//! `docker save` stream of `GET /images/{name}/get`, straight into the archive reader:
//! no temporary file, no `docker save` first.
//!
//! The client is a small HTTP/1.1 client over a unix socket or TCP (two requests, one
//! response body to stream, chunked or not), rather than bollard: bollard is async (tokio
//! and hyper) and would hand the body back as a stream of `Bytes` to bridge into the
//! reader's `Read`; these two GETs need neither.
//!
//! Where the daemon is: `docker-daemon:` asks `DOCKER_HOST` (`unix://PATH` or
//! `tcp://HOST:PORT`), else `/var/run/docker.sock`; `podman:` asks `CONTAINER_HOST`, else
//! `$XDG_RUNTIME_DIR/podman/podman.sock`, else `/run/podman/podman.sock`. Podman's socket
//! speaks the same API, so either form works against either daemon.

use super::reference::Engine;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// Where a daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket.
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

/// A daemon address that is neither `unix://`, `tcp://`/`http://` nor a path (the
/// address as written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}: a daemon address deadweight cannot reach (use unix:///PATH or tcp://HOST:PORT; ssh:// and TLS to a daemon are not supported)"
)]
pub struct UnknownAddress(pub String);

impl Endpoint {
    /// Parses `unix:///path`, `tcp://host:port` (as `DOCKER_HOST` holds them) or a path.
    pub fn parse(s: &str) -> Result<Endpoint, UnknownAddress> {
        if let Some(p) = s.strip_prefix("unix://") {
            Ok(Endpoint::Unix(PathBuf::from(p)))
        } else if let Some(a) = s
            .strip_prefix("tcp://")
            .or_else(|| s.strip_prefix("http://"))
        {
            Ok(Endpoint::Tcp(a.trim_end_matches('/').to_string()))
        } else if s.starts_with('/') {
            Ok(Endpoint::Unix(PathBuf::from(s)))
        } else {
            Err(UnknownAddress(s.to_string()))
        }
    }
}

/// Why a daemon gave no image. Each names the socket (or the variable that named it) and,
/// where it helps, what to do; none holds more of the daemon's answer than its message.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// `DOCKER_HOST` or `CONTAINER_HOST` holds an address deadweight cannot reach.
    #[error("{variable}={address}")]
    Address {
        /// The variable.
        variable: &'static str,
        /// Its value, and why it is refused.
        address: UnknownAddress,
    },
    /// Connecting to the socket, or sending the request, failed.
    #[error("{}", unreachable(.endpoint, .error))]
    Unreachable {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// What failed.
        error: io::Error,
    },
    /// Reading the status line or the headers failed.
    #[error("{endpoint}: the daemon's answer broke off: {error}")]
    BrokeOff {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// What failed.
        error: io::Error,
    },
    /// The first line of the answer is not an HTTP status line.
    #[error("{endpoint}: not an HTTP daemon (it answered {line:?})")]
    NotHttp {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// The line it answered, trimmed.
        line: String,
    },
    /// The connection closed before the headers ended.
    #[error("{endpoint}: the daemon closed the connection in its headers")]
    ClosedInHeaders {
        /// The daemon's socket.
        endpoint: Endpoint,
    },
    /// The daemon answered neither 200 nor 404 when asked whether it has the image.
    #[error("{endpoint}: the daemon answered HTTP {code} when asked for image {name}: {message}")]
    Lookup {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// The HTTP status.
        code: u16,
        /// The image asked for.
        name: String,
        /// The daemon's message (or the start of its answer).
        message: String,
    },
    /// The daemon does not have the image.
    #[error(
        "{endpoint}: the daemon has no image {name} (`docker images` / `podman images` lists what it has)"
    )]
    NoSuchImage {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// The image asked for.
        name: String,
    },
    /// The daemon has the image but did not export it.
    #[error("{endpoint}: the daemon could not export image {name} (HTTP {code}): {message}")]
    Export {
        /// The daemon's socket.
        endpoint: Endpoint,
        /// The image asked for.
        name: String,
        /// The HTTP status.
        code: u16,
        /// The daemon's message (or the start of its answer).
        message: String,
    },
    /// No endpoint answered: what each said, in the order tried.
    #[error("{}", join(.0))]
    NoneAnswered(Vec<DaemonError>),
}

fn join(problems: &[DaemonError]) -> String {
    let words: Vec<String> = problems.iter().map(ToString::to_string).collect();
    words.join("; ")
}

/// The endpoints to try for `engine`, from the environment, first one first.
pub fn endpoints(engine: Engine) -> Result<Vec<Endpoint>, DaemonError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut out = Vec::new();
    let podman_sockets = |out: &mut Vec<Endpoint>| {
        if let Some(d) = env("XDG_RUNTIME_DIR") {
            out.push(Endpoint::Unix(PathBuf::from(d).join("podman/podman.sock")));
        }
        out.push(Endpoint::Unix(PathBuf::from("/run/podman/podman.sock")));
    };
    match engine {
        Engine::Docker => {
            if let Some(h) = env("DOCKER_HOST") {
                let address = |address| DaemonError::Address {
                    variable: "DOCKER_HOST",
                    address,
                };
                return Ok(vec![Endpoint::parse(&h).map_err(address)?]);
            }
            out.push(Endpoint::Unix(PathBuf::from("/var/run/docker.sock")));
        }
        Engine::Podman => {
            if let Some(h) = env("CONTAINER_HOST") {
                let address = |address| DaemonError::Address {
                    variable: "CONTAINER_HOST",
                    address,
                };
                return Ok(vec![Endpoint::parse(&h).map_err(address)?]);
            }
            podman_sockets(&mut out);
        }
    }
    Ok(out)
}

/// Every endpoint a bare IMAGE argument may be looked up in: Docker's, then Podman's.
pub fn all_endpoints() -> Vec<Endpoint> {
    let mut out = Vec::new();
    for engine in [Engine::Docker, Engine::Podman] {
        for e in endpoints(engine).unwrap_or_default() {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

fn connect(endpoint: &Endpoint) -> io::Result<Box<dyn Stream>> {
    match endpoint {
        Endpoint::Unix(p) => {
            let s = UnixStream::connect(p)?;
            s.set_read_timeout(Some(Duration::from_secs(300)))?;
            Ok(Box::new(s))
        }
        Endpoint::Tcp(a) => {
            let s = std::net::TcpStream::connect(a)?;
            s.set_read_timeout(Some(Duration::from_secs(300)))?;
            Ok(Box::new(s))
        }
    }
}

/// Why a daemon could not be asked, in one line naming its socket.
fn unreachable(endpoint: &Endpoint, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!(
            "no daemon at {endpoint} (no such socket); start one, or point DOCKER_HOST (CONTAINER_HOST for podman:) at it"
        ),
        io::ErrorKind::PermissionDenied => format!(
            "{endpoint}: permission denied on the socket; run as a user who may use it (the docker group) or use podman's rootless socket"
        ),
        io::ErrorKind::ConnectionRefused => {
            format!("{endpoint}: connection refused: the daemon is not running")
        }
        _ => format!("{endpoint}: cannot reach the daemon: {e}"),
    }
}

/// A response: status, and the body as a reader.
struct Response {
    status: u16,
    body: Box<dyn Read + Send>,
}

fn get(endpoint: &Endpoint, path: &str) -> Result<Response, DaemonError> {
    let unreachable = |error| DaemonError::Unreachable {
        endpoint: endpoint.clone(),
        error,
    };
    let mut stream = connect(endpoint).map_err(unreachable)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: deadweight/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let broken = |error| DaemonError::BrokeOff {
        endpoint: endpoint.clone(),
        error,
    };
    let mut line = String::new();
    reader.read_line(&mut line).map_err(broken)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| DaemonError::NotHttp {
            endpoint: endpoint.clone(),
            line: line.trim().to_string(),
        })?;
    let mut chunked = false;
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(broken)? == 0 {
            return Err(DaemonError::ClosedInHeaders {
                endpoint: endpoint.clone(),
            });
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if k.eq_ignore_ascii_case("content-length") {
                length = v.parse::<u64>().ok();
            }
        }
    }
    let body: Box<dyn Read + Send> = if chunked {
        Box::new(Chunked {
            inner: reader,
            left: 0,
            done: false,
        })
    } else if let Some(n) = length {
        Box::new(reader.take(n))
    } else {
        Box::new(reader)
    };
    Ok(Response { status, body })
}

/// An HTTP/1.1 chunked body.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF that ends the previous chunk.
                line.clear();
                self.inner.read_line(&mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            let size = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {:?} in the daemon's answer", line.trim()),
                )
            })?;
            if size == 0 {
                self.done = true;
                return Ok(0);
            }
            self.left = size;
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection inside a chunk",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Percent-encodes an image name for a URL path (`/` and `:` stay, as Docker's CLI sends
/// them).
fn encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The daemon's answer to `GET /images/{name}/json`: true when it has the image.
pub fn has_image(endpoint: &Endpoint, name: &str) -> Result<bool, DaemonError> {
    let mut r = get(endpoint, &format!("/images/{}/json", encode(name)))?;
    let mut sink = Vec::new();
    let _ = r.body.by_ref().take(1 << 20).read_to_end(&mut sink);
    match r.status {
        200 => Ok(true),
        404 => Ok(false),
        code => Err(DaemonError::Lookup {
            endpoint: endpoint.clone(),
            code,
            name: name.to_string(),
            message: daemon_message(&sink),
        }),
    }
}

fn daemon_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

/// An image's `docker save` stream from `endpoint`, else from the first endpoint of
/// `engine` that answers.
pub fn open(
    engine: Engine,
    name: &str,
    endpoint: Option<&Endpoint>,
) -> Result<(Endpoint, Box<dyn Read + Send>), DaemonError> {
    let candidates = match endpoint {
        Some(e) => vec![e.clone()],
        None => endpoints(engine)?,
    };
    let mut problems = Vec::new();
    for endpoint in &candidates {
        match has_image(endpoint, name) {
            Ok(true) => return save(endpoint, name).map(|r| (endpoint.clone(), r)),
            Ok(false) => {
                return Err(DaemonError::NoSuchImage {
                    endpoint: endpoint.clone(),
                    name: name.to_string(),
                });
            }
            Err(e) => problems.push(e),
        }
    }
    Err(DaemonError::NoneAnswered(problems))
}

/// `GET /images/{name}/get`: the image as a `docker save` tar, streamed.
pub fn save(endpoint: &Endpoint, name: &str) -> Result<Box<dyn Read + Send>, DaemonError> {
    let mut r = get(endpoint, &format!("/images/{}/get", encode(name)))?;
    if r.status != 200 {
        let mut body = Vec::new();
        let _ = r.body.by_ref().take(1 << 20).read_to_end(&mut body);
        return Err(DaemonError::Export {
            endpoint: endpoint.clone(),
            name: name.to_string(),
            code: r.status,
            message: daemon_message(&body),
        });
    }
    Ok(r.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode() {
        let wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
        let mut r = Chunked {
            inner: &wire[..],
            left: 0,
            done: false,
        };
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello world");
        let cut = b"5\r\nhel";
        let mut r = Chunked {
            inner: &cut[..],
            left: 0,
            done: false,
        };
        assert!(r.read_to_string(&mut String::new()).is_err());
    }

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            Endpoint::parse("unix:///run/x.sock"),
            Ok(Endpoint::Unix("/run/x.sock".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2375"),
            Ok(Endpoint::Tcp("127.0.0.1:2375".into()))
        );
        assert_eq!(
            Endpoint::parse("ssh://me@host").map_err(|e| e.to_string()),
            Err("ssh://me@host: a daemon address deadweight cannot reach (use unix:///PATH or tcp://HOST:PORT; ssh:// and TLS to a daemon are not supported)".to_string())
        );
        assert_eq!(encode("app:pr"), "app:pr");
        assert_eq!(encode("a b"), "a%20b");
    }

    #[test]
    fn a_missing_socket_is_named() {
        let e = has_image(&Endpoint::Unix("/nonexistent/dw.sock".into()), "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unix:///nonexistent/dw.sock"), "{e}");
        assert!(e.contains("no such socket"), "{e}");
    }
}
