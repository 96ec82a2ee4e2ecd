//! Which installed package each visible file belongs to, from the package databases the
//! reader collected ([`super::packages`]): dpkg `info/*.list`, apk `installed`, pip
//! `RECORD`, and for npm the nearest installed package directory above a file. A
//! package's bytes are those of its files the final tree shows, each file once. Which
//! packages are development-only comes from the names ([`super::packages::DEV_PY`],
//! `-dev`) and from the app's own manifests (requirements files, `devDependencies`).

use super::collect::Collected;
use super::model::Package;
use super::packages::{self, BuildUse, PathList, Record};
use super::shipped::{Ctx, VisibleByPath};
use crate::analyze::waste::VisibleFile;
use crate::index::{Fate, Index, PathId, PathTable};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// The installed packages, heaviest first.
pub(super) fn attribute_packages(ctx: &Ctx<'_>, visible: &VisibleByPath<'_>) -> Vec<Package> {
    let index = ctx.index;
    let c = ctx.collected;
    let is_visible = |e: u32| {
        index
            .entries
            .get(e as usize)
            .is_some_and(|x| x.fate == Fate::Visible)
    };
    let (py_dev, app_npm_dev) = dev_names(c, &is_visible);
    let mut out = Vec::new();
    db_packages(index, c, visible, &is_visible, &py_dev, &mut out);
    npm_packages(index, c, visible, &is_visible, &app_npm_dev, &mut out);
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(a.manager.cmp(b.manager))
            .then(a.name.cmp(&b.name))
            .then(a.scope.cmp(&b.scope))
    });
    super::closure::link(c, &is_visible, &mut out);
    out
}

/// The bytes and entries of the visible files of `list`, each once.
fn files_of(paths: &PathTable, visible: &VisibleByPath<'_>, list: &PathList) -> (u64, Vec<u32>) {
    let mut bytes = 0;
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    list.for_each(|p| {
        if let Some(id) = paths.find(p)
            && let Some((e, b, _)) = visible.get(id)
            && seen.insert(e)
        {
            bytes += b;
            entries.push(e);
        }
    });
    (bytes, entries)
}

/// The development-only Python packages (normalised names) and the app's npm
/// devDependencies.
fn dev_names<'c>(
    c: &'c Collected,
    is_visible: &dyn Fn(u32) -> bool,
) -> (HashSet<String>, HashSet<&'c str>) {
    // Dev names from requirements files: `requirements.txt` that includes a prod file
    // lists the dev extras beyond it; files named dev/test list dev packages.
    let mut req: HashMap<&str, (&[String], &[String])> = HashMap::new();
    let mut app_npm_dev: HashSet<&str> = HashSet::new();
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::Requirements {
                file,
                names,
                includes,
            } => {
                req.insert(file.as_str(), (names.as_slice(), includes.as_slice()));
            }
            Record::Npm {
                installed: false,
                dev_dependencies,
                ..
            } => {
                app_npm_dev.extend(dev_dependencies.iter().map(String::as_str));
            }
            _ => {}
        }
    }
    let mut py_dev: HashSet<String> = packages::DEV_PY.iter().map(|s| s.to_string()).collect();
    for (file, (names, includes)) in &req {
        let lower = file.to_ascii_lowercase();
        if lower.contains("dev") || lower.contains("test") || lower.contains("lint") {
            py_dev.extend(names.iter().cloned());
        }
        for inc in includes.iter() {
            let il = inc.to_ascii_lowercase();
            if (il.contains("prod") || il.contains("runtime") || il.contains("base"))
                && let Some((prod, _)) = req.get(inc.as_str())
            {
                py_dev.extend(names.iter().filter(|n| !prod.contains(n)).cloned());
            }
        }
    }
    (py_dev, app_npm_dev)
}

/// Where only building looks: headers, kernel sources and headers, compilers' own
/// directories, autoconf macros, pkg-config files.
const BUILD_PLACES: &[&[u8]] = &[
    b"/usr/include",
    b"/usr/local/include",
    b"/usr/src",
    b"/usr/lib/gcc",
    b"/usr/libexec/gcc",
    b"/usr/share/aclocal",
    b"/usr/share/pkgconfig",
    b"/usr/lib/pkgconfig",
];

