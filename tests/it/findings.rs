//! The findings stage: synthetic images with hand-worked bytes per category, the corpus
//! (every planted item found in its category; the slim twin clean), the sample, and the
//! negative cases (tests inside installed packages, a small config CSV, CA certificates).

use crate::common::{bin, fixtures, temp_file, testdata};
use deadweight::analyze::findings::collect::Collector;
use deadweight::analyze::findings::{self, Category, Finding, Findings, Severity};
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::index::Index;
use deadweight::source::Source;
use std::path::Path;
use synth::{Flavour, History, Image, Layer, Options};

/// Reads `path` with the collector and runs the findings stage with `opts`.
fn find_with(path: &Path, opts: &findings::Options) -> (Index, Findings) {
    let (index, _, f) = analyse(path, opts);
    (index, f)
}

/// Reads `path` with the collector and runs the analysis and the findings stage with
/// `opts`, as the library's pipeline does.
pub fn analyse(path: &Path, opts: &findings::Options) -> (Index, Analysis, Findings) {
    let mut collector = Collector::default();
    let index = deadweight::pipeline::read_index(
        &Source::Path(path.to_path_buf()),
        &deadweight::pipeline::Options::default(),
        Some(&mut collector),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let analysis = Analysis::new(&index, &BaseHint::default());
    let collected = collector.resolve(&index);
    let f = Findings::new(&index, &analysis, &collected, opts);
    (index, analysis, f)
}

fn find(path: &Path) -> (Index, Findings) {
    find_with(path, &findings::Options::default())
}

/// Bytes of a category, summed over its findings (deduplicated within the category).
fn cat_bytes(f: &Findings, cat: Category) -> u64 {
    f.findings
        .iter()
        .filter(|x| x.category == cat)
        .map(|x| x.bytes)
        .sum()
}

fn rule<'a>(f: &'a Findings, id: &str) -> Vec<&'a Finding> {
    f.findings.iter().filter(|x| x.rule == id).collect()
}

fn has_path(f: &Findings, cat: Category, path: &str) -> bool {
    f.findings
        .iter()
        .any(|x| x.category == cat && x.paths.iter().any(|p| p == path))
}

/// The findings of a one-layer OCI image made by `created_by`.
fn find_in_layer(layer: Layer, created_by: &str) -> Findings {
    let image = Image::new(vec![layer]).history(vec![History::layer(created_by)]);
    let bytes = synth::write_archive(&[image], &Options::new(Flavour::OciArchive)).unwrap();
    let tmp = temp_file(&bytes);
    find(tmp.path()).1
}

fn fill(n: usize, b: u8) -> Vec<u8> {
    vec![b; n]
}

const STATUS: &str = "Package: make\nStatus: install ok installed\nVersion: 4.3-4.1\nInstalled-Size: 5\n\nPackage: libfoo-dev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
const ENV_FILE: &str = "# local settings\nSTRIPE_KEY=sk_live_abcdefghij0123456789\n";
const OLD_KEY: &str =
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfake\n-----END RSA PRIVATE KEY-----\n";
const JEST_PKG: &str = r#"{"name":"jest","version":"29.0.0"}"#;
const LEFTPAD_PKG: &str = r#"{"name":"left-pad","version":"1.3.0"}"#;
const PYTEST_META: &str =
    "Metadata-Version: 2.1\nName: pytest\nVersion: 8.0.0\n\nlong description\n";

