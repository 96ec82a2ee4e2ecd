//! Synthetic container-image archives for tests, benches and fuzz seeds.
//!
//! This module *writes* images in every layout people save them in, so the
//! reader can be exercised without a container engine:
//!
//! | [`Flavour`]                 | produced by                            |
//! |-----------------------------|----------------------------------------|
//! | [`Flavour::DockerLegacy`]   | `docker save` before Docker 25         |
//! | [`Flavour::DockerSymlinked`]| `podman save` / `skopeo copy docker-archive:` |
//! | [`Flavour::Docker25`]       | `docker save` from Docker 25 on        |
//! | [`Flavour::OciArchive`]     | `skopeo copy oci-archive:`, `buildah push oci-archive:` |
//! | [`Flavour::SkopeoDir`]      | `skopeo copy dir:`                     |
//!
//! Everything is deterministic: the same input always gives the same bytes
//! (tar headers carry mtime 0, gzip headers mtime 0 and OS "unknown", zstd
//! level 3, JSON written by `serde_json` from structs in a fixed field order).
//! A [`Layer`] is turned into exactly one tar ([`Layer::to_tar`]) and that tar
//! is used by every flavour, so diff ids agree across flavours; see
//! [`digests`] for the ids a test can assert on.
//!
//! Layer entries are written verbatim: paths are not normalised (a trailing
//! `/`, a leading `./` or `/`, and `..` components are all kept as given), so
//! hostile archives can be produced too. Names and link targets of 100 bytes
//! or more go through GNU long-name (`L`) / long-link (`K`) entries. A path
//! cannot contain a NUL byte (tar readers stop at the first one).
//!
//! ```ignore
//! use synth::*;
//! let base = Layer::new().dir("etc/").file("etc/hostname", "box\n");
//! let top = Layer::new().whiteout("etc/hostname");
//! let image = Image::new(vec![base, top]).tag("sample:latest");
//! let tar = write_archive(&[image], &Options::new(Flavour::OciArchive))?;
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Component, Path};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sha2::{Digest as _, Sha256};

const VEC_WRITE: &str = "writing to a Vec<u8> cannot fail";

/// Media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of an OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Media type of a Docker schema 2 image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of a Docker schema 2 image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Annotation holding the reference name (a tag, or a full reference).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Annotation Docker 25+ and containerd put the full normalised image name in.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// Content of the `version` file of a `skopeo` dir layout.
pub const SKOPEO_DIR_VERSION: &str = "Directory Transport Version: 1.1\n";
/// `created` timestamp written into configs and legacy layer JSON.
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// How a blob (a layer, or the whole archive) is compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Plain bytes.
    #[default]
    None,
    /// gzip, flate2's default level, header mtime 0.
    Gzip,
    /// zstd, level 3.
    Zstd,
}

impl Compression {
    /// Compresses `data`; identity for [`Compression::None`].
    pub fn compress(self, data: &[u8]) -> io::Result<Vec<u8>> {
        match self {
            Compression::None => Ok(data.to_vec()),
            Compression::Gzip => {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(data)?;
                enc.finish()
            }
            Compression::Zstd => zstd::stream::encode_all(data, 3),
        }
    }

    /// The OCI layer media type for a layer compressed this way.
    pub fn oci_layer_media_type(self) -> &'static str {
        match self {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }

    /// The Docker schema 2 layer media type, if Docker has one (it has none for zstd).
    pub fn docker_layer_media_type(self) -> Option<&'static str> {
        match self {
            Compression::None => Some("application/vnd.docker.image.rootfs.diff.tar"),
            Compression::Gzip => Some("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            Compression::Zstd => None,
        }
    }
}

/// What a layer entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file with these contents.
    File(Vec<u8>),
    /// A directory.
    Dir,
    /// A symbolic link to this target (written verbatim).
    Symlink(String),
    /// A hard link to this earlier path (written verbatim).
    HardLink(String),
    /// A named pipe; also handy as a "special file" escape hatch.
    Fifo,
}

/// One tar entry of a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the layer, written verbatim (no normalisation).
    pub path: String,
    /// Kind and payload.
    pub kind: EntryKind,
    /// Permission bits (and setuid/setgid/sticky), e.g. `0o644`.
    pub mode: u32,
    /// Owner uid (large values use GNU base-256 encoding).
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
}

/// A filesystem changeset: an ordered list of tar entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layer {
    /// Entries, written in this order.
    pub entries: Vec<Entry>,
}

impl Layer {
    /// An empty layer (its tar is just the two end-of-archive blocks).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an arbitrary entry (for odd modes, owners, kinds).
    pub fn entry(mut self, entry: Entry) -> Self {
        self.entries.push(entry);
        self
    }

    fn push(self, path: &str, kind: EntryKind, mode: u32) -> Self {
        self.entry(Entry {
            path: path.to_owned(),
            kind,
            mode,
            uid: 0,
            gid: 0,
        })
    }

    /// A regular file, mode `0o644`, owned by root.
    pub fn file(self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.file_mode(path, content, 0o644)
    }

    /// A regular file with the given mode, owned by root.
    pub fn file_mode(self, path: &str, content: impl Into<Vec<u8>>, mode: u32) -> Self {
        self.push(path, EntryKind::File(content.into()), mode)
    }

    /// A directory, mode `0o755`. The path is kept as given: pass `"etc/"`
    /// for the trailing slash Docker's own layers carry.
    pub fn dir(self, path: &str) -> Self {
        self.push(path, EntryKind::Dir, 0o755)
    }

    /// A symbolic link `path -> target`, mode `0o777`.
    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.push(path, EntryKind::Symlink(target.to_owned()), 0o777)
    }

    /// A hard link `path` to the earlier entry `target`, mode `0o644`.
    pub fn hardlink(self, path: &str, target: &str) -> Self {
        self.push(path, EntryKind::HardLink(target.to_owned()), 0o644)
    }

    /// A named pipe, mode `0o644`.
    pub fn fifo(self, path: &str) -> Self {
        self.push(path, EntryKind::Fifo, 0o644)
    }

    /// Deletes `path` from lower layers: an empty regular file named
    /// `<dir>/.wh.<name>` (trailing slashes of `path` are ignored).
    pub fn whiteout(self, path: &str) -> Self {
        let trimmed = path.trim_end_matches('/');
        let wh = match trimmed.rsplit_once('/') {
            Some((dir, name)) => format!("{dir}/.wh.{name}"),
            None => format!(".wh.{trimmed}"),
        };
        self.push(&wh, EntryKind::File(Vec::new()), 0o644)
    }

    /// Hides everything lower layers put in `dir`: an empty regular file
    /// `<dir>/.wh..wh..opq` (an empty `dir` means the layer root).
    pub fn opaque(self, dir: &str) -> Self {
        let trimmed = dir.trim_end_matches('/');
        let path = if trimmed.is_empty() {
            ".wh..wh..opq".to_owned()
        } else {
            format!("{trimmed}/.wh..wh..opq")
        };
        self.push(&path, EntryKind::File(Vec::new()), 0o644)
    }

    /// The uncompressed layer tar: GNU headers, mtime 0, empty user/group
    /// names, followed by the two zero end-of-archive blocks.
    pub fn to_tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for e in &self.entries {
            let kind = match &e.kind {
                EntryKind::File(data) => Raw::File(data),
                EntryKind::Dir => Raw::Dir,
                EntryKind::Symlink(t) => Raw::Symlink(t),
                EntryKind::HardLink(t) => Raw::HardLink(t),
                EntryKind::Fifo => Raw::Fifo,
            };
            append_raw(&mut b, &e.path, kind, e.mode, e.uid, e.gid).expect(VEC_WRITE);
        }
        b.into_inner().expect(VEC_WRITE)
    }
}

/// One line of the config's `history`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The `created_by` text (usually the Dockerfile instruction).
    pub created_by: String,
    /// Whether this step made no layer (`ENV`, `LABEL`, ...).
    pub empty_layer: bool,
}

impl History {
    /// A step that produced a layer.
    pub fn layer(created_by: &str) -> Self {
        Self {
            created_by: created_by.to_owned(),
            empty_layer: false,
        }
    }

    /// A step that produced no layer (`"empty_layer": true`).
    pub fn empty(created_by: &str) -> Self {
        Self {
            created_by: created_by.to_owned(),
            empty_layer: true,
        }
    }
}

