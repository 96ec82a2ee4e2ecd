//! Draws the explorer's state into a ratatui frame. Only the rows on screen are turned
//! into text: a frame costs the same on a 200-entry image and on a 200k-entry one.
//!
//! ```text
//! ┌Layers──────────────────────────────────────────────────────────────┐
//! │ L   stored  content  added chngd rmvd  hidden  instruction         │
//! ├Tree (aggregated, as of L6)──────────┐┌Findings──────────────────────┤
//! │ A!h  ▾ app                  1.2 MB  ││ vcs   38 kB .git ...          │
//! │                                     │├Image─────────────────────────┤
//! ├Details──────────────────────────────┴──────────────────────────────┤
//! └keys────────────────────────────────────────────────────────────────┘
//! ```

use super::state::{Areas, Pane, State, View};
use crate::analyze::explore::{Change, NodeKind, SortBy};
use crate::index::{Fate, PathId};
use crate::model::inspect::LayerInfo;
use crate::report::ByteFormat;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Colours, or none (`NO_COLOR`, or `--color never`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Use colours.
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    fn change(self, c: Change) -> Style {
        match c {
            Change::Added => self.fg(Color::Green),
            Change::Modified => self.fg(Color::Yellow),
            Change::Removed => self.fg(Color::Red),
            Change::Unmodified | Change::Absent => Style::default(),
        }
    }

    fn border(self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::default().fg(Color::Cyan),
            (true, false) => Style::default().add_modifier(Modifier::BOLD),
            _ => Style::default(),
        }
    }
}

const BYTES: ByteFormat = ByteFormat::Si;

/// Where the panes go in `area`: layers on top across the width, the tree on the left,
/// findings and the image on the right, details and keys at the bottom.
pub fn layout(area: Rect, layers: usize) -> (Areas, Rect, Rect, Rect) {
    let want = (layers as u16).saturating_add(3);
    let layers_h = want.clamp(4, (area.height * 3 / 10).max(4));
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(layers_h),
            Constraint::Min(3),
            Constraint::Length(5),
            Constraint::Length(1),
        ])
        .split(area);
    let middle = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(60), Constraint::Percentage(40)])
        .split(rows[1]);
    // The image pane needs 8 rows; on a short terminal it gives the findings half.
    let image_h = 8.min(middle[1].height / 2);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(image_h)])
        .split(middle[1]);
    (
        Areas {
            layers: rows[0],
            tree: middle[0],
            findings: right[0],
        },
        right[1],
        rows[2],
        rows[3],
    )
}

/// Draws the whole screen and records the panes' sizes in `state`.
pub fn draw(frame: &mut Frame, state: &mut State, theme: Theme) {
    let (areas, image, details, keys) = layout(frame.area(), state.image.layers());
    state.areas = areas;
    state.height = [
        areas.layers.height.saturating_sub(3) as usize,
        areas.tree.height.saturating_sub(2) as usize,
        areas.findings.height.saturating_sub(2) as usize,
    ];
    state.scroll();
    draw_layers(frame, state, theme, areas.layers);
    draw_tree(frame, state, theme, areas.tree);
    draw_findings(frame, state, theme, areas.findings);
    draw_image(frame, state, image);
    draw_details(frame, state, theme, details);
    draw_keys(frame, state, theme, keys);
    if state.help {
        draw_help(frame, theme);
    }
}

fn block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title)
}

fn selected_style(theme: Theme, focused: bool) -> Style {
    if focused {
        Style::default().add_modifier(Modifier::REVERSED)
    } else if theme.color {
        Style::default()
            .add_modifier(Modifier::BOLD)
            .fg(Color::Cyan)
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    }
}

/// The layer's instruction in the Dockerfile's words, as the library normalised it
/// (`analyze::instruction`: builder prefixes dropped, build args apart and masked).
pub fn instruction(layer: &LayerInfo) -> String {
    layer
        .instruction
        .as_deref()
        .or(layer.created_by.as_deref())
        .map_or_else(|| "(no history)".to_string(), str::to_string)
}

