//! Package closures (#22 item 1): a package finding counts what removing the packages it
//! names takes along, as `apt-get purge --autoremove`, pip-autoremove, `apk del` and
//! `npm prune --omit=dev` would. Synthetic images whose closures are worked out by hand:
//! shared dependencies, a dependency a kept package also needs, alternatives, virtual
//! packages, cycles, extras, Suggests, essential packages.

use crate::common::temp_file;
use deadweight::analyze::findings::collect::Collector;
use deadweight::analyze::findings::{self, Finding, Findings};
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::source::Source;
use synth::{Flavour, Image, Layer, Options};

fn findings_of(layer: Layer) -> Findings {
    let bytes = synth::write_archive(
        &[Image::new(vec![layer])],
        &Options::new(Flavour::OciArchive),
    )
    .unwrap();
    let tmp = temp_file(&bytes);
    let mut collector = Collector::default();
    let index = deadweight::pipeline::read_index(
        &Source::Path(tmp.path().to_path_buf()),
        &deadweight::pipeline::Options::default(),
        Some(&mut collector),
    )
    .unwrap();
    let analysis = Analysis::new(&index, &BaseHint::default());
    let collected = collector.resolve(&index);
    Findings::new(&index, &analysis, &collected, &findings::Options::default())
}

fn the<'a>(f: &'a Findings, rule: &str) -> &'a Finding {
    let all: Vec<&Finding> = f.findings.iter().filter(|x| x.rule == rule).collect();
    assert_eq!(all.len(), 1, "{rule}: {all:#?}");
    all[0]
}

fn names(f: &Finding) -> Vec<&str> {
    f.packages.iter().map(|(n, _)| n.as_str()).collect()
}

/// A dpkg package: its status paragraph, and one file of `size` bytes it owns.
struct Deb {
    name: &'static str,
    fields: &'static str,
    size: usize,
}

const DEBS: &[Deb] = &[
    // The removable roots (toolchain by name). build-essential is asked for, make too.
    Deb {
        name: "build-essential",
        fields: "Depends: libfoo1 (>= 1.0), perl:any | perl-alt, c-compiler, libmk, base-ess, libsug, libdd\nPre-Depends: cyc-a\nRecommends: librec\n",
        size: 1,
    },
    Deb {
        name: "make",
        fields: "Depends: libmk, libc6\n",
        size: 10,
    },
    // Only build-essential needs it: taken along.
    Deb {
        name: "libfoo1",
        fields: "",
        size: 100,
    },
    // build-essential's `perl:any | perl-alt`: also needed by the kept svc, so it stays.
    Deb {
        name: "perl",
        fields: "Depends: libc6\n",
        size: 1_000,
    },
    // Virtual: `c-compiler` is provided by tinycc, which only build-essential needs.
    Deb {
        name: "tinycc",
        fields: "Provides: c-compiler\n",
        size: 10_000,
    },
    // Shared by the two removable roots: taken along.
    Deb {
        name: "libmk",
        fields: "",
        size: 100_000,
    },
    // A Pre-Depends cycle only build-essential reaches: both taken along.
    Deb {
        name: "cyc-a",
        fields: "Pre-Depends: cyc-b\n",
        size: 1_000_000,
    },
    Deb {
        name: "cyc-b",
        fields: "Pre-Depends: cyc-a\n",
        size: 2_000_000,
    },
    // Recommends count (apt's RecommendsImportant).
    Deb {
        name: "librec",
        fields: "",
        size: 20,
    },
    // Essential: never removed, though apt installed it as a dependency.
    Deb {
        name: "base-ess",
        fields: "Essential: yes\n",
        size: 30,
    },
    // The kept svc suggests it (SuggestsImportant): stays.
    Deb {
        name: "libsug",
        fields: "",
        size: 40,
    },
    // Asked for: the runtime service, and libc6 from the base (no extended_states entry).
    Deb {
        name: "svc",
        fields: "Depends: perl\nSuggests: libsug\n",
        size: 50,
    },
    Deb {
        name: "libc6",
        fields: "",
        size: 60,
    },
    // A -dev package asked for, removable too: what it and the toolchain need (libdd)
    // goes with the toolchain; its own finding keeps to what is left.
    Deb {
        name: "libfoo-dev",
        fields: "Depends: libdd\n",
        size: 7,
    },
    Deb {
        name: "libdd",
        fields: "",
        size: 5,
    },
    // Auto-installed, needed by nothing: not the fix's business.
    Deb {
        name: "orphan",
        fields: "",
        size: 70,
    },
];

const AUTO: &[&str] = &[
    "libfoo1", "perl", "tinycc", "libmk", "cyc-a", "cyc-b", "librec", "base-ess", "libsug",
    "orphan", "libdd",
];

