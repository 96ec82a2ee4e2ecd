//! `deadweight explore`: the terminal explorer, a face over the same model as every other
//! output. [`state`] is the pure state machine (keys in, selection, open directories and
//! visible rows out); [`draw`] turns a state into a ratatui frame. The per-layer trees,
//! hidden bytes, duplicates and findings' paths come from
//! [`crate::analyze::explore`]; the terminal itself (raw mode, alternate screen, events)
//! is the command's business.

pub mod draw;
pub mod state;

pub use draw::{Theme, draw};
pub use state::{Pane, State, View};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The screen `state` draws on a `width` x `height` terminal, as text (one line per row,
/// trailing spaces trimmed): for tests, snapshots and timing without a terminal.
pub fn screen_text(state: &mut State, width: u16, height: u16, theme: Theme) -> String {
    // TestBackend cannot fail: its error type is `Infallible`.
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
    let Ok(_) = terminal.draw(|f| draw(f, state, theme));
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
