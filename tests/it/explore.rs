//! `deadweight explore`: the view model against the sample's hand-checked layers, the
//! state machine driven by key sequences, the screens pinned with insta snapshots
//! (ratatui's TestBackend), and the real binary in tmux.

use crate::common::testdata;
use deadweight::analyze::explore::{Change, ImageView, SortBy};
use deadweight::index::Index;
use deadweight::model::InspectReport;
use deadweight::pipeline::Options;
use deadweight::report::explore::{Pane, State, Theme, View, screen_text};
use deadweight::source::Source;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;

/// Everything explore reads of one image.
struct Seen {
    index: Index,
    view: ImageView,
    report: InspectReport,
}

fn seen(path: &Path) -> Seen {
    let source = Source::from_arg(&path.display().to_string());
    let seen = deadweight::inspect(&source, &Options::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let view = ImageView::new(&seen.index, &seen.analysis, &seen.findings);
    Seen {
        index: seen.index,
        view,
        report: seen.report,
    }
}

fn sample() -> Seen {
    seen(&testdata("sample/sample.docker.tar"))
}

const PLAIN: Theme = Theme { color: false };

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn keys(state: &mut State, text: &str) {
    for c in text.chars() {
        state.key(key(KeyCode::Char(c)));
    }
}

fn id(s: &Seen, path: &str) -> u32 {
    s.index
        .paths
        .find(path.as_bytes())
        .unwrap_or_else(|| panic!("{path} not in the image"))
}

fn row_paths(st: &State) -> Vec<String> {
    st.rows
        .iter()
        .map(|r| st.image.path(r.path).to_string())
        .collect()
}

fn selected_path(st: &State) -> String {
    st.selected()
        .map(|p| st.image.path(p).to_string())
        .unwrap_or_default()
}

fn finding_position(st: &State, category: &str) -> usize {
    st.findings_order
        .iter()
        .position(|f| st.report.findings[*f].category == category)
        .unwrap_or_else(|| panic!("no {category} finding"))
}

// The view model, against the sample's layers as testdata/sample/README.md tells them.

#[test]
fn the_tree_as_of_each_layer_marks_what_the_layer_did() {
    let s = sample();
    let v = &s.view;
    assert_eq!(v.layers(), 7);
    // The final tree holds the visible bytes, each inode once (umoci unpack: 2,277,330).
    let top = v.tree_at(6, SortBy::Size);
    assert_eq!(top.bytes(0), 2_277_330);
    // L1 (COPY . /app) adds the app; nothing of it is there as of L0.
    let l0 = v.tree_at(0, SortBy::Size);
    let train = id(&s, "/app/datasets/train.csv");
    assert_eq!(l0.change(train), Change::Absent);
    let l1 = v.tree_at(1, SortBy::Size);
    assert_eq!(l1.change(train), Change::Added);
    assert_eq!(l1.bytes(train), 111_350);
    assert_eq!(v.tree_at(2, SortBy::Size).change(train), Change::Unmodified);
    // L3's chmod re-copies the weights: modified, 98,304 bytes of its own.
    let weights = id(&s, "/app/model/weights.onnx");
    let l3 = v.tree_at(3, SortBy::Size);
    assert_eq!(l3.change(weights), Change::Modified);
    assert_eq!(l3.own_bytes(weights), 98_304);
    assert_eq!(l3.own_bytes(0), 98_304);
    // L5 (rm -rf /app/docs) removes the docs: index.md 3,420 + architecture.md 2,662.
    let docs = id(&s, "/app/docs");
    let l5 = v.tree_at(5, SortBy::Size);
    assert_eq!(l5.change(docs), Change::Removed);
    assert_eq!(l5.bytes(docs), 6_082);
    assert_eq!(l5.change(id(&s, "/app/docs/index.md")), Change::Removed);
    assert_ne!(l5.changes_below(id(&s, "/app")) & Change::Removed.bit(), 0);
    assert!(l5.children(id(&s, "/app")).contains(&docs));
    // As of L6 the docs are gone from the tree.
    assert_eq!(top.change(docs), Change::Absent);
    assert!(!top.children(id(&s, "/app")).contains(&docs));
    // L4 copies the vocabulary to /opt/models.
    let l4 = v.tree_at(4, SortBy::Size);
    assert_eq!(l4.change(id(&s, "/opt/models/vocab.txt")), Change::Added);
    assert_eq!(l4.own_bytes(0), 12_123);
}

#[test]
fn hidden_bytes_duplicates_and_findings_are_noted_per_path() {
    let s = sample();
    let v = &s.view;
    let log = id(&s, "/tmp/build.log");
    let notes = v.hidden_at(log);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].bytes, 24_405);
    assert_eq!((notes[0].written_by, notes[0].hidden_by), (2, 6));
    assert_eq!(notes[0].fate, deadweight::index::Fate::Deleted);
    // The chmod copy hides layer 1's weights as a same-content re-copy.
    let weights = v.hidden_at(id(&s, "/app/model/weights.onnx"));
    assert_eq!(weights[0].fate, deadweight::index::Fate::OverwrittenSame);
    assert_eq!((weights[0].written_by, weights[0].hidden_by), (1, 3));
    // Hidden bytes roll up: /app holds the weights' 98,304 and the docs' 6,082.
    assert_eq!(v.hidden_below(id(&s, "/app")), 98_304 + 6_082);
    let dup = v
        .duplicate_at(id(&s, "/opt/models/vocab.txt"))
        .expect("a duplicate");
    assert_eq!((dup.copies, dup.size, dup.wasted), (2, 12_123, 12_123));
    // The .git files are claimed by the vcs finding, and it can jump to them.
    let head = id(&s, "/app/.git/HEAD");
    let vcs = v.findings_at(head);
    assert_eq!(s.report.findings[vcs[0]].category, "vcs");
    assert_eq!(v.targets(vcs[0]).len(), 46);
    assert!(v.targets(vcs[0]).iter().all(|t| t.layer == 6));
}

