//! Images in a registry (`docker://`), read over the OCI Distribution API without
//! writing anything to disk.
//!
//! [`open`] fetches the manifest (following an image index or Docker manifest list to the
//! platform asked for, never to an attestation manifest), and the config, and checks both
//! against their digests. What it returns is an image as the archive stage reads layout
//! folders: named members (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) in the order
//! an OCI layout would list them, the small ones in memory and each layer blob as a
//! stream ([`RemoteImage::blobs`]). The archive stage decompresses and indexes each layer
//! as its bytes arrive; up to [`Options::jobs`] layers are downloaded at once, each into a
//! bounded buffer, while the layers are still applied in order.

mod ahead;
pub mod auth;
mod blobs;
pub mod client;
mod error;
pub mod pair;
mod request_error;

pub use blobs::{Blob, Blobs};
pub use error::OpenError;

use super::reference::Reference;
use super::{BlobStream, MemberSource, SourceBlob, SourceBlobs, SourceMember};
use client::{BlobReader, Client, Connect, Schemes, Traffic};
use sha2::{Digest as _, Sha256};
use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Manifest and index media types we ask for, in order of preference.
pub const ACCEPT: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const IMAGE_CONFIGS: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// How to read from a registry.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--platform`, as `os/arch[/variant]`; default this machine's.
    pub platform: Option<(String, String, Option<String>)>,
    /// `--creds USER[:PASS]`.
    pub creds: Option<String>,
    /// `--authfile FILE`.
    pub authfile: Option<PathBuf>,
    /// TLS and timeouts.
    pub connect: Connect,
    /// Layers downloaded at once (`--jobs`).
    pub jobs: usize,
    /// Largest manifest or config read, in bytes.
    pub max_json_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            platform: None,
            creds: None,
            authfile: None,
            connect: Connect {
                tls_verify: true,
                cert_dir: None,
                timeout_secs: 60,
            },
            jobs: 3,
            max_json_bytes: 16 << 20,
        }
    }
}

/// One layer as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDescriptor {
    /// `sha256:...`.
    pub digest: String,
    /// Bytes as stored.
    pub size: u64,
    /// The descriptor's media type.
    pub media_type: String,
}

/// An image in a registry, resolved to one manifest, with its config in hand.
#[derive(Debug)]
pub struct RemoteImage {
    /// `docker://registry/repo:tag`, how messages name it.
    pub label: String,
    /// The reference as given.
    pub reference: Reference,
    /// The manifest's bytes and digest.
    pub manifest: Vec<u8>,
    /// `sha256:...` of [`RemoteImage::manifest`].
    pub manifest_digest: String,
    /// The manifest's media type.
    pub manifest_media_type: String,
    /// The config's bytes.
    pub config: Vec<u8>,
    /// `sha256:...` of the config.
    pub config_digest: String,
    /// The layers, bottom first.
    pub layers: Vec<LayerDescriptor>,
    /// The platform picked from an index, if there was one.
    pub platform: Option<String>,
    client: Arc<Client>,
    jobs: usize,
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        crate::source::digest::hex(&Sha256::digest(bytes))
    )
}

/// `bytes` (`what`) must hash to their descriptor's `digest` and have its `size`, stated
/// in `whose` descriptor (`index's`, `manifest's`).
fn check_described(
    bytes: &[u8],
    digest: &str,
    size: u64,
    label: &str,
    what: String,
    whose: &str,
    advice: &'static str,
) -> Result<(), OpenError> {
    let got = sha256(bytes);
    if got == digest && bytes.len() as u64 == size {
        return Ok(());
    }
    Err(OpenError::Mismatch {
        label: label.to_string(),
        what,
        bytes: bytes.len(),
        got,
        described: format!("{whose} {size}"),
        advice,
    })
}

fn json(bytes: &[u8], label: &str, what: &str) -> Result<serde_json::Value, OpenError> {
    serde_json::from_slice(bytes).map_err(|error| OpenError::NotJson {
        label: label.to_string(),
        what: what.to_string(),
        error,
    })
}

/// The client's `failure`, for the image `label`.
fn client_error(label: &str) -> impl FnOnce(client::RequestError) -> OpenError + '_ {
    move |failure| OpenError::Client {
        label: label.to_string(),
        failure: Box::new(failure),
    }
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