/// An image: layers plus the bits of config the analyser cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// Config history (not checked against `layers`, so inconsistent images can be made).
    pub history: Vec<History>,
    /// References such as `"sample:latest"` or `"quay.io/a/b:1"`; a missing tag means `latest`.
    pub tags: Vec<String>,
    /// `os` of the config and platform.
    pub os: String,
    /// `architecture` of the config and platform.
    pub architecture: String,
    /// `variant` (e.g. `"v8"`), omitted when `None`.
    pub variant: Option<String>,
    /// `config.User`.
    pub user: String,
    /// `config.Env`, `KEY=value` strings (omitted from JSON when empty).
    pub env: Vec<String>,
    /// `config.Labels`, serialised in this order (duplicates kept; omitted when empty).
    pub labels: Vec<(String, String)>,
}

impl Image {
    /// A linux/amd64 image with history `"layer 0"`, `"layer 1"`, ... and no tag.
    pub fn new(layers: Vec<Layer>) -> Self {
        let history = (0..layers.len())
            .map(|i| History::layer(&format!("layer {i}")))
            .collect();
        Self {
            layers,
            history,
            tags: Vec::new(),
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            variant: None,
            user: String::new(),
            env: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Adds a tag such as `"sample:latest"`.
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.to_owned());
        self
    }

    /// Sets os, architecture and variant.
    pub fn platform(mut self, os: &str, architecture: &str, variant: Option<&str>) -> Self {
        self.os = os.to_owned();
        self.architecture = architecture.to_owned();
        self.variant = variant.map(str::to_owned);
        self
    }

    /// Sets `config.User`.
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    /// Adds one `KEY=value` to `config.Env`.
    pub fn env(mut self, kv: &str) -> Self {
        self.env.push(kv.to_owned());
        self
    }

    /// Adds one label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the history.
    pub fn history(mut self, history: Vec<History>) -> Self {
        self.history = history;
        self
    }

    /// The config JSON blob for these diff ids (`"sha256:<hex>"`).
    fn config_json(&self, diff_ids: &[String]) -> io::Result<Vec<u8>> {
        let cfg = ConfigJson {
            architecture: &self.architecture,
            os: &self.os,
            variant: self.variant.as_deref(),
            created: EPOCH,
            config: ContainerConfig {
                user: &self.user,
                env: &self.env,
                labels: Pairs(&self.labels),
            },
            rootfs: RootFs {
                kind: "layers",
                diff_ids,
            },
            history: self
                .history
                .iter()
                .map(|h| HistoryJson {
                    created: EPOCH,
                    created_by: &h.created_by,
                    empty_layer: h.empty_layer,
                })
                .collect(),
        };
        Ok(serde_json::to_vec(&cfg)?)
    }
}

/// Which on-disk layout to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// `docker save` before 25: `manifest.json` (`Config: "<hex>.json"`,
    /// `Layers: ["<id>/layer.tar"]`), `<id>/{VERSION,json,layer.tar}` with
    /// `<id>/` directory entries, `repositories` (familiar names).
    DockerLegacy,
    /// containers/image `docker-archive` (podman, skopeo): real layer files
    /// `<hex>.tar` at the root (referenced by `manifest.json`), `<id>/layer.tar`
    /// *symlinks* to `../<hex>.tar`, `<id>/{VERSION,json}`, `<hex>.json`
    /// config; RepoTags and `repositories` use fully-qualified names.
    DockerSymlinked,
    /// `docker save` from 25 on: an OCI layout (`oci-layout`, `index.json`
    /// with one descriptor per tag annotated with both
    /// `io.containerd.image.name` and `org.opencontainers.image.ref.name`,
    /// `blobs/sha256/`) plus `manifest.json` with `blobs/sha256/<hex>` paths
    /// and `repositories`; also the legacy per-layer v1 JSON as unreferenced
    /// blobs, as Docker does.
    Docker25,
    /// An OCI image layout: `oci-layout`, `index.json` (one manifest
    /// descriptor per tag, `org.opencontainers.image.ref.name` = the tag as
    /// given), `blobs/sha256/...`; no `manifest.json`.
    #[default]
    OciArchive,
    /// `skopeo copy dir:`: `manifest.json` (Docker schema 2; OCI when layers
    /// are zstd, since schema 2 has no zstd type), blobs named by bare hex,
    /// `version`. Exactly one image.
    SkopeoDir,
}

/// How to write an archive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// Layout.
    pub flavour: Flavour,
    /// Compression of each layer blob.
    pub layer_compression: Compression,
    /// Compression of the whole tar (ignored by [`write_oci_dir`]).
    pub outer_compression: Compression,
    /// Write the metadata files (`manifest.json`, `index.json`, `oci-layout`,
    /// `repositories`, `version`) after the blobs instead of before them.
    /// Real `docker save` and `skopeo` archives are in this order.
    pub manifest_last: bool,
}

impl Options {
    /// Uncompressed everything, metadata first.
    pub fn new(flavour: Flavour) -> Self {
        Self {
            flavour,
            ..Self::default()
        }
    }

    /// Sets the layer compression.
    pub fn layer_compression(mut self, c: Compression) -> Self {
        self.layer_compression = c;
        self
    }

    /// Sets the whole-archive compression.
    pub fn outer_compression(mut self, c: Compression) -> Self {
        self.outer_compression = c;
        self
    }

    /// Sets [`Options::manifest_last`].
    pub fn manifest_last(mut self, last: bool) -> Self {
        self.manifest_last = last;
        self
    }
}

/// The ids an image gets when written; all strings are `"sha256:<hex>"`
/// except `legacy_ids`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    /// sha256 of each uncompressed layer tar (the config's `rootfs.diff_ids`).
    pub diff_ids: Vec<String>,
    /// sha256 of each layer blob as stored (equal to `diff_ids` when uncompressed).
    pub blob_digests: Vec<String>,
    /// sha256 of the config JSON (independent of compression; the image id).
    pub config_digest: String,
    /// sha256 of the OCI manifest as written by `OciArchive`/`Docker25`.
    pub manifest_digest: String,
    /// Bare hex `<id>` directory names used by `DockerLegacy`/`DockerSymlinked`.
    pub legacy_ids: Vec<String>,
}

/// The ids of `image` when its layers are compressed with `compression`.
pub fn digests(image: &Image, compression: Compression) -> Digests {
    // Only compression into a Vec and JSON of plain strings can fail here.
    let p = Prepared::new(image, compression).expect(VEC_WRITE);
    let manifest = p.oci_manifest().expect(VEC_WRITE);
    Digests {
        diff_ids: p.diff_ids.iter().map(|h| sha(h)).collect(),
        blob_digests: p.blob_hex.iter().map(|h| sha(h)).collect(),
        config_digest: sha(&p.config_hex),
        manifest_digest: sha(&sha256_hex(&manifest)),
        legacy_ids: p.legacy.iter().map(|l| l.id.clone()).collect(),
    }
}

/// Writes `images` as one archive in `opts.flavour`, as a tar compressed
/// whole with `opts.outer_compression`.
///
/// Blobs shared between images are written once. Fails with
/// `InvalidInput` for a `SkopeoDir` of other than one image.
pub fn write_archive(images: &[Image], opts: &Options) -> io::Result<Vec<u8>> {
    let members = layout(images, opts)?;
    finish_tar(&members, opts.outer_compression)
}

/// Writes the same layout as [`write_archive`] into the folder `dir`
/// (created if missing; existing files of the same names are replaced).
/// Meant for `OciArchive` (an `oci:` dir), `Docker25` and `SkopeoDir`, but
/// works for every flavour (the symlinks of `DockerSymlinked` need unix).
pub fn write_oci_dir(images: &[Image], opts: &Options, dir: &Path) -> io::Result<()> {
    let members = layout(images, opts)?;
    std::fs::create_dir_all(dir)?;
    for m in &members {
        let rel = Path::new(&m.path);
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write outside {}: {}", dir.display(), m.path),
            ));
        }
        let dest = dir.join(rel);
        match &m.kind {
            MemberKind::Dir => std::fs::create_dir_all(&dest)?,
            MemberKind::File(data) => {
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&dest, data)?;
            }
            MemberKind::Symlink(target) => {
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                if dest.symlink_metadata().is_ok() {
                    std::fs::remove_file(&dest)?;
                }
                make_symlink(target, &dest)?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &str, dest: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, dest)
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, dest: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("symlinks need unix: {}", dest.display()),
    ))
}

