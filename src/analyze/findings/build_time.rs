//! Findings of what only building needs: development packages (pip dev tools, npm
//! devDependencies, dpkg and apk `-dev` packages), build toolchains, and headers and static
//! libraries whoever installed them. A package's bytes are those of its files the final tree
//! shows ([`super::attribution`]).

use super::closure;
use super::model::{Category, Package, Severity};
use super::shipped::{Acc, Ctx, Shipped, VisibleByPath};
use crate::index::PathId;
use foldhash::HashSet;

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

/// The names of `packages` (heaviest first) for a command: at most [`NAMES_SHOWN`], then
/// how many more the finding's message lists.
fn name_list(packages: &[&Package]) -> String {
    let mut out: Vec<&str> = packages
        .iter()
        .take(NAMES_SHOWN)
        .map(|p| p.name.as_str())
        .collect();
    let more = packages.len().saturating_sub(NAMES_SHOWN);
    let more = format!("(and {more} more)");
    if packages.len() > NAMES_SHOWN {
        out.push(&more);
    }
    out.join(" ")
}

/// Package names a fix spells out.
const NAMES_SHOWN: usize = 12;

/// Findings of development packages and build toolchains, by package manager. Each
/// counts the closure of the packages it names ([`closure::closure`]): what `apt-get
/// purge --autoremove` (or pip-autoremove, `apk del`, `npm prune --omit=dev`) takes along.
/// The toolchain goes first: a `-dev` package that only the compilers need (libc6-dev
/// under build-essential) is part of the toolchain's fix, not a second one.
pub(super) fn package_findings(
    ctx: &Ctx<'_>,
    acc: &mut Acc<'_>,
    visible: &VisibleByPath<'_>,
    packages: &[Package],
) {
    let tool_roots: Vec<usize> = (0..packages.len())
        .filter(|&i| packages[i].toolchain)
        .collect();
    let removable: Vec<usize> = (0..packages.len())
        .filter(|&i| packages[i].toolchain || packages[i].dev)
        .collect();
    let tools = closure::closure(packages, &tool_roots, &removable);
    let in_tools: HashSet<usize> = tools.iter().copied().collect();
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
            "install {names} in a builder stage only, or `apt-get purge --autoremove -y {names}` in the RUN that builds",
        ),
        (
            "apk",
            "dev_dependency.apk-dev-packages",
            "`apk add --virtual .build-deps {names}` and `apk del .build-deps` in the same RUN",
        ),
    ] {
        let roots: Vec<usize> = (0..packages.len())
            .filter(|&i| {
                let p = &packages[i];
                p.manager == manager && p.dev && !p.toolchain && !in_tools.contains(&i)
            })
            .collect();
        if roots.is_empty() {
            continue;
        }
        let mut all = closure::closure(packages, &roots, &removable);
        all.retain(|i| !in_tools.contains(i));
        let devs: Vec<&Package> = roots.iter().map(|&i| &packages[i]).collect();
        let names: Vec<String> = devs
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        let message = format!(
            "{} development {} installed: {}{}",
            devs.len(),
            if devs.len() == 1 {
                "package"
            } else {
                "packages"
            },
            names.join(", "),
            taken_along(packages, &all, roots.len())
        );
        push_closure(
            ctx,
            acc,
            visible,
            packages,
            &all,
            (rule, Category::DevDependency),
            &fix.replace("{names}", &name_list(&devs)),
            message,
        );
    }
    if !tool_roots.is_empty() {
        let tools_named: Vec<&Package> = tool_roots.iter().map(|&i| &packages[i]).collect();
        let names: Vec<String> = tools_named
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        let mut fix = "build in a builder stage (`FROM ... AS build`) and COPY only the artefacts into a runtime stage without compilers".to_string();
        for (manager, command) in [
            ("dpkg", "`apt-get purge --autoremove -y {names}`"),
            ("apk", "`apk del {names}`"),
        ] {
            let of: Vec<&Package> = tools_named
                .iter()
                .copied()
                .filter(|p| p.manager == manager)
                .collect();
            if !of.is_empty() {
                fix.push_str(&format!(
                    "; or {} in the RUN that builds",
                    command.replace("{names}", &name_list(&of))
                ));
            }
        }
        let message = format!(
            "build tools installed: {}{}",
            names.join(", "),
            taken_along(packages, &tools, tool_roots.len())
        );
        push_closure(
            ctx,
            acc,
            visible,
            packages,
            &tools,
            ("build_toolchain.packages", Category::BuildToolchain),
            &fix,
            message,
        );
    }
}

/// `, and the 3 packages only they need: a, b, c` for the part of `closure` past its
/// `roots` first members; empty when there is none.
fn taken_along(packages: &[Package], closure: &[usize], roots: usize) -> String {
    let extra: Vec<&Package> = closure.iter().skip(roots).map(|&i| &packages[i]).collect();
    if extra.is_empty() {
        return String::new();
    }
    format!(
        ", and the {} only {} {}: {}",
        if extra.len() == 1 {
            "1 package".to_string()
        } else {
            format!("{} packages", extra.len())
        },
        if roots == 1 { "it" } else { "they" },
        if roots == 1 { "needs" } else { "need" },
        name_list(&extra)
    )
}

/// Pushes a package finding over the files of the packages `closure` names, and lists
/// them in the finding.
#[allow(clippy::too_many_arguments)]
fn push_closure(
    ctx: &Ctx<'_>,
    acc: &mut Acc<'_>,
    visible: &VisibleByPath<'_>,
    packages: &[Package],
    closure: &[usize],
    (rule, category): (&str, Category),
    fix: &str,
    message: String,
) {
    let entries: Vec<u32> = closure
        .iter()
        .flat_map(|&i| packages[i].entries.iter().copied())
        .collect();
    let before = acc.findings.len();
    acc.push_files(
        rule,
        category,
        Severity::Warning,
        &shipped_of(ctx, visible, &entries),
        fix,
        message,
    );
    if acc.findings.len() > before
        && let Some(f) = acc.findings.last_mut()
    {
        f.packages = closure
            .iter()
            .map(|&i| (packages[i].name.clone(), packages[i].bytes))
            .collect();
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
            format!(
                "{} header or static library {}",
                dev_files.len(),
                if dev_files.len() == 1 { "file" } else { "files" }
            ),
        );
    }
}
