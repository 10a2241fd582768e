//! The full-screen monitor's loop. Ingest and the engine run on their own threads (see
//! `engine::runner`), terminal input on one more; this thread blocks on one channel of
//! `MonitorEvent`s (keys, mouse, resizes and the engine's views) and redraws when something
//! changed, at most ~15 times a second. Idle means no drawing and no output.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};
use ratatui::layout::Rect;

use crate::engine::EngineConfig;
use crate::engine::runner::{self, EngineHandle, LiveView};
use crate::flows::ingest::live::IngestConfig;
use crate::learn::model::{ModelSet, now_s};
use crate::monitor::app::{self, Action, App, Key, KeyMap};
use crate::monitor::theme::Theme;
use crate::monitor::ui::{self, ViewCtx};

const FRAME: Duration = Duration::from_millis(66);
/// Longest wait with nothing to do: a panic on another thread is noticed within it.
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// How often the input thread looks up from the terminal to see whether it should stop.
const INPUT_POLL: Duration = Duration::from_millis(100);

/// What the monitor's loop waits for.
enum MonitorEvent {
    Input(Event),
    InputFailed(std::io::Error),
    View(Arc<LiveView>),
    /// The engine thread ended (it only does so when told to, or on a panic).
    EngineEnded,
}

/// Hands the engine's views to the loop; says so when the engine thread drops it.
struct Views(Sender<MonitorEvent>);

impl Views {
    fn publish(&self, view: Arc<LiveView>) {
        let _ = self.0.send(MonitorEvent::View(view));
    }
}

impl Drop for Views {
    fn drop(&mut self) {
        let _ = self.0.send(MonitorEvent::EngineEnded);
    }
}

/// Reads the terminal's events on its own thread (crossterm's read blocks) into the loop's
/// channel; stops within `INPUT_POLL` of being dropped.
struct InputThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl InputThread {
    fn start(tx: Sender<MonitorEvent>) -> InputThread {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("flowtop-input".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    let ev = match event::poll(INPUT_POLL) {
                        Ok(false) => continue,
                        Ok(true) => event::read(),
                        Err(e) => Err(e),
                    };
                    let sent = match ev {
                        Ok(ev) => tx.send(MonitorEvent::Input(ev)),
                        Err(e) => {
                            let _ = tx.send(MonitorEvent::InputFailed(e));
                            return;
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            })
            .ok();
        InputThread { stop, thread }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

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
    let (tx, events) = channel();
    let mut live: Arc<LiveView> = Arc::new(runner::first_view(&o.ingest));
    let views = Views(tx.clone());
    let mut engine = runner::start(o.ingest, o.engine, o.model, move |v| views.publish(v));
    let (mut term, guard) = crate::monitor::term::enter(o.mouse, o.log)?;
    let input = InputThread::start(tx);
    let mut app = App::new(o.model_file, o.export_dir);
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
            _ => IDLE_WAIT,
        };
        match events.recv_timeout(timeout) {
            Ok(MonitorEvent::Input(ev)) => {
                let size = term.size().map(|s| Rect::new(0, 0, s.width, s.height));
                dirty |= handle(&mut app, &o.keys, &engine, &live, ev, size.ok());
            }
            Ok(MonitorEvent::View(v)) => {
                live = v;
                dirty = true;
            }
            Ok(MonitorEvent::InputFailed(e)) => break Err(e),
            Ok(MonitorEvent::EngineEnded) | Err(RecvTimeoutError::Disconnected) => {
                if crate::panic::panic_seen().is_none() {
                    break Err(std::io::Error::other("the engine stopped unexpectedly"));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        // A worker that panicked (or an engine that ended) ends the monitor with its message:
        // running on would show a frozen screen that no key can leave.
        if let Some(msg) = crate::panic::panic_seen() {
            break Err(std::io::Error::other(format!(
                "a worker thread failed: {msg}"
            )));
        }
        if app.quit {
            break Ok(());
        }
    };
    drop(input);
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
                match area.and_then(|a| ui::pane_at(a, app.focus, m.column, m.row)) {
                    Some(p) => Action::focus(p),
                    None => return false,
                }
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
