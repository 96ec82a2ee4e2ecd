//! No false alarms and no blind spots on ML images (#26): a key a package ships as its own
//! fixture is that package's (info, never counted by the gate) while the same key
//! anywhere else is an error; datasets of many small files are found as one directory;
//! build-time packages are found by what they are; `.dockerignore` lines come only from
//! the build context copied in the image's own layers. Synthetic images, exact figures.

use crate::common::{bin, temp_file};
use deadweight::analyze::findings::{Category, Finding, Findings, Severity};
use deadweight::source::Source;
use std::path::Path;
use synth::{Flavour, History, Image, Layer, Options};

fn find_path(path: &Path) -> Findings {
    deadweight::inspect(&Source::Path(path.to_path_buf()), &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .findings
}

fn archive(image: Image) -> tempfile::NamedTempFile {
    let bytes = synth::write_archive(&[image], &Options::new(Flavour::OciArchive)).unwrap();
    temp_file(&bytes)
}

fn rule<'a>(f: &'a Findings, id: &str) -> Vec<&'a Finding> {
    f.findings.iter().filter(|x| x.rule == id).collect()
}

fn fill(n: usize, b: u8) -> Vec<u8> {
    vec![b; n]
}

const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7fake\n-----END PRIVATE KEY-----\n";
const SITE: &str = "usr/local/lib/python3.11/dist-packages";

/// tornado's test key, as pip installs it: listed in tornado's RECORD.
fn tornado(layer: Layer) -> Layer {
    layer
        .file(&format!("{SITE}/tornado/__init__.py"), fill(1000, 1))
        .file(&format!("{SITE}/tornado/test/test.key"), KEY)
        .file(
            &format!("{SITE}/tornado-6.4.1.dist-info/METADATA"),
            "Metadata-Version: 2.1\nName: tornado\nVersion: 6.4.1\n\n",
        )
        .file(
            &format!("{SITE}/tornado-6.4.1.dist-info/RECORD"),
            format!(
                "tornado/__init__.py,sha256=a,1000\ntornado/test/test.key,sha256=b,{}\ntornado-6.4.1.dist-info/RECORD,,\n",
                KEY.len()
            ),
        )
}

