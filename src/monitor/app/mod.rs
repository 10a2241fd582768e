//! UI state only: focus, selection, filter, overlays, freeze. Every change goes through
//! `update(&mut App, Action, &LiveView) -> Vec<EngineCommand>` (or `type_text` in text
//! fields), which is pure: no terminal, no clock, no I/O.

mod action;
mod feed;
mod filter;
mod form;
mod keymap;

use std::path::PathBuf;
use std::sync::Arc;

pub use action::Action;
pub use feed::{FeedRow, FoldKey, Sort, SortKey, total_bytes, votes};
pub use filter::Filter;
pub use form::{FIELDS as FORM_FIELDS, ThreatForm};
pub use keymap::{Code, Key, KeyMap};

use crate::engine::AnomalyEvent;
use crate::engine::runner::{EngineCommand, LiveView};
use crate::flows::source::replay::ReplayCommand;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Traffic,
    Clusters,
    Anomalies,
    Forecast,
    Projection,
    Quality,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Traffic,
        Pane::Clusters,
        Pane::Anomalies,
        Pane::Forecast,
        Pane::Projection,
        Pane::Quality,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Traffic => "Traffic",
            Pane::Clusters => "Clusters",
            Pane::Anomalies => "Anomalies",
            Pane::Forecast => "Forecast",
            Pane::Projection => "Projection",
            Pane::Quality => "Model quality",
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// Which series the forecast pane shows.
pub use crate::engine::SeriesKind;

#[derive(Debug, Clone)]
pub enum Overlay {
    /// The key list, scrolled by this many lines (small terminals cannot show it whole).
    Help {
        scroll: usize,
    },
    /// Typing a filter: the text and the parse error so far.
    Filter {
        text: String,
        error: Option<filter::FilterError>,
    },
    Detail {
        event: Arc<AnomalyEvent>,
        scroll: usize,
    },
    Threat(Box<ThreatForm>),
}

#[derive(Debug, Clone)]
pub struct App {
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    /// The view shown while frozen.
    pub frozen: Option<Arc<LiveView>>,
    /// The selected feed row by its line number; `None` follows the newest.
    pub selected: Option<u64>,
    /// First detector row shown in Model quality (small terminals cut the table).
    pub quality_scroll: usize,
    pub cluster_row: usize,
    pub series: SeriesKind,
    /// The Forecast pane's second tab: hour-of-day / weekday activity and correlations.
    pub profile_tab: bool,
    /// The Model-quality pane's second tab: the supervised classifier.
    pub classifier_tab: bool,
    pub filter: Option<Filter>,
    pub sort: Sort,
    /// Repeats of one pattern fold into one row (`z` turns it off).
    pub fold: bool,
    /// Folds opened with Enter; Esc closes them all.
    pub expanded: std::collections::HashSet<FoldKey>,
    pub quit: bool,
    /// Rows a page moves (set from the feed's height by the renderer's caller).
    pub page: usize,
    pub model_file: PathBuf,
    pub export_dir: PathBuf,
    /// Unix seconds, set by the caller before `update` (names export files).
    pub now: f64,
    next_request: u64,
}

impl App {
    pub fn new(model_file: PathBuf, export_dir: PathBuf) -> App {
        App {
            focus: Pane::Anomalies,
            overlay: None,
            frozen: None,
            selected: None,
            quality_scroll: 0,
            cluster_row: 0,
            series: SeriesKind::Flows,
            profile_tab: false,
            classifier_tab: false,
            filter: None,
            sort: Sort::default(),
            fold: true,
            expanded: Default::default(),
            quit: false,
            page: 10,
            model_file,
            export_dir,
            now: 0.0,
            next_request: 1,
        }
    }

    /// The view to draw: the frozen one, or the live one.
    pub fn shown<'a>(&'a self, live: &'a Arc<LiveView>) -> &'a Arc<LiveView> {
        self.frozen.as_ref().unwrap_or(live)
    }