/// An image with something of every byte category, bytes worked out by hand.
fn planted() -> tempfile::NamedTempFile {
    let base = Layer::new()
        .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        .file("usr/bin/make", fill(5000, 1))
        .file("usr/include/foo.h", fill(600, 2))
        .file("usr/lib/x86_64-linux-gnu/libfoo.a", fill(800, 3))
        .file_mode("usr/bin/su", fill(1000, 4), 0o4755)
        .file("var/lib/dpkg/status", STATUS)
        .file(
            "var/lib/dpkg/info/make.list",
            "/.\n/usr\n/usr/bin\n/usr/bin/make\n",
        )
        .file(
            "var/lib/dpkg/info/libfoo-dev:amd64.list",
            "/usr/include/foo.h\n/usr/lib/x86_64-linux-gnu/libfoo.a\n",
        )
        .file(
            "etc/ssl/certs/ca.pem",
            "-----BEGIN CERTIFICATE-----\nMIIBfakeA\n-----END CERTIFICATE-----\n",
        )
        .file(
            "usr/share/ca-certificates/mozilla/x.crt",
            "-----BEGIN CERTIFICATE-----\nMIIBfakeB\n-----END CERTIFICATE-----\n",
        );
    let copy = Layer::new()
        .file("app/.git/HEAD", fill(100, 5))
        .file("app/.git/objects/aa", fill(1000, 6))
        .file("app/data/train.csv", fill(100_000, 7))
        .file("app/config.csv", fill(2048, 8))
        .file("app/notebooks/a.ipynb", fill(500, 9))
        .file("app/tests/test_x.py", fill(300, 10))
        .file("app/.env", ENV_FILE)
        .file("app/old_key.pem", OLD_KEY)
        .file(
            "app/package.json",
            r#"{"name":"app","devDependencies":{"jest":"29"}}"#,
        )
        .file("app/node_modules/jest/package.json", JEST_PKG)
        .file("app/node_modules/jest/index.js", fill(2000, 11))
        .file("app/node_modules/left-pad/package.json", LEFTPAD_PKG)
        .file("app/node_modules/left-pad/index.js", fill(100, 12));
    let run = Layer::new()
        .file(
            "usr/lib/python3/site-packages/foo/tests/test_foo.py",
            fill(700, 13),
        )
        .file(
            "usr/lib/python3/site-packages/pytest/__init__.py",
            fill(3000, 14),
        )
        .file(
            "usr/lib/python3/site-packages/pytest-8.0.0.dist-info/METADATA",
            PYTEST_META,
        )
        .file(
            "usr/lib/python3/site-packages/pytest-8.0.0.dist-info/RECORD",
            "pytest/__init__.py,sha256=x,3000\n",
        )
        .file("root/.cache/pip/http/ab", fill(4000, 15))
        .file("tmp/build.log", fill(250, 16))
        .file("usr/share/doc/x/README", fill(1500, 17));
    let rm = Layer::new()
        .whiteout("tmp/build.log")
        .whiteout("app/old_key.pem");
    let image = Image::new(vec![base, copy, run, rm])
        .env("API_TOKEN=abcdef123456xyz")
        .history(vec![
            History::layer("debootstrap"),
            History::layer("/bin/sh -c #(nop) COPY dir:abc in /app "),
            History::empty("/bin/sh -c #(nop)  ENV API_TOKEN=abcdef123456xyz"),
            History::layer("/bin/sh -c pip install pytest"),
            History::layer("/bin/sh -c rm -f /tmp/build.log /app/old_key.pem"),
        ]);
    let bytes = synth::write_archive(&[image], &Options::new(Flavour::OciArchive)).unwrap();
    temp_file(&bytes)
}

#[test]
fn synthetic_categories_have_exact_bytes() {
    let tmp = planted();
    let (_, f) = find(tmp.path());
    let jest = 2000 + JEST_PKG.len() as u64;
    let key = OLD_KEY.len() as u64;
    assert_eq!(cat_bytes(&f, Category::Vcs), 1100);
    // config.csv (2 KB) is not a dataset.
    assert_eq!(cat_bytes(&f, Category::Dataset), 100_000);
    assert_eq!(cat_bytes(&f, Category::Notebook), 500);
    // site-packages/foo/tests is the package's, not the app's test suite.
    assert_eq!(cat_bytes(&f, Category::TestSuite), 300);
    assert_eq!(cat_bytes(&f, Category::PackageCache), 4000);
    assert_eq!(cat_bytes(&f, Category::TempFile), 250);
    assert_eq!(cat_bytes(&f, Category::LogFile), 250);
    assert_eq!(cat_bytes(&f, Category::Hidden), 250 + key);
    assert_eq!(cat_bytes(&f, Category::BuildToolchain), 5000);
    // libfoo-dev (header + static lib) once, though the headers rule sees them too.
    assert_eq!(cat_bytes(&f, Category::DevDependency), 1400 + 3000 + jest);
    assert_eq!(cat_bytes(&f, Category::Duplicate), 0);
    assert_eq!(
        cat_bytes(&f, Category::Docs),
        0,
        "system docs under the floor"
    );
    // The headline counts build.log once (temp_file comes before log_file and hidden),
    // and the deleted key under hidden (secrets are not dead weight).
    let expected = 1100 + 100_000 + 500 + 300 + 4000 + 250 + 5000 + 1400 + 3000 + jest + key;
    assert_eq!(f.dead_weight_bytes, expected);
    assert_eq!(f.by_category.values().sum::<u64>(), expected);
    assert_eq!(f.by_category.get("temp_file"), Some(&250));
    assert_eq!(f.by_category.get("log_file"), None);
    assert_eq!(f.by_category.get("hidden"), Some(&key));
    assert_eq!(
        f.by_category.get("dev_dependency"),
        Some(&(1400 + 3000 + jest))
    );
    // The three heaviest fixes: dataset, build tools, pip dev tools / pip cache.
    assert_eq!(rule(&f, "vcs.git-directory")[0].layer, Some(1));
}