/// Connects, resolves the reference to one image manifest and fetches its config.
pub fn open(reference: &Reference, opts: &Options) -> Result<RemoteImage, OpenError> {
    open_beside(reference, opts, None)
}

/// [`open`], taking the config from `known` (an image opened already, verified against
/// the same digest) instead of fetching it again when both name one config: `diff` of
/// two tags of one image.
pub fn open_beside(
    reference: &Reference,
    opts: &Options,
    known: Option<&RemoteImage>,
) -> Result<RemoteImage, OpenError> {
    let (mut image, config_size) = resolve(reference, opts)?;
    image.config = match known.filter(|k| k.config_digest == image.config_digest) {
        Some(k) => k.config.clone(),
        None => fetch_config(&image, config_size, opts.max_json_bytes)?,
    };
    Ok(image)
}

/// [`open`] for a read of the layers: the first layer blobs' requests go out as soon as
/// the manifest names them, before the config is fetched, instead of one round trip
/// after it.
///
/// Why: before any blob, a read waited for three answers in a row (`/v2/`, the manifest,
/// the config). Against a local docker-registry each took 1.5-9 ms (`curl`), and on a
/// real network each is a round trip; the config's is the one a layer read need not
/// wait for.
///
/// The config is asked for only once the archive stage reads it, after the layout and
/// the manifest: on two cores the layer workers are decoding the first blobs by then.
/// Against a local docker-registry answering the config beside seven blob requests, it
/// came 8-11 ms after the manifest, and the workers had waited for it.
pub fn open_to_read(reference: &Reference, opts: &Options) -> Result<Members, OpenError> {
    let (image, config_size) = resolve(reference, opts)?;
    let mut blobs = image.blobs();
    blobs.ask_now();
    // The config and the index (which names the config's platform) come later.
    let small = VecDeque::from([
        layout_member(),
        (blob_member(&image.manifest_digest), image.manifest.clone()),
    ]);
    let mut members = Members::from_parts(small, blobs, vec![image]);
    members.config_to_fetch = Some(ConfigToFetch {
        size: config_size,
        limit: opts.max_json_bytes,
    });
    Ok(members)
}

