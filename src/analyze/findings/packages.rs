//! Package databases, parsed as the reader streams them: dpkg (`status`, `info/*.list`),
//! pip (`*.dist-info/METADATA`, `RECORD`, `INSTALLER`, `REQUESTED`), npm (`package.json`,
//! the lock), apk (`lib/apk/db/installed`, `etc/apk/world`), apt's `extended_states`, and
//! pip requirements files. Parsing keeps names, versions, dependency names ([`super::deps`])
//! and file lists only; bytes are attributed later from the files the final tree shows.

use super::deps;
pub use super::path_list::PathList;

/// What a captured package-database file holds.
#[derive(Debug, Clone)]
pub enum Record {
    /// `/var/lib/dpkg/status`: installed packages.
    DpkgStatus(Vec<DpkgPackage>),
    /// `/var/lib/apt/extended_states`: the packages apt installed as dependencies.
    AptAuto(Vec<String>),
    /// `/var/lib/dpkg/info/NAME[:ARCH].list`: the package's paths.
    DpkgList {
        /// The package name (arch qualifier dropped).
        package: String,
        /// Its paths.
        paths: PathList,
    },
    /// A pip `*.dist-info/METADATA` (or egg-info `PKG-INFO`).
    PipMetadata {
        /// The dist-info directory.
        dir: Box<[u8]>,
        /// `Name:`.
        name: String,
        /// `Version:`.
        version: String,
        /// `Requires-Dist:` names (normalised) that are always needed.
        requires: Vec<String>,
        /// `Requires-Dist:` names needed only under an `extra == ...` marker.
        extra_requires: Vec<String>,
    },
    /// A pip `*.dist-info/REQUESTED` (the user asked for the distribution) or `INSTALLER`.
    PipFlag {
        /// The dist-info directory.
        dir: Box<[u8]>,
        /// `None` for `REQUESTED`; the installer's name for `INSTALLER`.
        installer: Option<String>,
    },
    /// A pip `*.dist-info/RECORD`: absolute paths of the distribution's files.
    PipRecord {
        /// The dist-info directory.
        dir: Box<[u8]>,
        /// Its files.
        paths: PathList,
    },
    /// A `package.json`.
    Npm {
        /// The package's directory.
        dir: Box<[u8]>,
        /// `name`.
        name: String,
        /// `version`.
        version: String,
        /// Keys of `devDependencies`.
        dev_dependencies: Vec<String>,
        /// Keys of `dependencies`, `optionalDependencies` and `peerDependencies`.
        dependencies: Vec<String>,
        /// True when it lies inside a `node_modules` tree (an installed package).
        installed: bool,
    },
    /// An npm lock: the package directories only devDependencies need.
    NpmLock {
        /// The directories, absolute.
        dev: PathList,
    },
    /// `lib/apk/db/installed`.
    Apk(Vec<ApkPackage>),
    /// `etc/apk/world`: the packages asked for.
    ApkWorld(Vec<String>),
    /// A pip requirements file.
    Requirements {
        /// Its file name.
        file: String,
        /// Names it lists (normalised).
        names: Vec<String>,
        /// Files it includes with `-r`.
        includes: Vec<String>,
    },
}

/// A dpkg package from the status file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgPackage {
    /// `Package:`.
    pub name: String,
    /// `Version:`.
    pub version: String,
    /// `Installed-Size:` in KiB, as the package states it.
    pub installed_kib: u64,
    /// `Section:` (`devel`, `libdevel`, `kernel`, `vcs`, `libs`...), without an area
    /// prefix (`contrib/devel` is `devel`).
    pub section: String,
    /// `Depends`, `Pre-Depends` and `Recommends` ([`super::deps::dpkg_relations`]):
    /// what apt's autoremover keeps for it (`APT::AutoRemove::RecommendsImportant`).
    pub depends: Vec<String>,
    /// `Suggests`: apt keeps these too (`SuggestsImportant`), but removing the package
    /// does not pull them along.
    pub suggests: Vec<String>,
    /// `Provides` (virtual package names).
    pub provides: Vec<String>,
    /// `Essential: yes`, `Protected: yes` or `Important: yes`: apt never removes it.
    pub essential: bool,
}

/// An apk package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkPackage {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
    /// `D:` names ([`super::deps::apk_name`]), conflicts dropped.
    pub depends: Vec<String>,
    /// `p:` names (`so:`, `cmd:`, `pc:` and virtual names).
    pub provides: Vec<String>,
    /// Its files.
    pub paths: PathList,
}