fn secret_image(extra: Layer) -> Findings {
    let pip = tornado(Layer::new().file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
    let image = Image::new(vec![pip, extra]).user("1000").history(vec![
        History::layer("RUN /bin/sh -c pip install jupyterlab # buildkit"),
        History::layer("COPY . /app # buildkit"),
    ]);
    let tmp = archive(image);
    find_path(tmp.path())
}

/// A key in an installed package's own file list is the package's fixture: info, the
/// package named, and `deadweight check` with the default rules passes.
#[test]
fn packaged_test_key_is_the_package_fixture() {
    let pip = tornado(Layer::new().file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
    let image = Image::new(vec![pip])
        .user("1000")
        .history(vec![History::layer(
            "RUN /bin/sh -c pip install jupyterlab # buildkit",
        )]);
    let tmp = archive(image);
    let f = find_path(tmp.path());
    let fixture = rule(&f, "secret.package-fixture");
    assert_eq!(fixture.len(), 1, "{:#?}", f.findings);
    let x = fixture[0];
    assert_eq!(x.severity, Severity::Info);
    assert_eq!(x.category, Category::Secret);
    assert_eq!(x.paths, [format!("/{SITE}/tornado/test/test.key")]);
    assert!(
        x.message.contains("pip package tornado 6.4.1"),
        "{}",
        x.message
    );
    assert!(rule(&f, "secret.private-key").is_empty());
    assert!(f.dockerignore.is_empty(), "{:?}", f.dockerignore);
    // The gate: default rules, no config.
    let out = bin()
        .args(["check", "--format", "json"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = doc["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == "categories.secret"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(secret["status"], "pass", "{secret:#}");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}

/// The same key copied by the app, put into `site-packages` outside any RECORD, or in
/// tornado's directory but not in its RECORD, is an error.
#[test]
fn the_same_key_unowned_is_an_error() {
    let f = secret_image(
        Layer::new()
            .file("app/test.key", KEY)
            .file(&format!("{SITE}/leaked.key"), KEY)
            .file(&format!("{SITE}/tornado/test/other.key"), KEY),
    );
    assert_eq!(rule(&f, "secret.package-fixture").len(), 1);
    let errors: Vec<&str> = rule(&f, "secret.private-key")
        .iter()
        .map(|x| {
            assert_eq!(x.severity, Severity::Error, "{x:?}");
            x.paths[0].as_str()
        })
        .collect();
    let mut errors = errors;
    errors.sort();
    assert_eq!(
        errors,
        [
            "/app/test.key".to_string(),
            format!("/{SITE}/leaked.key"),
            format!("/{SITE}/tornado/test/other.key"),
        ]
    );
}

/// dpkg, apk and npm ownership: a dpkg `.list`, an apk `installed` entry and an npm
/// package directory each own their keys.
#[test]
fn dpkg_apk_and_npm_own_their_keys() {
    let layer = Layer::new()
        .file("usr/share/doc/libssl-doc/demo.key", KEY)
        .file(
            "var/lib/dpkg/status",
            "Package: libssl-doc\nStatus: install ok installed\nVersion: 3.0.15-1\nSection: doc\n",
        )
        .file(
            "var/lib/dpkg/info/libssl-doc.list",
            "/usr\n/usr/share/doc/libssl-doc\n/usr/share/doc/libssl-doc/demo.key\n",
        )
        .file("usr/lib/node/fixtures/server.key", KEY)
        .file(
            "lib/apk/db/installed",
            "P:node-fixtures\nV:1.0-r0\nF:usr/lib/node/fixtures\nR:server.key\n\n",
        )
        .file(
            "srv/web/node_modules/https-test/package.json",
            r#"{"name":"https-test","version":"2.0.0"}"#,
        )
        .file("srv/web/node_modules/https-test/certs/key.pem", KEY);
    let image = Image::new(vec![layer])
        .user("1000")
        .history(vec![History::layer("RUN /bin/sh -c install # buildkit")]);
    let tmp = archive(image);
    let f = find_path(tmp.path());
    let mut owners: Vec<String> = rule(&f, "secret.package-fixture")
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x.paths[0],
                x.message.split(", shipped by ").nth(1).unwrap_or("")
            )
        })
        .collect();
    owners.sort();
    assert_eq!(
        owners,
        [
            "/srv/web/node_modules/https-test/certs/key.pem npm package https-test 2.0.0 (listed in its package directory): a fixture of the package, not a leak",
            "/usr/lib/node/fixtures/server.key apk package node-fixtures 1.0-r0 (listed in the apk database): a fixture of the package, not a leak",
            "/usr/share/doc/libssl-doc/demo.key dpkg package libssl-doc 3.0.15-1 (listed in its dpkg file list): a fixture of the package, not a leak",
        ]
    );
    assert!(
        rule(&f, "secret.private-key").is_empty(),
        "{:#?}",
        f.findings
    );
}

/// `n` files under `dir`, named by `name(i)`, each `size` bytes starting with `head`.
fn many(
    mut layer: Layer,
    dir: &str,
    n: usize,
    size: usize,
    head: &[u8],
    name: impl Fn(usize) -> String,
) -> Layer {
    for i in 0..n {
        let mut body = head.to_vec();
        body.resize(size, (i % 251) as u8);
        layer = layer.file(&format!("{dir}/{}", name(i)), body);
    }
    layer
}

/// Datasets of several shapes, each one finding for its directory with exact figures;
/// a package's sample data and a directory of source files are not datasets.
#[test]
fn many_file_datasets_by_directory() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let mut data = Layer::new();
    // Images in class folders, under a directory not named as data.
    data = many(data, "srv/imgs/cat", 150, 30_000, PNG, |i| {
        format!("{i:05}")
    });
    data = many(data, "srv/imgs/dog", 150, 30_000, PNG, |i| {
        format!("{i:05}.png")
    });
    // JSON shards, below a directory that holds nothing else: the finding names the
    // shard root, not /data.
    for shard in 0..4 {
        data = many(
            data,
            &format!("data/train/shard-{shard:04}"),
            100,
            24_000,
            b"{\"text\":",
            |i| format!("item-{i:06}.json"),
        );
    }
    // Tokenised text and binary shards side by side.
    data = many(data, "opt/corpus/tok", 300, 30_000, b"", |i| {
        format!("part-{i}.txt")
    });
    data = many(data, "opt/corpus/bin", 300, 30_000, b"\x01\x02", |i| {
        format!("part-{i}.bin")
    });
    // A package's data, owned by its dpkg list: not a dataset.
    let mut list = String::from("/opt/pkgdata\n");
    for i in 0..300 {
        list.push_str(&format!("/opt/pkgdata/sample-{i}.csv\n"));
    }
    data = many(data, "opt/pkgdata", 300, 30_000, b"a,b\n", |i| {
        format!("sample-{i}.csv")
    })
    .file(
        "var/lib/dpkg/status",
        "Package: pkgdata\nStatus: install ok installed\nVersion: 1\nSection: science\n",
    )
    .file("var/lib/dpkg/info/pkgdata.list", list);
    // scikit-learn's sample data in site-packages: installed software.
    data = many(
        data,
        &format!("{SITE}/sklearn/datasets/data"),
        300,
        30_000,
        b"x,y\n",
        |i| format!("d{i}.csv"),
    );
    // Source files: not data.
    data = many(data, "app/src", 400, 25_000, b"import os\n", |i| {
        format!("mod{i}.py")
    });
    let image = Image::new(vec![data])
        .user("1000")
        .history(vec![History::layer("RUN /bin/sh -c fetch # buildkit")]);
    let tmp = archive(image);
    let f = find_path(tmp.path());
    let mut got: Vec<(String, usize, u64, String)> = rule(&f, "dataset.many-files")
        .iter()
        .map(|x| {
            (
                x.paths[0].clone(),
                x.entries.len(),
                x.bytes,
                x.message.clone(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "/data/train/".to_string(),
                400,
                400 * 24_000,
                "a data set of 400 files (9600000 bytes) under /data/train".to_string()
            ),
            (
                "/opt/corpus/".to_string(),
                600,
                600 * 30_000,
                "a data set of 600 files (18000000 bytes) under /opt/corpus".to_string()
            ),
            (
                "/srv/imgs/".to_string(),
                300,
                300 * 30_000,
                "a data set of 300 files (9000000 bytes) under /srv/imgs".to_string()
            ),
        ]
    );
    for x in rule(&f, "dataset.many-files") {
        assert_eq!(x.category, Category::Dataset);
        assert!(x.fix.contains("mount it or fetch it at start"), "{}", x.fix);
    }
}

/// Kernel headers, git, debuggers and the rest of what only building needs, classified
/// by what they are, with their bytes, and named in the fix.
#[test]
fn build_time_packages_by_what_they_are() {
    type Pkg = (&'static str, &'static str, &'static [(&'static str, usize)]);
    let pkgs: &[Pkg] = &[
        (
            "linux-headers-amd64",
            "kernel",
            &[("usr/share/doc/linux-headers-amd64/copyright", 100)],
        ),
        (
            "linux-headers-6.1.0-28-common",
            "kernel",
            &[
                ("usr/src/linux-headers-6.1.0-28-common/Makefile", 50_000),
                (
                    "usr/src/linux-headers-6.1.0-28-common/include/linux/a.h",
                    70_000,
                ),
            ],
        ),
        (
            "git",
            "vcs",
            &[
                ("usr/bin/git", 400_000),
                ("usr/lib/git-core/git-remote-http", 200_000),
            ],
        ),
        ("gdb", "devel", &[("usr/bin/gdb", 90_000)]),
        ("strace", "utils", &[("usr/bin/strace", 30_000)]),
        ("libffi-dev", "libdevel", &[("usr/include/ffi.h", 1_000)]),
        (
            "acme-headers",
            "misc",
            &[("usr/include/acme/acme.h", 9_000)],
        ),
        ("cmake", "devel", &[("usr/bin/cmake", 300_000)]),
        ("ninja-build", "devel", &[("usr/bin/ninja", 20_000)]),
        ("pkg-config", "devel", &[("usr/bin/pkg-config", 5_000)]),
        ("autoconf", "devel", &[("usr/bin/autoconf", 6_000)]),
        ("patch", "vcs", &[("usr/bin/patch", 7_000)]),
        ("python3", "python", &[("usr/bin/python3", 800_000)]),
    ];
    let mut status = String::new();
    let mut layer = Layer::new();
    for (name, section, files) in pkgs {
        status.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nVersion: 1.0\nSection: {section}\n\n"
        ));
        let mut list = String::new();
        for (path, size) in files.iter() {
            layer = layer.file(path, fill(*size, 3));
            list.push_str(&format!("/{path}\n"));
        }
        layer = layer.file(&format!("var/lib/dpkg/info/{name}.list"), list);
    }
    layer = layer.file("var/lib/dpkg/status", status);
    let image = Image::new(vec![layer])
        .user("1000")
        .history(vec![History::layer(
            "RUN /bin/sh -c apt-get install -y build-essential linux-headers-amd64 git # buildkit",
        )]);
    let tmp = archive(image);
    let f = find_path(tmp.path());
    let dev = rule(&f, "dev_dependency.dpkg-dev-packages");
    assert_eq!(dev.len(), 1, "{:#?}", f.findings);
    assert_eq!(
        dev[0].bytes,
        100 + 120_000 + 600_000 + 90_000 + 30_000 + 1_000 + 9_000
    );
    assert_eq!(
        dev[0].fix,
        "install git linux-headers-6.1.0-28-common gdb strace acme-headers libffi-dev linux-headers-amd64 in a builder stage only, or `apt-get purge --autoremove -y git linux-headers-6.1.0-28-common gdb strace acme-headers libffi-dev linux-headers-amd64` in the RUN that builds"
    );
    let tools = rule(&f, "build_toolchain.packages");
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].bytes, 300_000 + 20_000 + 5_000 + 6_000 + 7_000);
    assert!(
        tools[0].fix.ends_with("; or `apt-get purge --autoremove -y cmake ninja-build patch autoconf pkg-config` in the RUN that builds"),
        "{}",
        tools[0].fix
    );
    let python = f.packages.iter().find(|p| p.name == "python3").unwrap();
    assert!(!python.dev && !python.toolchain);
}