fn dpkg_image() -> Layer {
    let mut status = String::new();
    let mut layer = Layer::new();
    for d in DEBS {
        status.push_str(&format!(
            "Package: {}\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n{}\n",
            d.name, d.fields
        ));
        let file = format!("usr/lib/{}/file", d.name);
        layer = layer.file(&file, vec![b'x'; d.size]).file(
            &format!("var/lib/dpkg/info/{}:amd64.list", d.name),
            format!("/usr/lib/{0}\n/{file}\n", d.name),
        );
    }
    let states: String = AUTO
        .iter()
        .map(|n| format!("Package: {n}\nArchitecture: amd64\nAuto-Installed: 1\n\n"))
        .collect();
    layer
        .file("var/lib/dpkg/status", status)
        .file("var/lib/apt/extended_states", states)
}

#[test]
fn dpkg_closure_as_apt_autoremove() {
    let f = findings_of(dpkg_image());
    let tools = the(&f, "build_toolchain.packages");
    // The roots first (heaviest first), then what only they need, heaviest first.
    assert_eq!(
        names(tools),
        [
            "make",
            "build-essential",
            "cyc-b",
            "cyc-a",
            "libmk",
            "tinycc",
            "libfoo1",
            "librec",
            "libdd"
        ]
    );
    assert_eq!(
        tools.bytes,
        10 + 1 + 2_000_000 + 1_000_000 + 100_000 + 10_000 + 100 + 20 + 5
    );
    assert_eq!(tools.saving_bytes, tools.bytes);
    assert!(
        tools.message.contains(
            "and the 7 packages only they need: cyc-b cyc-a libmk tinycc libfoo1 librec libdd"
        ),
        "{}",
        tools.message
    );
    assert_eq!(tools.packages[2], ("cyc-b".to_string(), 2_000_000));
    // libfoo-dev's own finding: libdd went with the toolchain.
    let dev = the(&f, "dev_dependency.dpkg-dev-packages");
    assert_eq!(names(dev), ["libfoo-dev"]);
    assert_eq!(dev.bytes, 7);
}

/// Without apt's extended_states every package counts as asked for (apt's reading): the
/// closure is the packages named.
#[test]
fn dpkg_without_extended_states_takes_nothing_along() {
    let mut status = String::new();
    let mut layer = Layer::new();
    for d in DEBS {
        status.push_str(&format!(
            "Package: {}\nStatus: install ok installed\nVersion: 1\n{}\n",
            d.name, d.fields
        ));
        let file = format!("usr/lib/{}/file", d.name);
        layer = layer.file(&file, vec![b'x'; d.size]).file(
            &format!("var/lib/dpkg/info/{}.list", d.name),
            format!("/{file}\n"),
        );
    }
    let f = findings_of(layer.file("var/lib/dpkg/status", status));
    let tools = the(&f, "build_toolchain.packages");
    assert_eq!(names(tools), ["make", "build-essential"]);
    assert_eq!(tools.bytes, 11);
    assert!(
        tools.message.ends_with("make 1, build-essential 1"),
        "{}",
        tools.message
    );
}

fn dist(layer: Layer, site: &str, name: &str, meta: &str, requested: bool, size: usize) -> Layer {
    let di = format!("{site}/{name}-1.0.dist-info");
    let layer = layer
        .file(&format!("{site}/{name}/__init__.py"), vec![b'p'; size])
        .file(
            &format!("{di}/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{meta}\n"),
        )
        .file(
            &format!("{di}/RECORD"),
            format!("{name}/__init__.py,,{size}\n"),
        )
        .file(&format!("{di}/INSTALLER"), "pip\n");
    if requested {
        layer.file(&format!("{di}/REQUESTED"), "")
    } else {
        layer
    }
}

#[test]
fn pip_closure_as_pip_autoremove_with_requested_and_extras() {
    let site = "opt/venv/lib/python3.11/site-packages";
    let mut l = Layer::new();
    // pytest (a dev tool, asked for) needs pluggy (a dev tool too), exceptiongroup (a
    // marker that is not an extra: counts) and packaging; its `testing` extra wants
    // pygments, which is not a hard dependency and stays.
    l = dist(
        l,
        site,
        "pytest",
        "Requires-Dist: pluggy<2,>=1.5\nRequires-Dist: exceptiongroup>=1; python_version < \"3.11\"\nRequires-Dist: packaging\nRequires-Dist: pygments>=2; extra == \"dev\"\n",
        true,
        1_000,
    );
    l = dist(l, site, "pluggy", "", false, 100);
    l = dist(l, site, "exceptiongroup", "", false, 10);
    // gunicorn is asked for and needs packaging: packaging stays.
    l = dist(l, site, "gunicorn", "Requires-Dist: packaging\n", true, 5);
    l = dist(l, site, "packaging", "", false, 7);
    l = dist(l, site, "pygments", "", false, 3);
    let f = findings_of(l);
    let dev = the(&f, "dev_dependency.python-dev-tools");
    assert_eq!(names(dev), ["pytest", "pluggy", "exceptiongroup"]);
    assert_eq!(dev.bytes, 1_110);
    assert!(
        dev.message
            .ends_with("and the 1 package only they need: exceptiongroup"),
        "{}",
        dev.message
    );
}