#[test]
fn synthetic_packages_come_from_their_databases() {
    let tmp = planted();
    let (_, f) = find(tmp.path());
    let pkg = |m: &str, n: &str| {
        f.packages
            .iter()
            .find(|p| p.manager == m && p.name == n)
            .unwrap_or_else(|| panic!("{m} {n} missing: {:?}", f.packages))
    };
    assert_eq!(pkg("dpkg", "make").bytes, 5000);
    assert!(pkg("dpkg", "make").toolchain);
    assert_eq!(pkg("dpkg", "libfoo-dev").bytes, 1400);
    assert!(pkg("dpkg", "libfoo-dev").dev);
    assert_eq!(pkg("dpkg", "libc6").bytes, 0);
    assert!(!pkg("dpkg", "libc6").dev);
    assert!(f.packages.iter().all(|p| p.name != "gone"), "not installed");
    assert_eq!(pkg("pip", "pytest").version, "8.0.0");
    assert_eq!(pkg("pip", "pytest").bytes, 3000);
    assert!(pkg("pip", "pytest").dev);
    assert_eq!(pkg("npm", "jest").bytes, 2000 + JEST_PKG.len() as u64);
    assert!(pkg("npm", "jest").dev);
    assert_eq!(pkg("npm", "left-pad").bytes, 100 + LEFTPAD_PKG.len() as u64);
    assert!(!pkg("npm", "left-pad").dev);
    assert_eq!(f.packages.len(), 6);
}

#[test]
fn synthetic_secrets_root_and_patterns() {
    let tmp = planted();
    let (_, f) = find(tmp.path());
    let env = rule(&f, "secret.env-file");
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].severity, Severity::Error);
    assert_eq!(env[0].paths, ["/app/.env"]);
    assert!(
        env[0].message.contains("stripe_key sk_l…(28 chars)"),
        "{}",
        env[0].message
    );
    let key = rule(&f, "secret.private-key");
    assert_eq!(key.len(), 1, "CA certificates are not private keys");
    assert_eq!(key[0].paths, ["/app/old_key.pem"]);
    assert_eq!(key[0].severity, Severity::Error);
    assert!(key[0].message.contains("still ships"), "{}", key[0].message);
    // ENV in the config and the same ENV in the history: one finding.
    assert_eq!(rule(&f, "secret.config-env").len(), 1);
    assert!(rule(&f, "secret.history").is_empty());
    for x in &f.findings {
        let all = format!("{} {:?}", x.message, x.paths);
        assert!(!all.contains("abcdefghij0123456789"), "value shown: {all}");
        assert!(!all.contains("abcdef123456xyz"), "value shown: {all}");
    }
    assert_eq!(rule(&f, "root_user.runs-as-root").len(), 1);
    assert_eq!(
        rule(&f, "root_user.setuid-setgid")[0].paths,
        ["/usr/bin/su"]
    );
    assert_eq!(rule(&f, "dockerfile_pattern.pip-cache")[0].layer, Some(2));
}

#[test]
fn synthetic_dockerignore_lines() {
    let tmp = planted();
    let (_, f) = find(tmp.path());
    let mut lines: Vec<(String, u64)> = f
        .dockerignore
        .iter()
        .map(|l| (l.pattern.clone(), l.bytes))
        .collect();
    lines.sort();
    let mut expected = vec![
        (".env".to_string(), ENV_FILE.len() as u64),
        (".git".to_string(), 1100),
        ("data".to_string(), 100_000),
        ("notebooks".to_string(), 500),
        ("old_key.pem".to_string(), OLD_KEY.len() as u64),
        ("tests".to_string(), 300),
    ];
    expected.sort();
    assert_eq!(lines, expected);
}