/// The kind of database a path is, if it is one; `path` is normalised (leading `/`).
pub fn db_kind(path: &[u8]) -> Option<DbKind> {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let parent = parent(path);
    let parent_name = parent.rsplit(|&b| b == b'/').next().unwrap_or_default();
    if path == b"/var/lib/dpkg/status" {
        Some(DbKind::DpkgStatus)
    } else if path == b"/var/lib/apt/extended_states" {
        Some(DbKind::AptStates)
    } else if parent == b"/var/lib/dpkg/info" && name.ends_with(b".list") {
        Some(DbKind::DpkgList)
    } else if parent_name.ends_with(b".dist-info") && name == b"METADATA"
        || parent_name.ends_with(b".egg-info") && name == b"PKG-INFO"
    {
        Some(DbKind::PipMetadata)
    } else if parent_name.ends_with(b".dist-info") && name == b"RECORD" {
        Some(DbKind::PipRecord)
    } else if parent_name.ends_with(b".dist-info") && (name == b"REQUESTED" || name == b"INSTALLER")
    {
        Some(DbKind::PipFlag)
    } else if parent_name.ends_with(b".egg-info") && name == b"installed-files.txt" {
        Some(DbKind::EggFiles)
    } else if name == b"package.json" {
        Some(DbKind::Npm)
    } else if name == b"package-lock.json" || name == b".package-lock.json" {
        Some(DbKind::NpmLock)
    } else if path == b"/lib/apk/db/installed" {
        Some(DbKind::Apk)
    } else if path == b"/etc/apk/world" {
        Some(DbKind::ApkWorld)
    } else if name.starts_with(b"requirements") && name.ends_with(b".txt") {
        Some(DbKind::Requirements)
    } else {
        None
    }
}

/// Which parser a database file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// dpkg status.
    DpkgStatus,
    /// apt's extended_states.
    AptStates,
    /// pip `REQUESTED` or `INSTALLER`.
    PipFlag,
    /// An npm lock.
    NpmLock,
    /// apk world.
    ApkWorld,
    /// dpkg file list.
    DpkgList,
    /// pip metadata.
    PipMetadata,
    /// pip RECORD.
    PipRecord,
    /// An egg-info's `installed-files.txt` (paths relative to the egg-info directory).
    EggFiles,
    /// package.json.
    Npm,
    /// apk installed.
    Apk,
    /// requirements*.txt.
    Requirements,
}

/// Parses a captured database file.
pub fn parse(kind: DbKind, path: &[u8], text: &[u8]) -> Option<Record> {
    let text_str = String::from_utf8_lossy(text);
    match kind {
        DbKind::DpkgStatus => Some(Record::DpkgStatus(parse_dpkg_status(&text_str))),
        DbKind::AptStates => Some(Record::AptAuto(deps::apt_auto_installed(&text_str))),
        DbKind::ApkWorld => Some(Record::ApkWorld(deps::apk_world(&text_str))),
        DbKind::PipFlag => {
            let requested = path.ends_with(b"/REQUESTED");
            Some(Record::PipFlag {
                dir: parent(path).into(),
                installer: (!requested).then(|| text_str.trim().to_string()),
            })
        }
        DbKind::NpmLock => parse_npm_lock(path, text),
        DbKind::DpkgList => Some(parse_dpkg_list(path, text)),
        DbKind::PipMetadata => parse_pip_metadata(path, &text_str),
        DbKind::PipRecord => {
            let dir = parent(path);
            let base = parent(dir);
            let paths = text_str
                .lines()
                .filter_map(record_path)
                .map(|rel| resolve(base, rel.as_bytes()))
                .collect();
            Some(Record::PipRecord {
                dir: dir.into(),
                paths,
            })
        }
        DbKind::EggFiles => {
            let dir = parent(path);
            let paths = text_str
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|rel| resolve(dir, rel.as_bytes()))
                .collect();
            Some(Record::PipRecord {
                dir: dir.into(),
                paths,
            })
        }
        DbKind::Npm => parse_package_json(path, text),
        DbKind::Apk => Some(Record::Apk(parse_apk(&text_str))),
        DbKind::Requirements => Some(parse_requirements(path, &text_str)),
    }
}

/// An npm lock (`package-lock.json`, `node_modules/.package-lock.json`): the packages it
/// marks `dev`, as paths in the image. `None` when it is not JSON.
fn parse_npm_lock(path: &[u8], text: &[u8]) -> Option<Record> {
    let v: serde_json::Value = serde_json::from_slice(text).ok()?;
    let dir = parent(path);
    // The hidden lock lives in node_modules; its keys are relative to the project.
    let project = if dir.ends_with(b"/node_modules") {
        parent(dir)
    } else {
        dir
    };
    Some(Record::NpmLock {
        dev: deps::npm_lock_dev(&v)
            .into_iter()
            .map(|k| resolve(project, k.as_bytes()))
            .collect(),
    })
}