/// pip before 20.2 wrote no REQUESTED: pip-autoremove's reading, a distribution nothing
/// else needs counts as asked for.
#[test]
fn pip_without_requested_takes_what_only_the_tools_need() {
    let site = "usr/local/lib/python3.11/site-packages";
    let mut l = Layer::new();
    l = dist(
        l,
        site,
        "flake8",
        "Requires-Dist: mccabe\nRequires-Dist: pyflakes\nRequires-Dist: six\n",
        false,
        1_000,
    );
    l = dist(l, site, "mccabe", "", false, 100);
    l = dist(l, site, "pyflakes", "Requires-Dist: tomlish\n", false, 10);
    l = dist(l, site, "tomlish", "", false, 1);
    l = dist(l, site, "app-lib", "Requires-Dist: six\n", false, 5);
    l = dist(l, site, "six", "", false, 7);
    let f = findings_of(l);
    let dev = the(&f, "dev_dependency.python-dev-tools");
    // mccabe and pyflakes are dev tools by name (roots); tomlish only pyflakes needs;
    // six the leaf app-lib needs too.
    assert_eq!(names(dev), ["flake8", "mccabe", "pyflakes", "tomlish"]);
    assert_eq!(dev.bytes, 1_111);
}

#[test]
fn apk_closure_by_world_and_provides() {
    let installed = "\
P:build-base\nV:0.5-r3\nD:libtoolx cmd:ldx so:libshared.so.1 !conflicting\nF:usr/share/bb\nR:file\n\n\
P:libtoolx\nV:1\nF:usr/lib/tx\nR:file\n\n\
P:ldx-pkg\nV:1\np:cmd:ldx=1.0\nF:usr/lib/ldx\nR:file\n\n\
P:libshared\nV:1\np:so:libshared.so.1=1.0.0\nF:usr/lib/shared\nR:file\n\n\
P:svc\nV:1\nD:so:libshared.so.1\nF:usr/lib/svc\nR:file\n";
    let l = Layer::new()
        .file("lib/apk/db/installed", installed)
        .file("etc/apk/world", "build-base\nsvc\n")
        .file("usr/share/bb/file", vec![b'a'; 1])
        .file("usr/lib/tx/file", vec![b'a'; 10])
        .file("usr/lib/ldx/file", vec![b'a'; 100])
        .file("usr/lib/shared/file", vec![b'a'; 1_000])
        .file("usr/lib/svc/file", vec![b'a'; 10_000]);
    let f = findings_of(l);
    let tools = the(&f, "build_toolchain.packages");
    assert_eq!(names(tools), ["build-base", "ldx-pkg", "libtoolx"]);
    assert_eq!(tools.bytes, 111);
    assert!(
        tools.message.contains("and the 2 packages only it needs"),
        "{}",
        tools.message
    );
}

#[test]
fn npm_dev_closure_by_node_resolution() {
    let pkg = |name: &str, deps: &str| {
        format!(r#"{{"name":"{name}","version":"1.0.0","dependencies":{{{deps}}}}}"#)
    };
    let l = Layer::new()
        .file(
            "app/package.json",
            r#"{"name":"app","dependencies":{"express":"4"},"devDependencies":{"jest":"29"}}"#,
        )
        .file(
            "app/node_modules/jest/package.json",
            pkg("jest", r#""jest-core":"1","shared":"1""#),
        )
        .file("app/node_modules/jest/index.js", vec![b'j'; 1])
        // jest's own nested copy of shared: only jest needs it.
        .file(
            "app/node_modules/jest/node_modules/shared/package.json",
            pkg("shared", ""),
        )
        .file(
            "app/node_modules/jest/node_modules/shared/index.js",
            vec![b'j'; 10],
        )
        .file(
            "app/node_modules/jest-core/package.json",
            pkg("jest-core", ""),
        )
        .file("app/node_modules/jest-core/index.js", vec![b'j'; 100])
        .file(
            "app/node_modules/express/package.json",
            pkg("express", r#""shared":"1""#),
        )
        .file("app/node_modules/express/index.js", vec![b'e'; 1_000])
        .file("app/node_modules/shared/package.json", pkg("shared", ""))
        .file("app/node_modules/shared/index.js", vec![b's'; 10_000]);
    let f = findings_of(l);
    let dev = the(&f, "dev_dependency.npm-dev-dependencies");
    assert_eq!(names(dev), ["jest", "jest-core", "shared"]);
    let pj =
        |n: &str| format!(r#"{{"name":"{n}","version":"1.0.0","dependencies":{{}}}}"#).len() as u64;
    let jest_pj = pkg("jest", r#""jest-core":"1","shared":"1""#).len() as u64;
    assert_eq!(
        dev.bytes,
        1 + jest_pj + 100 + pj("jest-core") + 10 + pj("shared")
    );
}
