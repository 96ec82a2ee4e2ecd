//! One image resolved from its layout: a `docker save` entry, an OCI or skopeo
//! manifest, a v1 parent chain; and the check that blobs named by a digest hold it.

use super::config::{RawConfig, load_config, strings};
use super::{
    Digest, HistoryEntry, ImageConfig, ImageManifest, LayerRef, Layout, MemberContent, RawArchive,
    blob_member, digest_in_name, follow, json, parse, raw_digest,
};
use crate::error::{Error, Result};
use oci_spec::image::{Descriptor, ImageManifest as OciManifest};
use std::collections::BTreeMap;

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

pub(super) fn resolve_docker_save(
    raw: &RawArchive,
    config: &str,
    layers: &[String],
) -> Result<ImageManifest> {
    let config_member = crate::archive::normalize_member(config)
        .ok_or_else(|| raw.error(config, "config path climbs above the archive root"))?;
    let config = load_config(raw, &config_member)?;
    let layers = layers
        .iter()
        .map(|l| {
            let name = crate::archive::normalize_member(l)
                .ok_or_else(|| raw.error(l, "layer path climbs above the archive root"))?;
            layer_ref(raw, &name, None)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(one_image(
        Layout::DockerArchive,
        None,
        config,
        layers,
        BTreeMap::new(),
    ))
}

/// The image a layout describes, from its parts; the fields that depend on the rest of
/// the archive start empty (no refs, one image in the archive) for the caller to set.
fn one_image(
    layout: Layout,
    manifest_digest: Option<Digest>,
    (config, config_digest, warnings): (ImageConfig, Digest, Vec<String>),
    layers: Vec<LayerRef>,
    annotations: BTreeMap<String, String>,
) -> ImageManifest {
    ImageManifest {
        layout,
        refs: Vec::new(),
        manifest_digest,
        config_digest,
        config,
        layers,
        annotations,
        warnings,
        images_in_archive: 1,
    }
}

pub(super) fn resolve_manifest(
    raw: &RawArchive,
    member: &str,
    layout: Layout,
) -> Result<ImageManifest> {
    let bytes = json(raw, member)?.ok_or_else(|| {
        raw.error(
            member,
            "the index names this manifest, but the archive does not hold it",
        )
    })?;
    let manifest: OciManifest = parse(raw, member, bytes)?;
    let config_member = blob_member(raw, manifest.config().digest().as_ref(), layout);
    let config = load_config(raw, &config_member)?;
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
    Ok(one_image(
        layout,
        Some(raw_digest(raw, member)),
        config,
        layers,
        annotations,
    ))
}

/// A pre-1.10 save: `<id>/json` files chained by `parent`, each with its `<id>/layer.tar`.
pub(super) fn resolve_v1(raw: &RawArchive, top: &str) -> Result<ImageManifest> {
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
    Ok(one_image(
        Layout::DockerV1,
        None,
        (config, config_digest, warnings),
        layers,
        BTreeMap::new(),
    ))
}

/// Checks that every member named by a digest holds bytes with that digest, and that
/// descriptor sizes and digests match what was read. Members that were not hashed (layers
/// without `--verify`) are checked for size only.
pub(super) fn verify_digest_names(raw: &RawArchive, image: &ImageManifest) -> Result<()> {
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