/// A dpkg `info/PACKAGE[:ARCH].list`: the package (from the file name) and its paths.
fn parse_dpkg_list(path: &[u8], text: &[u8]) -> Record {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
    let stem = name.strip_suffix(b".list").unwrap_or(name);
    let pkg = stem.split(|&b| b == b':').next().unwrap_or(stem);
    Record::DpkgList {
        package: String::from_utf8_lossy(pkg).into_owned(),
        paths: text
            .split(|&b| b == b'\n')
            .filter(|l| l.first() == Some(&b'/') && l.len() > 1)
            .collect(),
    }
}

/// A dist-info `METADATA` (or egg-info `PKG-INFO`): name, version and `Requires-Dist`,
/// those without an extra apart. `None` without a name.
fn parse_pip_metadata(path: &[u8], text: &str) -> Option<Record> {
    let mut name = String::new();
    let mut version = String::new();
    let (mut requires, mut extra_requires) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = v.trim().to_string();
        } else if let Some((dep, hard)) = line
            .strip_prefix("Requires-Dist:")
            .and_then(deps::requires_dist)
        {
            let dep = normalise_py(&dep);
            if hard {
                requires.push(dep);
            } else {
                extra_requires.push(dep);
            }
        }
    }
    (!name.is_empty()).then(|| Record::PipMetadata {
        dir: parent(path).into(),
        name,
        version,
        requires,
        extra_requires,
    })
}

/// A `package.json`: name, version, dependencies and devDependencies, and whether it is
/// an installed package (under `node_modules`) or a project. `None` when it is not JSON
/// or has no name.
fn parse_package_json(path: &[u8], text: &[u8]) -> Option<Record> {
    let v: serde_json::Value = serde_json::from_slice(text).ok()?;
    let dir = parent(path);
    let installed = dir.split(|&b| b == b'/').any(|c| c == b"node_modules");
    Some(Record::Npm {
        dir: dir.into(),
        name: v.get("name")?.as_str().unwrap_or_default().to_string(),
        version: v
            .get("version")
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string(),
        dev_dependencies: v
            .get("devDependencies")
            .and_then(|d| d.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default(),
        dependencies: ["dependencies", "optionalDependencies", "peerDependencies"]
            .iter()
            .filter_map(|k| v.get(k).and_then(|d| d.as_object()))
            .flat_map(|o| o.keys().cloned())
            .collect(),
        installed,
    })
}

/// A `requirements*.txt`: the names it lists (PEP 503-normalised) and the files it
/// includes with `-r`.
fn parse_requirements(path: &[u8], text: &str) -> Record {
    let mut names = Vec::new();
    let mut includes = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(inc) = line
            .strip_prefix("-r ")
            .or_else(|| line.strip_prefix("--requirement "))
        {
            includes.push(
                inc.trim()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        } else if !line.is_empty() && !line.starts_with('-') {
            let end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
                .unwrap_or(line.len());
            names.push(normalise_py(line.get(..end).unwrap_or_default()));
        }
    }
    let file = String::from_utf8_lossy(path.rsplit(|&b| b == b'/').next().unwrap_or_default())
        .into_owned();
    Record::Requirements {
        file,
        names,
        includes,
    }
}

/// PEP 503 name normalisation: lower case, runs of `-_.` as `-`.
pub fn normalise_py(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The path of a RECORD line (`path,hash,size`; a path with commas is quoted).
fn record_path(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix('"') {
        let end = rest.find('"')?;
        return rest.get(..end).map(str::to_string);
    }
    let p = line.split(',').next()?.trim();
    (!p.is_empty()).then(|| p.to_string())
}

fn parse_dpkg_status(text: &str) -> Vec<DpkgPackage> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut name = "";
        let mut version = "";
        let mut kib = 0;
        let mut installed = false;
        let mut section = "";
        let (mut depends, mut suggests, mut provides) = (Vec::new(), Vec::new(), Vec::new());
        let mut essential = false;
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = v.trim();
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = v.trim();
            } else if let Some(v) = line.strip_prefix("Installed-Size:") {
                kib = v.trim().parse().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("Status:") {
                installed = v.trim().ends_with(" installed");
            } else if let Some(v) = line.strip_prefix("Section:") {
                section = v.trim().rsplit('/').next().unwrap_or_default();
            } else if let Some(v) = ["Depends:", "Pre-Depends:", "Recommends:"]
                .iter()
                .find_map(|k| line.strip_prefix(k))
            {
                depends.extend(deps::dpkg_relations(v));
            } else if let Some(v) = line.strip_prefix("Suggests:") {
                suggests = deps::dpkg_relations(v);
            } else if let Some(v) = line.strip_prefix("Provides:") {
                provides = deps::dpkg_relations(v);
            } else if let Some(v) = ["Essential:", "Protected:", "Important:"]
                .iter()
                .find_map(|k| line.strip_prefix(k))
            {
                essential |= v.trim() == "yes";
            }
        }
        if installed && !name.is_empty() {
            out.push(DpkgPackage {
                name: name.to_string(),
                version: version.to_string(),
                installed_kib: kib,
                section: section.to_string(),
                depends,
                suggests,
                provides,
                essential,
            });
        }
    }
    out
}