/// Headers and static libraries no package claims, found by where they are.
#[test]
fn headers_and_static_libraries_by_place() {
    let layer = Layer::new()
        .file("usr/include/a.h", fill(100, 1))
        .file("usr/local/include/sub/b.h", fill(200, 2))
        .file("usr/lib/x86_64-linux-gnu/libc.a", fill(400, 3))
        .file("usr/local/lib/libd.a", fill(800, 4))
        .file("usr/lib/libe.so", fill(1600, 5))
        .file("opt/include/f.h", fill(3200, 6))
        .file("srv/usr/include/g.h", fill(6400, 7))
        .file("usr/includes/h.h", fill(12800, 8));
    let f = find_in_layer(layer, "debootstrap");
    let headers = rule(&f, "dev_dependency.headers-static-libs");
    assert_eq!(headers.len(), 1);
    assert_eq!(headers[0].bytes, 100 + 200 + 400 + 800);
}

/// A core dump is an ELF file of type core, whatever it is called `core` or `core.PID`;
/// the core(5) man page, a script named `core` and a program named `core.1` are not.
#[test]
fn core_dumps_by_their_elf_type_not_their_name() {
    let elf = |e_type: u8, len: usize| {
        let mut b = b"\x7fELF\x02\x01\x01".to_vec();
        b.resize(16, 0);
        b.extend_from_slice(&[e_type, 0]);
        b.resize(len, 0xcc);
        b
    };
    let layer = Layer::new()
        .file("app/core", elf(4, 3000))
        .file("srv/core.4711", elf(4, 5000))
        .file(
            "usr/share/man/man5/core.5.gz",
            b"\x1f\x8b\x08\x00gzipped man page".to_vec(),
        )
        .file(
            "usr/local/bin/core",
            b"#!/bin/sh\nexec app \"$@\"\n".to_vec(),
        )
        .file("opt/tool/core.1", elf(2, 7000));
    let f = find_in_layer(layer, "COPY . /");
    let cores = rule(&f, "temp_file.core-dump");
    assert_eq!(cores.len(), 1);
    assert_eq!(cores[0].bytes, 3000 + 5000);
    let mut paths = cores[0].paths.clone();
    paths.sort();
    assert_eq!(paths, ["/app/core", "/srv/core.4711"]);
}

/// Toolchains that rustup and the Go tarball put in place are build toolchains, found by
/// where they are; their docs and tests, and the tests of the crates cargo fetched, are
/// not the app's docs and tests.
#[test]
fn toolchains_by_place_and_their_docs_and_tests_are_not_the_apps() {
    let rust = "root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu";
    let layer = Layer::new()
        .file(&format!("{rust}/bin/rustc"), fill(1000, 1))
        .file(
            &format!("{rust}/share/doc/rust/html/index.html"),
            fill(2000, 2),
        )
        .file(
            &format!("{rust}/lib/rustlib/src/rust/library/core/tests/num.rs"),
            fill(4000, 3),
        )
        .file(
            "usr/local/rustup/toolchains/1.80-x86_64/bin/cargo",
            fill(8000, 4),
        )
        .file("usr/local/go/bin/go", fill(16000, 5))
        .file("usr/local/go/src/net/testdata/hosts", fill(32000, 6))
        .file(
            "usr/local/cargo/registry/src/idx/serde-1.0/tests/t.rs",
            fill(64, 7),
        )
        .file(
            "root/.cargo/registry/src/idx/vte-0.14/doc/notes.md",
            fill(128, 8),
        )
        .file("app/docs/index.md", fill(256, 9))
        .file("app/tests/test_api.py", fill(512, 10));
    let f = find_in_layer(layer, "COPY . /");
    let rustup = rule(&f, "build_toolchain.rustup");
    assert_eq!(rustup.len(), 1);
    assert_eq!(rustup[0].bytes, 1000 + 2000 + 4000 + 8000);
    let go = rule(&f, "build_toolchain.go");
    assert_eq!(go.len(), 1);
    assert_eq!(go[0].bytes, 16000 + 32000);
    assert_eq!(cat_bytes(&f, Category::Docs), 256);
    assert!(has_path(&f, Category::Docs, "/app/docs/index.md"));
    assert_eq!(cat_bytes(&f, Category::TestSuite), 512);
    assert!(has_path(&f, Category::TestSuite, "/app/tests/test_api.py"));
}

