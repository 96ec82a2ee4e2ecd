//! The explorer's state machine: keys and mouse events in, state out (focused pane,
//! selected layer, tree cursor, expanded directories, filter, visible rows). No terminal:
//! tests drive it with key sequences, and the drawing reads it.
//!
//! The visible rows are rebuilt only when something that shapes them changes (layer,
//! view, toggles, filter, expansion), by a walk of the open directories; drawing then
//! touches only the rows on screen.

use crate::analyze::explore::{Change, ImageView, LayerTree, NodeKind, SortBy};
use crate::analyze::findings::Category;
use crate::index::{PathId, ROOT};
use crate::model::InspectReport;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use std::collections::HashSet;

/// A pane that takes the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The layers.
    Layers = 0,
    /// The file tree.
    Tree = 1,
    /// The findings.
    Findings = 2,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::Layers, Pane::Tree, Pane::Findings];
}

/// Which tree the tree pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The image as of the selected layer.
    Aggregated,
    /// Only what the selected layer changed.
    LayerOnly,
}

/// A visible row of the tree pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The path.
    pub path: PathId,
    /// Its depth below the root (top-level entries are 0).
    pub depth: u16,
}

/// What the `/` filter matches.
#[derive(Debug)]
enum Matcher {
    /// A substring; case-insensitive when the text has no capital letter.
    Substring { text: String, fold: bool },
    /// A glob over the whole path (`*` also crosses `/`). A set of one: a `GlobSet` picks a
    /// literal, extension or suffix test where the glob allows one, where a `GlobMatcher`
    /// always runs a regex (`*.so` on 180k paths: ~100 ms per keystroke as a matcher on a
    /// loaded 2-core machine).
    Glob(globset::GlobSet),
}

/// The `/` filter.
#[derive(Debug)]
pub struct Filter {
    /// What was typed.
    pub text: String,
    /// Still typing.
    pub editing: bool,
    /// Paths that match.
    pub matched: usize,
    /// Why the text is not a valid glob, if it is not.
    pub error: Option<String>,
    /// Per path: it matches or something below it does.
    shown: Vec<bool>,
}

/// Screen areas of the panes, for mouse clicks (set by the drawing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    /// The layers pane (with its border).
    pub layers: Rect,
    /// The tree pane.
    pub tree: Rect,
    /// The findings pane.
    pub findings: Rect,
}

/// Rows of each pane above the list (a column header).
const HEADER: [usize; 3] = [1, 0, 0];

/// Everything the explorer shows, and where the user is.
pub struct State<'a> {
    /// The image's view model.
    pub image: &'a ImageView,
    /// The report (layers, findings, headline).
    pub report: &'a InspectReport,
    /// The pane the keys go to.
    pub focus: Pane,
    /// The tree as of the selected layer.
    pub tree: LayerTree,
    /// Aggregated or this layer only.
    pub view: View,
    /// Changes shown, as [`Change::bit`]s.
    pub mask: u8,
    /// The tree's order.
    pub sort: SortBy,
    /// Open directories (outside a filter).
    pub expanded: HashSet<PathId>,
    /// Directories closed while a filter is on (a filter opens everything that leads to a
    /// match).
    pub closed: HashSet<PathId>,
    /// The tree's visible rows.
    pub rows: Vec<Row>,
    /// Cursor per pane (layers: the selected layer; findings: a position in
    /// [`State::findings_order`]).
    pub cursor: [usize; 3],
    /// First row shown per pane.
    pub offset: [usize; 3],
    /// Rows that fit per pane (set by the drawing).
    pub height: [usize; 3],
    /// The filter, when one is on.
    pub filter: Option<Filter>,
    /// The help is shown.
    pub help: bool,
    /// The finding jumped to and which of its files.
    pub jumped: Option<(usize, usize)>,
    /// Findings in pane order: by category, then heaviest first.
    pub findings_order: Vec<usize>,
    /// A one-line message for the status bar.
    pub message: Option<String>,
    /// Where the panes are on screen.
    pub areas: Areas,
    /// The user asked to quit.
    pub quit: bool,
}