fn draw_layers(frame: &mut Frame, state: &State, theme: Theme, area: Rect) {
    let focused = state.focus == Pane::Layers;
    let n = state.image.layers();
    let title = format!(" Layers ({n}) ");
    let mut lines = vec![Line::styled(
        format!(
            "{:<4}{:>9}{:>9}{:>7}{:>6}{:>6}{:>9}  instruction",
            " L", "stored", "content", "added", "chg", "rmvd", "hidden"
        ),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let h = state.height[Pane::Layers as usize];
    let off = state.offset[Pane::Layers as usize];
    for (i, l) in state.report.layers.iter().enumerate().skip(off).take(h) {
        let mark = if i == state.layer() { '>' } else { ' ' };
        let text = format!(
            "{mark}{:<3}{:>9}{:>9}{:>7}{:>6}{:>6}{:>9}  {}",
            format!("L{i}"),
            BYTES.format(l.blob_bytes),
            BYTES.format(l.content_bytes),
            l.added,
            l.changed,
            l.deleted,
            if l.hidden_bytes > 0 {
                BYTES.format(l.hidden_bytes)
            } else {
                "-".to_string()
            },
            instruction(l)
        );
        let style = if i == state.layer() {
            selected_style(theme, focused)
        } else {
            Style::default()
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(title, focused, theme)),
        area,
    );
}

/// The letter of a change, for terminals without colour.
fn letter(c: Change, below: u8) -> char {
    match c {
        Change::Added => 'A',
        Change::Modified => 'M',
        Change::Removed => 'R',
        _ if below & (Change::ALL & !Change::Unmodified.bit()) != 0 => 'm',
        _ => ' ',
    }
}

fn draw_tree(frame: &mut Frame, state: &State, theme: Theme, area: Rect) {
    let focused = state.focus == Pane::Tree;
    let view = match state.view {
        View::Aggregated => "aggregated",
        View::LayerOnly => "this layer only",
    };
    let sort = match state.sort {
        SortBy::Size => "size",
        SortBy::Stored => "pull cost",
        SortBy::Name => "name",
    };
    let mut title = format!(" Tree as of L{} ({view}, by {sort}", state.layer());
    if state.mask != Change::ALL {
        title.push_str(", showing ");
        for (c, l) in [
            (Change::Added, 'A'),
            (Change::Removed, 'R'),
            (Change::Modified, 'M'),
            (Change::Unmodified, 'U'),
        ] {
            if state.mask & c.bit() != 0 {
                title.push(l);
            }
        }
    }
    title.push_str(") ");
    let inner_w = area.width.saturating_sub(2) as usize;
    let h = state.height[Pane::Tree as usize];
    let off = state.offset[Pane::Tree as usize];
    let own = state.view == View::LayerOnly;
    let cursor = state.cursor[Pane::Tree as usize];
    let mut lines = Vec::with_capacity(h);
    for (i, row) in state.rows.iter().enumerate().skip(off).take(h) {
        lines.push(tree_line(
            state,
            theme,
            row.path,
            row.depth,
            own,
            inner_w,
            i == cursor,
            focused,
        ));
    }
    if state.rows.is_empty() {
        lines.push(Line::raw(match &state.filter {
            Some(f) => format!(" nothing matches {:?}", f.text),
            None => " nothing to show (see the A R M U toggles)".to_string(),
        }));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(title, focused, theme)),
        area,
    );
}

#[allow(clippy::too_many_arguments)]
fn tree_line(
    state: &State,
    theme: Theme,
    path: PathId,
    depth: u16,
    own: bool,
    width: usize,
    selected: bool,
    focused: bool,
) -> Line<'static> {
    let t = &state.tree;
    let change = t.change(path);
    let dir = t.kind(path) == NodeKind::Dir;
    let flags: String = [
        if state.image.claimed(path) { '!' } else { ' ' },
        if state.image.hidden_below(path) > 0 {
            'h'
        } else {
            ' '
        },
        if state.image.duplicate_at(path).is_some() {
            'd'
        } else {
            ' '
        },
    ]
    .iter()
    .collect();
    let arrow = if dir && t.has_children(path) {
        if state.is_open(path) { "▾ " } else { "▸ " }
    } else {
        "  "
    };
    let mut name = state.image.name(path).to_string();
    match t.kind(path) {
        NodeKind::Dir => name.push('/'),
        NodeKind::Symlink => name.push('@'),
        _ => {}
    }
    // Sorted by pull cost, the column shows it (the title says "by pull cost").
    let size = BYTES.format(match (state.sort == SortBy::Stored, own) {
        (true, true) => t.own_stored_bytes(path),
        (true, false) => t.stored_bytes(path),
        (false, true) => t.own_bytes(path),
        (false, false) => t.bytes(path),
    });
    let indent = "  ".repeat(depth as usize);
    let head = format!(
        "{}{flags} {indent}{arrow}",
        letter(change, t.changes_below(path))
    );
    let used = head.chars().count() + size.len() + 1;
    let room = width.saturating_sub(used);
    let shown: String = if name.chars().count() > room {
        let mut s: String = name.chars().take(room.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        name
    };
    let pad = width.saturating_sub(head.chars().count() + shown.chars().count() + size.len());
    let mut style = theme.change(change);
    if change == Change::Unmodified && letter(change, t.changes_below(path)) == 'm' {
        style = theme.change(Change::Modified);
    }
    let flag_style = theme.fg(Color::Magenta);
    let mut line = Line::from(vec![
        Span::styled(head.chars().take(1).collect::<String>(), style),
        Span::styled(flags, flag_style),
        Span::styled(format!(" {indent}{arrow}{shown}"), style),
        Span::raw(format!("{}{size}", " ".repeat(pad))),
    ]);
    if selected {
        line = line.style(selected_style(theme, focused));
    }
    line
}

fn draw_findings(frame: &mut Frame, state: &State, theme: Theme, area: Rect) {
    let focused = state.focus == Pane::Findings;
    let n = state.findings_order.len();
    let title = format!(" Findings ({n}) ");
    let h = state.height[Pane::Findings as usize];
    let off = state.offset[Pane::Findings as usize];
    let cursor = state.cursor[Pane::Findings as usize];
    let mut lines = Vec::with_capacity(h);
    for (i, &f) in state.findings_order.iter().enumerate().skip(off).take(h) {
        let Some(x) = state.report.findings.get(f) else {
            continue;
        };
        let mark = if state.jumped.is_some_and(|(g, _)| g == f) {
            '>'
        } else {
            ' '
        };
        let mut line = Line::from(vec![
            Span::raw(format!("{mark}")),
            Span::styled(format!("{:<14}", x.category), theme.fg(Color::Magenta)),
            Span::raw(format!("{:>9} {}", BYTES.format(x.bytes), x.message)),
        ]);
        if i == cursor {
            line = line.style(selected_style(theme, focused));
        }
        lines.push(line);
    }
    if n == 0 {
        lines.push(Line::raw(" no findings"));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(title, focused, theme)),
        area,
    );
}

