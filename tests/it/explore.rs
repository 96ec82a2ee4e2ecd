//! `deadweight explore`: the view model against the sample's hand-checked layers, the
//! state machine driven by key sequences, the screens pinned with insta snapshots
//! (ratatui's TestBackend), and the real binary in tmux.

use crate::common::testdata;
use deadweight::analyze::explore::{Change, ImageView, SortBy};
use deadweight::analyze::findings::collect::Collector;
use deadweight::analyze::findings::{self, Findings};
use deadweight::analyze::{Analysis, BaseHint};
use deadweight::archive::manifest::Selection;
use deadweight::archive::{ReadOptions, Source};
use deadweight::index::Index;
use deadweight::report::explore::{Pane, State, Theme, View, screen_text};
use deadweight::analyze::summary::{self, Limits};
use deadweight::model::InspectReport;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;

/// Everything explore reads of one image.
struct Seen {
    index: Index,
    view: ImageView,
    report: InspectReport,
}

fn seen(path: &Path) -> Seen {
    let mut collector = Collector::default();
    let index = deadweight::load_inspected(
        &Source::Path(path.to_path_buf()),
        &Selection::default(),
        &ReadOptions::default(),
        &mut collector,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let analysis = Analysis::new(&index, &BaseHint::default());
    let collected = collector.resolve(&index);
    let f = Findings::new(&index, &analysis, &collected, &findings::Options::default());
    let mut report = summary::summarize(
        &index,
        &analysis,
        "sample.docker.tar",
        Limits {
            top: 10,
            depth: 3,
            all_files: false,
        },
    );
    summary::add_findings(&mut report, &f, &index);
    let view = ImageView::new(&index, &analysis, &f);
    Seen {
        index,
        view,
        report,
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

#[test]
fn dump_sample_screen() {
    let s = sample();
    let mut st = State::new(&s.view, &s.report);
    println!("{}", screen_text(&mut st, 120, 40, PLAIN));
    st.key(key(KeyCode::Tab));
    st.key(key(KeyCode::Enter));
    println!("{}", screen_text(&mut st, 120, 40, PLAIN));
    let _ = (&s.index, Change::Added, SortBy::Size, Pane::Tree, View::Aggregated);
    keys(&mut st, "/");
}