// The state machine, driven by keys.

#[test]
fn keys_move_open_and_close_the_tree() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    assert_eq!(st.focus, Pane::Tree);
    assert_eq!(st.layer(), 6);
    assert_eq!(row_paths(&st)[..2], ["/bin", "/app"]);
    assert_eq!(st.rows.iter().filter(|r| r.depth > 0).count(), 0);
    st.key(key(KeyCode::Down));
    assert_eq!(selected_path(&st), "/app");
    st.key(key(KeyCode::Enter));
    assert!(st.expanded.contains(&id(&s, "/app")));
    assert!(row_paths(&st).contains(&"/app/datasets".to_string()));
    keys(&mut st, "j");
    assert_eq!(selected_path(&st), "/app/datasets");
    keys(&mut st, "l");
    assert!(row_paths(&st).contains(&"/app/datasets/train.csv".to_string()));
    keys(&mut st, "l");
    assert_eq!(selected_path(&st), "/app/datasets/train.csv");
    // h on a file goes to its parent; h on an open directory closes it.
    keys(&mut st, "h");
    assert_eq!(selected_path(&st), "/app/datasets");
    keys(&mut st, "h");
    assert!(!row_paths(&st).contains(&"/app/datasets/train.csv".to_string()));
    st.key(key(KeyCode::Backspace));
    assert_eq!(selected_path(&st), "/app");
    st.key(key(KeyCode::End));
    assert_eq!(st.cursor[1], st.rows.len() - 1);
    st.key(key(KeyCode::Home));
    assert_eq!(st.cursor[1], 0);
    st.key(key(KeyCode::PageDown));
    assert_eq!(st.cursor[1], st.height[1].min(st.rows.len() - 1));
    // E opens everything, C closes everything.
    keys(&mut st, "E");
    assert!(row_paths(&st).contains(&"/app/.git/hooks/update.sample".to_string()));
    keys(&mut st, "C");
    assert!(st.expanded.is_empty());
    assert!(st.rows.iter().all(|r| r.depth == 0));
}

