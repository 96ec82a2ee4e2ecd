//! Two registry images read as one layout, for `diff`: a layer both list (same digest)
//! is fetched once. Measured (`app:main` the README sample, 7 layers; `app:pr` the same
//! plus one layer added with umoci; a local docker-registry): `diff` made 17 blob GETs,
//! every shared blob twice; with this, 10, one per distinct blob, and the same JSON.
//!
//! The layout holds both manifests in one `index.json`, each named by its own reference
//! (`io.containerd.image.name`), both configs, then BEFORE's layers and AFTER's layers
//! BEFORE does not list. Each blob comes from the repository of the image that lists it
//! first. The index stage reads every layer once; each side is then picked by its
//! reference ([`RemoteImage::selection_name`]).

use super::client::BlobReader;
use super::{Blobs, Members, RemoteImage};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// Two registry images as the archive stage reads one layout: the union of `before`'s
/// and `after`'s members, each blob once.
pub fn pair_members(before: RemoteImage, after: RemoteImage) -> Members {
    let mut small = VecDeque::new();
    let mut names = HashSet::new();
    small.push_back(super::layout_member());
    small.push_back(("index.json".to_string(), index_json(&before, &after)));
    for image in [&before, &after] {
        for (name, bytes) in image.small_members().into_iter().skip(2) {
            if names.insert(name.clone()) {
                small.push_back((name, bytes));
            }
        }
    }
    let mut pending = Vec::new();
    for image in [&before, &after] {
        for m in image.layer_members() {
            if names.contains(&m.name) || !names.insert(m.name.clone()) {
                continue;
            }
            let digest = format!("sha256:{}", m.name.trim_start_matches("blobs/sha256/"));
            let what = format!("{}: layer {} ({digest})", image.label, m.layer.unwrap_or(0));
            let reader = BlobReader::new(Arc::clone(&image.client), &digest, m.size, what);
            pending.push((m, reader));
        }
    }
    let blobs = Blobs {
        waiting: pending,
        started: VecDeque::new(),
        jobs: before.jobs,
        asked: false,
    };
    Members::from_parts(small, blobs, vec![before, after])
}

/// `index.json` naming both manifests, each by its image's reference.
fn index_json(before: &RemoteImage, after: &RemoteImage) -> Vec<u8> {
    let entry = |image: &RemoteImage| -> serde_json::Value {
        let one: serde_json::Value =
            serde_json::from_slice(&image.index_json()).unwrap_or_default();
        one.get("manifests")
            .and_then(|m| m.get(0))
            .cloned()
            .unwrap_or_default()
    };
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": super::OCI_INDEX,
        "manifests": [entry(before), entry(after)]
    }))
    .unwrap_or_default()
}