fn draw_image(frame: &mut Frame, state: &State, area: Rect) {
    let r = state.report;
    let content = r.totals.content_bytes.max(1);
    let pct = |b: u64| b as f64 * 100.0 / content as f64;
    let mut platform = format!("{}/{}", r.image.os, r.image.arch);
    if let Some(v) = &r.image.variant {
        platform.push('/');
        platform.push_str(v);
    }
    let lines = vec![
        Line::raw(format!(
            "dead weight {} ({:.1}%)",
            BYTES.format(r.summary.dead_weight_bytes),
            pct(r.summary.dead_weight_bytes)
        )),
        Line::raw(format!(
            "hidden      {} ({:.1}%)",
            BYTES.format(r.totals.hidden_bytes),
            pct(r.totals.hidden_bytes)
        )),
        Line::raw(format!(
            "duplicate   {}",
            BYTES.format(r.totals.duplicate_bytes)
        )),
        Line::raw(format!(
            "efficiency  {:.2}% (dive's score)",
            r.dive.efficiency * 100.0
        )),
        Line::raw(format!(
            "user {} · {platform}",
            if r.image.user.is_empty() {
                "root (none set)"
            } else {
                &r.image.user
            }
        )),
        Line::raw(format!(
            "content {} · stored {}",
            BYTES.format(r.totals.content_bytes),
            BYTES.format(r.totals.blob_bytes)
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block(" Image ".to_string(), false, Theme { color: false })),
        area,
    );
}

/// How a hidden copy was hidden, in words.
fn hidden_verb(fate: Fate) -> &'static str {
    match fate {
        Fate::Deleted => "deleted",
        Fate::DeletedWithDir => "deleted with its directory",
        Fate::Opaque => "hidden by an opaque directory",
        Fate::OverwrittenSame => "re-copied unchanged",
        Fate::Overwritten => "overwritten",
        Fate::Visible | Fate::Marker => "hidden",
    }
}

fn layer_words(state: &State, layer: usize) -> String {
    state
        .report
        .layers
        .get(layer)
        .map_or_else(|| "(no history)".to_string(), instruction)
}

/// What the details pane says about `path`: where it comes from, then what dive cannot
/// show (hidden bytes, duplicates, findings).
fn path_details(state: &State, path: PathId) -> Vec<String> {
    let t = &state.tree;
    let img = state.image;
    let mut head = format!("{}  {}", img.path(path), BYTES.format(t.bytes(path)));
    match t.change(path) {
        Change::Added => head.push_str(&format!("  added by L{}", t.layer)),
        Change::Modified => head.push_str(&format!("  modified by L{}", t.layer)),
        Change::Removed => head.push_str(&format!("  removed by L{}", t.layer)),
        _ => {
            if let Some(w) = t.written_by(path) {
                head.push_str(&format!("  from L{w}"));
            }
        }
    }
    let mut out = vec![head];
    for h in img.hidden_at(path) {
        out.push(format!(
            "{} {} by L{}: `{}` (written by L{})",
            BYTES.format(h.bytes),
            hidden_verb(h.fate),
            h.hidden_by,
            layer_words(state, h.hidden_by),
            h.written_by
        ));
    }
    let below = img.hidden_below(path);
    let here: u64 = img.hidden_at(path).iter().map(|h| h.bytes).sum();
    if below > here {
        out.push(format!(
            "{} hidden below (shipped, never visible)",
            BYTES.format(below - here)
        ));
    }
    if let Some(d) = img.duplicate_at(path) {
        out.push(format!(
            "{} copies of {}, {} wasted",
            d.copies,
            BYTES.format(d.size),
            BYTES.format(d.wasted)
        ));
    }
    for &f in img.findings_at(path) {
        if let Some(x) = state.report.findings.get(f) {
            out.push(format!(
                "finding {}: {} (fix: {})",
                x.category, x.message, x.fix
            ));
        }
    }
    out
}