/// `.dockerignore` lines only from the build context copied in the image's own layers: a
/// base root filesystem (`ADD file:... in /`), the base's own COPY, a tarball ADD at `/`
/// and a `COPY --from` of another stage yield none.
#[test]
fn dockerignore_only_from_the_build_context() {
    let rootfs = Layer::new()
        .file("usr/share/doc/base/README", fill(5_000, 1))
        .file("var/log/alternatives.log", fill(3_000, 2));
    let base_copy = Layer::new().file("opt/base/tests/test_base.py", fill(2_000, 3));
    let tarball = Layer::new()
        .file("usr/share/doc/extra/README", fill(4_000, 4))
        .file("var/log/extra.log", fill(1_000, 5));
    let stage = Layer::new().file("app/tests/test_built.py", fill(6_000, 6));
    let context = Layer::new()
        .file("srv/app/.git/HEAD", fill(700, 7))
        .file("srv/app/notebooks/eda.ipynb", fill(900, 8))
        .file("srv/app/main.py", fill(100, 9));
    // A named source: the line is the source's path in the build context.
    let named = Layer::new().file("srv/nb/report.ipynb", fill(1_100, 10));
    let dataset = many(Layer::new(), "srv/data/shard-0", 150, 30_000, b"", |i| {
        format!("{i}.json")
    });
    let dataset = many(dataset, "srv/data/shard-1", 150, 30_000, b"", |i| {
        format!("{i}.json")
    });
    let image = Image::new(vec![rootfs, base_copy, tarball, stage, context, named, dataset])
        .user("1000")
        .history(vec![
            History::layer("/bin/sh -c #(nop) ADD file:ce026b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in / "),
            History::layer("/bin/sh -c #(nop) COPY dir:aa26b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in /opt/base "),
            History::empty("/bin/sh -c #(nop)  CMD [\"bash\"]"),
            History::layer("ADD rootfs-extra.tar.gz / # buildkit"),
            History::layer("COPY --from=build /out/app /app # buildkit"),
            History::empty("WORKDIR /srv/app"),
            History::layer("COPY . . # buildkit"),
            History::layer("COPY notebooks /srv/nb # buildkit"),
            History::layer("COPY training/data /srv/data # buildkit"),
        ]);
    let tmp = archive(image);
    let f = find_path(tmp.path());
    let lines: Vec<(&str, u64)> = f
        .dockerignore
        .iter()
        .map(|l| (l.pattern.as_str(), l.bytes))
        .collect();
    assert_eq!(
        lines,
        [
            ("training/data", 300 * 30_000),
            ("notebooks/report.ipynb", 1_100),
            ("notebooks", 900),
            (".git", 700),
        ]
    );
}