#[test]
fn tab_cycles_the_panes_and_layers_select_the_tree() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    st.key(key(KeyCode::Tab));
    assert_eq!(st.focus, Pane::Findings);
    st.key(key(KeyCode::Tab));
    assert_eq!(st.focus, Pane::Layers);
    st.key(key(KeyCode::BackTab));
    assert_eq!(st.focus, Pane::Findings);
    st.key(key(KeyCode::BackTab));
    st.key(key(KeyCode::BackTab));
    assert_eq!(st.focus, Pane::Layers);
    // k selects L5 (rm -rf /app/docs); "this layer only" shows only its changes.
    keys(&mut st, "k");
    assert_eq!(st.layer(), 5);
    keys(&mut st, "vE");
    assert_eq!(st.view, View::LayerOnly);
    assert_eq!(
        row_paths(&st),
        [
            "/app",
            "/app/docs",
            "/app/docs/index.md",
            "/app/docs/architecture.md"
        ]
    );
    // R hides removed paths: nothing is left of L5.
    keys(&mut st, "R");
    assert!(st.rows.is_empty());
    keys(&mut st, "R");
    // g goes to L0, G back to the top layer.
    keys(&mut st, "g");
    assert_eq!(st.layer(), 0);
    keys(&mut st, "G");
    assert_eq!(st.layer(), 6);
    // [ and ] step layers from any pane.
    st.key(key(KeyCode::Tab));
    keys(&mut st, "[[");
    assert_eq!(st.layer(), 4);
    keys(&mut st, "]");
    assert_eq!(st.layer(), 5);
}

#[test]
fn toggles_and_sort_shape_the_rows() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    // Unmodified off as of L6 (rm -f /tmp/build.log): only the removal is left.
    keys(&mut st, "U");
    assert_eq!(row_paths(&st), ["/tmp"]);
    keys(&mut st, "lj");
    assert_eq!(selected_path(&st), "/tmp/build.log");
    assert_eq!(st.tree.change(st.selected().unwrap_or(0)), Change::Removed);
    keys(&mut st, "U");
    // s sorts by pull cost (the stored bytes below each row), then by name, then by size.
    keys(&mut st, "gs");
    assert_eq!(st.sort, SortBy::Stored);
    let stored: Vec<u64> = st
        .rows
        .iter()
        .filter(|r| r.depth == 0)
        .map(|r| st.tree.stored_bytes(r.path))
        .collect();
    assert!(stored.windows(2).all(|w| w[0] >= w[1]), "{stored:?}");
    assert!(stored[0] > 0);
    keys(&mut st, "s");
    let names = row_paths(&st);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    keys(&mut st, "s");
    assert_eq!(row_paths(&st)[0], "/bin");
}

#[test]
fn slash_filters_by_substring_or_glob_and_esc_clears() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    keys(&mut st, "/train");
    assert!(st.filter.as_ref().is_some_and(|f| f.editing));
    assert_eq!(
        row_paths(&st),
        ["/app", "/app/datasets", "/app/datasets/train.csv"]
    );
    assert_eq!(selected_path(&st), "/app/datasets/train.csv");
    st.key(key(KeyCode::Enter));
    assert!(st.filter.as_ref().is_some_and(|f| !f.editing));
    // Keys move again once the filter is kept.
    keys(&mut st, "k");
    assert_eq!(selected_path(&st), "/app/datasets");
    st.key(key(KeyCode::Esc));
    assert!(st.filter.is_none());
    assert!(st.rows.iter().all(|r| r.depth == 0));
    // A glob matches whole paths at any depth.
    keys(&mut st, "/*.onnx");
    st.key(key(KeyCode::Enter));
    let rows = row_paths(&st);
    assert!(rows.contains(&"/app/model/weights.onnx".to_string()));
    assert!(!rows.iter().any(|r| r.ends_with(".partial")));
    assert_eq!(st.filter.as_ref().map(|f| f.matched), Some(1));
    // Backspace edits; a capital letter makes the match case-sensitive.
    st.key(key(KeyCode::Esc));
    keys(&mut st, "/README");
    assert_eq!(st.filter.as_ref().map(|f| f.matched), Some(1));
    for _ in 0.."README".len() {
        st.key(key(KeyCode::Backspace));
    }
    keys(&mut st, "readme");
    assert_eq!(st.filter.as_ref().map(|f| f.matched), Some(1));
    keys(&mut st, "[");
    assert!(st.filter.as_ref().is_some_and(|f| f.error.is_some()));
    // The error's words, as before the typed error.
    let error = st.filter.as_ref().and_then(|f| f.error.clone());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.starts_with("not a glob: ")),
        "{error:?}"
    );
}

