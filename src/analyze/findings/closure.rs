//! Package closures: what removing a set of packages takes along, as `apt-get purge
//! --autoremove`, `pip-autoremove`, `apk del` and `npm prune --omit=dev` would compute it.
//!
//! [`link`] fills each package's [`Package::needs`], [`Package::keeps`] and
//! [`Package::manual`] from the databases the reader collected; [`closure`] is apt's
//! mark-and-sweep: every package outside the removal set that was asked for by name is a
//! root; everything the roots need or keep, transitively, is marked; the closure is the
//! removal set plus every unmarked package it needs, transitively. So a dependency that a
//! kept package also needs stays, a dependency two removable packages share goes, and
//! cycles (`Pre-Depends` loops) are walked once.
//!
//! Where a database does not say what was asked for, nothing is taken along: without
//! apt's `extended_states` every dpkg package counts as asked for (apt's own reading);
//! without `etc/apk/world` every apk package; a pip environment without any `REQUESTED`
//! file (pip before 20.2) falls back to `pip-autoremove`'s reading, where a distribution
//! no other one needs counts as asked for.

use super::collect::Collected;
use super::model::Package;
use super::packages::{Record, normalise_py, parent};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// The closure of `roots` (indexes into `packages`): the roots first, in the order given,
/// then what only they or other `removable` packages need, heaviest first. The
/// `removable` ones (every package the advice says to remove) are not kept roots: a
/// library that only gcc and libc6-dev need goes with the toolchain.
pub(super) fn closure(packages: &[Package], roots: &[usize], removable: &[usize]) -> Vec<usize> {
    let n = packages.len();
    let mut removed = vec![false; n];
    for &r in roots.iter().chain(removable) {
        if let Some(x) = removed.get_mut(r) {
            *x = true;
        }
    }
    // Mark what the kept packages need or keep, as apt does over the planned state: the
    // removed packages are gone from it, so the walk does not go through them (python3-pip
    // recommends build-essential; that keeps nothing once build-essential is purged).
    let mut marked = vec![false; n];
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| !removed[i] && packages[i].manual)
        .collect();
    for &i in &stack {
        marked[i] = true;
    }
    while let Some(i) = stack.pop() {
        for &j in packages[i].needs.iter().chain(&packages[i].keeps) {
            let j = j as usize;
            if let Some(m) = marked.get_mut(j)
                && !*m
                && !removed[j]
            {
                *m = true;
                stack.push(j);
            }
        }
    }
    // Sweep: what the roots need that nothing kept does.
    let mut taken = vec![false; n];
    for &r in roots {
        if let Some(x) = taken.get_mut(r) {
            *x = true;
        }
    }
    let mut extra = Vec::new();
    let mut stack: Vec<usize> = roots.iter().copied().filter(|&r| r < n).collect();
    while let Some(i) = stack.pop() {
        for &j in &packages[i].needs {
            let j = j as usize;
            if j < n && !taken[j] && !marked[j] {
                taken[j] = true;
                extra.push(j);
                stack.push(j);
            }
        }
    }
    extra.sort_by(|&a, &b| packages[b].bytes.cmp(&packages[a].bytes).then(a.cmp(&b)));
    let mut out: Vec<usize> = Vec::with_capacity(roots.len() + extra.len());
    for &r in roots {
        if r < n && !out.contains(&r) {
            out.push(r);
        }
    }
    out.extend(extra);
    out
}

/// Indexes of packages by a lookup key.
type ByKey<'a> = HashMap<(&'static str, &'a [u8], &'a str), Vec<u32>>;

