//! The full-screen monitor's loop. Ingest and the engine run on their own threads (see
//! `engine::runner`); this thread only waits for keys with a timeout, takes the newest
//! published view, and redraws when something changed, at most ~15 times a second. Idle
//! means no drawing and no output.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};
use ratatui::layout::Rect;

use crate::app::{self, Action, App, Key, KeyMap};
use crate::engine::EngineConfig;
use crate::engine::runner::{self, EngineHandle, LiveView};
use crate::ingest::live::IngestConfig;
use crate::model::{ModelSet, now_s};
use crate::theme::Theme;
use crate::ui::{self, ViewCtx};

const FRAME: Duration = Duration::from_millis(66);
const IDLE_POLL: Duration = Duration::from_millis(250);

pub struct TuiOptions {
    pub ingest: IngestConfig,
    pub engine: EngineConfig,
    pub model: Option<ModelSet>,
    pub theme: Theme,
    pub keys: KeyMap,
    pub ascii: bool,
    pub mouse: bool,
    pub model_file: PathBuf,
    pub export_dir: PathBuf,
    /// Shown after a panic.
    pub log: Option<String>,
}

/// Runs until the operator quits. Everything that can fail on bad input has been checked by
/// the caller before this enters raw mode.
pub fn run(o: TuiOptions) -> std::io::Result<()> {
    let mut engine = runner::start(o.ingest, o.engine, o.model);
    let (mut term, guard) = crate::term::enter(o.mouse, o.log)?;
    let mut app = App::new(o.model_file, o.export_dir);
    let mut live: Arc<LiveView> = engine.view.borrow_and_update().clone();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut age_second = 0u64;
    let result = loop {
        // The model's age in the status bar moves with the clock, even with no new flows:
        // one redraw a second while a model is shown (ratatui sends only the changed cells).
        let second = now_s() as u64;
        if second != age_second && live.snapshot.trained_at.is_some() {
            age_second = second;
            dirty = true;
        }
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let now = now_s();
            let shown = app.shown(&live).clone();
            let ctx = ViewCtx {
                app: &app,
                view: &shown,
                live: &live,
                theme: &o.theme,
                keys: &o.keys,
                ascii: o.ascii,
                now,
            };
            if let Err(e) = term.draw(|f| ui::render(f, &ctx)) {
                break Err(e);
            }
            dirty = false;
            last_draw = Some(Instant::now());
        }
        let timeout = match (dirty, last_draw) {
            (true, Some(t)) => FRAME.saturating_sub(t.elapsed()),
            _ => IDLE_POLL,
        };
        match event::poll(timeout) {
            Ok(true) => match event::read() {
                Ok(ev) => {
                    let size = term.size().map(|s| Rect::new(0, 0, s.width, s.height));
                    dirty |= handle(&mut app, &o.keys, &engine, &live, ev, size.ok());
                }
                Err(e) => break Err(e),
            },
            Ok(false) => {}
            Err(e) => break Err(e),
        }
        // A worker that panicked (or an engine that ended) ends the monitor with its message:
        // running on would show a frozen screen that no key can leave.
        if let Some(msg) = crate::report::panic_seen() {
            break Err(std::io::Error::other(format!(
                "a worker thread failed: {msg}"
            )));
        }
        match engine.view.has_changed() {
            Ok(true) => {
                live = engine.view.borrow_and_update().clone();
                dirty = true;
            }
            Ok(false) => {}
            Err(_) => break Err(std::io::Error::other("the engine stopped unexpectedly")),
        }
        if app.quit {
            break Ok(());
        }
    };
    engine.shutdown();
    drop(term);
    drop(guard);
    result
}

/// One terminal event; returns whether the screen must be redrawn.
fn handle(
    app: &mut App,
    keys: &KeyMap,
    engine: &EngineHandle,
    live: &Arc<LiveView>,
    ev: Event,
    area: Option<Rect>,
) -> bool {
    if let Some(a) = area {
        app.page = ui::feed_rows(a, app.focus);
    }
    let action = match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            let Some(key) = Key::from_event(&k) else {
                return false;
            };
            match app::action_for(app, keys, &key) {
                Some(a) => a,
                None => return app::type_text(app, &key),
            }
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Action::Down,
            MouseEventKind::ScrollUp => Action::Up,
            MouseEventKind::Down(MouseButton::Left) => {
                let Some(p) = area.and_then(|a| ui::pane_at(a, app.focus, m.column, m.row)) else {
                    return false;
                };
                app.focus = p;
                return true;
            }
            _ => return false,
        },
        Event::Resize(..) => return true,
        _ => return false,
    };
    app.now = now_s();
    for cmd in app::update(app, action, live) {
        engine.send(cmd);
    }
    true
}
