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

use super::{Digest, LayerBlob, Member, MemberContent, RawArchive};
use crate::error::{Error, Result};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest as OciManifest, MediaType};
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

/// An image the archive offers, before it is resolved.
#[derive(Debug, Clone)]
struct Candidate {
    refs: Vec<String>,
    /// Candidates of one group are platform variants of one image.
    group: usize,
    platform: Option<Platform>,
    manifest_digest: Option<Digest>,
    annotations: BTreeMap<String, String>,
    source: CandidateSource,
}

#[derive(Debug, Clone)]
enum CandidateSource {
    DockerSave { config: String, layers: Vec<String> },
    Manifest { member: String, layout: Layout },
    V1 { top: String },
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

#[derive(Deserialize)]
struct DockerSaveEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Option<Vec<String>>,
}

fn candidates(raw: &RawArchive) -> Result<Vec<Candidate>> {
    if let Some(bytes) = json(raw, "manifest.json")? {
        let value: serde_json::Value = parse(raw, "manifest.json", bytes)?;
        match value {
            serde_json::Value::Array(_) => {
                let entries: Vec<DockerSaveEntry> = parse(raw, "manifest.json", bytes)?;
                if entries.is_empty() {
                    return Err(raw.error("manifest.json", "the manifest lists no images"));
                }
                return Ok(entries
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| Candidate {
                        refs: e.repo_tags.unwrap_or_default(),
                        group: i,
                        platform: None,
                        manifest_digest: None,
                        annotations: BTreeMap::new(),
                        source: CandidateSource::DockerSave {
                            config: e.config,
                            layers: e.layers.unwrap_or_default(),
                        },
                    })
                    .collect());
            }
            serde_json::Value::Object(_) => {
                return Ok(vec![Candidate {
                    refs: Vec::new(),
                    group: 0,
                    platform: None,
                    manifest_digest: Some(raw_digest(raw, "manifest.json")),
                    annotations: BTreeMap::new(),
                    source: CandidateSource::Manifest {
                        member: "manifest.json".to_string(),
                        layout: Layout::SkopeoDir,
                    },
                }]);
            }
            serde_json::Value::Null => {
                // Docker 25+ saves also carry index.json; fall through to it if present.
                if !raw.members.contains_key("index.json") {
                    return Err(raw.error(
                        "manifest.json",
                        "the manifest is `null`: the archive names no image",
                    ));
                }
            }
            _ => {
                return Err(raw.error(
                    "manifest.json",
                    "the manifest is neither a docker-save list nor an image manifest",
                ));
            }
        }
    }
    if let Some(bytes) = json(raw, "index.json")? {
        let index: ImageIndex = parse(raw, "index.json", bytes).map_err(|e| match e {
            Error::Input { location, problem } if problem.contains("null") => Error::Input {
                location,
                problem: "the OCI index lists no manifests (`manifests` is null)".to_string(),
            },
            other => other,
        })?;
        let mut out = Vec::new();
        oci_candidates(raw, &index, None, 0, &mut out)?;
        if out.is_empty() {
            return Err(raw.error("index.json", "the OCI index lists no image manifests"));
        }
        return Ok(out);
    }
    if let Some(bytes) = json(raw, "repositories")? {
        let repos: BTreeMap<String, BTreeMap<String, String>> = parse(raw, "repositories", bytes)?;
        let mut out = Vec::new();
        for (repo, tags) in repos {
            for (tag, id) in tags {
                out.push(Candidate {
                    refs: vec![format!("{repo}:{tag}")],
                    group: out.len(),
                    platform: None,
                    manifest_digest: None,
                    annotations: BTreeMap::new(),
                    source: CandidateSource::V1 { top: id },
                });
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
    }
    let names: Vec<&str> = raw.members.keys().take(5).map(String::as_str).collect();
    Err(Error::input(
        &raw.label,
        format!(
            "not an image archive or layout: no manifest.json, index.json or repositories (members: {}{})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
            if raw.members.len() > 5 { ", ..." } else { "" }
        ),
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

fn annotations_of(d: &Descriptor) -> BTreeMap<String, String> {
    d.annotations()
        .as_ref()
        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn is_index(media: &MediaType) -> bool {
    match media {
        MediaType::ImageIndex => true,
        MediaType::Other(s) => s == "application/vnd.docker.distribution.manifest.list.v2+json",
        _ => false,
    }
}

fn is_manifest(media: &MediaType) -> bool {
    match media {
        MediaType::ImageManifest => true,
        MediaType::Other(s) => s == "application/vnd.docker.distribution.manifest.v2+json",
        _ => false,
    }
}

fn oci_candidates(
    raw: &RawArchive,
    index: &ImageIndex,
    parent: Option<(usize, Vec<String>, BTreeMap<String, String>)>,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    if depth > 4 {
        return Err(Error::input(
            &raw.label,
            "image indexes nested more than 4 deep",
        ));
    }
    for d in index.manifests() {
        let annotations = annotations_of(d);
        let mut refs: Vec<String> = annotations
            .get("io.containerd.image.name")
            .into_iter()
            .chain(annotations.get("org.opencontainers.image.ref.name"))
            .cloned()
            .collect();
        refs.dedup();
        let (group, refs, inherited) = match &parent {
            Some((g, parent_refs, parent_ann)) => (*g, parent_refs.clone(), parent_ann.clone()),
            None => (usize::MAX, refs, BTreeMap::new()),
        };
        let attestation = is_attestation(d, &annotations);
        let mut all_annotations = inherited;
        all_annotations.extend(annotations);
        let digest_str = d.digest().to_string();
        let member = blob_member(raw, &digest_str, Layout::Oci);
        if is_index(d.media_type()) {
            let bytes = json(raw, &member)?.ok_or_else(|| {
                raw.error(
                    &member,
                    "the index names this nested index, but the archive does not hold it",
                )
            })?;
            let nested: ImageIndex = parse(raw, &member, bytes)?;
            let group = if parent.is_some() { group } else { out.len() };
            oci_candidates(
                raw,
                &nested,
                Some((group, refs, all_annotations)),
                depth + 1,
                out,
            )?;
        } else if is_manifest(d.media_type()) && !attestation {
            let platform = d.platform().as_ref().map(|p| Platform {
                os: p.os().to_string(),
                architecture: p.architecture().to_string(),
                variant: p.variant().clone(),
            });
            // Direct manifests of one index are variants of one image when they share
            // their names (or have none) and differ by platform.
            let group = if parent.is_some() {
                group
            } else {
                out.iter()
                    .find(|c| c.refs == refs && c.platform.is_some() && platform.is_some())
                    .map(|c| c.group)
                    .unwrap_or(out.len() + 1_000_000)
            };
            out.push(Candidate {
                refs,
                group,
                platform,
                manifest_digest: Digest::parse(&digest_str),
                annotations: all_annotations,
                source: CandidateSource::Manifest {
                    member,
                    layout: Layout::Oci,
                },
            });
        }
        // Other media types (attestations, signatures, artifacts) are not images.
    }
    Ok(())
}

/// Docker 25+ (BuildKit) attestation manifests, provenance and SBOMs, listed in an image's
/// index beside the image with platform `unknown/unknown` and the annotation
/// `vnd.docker.reference.type: attestation-manifest`: never offered as images (the
/// registry source skips them the same way).
fn is_attestation(d: &Descriptor, annotations: &BTreeMap<String, String>) -> bool {
    let unknown = d.platform().as_ref().is_some_and(|p| {
        p.os().to_string() == "unknown" || p.architecture().to_string() == "unknown"
    });
    unknown
        || annotations
            .get("vnd.docker.reference.type")
            .map(String::as_str)
            == Some("attestation-manifest")
}

fn describe_candidate(c: &Candidate) -> String {
    let mut s = if c.refs.is_empty() {
        c.manifest_digest
            .map(|d| d.to_string())
            .unwrap_or_else(|| "(untagged)".to_string())
    } else {
        c.refs.join(", ")
    };
    if let Some(p) = &c.platform {
        s.push_str(&format!(" [{p}]"));
    }
    s
}

fn ref_matches(c: &Candidate, wanted: &str) -> bool {
    let strip = |s: &str| -> String {
        let s = s
            .strip_prefix("docker.io/")
            .unwrap_or(s)
            .strip_prefix("library/")
            .unwrap_or(s);
        s.to_string()
    };
    let wanted_full = if wanted.contains(':') || wanted.contains('@') {
        strip(wanted)
    } else {
        format!("{}:latest", strip(wanted))
    };
    // A bare tag (`test_image_3`) or a bare repository name also picks an image.
    let by_ref = c.refs.iter().any(|r| {
        let r = strip(r);
        let (repo, tag) = r.rsplit_once(':').unwrap_or((r.as_str(), "latest"));
        r == strip(wanted) || r == wanted_full || tag == wanted || repo == wanted
    });
    let by_digest = c.manifest_digest.is_some_and(|d| {
        let full = d.to_string();
        wanted.len() >= 12 && (full.starts_with(wanted) || d.hex().starts_with(wanted))
    });
    by_ref || by_digest
}

fn select<'a>(raw: &RawArchive, all: &'a [Candidate], sel: &Selection) -> Result<&'a Candidate> {
    let mut pool: Vec<&Candidate> = all.iter().collect();
    if let Some(wanted) = &sel.image {
        pool.retain(|c| ref_matches(c, wanted));
        if pool.is_empty() {
            let list: Vec<String> = all.iter().map(describe_candidate).collect();
            return Err(Error::Selection(format!(
                "{}: no image {wanted} in the archive; it holds: {}",
                raw.label,
                list.join("; ")
            )));
        }
    }
    let first_group = pool.first().map(|c| c.group);
    let one_group = pool.iter().all(|c| Some(c.group) == first_group);
    if !one_group {
        let list: Vec<String> = pool.iter().map(|c| describe_candidate(c)).collect();
        return Err(Error::Selection(format!(
            "{}: the archive holds {} images; pick one with --image: {}",
            raw.label,
            pool.len(),
            list.join("; ")
        )));
    }
    if pool.len() > 1 || sel.platform.is_some() {
        if let Some(wanted) = &sel.platform {
            let chosen = pool
                .iter()
                .find(|c| c.platform.as_ref().is_some_and(|p| p.matches(wanted)));
            return chosen.copied().ok_or_else(|| {
                let mut platforms: Vec<String> = pool
                    .iter()
                    .filter_map(|c| c.platform.as_ref().map(|p| p.to_string()))
                    .collect();
                platforms.dedup();
                let list = if platforms.is_empty() {
                    "none stated".to_string()
                } else {
                    platforms.join(", ")
                };
                Error::Selection(format!(
                    "{}: no image for platform {wanted}; the platforms in it are: {list}",
                    raw.label
                ))
            });
        }
        let host = Platform::host();
        if let Some(c) = pool
            .iter()
            .find(|c| c.platform.as_ref().is_some_and(|p| p.matches(&host)))
        {
            return Ok(c);
        }
    }
    pool.first()
        .copied()
        .ok_or_else(|| Error::input(&raw.label, "the archive names no image"))
}

#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RawRunConfig>,
    #[serde(default)]
    rootfs: Option<RawRootfs>,
    #[serde(default)]
    history: Option<Vec<RawHistory>>,
    // v1 metadata (pre-1.10 saves)
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    container_config: Option<RawRunConfig>,
}

#[derive(Deserialize, Default)]
struct RawRunConfig {
    #[serde(rename = "User", default)]
    user: Option<String>,
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Entrypoint", default)]
    entrypoint: Option<serde_json::Value>,
    #[serde(rename = "Cmd", default)]
    cmd: Option<serde_json::Value>,
    #[serde(rename = "ExposedPorts", default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "WorkingDir", default)]
    working_dir: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct RawHistory {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: Option<bool>,
    #[serde(default)]
    comment: Option<String>,
}

fn strings(v: &Option<serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn load_config(raw: &RawArchive, member: &str) -> Result<(ImageConfig, Digest, Vec<String>)> {
    let real = follow(raw, member)?;
    let bytes = json(raw, &real)?.ok_or_else(|| {
        raw.error(
            member,
            "the manifest names this config, but the archive does not hold it",
        )
    })?;
    let parsed: RawConfig = parse(raw, &real, bytes)?;
    let mut warnings = Vec::new();
    let run = parsed.config.unwrap_or_default();
    let diff_ids = parsed
        .rootfs
        .and_then(|r| r.diff_ids)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| {
            let parsed = Digest::parse(d);
            if parsed.is_none() {
                warnings.push(format!(
                    "config {member}: diff_id {d} is not a sha256 digest"
                ));
            }
            parsed
        })
        .collect();
    let config = ImageConfig {
        os: parsed.os.unwrap_or_default(),
        architecture: parsed.architecture.unwrap_or_default(),
        variant: parsed.variant,
        user: run.user.unwrap_or_default(),
        env: run.env.unwrap_or_default(),
        labels: run
            .labels
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        cmd: strings(&run.entrypoint)
            .into_iter()
            .chain(strings(&run.cmd))
            .collect(),
        exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
        working_dir: run.working_dir.unwrap_or_default(),
        diff_ids,
        history: parsed
            .history
            .unwrap_or_default()
            .into_iter()
            .map(|h| HistoryEntry {
                created_by: h.created_by,
                empty_layer: h.empty_layer.unwrap_or(false),
                comment: h.comment,
            })
            .collect(),
    };
    let digest = raw
        .members
        .get(&real)
        .and_then(|m| m.sha256)
        .unwrap_or_default();
    Ok((config, digest, warnings))
}

fn layer_ref(raw: &RawArchive, listed: &str, descriptor: Option<&Descriptor>) -> Result<LayerRef> {
    let member = follow(raw, listed).map_err(|e| match (e, descriptor) {
        (Error::Input { location, problem }, Some(d))
            if problem.contains("does not hold") && d.urls().is_some() =>
        {
            Error::Input {
                location,
                problem: "a foreign layer (it lives at a URL, not in the archive)".to_string(),
            }
        }
        (e, _) => e,
    })?;
    match raw.members.get(&member).map(|m| &m.content) {
        Some(MemberContent::Layer(_)) => {}
        Some(MemberContent::Other { looks_like }) => {
            return Err(raw.error(listed, format!("not a layer tar: {looks_like}")));
        }
        Some(_) => return Err(raw.error(listed, "not a layer tar")),
        None => return Err(raw.error(listed, "the archive does not hold this layer")),
    }
    Ok(LayerRef {
        member,
        listed_as: listed.to_string(),
        digest: descriptor.and_then(|d| Digest::parse(d.digest().as_ref())),
        media_type: descriptor.map(|d| d.media_type().to_string()),
        size: descriptor.map(|d| d.size()),
    })
}

fn resolve_docker_save(raw: &RawArchive, config: &str, layers: &[String]) -> Result<ImageManifest> {
    let config_member = super::normalize_member(config)
        .ok_or_else(|| raw.error(config, "config path climbs above the archive root"))?;
    let (config, config_digest, warnings) = load_config(raw, &config_member)?;
    let layers = layers
        .iter()
        .map(|l| {
            let name = super::normalize_member(l)
                .ok_or_else(|| raw.error(l, "layer path climbs above the archive root"))?;
            layer_ref(raw, &name, None)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ImageManifest {
        layout: Layout::DockerArchive,
        refs: Vec::new(),
        manifest_digest: None,
        config_digest,
        config,
        layers,
        annotations: BTreeMap::new(),
        warnings,
        images_in_archive: 1,
    })
}

fn resolve_manifest(raw: &RawArchive, member: &str, layout: Layout) -> Result<ImageManifest> {
    let bytes = json(raw, member)?.ok_or_else(|| {
        raw.error(
            member,
            "the index names this manifest, but the archive does not hold it",
        )
    })?;
    let manifest: OciManifest = parse(raw, member, bytes)?;
    let config_member = blob_member(raw, manifest.config().digest().as_ref(), layout);
    let (config, config_digest, warnings) = load_config(raw, &config_member)?;
    let layers = manifest
        .layers()
        .iter()
        .map(|d| layer_ref(raw, &blob_member(raw, d.digest().as_ref(), layout), Some(d)))
        .collect::<Result<Vec<_>>>()?;
    let annotations = manifest
        .annotations()
        .as_ref()
        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(ImageManifest {
        layout,
        refs: Vec::new(),
        manifest_digest: Some(raw_digest(raw, member)),
        config_digest,
        config,
        layers,
        annotations,
        warnings,
        images_in_archive: 1,
    })
}

/// A pre-1.10 save: `<id>/json` files chained by `parent`, each with its `<id>/layer.tar`.
fn resolve_v1(raw: &RawArchive, top: &str) -> Result<ImageManifest> {
    let mut chain = Vec::new();
    let mut current = Some(top.to_string());
    let mut top_config = None;
    while let Some(id) = current {
        if chain.len() > 1000 || chain.contains(&id) {
            return Err(raw.error(&format!("{id}/json"), "the v1 parent chain loops"));
        }
        let member = format!("{id}/json");
        let bytes = json(raw, &member)?.ok_or_else(|| {
            raw.error(
                &member,
                "the v1 metadata names this layer, but the archive does not hold it",
            )
        })?;
        let parsed: RawConfig = parse(raw, &member, bytes)?;
        current = parsed.parent.clone().filter(|p| !p.is_empty());
        if top_config.is_none() {
            top_config = Some(member.clone());
        }
        chain.push(id);
    }
    chain.reverse();
    let top_member = top_config.unwrap_or_default();
    let (mut config, config_digest, warnings) = load_config(raw, &top_member)?;
    config.history = chain
        .iter()
        .map(|id| {
            let created_by = json(raw, &format!("{id}/json"))
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<RawConfig>(b).ok())
                .and_then(|c| c.container_config)
                .map(|c| strings(&c.cmd).join(" "))
                .filter(|s| !s.is_empty());
            HistoryEntry {
                created_by,
                empty_layer: false,
                comment: None,
            }
        })
        .collect();
    let layers = chain
        .iter()
        .map(|id| layer_ref(raw, &format!("{id}/layer.tar"), None))
        .collect::<Result<Vec<_>>>()?;
    Ok(ImageManifest {
        layout: Layout::DockerV1,
        refs: Vec::new(),
        manifest_digest: None,
        config_digest,
        config,
        layers,
        annotations: BTreeMap::new(),
        warnings,
        images_in_archive: 1,
    })
}

/// Checks that every member named by a digest holds bytes with that digest, and that
/// descriptor sizes and digests match what was read. Members that were not hashed (layers
/// without `--verify`) are checked for size only.
fn verify_digest_names(raw: &RawArchive, image: &ImageManifest) -> Result<()> {
    for (name, member) in &raw.members {
        let Some(claimed) = digest_in_name(name) else {
            continue;
        };
        if let MemberContent::Link(_) = member.content {
            continue;
        }
        let Some(sha256) = member.sha256 else {
            continue;
        };
        let ok = sha256 == claimed
            || matches!(&member.content, MemberContent::Layer(b) if b.diff_id == claimed);
        if !ok {
            return Err(raw.error(
                name,
                format!("the blob's SHA-256 does not match its name (content is {sha256})"),
            ));
        }
    }
    for layer in &image.layers {
        let Some(member) = raw.members.get(&layer.member) else {
            continue;
        };
        if let (Some(d), Some(sha256)) = (layer.digest, member.sha256)
            && d != sha256
        {
            return Err(raw.error(
                &layer.member,
                format!("the manifest says digest {d}, the blob's is {sha256}"),
            ));
        }
        if let Some(size) = layer.size
            && size != member.size
        {
            return Err(raw.error(
                &layer.member,
                format!(
                    "the manifest says {size} bytes, the blob holds {}",
                    member.size
                ),
            ));
        }
    }
    Ok(())
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