fn parse_apk(text: &str) -> Vec<ApkPackage> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut pkg = ApkPackage {
            name: String::new(),
            version: String::new(),
            depends: Vec::new(),
            provides: Vec::new(),
            paths: PathList::default(),
        };
        let mut dir = String::new();
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("P:") {
                pkg.name = v.to_string();
            } else if let Some(v) = line.strip_prefix("V:") {
                pkg.version = v.to_string();
            } else if let Some(v) = line.strip_prefix("D:") {
                pkg.depends
                    .extend(v.split_whitespace().filter_map(deps::apk_name));
            } else if let Some(v) = line.strip_prefix("p:") {
                pkg.provides
                    .extend(v.split_whitespace().filter_map(deps::apk_name));
            } else if let Some(v) = line.strip_prefix("F:") {
                dir = v.to_string();
            } else if let Some(v) = line.strip_prefix("R:") {
                pkg.paths
                    .push(format!("/{dir}/{v}").replace("//", "/").as_bytes());
            }
        }
        if !pkg.name.is_empty() {
            pkg.paths.shrink_to_fit();
            out.push(pkg);
        }
    }
    out
}

/// The directory part of a `/`-separated path.
pub fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/",
        Some(i) => path.get(..i).unwrap_or_default(),
        None => b"",
    }
}