/// Logs the build wrote are found wherever they are; a `.log` a package ships is not one.
#[test]
fn logs_the_build_wrote_not_the_ones_packages_ship() {
    let layer = Layer::new()
        .file("var/log/apt/history.log", fill(100, 1))
        .file("var/log/dpkg.log", fill(200, 2))
        .file("app/build.log", fill(400, 3))
        .file(
            "usr/lib/python3/dist-packages/pkg/tests/data/sample.log",
            fill(800, 4),
        )
        .file(
            "opt/venv/lib/python3.11/site-packages/x/fixtures/run.log",
            fill(1600, 5),
        )
        .file("usr/share/doc/openjdk/jtreg-summary.log", fill(3200, 6))
        .file(
            "root/.cargo/registry/src/idx/console-0.16/tests/data/s.log",
            fill(6400, 7),
        );
    let f = find_in_layer(layer, "COPY . /");
    assert_eq!(cat_bytes(&f, Category::LogFile), 100 + 200 + 400);
}

#[test]
fn user_rules_and_ignores() {
    let tmp = planted();
    let mut opts = findings::Options::default();
    findings::config::apply(
        "[budget]\nmax_layers = 1\n[findings]\nignore = [\"/app/.git/**\"]\n[[findings.rules]]\nid = \"dataset.configs\"\ncategory = \"dataset\"\npaths = [\"/app/config.csv\"]\n",
        "deadweight.toml",
        &mut opts,
    )
    .unwrap();
    let (_, f) = find_with(tmp.path(), &opts);
    assert_eq!(cat_bytes(&f, Category::Vcs), 0);
    assert_eq!(cat_bytes(&f, Category::Dataset), 100_000 + 2048);
    assert_eq!(rule(&f, "dataset.configs")[0].bytes, 2048);
}

