//! Times `deadweight explore` without a terminal, on any image: building the view model,
//! drawing a frame (ratatui's TestBackend, 200x60), each filter keystroke, and switching
//! layers. The numbers in docs/performance.md come from:
//!
//! ```sh
//! cargo run --release --example explore_timing -- /work/data/ml/ml.oci-zstd.tar
//! ```

use deadweight::analyze::explore::ImageView;
use deadweight::pipeline::Options;
use deadweight::report::explore::{State, Theme, draw};
use deadweight::source::Source;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    if let (Some(first), Some(last)) = (v.first(), v.last()) {
        println!(
            "{name}: n={} min {:.2} ms, median {:.2} ms, max {:.2} ms",
            v.len(),
            ms(*first),
            ms(v[v.len() / 2]),
            ms(*last)
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: explore_timing IMAGE")?;
    let filter = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "site-packages/numpy".to_string());
    let t = Instant::now();
    let seen = deadweight::inspect(&Source::from_arg(&path), &Options::default())?;
    println!(
        "inspect: {:.0} ms ({} entries, {} paths, {} layers)",
        ms(t.elapsed()),
        seen.index.entries.len(),
        seen.index.paths.len(),
        seen.index.layers.len()
    );
    let t = Instant::now();
    let view = ImageView::new(&seen.index, &seen.analysis, &seen.findings);
    println!("view model: {:.1} ms", ms(t.elapsed()));
    let t = Instant::now();
    let mut state = State::new(&view, &seen.report);
    println!("first tree (top layer): {:.1} ms", ms(t.elapsed()));
    let theme = Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let key = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);

    // Every directory open: the most rows the tree can have.
    let t = Instant::now();
    state.key(key(KeyCode::Char('E')));
    println!(
        "open every directory: {:.1} ms ({} rows)",
        ms(t.elapsed()),
        state.rows.len()
    );
    let mut frames = Vec::new();
    let mut keys = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        state.key(key(KeyCode::PageDown));
        keys.push(t.elapsed());
        let t = Instant::now();
        terminal.draw(|f| draw(f, &mut state, theme))?;
        frames.push(t.elapsed());
    }
    summary("frame (200x60, scrolling by pages)", frames);
    summary("PgDn key", keys);

    let mut typed = Vec::new();
    state.key(key(KeyCode::Char('/')));
    for c in filter.chars() {
        let t = Instant::now();
        state.key(key(KeyCode::Char(c)));
        terminal.draw(|f| draw(f, &mut state, theme))?;
        typed.push(t.elapsed());
    }
    println!(
        "filter {filter:?}: {} matches, {} rows",
        state.filter.as_ref().map_or(0, |f| f.matched),
        state.rows.len()
    );
    summary("filter keystroke (match + rows + frame)", typed);
    let mut glob = Vec::new();
    state.key(key(KeyCode::Esc));
    state.key(key(KeyCode::Char('/')));
    for c in "*.so".chars() {
        let t = Instant::now();
        state.key(key(KeyCode::Char(c)));
        terminal.draw(|f| draw(f, &mut state, theme))?;
        glob.push(t.elapsed());
    }
    summary("glob keystroke \"*.so\" (match + rows + frame)", glob);
    state.key(key(KeyCode::Esc));

    let mut layers = Vec::new();
    state.key(key(KeyCode::Home));
    for _ in 0..seen.index.layers.len() {
        state.key(key(KeyCode::Char('[')));
    }
    for _ in 1..seen.index.layers.len() {
        let t = Instant::now();
        state.key(key(KeyCode::Char(']')));
        terminal.draw(|f| draw(f, &mut state, theme))?;
        layers.push(t.elapsed());
    }
    summary("layer switch (tree as of the layer + rows + frame)", layers);
    Ok(())
}
