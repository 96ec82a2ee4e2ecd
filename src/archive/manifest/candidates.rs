//! The images an archive offers (`manifest.json` entries, an OCI index's manifests,
//! v1 `repositories`), and the one `--image` / `--platform` pick among them.

use super::{
    Digest, Layout, Platform, RawArchive, Selection, blob_member, json, parse, raw_digest,
};
use crate::error::{Error, Result};
use oci_spec::image::{Descriptor, ImageIndex, MediaType};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An image the archive offers, before it is resolved.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) refs: Vec<String>,
    /// Candidates of one group are platform variants of one image.
    pub(super) group: usize,
    pub(super) platform: Option<Platform>,
    pub(super) manifest_digest: Option<Digest>,
    pub(super) annotations: BTreeMap<String, String>,
    pub(super) source: CandidateSource,
}

#[derive(Debug, Clone)]
pub(super) enum CandidateSource {
    DockerSave { config: String, layers: Vec<String> },
    Manifest { member: String, layout: Layout },
    V1 { top: String },
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

pub(super) fn candidates(raw: &RawArchive) -> Result<Vec<Candidate>> {
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

pub(super) fn select<'a>(
    raw: &RawArchive,
    all: &'a [Candidate],
    sel: &Selection,
) -> Result<&'a Candidate> {
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