impl<'a> State<'a> {
    /// The explorer on the top layer, tree pane focused, top-level directories shown.
    pub fn new(image: &'a ImageView, report: &'a InspectReport) -> State<'a> {
        let top = image.layers().saturating_sub(1);
        let tree = image.tree_at(top, SortBy::Size);
        let rank = |name: &str| {
            Category::parse(name)
                .and_then(|c| Category::ALL.iter().position(|x| *x == c))
                .unwrap_or(usize::MAX)
        };
        let mut findings_order: Vec<usize> = (0..report.findings.len()).collect();
        findings_order.sort_by_key(|i| {
            let f = &report.findings[*i];
            (rank(&f.category), std::cmp::Reverse(f.bytes), *i)
        });
        let mut s = State {
            image,
            report,
            focus: Pane::Tree,
            tree,
            view: View::Aggregated,
            mask: Change::ALL,
            sort: SortBy::Size,
            expanded: HashSet::new(),
            closed: HashSet::new(),
            rows: Vec::new(),
            cursor: [top, 0, 0],
            offset: [0; 3],
            height: [10, 20, 10],
            filter: None,
            help: false,
            jumped: None,
            findings_order,
            message: None,
            areas: Areas::default(),
            quit: false,
        };
        s.rebuild();
        s.scroll();
        s
    }

    /// The selected layer.
    pub fn layer(&self) -> usize {
        self.tree.layer
    }

    /// The path under the tree cursor.
    pub fn selected(&self) -> Option<PathId> {
        self.rows
            .get(self.cursor[Pane::Tree as usize])
            .map(|r| r.path)
    }

    /// The finding under the findings cursor.
    pub fn selected_finding(&self) -> Option<usize> {
        self.findings_order
            .get(self.cursor[Pane::Findings as usize])
            .copied()
    }

    /// The changes the tree shows: the toggles, without unmodified paths in "this layer
    /// only".
    pub fn effective_mask(&self) -> u8 {
        match self.view {
            View::Aggregated => self.mask,
            View::LayerOnly => self.mask & !Change::Unmodified.bit(),
        }
    }

    /// True when `dir` shows its children.
    pub fn is_open(&self, dir: PathId) -> bool {
        match self.filter {
            Some(_) => !self.closed.contains(&dir),
            None => self.expanded.contains(&dir),
        }
    }

    /// Number of items of `pane`.
    fn len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Layers => self.image.layers(),
            Pane::Tree => self.rows.len(),
            Pane::Findings => self.findings_order.len(),
        }
    }

    /// Handles one key.
    pub fn key(&mut self, k: KeyEvent) {
        if k.kind == KeyEventKind::Release {
            return;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if self.filter.as_ref().is_some_and(|f| f.editing) {
            self.filter_key(k);
            return;
        }
        if self.help {
            match k.code {
                KeyCode::Char('q') => self.quit = true,
                _ => self.help = false,
            }
            return;
        }
        self.message = None;
        let page = self.height[self.focus as usize].max(1) as isize;
        match (k.code, ctrl) {
            (KeyCode::Char('q'), _) => self.quit = true,
            (KeyCode::Char('?'), _) => self.help = true,
            (KeyCode::Tab, _) => self.cycle_focus(1),
            (KeyCode::BackTab, _) => self.cycle_focus(2),
            (KeyCode::Char('d'), true) | (KeyCode::Char('f'), true) => self.move_by(page),
            (KeyCode::Char('u'), true) | (KeyCode::Char('b'), true) => self.move_by(-page),
            (KeyCode::Up | KeyCode::Char('k'), _) => self.move_by(-1),
            (KeyCode::Down | KeyCode::Char('j'), _) => self.move_by(1),
            (KeyCode::PageUp, _) => self.move_by(-page),
            (KeyCode::PageDown, _) => self.move_by(page),
            (KeyCode::Home | KeyCode::Char('g'), _) => self.move_by(isize::MIN / 2),
            (KeyCode::End | KeyCode::Char('G'), _) => self.move_by(isize::MAX / 2),
            (KeyCode::Enter | KeyCode::Char(' '), _) => self.activate(),
            (KeyCode::Right | KeyCode::Char('l'), _) => self.open_or_descend(),
            (KeyCode::Left | KeyCode::Char('h'), _) => self.close_or_ascend(),
            (KeyCode::Backspace | KeyCode::Char('p'), _) => self.go_to_parent(),
            (KeyCode::Char('/'), _) => self.start_filter(),
            (KeyCode::Esc, _) => self.escape(),
            (KeyCode::Char('s'), _) => self.cycle_sort(),
            (KeyCode::Char('v'), _) => self.toggle_view(),
            (KeyCode::Char('A'), _) => self.toggle(Change::Added),
            (KeyCode::Char('R'), _) => self.toggle(Change::Removed),
            (KeyCode::Char('M'), _) => self.toggle(Change::Modified),
            (KeyCode::Char('U'), _) => self.toggle(Change::Unmodified),
            (KeyCode::Char('n'), _) => self.next_target(1),
            (KeyCode::Char('N'), _) => self.next_target(-1),
            (KeyCode::Char('E'), _) => self.expand_all(),
            (KeyCode::Char('C'), _) => self.collapse_all(),
            (KeyCode::Char('['), _) => self.select_layer(self.layer().saturating_sub(1)),
            (KeyCode::Char(']'), _) => self.select_layer(self.layer() + 1),
            _ => {}
        }
        self.scroll();
    }

    /// Handles a mouse event.
    pub fn mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        let pane = [
            (Pane::Layers, self.areas.layers),
            (Pane::Tree, self.areas.tree),
            (Pane::Findings, self.areas.findings),
        ]
        .into_iter()
        .find(|(_, r)| r.contains(at));
        let Some((pane, area)) = pane else { return };
        if self.help || self.filter.as_ref().is_some_and(|f| f.editing) {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let before = self.focus;
                self.focus = pane;
                self.move_by(if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                });
                self.focus = before;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                // Inside the border and below the header.
                let first = area.y as usize + 1 + HEADER[pane as usize];
                let Some(row) = (m.row as usize).checked_sub(first) else {
                    self.focus = pane;
                    return;
                };
                let i = self.offset[pane as usize] + row;
                let again = self.focus == pane && self.cursor[pane as usize] == i;
                self.focus = pane;
                if i < self.len(pane) {
                    self.set_cursor(pane, i);
                    if again {
                        self.activate();
                    }
                }
            }
            _ => {}
        }
        self.scroll();
    }

    fn cycle_focus(&mut self, step: usize) {
        let i = Pane::ORDER
            .iter()
            .position(|p| *p == self.focus)
            .unwrap_or(0);
        self.focus = Pane::ORDER[(i + step) % Pane::ORDER.len()];
    }

    fn move_by(&mut self, delta: isize) {
        let pane = self.focus;
        let n = self.len(pane);
        if n == 0 {
            return;
        }
        let cur = self.cursor[pane as usize] as isize;
        let next = cur.saturating_add(delta).clamp(0, n as isize - 1) as usize;
        self.set_cursor(pane, next);
    }

    fn set_cursor(&mut self, pane: Pane, i: usize) {
        if pane == Pane::Layers {
            self.select_layer(i);
        } else {
            self.cursor[pane as usize] = i;
        }
    }

    /// Shows the tree as of `layer` (clamped), keeping the selected path when it is still
    /// there.
    pub fn select_layer(&mut self, layer: usize) {
        let layer = layer.min(self.image.layers().saturating_sub(1));
        self.cursor[Pane::Layers as usize] = layer;
        if layer == self.tree.layer {
            return;
        }
        self.tree = self.image.tree_at(layer, self.sort);
        self.tree
            .sort(self.image, self.sort, self.view == View::LayerOnly);
        self.rebuild();
    }

    fn activate(&mut self) {
        match self.focus {
            Pane::Layers => self.focus = Pane::Tree,
            Pane::Tree => {
                if let Some(p) = self.selected()
                    && self.tree.has_children(p)
                {
                    if self.is_open(p) {
                        self.close(p);
                    } else {
                        self.open(p);
                    }
                    self.rebuild();
                }
            }
            Pane::Findings => {
                if let Some(f) = self.selected_finding() {
                    let next = match self.jumped {
                        Some((g, k)) if g == f => k + 1,
                        _ => 0,
                    };
                    self.jump(f, next);
                }
            }
        }
    }

    fn open(&mut self, p: PathId) {
        if self.filter.is_some() {
            self.closed.remove(&p);
        } else {
            self.expanded.insert(p);
        }
    }

    fn close(&mut self, p: PathId) {
        if self.filter.is_some() {
            self.closed.insert(p);
        } else {
            self.expanded.remove(&p);
        }
    }

    fn open_or_descend(&mut self) {
        if self.focus != Pane::Tree {
            return;
        }
        let Some(p) = self.selected() else { return };
        if !self.tree.has_children(p) {
            return;
        }
        if self.is_open(p) {
            self.move_by(1);
        } else {
            self.open(p);
            self.rebuild();
        }
    }

    fn close_or_ascend(&mut self) {
        if self.focus != Pane::Tree {
            return;
        }
        let Some(p) = self.selected() else { return };
        if self.tree.has_children(p) && self.is_open(p) {
            self.close(p);
            self.rebuild();
        } else {
            self.go_to_parent();
        }
    }

    fn go_to_parent(&mut self) {
        if self.focus != Pane::Tree {
            return;
        }
        let Some(p) = self.selected() else { return };
        let parent = self.image.parent(p);
        if parent != ROOT {
            self.select_path(parent);
        }
    }

    /// Moves the tree cursor to `path` if it is a visible row.
    fn select_path(&mut self, path: PathId) -> bool {
        match self.rows.iter().position(|r| r.path == path) {
            Some(i) => {
                self.cursor[Pane::Tree as usize] = i;
                true
            }
            None => false,
        }
    }

    fn escape(&mut self) {
        if self.filter.take().is_some() {
            self.closed.clear();
            self.rebuild();
        } else {
            self.jumped = None;
        }
    }

    fn cycle_sort(&mut self) {
        // Size, then pull cost, then name.
        self.sort = match self.sort {
            SortBy::Size => SortBy::Stored,
            SortBy::Stored => SortBy::Name,
            SortBy::Name => SortBy::Size,
        };
        self.tree
            .sort(self.image, self.sort, self.view == View::LayerOnly);
        self.rebuild();
    }

    fn toggle_view(&mut self) {
        self.view = match self.view {
            View::Aggregated => View::LayerOnly,
            View::LayerOnly => View::Aggregated,
        };
        self.tree
            .sort(self.image, self.sort, self.view == View::LayerOnly);
        self.rebuild();
    }

    fn toggle(&mut self, c: Change) {
        self.mask ^= c.bit();
        self.rebuild();
    }

    fn expand_all(&mut self) {
        if self.filter.is_some() {
            self.closed.clear();
        } else {
            let mut stack = vec![ROOT];
            while let Some(p) = stack.pop() {
                for &c in self.tree.children(p) {
                    if self.tree.has_children(c) {
                        self.expanded.insert(c);
                        stack.push(c);
                    }
                }
            }
        }
        self.rebuild();
    }

    fn collapse_all(&mut self) {
        if self.filter.is_some() {
            self.closed.extend(self.rows.iter().map(|r| r.path));
        } else {
            self.expanded.clear();
        }
        self.rebuild();
    }

    /// Jumps to file `k` (wrapping) of finding `f`: its layer, aggregated, every change
    /// shown, no filter, its directories open, the cursor on it.
    pub fn jump(&mut self, f: usize, k: usize) {
        let targets = self.image.targets(f);
        let Some(t) = targets.get(k % targets.len().max(1)).copied() else {
            self.message = Some("this finding names no file".to_string());
            return;
        };
        let k = k % targets.len();
        self.filter = None;
        self.closed.clear();
        self.mask = Change::ALL;
        if self.view != View::Aggregated {
            self.view = View::Aggregated;
            self.tree.sort(self.image, self.sort, false);
        }
        self.select_layer(t.layer);
        let mut a = self.image.parent(t.path);
        while a != ROOT {
            self.expanded.insert(a);
            a = self.image.parent(a);
        }
        self.rebuild();
        self.jumped = Some((f, k));
        self.focus = Pane::Tree;
        if self.select_path(t.path) {
            self.message = Some(format!(
                "file {} of {} (n/N: next/previous)",
                k + 1,
                targets.len()
            ));
        } else {
            self.message = Some(format!(
                "{} is not in the tree as of L{}",
                self.image.path(t.path),
                self.layer()
            ));
        }
        self.offset[Pane::Tree as usize] =
            self.cursor[Pane::Tree as usize].saturating_sub(self.height[Pane::Tree as usize] / 3);
    }

    fn next_target(&mut self, step: isize) {
        let Some((f, k)) = self.jumped else {
            self.message = Some("no finding jumped to: Enter on one in the findings".into());
            return;
        };
        let n = self.image.targets(f).len().max(1) as isize;
        let k = ((k as isize + step) % n + n) % n;
        self.jump(f, k as usize);
    }

    fn start_filter(&mut self) {
        self.focus = Pane::Tree;
        let text = self.filter.take().map(|f| f.text).unwrap_or_default();
        self.set_filter(text, true);
    }

    fn filter_key(&mut self, k: KeyEvent) {
        let Some(f) = self.filter.as_mut() else {
            return;
        };
        match k.code {
            KeyCode::Esc => {
                self.filter = None;
                self.closed.clear();
                self.rebuild();
            }
            KeyCode::Enter => {
                f.editing = false;
                if f.text.is_empty() {
                    self.filter = None;
                    self.rebuild();
                }
            }
            KeyCode::Backspace => {
                let mut text = std::mem::take(&mut f.text);
                text.pop();
                self.set_filter(text, true);
            }
            KeyCode::Up | KeyCode::Down => {
                f.editing = false;
                self.key(k);
                if let Some(f) = self.filter.as_mut() {
                    f.editing = true;
                }
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                let mut text = std::mem::take(&mut f.text);
                text.push(c);
                self.set_filter(text, true);
            }
            _ => {}
        }
        self.scroll();
    }

    /// Filters the tree by `text`: a glob when it has `*`, `?`, `[` or `{`, else a
    /// substring (case-insensitive unless it has a capital letter).
    pub fn set_filter(&mut self, text: String, editing: bool) {
        let n = self.image.len();
        let mut shown = vec![false; n];
        let mut matched = 0;
        let mut error = None;
        if !text.is_empty() {
            match matcher(&text) {
                Ok(m) => {
                    for (id, s) in shown.iter_mut().enumerate().skip(1) {
                        let id = id as PathId;
                        let hit = match &m {
                            Matcher::Substring { text, fold: true } => {
                                self.image.path_lowercase(id).contains(text.as_str())
                            }
                            Matcher::Substring { text, .. } => {
                                self.image.path(id).contains(text.as_str())
                            }
                            Matcher::Glob(g) => g.is_match(self.image.path(id)),
                        };
                        if hit {
                            *s = true;
                            matched += 1;
                        }
                    }
                    for id in (1..n).rev() {
                        if shown[id] {
                            let p = self.image.parent(id as PathId) as usize;
                            if let Some(s) = shown.get_mut(p) {
                                *s = true;
                            }
                        }
                    }
                }
                Err(e) => error = Some(e.to_string()),
            }
        } else {
            shown.iter_mut().for_each(|s| *s = true);
        }
        if error.is_some() {
            // Keep the rows of the last valid text while the glob is being typed.
            if let Some(old) = self.filter.as_ref() {
                shown.clone_from(&old.shown);
                matched = old.matched;
            } else {
                shown.iter_mut().for_each(|s| *s = true);
            }
        }
        self.closed.clear();
        self.filter = Some(Filter {
            text,
            editing,
            matched,
            error,
            shown,
        });
        self.rebuild();
        self.cursor[Pane::Tree as usize] = self
            .rows
            .iter()
            .position(|r| self.filter_hit(r.path))
            .unwrap_or(0);
    }

    /// True when the filter itself (not a match below) matches `path`.
    fn filter_hit(&self, path: PathId) -> bool {
        match &self.filter {
            Some(f) => {
                f.shown.get(path as usize) == Some(&true)
                    && !self
                        .tree
                        .children(path)
                        .iter()
                        .any(|c| f.shown.get(*c as usize) == Some(&true))
            }
            None => false,
        }
    }

    /// Rebuilds the visible rows and keeps the cursor on the same path when it is still
    /// shown.
    pub fn rebuild(&mut self) {
        let keep = self.selected();
        let mask = self.effective_mask();
        self.rows.clear();
        let mut stack: Vec<(PathId, usize, u16)> = vec![(ROOT, 0, 0)];
        while let Some(top) = stack.last_mut() {
            let kids = self.tree.children(top.0);
            let Some(&c) = kids.get(top.1) else {
                stack.pop();
                continue;
            };
            top.1 += 1;
            let depth = top.2;
            if self.tree.changes_below(c) & mask == 0 {
                continue;
            }
            if let Some(f) = &self.filter
                && f.shown.get(c as usize) != Some(&true)
            {
                continue;
            }
            self.rows.push(Row { path: c, depth });
            if self.tree.kind(c) == NodeKind::Dir && self.tree.has_children(c) && self.is_open(c) {
                stack.push((c, 0, depth.saturating_add(1)));
            }
        }
        let t = Pane::Tree as usize;
        match keep.and_then(|p| self.rows.iter().position(|r| r.path == p)) {
            Some(i) => self.cursor[t] = i,
            None => self.cursor[t] = self.cursor[t].min(self.rows.len().saturating_sub(1)),
        }
    }

    /// Keeps every pane's cursor within its visible rows.
    pub fn scroll(&mut self) {
        for pane in Pane::ORDER {
            let i = pane as usize;
            let h = self.height[i].max(1);
            let n = self.len(pane);
            self.cursor[i] = self.cursor[i].min(n.saturating_sub(1));
            if self.cursor[i] < self.offset[i] {
                self.offset[i] = self.cursor[i];
            } else if self.cursor[i] >= self.offset[i] + h {
                self.offset[i] = self.cursor[i] + 1 - h;
            }
            self.offset[i] = self.offset[i].min(n.saturating_sub(h));
        }
    }
}

/// A filter that reads as a glob but is not one; shown as the filter's error.
#[derive(Debug, thiserror::Error)]
#[error("not a glob: {0}")]
struct NotAGlob(globset::ErrorKind);

fn matcher(text: &str) -> Result<Matcher, NotAGlob> {
    if text.contains(['*', '?', '[', '{']) {
        // Unanchored at the start, so `*.py` and `app/*.py` match at any depth.
        let pattern = if text.starts_with('/') || text.starts_with('*') {
            text.to_string()
        } else {
            format!("*{text}")
        };
        let glob = globset::GlobBuilder::new(&pattern)
            .literal_separator(false)
            .build()
            .map_err(|e| NotAGlob(e.kind().clone()))?;
        let mut set = globset::GlobSetBuilder::new();
        set.add(glob);
        set.build()
            .map(Matcher::Glob)
            .map_err(|e| NotAGlob(e.kind().clone()))
    } else {
        let fold = !text.chars().any(char::is_uppercase);
        Ok(Matcher::Substring {
            text: if fold {
                text.to_ascii_lowercase()
            } else {
                text.to_string()
            },
            fold,
        })
    }
}