/// The `oci-layout` member of a layout.
fn layout_member() -> (String, Vec<u8>) {
    (
        "oci-layout".to_string(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )
}

/// The layout member name of the blob `sha256:HEX`: `blobs/sha256/HEX`.
fn blob_member(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

/// The config of the image a [`Members`] reads, not fetched yet ([`open_to_read`]).
struct ConfigToFetch {
    /// Its size in the manifest.
    size: u64,
    /// [`Options::max_json_bytes`].
    limit: u64,
}

/// Connects and resolves `reference` to one image manifest, checked: the image with its
/// config not fetched yet (empty), and the config's size in the manifest.
fn resolve(reference: &Reference, opts: &Options) -> Result<(RemoteImage, u64), OpenError> {
    let label = format!("docker://{reference}");
    let wanted = reference.manifest_ref().to_string();
    let first = client::First {
        path: &format!("manifests/{wanted}"),
        accept: ACCEPT,
    };
    let client = Arc::new(connect(reference, opts, &label, first)?);
    let what = if reference.digest.is_some() {
        format!("manifest {wanted}")
    } else {
        format!("tag {wanted}")
    };
    let (mut bytes, mut media) = fetch_manifest(&client, &wanted, &what, opts)?;
    if let Some(d) = &reference.digest
        && sha256(&bytes) != *d
    {
        return Err(OpenError::ManifestDigest {
            got: sha256(&bytes),
            wanted: d.clone(),
            label,
        });
    }
    let mut platform = None;
    let mut depth = 0;
    while media == OCI_INDEX || media == DOCKER_LIST {
        depth += 1;
        if depth > 4 {
            return Err(OpenError::NestedIndexes { label });
        }
        let index = json(&bytes, &label, "the image index")?;
        let (digest, size, plat) = pick_platform(&index, opts.platform.as_ref(), &label)?;
        let (b, m) = fetch_manifest(
            &client,
            &digest,
            &format!("manifest {digest} ({plat})"),
            opts,
        )?;
        let what = format!("manifest {digest} ({plat})");
        check_described(&b, &digest, size, &label, what, "index's", "")?;
        platform = Some(plat);
        bytes = b;
        media = m;
    }
    let manifest = json(&bytes, &label, "the manifest")?;
    check_image_manifest(&manifest, &media, &label)?;
    let config_desc = manifest.get("config").cloned().unwrap_or_default();
    let config_digest = s(&config_desc, "digest").unwrap_or_default().to_string();
    let config_size = config_desc
        .get("size")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    let layers = layer_descriptors(&manifest, &label)?;
    let image = RemoteImage {
        label,
        reference: reference.clone(),
        manifest_digest: sha256(&bytes),
        manifest: bytes,
        manifest_media_type: media,
        config: Vec::new(),
        config_digest,
        layers,
        platform,
        client,
        jobs: opts.jobs.max(1),
    };
    Ok((image, config_size))
}

/// The config `image`'s manifest names, checked against its descriptor.
fn fetch_config(image: &RemoteImage, size: u64, limit: u64) -> Result<Vec<u8>, OpenError> {
    let digest = &image.config_digest;
    let what = format!("config {digest}");
    let (config, _) = image
        .client
        .get_small(&format!("blobs/{digest}"), &[], limit, &what)
        .map_err(client_error(&image.label))?;
    let advice = "; the blob is corrupt in the registry";
    check_described(
        &config,
        digest,
        size,
        &image.label,
        what,
        "manifest's",
        advice,
    )?;
    Ok(config)
}

/// Looks up credentials and connects to the registry of `reference`.
/// `first` is the request the caller makes first: it goes out beside the ping.
fn connect(
    reference: &Reference,
    opts: &Options,
    label: &str,
    first: client::First<'_>,
) -> Result<Client, OpenError> {
    let found = auth::lookup(
        &reference.registry,
        &reference.repository,
        opts.creds.as_deref(),
        opts.authfile.as_deref(),
    )
    .map_err(|error| OpenError::Auth {
        label: label.to_string(),
        error,
    })?;
    let schemes = if reference.is_loopback() {
        Schemes::PlainThenHttps
    } else if !opts.connect.tls_verify {
        Schemes::HttpsThenPlain
    } else {
        Schemes::HttpsOnly
    };
    Client::connect(
        &reference.registry,
        reference.api_host(),
        &reference.repository,
        schemes,
        &opts.connect,
        found,
        Some(first),
    )
    .map_err(client_error(label))
}

/// The manifest's layers; a foreign layer or a digest that is not sha256 is an error.
fn layer_descriptors(
    manifest: &serde_json::Value,
    label: &str,
) -> Result<Vec<LayerDescriptor>, OpenError> {
    manifest
        .get("layers")
        .and_then(|l| l.as_array())
        .map(|l| l.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if d.get("urls").is_some_and(|u| u.as_array().is_some_and(|a| !a.is_empty())) {
                return Err(OpenError::Layer {
                    label: label.to_string(),
                    layer: i + 1,
                    problem: "a foreign layer (it lives at a URL outside the registry), which deadweight does not fetch".to_string(),
                });
            }
            let digest = s(d, "digest").unwrap_or_default().to_string();
            if crate::source::digest::Digest::parse(&digest).is_none() {
                return Err(OpenError::Layer {
                    label: label.to_string(),
                    layer: i + 1,
                    problem: format!("digest {digest:?} is not a sha256 digest"),
                });
            }
            Ok(LayerDescriptor {
                digest,
                size: d.get("size").and_then(|v| v.as_u64()).unwrap_or(0),
                media_type: s(d, "mediaType").unwrap_or_default().to_string(),
            })
        })
        .collect()
}

fn fetch_manifest(
    client: &Client,
    reference: &str,
    what: &str,
    opts: &Options,
) -> Result<(Vec<u8>, String), OpenError> {
    let label = format!("docker://{}/{}", client.registry, client.repository);
    let (bytes, content_type) = client
        .get_small(
            &format!("manifests/{reference}"),
            ACCEPT,
            opts.max_json_bytes,
            what,
        )
        .map_err(client_error(&label))?;
    let value = json(&bytes, &label, what)?;
    // The body's mediaType wins; the Content-Type header speaks for bodies without one.
    let media = s(&value, "mediaType")
        .map(str::to_string)
        .or_else(|| {
            content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_string())
        })
        .unwrap_or_default();
    let media = if media.is_empty() || media == "application/json" {
        if value.get("manifests").is_some() {
            OCI_INDEX.to_string()
        } else {
            OCI_MANIFEST.to_string()
        }
    } else {
        media
    };
    if value.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1)
        || media.contains("distribution.manifest.v1")
    {
        return Err(OpenError::SchemaOne {
            label,
            what: what.to_string(),
        });
    }
    Ok((bytes, media))
}

