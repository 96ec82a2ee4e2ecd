//! The image config (`config.json` blob or v1 `<id>/json`): platform, run settings,
//! diff_ids and history.

use super::{Digest, HistoryEntry, ImageConfig, RawArchive, follow, json, parse};
use crate::error::Result;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub(super) struct RawConfig {
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
    pub(super) parent: Option<String>,
    #[serde(default)]
    pub(super) container_config: Option<RawRunConfig>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawRunConfig {
    #[serde(rename = "User", default)]
    user: Option<String>,
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(rename = "Entrypoint", default)]
    entrypoint: Option<serde_json::Value>,
    #[serde(rename = "Cmd", default)]
    pub(super) cmd: Option<serde_json::Value>,
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

pub(super) fn strings(v: &Option<serde_json::Value>) -> Vec<String> {
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

pub(super) fn load_config(
    raw: &RawArchive,
    member: &str,
) -> Result<(ImageConfig, Digest, Vec<String>)> {
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