    /// The feed after the filter, newest first.
    pub fn feed<'a>(&self, view: &'a LiveView) -> Vec<&'a Arc<AnomalyEvent>> {
        let names: Vec<&str> = view
            .snapshot
            .detectors
            .iter()
            .map(|d| d.kind.name())
            .collect();
        view.snapshot
            .feed
            .iter()
            .filter(|e| self.filter.as_ref().is_none_or(|f| f.matches(e, &names)))
            .collect()
    }

    /// The feed's rows as shown: filtered, folded, sorted, opened folds followed by their
    /// members.
    pub fn feed_rows<'a>(&self, view: &'a LiveView) -> Vec<FeedRow<'a>> {
        feed::rows(&self.feed(view), self.fold, &self.expanded, self.sort)
    }

    /// Index of the selected row in `rows`. A row is known by its newest flow's line; when a
    /// new repeat joins the selected fold, the fold keeps the selection by its older flow.
    pub fn selected_index(&self, rows: &[FeedRow]) -> usize {
        self.selected
            .and_then(|line| {
                rows.iter().position(|r| r.head().line == line).or_else(|| {
                    rows.iter()
                        .position(|r| !r.expanded && r.events.iter().any(|e| e.line == line))
                })
            })
            .unwrap_or(0)
    }

    /// The flow under the selection.
    fn selected_event(&self, view: &LiveView) -> Option<Arc<AnomalyEvent>> {
        let rows = self.feed_rows(view);
        rows.get(self.selected_index(&rows))
            .map(|r| Arc::clone(r.head()))
    }

    /// True while a text field has the keyboard (printable keys are text, not actions).
    pub fn typing(&self) -> bool {
        matches!(
            self.overlay,
            Some(Overlay::Filter { .. } | Overlay::Threat(_))
        )
    }

    fn move_selection(&mut self, view: &LiveView, delta: isize) {
        let rows = self.feed_rows(view);
        if rows.is_empty() {
            self.selected = None;
            return;
        }
        let i = self.selected_index(&rows) as isize + delta;
        let i = i.clamp(0, rows.len() as isize - 1) as usize;
        self.selected = if i == 0 {
            None
        } else {
            Some(rows[i].head().line)
        };
    }

    /// Enter on the feed: a closed fold opens, anything else shows its flow.
    fn open_feed_row(&mut self, view: &LiveView) {
        let rows = self.feed_rows(view);
        let Some(row) = rows.get(self.selected_index(&rows)) else {
            return;
        };
        if row.repeats() > 1
            && !row.expanded
            && let Some(key) = FoldKey::of(row.head())
        {
            self.expanded.insert(key);
            return;
        }
        self.overlay = Some(Overlay::Detail {
            event: Arc::clone(row.head()),
            scroll: 0,
        });
    }

    /// Esc on the feed closes every opened fold; a selected member goes back to its fold.
    fn close_folds(&mut self, view: &LiveView) {
        if self.expanded.is_empty() {
            return;
        }
        let selected = self.selected_event(view);
        self.expanded.clear();
        if let Some(e) = selected
            && let Some(key) = FoldKey::of(&e)
        {
            let rows = self.feed_rows(view);
            self.selected = rows
                .iter()
                .position(|r| FoldKey::of(r.head()).as_ref() == Some(&key))
                .and_then(|i| (i > 0).then(|| rows[i].head().line));
        }
    }
}

