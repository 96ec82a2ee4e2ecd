//! After EOF: which images the archive holds, which one was asked for, and its layers in
//! order with their config and history.
//!
//! Layouts understood, tried in this order:
//! - `manifest.json` as an array: `docker save` (legacy `<id>/layer.tar`, podman's symlinked
//!   layers, Docker 25+ `blobs/sha256/...` paths);
//! - `manifest.json` as an object: a skopeo `dir:` (schema-2 manifest, blobs by bare hex);
//! - `index.json`: an OCI image layout (index -> manifest, possibly through nested
//!   indexes, with platforms);
//! - `repositories` with `<id>/json`: a pre-1.10 `docker save` (v1 parent chains).
//!
//! Member links (podman writes `<id>/layer.tar` as a tar symlink) are followed inside the
//! archive only, with loop detection.
//!
//! Here: the types and [`resolve`]; the images an archive offers and the pick among them
//! are in `candidates`, each layout's manifest in `layouts`, the image config in `config`.

mod candidates;
mod config;
mod layouts;

use super::{Digest, LayerBlob, Member, MemberContent, RawArchive};
use crate::error::Result;
use candidates::{CandidateSource, candidates, select};
use layouts::{resolve_docker_save, resolve_manifest, resolve_v1, verify_digest_names};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Which layout the image was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `docker save` / `podman save --format docker-archive` (manifest.json).
    DockerArchive,
    /// An OCI image layout (index.json), as a tar or a folder.
    Oci,
    /// A skopeo `dir:` layout.
    SkopeoDir,
    /// A pre-1.10 `docker save` (repositories and v1 json).
    DockerV1,
}

impl Layout {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::DockerArchive => "docker-archive",
            Layout::Oci => "oci",
            Layout::SkopeoDir => "skopeo-dir",
            Layout::DockerV1 => "docker-v1",
        }
    }
}

pub use crate::source::platform::Platform;

/// What the user asked for when an archive holds several images.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A tag, name or digest (`--image`).
    pub image: Option<String>,
    /// `--platform os/arch[/variant]`.
    pub platform: Option<Platform>,
}

/// One entry of the config's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The instruction, as the builder recorded it.
    pub created_by: Option<String>,
    /// True for instructions that made no layer (ENV, LABEL, ...).
    pub empty_layer: bool,
    /// A builder's comment.
    pub comment: Option<String>,
}

/// The parts of the image config that the reports use.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`.
    pub architecture: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
    /// The `User` the container runs as (empty: root).
    pub user: String,
    /// `Env` entries, `NAME=value`.
    pub env: Vec<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `Entrypoint` + `Cmd`, for the record.
    pub cmd: Vec<String>,
    /// `ExposedPorts` keys.
    pub exposed_ports: Vec<String>,
    /// `WorkingDir`.
    pub working_dir: String,
    /// `rootfs.diff_ids`.
    pub diff_ids: Vec<Digest>,
    /// `history`, in order.
    pub history: Vec<HistoryEntry>,
}

/// One layer of the selected image, as the manifest names it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// The member that holds the blob (links already followed).
    pub member: String,
    /// The member name the manifest used (before following links).
    pub listed_as: String,
    /// The descriptor's digest, where the layout has descriptors.
    pub digest: Option<Digest>,
    /// The descriptor's media type.
    pub media_type: Option<String>,
    /// The descriptor's size.
    pub size: Option<u64>,
}

/// The image picked from the archive, resolved to members.
#[derive(Debug, Clone)]
pub struct ImageManifest {
    /// How it was stored.
    pub layout: Layout,
    /// Tags or names the archive gives it.
    pub refs: Vec<String>,
    /// Digest of the manifest, where there is one.
    pub manifest_digest: Option<Digest>,
    /// Digest of the config: the image id.
    pub config_digest: Digest,
    /// The config.
    pub config: ImageConfig,
    /// The layers, bottom first.
    pub layers: Vec<LayerRef>,
    /// Manifest (and index descriptor) annotations.
    pub annotations: BTreeMap<String, String>,
    /// Non-fatal oddities met while resolving.
    pub warnings: Vec<String>,
    /// How many images (platform variants included) the archive offers.
    pub images_in_archive: usize,
}

impl LayerRef {
    /// Fills in the digests of this layer's blob, when it was not hashed, with what the
    /// archive states: the descriptor's digest, else the one in the member's name, and
    /// `config_diff_id`, the config's diff_id for the layer.
    pub fn settle(&self, blob: &mut LayerBlob, config_diff_id: Option<Digest>) {
        blob.settle(
            self.digest.or_else(|| digest_in_name(&self.member)),
            config_diff_id,
        );
    }
}

impl ImageManifest {
    /// The diff_ids of the image's layers as `raw` read them (settled as the index
    /// settles them), bottom first; a layer whose member is not a layer is left out.
    pub fn diff_ids(&self, raw: &RawArchive) -> Vec<Digest> {
        self.layers
            .iter()
            .enumerate()
            .filter_map(
                |(i, l)| match raw.members.get(&l.member).map(|m| &m.content) {
                    Some(MemberContent::Layer(b)) => {
                        let mut b = b.clone();
                        l.settle(&mut b, self.config.diff_ids.get(i).copied());
                        Some(b.diff_id)
                    }
                    _ => None,
                },
            )
            .collect()
    }
}