/// Writes an OCI archive whose `index.json` holds one descriptor, of a
/// nested image index (`application/vnd.oci.image.index.v1+json`) that lists
/// one manifest per image, each with its `platform`. The outer descriptor
/// carries `org.opencontainers.image.ref.name` = the first image's first tag
/// (none if untagged). `opts.flavour` is ignored; compressions and
/// `manifest_last` apply. Fails with `InvalidInput` for no images.
pub fn write_multi_platform(images: &[Image], opts: &Options) -> io::Result<Vec<u8>> {
    let first = images.first().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a multi-platform index needs at least one image",
        )
    })?;
    let mut blobs = Members::default();
    blobs.dir("blobs/");
    blobs.dir("blobs/sha256/");
    let mut entries = Vec::new();
    for image in images {
        let p = Prepared::new(image, opts.layer_compression)?;
        p.add_oci_blobs(&mut blobs, false);
        let manifest = p.oci_manifest()?;
        entries.push(Descriptor {
            media_type: OCI_MANIFEST,
            digest: sha(&sha256_hex(&manifest)),
            size: manifest.len() as u64,
            annotations: Vec::new(),
            platform: Some(PlatformJson {
                architecture: &image.architecture,
                os: &image.os,
                variant: image.variant.as_deref(),
            }),
        });
        blobs.oci_blob(manifest);
    }
    let nested = serde_json::to_vec(&IndexJson {
        schema_version: 2,
        media_type: OCI_INDEX,
        manifests: entries,
    })?;
    let nested_hex = sha256_hex(&nested);
    let annotations = first
        .tags
        .first()
        .map(|t| vec![(ANNOTATION_REF_NAME, t.clone())])
        .unwrap_or_default();
    let outer = IndexJson {
        schema_version: 2,
        media_type: OCI_INDEX,
        manifests: vec![Descriptor {
            media_type: OCI_INDEX,
            digest: sha(&nested_hex),
            size: nested.len() as u64,
            annotations,
            platform: None,
        }],
    };
    blobs.oci_blob(nested);
    let mut meta = Members::default();
    meta.file("oci-layout", oci_layout_json()?, 0o644);
    meta.file("index.json", serde_json::to_vec(&outer)?, 0o644);
    finish_tar(
        &order(meta, blobs, opts.manifest_last),
        opts.outer_compression,
    )
}

// ---------------------------------------------------------------------------
// Raw tar writing.

enum Raw<'a> {
    File(&'a [u8]),
    Dir,
    Symlink(&'a str),
    HardLink(&'a str),
    Fifo,
}

/// Field size of the v7 `name` and `linkname` header fields.
const NAME_FIELD: usize = 100;

/// Appends one entry with its name and link target written byte for byte
/// (no normalisation, no validation), using GNU `L`/`K` entries when a
/// name or target does not fit in 100 bytes.
fn append_raw(
    b: &mut tar::Builder<Vec<u8>>,
    path: &str,
    kind: Raw<'_>,
    mode: u32,
    uid: u64,
    gid: u64,
) -> io::Result<()> {
    let (ty, data, link): (tar::EntryType, &[u8], Option<&str>) = match kind {
        Raw::File(d) => (tar::EntryType::Regular, d, None),
        Raw::Dir => (tar::EntryType::Directory, &[], None),
        Raw::Symlink(t) => (tar::EntryType::Symlink, &[], Some(t)),
        Raw::HardLink(t) => (tar::EntryType::Link, &[], Some(t)),
        Raw::Fifo => (tar::EntryType::Fifo, &[], None),
    };
    let mut h = tar::Header::new_gnu();
    let name = path.as_bytes();
    if name.len() >= NAME_FIELD {
        append_long(b, b'L', name)?;
    }
    copy_field(&mut h.as_old_mut().name, name);
    if let Some(target) = link {
        let target = target.as_bytes();
        if target.len() >= NAME_FIELD {
            append_long(b, b'K', target)?;
        }
        copy_field(&mut h.as_old_mut().linkname, target);
    }
    h.set_mode(mode);
    h.set_uid(uid);
    h.set_gid(gid);
    h.set_mtime(0);
    h.set_size(data.len() as u64);
    h.set_entry_type(ty);
    h.set_cksum();
    b.append(&h, data)
}

/// Copies as much of `value` as fits; the field is zero-filled before.
fn copy_field(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

/// A GNU `././@LongLink` entry (type `L` for names, `K` for link targets).
fn append_long(b: &mut tar::Builder<Vec<u8>>, ty: u8, value: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    copy_field(&mut h.as_old_mut().name, b"././@LongLink");
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(value.len() as u64 + 1);
    h.set_entry_type(tar::EntryType::new(ty));
    h.set_cksum();
    let mut data = Vec::with_capacity(value.len() + 1);
    data.extend_from_slice(value);
    data.push(0);
    b.append(&h, &data[..])
}

// ---------------------------------------------------------------------------
// Archive members.

enum MemberKind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

struct Member {
    path: String,
    kind: MemberKind,
    mode: u32,
}

/// An ordered list of archive members; a path added twice keeps the first.
#[derive(Default)]
struct Members {
    list: Vec<Member>,
    seen: BTreeSet<String>,
}

impl Members {
    fn add(&mut self, path: String, kind: MemberKind, mode: u32) {
        if self.seen.insert(path.clone()) {
            self.list.push(Member { path, kind, mode });
        }
    }

    fn file(&mut self, path: impl Into<String>, data: Vec<u8>, mode: u32) {
        self.add(path.into(), MemberKind::File(data), mode);
    }

    fn dir(&mut self, path: impl Into<String>) {
        self.add(path.into(), MemberKind::Dir, 0o755);
    }

    fn symlink(&mut self, path: impl Into<String>, target: String) {
        self.add(path.into(), MemberKind::Symlink(target), 0o777);
    }

    /// `blobs/sha256/<hex>`; returns the hex.
    fn oci_blob(&mut self, data: Vec<u8>) -> String {
        let hex = sha256_hex(&data);
        self.file(format!("blobs/sha256/{hex}"), data, 0o644);
        hex
    }
}

fn order(meta: Members, blobs: Members, manifest_last: bool) -> Vec<Member> {
    let (mut first, second) = if manifest_last {
        (blobs.list, meta.list)
    } else {
        (meta.list, blobs.list)
    };
    first.extend(second);
    first
}

fn finish_tar(members: &[Member], outer: Compression) -> io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        let kind = match &m.kind {
            MemberKind::File(d) => Raw::File(d),
            MemberKind::Dir => Raw::Dir,
            MemberKind::Symlink(t) => Raw::Symlink(t),
        };
        append_raw(&mut b, &m.path, kind, m.mode, 0, 0)?;
    }
    outer.compress(&b.into_inner()?)
}

// ---------------------------------------------------------------------------
// Per-image preparation.

struct Legacy {
    id: String,
    json: Vec<u8>,
}

struct Prepared<'a> {
    image: &'a Image,
    compression: Compression,
    diff_ids: Vec<String>,
    blobs: Vec<Vec<u8>>,
    blob_hex: Vec<String>,
    config: Vec<u8>,
    config_hex: String,
    legacy: Vec<Legacy>,
}

impl<'a> Prepared<'a> {
    fn new(image: &'a Image, compression: Compression) -> io::Result<Self> {
        let mut diff_ids = Vec::with_capacity(image.layers.len());
        let mut blobs = Vec::with_capacity(image.layers.len());
        let mut blob_hex = Vec::with_capacity(image.layers.len());
        for layer in &image.layers {
            let tar = layer.to_tar();
            diff_ids.push(sha256_hex(&tar));
            let blob = match compression {
                Compression::None => tar,
                c => c.compress(&tar)?,
            };
            blob_hex.push(sha256_hex(&blob));
            blobs.push(blob);
        }
        let full: Vec<String> = diff_ids.iter().map(|h| sha(h)).collect();
        let config = image.config_json(&full)?;
        let config_hex = sha256_hex(&config);
        let legacy = legacy_layers(image, &diff_ids, &config_hex)?;
        Ok(Self {
            image,
            compression,
            diff_ids,
            blobs,
            blob_hex,
            config,
            config_hex,
            legacy,
        })
    }

    fn oci_manifest(&self) -> io::Result<Vec<u8>> {
        let mt = self.compression.oci_layer_media_type();
        Ok(serde_json::to_vec(&ManifestJson {
            schema_version: 2,
            media_type: OCI_MANIFEST,
            config: self.config_descriptor(OCI_CONFIG),
            layers: self.layer_descriptors(mt),
        })?)
    }

