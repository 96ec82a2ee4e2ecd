//! From an IMAGE argument and the registry flags to the library's [`Source`]: the
//! transports of containers-transports(5), and the bare-name rule (a name that is no
//! file is looked up in a local daemon, never pulled from a registry silently).

use crate::cli::{InputArgs, RemoteArgs};
use anyhow::{Result, bail};
use deadweight::analyze::summary::Limits;
use deadweight::pipeline::Options;
use deadweight::source::daemon;
use deadweight::source::reference::{self, Engine, FORMS, Parsed};
use deadweight::source::registry;
use deadweight::source::{RegistrySource, Source};
use std::path::Path;

/// The registry options of the command line.
pub fn registry_options(
    remote: &RemoteArgs,
    platform: Option<&str>,
    max_json_bytes: u64,
) -> Result<registry::Options> {
    let platform = super::parse_platform(platform)?.map(|p| (p.os, p.architecture, p.variant));
    if let Some(dir) = &remote.cert_dir {
        registry::client::check_cert_dir(dir).map_err(anyhow::Error::msg)?;
    }
    Ok(registry::Options {
        platform,
        creds: remote.creds.clone(),
        authfile: remote.authfile.clone(),
        connect: registry::client::Connect {
            tls_verify: remote.tls_verify && !remote.insecure,
            cert_dir: remote.cert_dir.clone(),
            timeout_secs: 60,
        },
        jobs: usize::from(remote.jobs),
        max_json_bytes,
    })
}

/// The source `input` names and the pipeline's options for it (see [`super::options`]),
/// with the `:REF` of `oci-archive:PATH:REF` as the image to pick.
pub fn resolve_with(
    input: &InputArgs,
    config: Option<&Path>,
    base: Option<&str>,
    limits: Limits,
) -> Result<(Source, Options)> {
    let (source, pick) = resolve(input)?;
    let mut opts = super::options(input, config, base, limits)?;
    opts.selection.image = pick;
    Ok((source, opts))
}

/// The source `input` names, and the image to pick inside an archive (`--image`, or the
/// `:REF` of `oci-archive:PATH:REF`).
pub fn resolve(input: &InputArgs) -> Result<(Source, Option<String>)> {
    let parsed = reference::parse(&input.image).map_err(anyhow::Error::msg)?;
    let pick = input.select.clone();
    Ok(match parsed {
        Parsed::Stdin => (Source::Stdin, pick),
        Parsed::Path { path, pick: inner } => (Source::Path(path), pick.or(inner)),
        Parsed::Registry(reference) => {
            let options = registry_options(
                &input.remote,
                input.platform.as_deref(),
                input.limits.max_json_bytes,
            )?;
            (
                Source::Registry(Box::new(RegistrySource { reference, options })),
                pick,
            )
        }
        Parsed::Daemon { engine, name } => (
            Source::Daemon {
                engine,
                name,
                endpoint: None,
            },
            pick,
        ),
        Parsed::Bare { name } => (bare(&input.image, &name)?, pick),
    })
}

/// A bare name: the first local daemon that has it, as dive does; else one line that
/// names the explicit forms.
fn bare(arg: &str, name: &str) -> Result<Source> {
    let mut asked = Vec::new();
    for endpoint in daemon::all_endpoints() {
        match daemon::has_image(&endpoint, name) {
            Ok(true) => {
                return Ok(Source::Daemon {
                    engine: Engine::Docker,
                    name: name.to_string(),
                    endpoint: Some(endpoint),
                });
            }
            Ok(false) => asked.push(format!("{endpoint} has no such image")),
            Err(_) => asked.push(format!("no daemon at {endpoint}")),
        }
    }
    bail!(
        "{arg}: no such file or folder, and no local daemon has an image of that name ({}); \
         deadweight never pulls a bare name from a registry: say docker://{name} for a registry, \
         docker-daemon:{name} or podman:{name} for a daemon. Sources are {FORMS}",
        asked.join("; ")
    )
}

/// `inspect --manifest-only`: what a registry's manifest and config say, in the requests
/// that fetch them (ping, token if any, manifest, index if any, config): stored size per
/// layer and the history, with no layer downloaded.
pub fn manifest_only(input: &InputArgs, out: &mut Vec<u8>) -> Result<()> {
    use std::io::Write as _;
    let Parsed::Registry(reference) = reference::parse(&input.image).map_err(anyhow::Error::msg)?
    else {
        bail!(
            "{}: --manifest-only reads a registry's manifest (docker://...); a saved image or a daemon's is read whole",
            input.image
        );
    };
    let options = registry_options(
        &input.remote,
        input.platform.as_deref(),
        input.limits.max_json_bytes,
    )?;
    let image = registry::open(&reference, &options).map_err(anyhow::Error::msg)?;
    let config: serde_json::Value = serde_json::from_slice(&image.config)?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    writeln!(out, "{}  {}", image.label, image.manifest_digest)?;
    writeln!(
        out,
        "{}/{} · user {} · {} layers · {} bytes stored",
        text(&config["os"]),
        text(&config["architecture"]),
        match text(&config["config"]["User"]) {
            u if u.is_empty() => "root".to_string(),
            u => u,
        },
        image.layers.len(),
        image.layers.iter().map(|l| l.size).sum::<u64>()
    )?;
    let history: Vec<&serde_json::Value> = config["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter(|e| !e["empty_layer"].as_bool().unwrap_or(false))
                .collect()
        })
        .unwrap_or_default();
    for (i, layer) in image.layers.iter().enumerate() {
        let created = history
            .get(i)
            .map(|h| text(&h["created_by"]))
            .unwrap_or_default();
        let created: String = created.chars().take(80).collect();
        writeln!(
            out,
            "{:>3}  {:>14}  {}  {created}",
            i + 1,
            layer.size,
            &layer.digest.get(..19).unwrap_or(&layer.digest)
        )?;
    }
    writeln!(
        out,
        "manifest and config only: no layer downloaded ({})",
        registry::describe_traffic(&image.traffic())
    )?;
    Ok(())
}
