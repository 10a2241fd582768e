//! The live engine thread: owns the `Engine` and blocks on one channel of `EngineEvent`s
//! (flows from the ingest thread, commands from the UI, wake-ups from the refit and the
//! forecaster), and publishes an `Arc<LiveView>` at most ~15 times a second, and only when
//! something changed. Nothing here touches the terminal.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::forecaster::Forecaster;
pub use super::view::{LiveView, Message};
use super::{AnomalyEvent, Engine, EngineConfig, MIN_FORECAST_BUCKETS, ModelState, Snapshot};
use crate::flows::ingest::Rejected;
use crate::flows::ingest::live::{IngestConfig, IngestControl, IngestEvent, spawn_into};
use crate::flows::source::replay::ReplayCommand;
use crate::learn::model::{ModelSet, SchemaFingerprint};
use crate::learn::threat::ThreatQuery;

/// What the UI asks of the engine.
#[derive(Debug, Clone)]
pub enum EngineCommand {
    Retrain,
    CancelRetrain,
    Replay(ReplayCommand),
    Threat {
        id: u64,
        query: ThreatQuery,
    },
    /// Writes the given feed rows to `<stem>.csv` and `<stem>.jsonl`.
    Export {
        stem: PathBuf,
        events: Vec<Arc<AnomalyEvent>>,
    },
    Save(PathBuf),
    Load(PathBuf),
}

/// What the engine thread waits for: everything arrives on this one channel.
pub enum EngineEvent {
    Ingest(IngestEvent),
    Command(EngineCommand),
    /// A background refit or forecast has a result to pick up.
    Wake,
    Stop,
}

impl From<IngestEvent> for EngineEvent {
    fn from(ev: IngestEvent) -> Self {
        EngineEvent::Ingest(ev)
    }
}

pub struct EngineHandle {
    events: SyncSender<EngineEvent>,
    thread: Option<JoinHandle<()>>,
}

impl EngineHandle {
    pub fn send(&self, cmd: EngineCommand) {
        let _ = self.events.send(EngineEvent::Command(cmd));
    }