/// Joins `rel` to the directory `base`, resolving `.` and `..`.
pub fn resolve(base: &[u8], rel: &[u8]) -> Vec<u8> {
    // Sized up front: this runs for every line of every RECORD (over 100,000 on the ML
    // benchmark image), and growing the two vectors made half a million reallocs.
    let mut parts: Vec<&[u8]> = Vec::with_capacity(32);
    if rel.first() != Some(&b'/') {
        parts.extend(base.split(|&b| b == b'/').filter(|p| !p.is_empty()));
    }
    for p in rel.split(|&b| b == b'/') {
        match p {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    let mut out = Vec::with_capacity(base.len() + rel.len() + 1);
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    out
}

/// Python packages that are development tools, not runtime dependencies.
pub const DEV_PY: &[&str] = &[
    "pytest",
    "pytest-cov",
    "pytest-mock",
    "pytest-asyncio",
    "pytest-xdist",
    "pluggy",
    "iniconfig",
    "black",
    "ruff",
    "flake8",
    "pyflakes",
    "pycodestyle",
    "mccabe",
    "pylint",
    "astroid",
    "mypy",
    "mypy-extensions",
    "ipython",
    "ipykernel",
    "ipywidgets",
    "jupyter",
    "jupyter-core",
    "jupyter-client",
    "jupyterlab",
    "notebook",
    "nbconvert",
    "nbformat",
    "coverage",
    "tox",
    "nox",
    "pre-commit",
    "isort",
    "bandit",
    "hypothesis",
    "debugpy",
    "pdbpp",
    "sphinx",
    "twine",
    "build",
    "virtualenv",
    "autopep8",
    "yapf",
    "pydocstyle",
];

/// What a dpkg or apk package is for, as far as building goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildUse {
    /// Something the running service may need.
    Runtime,
    /// Only building or developing needs it: headers, kernel headers, version control,
    /// debuggers and tracers.
    Dev,
    /// A compiler or build tool.
    Toolchain,
}

/// Classifies a dpkg or apk package by what it is: its name and, for dpkg, its
/// `Section` (`section` empty for apk, which records none). Where a package installs is
/// the caller's third witness (see `attribution`).
///
/// - compilers and build tools ([`is_toolchain`]) are [`BuildUse::Toolchain`];
/// - `-dev` packages, and the sections Debian files only development under (`devel`,
///   `libdevel`, `vcs`, `debug`, and `kernel` but for kernel images), are
///   [`BuildUse::Dev`]; so are, by name, kernel headers, version control and
///   debuggers and tracers, for apk and for a status file without sections.
pub fn build_use(name: &str, section: &str) -> BuildUse {
    const DEV_EXACT: &[&str] = &[
        "git",
        "git-lfs",
        "subversion",
        "mercurial",
        "cvs",
        "bzr",
        "gdb",
        "gdbserver",
        "strace",
        "ltrace",
        "valgrind",
        "linux-headers",
        "linux-libc-dev",
        "manpages-dev",
    ];
    const DEV_PREFIX: &[&str] = &["linux-headers-", "linux-kbuild-", "linux-compiler-"];
    if is_toolchain(name) {
        return BuildUse::Toolchain;
    }
    let by_section = match section {
        "devel" | "libdevel" | "vcs" | "debug" => true,
        "kernel" => !name.starts_with("linux-image"),
        _ => false,
    };
    if by_section
        || name.ends_with("-dev")
        || name.ends_with("-dbg")
        || name.ends_with("-dbgsym")
        || DEV_EXACT.contains(&name)
        || DEV_PREFIX.iter().any(|p| name.starts_with(p))
    {
        BuildUse::Dev
    } else {
        BuildUse::Runtime
    }
}

/// dpkg and apk packages that are compilers and build tools.
pub fn is_toolchain(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "gcc",
        "g++",
        "cpp",
        "clang",
        "make",
        "cmake",
        "build-essential",
        "build-base",
        "rustc",
        "cargo",
        "golang",
        "go",
        "pkgconf",
        "pkg-config",
        "autoconf",
        "automake",
        "libtool",
        "binutils",
        "ninja-build",
        "meson",
        "bison",
        "flex",
        "dpkg-dev",
        "musl-dev",
        "cmake-data",
        "pkgconf-bin",
        "m4",
        "ninja",
        "samurai",
        "patch",
        "scons",
        "nasm",
        "yasm",
        "swig",
        "ccache",
        "gfortran",
        "libtool-bin",
        "autotools-dev",
        "autopoint",
        "debhelper",
        "dh-autoreconf",
    ];
    const PREFIX: &[&str] = &[
        "gcc-",
        "g++-",
        "cpp-",
        "clang-",
        "llvm-",
        "golang-",
        "rustc-",
        "binutils-",
        "libgcc-",
        "libstdc++-",
        "libclang",
        "gfortran-",
    ];
    EXACT.contains(&name)
        || !name.ends_with("-base")
            && PREFIX
                .iter()
                .any(|p| name.starts_with(p) && (!p.starts_with("lib") || name.ends_with("-dev")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_record_paths() {
        assert_eq!(
            resolve(
                b"/opt/venv/lib/python3.11/site-packages",
                b"../../../bin/pytest"
            ),
            b"/opt/venv/bin/pytest"
        );
        assert_eq!(parent(b"/a/b.dist-info/RECORD"), b"/a/b.dist-info");
        assert_eq!(normalise_py("Flask_Cors.x"), "flask-cors-x");
    }

    #[test]
    fn toolchain_names() {
        assert!(is_toolchain("make"));
        assert!(is_toolchain("gcc-12"));
        assert!(is_toolchain("libgcc-12-dev"));
        assert!(!is_toolchain("libgcc-s1"));
        assert!(!is_toolchain("python3"));
    }

    /// Build-time packages by what they are: the real ML image's kernel headers and git
    /// were `dev: false` before.
    #[test]
    fn build_use_by_name_and_section() {
        use BuildUse::*;
        for (name, section, want) in [
            ("linux-headers-amd64", "kernel", Dev),
            ("linux-headers-6.1.0-28-common", "kernel", Dev),
            ("linux-kbuild-6.1", "kernel", Dev),
            ("linux-image-amd64", "kernel", Runtime),
            ("git", "vcs", Dev),
            ("git", "", Dev),
            ("patch", "vcs", Toolchain),
            ("libffi-dev", "libdevel", Dev),
            ("python3.11-dev", "python", Dev),
            ("gdb", "devel", Dev),
            ("strace", "utils", Dev),
            ("cmake", "devel", Toolchain),
            ("ninja-build", "devel", Toolchain),
            ("pkg-config", "devel", Toolchain),
            ("autoconf", "devel", Toolchain),
            ("automake", "devel", Toolchain),
            ("libtool", "devel", Toolchain),
            ("linux-headers", "", Dev),
            ("python3", "python", Runtime),
            ("libc6", "libs", Runtime),
            ("git-man", "doc", Runtime),
            ("perl", "perl", Runtime),
        ] {
            assert_eq!(build_use(name, section), want, "{name} ({section})");
        }
    }
}