#[test]
fn enter_on_a_finding_jumps_to_its_files() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    st.key(key(KeyCode::Tab));
    // The temporary build log: deleted by L6, so shown as of L2, which wrote it.
    let at = finding_position(&st, "temp_file");
    for _ in 0..at {
        keys(&mut st, "j");
    }
    st.key(key(KeyCode::Enter));
    assert_eq!(st.focus, Pane::Tree);
    assert_eq!(st.layer(), 2);
    assert_eq!(selected_path(&st), "/tmp/build.log");
    assert_eq!(st.tree.change(st.selected().unwrap_or(0)), Change::Added);
    // The vcs finding's 46 files, heaviest first; n steps through them.
    st.key(key(KeyCode::Tab));
    assert_eq!(st.focus, Pane::Findings);
    let at = finding_position(&st, "vcs");
    st.key(key(KeyCode::Home));
    for _ in 0..at {
        keys(&mut st, "j");
    }
    st.key(key(KeyCode::Enter));
    assert_eq!(st.layer(), 6);
    assert_eq!(selected_path(&st), "/app/.git/hooks/pre-rebase.sample");
    keys(&mut st, "n");
    assert_eq!(
        selected_path(&st),
        "/app/.git/hooks/fsmonitor-watchman.sample"
    );
    keys(&mut st, "N");
    assert_eq!(selected_path(&st), "/app/.git/hooks/pre-rebase.sample");
    keys(&mut st, "N");
    assert!(selected_path(&st).starts_with("/app/.git/"));
    assert_eq!(st.jumped.map(|j| j.1), Some(45));
}

#[test]
fn help_and_quit() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    keys(&mut st, "?");
    assert!(st.help);
    keys(&mut st, "j");
    assert!(!st.help);
    assert!(!st.quit);
    keys(&mut st, "q");
    assert!(st.quit);
    let mut st = State::new(&s.view, &s.report);
    // Ctrl-C quits even while typing a filter.
    keys(&mut st, "/q");
    assert!(!st.quit);
    st.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(st.quit);
}

#[test]
fn the_mouse_scrolls_and_clicks() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    let _ = screen_text(&mut st, 120, 40, PLAIN);
    let tree = st.areas.tree;
    let at = |kind, column, row| MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // A click on the second row of the tree selects /app; a second click opens it.
    let click = at(
        MouseEventKind::Down(MouseButton::Left),
        tree.x + 5,
        tree.y + 2,
    );
    st.mouse(click);
    assert_eq!(selected_path(&st), "/app");
    st.mouse(click);
    assert!(st.is_open(id(&s, "/app")));
    st.mouse(at(MouseEventKind::ScrollDown, tree.x + 5, tree.y + 2));
    assert_eq!(st.cursor[1], 4);
    // A click in the layers pane selects that layer (below the header row).
    let layers = st.areas.layers;
    st.mouse(at(
        MouseEventKind::Down(MouseButton::Left),
        layers.x + 3,
        layers.y + 2,
    ));
    assert_eq!(st.focus, Pane::Layers);
    assert_eq!(st.layer(), 0);
}

// The screens, pinned.

