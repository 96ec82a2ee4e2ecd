//! Why a registry image could not be opened ([`super::open`]): each message is one line
//! that starts with the image and says what is wrong or what to do; the CLI prints it
//! as it is and exits 2. (A layer blob's failures come later, while it streams: see
//! [`super::client::BlobReader`].)

use super::client;

/// Why a registry image could not be opened: one line that starts with the image
/// (`docker://REGISTRY/REPOSITORY[:TAG]`) and says what is wrong, or what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Looking up credentials, connecting or a request failed; the client's message
    /// names the registry and repository.
    #[error("{label}: {failure}")]
    Client {
        /// The image.
        label: String,
        /// The client's error (in the message; not a source to print again). Boxed: it
        /// is the largest variant's field, and clippy's `result_large_err` counts it.
        failure: Box<client::RequestError>,
    },
    /// Credentials could not be looked up (a bad auth file, a credential helper that
    /// failed).
    #[error("{label}: {error}")]
    Auth {
        /// The image.
        label: String,
        /// What the lookup said (in the message; not a source to print again).
        error: super::auth::AuthError,
    },
    /// A manifest, index or config that is not JSON.
    #[error("{label}: {what} is not JSON: {error}")]
    NotJson {
        /// The image.
        label: String,
        /// Which document.
        what: String,
        /// The parser's complaint (in the message; not a source to print again).
        error: serde_json::Error,
    },
    /// A manifest asked for by digest came back with other bytes.
    #[error("{label}: the registry sent a manifest whose SHA-256 is {got}, not {wanted}")]
    ManifestDigest {
        /// The image.
        label: String,
        /// What the bytes hash to.
        got: String,
        /// The digest asked for.
        wanted: String,
    },
    /// An index that points at an index, and so on, too deep.
    #[error("{label}: image indexes nested more than 4 deep")]
    NestedIndexes {
        /// The image.
        label: String,
    },
    /// A manifest or config whose bytes do not match the descriptor that names them.
    #[error(
        "{label}: {what}: the registry sent {bytes} bytes whose SHA-256 is {got}, not the {described} bytes{advice}"
    )]
    Mismatch {
        /// The image.
        label: String,
        /// `manifest DIGEST (PLATFORM)` or `config DIGEST`.
        what: String,
        /// Bytes received.
        bytes: usize,
        /// What they hash to.
        got: String,
        /// `index's N` or `manifest's N`: whose descriptor, and its size.
        described: String,
        /// What to make of it, with its leading `; `, or nothing.
        advice: &'static str,
    },
    /// A layer the manifest lists that deadweight does not read.
    #[error("{label}: layer {layer}: {problem}")]
    Layer {
        /// The image.
        label: String,
        /// 1-based, bottom first.
        layer: usize,
        /// What is wrong with its descriptor.
        problem: String,
    },
    /// A schema 1 manifest.
    #[error(
        "{label}: {what}: a Docker schema 1 manifest, which registries stopped serving in 2019; push the image again with a current tool"
    )]
    SchemaOne {
        /// The image.
        label: String,
        /// The tag or manifest asked for.
        what: String,
    },
    /// An index with nothing to pick, nothing for the platform, or a bad entry.
    #[error("{label}: {problem}")]
    Index {
        /// The image.
        label: String,
        /// Which, in words.
        problem: String,
    },
    /// A manifest that is not a container image's.
    #[error("{label}: {kind}, not a container image{why}")]
    NotAnImage {
        /// The image.
        label: String,
        /// `the manifest's media type is X: an artifact or unknown kind` or `an
        /// artifact of type X`.
        kind: String,
        /// Why, in words, with its leading space, or nothing.
        why: &'static str,
    },
}

impl From<OpenError> for crate::Error {
    fn from(e: OpenError) -> Self {
        crate::Error::Source(e.to_string())
    }
}
