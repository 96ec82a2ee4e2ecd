//! The source stage: where an image lives, and how its bytes reach the archive stage.
//!
//! A [`Source`] names the image; [`Source::open`] hands the archive stage one of three
//! forms ([`Opened`]), whichever the place has:
//!
//! - a byte stream of a saved archive (`docker save`, `podman save`, an OCI archive,
//!   whole-archive gzip/zstd): a file, standard input, bytes in memory, and, for a
//!   daemon, the body of `GET /images/{name}/get`;
//! - a layout folder on disk (an OCI image layout, a skopeo `dir:`);
//! - the members of a layout one by one ([`MemberSource`]), for a registry: the source
//!   yields `oci-layout`, an `index.json` naming the manifest, and each blob as
//!   `blobs/sha256/<hex>` (manifest, config, layers) as it downloads them. The archive
//!   stage reads those exactly as it reads a layout folder's files: sniffed, hashed as
//!   they stream (a blob is checked against its name), layers into the index.
//!
//! Nothing here parses an image: that is the archive stage's job, the same for every
//! source, so a registry image and its `docker save` give the same report.
//!
//! - [`reference`]: what an IMAGE argument names (paths, `-`, and the transports of
//!   containers-transports(5): `docker://`, `docker-daemon:`, `podman:`, `oci-archive:`,
//!   `oci:`, `docker-archive:`, `dir:`);
//! - [`registry`]: an image in a registry, as layout members, every blob checked against
//!   its digest and size as it streams;
//! - [`daemon`]: an image in a Docker or Podman daemon, as the `docker save` stream the
//!   daemon's API sends.

pub mod daemon;
pub mod digest;
pub mod platform;
pub mod reference;
pub mod registry;

use crate::error::{Error, Result};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file (an archive) or a folder (an OCI layout or skopeo `dir:`).
    Path(PathBuf),
    /// Standard input, named `-` on the command line.
    Stdin,
    /// A saved archive already in memory (tests, fuzzing, benches), named `label`.
    Memory {
        /// How errors and reports name it.
        label: String,
        /// The archive's bytes.
        bytes: Arc<[u8]>,
    },
    /// An image in a registry (`docker://`).
    Registry(Box<RegistrySource>),
    /// An image in a Docker or Podman daemon (`docker-daemon:`, `podman:`).
    Daemon {
        /// Which daemon API to look for.
        engine: reference::Engine,
        /// The image's name or id, as the daemon takes it.
        name: String,
        /// The daemon to ask, when already known (else the engine's usual places).
        endpoint: Option<daemon::Endpoint>,
    },
}

/// A registry image and how to reach it.
#[derive(Debug, Clone)]
pub struct RegistrySource {
    /// The reference.
    pub reference: reference::Reference,
    /// Credentials, TLS, platform, jobs.
    pub options: registry::Options,
}

impl PartialEq for RegistrySource {
    fn eq(&self, other: &Self) -> bool {
        self.reference == other.reference
    }
}

impl Eq for RegistrySource {}

/// A member of an image layout, as a [`MemberSource`] yields it.
pub struct SourceMember<'a> {
    /// Its path in the layout (`index.json`, `blobs/sha256/<hex>`).
    pub name: String,
    /// Its size in bytes, as the source states it (checked while it streams).
    pub size: u64,
    /// Its bytes.
    pub reader: Box<dyn Read + 'a>,
}

/// An image's layout members, one at a time: how a source that fetches blobs (a
/// registry) hands them to the archive stage without a tar around them.
pub trait MemberSource {
    /// The next member, or `None` after the last. Members may come in any order (the
    /// manifests are resolved after the last one), but each is read to its end before
    /// the next is asked for.
    fn next_member(&mut self) -> Result<Option<SourceMember<'_>>>;

    /// After reading the last member handed out failed: the source's own reason, when it
    /// has a better one than the reader's (a blob whose bytes failed its digest, which
    /// the decoder may have choked on first). The default has none.
    fn failure(&mut self) -> Option<String> {
        None
    }

    /// The layer blobs not handed out yet, in order, for layer workers to download and
    /// decode `jobs` at a time, each on threads of its own; [`MemberSource::next_member`]
    /// then yields the other members only. `None` (the default) when the source reads
    /// its blobs one at a time.
    fn take_blobs(&mut self) -> Option<SourceBlobs> {
        None
    }
}