/// True for index entries that are not images: Docker 25+ attestation manifests (BuildKit
/// provenance and SBOMs), listed with platform `unknown/unknown`.
fn is_attestation(entry: &serde_json::Value) -> bool {
    let platform = entry.get("platform");
    let unknown = platform
        .is_some_and(|p| s(p, "os") == Some("unknown") || s(p, "architecture") == Some("unknown"));
    let annotated = entry
        .get("annotations")
        .and_then(|a| s(a, "vnd.docker.reference.type"))
        == Some("attestation-manifest");
    unknown || annotated
}

/// The entry of an index for the platform asked for (default: this machine's).
fn pick_platform(
    index: &serde_json::Value,
    wanted: Option<&(String, String, Option<String>)>,
    label: &str,
) -> Result<(String, u64, String), OpenError> {
    let host = crate::source::platform::Platform::host();
    let (os, arch, variant) = match wanted {
        Some((o, a, v)) => (o.clone(), a.clone(), v.clone()),
        None => (host.os, host.architecture, None),
    };
    let entries: Vec<&serde_json::Value> = index
        .get("manifests")
        .and_then(|m| m.as_array())
        .map(|m| m.iter().filter(|e| !is_attestation(e)).collect())
        .unwrap_or_default();
    let name = |e: &serde_json::Value| -> String {
        let p = e.get("platform").cloned().unwrap_or_default();
        let mut n = format!(
            "{}/{}",
            s(&p, "os").unwrap_or("?"),
            s(&p, "architecture").unwrap_or("?")
        );
        if let Some(v) = s(&p, "variant") {
            n.push('/');
            n.push_str(v);
        }
        n
    };
    let matches = |e: &&&serde_json::Value| {
        let p = e.get("platform").cloned().unwrap_or_default();
        s(&p, "os") == Some(os.as_str())
            && s(&p, "architecture") == Some(arch.as_str())
            && (variant.is_none() || s(&p, "variant") == variant.as_deref())
    };
    let chosen = entries.iter().find(matches).or_else(|| {
        // An index without platforms (one image) stands for itself.
        (wanted.is_none()
            && entries.len() == 1
            && entries.first().is_some_and(|e| e.get("platform").is_none()))
        .then(|| entries.first())
        .flatten()
    });
    let Some(entry) = chosen else {
        let offered: Vec<String> = entries.iter().map(|e| name(e)).collect();
        let asked = match &variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        };
        let problem = if offered.is_empty() {
            "the image index lists no images (only attestations, or nothing)".to_string()
        } else {
            format!(
                "no image for platform {asked}; the index offers {}; pick one with --platform",
                offered.join(", ")
            )
        };
        return Err(OpenError::Index {
            label: label.to_string(),
            problem,
        });
    };
    let digest = s(entry, "digest").unwrap_or_default().to_string();
    if crate::source::digest::Digest::parse(&digest).is_none() {
        return Err(OpenError::Index {
            label: label.to_string(),
            problem: format!("the index names manifest {digest:?}, not a sha256 digest"),
        });
    }
    let size = entry.get("size").and_then(|v| v.as_u64()).unwrap_or(0);
    Ok((digest, size, name(entry)))
}