#[test]
fn screens() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    insta::assert_snapshot!("explore_start", screen_text(&mut st, 120, 40, PLAIN));
    insta::assert_snapshot!("explore_narrow_80x24", screen_text(&mut st, 80, 24, PLAIN));
    // Layer 5 selected, its changes only.
    st.key(key(KeyCode::BackTab));
    keys(&mut st, "kvE");
    insta::assert_snapshot!(
        "explore_layer_selected",
        screen_text(&mut st, 120, 40, PLAIN)
    );
    let mut st = State::new(&s.view, &s.report);
    keys(&mut st, "/vocab");
    insta::assert_snapshot!(
        "explore_filter_active",
        screen_text(&mut st, 120, 40, PLAIN)
    );
    let mut st = State::new(&s.view, &s.report);
    st.key(key(KeyCode::Tab));
    for _ in 0..finding_position(&st, "temp_file") {
        keys(&mut st, "j");
    }
    st.key(key(KeyCode::Enter));
    insta::assert_snapshot!(
        "explore_finding_jumped",
        screen_text(&mut st, 120, 40, PLAIN)
    );
    keys(&mut st, "?");
    insta::assert_snapshot!("explore_help", screen_text(&mut st, 100, 32, PLAIN));
}

#[test]
fn colours_follow_the_theme() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    let s = sample();
    let fg_of = |color: bool| {
        let mut st = State::new(&s.view, &s.report);
        keys(&mut st, "U");
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| deadweight::report::explore::draw(f, &mut st, Theme { color }))
            .unwrap();
        let buf = t.backend().buffer().clone();
        // The tree's first row: /tmp, holding the removal (column 1 is its letter).
        let y = st.areas.tree.y + 1;
        (
            buf[(st.areas.tree.x + 1, y)].symbol().to_string(),
            buf[(st.areas.tree.x + 1, y)].fg,
        )
    };
    assert_eq!(fg_of(true), ("m".to_string(), Color::Yellow));
    // Without colour the letter still tells.
    assert_eq!(fg_of(false), ("m".to_string(), Color::Reset));
}

// The real binary in a real terminal: tmux, on its own socket, stopped at the end.

/// A tmux server on a socket of its own, killed (by that socket, then by its PID) when
/// dropped, also when the test fails.
struct Tmux {
    dir: tempfile::TempDir,
    pid: Option<u32>,
}

impl Tmux {
    /// Starts `command` in a detached 120x40 session; None when tmux is missing (a
    /// failure under DEADWEIGHT_REQUIRE_FIXTURES=1).
    fn start(command: &str) -> Option<Tmux> {
        let found = std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var("DEADWEIGHT_REQUIRE_FIXTURES").as_deref() != Ok("1"),
                "tmux is missing and DEADWEIGHT_REQUIRE_FIXTURES=1 (apt-get install tmux)"
            );
            eprintln!("skipping: tmux is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut t = Tmux { dir, pid: None };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "120",
            "-y",
            "40",
            "-e",
            "NO_COLOR=1",
            command,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        let pid = t.tmux(&["display-message", "-p", "-t", "e2e", "#{pid}"]);
        t.pid = String::from_utf8_lossy(&pid.stdout).trim().parse().ok();
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("tmux")
            .arg("-S")
            .arg(self.dir.path().join("sock"))
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn send(&self, keys: &[&str]) {
        for k in keys {
            let out = self.tmux(&["send-keys", "-t", "e2e", k]);
            assert!(out.status.success(), "send-keys {k}: {out:?}");
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
    }

    fn send_text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
        assert!(out.status.success(), "send-keys -l {text}: {out:?}");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// Waits (up to a minute: a debug build reads the image first) until the screen
    /// shows every one of `texts`.
    fn wait_for(&self, texts: &[&str]) -> String {
        let start = std::time::Instant::now();
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "waited for {texts:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The processes whose parent is `pid`.
    fn children(pid: u32) -> Vec<u32> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|s| {
                    s.rsplit_once(") ")
                        .and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok())
                        == Some(pid)
                })
            })
            .collect()
    }

    fn pane_pid(&self) -> u32 {
        let out = self.tmux(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pane pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        if let Some(pid) = self.pid {
            // The server's own PID, never a name.
            kill_pid(pid);
        }
    }
}