/// A layer blob's bytes as they download, which a layer worker reads on a thread of its
/// own.
pub trait BlobStream: Read + Send {
    /// After reading it failed: the blob's own size or digest failure, when it has one
    /// (the cause to report, rather than what a decoder said of bad bytes).
    fn failure(&mut self) -> Option<String>;
}

/// One layer blob handed to a worker.
pub struct SourceBlob {
    /// Its path in the layout (`blobs/sha256/<hex>`).
    pub name: String,
    /// Its size in bytes, as its descriptor states it (checked while it streams).
    pub size: u64,
    /// Its bytes.
    pub stream: Box<dyn BlobStream>,
}

/// What [`MemberSource::take_blobs`] hands over.
pub struct SourceBlobs {
    /// The blobs, in the order a sequential read would have yielded them.
    pub blobs: Vec<SourceBlob>,
    /// How many may download at once (`--jobs`).
    pub jobs: usize,
}

/// What a source hands the archive stage.
pub enum Opened {
    /// A saved archive as one stream, read front to back once.
    Stream(Box<dyn Read>),
    /// A saved archive in a file: read front to back once too, and, being seekable, with
    /// its compressed layers decoded in parallel (`archive/parallel.rs`).
    File {
        /// Where it is, for the layer workers to open it again.
        path: PathBuf,
        /// The file, at its start.
        file: std::fs::File,
    },
    /// A layout folder on disk.
    Folder(PathBuf),
    /// A layout's members one by one.
    Members(Box<dyn MemberSource>),
}

impl Source {
    /// `-` is standard input; anything else a path.
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    /// A saved archive in memory, named `label` in messages.
    pub fn memory(label: &str, bytes: impl Into<Arc<[u8]>>) -> Source {
        Source::Memory {
            label: label.to_string(),
            bytes: bytes.into(),
        }
    }

    /// How errors and reports name this source.
    pub fn label(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Stdin => "-".to_string(),
            Source::Memory { label, .. } => label.clone(),
            Source::Registry(r) => format!("docker://{}", r.reference),
            Source::Daemon { engine, name, .. } => match engine {
                reference::Engine::Docker => format!("docker-daemon:{name}"),
                reference::Engine::Podman => format!("podman:{name}"),
            },
        }
    }

    /// The bytes a reader will go through, where known before reading (a file's size):
    /// for a progress bar.
    pub fn size_hint(&self) -> Option<u64> {
        match self {
            Source::Path(p) => std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            Source::Stdin => None,
            Source::Memory { bytes, .. } => Some(bytes.len() as u64),
            Source::Registry(_) | Source::Daemon { .. } => None,
        }
    }

    /// Opens the image for the archive stage.
    pub fn open(&self) -> Result<Opened> {
        match self {
            Source::Stdin => {
                grow_pipe();
                Ok(Opened::Stream(Box::new(io::stdin().lock())))
            }
            Source::Path(path) => open_path(path),
            Source::Memory { bytes, .. } => {
                Ok(Opened::Stream(Box::new(io::Cursor::new(Arc::clone(bytes)))))
            }
            Source::Registry(r) => {
                let members = registry::open_to_read(&r.reference, &r.options)?;
                Ok(Opened::Members(Box::new(members)))
            }
            Source::Daemon {
                engine,
                name,
                endpoint,
            } => {
                let (_, stream) = daemon::open(*engine, name, endpoint.as_ref())
                    .map_err(|e| Error::Source(format!("{}: {e}", self.label())))?;
                Ok(Opened::Stream(stream))
            }
        }
    }
}

fn open_path(path: &Path) -> Result<Opened> {
    let io_error = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if meta.is_dir() {
        return Ok(Opened::Folder(path.to_path_buf()));
    }
    let file = std::fs::File::open(path).map_err(io_error)?;
    Ok(Opened::File {
        path: path.to_path_buf(),
        file,
    })
}

/// When standard input is a pipe, asks Linux for a 1 MiB pipe buffer (the default is
/// 64 KiB): fewer, larger reads and fewer wake-ups of the writer, which keeps
/// `cat image.tar | deadweight -` close to reading the file. Failure changes nothing.
fn grow_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl on fd 0 with F_SETPIPE_SZ takes an int and touches no memory of
    // ours; on anything but a pipe it fails with EBADF/EINVAL, which is ignored.
    unsafe {
        libc::fcntl(0, libc::F_SETPIPE_SZ, 1 << 20);
    }
}