/// An artifact (a Helm chart, a signature, an SBOM pushed with ORAS) is a manifest whose
/// config is not an image config: say so instead of failing on its blobs.
fn check_image_manifest(m: &serde_json::Value, media: &str, label: &str) -> Result<(), OpenError> {
    if media != OCI_MANIFEST && media != DOCKER_MANIFEST {
        return Err(OpenError::NotAnImage {
            label: label.to_string(),
            kind: format!("the manifest's media type is {media}: an artifact or unknown kind"),
            why: "",
        });
    }
    let config_media = m
        .get("config")
        .and_then(|c| s(c, "mediaType"))
        .unwrap_or_default();
    let artifact_type = s(m, "artifactType");
    if !IMAGE_CONFIGS.contains(&config_media) || artifact_type.is_some() {
        let kind = artifact_type.unwrap_or(config_media);
        return Err(OpenError::NotAnImage {
            label: label.to_string(),
            kind: format!("an artifact of type {kind}"),
            why: " (its config is not an image config)",
        });
    }
    Ok(())
}

/// A member of the layout the registry image is read as.
pub struct Member {
    /// `oci-layout`, `index.json`, `blobs/sha256/<hex>`.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Which layer (1-based), for layer blobs.
    pub layer: Option<usize>,
}

impl RemoteImage {
    /// What was asked of the network so far.
    pub fn traffic(&self) -> Arc<Traffic> {
        Arc::clone(&self.client.traffic)
    }

    /// `index.json` of the layout: one manifest, named by the reference.
    fn index_json(&self) -> Vec<u8> {
        let mut annotations = serde_json::Map::new();
        annotations.insert(
            "io.containerd.image.name".to_string(),
            self.reference.to_string().into(),
        );
        let mut entry = serde_json::json!({
            "mediaType": self.manifest_media_type,
            "digest": self.manifest_digest,
            "size": self.manifest.len(),
            "annotations": annotations,
        });
        // The config's platform, so that `--platform` is checked against a one-platform
        // image too.
        let config: serde_json::Value = serde_json::from_slice(&self.config).unwrap_or_default();
        if let (Some(os), Some(arch)) = (s(&config, "os"), s(&config, "architecture")) {
            let mut platform = serde_json::json!({ "os": os, "architecture": arch });
            if let Some(v) = s(&config, "variant") {
                platform["variant"] = v.into();
            }
            entry["platform"] = platform;
        }
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [entry]
        }))
        .unwrap_or_default()
    }

    /// The name that picks this image in a layout that holds it with others: its
    /// reference, as `index.json` annotates it.
    pub fn selection_name(&self) -> String {
        self.reference.to_string()
    }

    /// The bytes a read of this image alone goes through (what its report states as
    /// `input_bytes`): the layout's small members and each layer blob once.
    pub fn input_bytes(&self) -> u64 {
        let small: usize = self.small_members().iter().map(|(_, b)| b.len()).sum();
        small as u64 + self.layer_members().iter().map(|m| m.size).sum::<u64>()
    }

    /// The small members: layout marker, index, manifest and config, with their bytes.
    pub fn small_members(&self) -> Vec<(String, Vec<u8>)> {
        vec![
            layout_member(),
            ("index.json".to_string(), self.index_json()),
            (blob_member(&self.manifest_digest), self.manifest.clone()),
            (blob_member(&self.config_digest), self.config.clone()),
        ]
    }

    /// The layer blobs to stream, each once (a manifest may list one blob twice), in
    /// manifest order.
    pub fn layer_members(&self) -> Vec<Member> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            if l.digest == self.config_digest || !seen.insert(l.digest.clone()) {
                continue;
            }
            out.push(Member {
                name: blob_member(&l.digest),
                size: l.size,
                layer: Some(i + 1),
            });
        }
        out
    }

    /// The layer blobs as streams, in order, with up to `jobs` downloading at once.
    pub fn blobs(&self) -> Blobs {
        let pending = self
            .layer_members()
            .into_iter()
            .map(|m| {
                let digest = format!("sha256:{}", m.name.trim_start_matches("blobs/sha256/"));
                let what = format!("layer {} ({digest})", m.layer.unwrap_or(0));
                let reader = BlobReader::new(Arc::clone(&self.client), &digest, m.size, what);
                (m, reader)
            })
            .collect();
        Blobs {
            waiting: pending,
            started: VecDeque::new(),
            jobs: self.jobs,
            asked: false,
        }
    }
}