/// `(dev, toolchain)` of a dpkg or apk package: by what it is ([`packages::build_use`]),
/// or by where it installs (most of its bytes in [`BUILD_PLACES`]: a headers package
/// under any name).
fn build_use(
    index: &Index,
    visible: &VisibleByPath<'_>,
    build_dirs: &[PathId],
    name: &str,
    section: &str,
    entries: &[u32],
) -> (bool, bool) {
    match packages::build_use(name, section) {
        BuildUse::Toolchain => return (true, true),
        BuildUse::Dev => return (true, false),
        BuildUse::Runtime => {}
    }
    if build_dirs.is_empty() {
        return (false, false);
    }
    let paths = &index.paths;
    let (mut all, mut there) = (0u64, 0u64);
    for e in entries {
        let Some(fe) = index.entries.get(*e as usize) else {
            continue;
        };
        let bytes = visible.get(fe.path).map_or(0, |(_, b, _)| b);
        all += bytes;
        if paths.ancestors(fe.path).any(|a| build_dirs.contains(&a)) {
            there += bytes;
        }
    }
    // Four fifths: a library package with a stray header stays a runtime package.
    (all > 0 && there * 5 >= all * 4, false)
}

/// The dpkg, apk and pip packages.
fn db_packages(
    index: &Index,
    c: &Collected,
    visible: &VisibleByPath<'_>,
    is_visible: &dyn Fn(u32) -> bool,
    py_dev: &HashSet<String>,
    out: &mut Vec<Package>,
) {
    let paths = &index.paths;
    let build_dirs: Vec<PathId> = BUILD_PLACES.iter().filter_map(|p| paths.find(p)).collect();
    // dpkg.
    let mut lists: HashMap<&str, &PathList> = HashMap::new();
    let mut pip_meta: HashMap<&[u8], (&str, &str)> = HashMap::new();
    let mut pip_record: HashMap<&[u8], &PathList> = HashMap::new();
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::DpkgList { package, paths } => {
                lists.insert(package.as_str(), paths);
            }
            Record::PipMetadata {
                dir, name, version, ..
            } => {
                pip_meta.insert(dir, (name.as_str(), version.as_str()));
            }
            Record::PipRecord { dir, paths } => {
                pip_record.insert(dir, paths);
            }
            _ => {}
        }
    }
    for (e, r) in &c.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::DpkgStatus(pkgs) => {
                for p in pkgs {
                    let (bytes, entries) = lists
                        .get(p.name.as_str())
                        .map(|l| files_of(paths, visible, l))
                        .unwrap_or_default();
                    let (dev, toolchain) =
                        build_use(index, visible, &build_dirs, &p.name, &p.section, &entries);
                    out.push(Package {
                        manager: "dpkg",
                        name: p.name.clone(),
                        version: p.version.clone(),
                        bytes,
                        dev,
                        toolchain,
                        entries,
                        scope: Box::default(),
                        needs: Vec::new(),
                        keeps: Vec::new(),
                        manual: true,
                    });
                }
            }
            Record::Apk(pkgs) => {
                for p in pkgs {
                    let (bytes, entries) = files_of(paths, visible, &p.paths);
                    let (dev, toolchain) =
                        build_use(index, visible, &build_dirs, &p.name, "", &entries);
                    out.push(Package {
                        manager: "apk",
                        name: p.name.clone(),
                        version: p.version.clone(),
                        bytes,
                        dev,
                        toolchain,
                        entries,
                        scope: Box::default(),
                        needs: Vec::new(),
                        keeps: Vec::new(),
                        manual: true,
                    });
                }
            }
            _ => {}
        }
    }
    let mut metas: Vec<(&&[u8], &(&str, &str))> = pip_meta.iter().collect();
    metas.sort();
    for (dir, (name, version)) in metas {
        let (bytes, entries) = pip_record
            .get(*dir)
            .map(|l| files_of(paths, visible, l))
            .unwrap_or_default();
        out.push(Package {
            manager: "pip",
            name: name.to_string(),
            version: version.to_string(),
            bytes,
            dev: py_dev.contains(&packages::normalise_py(name)),
            toolchain: false,
            entries,
            scope: (*dir).into(),
            needs: Vec::new(),
            keeps: Vec::new(),
            manual: true,
        });
    }
}