    fn config_descriptor(&self, media_type: &'static str) -> Descriptor<'static> {
        Descriptor {
            media_type,
            digest: sha(&self.config_hex),
            size: self.config.len() as u64,
            annotations: Vec::new(),
            platform: None,
        }
    }

    fn layer_descriptors(&self, media_type: &'static str) -> Vec<Descriptor<'static>> {
        self.blobs
            .iter()
            .zip(&self.blob_hex)
            .map(|(b, h)| Descriptor {
                media_type,
                digest: sha(h),
                size: b.len() as u64,
                annotations: Vec::new(),
                platform: None,
            })
            .collect()
    }

    /// Layers, (Docker 25: legacy v1 JSON,) config; not the manifest.
    fn add_oci_blobs(&self, blobs: &mut Members, with_legacy: bool) {
        for b in &self.blobs {
            blobs.oci_blob(b.clone());
        }
        if with_legacy {
            for l in &self.legacy {
                blobs.oci_blob(l.json.clone());
            }
        }
        blobs.oci_blob(self.config.clone());
    }
}

/// Legacy (v1) layer ids and their `json` files. An id hashes the chain id,
/// the parent id and the os; the top layer's also hashes the config digest,
/// since its JSON carries the image config (as Docker's does).
fn legacy_layers(image: &Image, diff_ids: &[String], config_hex: &str) -> io::Result<Vec<Legacy>> {
    let mut out: Vec<Legacy> = Vec::with_capacity(diff_ids.len());
    let mut chain = String::new();
    for (i, d) in diff_ids.iter().enumerate() {
        chain = if i == 0 {
            sha(d)
        } else {
            sha(&sha256_hex(format!("{chain} {}", sha(d)).as_bytes()))
        };
        let top = i + 1 == diff_ids.len();
        let parent = out.last().map(|l| l.id.as_str());
        let seed = format!(
            "{chain} {} {} {}",
            parent.unwrap_or(""),
            image.os,
            if top { config_hex } else { "" }
        );
        let id = sha256_hex(seed.as_bytes());
        let json = serde_json::to_vec(&V1Json {
            id: &id,
            parent,
            created: EPOCH,
            os: &image.os,
            architecture: top.then_some(image.architecture.as_str()),
            config: top.then_some(ContainerConfig {
                user: &image.user,
                env: &image.env,
                labels: Pairs(&image.labels),
            }),
        })?;
        out.push(Legacy { id, json });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Flavours.

fn layout(images: &[Image], opts: &Options) -> io::Result<Vec<Member>> {
    let prepared = images
        .iter()
        .map(|i| Prepared::new(i, opts.layer_compression))
        .collect::<io::Result<Vec<_>>>()?;
    let (meta, blobs) = match opts.flavour {
        Flavour::DockerLegacy => docker_save(&prepared, false)?,
        Flavour::DockerSymlinked => docker_save(&prepared, true)?,
        Flavour::Docker25 => oci_layout(&prepared, true)?,
        Flavour::OciArchive => oci_layout(&prepared, false)?,
        Flavour::SkopeoDir => skopeo_dir(&prepared)?,
    };
    Ok(order(meta, blobs, opts.manifest_last))
}

/// `DockerLegacy` (`symlinked == false`) and `DockerSymlinked`.
fn docker_save(prepared: &[Prepared<'_>], symlinked: bool) -> io::Result<(Members, Members)> {
    let file_mode = if symlinked { 0o444 } else { 0o644 };
    let mut blobs = Members::default();
    let mut items = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for p in prepared {
        let mut layers = Vec::new();
        for (i, legacy) in p.legacy.iter().enumerate() {
            let id = &legacy.id;
            if symlinked {
                let real = format!("{}.tar", p.blob_hex[i]);
                blobs.file(real.clone(), p.blobs[i].clone(), file_mode);
                blobs.symlink(format!("{id}/layer.tar"), format!("../{real}"));
                layers.push(real);
            } else {
                blobs.dir(format!("{id}/"));
                blobs.file(format!("{id}/layer.tar"), p.blobs[i].clone(), file_mode);
                layers.push(format!("{id}/layer.tar"));
            }
            blobs.file(format!("{id}/VERSION"), b"1.0".to_vec(), file_mode);
            blobs.file(format!("{id}/json"), legacy.json.clone(), file_mode);
        }
        let config_path = format!("{}.json", p.config_hex);
        blobs.file(config_path.clone(), p.config.clone(), file_mode);
        let mut repo_tags = Vec::new();
        for t in &p.image.tags {
            let r = Reference::parse(t);
            let (name, tag_string) = if symlinked {
                (r.full_name(), format!("{}:{}", r.full_name(), r.tag))
            } else {
                (r.familiar_name(), r.familiar())
            };
            if let Some(top) = p.legacy.last() {
                repos
                    .entry(name)
                    .or_default()
                    .insert(r.tag.clone(), top.id.clone());
            }
            repo_tags.push(tag_string);
        }
        items.push(DockerManifestItem {
            config: config_path,
            // docker writes null for an untagged image, containers/image [].
            repo_tags: (symlinked || !repo_tags.is_empty()).then_some(repo_tags),
            layers,
        });
    }
    let mut meta = Members::default();
    meta.file("manifest.json", serde_json::to_vec(&items)?, file_mode);
    meta.file("repositories", serde_json::to_vec(&repos)?, file_mode);
    Ok((meta, blobs))
}

/// `OciArchive` (`docker25 == false`) and `Docker25`.
fn oci_layout(prepared: &[Prepared<'_>], docker25: bool) -> io::Result<(Members, Members)> {
    let mut blobs = Members::default();
    blobs.dir("blobs/");
    blobs.dir("blobs/sha256/");
    let mut descriptors = Vec::new();
    let mut items = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for p in prepared {
        p.add_oci_blobs(&mut blobs, docker25);
        let manifest = p.oci_manifest()?;
        let digest = sha(&sha256_hex(&manifest));
        let size = manifest.len() as u64;
        blobs.oci_blob(manifest);
        let descriptor = |annotations| Descriptor {
            media_type: OCI_MANIFEST,
            digest: digest.clone(),
            size,
            annotations,
            platform: None,
        };
        let mut repo_tags = Vec::new();
        for t in &p.image.tags {
            let annotations = if docker25 {
                let r = Reference::parse(t);
                if let Some(top) = p.diff_ids.last() {
                    repos
                        .entry(r.familiar_name())
                        .or_default()
                        .insert(r.tag.clone(), top.clone());
                }
                repo_tags.push(r.familiar());
                vec![
                    (ANNOTATION_IMAGE_NAME, r.full()),
                    (ANNOTATION_REF_NAME, r.tag.clone()),
                ]
            } else {
                vec![(ANNOTATION_REF_NAME, t.clone())]
            };
            descriptors.push(descriptor(annotations));
        }
        if p.image.tags.is_empty() {
            descriptors.push(descriptor(Vec::new()));
        }
        if docker25 {
            items.push(DockerManifestItem {
                config: format!("blobs/sha256/{}", p.config_hex),
                repo_tags: (!repo_tags.is_empty()).then_some(repo_tags),
                layers: p
                    .blob_hex
                    .iter()
                    .map(|h| format!("blobs/sha256/{h}"))
                    .collect(),
            });
        }
    }
    let index = IndexJson {
        schema_version: 2,
        media_type: OCI_INDEX,
        manifests: descriptors,
    };
    let mut meta = Members::default();
    meta.file("oci-layout", oci_layout_json()?, 0o644);
    meta.file("index.json", serde_json::to_vec(&index)?, 0o644);
    if docker25 {
        meta.file("manifest.json", serde_json::to_vec(&items)?, 0o644);
        if !repos.is_empty() {
            meta.file("repositories", serde_json::to_vec(&repos)?, 0o644);
        }
    }
    Ok((meta, blobs))
}

fn skopeo_dir(prepared: &[Prepared<'_>]) -> io::Result<(Members, Members)> {
    let [p] = prepared else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a skopeo dir holds exactly one image, not {}",
                prepared.len()
            ),
        ));
    };
    let mut blobs = Members::default();
    for (b, h) in p.blobs.iter().zip(&p.blob_hex) {
        blobs.file(h.clone(), b.clone(), 0o644);
    }
    blobs.file(p.config_hex.clone(), p.config.clone(), 0o644);
    let manifest = match p.compression.docker_layer_media_type() {
        Some(mt) => serde_json::to_vec(&ManifestJson {
            schema_version: 2,
            media_type: DOCKER_MANIFEST,
            config: p.config_descriptor(DOCKER_CONFIG),
            layers: p.layer_descriptors(mt),
        })?,
        None => p.oci_manifest()?,
    };
    let mut meta = Members::default();
    meta.file("manifest.json", manifest, 0o644);
    meta.file("version", SKOPEO_DIR_VERSION.as_bytes().to_vec(), 0o644);
    Ok((meta, blobs))
}

fn oci_layout_json() -> io::Result<Vec<u8>> {
    Ok(serde_json::to_vec(&OciLayout {
        image_layout_version: "1.0.0",
    })?)
}

// ---------------------------------------------------------------------------
// References (a small subset of docker's reference normalisation).

/// `name[:tag]` split and normalised the way Docker does for plain names:
/// no registry means `docker.io`, a single path component means `library/`.
struct Reference {
    domain: String,
    path: String,
    tag: String,
}

impl Reference {
    fn parse(s: &str) -> Self {
        let (name, tag) = match s.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t),
            _ => (s, "latest"),
        };
        let (domain, path) = match name.split_once('/') {
            Some((d, rest)) if d.contains('.') || d.contains(':') || d == "localhost" => {
                (d.to_owned(), rest.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        let domain = if domain == "index.docker.io" {
            "docker.io".to_owned()
        } else {
            domain
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Self {
            domain,
            path,
            tag: tag.to_owned(),
        }
    }

    /// `docker.io/library/sample`
    fn full_name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `docker.io/library/sample:latest`
    fn full(&self) -> String {
        format!("{}:{}", self.full_name(), self.tag)
    }

    /// `sample`
    fn familiar_name(&self) -> String {
        if self.domain != "docker.io" {
            return self.full_name();
        }
        match self.path.strip_prefix("library/") {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// `sample:latest`
    fn familiar(&self) -> String {
        format!("{}:{}", self.familiar_name(), self.tag)
    }
}

// ---------------------------------------------------------------------------
// JSON shapes.

/// Serialises pairs as a JSON object in the given order (duplicates kept).
struct Pairs<'a, K, V>(&'a [(K, V)]);

impl<K: Serialize, V: Serialize> Serialize for Pairs<'_, K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<K, V> Pairs<'_, K, V> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn pairs_empty<K, V>(p: &Pairs<'_, K, V>) -> bool {
    p.is_empty()
}

fn annotations_ser<S: Serializer>(a: &[(&str, String)], s: S) -> Result<S::Ok, S::Error> {
    Pairs(a).serialize(s)
}

#[derive(Serialize)]
struct ConfigJson<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    created: &'a str,
    config: ContainerConfig<'a>,
    rootfs: RootFs<'a>,
    history: Vec<HistoryJson<'a>>,
}

#[derive(Serialize)]
struct ContainerConfig<'a> {
    #[serde(rename = "User")]
    user: &'a str,
    #[serde(rename = "Env", skip_serializing_if = "<[String]>::is_empty")]
    env: &'a [String],
    #[serde(rename = "Labels", skip_serializing_if = "pairs_empty")]
    labels: Pairs<'a, String, String>,
}

#[derive(Serialize)]
struct RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    diff_ids: &'a [String],
}

#[derive(Serialize)]
struct HistoryJson<'a> {
    created: &'static str,
    created_by: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    empty_layer: bool,
}

#[derive(Serialize)]
struct V1Json<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    created: &'a str,
    os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<ContainerConfig<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    media_type: &'a str,
    digest: String,
    size: u64,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "annotations_ser"
    )]
    annotations: Vec<(&'a str, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<PlatformJson<'a>>,
}