fn draw_details(frame: &mut Frame, state: &State, theme: Theme, area: Rect) {
    let lines: Vec<String> = match state.focus {
        Pane::Tree => state
            .selected()
            .map(|p| path_details(state, p))
            .unwrap_or_default(),
        Pane::Layers => {
            let l = state.layer();
            match state.report.layers.get(l) {
                Some(info) => vec![
                    format!("L{l}: {}", instruction(info)),
                    format!(
                        "{} stored, {} content, {} visible; hides {} of lower layers; {}",
                        BYTES.format(info.blob_bytes),
                        BYTES.format(info.content_bytes),
                        BYTES.format(info.visible_bytes),
                        BYTES.format(info.hides_bytes),
                        info.diff_id
                    ),
                ],
                None => Vec::new(),
            }
        }
        Pane::Findings => match state
            .selected_finding()
            .and_then(|f| state.report.findings.get(f))
        {
            Some(x) => vec![
                format!(
                    "{} ({}, {}): {}",
                    x.rule,
                    x.severity,
                    BYTES.format(x.bytes),
                    x.message
                ),
                format!("fix: {}", x.fix),
                "Enter: jump to its files (again: the next one)".to_string(),
            ],
            None => Vec::new(),
        },
    };
    let text: Vec<Line> = lines.into_iter().map(Line::raw).collect();
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block(
            " Details ".to_string(),
            false,
            theme,
        )),
        area,
    );
}

fn draw_keys(frame: &mut Frame, state: &State, theme: Theme, area: Rect) {
    let line = match &state.filter {
        Some(f) if f.editing => {
            let mut s = format!("/{}▏", f.text);
            match &f.error {
                Some(e) => s.push_str(&format!("  {e}")),
                None => s.push_str(&format!(
                    "  {} match(es)  Enter keep · Esc clear",
                    f.matched
                )),
            }
            s
        }
        _ => {
            let mut s = match &state.message {
                Some(m) => format!("{m} · "),
                None => String::new(),
            };
            if let Some(f) = &state.filter {
                s.push_str(&format!("filter /{} ({}) Esc clears · ", f.text, f.matched));
            }
            s.push_str("Tab pane · ↑↓ move · Enter open · / filter · s sort · v view · A R M U · ? help · q quit");
            s
        }
    };
    frame.render_widget(
        Paragraph::new(Line::styled(line, theme.fg(Color::DarkGray))),
        area,
    );
}

/// Every key, for the `?` screen.
pub const KEYS: &[(&str, &str)] = &[
    (
        "Tab / Shift-Tab",
        "next / previous pane (layers, tree, findings)",
    ),
    ("↑ ↓  k j", "move"),
    ("PgUp PgDn  Ctrl-u Ctrl-d", "a page up / down"),
    ("Home End  g G", "first / last"),
    ("[ ]", "previous / next layer (from any pane)"),
    (
        "Enter Space",
        "open or close a directory; on a finding: jump to its files",
    ),
    (
        "→ l  ← h",
        "open / close; ← on a file or closed directory: its parent",
    ),
    ("Backspace p", "jump to the parent directory"),
    ("E C", "open every directory / close all"),
    ("/", "filter paths: a substring, or a glob (* ? [ ] {})"),
    ("Esc", "clear the filter"),
    ("s", "sort by size, pull cost or name"),
    ("v", "aggregated tree / this layer's changes only"),
    (
        "A R M U",
        "show or hide added / removed / modified / unmodified",
    ),
    ("n N", "next / previous file of the finding jumped to"),
    ("mouse", "wheel scrolls, click selects, click again opens"),
    ("?", "this help (any key closes)"),
    ("q  Ctrl-C", "quit"),
];

fn draw_help(frame: &mut Frame, theme: Theme) {
    let area = frame.area();
    let w = area.width.min(76);
    let h = area.height.min(KEYS.len() as u16 + 8);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| Line::raw(format!("{k:>24}  {what}")))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "Tree letters: A added, M modified, R removed, m changes below.",
    ));
    lines.push(Line::raw(
        "Marks: ! a finding claims it, h hidden bytes here/below, d duplicate.",
    ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Keys (any key closes) ".to_string(), true, theme)),
        popup,
    );
}