/// The installed npm packages: each visible file belongs to the nearest installed package
/// directory above it.
fn npm_packages(
    index: &Index,
    c: &Collected,
    visible: &VisibleByPath<'_>,
    is_visible: &dyn Fn(u32) -> bool,
    app_npm_dev: &HashSet<&str>,
    out: &mut Vec<Package>,
) {
    let paths = &index.paths;
    let mut npm_dirs: HashMap<PathId, usize> = HashMap::new();
    for (e, r) in &c.records {
        if let Record::Npm {
            dir,
            name,
            version,
            installed: true,
            ..
        } = r
            && is_visible(*e)
            && let Some(id) = paths.find(dir)
        {
            npm_dirs.insert(id, out.len());
            out.push(Package {
                manager: "npm",
                name: name.clone(),
                version: version.clone(),
                bytes: 0,
                dev: app_npm_dev.contains(name.as_str()),
                toolchain: false,
                entries: Vec::new(),
                scope: dir.clone(),
                needs: Vec::new(),
                keeps: Vec::new(),
                manual: true,
            });
        }
    }
    if !npm_dirs.is_empty() {
        let mut files: Vec<&VisibleFile> = visible.files.iter().collect();
        files.sort_by_key(|f| f.entry);
        for f in files {
            if let Some(pkg) = paths.ancestors(f.path).find_map(|a| npm_dirs.get(&a))
                && let Some(pk) = out.get_mut(*pkg)
            {
                pk.bytes += f.bytes;
                pk.entries.push(f.entry);
            }
        }
    }
}

/// The package whose own file list claims a path: its manager, name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    pub manager: &'static str,
    pub name: String,
    pub version: String,
}

/// The packages that claim each of `wanted` (a few paths: the secret files): a dpkg
/// `info/*.list`, a pip `RECORD` (or egg-info file list), an apk `installed` entry, or
/// an installed npm package's directory. Only the visible databases count, and only the
/// path as listed: a file in a package's directory that its list does not name has no
/// owner.
pub(super) fn owners(ctx: &Ctx<'_>, wanted: &[PathId]) -> HashMap<PathId, Owner> {
    let index = ctx.index;
    let paths = &index.paths;
    let mut out: HashMap<PathId, Owner> = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let by_bytes: HashMap<Vec<u8>, PathId> = wanted
        .iter()
        .map(|&id| (paths.path_bytes(id), id))
        .collect();
    let is_visible = |e: u32| {
        index
            .entries
            .get(e as usize)
            .is_some_and(|x| x.fate == Fate::Visible)
    };
    let mut claim = |list: &PathList, owner: &dyn Fn() -> Owner| {
        list.for_each(|p| {
            if let Some(&id) = by_bytes.get(p) {
                out.entry(id).or_insert_with(owner);
            }
        });
    };
    let mut pip_names: HashMap<&[u8], (&str, &str)> = HashMap::new();
    for (e, r) in &ctx.collected.records {
        if let Record::PipMetadata {
            dir, name, version, ..
        } = r
            && is_visible(*e)
        {
            pip_names.insert(dir, (name.as_str(), version.as_str()));
        }
    }
    let mut versions: HashMap<&str, &str> = HashMap::new();
    for (e, r) in &ctx.collected.records {
        if let Record::DpkgStatus(pkgs) = r
            && is_visible(*e)
        {
            versions.extend(pkgs.iter().map(|p| (p.name.as_str(), p.version.as_str())));
        }
    }
    let mut npm_dirs: Vec<(PathId, Owner)> = Vec::new();
    for (e, r) in &ctx.collected.records {
        if !is_visible(*e) {
            continue;
        }
        match r {
            Record::DpkgList { package, paths } => claim(paths, &|| Owner {
                manager: "dpkg",
                name: package.clone(),
                version: versions.get(package.as_str()).unwrap_or(&"").to_string(),
            }),
            Record::PipRecord { dir, paths } => {
                let (name, version) = pip_names.get(dir.as_ref()).copied().unwrap_or_else(|| {
                    let dir_name = dir.rsplit(|&b| b == b'/').next().unwrap_or_default();
                    (std::str::from_utf8(dir_name).unwrap_or("?"), "")
                });
                claim(paths, &|| Owner {
                    manager: "pip",
                    name: name.to_string(),
                    version: version.to_string(),
                });
            }
            Record::Apk(pkgs) => {
                for p in pkgs {
                    claim(&p.paths, &|| Owner {
                        manager: "apk",
                        name: p.name.clone(),
                        version: p.version.clone(),
                    });
                }
            }
            Record::Npm {
                dir,
                name,
                version,
                installed: true,
                ..
            } => {
                if let Some(id) = paths.find(dir) {
                    npm_dirs.push((
                        id,
                        Owner {
                            manager: "npm",
                            name: name.clone(),
                            version: version.clone(),
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    // npm lists no files: a package's contents are its directory, less the packages
    // nested in its own node_modules (the nearest package directory owns a file).
    for &id in wanted {
        if out.contains_key(&id) {
            continue;
        }
        let nearest = paths
            .ancestors(id)
            .find_map(|a| npm_dirs.iter().find(|(d, _)| *d == a));
        if let Some((_, owner)) = nearest {
            out.insert(id, owner.clone());
        }
    }
    out
}