#[test]
fn cli_reads_config_and_suggests_dockerignore() {
    let tmp = planted();
    let cfg =
        temp_file(b"[findings]\nignore = [\"**/data/**\"]\n[paths]\ndeny = [\"**/.git/**\"]\n");
    let out = bin()
        .args(["inspect", "-q", "--suggest-dockerignore", "--bytes", "raw"])
        .arg(tmp.path())
        .arg("--config")
        .arg(cfg.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("# 1100 (vcs)\n.git\n"), "{text}");
    assert!(!text.contains("\ndata\n"), "ignored: {text}");
    let json = bin()
        .args(["inspect", "-q", "--format", "json"])
        .arg(tmp.path())
        .arg("--config")
        .arg(cfg.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: deadweight::model::InspectReport = serde_json::from_slice(&json).unwrap();
    assert!(doc.findings.iter().any(|f| f.rule == "vcs.git-directory"
        && f.created_by.as_deref() == Some("/bin/sh -c #(nop) COPY dir:abc in /app ")));
    assert_eq!(
        doc.summary.dead_weight_bytes,
        doc.summary.by_category.values().sum::<u64>()
    );
    let table = bin()
        .args(["inspect", "-q"])
        .arg(tmp.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("is dead weight; the top 3 fixes save"),
        "{table}"
    );
    assert!(table.contains("\nDead weight: "), "{table}");
    assert!(table.contains("heaviest packages"), "{table}");
}

/// Every item the corpus README plants in svc-bloated, found in its category.
#[test]
fn corpus_bloated_every_planted_item() {
    let Some(dir) = fixtures("corpus") else {
        return;
    };
    let (_, f) = find(&dir.join("svc-bloated.oci-zstd.tar"));
    let in_cat = |cat: Category, needle: &str| {
        f.findings.iter().any(|x| {
            x.category == cat
                && (x.paths.iter().any(|p| p.contains(needle)) || x.message.contains(needle))
        })
    };
    // L1: apt lists kept (50,060,337 B Packages + InRelease), apt/dpkg logs.
    let lists = rule(&f, "package_cache.apt-lists");
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].layer, Some(1));
    assert!(lists[0].bytes > 50_060_337);
    assert!(in_cat(Category::LogFile, "/var/log/"));
    // L2: build tool and -dev package.
    assert!(in_cat(Category::BuildToolchain, "make 4.3"));
    assert!(in_cat(Category::BuildToolchain, "pkgconf"));
    assert!(in_cat(Category::DevDependency, "libffi-dev"));
    // L3: COPY . . leaked the context.
    let git = rule(&f, "vcs.git-directory");
    assert_eq!(git.len(), 1);
    assert_eq!(git[0].layer, Some(3));
    assert!(has_path(
        &f,
        Category::Dataset,
        "/srv/predictor/datasets/train_features.npy"
    ));
    assert!(has_path(
        &f,
        Category::Dataset,
        "/srv/predictor/datasets/events.jsonl"
    ));
    let npy = f
        .findings
        .iter()
        .find(|x| {
            x.paths
                .iter()
                .any(|p| p == "/srv/predictor/datasets/train_features.npy")
        })
        .unwrap();
    assert_eq!(
        npy.rule, "dataset.by-content",
        "found by its \\x93NUMPY magic"
    );
    assert_eq!(npy.bytes, 1_536_128);
    let model = rule(&f, "model_weights.file");
    assert_eq!(model.len(), 1);
    assert_eq!(model[0].bytes, 3_269_184);
    assert_eq!(model[0].severity, Severity::Info);
    assert!(has_path(
        &f,
        Category::Notebook,
        "/srv/predictor/notebooks/explore.ipynb"
    ));
    assert!(has_path(
        &f,
        Category::TestSuite,
        "/srv/predictor/tests/test_api.py"
    ));
    assert!(in_cat(Category::Docs, "/srv/predictor/docs/"));
    let env = rule(&f, "secret.env-file");
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].severity, Severity::Error);
    for kind in ["stripe_key", "github_token", "password_in_url"] {
        assert!(env[0].message.contains(kind), "{kind}: {}", env[0].message);
    }
    let key = rule(&f, "secret.private-key");
    assert_eq!(key.len(), 1);
    assert_eq!(key[0].paths, ["/srv/predictor/deploy_key.pem"]);
    // L4: dev deps, pip cache.
    let dev = rule(&f, "dev_dependency.python-dev-tools");
    assert_eq!(dev.len(), 1);
    for name in ["pytest 8.3.3", "flake8 7.1.1", "docopt 0.6.2"] {
        assert!(dev[0].message.contains(name), "{name}: {}", dev[0].message);
    }
    for runtime in ["flask", "Flask", "gunicorn", "fire "] {
        assert!(
            !dev[0].message.contains(runtime),
            "{runtime}: {}",
            dev[0].message
        );
    }
    assert!(in_cat(Category::PackageCache, "/root/.cache/pip/wheels/"));
    // L5/L9: the temp CSV, deleted later but shipped.
    let tmp = rule(&f, "temp_file.tmp");
    assert_eq!(tmp.len(), 1);
    assert_eq!(tmp[0].paths, ["/tmp/feature-export.csv"]);
    assert_eq!(tmp[0].layer, Some(5));
    // L6: the duplicate snapshot.
    let dup = f
        .findings
        .iter()
        .find(|x| {
            x.paths
                .iter()
                .any(|p| p == "/var/cache/predictor/features-snapshot.npy")
                && x.category == Category::Duplicate
        })
        .expect("duplicate npy");
    assert_eq!(dup.bytes, 1_536_128);
    // L7: the chmod copy of the weights.
    let copy = rule(&f, "hidden.metadata-copy")
        .into_iter()
        .find(|x| x.layer == Some(3))
        .expect("the chmod copy");
    assert_eq!(copy.paths[0], "/srv/predictor/weights/classifier.onnx");
    assert!(
        (3_269_184..3_269_184 + 10_000).contains(&copy.bytes),
        "+ labels.json"
    );
    // L8: the deleted docs are hidden bytes of layer 3.
    assert!(
        f.findings
            .iter()
            .any(|x| x.rule == "hidden.deleted-later" && x.layer == Some(3))
    );
    // Config: ENV secrets, root.
    let envs: Vec<&str> = rule(&f, "secret.config-env")
        .iter()
        .map(|x| x.message.as_str())
        .collect();
    assert_eq!(envs.len(), 2, "{envs:?}");
    assert!(envs.iter().any(|m| m.contains("SENTRY_DSN")));
    assert!(envs.iter().any(|m| m.contains("DB_PASSWORD")));
    assert_eq!(rule(&f, "root_user.runs-as-root").len(), 1);
    // History.
    assert_eq!(rule(&f, "dockerfile_pattern.apt-lists-kept").len(), 2);
    assert_eq!(rule(&f, "dockerfile_pattern.pip-cache")[0].layer, Some(4));
    assert_eq!(
        rule(&f, "dockerfile_pattern.copy-before-install")[0].layer,
        Some(3)
    );
    // Never a secret's value.
    for x in &f.findings {
        let all = format!("{} {:?}", x.message, x.paths);
        for v in [
            "sk_test_51FakeFixtureKey",
            "not-a-real-password",
            "predictor-db-pass-FAKE",
            "abc123@",
        ] {
            assert!(!all.contains(v), "{v} shown: {all}");
        }
    }
    // The headline: each byte once.
    assert_eq!(f.by_category.values().sum::<u64>(), f.dead_weight_bytes);
    let per_cat: u64 = Category::HEADLINE.iter().map(|c| cat_bytes(&f, *c)).sum();
    assert!(
        f.dead_weight_bytes < per_cat,
        "the temp CSV is temp_file, dataset and hidden"
    );
    // dpkg package bytes come from the files present.
    let make = f
        .packages
        .iter()
        .find(|p| p.manager == "dpkg" && p.name == "make")
        .unwrap();
    assert!(make.bytes > 200_000 && make.dev);
}