/// A registry image (or two read as one, [`pair::pair_members`]) as the archive stage
/// reads it: the layout's small members from memory, then each layer blob as it
/// downloads.
pub struct Members {
    small: VecDeque<(String, Vec<u8>)>,
    blobs: Blobs,
    /// The blob handed out last, kept to explain a failure ([`MemberSource::failure`]).
    current: Option<Blob>,
    /// The images the blobs come from, kept alive while they download.
    images: Vec<RemoteImage>,
    /// The first image's config, when it is to be fetched after the small members before
    /// it (then it and `index.json` follow them).
    config_to_fetch: Option<ConfigToFetch>,
}

impl Members {
    /// Members made of `small` then `blobs`, downloaded from `images`.
    pub(super) fn from_parts(
        small: VecDeque<(String, Vec<u8>)>,
        blobs: Blobs,
        images: Vec<RemoteImage>,
    ) -> Members {
        Members {
            small,
            blobs,
            current: None,
            images,
            config_to_fetch: None,
        }
    }
}

impl MemberSource for Members {
    fn next_member(&mut self) -> crate::Result<Option<SourceMember<'_>>> {
        if self.small.is_empty()
            && let Some(wanted) = self.config_to_fetch.take()
            && let Some(image) = self.images.first_mut()
        {
            image.config = fetch_config(image, wanted.size, wanted.limit)?;
            let name = blob_member(&image.config_digest);
            self.small.push_back((name, image.config.clone()));
            self.small
                .push_back(("index.json".to_string(), image.index_json()));
        }
        if let Some((name, bytes)) = self.small.pop_front() {
            return Ok(Some(SourceMember {
                name,
                size: bytes.len() as u64,
                reader: Box::new(io::Cursor::new(bytes)),
            }));
        }
        let Some((member, blob)) = self.blobs.next() else {
            return Ok(None);
        };
        let current = self.current.insert(blob);
        Ok(Some(SourceMember {
            name: member.name,
            size: member.size,
            reader: Box::new(current),
        }))
    }

    fn failure(&mut self) -> Option<String> {
        self.current.as_mut()?.verify_rest()
    }

    /// Every blob at once, when two or more may download at once: each is then read by
    /// a layer worker straight from its connection (no thread ahead of it, no buffer of
    /// its own), `jobs` at a time.
    fn take_blobs(&mut self) -> Option<SourceBlobs> {
        let blobs = &mut self.blobs;
        if blobs.jobs < 2 || blobs.waiting.len() < 2 || !blobs.started.is_empty() {
            return None;
        }
        // The first blobs' requests go out now (if [`open_to_read`] has not sent them),
        // while the workers start.
        blobs.ask_now();
        let taken = std::mem::take(&mut blobs.waiting)
            .into_iter()
            .map(|(member, reader)| SourceBlob {
                name: member.name,
                size: member.size,
                stream: Box::new(reader),
            })
            .collect();
        Some(SourceBlobs {
            blobs: taken,
            jobs: blobs.jobs,
        })
    }
}

impl Drop for Members {
    /// With `DEADWEIGHT_TIMINGS`: how long the blob readers waited for their requests'
    /// answers, the latency a read from a file has not.
    fn drop(&mut self) {
        if !crate::timings::wanted() {
            return;
        }
        let (mut count, mut nanos) = (0, 0);
        for image in &self.images {
            count += image.client.traffic.blob_answers.load(Ordering::Relaxed);
            nanos += image
                .client
                .traffic
                .blob_answer_wait_ns
                .load(Ordering::Relaxed);
        }
        let what = "registry blob readers (for their requests' answers)";
        crate::timings::waited(what, nanos as f64 / 1e9, count);
    }
}

impl BlobStream for BlobReader {
    fn failure(&mut self) -> Option<String> {
        self.verify_rest()
    }
}

/// Requests and bytes so far, as `N requests, M bytes`.
pub fn describe_traffic(t: &Traffic) -> String {
    format!(
        "{} HTTP requests, {} bytes",
        t.requests.load(Ordering::Relaxed),
        t.bytes.load(Ordering::Relaxed)
    )
}
