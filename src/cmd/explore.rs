//! `deadweight explore IMAGE`: the one streaming pass (with its progress bar), then the
//! terminal explorer until `q` or Ctrl-C.
//!
//! This file owns the terminal: raw mode, the alternate screen, mouse reporting and the
//! cursor are set up here and restored on every way out: a normal quit, an error (the
//! guard's `Drop`) and a panic (a hook that restores before the message is printed, so
//! the message lands on the normal screen). When the image comes from standard input,
//! the keys come from the terminal: crossterm reads `/dev/tty` when standard input is not
//! one, and the screen is drawn on `/dev/tty` when standard output is not one.

use super::{ExitStatus, inspect_input};
use crate::cli::{ColorArg, ExploreArgs};
use anyhow::{Context, Result};
use deadweight::analyze::explore::ImageView;
use deadweight::report::explore::{self, State, Theme};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyCode, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Runs `explore`.
pub fn run(args: &ExploreArgs) -> Result<ExitStatus> {
    // Fail before the long read when there is no terminal to draw on.
    let out = TermOut::open()?;
    let seen = inspect_input(
        &args.input,
        args.config.as_deref(),
        args.base.as_deref(),
        deadweight::analyze::summary::Limits {
            top: 10,
            depth: 3,
            all_files: false,
            by_stored: false,
        },
    )?;
    let view = ImageView::new(&seen.index, &seen.analysis, &seen.findings);
    super::timing("explore model");
    let theme = Theme {
        color: match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        },
    };
    let mut state = State::new(&view, &seen.report);
    let stats = ui(out, &mut state, theme)?;
    if deadweight::timings::wanted() {
        stats.print();
    }
    Ok(ExitStatus::Success)
}

/// Where the screen is drawn: standard output, or the terminal itself when standard
/// output is redirected.
enum TermOut {
    Stdout(std::io::Stdout),
    Tty(std::fs::File),
}

impl TermOut {
    fn open() -> Result<TermOut> {
        if std::io::stdout().is_terminal() {
            return Ok(TermOut::Stdout(std::io::stdout()));
        }
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .map(TermOut::Tty)
            .context("explore needs a terminal: standard output is not one and /dev/tty cannot be opened")
    }
}

impl Write for TermOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            TermOut::Stdout(s) => s.write(buf),
            TermOut::Tty(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            TermOut::Stdout(s) => s.flush(),
            TermOut::Tty(f) => f.flush(),
        }
    }
}

/// Puts the terminal back: normal mode, main screen, no mouse reports, cursor shown.
/// Harmless when called twice (the guard and the panic hook may both run).
fn restore() {
    let _ = disable_raw_mode();
    if let Ok(mut out) = TermOut::open() {
        let _ = execute!(
            out,
            DisableMouseCapture,
            LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        );
        let _ = out.flush();
    }
}

/// Restores the terminal when dropped: on a quit, an error, or unwinding.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Draw and key times, for `DEADWEIGHT_TIMINGS`.
#[derive(Default)]
struct Stats {
    frames: Vec<Duration>,
    filter_keys: Vec<Duration>,
    keys: Vec<Duration>,
}

impl Stats {
    fn print(&self) {
        let show = |name: &str, v: &[Duration]| {
            if v.is_empty() {
                return;
            }
            let mut s = v.to_vec();
            s.sort();
            let median = s[s.len() / 2];
            let max = s[s.len() - 1];
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "deadweight: timing: explore {name}: {} (median {:.2} ms, max {:.2} ms)",
                    s.len(),
                    median.as_secs_f64() * 1e3,
                    max.as_secs_f64() * 1e3
                );
            }
        };
        show("frames", &self.frames);
        show("keys", &self.keys);
        show("filter keystrokes", &self.filter_keys);
    }
}

fn ui(mut out: TermOut, state: &mut State, theme: Theme) -> Result<Stats> {
    enable_raw_mode().context("cannot put the terminal in raw mode")?;
    let guard = Guard;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        ratatui::crossterm::cursor::Hide
    )
    .context("cannot set up the terminal")?;
    let mut terminal =
        Terminal::new(CrosstermBackend::new(out)).context("cannot set up the terminal")?;
    let mut stats = Stats::default();
    loop {
        let t = Instant::now();
        terminal
            .draw(|f| explore::draw(f, state, theme))
            .context("cannot draw on the terminal")?;
        stats.frames.push(t.elapsed());
        if state.quit {
            break;
        }
        match event::read().context("cannot read the terminal's events")? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let filtering = state.filter.as_ref().is_some_and(|f| f.editing)
                    && matches!(k.code, KeyCode::Char(_) | KeyCode::Backspace);
                let t = Instant::now();
                state.key(k);
                let took = t.elapsed();
                if filtering {
                    stats.filter_keys.push(took);
                } else {
                    stats.keys.push(took);
                }
            }
            Event::Mouse(m) => state.mouse(m),
            // A resize is drawn by the next pass of the loop.
            _ => {}
        }
    }
    drop(terminal);
    drop(guard);
    let _ = std::panic::take_hook();
    Ok(stats)
}