/// Applies one action; returns what the engine must do.
pub fn update(app: &mut App, action: Action, live: &Arc<LiveView>) -> Vec<EngineCommand> {
    let view = app.shown(live).clone();
    let mut out = Vec::new();
    match (&mut app.overlay, action) {
        (_, Action::Quit) => app.quit = true,
        (Some(_), Action::Close) => app.overlay = None,
        (None, Action::Close) => app.close_folds(&view),
        (Some(Overlay::Help { .. }), Action::Help) => app.overlay = None,
        (Some(Overlay::Help { scroll }), Action::Down) => *scroll = scroll.saturating_add(1),
        (Some(Overlay::Help { scroll }), Action::Up) => *scroll = scroll.saturating_sub(1),
        (Some(Overlay::Help { scroll }), Action::PageDown) => {
            *scroll = scroll.saturating_add(app.page);
        }
        (Some(Overlay::Help { scroll }), Action::PageUp) => {
            *scroll = scroll.saturating_sub(app.page);
        }
        (Some(Overlay::Detail { scroll, .. }), Action::Down) => *scroll = scroll.saturating_add(1),
        (Some(Overlay::Detail { scroll, .. }), Action::Up) => *scroll = scroll.saturating_sub(1),
        (Some(Overlay::Detail { scroll, .. }), Action::PageDown) => {
            *scroll = scroll.saturating_add(app.page);
        }
        (Some(Overlay::Detail { scroll, .. }), Action::PageUp) => {
            *scroll = scroll.saturating_sub(app.page);
        }
        (Some(Overlay::Filter { text, error }), Action::DrillDown) => match Filter::parse(text) {
            Ok(f) => {
                app.filter = f;
                app.selected = None;
                app.overlay = None;
            }
            Err(e) => *error = Some(e),
        },
        (Some(Overlay::Threat(form)), Action::Down | Action::FocusNext) => form.next(),
        (Some(Overlay::Threat(form)), Action::Up | Action::FocusPrev) => form.prev(),
        (Some(Overlay::Threat(form)), Action::DrillDown) => match form.query() {
            Ok(query) => {
                let id = app.next_request;
                app.next_request += 1;
                form.request = Some(id);
                form.error = None;
                form.event = None;
                out.push(EngineCommand::Threat { id, query });
            }
            Err(e) => form.error = Some(e),
        },
        // Other keys do nothing while an overlay is open, except the engine-wide ones.
        (Some(_), a) if !global(a) => {}
        (_, a) => out.extend(act(app, a, &view)),
    }
    out
}

/// Actions that work whatever is on screen.
fn global(a: Action) -> bool {
    matches!(
        a,
        Action::Freeze
            | Action::Pause
            | Action::Faster
            | Action::Slower
            | Action::Step
            | Action::Retrain
            | Action::CancelRetrain
    )
}