/// The slim twin: nothing over 1% of the image but the model it needs; no secrets, no root.
#[test]
fn corpus_slim_is_clean() {
    let Some(dir) = fixtures("corpus") else {
        return;
    };
    let (index, f) = find(&dir.join("svc-slim.oci-zstd.tar"));
    let content: u64 = index.layers.iter().map(|l| l.counts.content_bytes).sum();
    for x in &f.findings {
        if x.category == Category::ModelWeights {
            assert_eq!(x.paths, ["/srv/predictor/weights/classifier.onnx"]);
            continue;
        }
        assert!(
            x.bytes * 100 <= content,
            "{} {} bytes is over 1% of {content}: {}",
            x.rule,
            x.bytes,
            x.message
        );
        assert_ne!(x.severity, Severity::Error, "{}: {}", x.rule, x.message);
    }
    for cat in [
        Category::Vcs,
        Category::Dataset,
        Category::Notebook,
        Category::TestSuite,
        Category::DevDependency,
        Category::BuildToolchain,
        Category::Secret,
        Category::TempFile,
    ] {
        assert_eq!(cat_bytes(&f, cat), 0, "{cat:?}");
        assert!(f.findings.iter().all(|x| x.category != cat), "{cat:?}");
    }
    assert!(rule(&f, "root_user.runs-as-root").is_empty(), "User 10001");
    assert!(f.dockerignore.is_empty());
    assert!(
        f.packages
            .iter()
            .any(|p| p.manager == "pip" && p.name == "Flask" && !p.dev)
    );
    // fire was built from an sdist: an egg-info with installed-files.txt, no RECORD.
    let fire = f
        .packages
        .iter()
        .find(|p| p.manager == "pip" && p.name == "fire")
        .unwrap();
    assert!(fire.bytes > 100_000, "{fire:?}");
}

/// The project's sample: what its README plants.
#[test]
fn sample_findings() {
    let (_, f) = find(&testdata("sample/sample.docker.tar"));
    assert_eq!(rule(&f, "vcs.git-directory")[0].bytes, 37_979);
    assert_eq!(rule(&f, "dataset.by-extension")[0].bytes, 111_350);
    assert_eq!(rule(&f, "model_weights.file")[0].bytes, 98_304);
    assert_eq!(rule(&f, "notebook.ipynb")[0].bytes, 4_276);
    assert_eq!(rule(&f, "docs.app-docs")[0].bytes, 6_082);
    assert_eq!(rule(&f, "temp_file.tmp")[0].bytes, 24_405);
    assert_eq!(rule(&f, "package_cache.home-cache")[0].bytes, 16_384);
    assert_eq!(rule(&f, "hidden.metadata-copy")[0].bytes, 98_304);
    assert_eq!(cat_bytes(&f, Category::Hidden), 128_791);
    assert_eq!(cat_bytes(&f, Category::Duplicate), 12_636);
    let env = rule(&f, "secret.env-file");
    assert_eq!(env[0].paths, ["/app/.env"]);
    assert!(env[0].message.contains("aws_access_key_id AKIA…(20 chars)"));
    assert!(!env[0].message.contains("AKIAIOSFODNN7EXAMPLE"));
    assert!(has_path(&f, Category::TestSuite, "/app/tests/test_app.py"));
    assert_eq!(rule(&f, "root_user.runs-as-root").len(), 1);
}