/// Fills `needs`, `keeps` and `manual` of `packages` from the visible databases of `c`.
pub(super) fn link(c: &Collected, is_visible: &dyn Fn(u32) -> bool, packages: &mut [Package]) {
    let visible: Vec<&Record> = c
        .records
        .iter()
        .filter(|(e, _)| is_visible(*e))
        .map(|(_, r)| r)
        .collect();
    let names: Vec<(&'static str, Box<[u8]>, String)> = packages
        .iter()
        .map(|p| {
            let name = if p.manager == "pip" {
                normalise_py(&p.name)
            } else {
                p.name.clone()
            };
            let scope = if p.manager == "pip" {
                Box::from(parent(&p.scope))
            } else {
                p.scope.clone()
            };
            (p.manager, scope, name)
        })
        .collect();
    let mut by: ByKey<'_> = HashMap::new();
    for (i, (m, scope, name)) in names.iter().enumerate() {
        // npm resolves by directory, the others by name (pip within its environment).
        let key = if *m == "npm" {
            (*m, &scope[..], "")
        } else {
            (*m, &scope[..], name.as_str())
        };
        by.entry(key).or_default().push(i as u32);
    }
    let mut links: Vec<(Vec<u32>, Vec<u32>, bool)> =
        vec![(Vec::new(), Vec::new(), true); packages.len()];
    link_dpkg_apk(&visible, &by, &mut links);
    link_pip(&visible, &by, &mut links);
    link_npm(&visible, &by, &names, &mut links);
    for (p, (needs, keeps, manual)) in packages.iter_mut().zip(links) {
        p.needs = needs;
        p.keeps = keeps;
        p.manual = manual;
    }
}

/// The packages a list of names resolves to, each once.
fn resolve(names: &[String], lookup: &dyn Fn(&str) -> Vec<u32>, own: u32) -> Vec<u32> {
    let mut out: Vec<u32> = names
        .iter()
        .flat_map(|n| lookup(n))
        .filter(|&j| j != own)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// dpkg and apk: by name or by what a package provides; asked for unless apt's
/// `extended_states` says `Auto-Installed` (and not essential) or apk's `world` exists
/// and does not name it.
fn link_dpkg_apk(visible: &[&Record], by: &ByKey<'_>, links: &mut [(Vec<u32>, Vec<u32>, bool)]) {
    let mut auto: HashSet<&str> = HashSet::new();
    let mut world: Option<HashSet<&str>> = None;
    for r in visible {
        match r {
            Record::AptAuto(names) => auto.extend(names.iter().map(String::as_str)),
            Record::ApkWorld(names) => world
                .get_or_insert_with(HashSet::new)
                .extend(names.iter().map(String::as_str)),
            _ => {}
        }
    }
    for r in visible {
        match r {
            Record::DpkgStatus(pkgs) => {
                let provides = providers(
                    pkgs.iter().map(|p| (p.name.as_str(), &p.provides[..])),
                    "dpkg",
                    by,
                );
                let lookup = |n: &str| lookup_named("dpkg", n, by, &provides);
                for p in pkgs {
                    for &i in by
                        .get(&("dpkg", &b""[..], p.name.as_str()))
                        .into_iter()
                        .flatten()
                    {
                        if let Some(l) = links.get_mut(i as usize) {
                            *l = (
                                resolve(&p.depends, &lookup, i),
                                resolve(&p.suggests, &lookup, i),
                                p.essential || !auto.contains(p.name.as_str()),
                            );
                        }
                    }
                }
            }
            Record::Apk(pkgs) => {
                let provides = providers(
                    pkgs.iter().map(|p| (p.name.as_str(), &p.provides[..])),
                    "apk",
                    by,
                );
                let lookup = |n: &str| lookup_named("apk", n, by, &provides);
                for p in pkgs {
                    for &i in by
                        .get(&("apk", &b""[..], p.name.as_str()))
                        .into_iter()
                        .flatten()
                    {
                        if let Some(l) = links.get_mut(i as usize) {
                            *l = (
                                resolve(&p.depends, &lookup, i),
                                Vec::new(),
                                world.as_ref().is_none_or(|w| w.contains(p.name.as_str())),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Virtual name -> the packages that provide it.
fn providers<'a>(
    pkgs: impl Iterator<Item = (&'a str, &'a [String])>,
    manager: &'static str,
    by: &ByKey<'_>,
) -> HashMap<&'a str, Vec<u32>> {
    let mut out: HashMap<&str, Vec<u32>> = HashMap::new();
    for (name, provides) in pkgs {
        let ids = by
            .get(&(manager, &b""[..], name))
            .cloned()
            .unwrap_or_default();
        for v in provides {
            out.entry(v.as_str()).or_default().extend(&ids);
        }
    }
    out
}

fn lookup_named(
    manager: &'static str,
    n: &str,
    by: &ByKey<'_>,
    provides: &HashMap<&str, Vec<u32>>,
) -> Vec<u32> {
    let mut out = by.get(&(manager, &b""[..], n)).cloned().unwrap_or_default();
    out.extend(provides.get(n).into_iter().flatten());
    out
}

/// pip: `Requires-Dist` within the same environment (site-packages directory); asked
/// for when `REQUESTED`, or installed by another tool than pip; in an environment
/// without `REQUESTED` files, when nothing else there needs it.
fn link_pip(visible: &[&Record], by: &ByKey<'_>, links: &mut [(Vec<u32>, Vec<u32>, bool)]) {
    let mut requested: HashSet<&[u8]> = HashSet::new();
    let mut installer: HashMap<&[u8], &str> = HashMap::new();
    for r in visible {
        if let Record::PipFlag { dir, installer: i } = r {
            match i {
                None => {
                    requested.insert(dir);
                }
                Some(i) => {
                    installer.insert(dir, i.as_str());
                }
            }
        }
    }
    let envs_with_requested: HashSet<&[u8]> = requested.iter().map(|d| parent(d)).collect();
    let mut pip: Vec<(u32, &[u8])> = Vec::new();
    for r in visible {
        if let Record::PipMetadata {
            dir,
            name,
            requires,
            extra_requires,
            ..
        } = r
        {
            let env = parent(dir);
            let lookup = |n: &str| by.get(&("pip", env, n)).cloned().unwrap_or_default();
            let key = ("pip", env, normalise_py(name));
            let Some(ids) = by.get(&(key.0, key.1, key.2.as_str())) else {
                continue;
            };
            for &i in ids {
                if let Some(l) = links.get_mut(i as usize) {
                    let manual = requested.contains(&dir[..])
                        || installer.get(&dir[..]).is_none_or(|i| *i != "pip");
                    *l = (
                        resolve(requires, &lookup, i),
                        resolve(extra_requires, &lookup, i),
                        manual,
                    );
                    pip.push((i, env));
                }
            }
        }
    }
    // pip-autoremove's reading where pip kept no REQUESTED: a leaf was asked for.
    let mut needed: HashSet<u32> = HashSet::new();
    for &(i, _) in &pip {
        if let Some(l) = links.get(i as usize) {
            needed.extend(l.0.iter().chain(&l.1));
        }
    }
    for &(i, env) in &pip {
        if !envs_with_requested.contains(env)
            && let Some(l) = links.get_mut(i as usize)
        {
            l.2 = !needed.contains(&i);
        }
    }
}

/// npm: a dependency resolves to the nearest `node_modules/NAME` above the package; the
/// app's own `dependencies` are asked for, and so is whatever a lock does not flag
/// `dev: true`.
fn link_npm(
    visible: &[&Record],
    by: &ByKey<'_>,
    names: &[(&'static str, Box<[u8]>, String)],
    links: &mut [(Vec<u32>, Vec<u32>, bool)],
) {
    let dir_of = |d: &[u8]| by.get(&("npm", d, "")).and_then(|v| v.first().copied());
    // From package directory `from`, `name` resolves to the nearest installed one.
    let find = |from: &[u8], name: &str| -> Option<u32> {
        let mut at: Option<&[u8]> = Some(from);
        while let Some(a) = at {
            let base: &[u8] = if a == b"/" { b"" } else { a };
            let mut cand = base.to_vec();
            if !base.ends_with(b"/node_modules") {
                cand.extend_from_slice(b"/node_modules");
            }
            cand.push(b'/');
            cand.extend_from_slice(name.as_bytes());
            if let Some(i) = dir_of(&cand) {
                return Some(i);
            }
            at = (!base.is_empty()).then(|| parent(base));
        }
        None
    };
    let mut lock_dev: Option<HashSet<Vec<u8>>> = None;
    for r in visible {
        if let Record::NpmLock { dev } = r {
            lock_dev
                .get_or_insert_with(HashSet::new)
                .extend(dev.to_vecs());
        }
    }
    let mut direct: Vec<u32> = Vec::new();
    for r in visible {
        if let Record::Npm {
            dir,
            dependencies,
            installed,
            ..
        } = r
        {
            let ids: Vec<u32> = dependencies.iter().filter_map(|n| find(dir, n)).collect();
            if !installed {
                direct.extend(&ids);
            } else if let Some(i) = dir_of(dir)
                && let Some(l) = links.get_mut(i as usize)
            {
                let mut ids = ids;
                ids.retain(|&j| j != i);
                ids.sort_unstable();
                ids.dedup();
                l.0 = ids;
                // Kept when a lock lists it but not as dev-only.
                l.2 = lock_dev.as_ref().is_some_and(|d| !d.contains(&dir[..]));
            }
        }
    }
    for i in direct {
        if let Some(l) = links.get_mut(i as usize)
            && names.get(i as usize).is_some_and(|n| n.0 == "npm")
        {
            l.2 = true;
        }
    }
}