fn act(app: &mut App, a: Action, view: &Arc<LiveView>) -> Vec<EngineCommand> {
    let mut out = Vec::new();
    match a {
        Action::Help => app.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            let step = match a {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -(app.page as isize),
                _ => app.page as isize,
            };
            match app.focus {
                Pane::Clusters => {
                    let n = view.snapshot.clusters.len();
                    app.cluster_row = (app.cluster_row as isize + step)
                        .clamp(0, n.saturating_sub(1) as isize)
                        as usize;
                }
                Pane::Quality => {
                    let n = view.snapshot.detectors.len();
                    app.quality_scroll = (app.quality_scroll as isize + step)
                        .clamp(0, n.saturating_sub(1) as isize)
                        as usize;
                }
                Pane::Anomalies => app.move_selection(view, step),
                // Panes without rows keep the focus where the operator put it.
                Pane::Traffic | Pane::Forecast | Pane::Projection => {}
            }
        }
        Action::Top => app.selected = None,
        Action::SwitchTab if app.focus == Pane::Quality => {
            app.classifier_tab = !app.classifier_tab;
        }
        Action::SwitchTab => {
            app.profile_tab = !app.profile_tab;
            app.focus = Pane::Forecast;
        }
        Action::Left | Action::Right => {
            let n = SeriesKind::ALL.len();
            let i = SeriesKind::ALL
                .iter()
                .position(|s| *s == app.series)
                .unwrap_or(0);
            let i = if a == Action::Right {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            app.series = SeriesKind::ALL[i];
        }
        Action::FocusNext | Action::FocusPrev => {
            let n = Pane::ALL.len();
            let i = app.focus.index();
            let i = if a == Action::FocusNext {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            app.focus = Pane::ALL[i];
        }
        Action::Focus1 => app.focus = Pane::Traffic,
        Action::Focus2 => app.focus = Pane::Clusters,
        Action::Focus3 => app.focus = Pane::Anomalies,
        Action::Focus4 => app.focus = Pane::Forecast,
        Action::Focus5 => app.focus = Pane::Projection,
        Action::Focus6 => app.focus = Pane::Quality,
        Action::DrillDown => match app.focus {
            Pane::Clusters => {
                if let Some(c) = view.snapshot.clusters.get(app.cluster_row) {
                    app.filter = Filter::parse(&format!("cluster:{}", c.cluster))
                        .ok()
                        .flatten();
                    app.selected = None;
                    app.focus = Pane::Anomalies;
                }
            }
            _ => app.open_feed_row(view),
        },
        Action::SortNext | Action::SortPrev => {
            app.sort = app.sort.step(a == Action::SortNext);
            app.selected = None;
        }
        Action::SortReverse => {
            app.sort.reversed = !app.sort.reversed;
            app.selected = None;
        }
        Action::Fold => {
            app.fold = !app.fold;
            app.expanded.clear();
            app.selected = None;
        }
        Action::Filter => {
            app.overlay = Some(Overlay::Filter {
                text: app
                    .filter
                    .as_ref()
                    .map(|f| f.text.clone())
                    .unwrap_or_default(),
                error: None,
            });
        }
        Action::Freeze => {
            app.frozen = match app.frozen {
                Some(_) => None,
                None => Some(Arc::clone(view)),
            }
        }
        Action::Pause => out.push(EngineCommand::Replay(ReplayCommand::TogglePause)),
        Action::Faster => out.push(EngineCommand::Replay(ReplayCommand::Faster)),
        Action::Slower => out.push(EngineCommand::Replay(ReplayCommand::Slower)),
        Action::Step => out.push(EngineCommand::Replay(ReplayCommand::Step)),
        Action::Retrain => out.push(EngineCommand::Retrain),
        Action::CancelRetrain => out.push(EngineCommand::CancelRetrain),
        Action::Threat => {
            let selected = app.selected_event(view);
            app.overlay = Some(Overlay::Threat(Box::new(ThreatForm::from_event(
                selected.as_ref(),
            ))));
        }
        Action::Export => {
            // Every flow of the rows as shown, in their order: a fold exports all its repeats.
            let mut events: Vec<Arc<AnomalyEvent>> = Vec::new();
            for r in app.feed_rows(view).iter().filter(|r| !r.member) {
                events.extend(r.events.iter().map(|e| Arc::clone(e)));
            }
            let stamp = chrono::DateTime::from_timestamp(app.now as i64, 0)
                .map_or_else(|| "now".into(), |t| t.format("%Y%m%d-%H%M%S").to_string());
            let stem = app.export_dir.join(format!("flowtop-anomalies-{stamp}"));
            out.push(EngineCommand::Export { stem, events });
        }
        Action::Save => out.push(EngineCommand::Save(app.model_file.clone())),
        Action::Load => out.push(EngineCommand::Load(app.model_file.clone())),
        Action::Quit | Action::Close => {}
    }
    out
}

/// Text typed into the open filter or form field. Returns true when it was consumed.
pub fn type_text(app: &mut App, key: &Key) -> bool {
    let Some(overlay) = &mut app.overlay else {
        return false;
    };
    // Ctrl-U clears the prompt, as in a shell.
    if key.ctrl
        && key.code == Code::Char('u')
        && let Overlay::Filter { text, error } = overlay
    {
        text.clear();
        *error = None;
        return true;
    }
    if key.ctrl || key.alt {
        return false;
    }
    match (overlay, key.code) {
        (Overlay::Filter { text, error }, Code::Char(c)) => {
            text.push(c);
            *error = Filter::parse(text).err();
        }
        (Overlay::Filter { text, error }, Code::Backspace) => {
            text.pop();
            *error = Filter::parse(text).err();
        }
        (Overlay::Threat(form), Code::Char(c)) => form.type_char(c),
        (Overlay::Threat(form), Code::Backspace) => form.backspace(),
        _ => return false,
    }
    true
}

/// Keys in text fields: Enter, Esc, Tab and arrows keep their meaning, everything printable
/// is text.
pub fn action_for(app: &App, keys: &KeyMap, key: &Key) -> Option<Action> {
    if app.typing() {
        return match key.code {
            Code::Enter => Some(Action::DrillDown),
            Code::Esc => Some(Action::Close),
            Code::Tab | Code::Down => Some(Action::FocusNext),
            Code::BackTab | Code::Up => Some(Action::FocusPrev),
            Code::Char('c') if key.ctrl => Some(Action::Quit),
            _ => None,
        };
    }
    keys.action(key)
}

#[cfg(test)]
mod tests;