/// Finds the images in `raw`, picks the one `selection` names, and resolves it.
pub fn resolve(raw: &RawArchive, selection: &Selection) -> Result<ImageManifest> {
    let mut candidates = candidates(raw)?;
    if selection.platform.is_some() {
        // A `docker save` entry or a manifest outside an index states no platform: its
        // config does, and `--platform` is checked against that (and listed when no
        // image has it).
        for c in candidates.iter_mut().filter(|c| c.platform.is_none()) {
            if let Ok(image) = resolve_source(raw, &c.source) {
                let cfg = &image.config;
                c.platform = Some(Platform {
                    os: cfg.os.clone(),
                    architecture: cfg.architecture.clone(),
                    variant: cfg.variant.clone(),
                });
            }
        }
    }
    let chosen = select(raw, &candidates, selection)?;
    let mut image = resolve_source(raw, &chosen.source)?;
    image.refs.clone_from(&chosen.refs);
    image.images_in_archive = candidates.len();
    if image.manifest_digest.is_none() {
        image.manifest_digest = chosen.manifest_digest;
    }
    for (k, v) in &chosen.annotations {
        image
            .annotations
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    verify_digest_names(raw, &image)?;
    Ok(image)
}

fn resolve_source(raw: &RawArchive, source: &CandidateSource) -> Result<ImageManifest> {
    match source {
        CandidateSource::DockerSave { config, layers } => resolve_docker_save(raw, config, layers),
        CandidateSource::Manifest { member, layout } => resolve_manifest(raw, member, *layout),
        CandidateSource::V1 { top } => resolve_v1(raw, top),
    }
}

fn json<'a>(raw: &'a RawArchive, name: &str) -> Result<Option<&'a [u8]>> {
    match raw.members.get(name).map(|m| &m.content) {
        None => Ok(None),
        Some(MemberContent::Json(bytes)) => Ok(Some(bytes)),
        Some(MemberContent::TooLarge) => Err(raw.error(
            name,
            "JSON member is larger than the limit for buffered JSON (--max-json-bytes)",
        )),
        Some(MemberContent::Link(_)) => {
            let target = follow(raw, name)?;
            json(raw, &target)
        }
        Some(_) => Err(raw.error(name, "expected JSON, found something else")),
    }
}

fn parse<'a, T: Deserialize<'a>>(raw: &RawArchive, name: &str, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| raw.error(name, format!("malformed JSON: {e}")))
}

/// Follows member links (symlinks, hard links) to the member that holds the bytes.
fn follow(raw: &RawArchive, name: &str) -> Result<String> {
    let mut current = name.to_string();
    for _ in 0..16 {
        match raw.members.get(&current).map(|m| &m.content) {
            Some(MemberContent::Link(target)) => {
                if *target == current {
                    return Err(raw.error(name, "the member is a link to itself"));
                }
                current.clone_from(target);
            }
            Some(_) => return Ok(current),
            None if current == name => {
                return Err(raw.error(
                    name,
                    "the manifest names this member, but the archive does not hold it",
                ));
            }
            None => {
                return Err(raw.error(
                    name,
                    format!("the member links to {current}, which the archive does not hold"),
                ));
            }
        }
    }
    Err(raw.error(
        name,
        "the member is a chain of more than 16 links (a loop?)",
    ))
}

fn raw_digest(raw: &RawArchive, name: &str) -> Digest {
    raw.members
        .get(name)
        .and_then(|m| m.sha256)
        .unwrap_or_default()
}

/// The member that holds a blob: `blobs/<alg>/<hex>` in OCI layouts, the bare hex in a
/// skopeo dir.
fn blob_member(raw: &RawArchive, digest: &str, layout: Layout) -> String {
    let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    match layout {
        Layout::SkopeoDir => {
            if raw.members.contains_key(hex) {
                hex.to_string()
            } else {
                format!("{hex}.tar")
            }
        }
        _ => format!("blobs/{alg}/{hex}"),
    }
}

/// The digest a member's name claims: `blobs/sha256/<hex>`, `<hex>`, `<hex>.tar`,
/// `<hex>.json` (docker save names configs by their digest).
pub fn digest_in_name(name: &str) -> Option<Digest> {
    if let Some(hex) = name.strip_prefix("blobs/sha256/") {
        return Digest::parse(hex);
    }
    if name.contains('/') {
        return None;
    }
    let stem = name
        .strip_suffix(".tar")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(name);
    Digest::parse(stem)
}

/// The member, if the archive holds it under that name (links followed).
pub fn member<'a>(raw: &'a RawArchive, name: &str) -> Option<&'a Member> {
    let real = follow(raw, name).ok()?;
    raw.members.get(&real)
}