fn kill_pid(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .stderr(std::process::Stdio::null())
        .status();
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn explore_in_tmux_shows_filters_jumps_and_quits_cleanly() {
    let image = testdata("sample/sample.docker.tar");
    let command = format!(
        "{} explore {}; echo explore-exit=$?; sleep 30",
        shell_quote(env!("CARGO_BIN_EXE_deadweight")),
        shell_quote(&image.display().to_string())
    );
    let Some(t) = Tmux::start(&command) else {
        return;
    };
    let shell = t.pane_pid();
    let screen = t.wait_for(&["Layers (7)", "Tree as of L6", "bin/", "app/"]);
    assert!(screen.contains("RUN rm -f /tmp/build.log"), "{screen}");
    let explorer = Tmux::children(shell);
    assert_eq!(explorer.len(), 1, "one explorer under the shell");
    // `/` + a file name shows that file.
    t.send(&["/"]);
    t.send_text("train.csv");
    t.wait_for(&["train.csv", "1 match(es)"]);
    t.send(&["Enter", "Escape"]);
    t.wait_for(&["Tab pane"]);
    // Tab reaches the findings; Enter jumps to the first finding's heaviest file.
    t.send(&["Tab", "Enter"]);
    let screen = t.wait_for(&["file 1 of 46", "/app/.git/hooks/pre-rebase.sample"]);
    assert!(screen.contains("finding vcs"), "{screen}");
    // q exits 0, the terminal is back on the main screen, and no explorer is left.
    t.send(&["q"]);
    let screen = t.wait_for(&["explore-exit=0"]);
    assert!(
        !screen.contains("Layers (7)"),
        "still on the explorer's screen:\n{screen}"
    );
    for pid in explorer {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "explorer {pid} still running"
        );
    }
}

#[test]
fn explore_reads_the_image_from_a_pipe_and_the_keys_from_the_terminal() {
    let image = testdata("sample/sample.docker.tar");
    let command = format!(
        "cat {} | {} explore -; echo explore-exit=$?; sleep 30",
        shell_quote(&image.display().to_string()),
        shell_quote(env!("CARGO_BIN_EXE_deadweight")),
    );
    let Some(t) = Tmux::start(&command) else {
        return;
    };
    t.wait_for(&["Layers (7)", "Tree as of L6"]);
    t.send(&["?"]);
    t.wait_for(&["Keys (any key closes)"]);
    t.send(&["Escape", "q"]);
    t.wait_for(&["explore-exit=0"]);
}

/// The progress bar in a real terminal, on an image that arrives through a FIFO in two
/// parts: while the reader waits inside the first layer, standard error shows the bytes
/// in the report's SI units and "layer 1" (a pipe's layer count is not known ahead, so
/// no "/7"; the unit test in src/cmd/progress.rs covers "layer N/M").
#[test]
fn progress_bar_in_tmux_counts_si_units_and_layers() {
    let image = std::fs::read(testdata("sample/sample.docker.tar")).expect("sample");
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("image.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success(), "mkfifo");
    let command = format!(
        "{} inspect {} >/dev/null; echo inspect-exit=$?; sleep 30",
        shell_quote(env!("CARGO_BIN_EXE_deadweight")),
        shell_quote(&fifo.display().to_string())
    );
    let Some(t) = Tmux::start(&command) else {
        return;
    };
    // The first member (at 512) is a 2 MB layer tar: stop a megabyte into it.
    let mut writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the FIFO");
    use std::io::Write;
    writer.write_all(&image[..1_000_000]).expect("first part");
    let screen = t.wait_for(&["layer 1"]);
    let bar = screen
        .lines()
        .find(|l| l.contains("layer 1"))
        .unwrap_or_default()
        .to_string();
    assert!(bar.contains(" kB") || bar.contains(" MB"), "{bar}");
    assert!(!bar.contains("iB"), "binary units: {bar}");
    assert!(
        !bar.contains("layer 1/"),
        "a pipe's layers are not counted: {bar}"
    );
    writer.write_all(&image[1_000_000..]).expect("the rest");
    drop(writer);
    let screen = t.wait_for(&["inspect-exit="]);
    assert!(screen.contains("inspect-exit=0"), "{screen}");
    assert!(!screen.contains("layer 1"), "the bar is cleared: {screen}");
}
