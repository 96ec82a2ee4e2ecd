//! Findings of how the image was built, read from the history's instructions: apt lists
//! kept, recommends pulled, pip's cache kept, the whole build context copied before the
//! dependencies install, ADD of a URL, installs spread over many RUNs, a single-stage
//! build that ships its build tools.

use super::model::{Category, Package, Severity};
use super::shipped::Acc;
use crate::analyze::instruction::Instruction;
use crate::index::Index;

pub(super) fn dockerfile_patterns(index: &Index, packages: &[Package], acc: &mut Acc<'_>) {
    let mut install_layers = Vec::new();
    let mut copy_all: Option<usize> = None;
    let no_pip_cache_env = index
        .image
        .config
        .env
        .iter()
        .any(|e| e.starts_with("PIP_NO_CACHE_DIR="));
    for l in &index.layers {
        let Some(cb) = l.created_by() else { continue };
        let i = l.index;
        let run = short(Some(cb));
        let apt = cb.contains("apt-get install") || cb.contains("apt install");
        if apt && !cb.contains("/var/lib/apt/lists") {
            acc.push_note(
                "dockerfile_pattern.apt-lists-kept",
                Category::DockerfilePattern,
                Severity::Warning,
                Some(i),
                Vec::new(),
                "end the RUN with `&& rm -rf /var/lib/apt/lists/*` (same RUN as `apt-get update`)",
                format!("apt-get install without removing the package lists: {run}"),
            );
        }
        if apt && !cb.contains("--no-install-recommends") {
            acc.push_note(
                "dockerfile_pattern.apt-recommends",
                Category::DockerfilePattern,
                Severity::Info,
                Some(i),
                Vec::new(),
                "`apt-get install -y --no-install-recommends ...`",
                format!("apt-get install pulls recommended packages: {run}"),
            );
        }
        if (cb.contains("pip install") || cb.contains("pip3 install"))
            && !cb.contains("--no-cache-dir")
            && !no_pip_cache_env
        {
            acc.push_note(
                "dockerfile_pattern.pip-cache",
                Category::DockerfilePattern,
                Severity::Warning,
                Some(i),
                Vec::new(),
                "`pip install --no-cache-dir ...` (or ENV PIP_NO_CACHE_DIR=1)",
                format!("pip install keeps its cache: {run}"),
            );
        }
        if apt
            || cb.contains("apk add")
            || cb.contains("dnf install")
            || cb.contains("yum install")
            || cb.contains("pip install")
            || cb.contains("npm install")
            || cb.contains("npm ci")
        {
            install_layers.push(i);
            if let Some(c) = copy_all
                && c < i
                && (cb.contains("pip install")
                    || cb.contains("npm install")
                    || cb.contains("npm ci")
                    || cb.contains("go mod download")
                    || cb.contains("bundle install"))
            {
                acc.push_note("dockerfile_pattern.copy-before-install", Category::DockerfilePattern, Severity::Warning, Some(c), Vec::new(),
                    "COPY only the dependency manifest (requirements.txt, package*.json) and install, then `COPY . .`: code changes stop invalidating the install layer",
                    format!("layer {c} copies the whole build context before layer {i} installs dependencies"));
                copy_all = None;
            }
        }
        let nop = cb.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(cb).trim();
        if (nop.starts_with("COPY dir:")
            || nop.starts_with("COPY . ")
            || nop.starts_with("ADD dir:"))
            && copy_all.is_none()
        {
            copy_all = Some(i);
        }
        if nop.starts_with("ADD http://")
            || nop.starts_with("ADD https://")
            || (nop.starts_with("ADD ") && nop.contains("://"))
        {
            acc.push_note("dockerfile_pattern.add-url", Category::DockerfilePattern, Severity::Info, Some(i), Vec::new(),
                "fetch with curl/wget in a RUN that also unpacks and deletes it (or ADD --checksum=...)",
                format!("ADD of a URL: {run}"));
        }
    }
    if install_layers.len() >= 3 {
        acc.push_note("dockerfile_pattern.installs-spread", Category::DockerfilePattern, Severity::Info, install_layers.first().copied(), Vec::new(),
            "combine dependency installs into one RUN per package manager, cleaning up in the same RUN",
            format!("dependency installs spread over {} RUN layers", install_layers.len()));
    }
    let tools: Vec<&str> = packages
        .iter()
        .filter(|p| p.toolchain)
        .map(|p| p.name.as_str())
        .collect();
    if !tools.is_empty() {
        acc.push_note("dockerfile_pattern.single-stage-build-tools", Category::DockerfilePattern, Severity::Warning, None, Vec::new(),
            "use a multi-stage build: compile in `FROM ... AS build`, then COPY --from=build only what runs",
            format!("the runtime image ships build tools ({})", tools.join(", ")));
    }
}

/// An instruction for a message: in the Dockerfile's words ([`Instruction`]), its
/// middle cut to fit 60 characters.
pub fn short(created_by: Option<&str>) -> String {
    match created_by {
        Some(c) => Instruction::parse(c).shortened(60),
        None => "no history".to_string(),
    }
}