#[derive(Serialize)]
struct PlatformJson<'a> {
    architecture: &'a str,
    os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestJson<'a> {
    schema_version: u32,
    media_type: &'a str,
    config: Descriptor<'a>,
    layers: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexJson<'a> {
    schema_version: u32,
    media_type: &'a str,
    manifests: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OciLayout<'a> {
    image_layout_version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestItem {
    config: String,
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

// ---------------------------------------------------------------------------
// Hashing.

/// Lower-case hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut s = String::with_capacity(64);
    for byte in digest.iter() {
        write!(s, "{byte:02x}").expect("writing to a String cannot fail");
    }
    s
}

fn sha(hex: &str) -> String {
    format!("sha256:{hex}")
}

/// Small images of the overlay's tricky cases (rewrites, directory whiteouts, opaque
/// directories, a file over a directory, hard links, re-adds), used to cross-check the
/// reproduction of dive's figures against dive itself.
pub fn overlay_cases() -> Vec<(&'static str, Vec<Layer>)> {
    let f = |n: usize, b: u8| vec![b; n];
    vec![
        (
            "rewrite",
            vec![
                Layer::new().file("a/x", f(100, 1)),
                Layer::new().file("a/x", f(100, 1)),
                Layer::new().file("a/x", f(50, 2)),
            ],
        ),
        (
            "dir-whiteout",
            vec![
                Layer::new()
                    .dir("d")
                    .file("d/a", f(10, 1))
                    .file("d/s/b", f(20, 2)),
                Layer::new().file("d/c", f(30, 3)),
                Layer::new().whiteout("d"),
            ],
        ),
        (
            "implicit-dir-whiteout",
            vec![
                Layer::new().dir("d").file("d/a", f(10, 1)),
                Layer::new().file("d/b", f(5, 2)),
                Layer::new().whiteout("d"),
            ],
        ),
        (
            "opaque",
            vec![
                Layer::new()
                    .dir("c")
                    .file("c/a", f(4, 1))
                    .file("c/b", f(6, 2)),
                Layer::new().opaque("c").file("c/n", f(9, 3)),
                Layer::new().file("c/a", f(4, 1)),
            ],
        ),
        (
            "file-over-dir",
            vec![
                Layer::new().file("x/y", f(11, 1)),
                Layer::new().file("x", f(3, 2)),
                Layer::new().whiteout("x"),
            ],
        ),
        (
            "hardlinks",
            vec![
                Layer::new().file("h/f", f(40, 1)).hardlink("h/g", "h/f"),
                Layer::new().whiteout("h/f").file("h/g", f(40, 1)),
            ],
        ),
        (
            "readd-after-delete",
            vec![
                Layer::new().file("r", f(10, 1)),
                Layer::new().whiteout("r"),
                Layer::new().file("r", f(10, 1)),
                Layer::new().dir("e"),
                Layer::new().dir("e"),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::io::Read as _;

    const ALL_FLAVOURS: [Flavour; 5] = [
        Flavour::DockerLegacy,
        Flavour::DockerSymlinked,
        Flavour::Docker25,
        Flavour::OciArchive,
        Flavour::SkopeoDir,
    ];
    const ALL_COMPRESSIONS: [Compression; 3] =
        [Compression::None, Compression::Gzip, Compression::Zstd];

    fn long_path() -> String {
        format!("usr/share/{}/file.txt", "d".repeat(150))
    }

    fn long_target() -> String {
        format!("usr/{}", "t".repeat(120))
    }

    fn base_layer() -> Layer {
        Layer::new()
            .dir("etc/")
            .file("etc/hostname", "box\n")
            .file_mode("bin-tool", vec![0u8; 3000], 0o4755)
            .file(&long_path(), "long\n")
            .symlink("bin", &long_target())
            .hardlink("etc/hn", "etc/hostname")
    }

    fn top_layer() -> Layer {
        Layer::new()
            .whiteout("etc/hostname")
            .opaque("usr/")
            .fifo("run.pipe")
    }

    fn sample() -> Image {
        Image::new(vec![base_layer(), top_layer()])
            .tag("sample:latest")
            .tag("quay.io/org/sample:v1")
            .user("1000:1000")
            .env("PATH=/usr/bin")
            .label("b", "2")
            .label("a", "1")
    }

    /// An untagged image sharing the sample's base layer.
    fn sibling() -> Image {
        Image::new(vec![base_layer(), Layer::new().file("x", "y")]).platform(
            "linux",
            "arm64",
            Some("v8"),
        )
    }

    #[derive(Debug, PartialEq)]
    enum Kind {
        File(Vec<u8>),
        Dir,
        Symlink(String),
        Other(tar::EntryType),
    }

    /// Members of a tar in order: (raw path, kind).
    fn parse(tar_bytes: &[u8]) -> Vec<(String, Kind)> {
        let mut ar = tar::Archive::new(tar_bytes);
        let mut out = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let ty = e.header().entry_type();
            let kind = if ty.is_file() {
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                Kind::File(d)
            } else if ty.is_dir() {
                Kind::Dir
            } else if ty.is_symlink() {
                let l = e.link_name_bytes().unwrap().into_owned();
                Kind::Symlink(String::from_utf8(l).unwrap())
            } else {
                Kind::Other(ty)
            };
            out.push((path, kind));
        }
        out
    }

    fn files(members: &[(String, Kind)]) -> BTreeMap<String, Vec<u8>> {
        members
            .iter()
            .filter_map(|(p, k)| match k {
                Kind::File(d) => Some((p.clone(), d.clone())),
                _ => None,
            })
            .collect()
    }

    fn json(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Value {
        let data = files
            .get(path)
            .unwrap_or_else(|| panic!("missing member {path}"));
        serde_json::from_slice(data).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn magic(c: Compression) -> &'static [u8] {
        match c {
            Compression::None => b"",
            Compression::Gzip => &[0x1f, 0x8b],
            Compression::Zstd => &[0x28, 0xb5, 0x2f, 0xfd],
        }
    }

    /// Spelled out here so a typo in the module is caught.
    fn oci_layer_type(c: Compression) -> &'static str {
        match c {
            Compression::None => "application/vnd.oci.image.layer.v1.tar",
            Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }

    fn decompress(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if data.starts_with(magic(Compression::Gzip)) {
            flate2::read::GzDecoder::new(data)
                .read_to_end(&mut out)
                .unwrap();
        } else if data.starts_with(magic(Compression::Zstd)) {
            out = zstd::stream::decode_all(data).unwrap();
        } else {
            out = data.to_vec();
        }
        out
    }

    fn hex_of(digest: &str) -> &str {
        digest.strip_prefix("sha256:").unwrap()
    }

    /// Checks a layer blob: compression magic, and that it decompresses to
    /// a valid tar whose sha256 is the expected diff id.
    fn check_layer_blob(blob: &[u8], c: Compression, diff_id: &str) {
        assert!(blob.starts_with(magic(c)), "layer lacks {c:?} magic");
        let tar = decompress(blob);
        assert_eq!(sha(&sha256_hex(&tar)), diff_id);
        assert!(!parse(&tar).is_empty() || tar.len() == 1024);
    }

    /// Checks a descriptor against `blobs/sha256/<hex>`; returns the blob.
    fn described<'a>(files: &'a BTreeMap<String, Vec<u8>>, d: &Value) -> &'a [u8] {
        let digest = d["digest"].as_str().unwrap();
        let path = format!("blobs/sha256/{}", hex_of(digest));
        let blob = files
            .get(&path)
            .unwrap_or_else(|| panic!("descriptor points at missing {path}"));
        assert_eq!(d["size"].as_u64().unwrap(), blob.len() as u64);
        blob
    }

    /// Structural check of an OCI image layout; returns the index.
    fn check_oci(members: &[(String, Kind)], c: Compression) -> Value {
        let files = files(members);
        assert_eq!(
            json(&files, "oci-layout"),
            serde_json::json!({"imageLayoutVersion": "1.0.0"})
        );
        for (p, k) in members {
            if p == "blobs/" || p == "blobs/sha256/" {
                assert_eq!(*k, Kind::Dir);
            }
        }
        for (path, data) in &files {
            if let Some(hex) = path.strip_prefix("blobs/sha256/") {
                assert_eq!(sha256_hex(data), hex, "blob {path} misnamed");
            }
        }
        let index = json(&files, "index.json");
        assert_eq!(index["schemaVersion"], 2);
        assert_eq!(
            index["mediaType"],
            "application/vnd.oci.image.index.v1+json"
        );
        let mut manifests: Vec<Value> = index["manifests"].as_array().unwrap().clone();
        while let Some(d) = manifests.pop() {
            let blob = described(&files, &d);
            let doc: Value = serde_json::from_slice(blob).unwrap();
            assert_eq!(doc["mediaType"], d["mediaType"]);
            if d["mediaType"] == OCI_INDEX {
                manifests.extend(doc["manifests"].as_array().unwrap().iter().cloned());
                continue;
            }
            assert_eq!(d["mediaType"], "application/vnd.oci.image.manifest.v1+json");
            assert_eq!(
                doc["config"]["mediaType"],
                "application/vnd.oci.image.config.v1+json"
            );
            let config: Value = serde_json::from_slice(described(&files, &doc["config"])).unwrap();
            let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
            let layers = doc["layers"].as_array().unwrap();
            assert_eq!(diff_ids.len(), layers.len());
            for (l, diff_id) in layers.iter().zip(diff_ids) {
                assert_eq!(l["mediaType"], oci_layer_type(c));
                check_layer_blob(described(&files, l), c, diff_id.as_str().unwrap());
            }
        }
        index
    }

    #[test]
    fn layer_tar_round_trips_verbatim() {
        let layer = base_layer()
            .entry(Entry {
                path: "../escape".into(),
                kind: EntryKind::File(b"x".to_vec()),
                mode: 0o600,
                uid: 3_000_000_000,
                gid: 42,
            })
            .file("/abs/path", "a")
            .hardlink(&format!("{}-2", long_path()), &long_path());
        let tar = layer.to_tar();
        assert_eq!(tar.len() % 512, 0);
        assert!(tar[tar.len() - 1024..].iter().all(|&b| b == 0));

        let mut ar = tar::Archive::new(&tar[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            seen.push((
                String::from_utf8(e.path_bytes().into_owned()).unwrap(),
                h.entry_type(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.mtime().unwrap(),
                e.link_name_bytes()
                    .map(|l| String::from_utf8(l.into_owned()).unwrap()),
            ));
        }
        use tar::EntryType as T;
        let expect = vec![
            ("etc/".to_owned(), T::Directory, 0o755, 0, 0, 0, None),
            ("etc/hostname".into(), T::Regular, 0o644, 0, 0, 0, None),
            ("bin-tool".into(), T::Regular, 0o4755, 0, 0, 0, None),
            (long_path(), T::Regular, 0o644, 0, 0, 0, None),
            (
                "bin".into(),
                T::Symlink,
                0o777,
                0,
                0,
                0,
                Some(long_target()),
            ),
            (
                "etc/hn".into(),
                T::Link,
                0o644,
                0,
                0,
                0,
                Some("etc/hostname".into()),
            ),
            (
                "../escape".into(),
                T::Regular,
                0o600,
                3_000_000_000,
                42,
                0,
                None,
            ),
            ("/abs/path".into(), T::Regular, 0o644, 0, 0, 0, None),
            (
                format!("{}-2", long_path()),
                T::Link,
                0o644,
                0,
                0,
                0,
                Some(long_path()),
            ),
        ];
        assert_eq!(seen, expect);
        assert_eq!(Layer::new().to_tar(), vec![0u8; 1024]);
    }

    #[test]
    fn whiteout_and_opaque_names() {
        let names: Vec<String> = Layer::new()
            .whiteout("etc/hostname")
            .whiteout("top")
            .whiteout("a/b/dir/")
            .opaque("usr/")
            .opaque("var/lib")
            .opaque("")
            .entries
            .into_iter()
            .map(|e| {
                assert_eq!(e.kind, EntryKind::File(Vec::new()));
                e.path
            })
            .collect();
        assert_eq!(
            names,
            [
                "etc/.wh.hostname",
                ".wh.top",
                "a/b/.wh.dir",
                "usr/.wh..wh..opq",
                "var/lib/.wh..wh..opq",
                ".wh..wh..opq"
            ]
        );
        let tar = top_layer().to_tar();
        let m = parse(&tar);
        assert_eq!(m[0].0, "etc/.wh.hostname");
        assert_eq!(m[1].0, "usr/.wh..wh..opq");
        assert_eq!(m[2], ("run.pipe".into(), Kind::Other(tar::EntryType::Fifo)));
    }

    #[test]
    fn config_json_shape() {
        let d = digests(&sample(), Compression::None);
        let config = sample().config_json(&d.diff_ids).unwrap();
        assert_eq!(sha(&sha256_hex(&config)), d.config_digest);
        let v: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(v["architecture"], "amd64");
        assert_eq!(v["os"], "linux");
        assert!(v.get("variant").is_none());
        assert_eq!(v["config"]["User"], "1000:1000");
        assert_eq!(v["config"]["Env"], serde_json::json!(["PATH=/usr/bin"]));
        assert_eq!(
            v["config"]["Labels"],
            serde_json::json!({"a": "1", "b": "2"})
        );
        // labels keep insertion order in the bytes
        let text = String::from_utf8(config.clone()).unwrap();
        assert!(text.contains(r#""Labels":{"b":"2","a":"1"}"#));
        assert_eq!(v["rootfs"]["type"], "layers");
        assert_eq!(v["rootfs"]["diff_ids"], serde_json::json!(d.diff_ids));
        assert_eq!(v["history"][1]["created_by"], "layer 1");
        assert!(v["history"][1].get("empty_layer").is_none());

        let img = sibling().history(vec![
            History::layer("ADD base"),
            History::empty("ENV A=1"),
            History::layer("RUN x"),
        ]);
        let v: Value = serde_json::from_slice(&img.config_json(&[]).unwrap()).unwrap();
        assert_eq!(v["variant"], "v8");
        assert_eq!(v["history"][1]["empty_layer"], true);
        assert!(v["config"].get("Labels").is_none());
    }

    #[test]
    fn digests_match_compression() {
        let plain = digests(&sample(), Compression::None);
        assert_eq!(plain.diff_ids, plain.blob_digests);
        for c in [Compression::Gzip, Compression::Zstd] {
            let d = digests(&sample(), c);
            assert_eq!(d.diff_ids, plain.diff_ids);
            assert_eq!(d.config_digest, plain.config_digest);
            assert_eq!(d.legacy_ids, plain.legacy_ids);
            assert_ne!(d.blob_digests, plain.blob_digests);
            assert_ne!(d.manifest_digest, plain.manifest_digest);
        }
        let tars: Vec<String> = sample()
            .layers
            .iter()
            .map(|l| sha(&sha256_hex(&l.to_tar())))
            .collect();
        assert_eq!(plain.diff_ids, tars);
    }

    #[test]
    fn oci_archive_round_trips() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::OciArchive).layer_compression(c);
            let tar = write_archive(&[sample(), sibling()], &opts).unwrap();
            let members = parse(&tar);
            let index = check_oci(&members, c);
            let files = files(&members);
            assert!(!files.contains_key("manifest.json"));
            assert!(!files.contains_key("repositories"));
            let descs = index["manifests"].as_array().unwrap();
            assert_eq!(descs.len(), 3, "one per tag, plus the untagged image");
            assert_eq!(
                descs[0]["annotations"][ANNOTATION_REF_NAME],
                "sample:latest"
            );
            assert_eq!(
                descs[1]["annotations"][ANNOTATION_REF_NAME],
                "quay.io/org/sample:v1"
            );
            assert!(descs[2].get("annotations").is_none());
            let d = digests(&sample(), c);
            assert_eq!(descs[0]["digest"], d.manifest_digest.as_str());
            // the shared base layer is stored once
            let base = format!("blobs/sha256/{}", hex_of(&d.blob_digests[0]));
            assert_eq!(members.iter().filter(|(p, _)| *p == base).count(), 1);
        }
    }

    #[test]
    fn docker25_round_trips() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::Docker25).layer_compression(c);
            let tar = write_archive(&[sample(), sibling()], &opts).unwrap();
            let members = parse(&tar);
            let index = check_oci(&members, c);
            let files = files(&members);
            let descs = index["manifests"].as_array().unwrap();
            assert_eq!(descs.len(), 3);
            assert_eq!(
                descs[0]["annotations"],
                serde_json::json!({
                    ANNOTATION_IMAGE_NAME: "docker.io/library/sample:latest",
                    ANNOTATION_REF_NAME: "latest",
                })
            );
            assert_eq!(
                descs[1]["annotations"][ANNOTATION_IMAGE_NAME],
                "quay.io/org/sample:v1"
            );
            let manifest = json(&files, "manifest.json");
            let items = manifest.as_array().unwrap();
            assert_eq!(items.len(), 2);
            assert_eq!(
                items[0]["RepoTags"],
                serde_json::json!(["sample:latest", "quay.io/org/sample:v1"])
            );
            assert!(items[1]["RepoTags"].is_null());
            for item in items {
                let config: Value =
                    serde_json::from_slice(&files[item["Config"].as_str().unwrap()]).unwrap();
                let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
                for (l, diff_id) in item["Layers"].as_array().unwrap().iter().zip(diff_ids) {
                    let l = l.as_str().unwrap();
                    assert!(l.starts_with("blobs/sha256/"));
                    check_layer_blob(&files[l], c, diff_id.as_str().unwrap());
                }
            }
            let repos = json(&files, "repositories");
            let top = digests(&sample(), c).diff_ids[1].clone();
            assert_eq!(repos["sample"]["latest"], hex_of(&top));
            assert_eq!(repos["quay.io/org/sample"]["v1"], hex_of(&top));
            // the legacy v1 JSON blobs docker writes, unreferenced
            for id in digests(&sample(), c).legacy_ids {
                assert!(files.iter().any(|(p, d)| p.starts_with("blobs/")
                    && serde_json::from_slice::<Value>(d).is_ok_and(|v| v["id"] == id.as_str())));
            }
        }
    }

    /// Shared checks for the two docker-save flavours; returns the files.
    fn check_docker_save(
        members: &[(String, Kind)],
        c: Compression,
        symlinked: bool,
    ) -> BTreeMap<String, Vec<u8>> {
        let files = files(members);
        let symlinks: BTreeMap<&str, &str> = members
            .iter()
            .filter_map(|(p, k)| match k {
                Kind::Symlink(t) => Some((p.as_str(), t.as_str())),
                _ => None,
            })
            .collect();
        assert!(!files.contains_key("index.json"));
        assert!(!files.contains_key("oci-layout"));
        let manifest = json(&files, "manifest.json");
        for item in manifest.as_array().unwrap() {
            let config_path = item["Config"].as_str().unwrap();
            let config_hex = config_path.strip_suffix(".json").unwrap();
            assert_eq!(sha256_hex(&files[config_path]), config_hex);
            let config: Value = serde_json::from_slice(&files[config_path]).unwrap();
            let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap();
            let layers = item["Layers"].as_array().unwrap();
            assert_eq!(layers.len(), diff_ids.len());
            for (l, diff_id) in layers.iter().zip(diff_ids) {
                let l = l.as_str().unwrap();
                let blob = &files[l];
                check_layer_blob(blob, c, diff_id.as_str().unwrap());
                if symlinked {
                    let hex = l.strip_suffix(".tar").unwrap();
                    assert!(!hex.contains('/'));
                    assert_eq!(sha256_hex(blob), hex);
                } else {
                    assert!(l.ends_with("/layer.tar"));
                }
            }
        }
        let repos = json(&files, "repositories");
        for tags in repos.as_object().unwrap().values() {
            for id in tags.as_object().unwrap().values() {
                let id = id.as_str().unwrap();
                assert_eq!(files[&format!("{id}/VERSION")], b"1.0");
                let v1 = json(&files, &format!("{id}/json"));
                assert_eq!(v1["id"], id);
                let layer = format!("{id}/layer.tar");
                if symlinked {
                    let target = symlinks[layer.as_str()];
                    let real = target.strip_prefix("../").unwrap();
                    assert!(files.contains_key(real), "{layer} -> {target} dangles");
                } else {
                    assert!(files.contains_key(&layer));
                    assert!(
                        members
                            .iter()
                            .any(|(p, k)| *p == format!("{id}/") && *k == Kind::Dir)
                    );
                }
            }
        }
        // every legacy id has its three members, chained by `parent`
        let ids = digests(&sample(), c).legacy_ids;
        for (i, id) in ids.iter().enumerate() {
            let v1 = json(&files, &format!("{id}/json"));
            match i {
                0 => assert!(v1.get("parent").is_none()),
                _ => assert_eq!(v1["parent"], ids[i - 1].as_str()),
            }
            let layer = format!("{id}/layer.tar");
            assert_eq!(symlinked, symlinks.contains_key(layer.as_str()));
            assert_eq!(!symlinked, files.contains_key(&layer));
        }
        files
    }

    #[test]
    fn docker_legacy_round_trips() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::DockerLegacy).layer_compression(c);
            let tar = write_archive(&[sample(), sibling()], &opts).unwrap();
            let files = check_docker_save(&parse(&tar), c, false);
            let manifest = json(&files, "manifest.json");
            assert_eq!(
                manifest[0]["RepoTags"],
                serde_json::json!(["sample:latest", "quay.io/org/sample:v1"])
            );
            assert!(manifest[1]["RepoTags"].is_null());
            let d = digests(&sample(), c);
            assert_eq!(
                manifest[0]["Config"],
                format!("{}.json", hex_of(&d.config_digest))
            );
            assert_eq!(
                manifest[0]["Layers"][0],
                format!("{}/layer.tar", d.legacy_ids[0])
            );
            assert_eq!(
                json(&files, "repositories")["sample"]["latest"],
                d.legacy_ids[1].as_str()
            );
        }
    }

    #[test]
    fn docker_symlinked_round_trips() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::DockerSymlinked).layer_compression(c);
            let tar = write_archive(&[sample(), sibling()], &opts).unwrap();
            let members = parse(&tar);
            let files = check_docker_save(&members, c, true);
            assert!(members.iter().all(|(_, k)| *k != Kind::Dir));
            let manifest = json(&files, "manifest.json");
            assert_eq!(
                manifest[0]["RepoTags"],
                serde_json::json!(["docker.io/library/sample:latest", "quay.io/org/sample:v1"])
            );
            assert_eq!(manifest[1]["RepoTags"], serde_json::json!([]));
            let d = digests(&sample(), c);
            let top_link = format!("{}/layer.tar", d.legacy_ids[1]);
            let target = format!("../{}.tar", hex_of(&d.blob_digests[1]));
            assert!(members.contains(&(top_link, Kind::Symlink(target))));
            let repos = json(&files, "repositories");
            assert_eq!(
                repos["docker.io/library/sample"]["latest"],
                d.legacy_ids[1].as_str()
            );
        }
    }

    #[test]
    fn skopeo_dir_round_trips() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::SkopeoDir).layer_compression(c);
            let tar = write_archive(&[sample()], &opts).unwrap();
            let members = parse(&tar);
            let files = files(&members);
            assert_eq!(files["version"], SKOPEO_DIR_VERSION.as_bytes());
            for (path, data) in &files {
                if path != "version" && path != "manifest.json" {
                    assert_eq!(path.len(), 64);
                    assert_eq!(&sha256_hex(data), path);
                }
            }
            let m = json(&files, "manifest.json");
            let (mt, config_mt) = match c {
                Compression::Zstd => (
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.oci.image.config.v1+json",
                ),
                _ => (
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.container.image.v1+json",
                ),
            };
            assert_eq!(m["schemaVersion"], 2);
            assert_eq!(m["mediaType"], mt);
            assert_eq!(m["config"]["mediaType"], config_mt);
            let config_hex = hex_of(m["config"]["digest"].as_str().unwrap());
            let config: Value = serde_json::from_slice(&files[config_hex]).unwrap();
            let layer_mt = match c {
                Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
                Compression::Gzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            };
            for (l, diff_id) in m["layers"]
                .as_array()
                .unwrap()
                .iter()
                .zip(config["rootfs"]["diff_ids"].as_array().unwrap())
            {
                assert_eq!(l["mediaType"], layer_mt);
                let blob = &files[hex_of(l["digest"].as_str().unwrap())];
                assert_eq!(l["size"].as_u64().unwrap(), blob.len() as u64);
                check_layer_blob(blob, c, diff_id.as_str().unwrap());
            }
        }
        let two = write_archive(&[sample(), sibling()], &Options::new(Flavour::SkopeoDir));
        assert_eq!(two.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let none = write_archive(&[], &Options::new(Flavour::SkopeoDir));
        assert_eq!(none.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn manifest_position_follows_option() {
        let meta = [
            "manifest.json",
            "index.json",
            "oci-layout",
            "repositories",
            "version",
        ];
        for f in ALL_FLAVOURS {
            for last in [false, true] {
                let opts = Options::new(f).manifest_last(last);
                let members = parse(&write_archive(&[sample()], &opts).unwrap());
                let is_meta: Vec<bool> = members
                    .iter()
                    .map(|(p, _)| meta.contains(&p.as_str()))
                    .collect();
                let n = is_meta.iter().filter(|m| **m).count();
                assert!(n >= 2, "{f:?}");
                let expect: Vec<bool> = if last {
                    (0..members.len()).map(|i| i >= members.len() - n).collect()
                } else {
                    (0..members.len()).map(|i| i < n).collect()
                };
                assert_eq!(is_meta, expect, "{f:?} manifest_last={last}");
            }
        }
    }

    #[test]
    fn outer_compression_wraps_the_same_tar() {
        for f in ALL_FLAVOURS {
            let plain = write_archive(&[sample()], &Options::new(f)).unwrap();
            for c in [Compression::Gzip, Compression::Zstd] {
                let packed =
                    write_archive(&[sample()], &Options::new(f).outer_compression(c)).unwrap();
                assert!(packed.starts_with(magic(c)), "{f:?} {c:?}");
                assert_eq!(decompress(&packed), plain);
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_diff_ids_agree() {
        let expected = digests(&sample(), Compression::None).diff_ids;
        for f in ALL_FLAVOURS {
            for c in ALL_COMPRESSIONS {
                let opts = Options::new(f)
                    .layer_compression(c)
                    .outer_compression(c)
                    .manifest_last(c == Compression::Gzip);
                let a = write_archive(&[sample()], &opts).unwrap();
                let b = write_archive(&[sample()], &opts).unwrap();
                assert!(a == b, "{f:?} {c:?} not deterministic");
                // the config (same bytes in every flavour) lists the same diff ids
                let files = files(&parse(&decompress(&a)));
                let config_hex = hex_of(&digests(&sample(), c).config_digest).to_owned();
                let config = files
                    .iter()
                    .find(|(p, _)| p.contains(&config_hex))
                    .map(|(_, d)| serde_json::from_slice::<Value>(d).unwrap())
                    .unwrap();
                assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!(expected));
            }
        }
        let mp = |_| write_multi_platform(&[sample(), sibling()], &Options::default()).unwrap();
        assert!(mp(0) == mp(1));
    }

    #[test]
    fn multi_platform_index() {
        for c in ALL_COMPRESSIONS {
            let opts = Options::new(Flavour::OciArchive)
                .layer_compression(c)
                .manifest_last(true);
            let images = [sample(), sibling()];
            let tar = write_multi_platform(&images, &opts).unwrap();
            let members = parse(&tar);
            let index = check_oci(&members, c);
            let files = files(&members);
            let outer = index["manifests"].as_array().unwrap();
            assert_eq!(outer.len(), 1);
            assert_eq!(outer[0]["mediaType"], OCI_INDEX);
            assert_eq!(
                outer[0]["annotations"][ANNOTATION_REF_NAME],
                "sample:latest"
            );
            let nested: Value = serde_json::from_slice(described(&files, &outer[0])).unwrap();
            assert_eq!(nested["mediaType"], OCI_INDEX);
            let platforms: Vec<&Value> = nested["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| &m["platform"])
                .collect();
            assert_eq!(
                platforms,
                [
                    &serde_json::json!({"architecture": "amd64", "os": "linux"}),
                    &serde_json::json!({"architecture": "arm64", "os": "linux", "variant": "v8"}),
                ]
            );
            assert_eq!(
                nested["manifests"][0]["digest"],
                digests(&sample(), c).manifest_digest.as_str()
            );
        }
        let err = write_multi_platform(&[], &Options::default()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn dir_layout_matches_archive() {
        for f in ALL_FLAVOURS {
            let images = if f == Flavour::SkopeoDir {
                vec![sample()]
            } else {
                vec![sample(), sibling()]
            };
            let opts = Options::new(f).layer_compression(Compression::Gzip);
            let tmp = tempfile::tempdir().unwrap();
            write_oci_dir(&images, &opts, tmp.path()).unwrap();
            // writing again over an existing dir works (symlinks replaced)
            write_oci_dir(&images, &opts, tmp.path()).unwrap();
            for (path, kind) in parse(&write_archive(&images, &opts).unwrap()) {
                let p = tmp.path().join(&path);
                match kind {
                    Kind::File(d) => assert_eq!(std::fs::read(&p).unwrap(), d, "{path}"),
                    Kind::Dir => assert!(p.is_dir(), "{path}"),
                    Kind::Symlink(t) => {
                        assert_eq!(std::fs::read_link(&p).unwrap(), Path::new(&t));
                        assert!(p.is_file(), "{path} dangles");
                    }
                    Kind::Other(t) => panic!("unexpected {t:?}"),
                }
            }
        }
    }

    #[test]
    fn constants_are_spelled_per_spec() {
        assert_eq!(OCI_INDEX, "application/vnd.oci.image.index.v1+json");
        assert_eq!(ANNOTATION_REF_NAME, "org.opencontainers.image.ref.name");
        assert_eq!(ANNOTATION_IMAGE_NAME, "io.containerd.image.name");
        assert_eq!(SKOPEO_DIR_VERSION, "Directory Transport Version: 1.1\n");
    }

    #[test]
    fn references_normalise_like_docker() {
        let cases = [
            ("sample", "docker.io/library/sample:latest", "sample:latest"),
            ("sample:1", "docker.io/library/sample:1", "sample:1"),
            ("org/app:2", "docker.io/org/app:2", "org/app:2"),
            ("quay.io/a/b:3", "quay.io/a/b:3", "quay.io/a/b:3"),
            (
                "localhost:5000/x",
                "localhost:5000/x:latest",
                "localhost:5000/x:latest",
            ),
            ("localhost/x:y", "localhost/x:y", "localhost/x:y"),
            (
                "index.docker.io/library/z:1",
                "docker.io/library/z:1",
                "z:1",
            ),
        ];
        for (input, full, familiar) in cases {
            let r = Reference::parse(input);
            assert_eq!(r.full(), full, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
        }
    }
}
