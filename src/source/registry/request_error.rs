//! Why a request to a registry failed ([`RequestError`]): one line that names the
//! registry (and the repository and object, once there are some) and says what to do.
//! The words are pinned by the registry tests; a variant's fields are what the line
//! needs, never a credential or a token.

use std::path::PathBuf;

/// Why connecting to a registry, or a request to it, failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The `--cert-dir` folder cannot be listed.
    #[error("--cert-dir {}: {error}", dir.display())]
    CertDir {
        /// The folder.
        dir: PathBuf,
        /// Why (in the message; not a source to print again).
        error: std::io::Error,
    },
    /// A `*.crt` file of `--cert-dir` cannot be read.
    #[error("--cert-dir: {}: {error}", path.display())]
    CertRead {
        /// The file.
        path: PathBuf,
        /// Why (in the message; not a source to print again).
        error: std::io::Error,
    },
    /// A `*.crt` file of `--cert-dir` that is not a PEM certificate.
    #[error("--cert-dir: {}: not a PEM certificate: {error}", path.display())]
    CertNotPem {
        /// The file.
        path: PathBuf,
        /// native-tls's complaint (in the message; not a source to print again).
        error: native_tls::Error,
    },
    /// The ping (`GET /v2/`) failed over the one scheme tried, or HTTPS answered with an
    /// HTTP error (so plain HTTP was not tried).
    #[error("registry {registry} does not answer: {why}{hint}")]
    NoAnswer {
        /// `host[:port]`.
        registry: String,
        /// `HTTP CODE TEXT at /v2/`, or the transport's error.
        why: String,
        /// What to do, with its leading space, or nothing.
        hint: &'static str,
    },
    /// The ping failed over HTTPS and over plain HTTP.
    #[error(
        "registry {registry} does not answer over HTTPS ({https}) nor plain HTTP ({plain}){hint}"
    )]
    NeitherScheme {
        /// `host[:port]`.
        registry: String,
        /// How the HTTPS ping failed.
        https: String,
        /// How the plain HTTP ping failed.
        plain: String,
        /// What to do, with its leading `; `, or nothing.
        hint: &'static str,
    },
    /// The registry asks for Basic credentials and there are none.
    #[error(
        "registry {registry} asks for a user name and password, and there are none for it ({origin}); pass --creds USER:PASS or --authfile FILE"
    )]
    NoCredentials {
        /// `host[:port]`.
        registry: String,
        /// Where credentials were looked for.
        origin: String,
    },
    /// The token service refused the credentials given.
    #[error(
        "registry {registry}: the token service refused the credentials from {origin} (HTTP {code}); check the user name and password"
    )]
    TokenRefused {
        /// `host[:port]`.
        registry: String,
        /// Where the credentials came from.
        origin: String,
        /// 401 or 403.
        code: u16,
    },
    /// The token service wants credentials and there are none.
    #[error(
        "registry {registry}: the token service wants credentials for {repository} (HTTP {code}), and there are none ({origin}); pass --creds USER:PASS or --authfile FILE"
    )]
    TokenWantsCredentials {
        /// `host[:port]`.
        registry: String,
        /// The repository the token was for.
        repository: String,
        /// 401 or 403.
        code: u16,
        /// Where credentials were looked for.
        origin: String,
    },
    /// The token service answered another HTTP error.
    #[error("registry {registry}: the token service answered HTTP {code} {text}")]
    TokenStatus {
        /// `host[:port]`.
        registry: String,
        /// The status code.
        code: u16,
        /// The status text.
        text: String,
    },
    /// The token service could not be reached.
    #[error("registry {registry}: the token service does not answer: {error}")]
    TokenTransport {
        /// `host[:port]`.
        registry: String,
        /// The transport's error, in words.
        error: String,
    },
    /// The token service's answer broke off.
    #[error("registry {registry}: reading the token: {error}")]
    TokenRead {
        /// `host[:port]`.
        registry: String,
        /// Why (in the message; not a source to print again).
        error: std::io::Error,
    },
    /// The token service's answer is not JSON.
    #[error("registry {registry}: the token service's answer is not JSON")]
    TokenNotJson {
        /// `host[:port]`.
        registry: String,
    },
    /// The token service's answer has neither `token` nor `access_token`.
    #[error("registry {registry}: the token service's answer holds no token")]
    TokenMissing {
        /// `host[:port]`.
        registry: String,
    },
    /// A request answered 429, 5xx or broke off on every try.
    #[error("registry {registry}, repository {repository}: {what}: {last} (after {tries} tries)")]
    RetriesExhausted {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The object asked for (`manifest main`, `layer 3 (sha256:..)`).
        what: String,
        /// How the last try failed: `HTTP CODE TEXT` or the transport's error.
        last: String,
        /// How many tries.
        tries: u32,
    },
    /// A 4xx answer other than an expired token's.
    #[error("registry {registry}, repository {repository}: {what}: HTTP {code}{said}: {todo}")]
    Refused {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The object asked for.
        what: String,
        /// The status code.
        code: u16,
        /// The registry's first error (` (CODE: MESSAGE)`), or nothing. A `Box<str>`
        /// keeps the error under clippy's `result_large_err` size (128 bytes).
        said: Box<str>,
        /// What to do.
        todo: Refusal,
    },
    /// A small object whose `Content-Length` is over `--max-json-bytes`.
    #[error(
        "registry {registry}, repository {repository}: {what} is {len} bytes, more than the limit of {limit} (--max-json-bytes)"
    )]
    TooLarge {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The object asked for.
        what: String,
        /// Its announced size.
        len: u64,
        /// `--max-json-bytes`.
        limit: u64,
    },
    /// A small object whose body ran over `--max-json-bytes` (no or a false length).
    #[error(
        "registry {registry}, repository {repository}: {what} is more than the limit of {limit} bytes (--max-json-bytes)"
    )]
    OverLimit {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The object asked for.
        what: String,
        /// `--max-json-bytes`.
        limit: u64,
    },
    /// A small object's body broke off on every try.
    #[error(
        "registry {registry}, repository {repository}: {what}: the connection broke: {error} (after {tries} tries)"
    )]
    BodyBroke {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The object asked for.
        what: String,
        /// The last try's error (in the message; not a source to print again).
        error: std::io::Error,
        /// How many tries.
        tries: u32,
    },
    /// A bug in deadweight, not the registry's doing.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// What to do about a 4xx answer ([`RequestError::Refused`]).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// 401 with credentials.
    #[error("the registry refused the credentials from {origin}; check the user name and password")]
    CredentialsRefused {
        /// Where the credentials came from.
        origin: String,
    },
    /// 401 without credentials.
    #[error(
        "the registry wants credentials, and there are none ({origin}); pass --creds USER:PASS or --authfile FILE"
    )]
    NoCredentials {
        /// Where credentials were looked for.
        origin: String,
    },
    /// 403.
    #[error("the credentials may not pull this repository")]
    Forbidden,
    /// 404.
    #[error(
        "no such tag, digest or repository; check the name (`skopeo list-tags docker://...` lists tags)"
    )]
    NotFound,
    /// Any other 4xx.
    #[error("the registry refused the request")]
    Other,
}