    pub fn shutdown(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = self.events.send(EngineEvent::Stop);
            let _ = t.join();
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The view before anything is known about the input.
pub fn first_view(ingest: &IngestConfig) -> LiveView {
    let replay = matches!(ingest.mode, crate::flows::ingest::live::IngestMode::Replay);
    LiveView::new(ingest.input.display_name(), replay)
}

/// Starts ingest and the engine thread; every new view goes to `publish`. `model` is a model
/// set loaded before start-up; it is checked against the detected schema.
pub fn start(
    ingest: IngestConfig,
    cfg: EngineConfig,
    model: Option<ModelSet>,
    publish: impl Fn(Arc<LiveView>) + Send + 'static,
) -> EngineHandle {
    let view = first_view(&ingest);
    // Batches (and commands) waiting for the engine before the ingest thread waits.
    let (tx, rx) = sync_channel(ingest.channel_capacity.max(1));
    let to_self = tx.clone();
    let thread = std::thread::Builder::new()
        .name("flowtop-engine".into())
        .spawn(move || {
            let waker = to_self.clone();
            // A wake-up never waits: with the channel full the loop is awake anyway.
            let wake: super::Wake = Arc::new(move || {
                let _ = waker.try_send(EngineEvent::Wake);
            });
            let mut r = Runner {
                cfg,
                model,
                engine: None,
                view,
                publish: Box::new(publish),
                ingest: spawn_into(ingest, to_self),
                dirty: true,
                published: Instant::now(),
                rate: VecDeque::new(),
                seq: 0,
                forecaster: Forecaster::start(MIN_FORECAST_BUCKETS, wake.clone()),
                wake,
                forecast_key: None,
                forecast_asked: Instant::now(),
                volume_checked: [f64::NEG_INFINITY; 6],
                alerts: None,
            };
            r.open_alerts();
            r.run(&rx);
            // The ingest thread may be waiting on the full channel: closing it lets it go.
            drop(rx);
            r.ingest.stop();
        })
        .ok();
    EngineHandle { events: tx, thread }
}

const FRAME: Duration = Duration::from_millis(66);
const IDLE_TICK: Duration = Duration::from_millis(250);

struct Runner {
    cfg: EngineConfig,
    model: Option<ModelSet>,
    engine: Option<Engine>,
    view: LiveView,
    publish: Box<dyn Fn(Arc<LiveView>) + Send>,
    ingest: IngestControl,
    dirty: bool,
    published: Instant,
    /// (when, flows so far) over the last two seconds, for flows/s.
    rate: VecDeque<(Instant, u64)>,
    seq: u64,
    forecaster: Forecaster,
    wake: super::Wake,
    /// (buckets, last bucket start, bucket width) of the last forecast request.
    forecast_key: Option<(usize, f64, f64)>,
    forecast_asked: Instant,
    /// Start of the last bucket compared with its forecast, per series (`SeriesKind::ALL`).
    volume_checked: [f64; 6],
    alerts: Option<super::alerts::AlertOutputs>,
}

impl Runner {
    fn run(&mut self, events: &Receiver<EngineEvent>) {
        loop {
            // Due to publish: wait out the frame; idle: wake a few times a second for the
            // flow rate and the live clock.
            let wait = if self.dirty {
                FRAME.saturating_sub(self.published.elapsed())
            } else {
                IDLE_TICK
            };
            match events.recv_timeout(wait) {
                Ok(EngineEvent::Ingest(ev)) => self.event(ev),
                Ok(EngineEvent::Command(cmd)) => self.command(cmd),
                Ok(EngineEvent::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(EngineEvent::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            }
            self.tick();
        }
    }

    fn event(&mut self, ev: IngestEvent) {
        self.dirty = true;
        match ev {
            IngestEvent::Detected(schema) => {
                self.view.format = Some(schema.format.name().to_string());
                let mut engine = Engine::new((*schema).clone(), self.cfg.clone());
                engine.on_refit_done(self.wake.clone());
                if let Some(m) = self.model.take() {
                    let expected = SchemaFingerprint::of(&schema);
                    match crate::learn::model::check_schema(&m, &expected, "the loaded model") {
                        Ok(()) => engine.replace_model(m),
                        Err(e) => self.say(e.to_string(), true),
                    }
                }
                self.engine = Some(engine);
            }
            IngestEvent::Flows {
                records,
                rejects,
                stats,
            } => {
                self.note_rejects(&rejects);
                self.view.ingest = Some(stats);
                if let Some(e) = &mut self.engine {
                    e.ingest(records);
                }
                self.deliver_alerts();
            }
            IngestEvent::Notice(text) => self.say(text, false),
            IngestEvent::Status(stats) => self.view.ingest = Some(stats),
            IngestEvent::Finished(stats) => {
                self.view.ingest = Some(stats);
                self.view.finished = true;
                if let Some(e) = self.engine.as_mut() {
                    e.end_of_input();
                }
            }
            IngestEvent::Failed(e) => {
                self.view.failed = Some(e.clone());
                self.say(e, true);
            }
        }
    }

    fn note_rejects(&mut self, rejects: &[Rejected]) {
        for r in rejects {
            self.view.rejects.push(r.to_string());
        }
        let n = self.view.rejects.len();
        if n > 5 {
            self.view.rejects.drain(..n - 5);
        }
    }

    fn say(&mut self, text: String, error: bool) {
        self.seq += 1;
        self.view.message = Some(Message {
            seq: self.seq,
            text,
            error,
        });
        self.dirty = true;
    }

    fn command(&mut self, cmd: EngineCommand) {
        self.dirty = true;
        match cmd {
            EngineCommand::Replay(c) => self.ingest.send(c),
            EngineCommand::Retrain => match &mut self.engine {
                Some(e) if e.can_train() => {
                    e.request_retrain();
                    self.say("retraining on the current window".into(), false);
                }
                _ => self.say("nothing to train on yet".into(), true),
            },
            EngineCommand::CancelRetrain => {
                if let Some(e) = &mut self.engine {
                    e.cancel_retrain();
                }
                self.say(
                    "retrain cancelled; the current models keep scoring".into(),
                    false,
                );
            }
            EngineCommand::Threat { id, query } => {
                let (model, bands) = match &self.engine {
                    Some(e) => (e.model().cloned(), *e.bands()),
                    None => (None, self.cfg.bands),
                };
                let r = crate::learn::threat::evaluate(model.as_deref(), &query, &bands)
                    .map_err(|e| e.to_string());
                self.view.threat = Some((id, r));
            }
            EngineCommand::Export { stem, events } => {
                let kinds: Vec<_> = self
                    .view
                    .snapshot
                    .detectors
                    .iter()
                    .map(|d| d.kind)
                    .collect();
                match super::export::export(&events, &kinds, &stem) {
                    Ok((csv, json)) => self.say(
                        format!(
                            "exported {} rows to {} and {}",
                            events.len(),
                            csv.display(),
                            json.display()
                        ),
                        false,
                    ),
                    Err(e) => self.say(format!("export failed: {e}"), true),
                }
            }
            EngineCommand::Save(path) => {
                let r = match self.engine.as_ref().and_then(|e| e.model()) {
                    None => Err("no model to save yet".to_string()),
                    Some(m) => crate::learn::model::save(m, &path).map_err(|e| e.to_string()),
                };
                match r {
                    Ok(()) => self.say(format!("saved the model set to {}", path.display()), false),
                    Err(e) => self.say(e, true),
                }
            }
            EngineCommand::Load(path) => {
                let Some(e) = &mut self.engine else {
                    return self.say("no flows yet: the format is still unknown".into(), true);
                };
                let expected = SchemaFingerprint::of(e.schema());
                match crate::learn::model::load(&path, Some(&expected)) {
                    Ok(m) => {
                        e.replace_model(m);
                        self.say(
                            format!("loaded the model set from {}", path.display()),
                            false,
                        );
                    }
                    Err(err) => self.say(err.to_string(), true),
                }
            }
        }
    }

    fn tick(&mut self) {
        let now = Instant::now();
        if let Some(e) = self.engine.as_mut() {
            e.advance_clock(now);
        }
        let flows = self.engine.as_ref().map_or(0, |e| e.counters().flows);
        self.rate.push_back((now, flows));
        while self
            .rate
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(2))
        {
            self.rate.pop_front();
        }
        let rate = match (self.rate.front(), self.rate.back()) {
            (Some((t0, f0)), Some((t1, f1))) if t1 > t0 => {
                (f1 - f0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        };
        if (rate - self.view.flows_per_s).abs() > 0.5 {
            self.view.flows_per_s = rate;
            self.dirty = true;
        }
        if let Some(e) = &mut self.engine {
            let before = e.job_running();
            let generation = e.generation();
            e.poll_job();
            if before || e.job_running() {
                // Progress moves without flows arriving.
                self.dirty = true;
            }
            if before && !e.job_running() {
                let text = match (e.generation() != generation, e.model()) {
                    (true, Some(m)) => Some((
                        format!(
                            "retrained in {:.2} s on {} flows (model #{})",
                            m.fit_s,
                            m.trained_rows,
                            e.generation()
                        ),
                        false,
                    )),
                    _ => e
                        .model_error()
                        .map(|err| (format!("retrain failed: {err}"), true)),
                };
                if let Some((text, error)) = text {
                    self.say(text, error);
                }
            }
        }
        self.forecast(now);
        if self.dirty && now.duration_since(self.published) >= FRAME {
            if let Some(e) = &self.engine {
                self.view.snapshot = e.snapshot();
                self.view.model = e.model().cloned();
            }
            (self.publish)(Arc::new(self.view.clone()));
            self.published = now;
            self.dirty = false;
        }
    }
}

impl Runner {
    /// Asks for new forecasts when a bucket has closed (at most once a second) and picks up
    /// finished ones.
    fn forecast(&mut self, now: Instant) {
        if let Some((n, result)) = self.forecaster.take() {
            if let Some(e) = self.engine.as_mut() {
                e.set_forecasts(result.clone());
            }
            self.view.forecasts = Some((n as usize, result));
            self.dirty = true;
        }
        if let Some(seq) = self.forecaster.take_sequence() {
            self.view.sequence = Some(seq);
            self.dirty = true;
        }
        self.check_volume();
        let Some(e) = &self.engine else { return };
        if now.duration_since(self.forecast_asked) < Duration::from_secs(1) {
            return;
        }
        let closed = e.closed_series();
        let key = (
            closed.len(),
            closed.last().map_or(0.0, |b| b.start),
            e.bucket_s(),
        );
        if self.forecast_key == Some(key) || closed.is_empty() {
            return;
        }
        self.forecast_key = Some(key);
        self.forecast_asked = now;
        let open = e.series_len().saturating_sub(closed.len());
        self.forecaster.request(super::forecaster::Request {
            id: closed.len() as u64,
            closed,
            bucket_s: key.2,
            seen: e.series_seen(),
            open,
        });
    }
}

impl Runner {
    /// Volume anomalies: every closed bucket of each series is compared once with the
    /// latest forecast made before it; outside the 95 % interval it becomes a feed event.
    fn check_volume(&mut self) {
        let (Some(e), Some((_, fc))) = (self.engine.as_mut(), &self.view.forecasts) else {
            return;
        };
        let closed = e.closed_series();
        let events =
            super::forecaster::volume_events(&closed, e.bucket_s(), fc, &mut self.volume_checked);
        if !events.is_empty() {
            for (ts, info) in events {
                e.push_volume(ts, info);
            }
            self.dirty = true;
            self.deliver_alerts();
        }
    }

    fn open_alerts(&mut self) {
        if !self.cfg.alerts.any() {
            return;
        }
        match super::alerts::AlertOutputs::open(&self.cfg.alerts) {
            Ok(a) => self.alerts = Some(a),
            Err(e) => self.say(e, true),
        }
    }

    /// New feed rows to the alert outputs; the first failure is said once.
    fn deliver_alerts(&mut self) {
        let (Some(e), Some(out)) = (self.engine.as_mut(), self.alerts.as_mut()) else {
            return;
        };
        let rows = e.take_fresh();
        if rows.is_empty() {
            return;
        }
        let kinds: Vec<_> = e.model().map(|m| m.detectors.kinds()).unwrap_or_default();
        let failed = out.failed;
        out.deliver(&rows, &kinds);
        self.view.alerts_delivered = out.delivered;
        self.view.alerts_failed = out.failed;
        if failed == 0 && out.failed > 0 {
            self.say("alert delivery failed; the feed goes on".into(), true);
        }
    }
}

impl Snapshot {
    /// The picture before the format is known.
    pub fn empty() -> Snapshot {
        Snapshot {
            counters: Default::default(),
            model: ModelState::WarmingUp { have: 0, need: 0 },
            retraining: None,
            model_age_flows: 0,
            trained_at: None,
            fit_s: None,
            generation: 0,
            budget: None,
            detectors: Vec::new(),
            clusters: Vec::new(),
            silhouette: None,
            davies_bouldin: None,
            calinski_harabasz: None,
            series: Vec::new(),
            bucket_s: 1.0,
            feed: Vec::new(),
            projection: Vec::new(),
            projection_variance: None,
            quality: None,
            late_rows: 0,
            lateness_s: 0.0,
            closed_buckets: 0,
            seen: Default::default(),
            profile: None,
            classifier: None,
            classifier_note: None,
        }
    }
}
