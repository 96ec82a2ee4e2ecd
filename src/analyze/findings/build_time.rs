//! Findings of what only building needs: development packages (pip dev tools, npm
//! devDependencies, dpkg and apk `-dev` packages), build toolchains, and headers and static
//! libraries whoever installed them. A package's bytes are those of its files the final tree
//! shows ([`super::attribution`]).

use super::model::{Category, Package, Severity};
use super::shipped::{Acc, Ctx, Shipped, VisibleByPath};
use crate::index::PathId;

/// The visible files among `entries`, outside the ignore globs.
fn shipped_of(ctx: &Ctx<'_>, visible: &VisibleByPath<'_>, entries: &[u32]) -> Vec<Shipped> {
    entries
        .iter()
        .filter_map(|&e| {
            let fe = ctx.index.entries.get(e as usize)?;
            let (_, bytes, layer) = visible.get(fe.path)?;
            Some(Shipped {
                entry: e,
                path: fe.path,
                bytes,
                layer,
                visible: true,
            })
        })
        .filter(|s| !ctx.ignored(s.path))
        .collect()
}

/// Findings of development packages and build toolchains, by package manager.
pub(super) fn package_findings(
    ctx: &Ctx<'_>,
    acc: &mut Acc<'_>,
    visible: &VisibleByPath<'_>,
    packages: &[Package],
) {
    for (manager, rule, fix) in [
        (
            "pip",
            "dev_dependency.python-dev-tools",
            "install only the runtime requirements in the final image (e.g. `pip install -r requirements-prod.txt`); run tests and linters in a separate stage",
        ),
        (
            "npm",
            "dev_dependency.npm-dev-dependencies",
            "`npm ci --omit=dev` (or `npm prune --omit=dev`) in the final image",
        ),
        (
            "dpkg",
            "dev_dependency.dpkg-dev-packages",
            "install -dev packages in a builder stage only, or `apt-get purge` them in the RUN that builds",
        ),
        (
            "apk",
            "dev_dependency.apk-dev-packages",
            "`apk add --virtual .build-deps ...` and `apk del .build-deps` in the same RUN",
        ),
    ] {
        let devs: Vec<&Package> = packages
            .iter()
            .filter(|p| p.manager == manager && p.dev && !p.toolchain)
            .collect();
        if devs.is_empty() {
            continue;
        }
        let entries: Vec<u32> = devs
            .iter()
            .flat_map(|p| p.entries.iter().copied())
            .collect();
        let names: Vec<String> = devs
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        let message = format!(
            "{} development package(s) installed: {}",
            devs.len(),
            names.join(", ")
        );
        acc.push_files(
            rule,
            Category::DevDependency,
            Severity::Warning,
            &shipped_of(ctx, visible, &entries),
            fix,
            message,
        );
    }
    let tools: Vec<&Package> = packages.iter().filter(|p| p.toolchain).collect();
    if !tools.is_empty() {
        let entries: Vec<u32> = tools
            .iter()
            .flat_map(|p| p.entries.iter().copied())
            .collect();
        let names: Vec<String> = tools
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        acc.push_files(
            "build_toolchain.packages",
            Category::BuildToolchain,
            Severity::Warning,
            &shipped_of(ctx, visible, &entries),
            "build in a builder stage (`FROM ... AS build`) and COPY only the artefacts into a runtime stage without compilers",
            format!("build tools installed: {}", names.join(", ")),
        );
    }
}

/// Headers and static libraries, whoever installed them.
pub(super) fn header_findings(ctx: &Ctx<'_>, acc: &mut Acc<'_>) {
    let paths = &ctx.index.paths;
    // By directory ids, not path bytes: no path is built per file.
    let dirs_of =
        |ps: &[&[u8]]| -> Vec<PathId> { ps.iter().filter_map(|p| paths.find(p)).collect() };
    let include_dirs = dirs_of(&[b"/usr/include", b"/usr/local/include"]);
    let lib_dirs = dirs_of(&[b"/usr/lib", b"/usr/local/lib"]);
    let under = |id: PathId, dirs: &[PathId]| {
        !dirs.is_empty() && paths.ancestors(id).any(|d| dirs.contains(&d))
    };
    let dev_files: Vec<Shipped> = ctx
        .shipped()
        .filter(|s| {
            s.visible
                && (under(s.path, &include_dirs)
                    || (paths.name(s.path).ends_with(b".a") && under(s.path, &lib_dirs)))
                && !ctx.ignored(s.path)
        })
        .collect();
    if !dev_files.is_empty() {
        acc.push_files(
            "dev_dependency.headers-static-libs",
            Category::DevDependency,
            Severity::Info,
            &dev_files,
            "headers and static libraries are for building: build in a builder stage and ship only the shared libraries",
            format!("{} header or static library file(s)", dev_files.len()),
        );
    }
}
