//! Shared helpers: where the shared fixtures are, loading images, running the binary.

use deadweight::analyze::{Analysis, BaseHint};
use deadweight::archive::ReadOptions;
use deadweight::archive::manifest::Selection;
use deadweight::index::Index;
use deadweight::source::Source;
use std::path::{Path, PathBuf};

/// `../shared/fixtures/<sub>` (or `$DEADWEIGHT_FIXTURES/<sub>`) if present. When it is missing, the test fails under
/// `DEADWEIGHT_REQUIRE_FIXTURES=1` (as CI sets) and is skipped otherwise.
pub fn fixtures(sub: &str) -> Option<PathBuf> {
    // DEADWEIGHT_FIXTURES names the fixtures folder where `../shared` is not it (a git
    // worktree that lives elsewhere).
    let root = std::env::var_os("DEADWEIGHT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("shared")
                .join("fixtures")
        });
    let dir = root.join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("DEADWEIGHT_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!(
            "fixtures missing at {} and DEADWEIGHT_REQUIRE_FIXTURES=1",
            dir.display()
        );
    }
    note_skip(&dir);
    None
}

/// Tests skipped so far in this run for want of fixtures.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Says on the real standard error (not the captured one, so it shows even when the
/// test passes) which test skipped and how many have so far.
fn note_skip(dir: &Path) {
    use std::io::Write;
    let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let name = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {name}: no fixtures at {} (fixture tests skipped so far: {n}; \
         DEADWEIGHT_REQUIRE_FIXTURES=1 makes this a failure)",
        dir.display()
    );
}

/// A file of the project's own `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Loads the image at `path` (picking `image` when given) and analyses it.
pub fn analyze(path: &Path, image: Option<&str>) -> (Index, Analysis) {
    let index = load(path, image).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let analysis = Analysis::new(&index, &BaseHint::default());
    (index, analysis)
}

/// Loads the image at `path`.
pub fn load(path: &Path, image: Option<&str>) -> deadweight::Result<Index> {
    load_with(path, image, &ReadOptions::default())
}

/// Loads the image at `path` hashing every blob and layer tar (`--verify`).
pub fn load_verified(path: &Path, image: Option<&str>) -> deadweight::Result<Index> {
    let opts = ReadOptions {
        verify: true,
        ..ReadOptions::default()
    };
    load_with(path, image, &opts)
}

fn load_with(path: &Path, image: Option<&str>, opts: &ReadOptions) -> deadweight::Result<Index> {
    let opts = deadweight::pipeline::Options {
        selection: Selection {
            image: image.map(str::to_string),
            platform: None,
        },
        read: opts.clone(),
        ..Default::default()
    };
    deadweight::pipeline::read_index(&Source::Path(path.to_path_buf()), &opts, None)
}

/// Writes `bytes` to a new temp file and returns its guard.
pub fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, bytes).expect("write temp file");
    f
}

/// The binary under test.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("deadweight").expect("binary built")
}

/// Checks the accounting invariant: content = visible + hidden = visible + sum of causes.
pub fn assert_invariant(label: &str, a: &Analysis) {
    let t = &a.totals;
    let c = &t.hidden_by_cause;
    assert_eq!(
        t.content_bytes,
        t.visible_bytes + t.hidden_bytes,
        "{label}: content != visible + hidden"
    );
    assert_eq!(
        t.hidden_bytes,
        c.overwritten + c.deleted + c.deleted_with_dir + c.opaque,
        "{label}: hidden != sum of causes"
    );
    assert!(
        c.same_content <= c.overwritten,
        "{label}: same_content > overwritten"
    );
    let per_layer: u64 = a.waste.layers.iter().map(|l| l.hidden_bytes).sum();
    assert_eq!(
        per_layer, t.hidden_bytes,
        "{label}: per-layer hidden != hidden"
    );
    let hides: u64 = a.waste.layers.iter().map(|l| l.hides_bytes).sum();
    assert_eq!(hides, t.hidden_bytes, "{label}: per-layer hides != hidden");
    let listed: u64 = a.waste.hidden.iter().map(|h| h.bytes).sum();
    assert_eq!(listed, t.hidden_bytes, "{label}: hidden paths != hidden");
    let visible: u64 = a.waste.visible.iter().map(|f| f.bytes).sum();
    assert_eq!(
        visible, t.visible_bytes,
        "{label}: visible files != visible"
    );
}
