//! The engine: owns the models and the live state. Flows go in by batch; each is scored by the
//! current model set (if one is ready) and then joins the training reservoir. Refits run on a
//! background thread (single flight, the latest request wins) and swap in atomically; the old
//! model keeps scoring until then. `snapshot()` publishes what the UI shows.

pub mod alerts;
mod distinct;
pub mod export;
mod fit_pool;
pub mod forecaster;
pub mod output;
mod profile;
mod quality;
mod reservoir;
pub mod runner;
pub mod sequencer;
mod series;
pub mod snapshot;
mod view;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

pub use reservoir::Reservoir;
pub use series::{DEFAULT_LATENESS_S, MIN_FORECAST_BUCKETS, Sample, Seen, Series, SeriesKind};
pub use snapshot::{
    AnomalyEvent, Bucket, ClassifierView, Counters, DetectorState, JobState, ModelState,
    ProjectedPoint, Snapshot, VolumeInfo,
};

use crate::flows::schema::{FlowRecord, Schema};
use crate::learn::cluster::ClusterStats;
use crate::learn::detect::Cancel;
use crate::learn::model::{BatchScores, FitOptions, ModelFitError, ModelSet, Supervised};
use crate::learn::threat::{Bands, ModelEvidence, ThreatInput};
pub use profile::TemporalProfile;
pub use quality::LiveQuality;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub fit: FitOptions,
    /// Flows before the first fit.
    pub warmup: usize,
    /// Training window (reservoir) size.
    pub window: usize,
    /// Refit after this many flows (0 = only on request).
    pub retrain_every: usize,
    /// With `background`, the largest share of wall time the counted refits may take: after
    /// a refit that took d seconds the next waits until d × (1 / share − 1) have passed. At
    /// live rates `retrain_every` flows take far longer than that; at replay speed a refit
    /// every `retrain_every` flows would take the cores from scoring. A refit asked for by
    /// the operator is never held back.
    pub refit_share: f64,
    /// Fit on a background thread (live) or inline (deterministic headless runs).
    pub background: bool,
    pub feed_len: usize,
    pub bucket_s: f64,
    pub series_len: usize,
    /// Recent flows kept for the projection scatter.
    pub projection_len: usize,
    pub bands: Bands,
    /// Flows that arrive before the first model, kept (up to this many, newest) and scored
    /// once it is fitted, so a fast replay's first minutes get verdicts too. 0 = off (the
    /// prequential evaluation must not score flows it learnt from).
    pub backlog: usize,
    /// Grow the series bucket as the flows' time span grows (replays, reading a file from its
    /// start) instead of keeping the last `series_len` buckets of `bucket_s`.
    pub auto_bucket: bool,
    /// Seconds of flow time a bucket stays open for late rows after it ends.
    pub lateness_s: f64,
    /// A flow whose bucket has already passed its forecast's upper bound gets one more vote.
    pub volume_vote: bool,
    /// Live traffic: the series' clock runs on between flows (see `advance_clock`), so a
    /// silent source closes buckets. Off for replays, whose pauses are not silence.
    pub live_clock: bool,
    /// Where alerts go besides the feed (`--alerts-out`, `--syslog`).
    pub alerts: alerts::AlertConfig,
    /// Reading history (a replay, a file from its start): flows wait for the first model
    /// instead of passing unscored while it is fitted. Live traffic cannot wait; its
    /// `backlog` is scored once the model exists.
    pub first_fit_waits: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            fit: FitOptions::default(),
            warmup: 2000,
            window: 20_000,
            retrain_every: 50_000,
            refit_share: DEFAULT_REFIT_SHARE,
            background: true,
            feed_len: 1000,
            bucket_s: 1.0,
            series_len: 300,
            projection_len: 2000,
            bands: Bands::default(),
            backlog: 0,
            auto_bucket: false,
            lateness_s: DEFAULT_LATENESS_S,
            volume_vote: false,
            live_clock: false,
            first_fit_waits: false,
            alerts: alerts::AlertConfig::default(),
        }
    }
}

/// A flow after scoring.
#[derive(Debug, Clone)]
pub struct ScoredFlow {
    pub score: f64,
    pub flagged: bool,
    pub cluster: Option<usize>,
}

/// Called by a background refit when its result is ready, so the owner's loop wakes to take it.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// See `EngineConfig::refit_share`: refits keep at least four fifths of the machine for
/// scoring when flows come faster than they can be refitted on.
pub const DEFAULT_REFIT_SHARE: f64 = 0.2;

struct Job {
    started: Instant,
    cancel: Cancel,
    done: Arc<AtomicUsize>,
    total: usize,
    result: mpsc::Receiver<Result<ModelSet, ModelFitError>>,
}

pub struct Engine {
    cfg: EngineConfig,
    schema: Schema,
    model: Option<Arc<ModelSet>>,
    model_error: Option<String>,
    /// The training window. Survivors are copied on this thread when they enter: flows are
    /// allocated by the ingest thread, and a random few thousand of them kept out of millions
    /// would pin that thread's allocator pages (RSS 290 MB instead of ~140 MB after 1M flows).
    reservoir: Reservoir<Arc<FlowRecord>>,
    since_fit: u64,
    generation: u64,
    job: Option<Job>,
    /// A refit was asked for while one was running: start another when it ends.
    pending: bool,
    /// When the last background refit ended and how long it took (`refit_share`).
    last_refit: Option<(Instant, Duration)>,
    counters: Counters,
    series: Series,
    feed: VecDeque<Arc<AnomalyEvent>>,
    volume_seq: u64,
    /// The latest forecasts, for the volume vote.
    forecasts: Option<Arc<forecaster::Forecasts>>,
    /// Series time of the newest flow and when it arrived.
    newest: Option<(f64, Instant)>,
    projection: VecDeque<ProjectedPoint>,
    clusters: ClusterStats,
    quality: Option<LiveQuality>,
    profile: TemporalProfile,
    /// (series time, flow) seen before the first model; see `EngineConfig::backlog`.
    backlog: VecDeque<(f64, FlowRecord)>,
    feature_names: Arc<[String]>,
    started: Instant,
    wake: Option<Wake>,
    /// Feed rows since the last `take_fresh`, kept only when alerts are delivered.
    fresh: Vec<Arc<AnomalyEvent>>,
}

impl Engine {
    pub fn new(schema: Schema, cfg: EngineConfig) -> Engine {
        Engine {
            reservoir: Reservoir::new(cfg.window, cfg.fit.seed),
            series: Series::new(cfg.bucket_s, cfg.series_len)
                .auto(cfg.auto_bucket)
                .lateness(cfg.lateness_s),
            schema,
            model: None,
            model_error: None,
            since_fit: 0,
            generation: 0,
            job: None,
            pending: false,
            last_refit: None,
            counters: Counters::default(),
            feed: VecDeque::new(),
            volume_seq: 0,
            forecasts: None,
            newest: None,
            projection: VecDeque::new(),
            clusters: ClusterStats::new(0),
            quality: None,
            profile: TemporalProfile::default(),
            backlog: VecDeque::new(),
            feature_names: Arc::from(Vec::new()),
            started: Instant::now(),
            wake: None,
            fresh: Vec::new(),
            cfg,
        }
    }

    /// `wake` is called when a background refit has a result for `poll_job`.
    pub fn on_refit_done(&mut self, wake: Wake) {
        self.wake = Some(wake);
    }

    /// Replaces the current model set (a loaded file); a running refit is dropped.
    pub fn replace_model(&mut self, model: ModelSet) {
        self.cancel_retrain();
        self.install(model);
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn series_buckets(&self) -> Vec<Bucket> {
        self.series.buckets()
    }

    /// The closed (final) buckets: what forecasts and volume events look at.
    pub fn closed_series(&self) -> Vec<Bucket> {
        self.series.closed()
    }

    /// Buckets in the series ring, open ones included.
    pub fn series_len(&self) -> usize {
        self.series.len()
    }

    /// The source has no more flows (a replay or a file read to its end).
    pub fn end_of_input(&mut self) {
        self.series.end_of_input();
    }

    pub fn series_seen(&self) -> Seen {
        self.series.seen
    }

    /// Live sources: runs the series' clock on from the newest flow by the wall time since it
    /// arrived, so buckets keep closing through silence. Call on a timer.
    pub fn advance_clock(&mut self, now: Instant) {
        if let (true, Some((t, at))) = (self.cfg.live_clock, self.newest) {
            self.series
                .advance_to(t + now.saturating_duration_since(at).as_secs_f64());
        }
    }

    /// The latest forecasts of the series (the volume vote compares buckets with them).
    pub fn set_forecasts(&mut self, fc: Arc<forecaster::Forecasts>) {
        self.forecasts = Some(fc);
    }

    pub fn bucket_s(&self) -> f64 {
        self.series.bucket_s
    }

    /// Counts installed model sets.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn model_error(&self) -> Option<&str> {
        self.model_error.as_deref()
    }

    pub fn job_running(&self) -> bool {
        self.job.is_some()
    }

    /// Enough flows in the window for a fit.
    pub fn can_train(&self) -> bool {
        self.reservoir.len() >= crate::learn::detect::MIN_TRAIN_ROWS
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn bands(&self) -> &Bands {
        &self.cfg.bands
    }

    pub fn model(&self) -> Option<&Arc<ModelSet>> {
        self.model.as_ref()
    }

    /// The time of a flow without a timestamp: its arrival on a live source, else its place in
    /// the file at the replay's pace for untimed rows (a `--speed max` replay would otherwise
    /// put the whole file in one bucket and the forecast would never warm up).
    fn untimed(&self, line: u64) -> f64 {
        if self.cfg.live_clock {
            self.started.elapsed().as_secs_f64()
        } else {
            crate::flows::source::replay::untimed_time(line)
        }
    }

    /// Scores a batch with the current model, then learns from it. Returns one result per flow.
    pub fn ingest(&mut self, flows: Vec<FlowRecord>) -> Vec<ScoredFlow> {
        if self.cfg.first_fit_waits && self.model.is_none() {
            self.wait_for_job();
        }
        self.poll_job();
        self.counters.flows += flows.len() as u64;
        // Into the series first: the volume vote looks at the bucket as each flow joins it.
        let mut times = Vec::with_capacity(flows.len());
        let mut votes = Vec::with_capacity(flows.len());
        for flow in &flows {
            match flow.ts {
                Some(ts) => self.profile.add(ts),
                None => self.series.clock_time(),
            }
            let t = flow.ts.unwrap_or_else(|| self.untimed(flow.line));
            let bucket = self.series.add(t, Sample::of(flow, false));
            if self.newest.is_none_or(|(n, _)| t > n) {
                self.newest = Some((t, Instant::now()));
            }
            times.push(t);
            votes.push(match (&self.forecasts, bucket) {
                (Some(fc), Some(b)) if self.cfg.volume_vote => {
                    forecaster::volume_vote(&b, self.series.bucket_s, fc)
                }
                _ => None,
            });
        }
        let out = self.score_batch(&flows, &times, &votes);
        let keep = self.model.is_none() && self.cfg.backlog > 0;
        for ((flow, s), t) in flows.into_iter().zip(&out).zip(times) {
            if s.flagged {
                self.series.mark_anomaly(t);
            }
            self.reservoir.offer(|| Arc::new(flow.clone()));
            if keep {
                self.backlog.push_back((t, flow));
                if self.backlog.len() > self.cfg.backlog {
                    self.backlog.pop_front();
                }
            }
        }
        self.since_fit += out.len() as u64;
        let due_first = self.model.is_none()
            && self.job.is_none()
            && self.model_error.is_none()
            && self.reservoir.len() >= self.cfg.warmup;
        let due_again = self.model.is_some()
            && self.cfg.retrain_every > 0
            && self.since_fit >= self.cfg.retrain_every as u64
            && self.job.is_none()
            && self.refit_rested();
        if due_first || due_again {
            self.request_retrain();
        }
        out
    }

    /// Scores `flows`, placed at `times` in the series; `volume[i]`, when set, is flow i's
    /// volume vote (see `volume_vote`).
    fn score_batch(
        &mut self,
        flows: &[FlowRecord],
        times: &[f64],
        volume: &[Option<VolumeInfo>],
    ) -> Vec<ScoredFlow> {
        let Some(model) = self.model.clone() else {
            self.counters.unscored += flows.len() as u64;
            return flows
                .iter()
                .map(|_| ScoredFlow {
                    score: f64::NAN,
                    flagged: false,
                    cluster: None,
                })
                .collect();
        };
        let refs: Vec<&FlowRecord> = flows.iter().collect();
        let batch = model.score(&refs);
        let kinds = model.detectors.kinds();
        let mut out = Vec::with_capacity(flows.len());
        let min_votes = model.consensus.params.min_votes.max(1);
        for (i, flow) in flows.iter().enumerate() {
            let volume_vote = volume.get(i).cloned().flatten();
            let v = &batch.verdicts[i];
            let flagged = v.flagged
                || (volume_vote.is_some()
                    && v.votes.iter().filter(|v| **v == Some(true)).count() + 1 >= min_votes);
            let cluster = batch.clusters.as_ref().and_then(|c| c.get(i).copied());
            if let Some(c) = cluster {
                self.clusters.add(c, flow, flagged);
            }
            self.counters.scored += 1;
            if let Some(label) = &flow.label {
                let scores = batch.scores.calibrated.row(i);
                let quality = self
                    .quality
                    .get_or_insert_with(|| LiveQuality::new(kinds.len()));
                quality.add(
                    label.attack,
                    flagged,
                    v.score,
                    scores.as_slice().unwrap_or(&[]),
                );
            }
            let predicted = batch.predictions.as_ref().and_then(|p| p.get(i)).cloned();
            let classified_attack = predicted
                .as_ref()
                .is_some_and(|p| p.attack_probability >= 0.5);
            if flagged {
                self.counters.flagged += 1;
            }
            // The feed holds what the detectors flag and what the classifier calls an attack.
            if flagged || classified_attack {
                let feats = batch.features.row(i).insert_axis(ndarray::Axis(0));
                let mut evidence = ModelEvidence::from_verdict(&kinds, v);
                evidence.flagged = flagged;
                if let Some(vv) = &volume_vote {
                    evidence.voting.push(format!("volume ({})", vv.series));
                    evidence.voters += 1;
                }
                let threat = crate::learn::threat::assess(
                    &ThreatInput::of_flow(
                        flow,
                        Some(evidence),
                        predicted.as_ref().map(|p| p.attack_probability),
                    ),
                    &self.cfg.bands,
                );
                self.counters.alerts_by_level[threat.level as usize] += 1;
                let n_num = model.pipeline.numeric.len();
                self.push_feed(Arc::new(AnomalyEvent {
                    core: flow.core,
                    state: flow.meta.state.clone(),
                    service: flow.meta.service.clone(),
                    threat,
                    feature_names: self.feature_names.clone(),
                    raw: (0..self.feature_names.len())
                        .map(|j| {
                            if j < n_num {
                                model.pipeline.raw_value(j, flow).unwrap_or(f64::NAN)
                            } else {
                                f64::NAN
                            }
                        })
                        .collect(),
                    deviation: batch.features.row(i).to_vec(),
                    line: flow.line,
                    ts: flow.ts,
                    at: times.get(i).copied().unwrap_or(f64::NAN),
                    src: flow.meta.src.clone(),
                    dst: flow.meta.dst.clone(),
                    sport: flow.meta.sport,
                    dport: flow.meta.dport,
                    proto: flow.meta.proto.clone(),
                    label: flow.label.as_ref().map(|l| l.class.clone()),
                    attack: flow.label.as_ref().map(|l| l.attack),
                    score: v.score,
                    detector_scores: batch
                        .scores
                        .calibrated
                        .row(i)
                        .iter()
                        .map(|p| p.is_finite().then_some(*p))
                        .collect(),
                    votes: v.votes.clone(),
                    flagged,
                    cluster,
                    top_features: model.top_features(feats, 5),
                    predicted,
                    volume: None,
                    volume_vote,
                }));
            }
            self.project(&batch, i, cluster, flagged);
            out.push(ScoredFlow {
                score: v.score,
                flagged,
                cluster,
            });
        }
        out
    }

    /// Puts a volume event (a bucket outside its forecast interval) at the head of the feed.
    pub fn push_volume(&mut self, ts: f64, info: snapshot::VolumeInfo) {
        self.counters.volume_events += 1;
        self.volume_seq += 1;
        // Not a line of the input: counted down from the top so it never collides.
        let id = u64::MAX - self.volume_seq;
        self.push_feed(Arc::new(AnomalyEvent::volume(
            id,
            ts,
            info,
            &self.cfg.bands,
        )));
    }

    fn push_feed(&mut self, row: Arc<AnomalyEvent>) {
        if self.cfg.alerts.any() {
            self.fresh.push(row.clone());
        }
        self.feed.push_front(row);
        self.feed.truncate(self.cfg.feed_len);
    }

    /// The feed rows added since the last call, oldest first (empty unless alerts are
    /// delivered).
    pub fn take_fresh(&mut self) -> Vec<Arc<AnomalyEvent>> {
        std::mem::take(&mut self.fresh)
    }

    /// Asks for a refit on the current window. Coalesced: while one runs, at most one more is
    /// queued, on the window as it is when the running one ends.
    pub fn request_retrain(&mut self) {
        if self.reservoir.len() < crate::learn::detect::MIN_TRAIN_ROWS {
            return;
        }
        if self.job.is_some() {
            self.pending = true;
            return;
        }
        let window: Vec<Arc<FlowRecord>> = self.reservoir.items().to_vec();
        let schema = self.schema.clone();
        let mut opts = self.cfg.fit.clone();
        // The classifier is chosen once by cross-validation; refits keep that choice.
        if let (Supervised::Select(cv), Some(c)) = (
            &opts.supervised,
            self.model.as_ref().and_then(|m| m.classifier.as_ref()),
        ) {
            opts.supervised = Supervised::Fixed {
                kind: c.model.kind(),
                mode: c.mode,
                balance: cv.balance,
            };
        }
        let fit = move |done: &AtomicUsize, cancel: &Cancel| {
            let refs: Vec<&FlowRecord> = window.iter().map(|f| f.as_ref()).collect();
            let progress = |_| {
                done.fetch_add(1, Ordering::Relaxed);
            };
            ModelSet::fit(&schema, &refs, &opts, &progress, cancel)
        };
        self.since_fit = 0;
        if !self.cfg.background {
            match fit(&AtomicUsize::new(0), &Cancel::default()) {
                Ok(m) => self.install(m),
                Err(e) => self.model_error = Some(e.to_string()),
            }
            return;
        }
        let (tx, rx) = mpsc::channel();
        let cancel = Cancel::default();
        let done = Arc::new(AtomicUsize::new(0));
        let (c, d, wake) = (cancel.clone(), done.clone(), self.wake.clone());
        fit_pool::spawn(move || {
            let r = fit(&d, &c);
            if !c.is_cancelled() {
                let _ = tx.send(r);
                if let Some(wake) = wake {
                    wake();
                }
            }
        });
        self.job = Some(Job {
            started: Instant::now(),
            cancel,
            done,
            total: self.cfg.fit.kinds.len(),
            result: rx,
        });
    }

    /// Whether the last background refit has been followed by enough time without one
    /// (`EngineConfig::refit_share`).
    fn refit_rested(&self) -> bool {
        let share = self.cfg.refit_share;
        match self.last_refit {
            Some((ended, took)) if self.cfg.background && share > 0.0 && share < 1.0 => {
                ended.elapsed().as_secs_f64() >= took.as_secs_f64() * (1.0 / share - 1.0)
            }
            _ => true,
        }
    }

    /// Drops the running refit; the current model stays.
    pub fn cancel_retrain(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
        }
        self.pending = false;
    }

    /// Installs a finished refit, if any. Called by `ingest`; call it on timers too.
    pub fn poll_job(&mut self) {
        self.take_job(false);
    }

    /// Blocks until the running refit (if any, and any queued after it) is installed.
    pub fn wait_for_job(&mut self) {
        while self.job.is_some() {
            self.take_job(true);
        }
    }

    /// Installs the running refit's result if it has one, or with `block` once it has.
    fn take_job(&mut self, block: bool) {
        let Some(job) = &self.job else { return };
        let started = job.started;
        // None: the fit ended without sending (it panicked).
        let result = if block {
            job.result.recv().ok()
        } else {
            match job.result.try_recv() {
                Err(mpsc::TryRecvError::Empty) => return,
                r => r.ok(),
            }
        };
        self.job = None;
        self.last_refit = Some((Instant::now(), started.elapsed()));
        match result {
            Some(Ok(m)) => self.install(m),
            Some(Err(e)) => self.model_error = Some(e.to_string()),
            None => self.model_error = Some("the refit thread stopped without a result".into()),
        }
        if std::mem::take(&mut self.pending) {
            self.request_retrain();
        }
    }

    fn install(&mut self, mut m: ModelSet) {
        let previous_cv = self
            .model
            .as_ref()
            .and_then(|old| old.classifier.as_ref())
            .and_then(|c| c.cv.clone());
        if let Some(c) = m.classifier.as_mut()
            && c.cv.is_none()
        {
            c.cv = previous_cv;
        }
        let refit = self.model.is_some();
        self.clusters = ClusterStats::new(m.clustering().map_or(0, |c| c.k()));
        self.feature_names = Arc::from(m.pipeline.names.clone());
        // Points from the old model's plane would not line up with the new one's.
        self.projection.clear();
        self.model = Some(Arc::new(m));
        self.model_error = None;
        self.generation += 1;
        self.reservoir.decay();
        if refit {
            self.reseed_views();
        }
        self.score_backlog();
    }

    /// After a refit the cluster table and the projection start over for the new model; when
    /// no flow follows (a replay that has ended) they would stay empty. They are seeded from
    /// the newest flows of the training window, scored by the new model (feed and counters are
    /// left alone: these flows were counted when they arrived).
    fn reseed_views(&mut self) {
        let Some(model) = self.model.clone() else {
            return;
        };
        let items = self.reservoir.items();
        let from = items.len().saturating_sub(self.cfg.projection_len);
        let newest: Vec<Arc<FlowRecord>> = items[from..].to_vec();
        let refs: Vec<&FlowRecord> = newest.iter().map(|f| f.as_ref()).collect();
        if refs.is_empty() {
            return;
        }
        let batch = model.score(&refs);
        for (i, flow) in refs.iter().enumerate() {
            let cluster = batch.clusters.as_ref().and_then(|c| c.get(i).copied());
            let flagged = batch.verdicts[i].flagged;
            if let Some(c) = cluster {
                self.clusters.add(c, flow, flagged);
            }
            self.project(&batch, i, cluster, flagged);
        }
    }

    /// Row `i` of a scored batch joins the projection scatter (the newest `projection_len`).
    fn project(&mut self, batch: &BatchScores, i: usize, cluster: Option<usize>, flagged: bool) {
        if let Some(p) = &batch.projected {
            self.projection.push_back(ProjectedPoint {
                x: p[[i, 0]],
                y: p[[i, 1]],
                cluster,
                flagged,
            });
            if self.projection.len() > self.cfg.projection_len {
                self.projection.pop_front();
            }
        }
    }

    /// Scores the flows kept from before the first model.
    fn score_backlog(&mut self) {
        if self.backlog.is_empty() {
            return;
        }
        let (times, flows): (Vec<f64>, Vec<FlowRecord>) = self.backlog.drain(..).unzip();
        self.counters.unscored = self.counters.unscored.saturating_sub(flows.len() as u64);
        let out = self.score_batch(&flows, &times, &[]);
        for (t, s) in times.into_iter().zip(&out) {
            if s.flagged {
                self.series.mark_anomaly(t);
            }
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let model_state = match (&self.model, &self.model_error) {
            (Some(_), _) => ModelState::Ready,
            (None, Some(e)) => ModelState::Failed { reason: e.clone() },
            (None, None) => ModelState::WarmingUp {
                have: self.reservoir.len(),
                need: self.cfg.warmup,
            },
        };
        let m = self.model.as_deref();
        let clustering = m.and_then(|m| m.clustering());
        Snapshot {
            counters: self.counters.clone(),
            model: model_state,
            retraining: self.job.as_ref().map(|j| JobState {
                done: j.done.load(Ordering::Relaxed),
                total: j.total,
            }),
            model_age_flows: self.since_fit,
            trained_at: m.map(|m| m.trained_at),
            fit_s: m.map(|m| m.fit_s),
            generation: self.generation,
            budget: m.and_then(|m| m.consensus.budget),
            detectors: m
                .map(|m| {
                    m.detectors
                        .detectors
                        .iter()
                        .zip(&m.consensus.weights)
                        .enumerate()
                        .map(|(j, (d, w))| {
                            let out = m.consensus.sits_out.get(j).cloned().flatten();
                            DetectorState {
                                kind: d.kind,
                                ready: d.is_ready(),
                                sits_out: out.is_some(),
                                detail: out.unwrap_or_else(|| d.status.detail().to_string()),
                                weight: *w,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
            clusters: self.clusters.summary(),
            silhouette: clustering.map(|c| c.silhouette),
            davies_bouldin: clustering.map(|c| c.davies_bouldin),
            calinski_harabasz: clustering.map(|c| c.calinski_harabasz),
            series: self.series.buckets(),
            bucket_s: self.series.bucket_s,
            feed: self.feed.iter().cloned().collect(),
            projection: self.projection.iter().copied().collect(),
            projection_variance: m
                .and_then(|m| m.projection.as_ref())
                .map(|p| p.explained_variance_ratio())
                .and_then(|v| Some([*v.first()?, *v.get(1)?])),
            quality: self.quality.as_ref().map(LiveQuality::snapshot),
            late_rows: self.series.too_late,
            lateness_s: self.series.lateness_s(),
            closed_buckets: self.series.closed_len(),
            seen: self.series.seen,
            profile: (self.profile.flows > 0).then(|| self.profile.clone()),
            classifier: m
                .and_then(|m| m.classifier.as_ref())
                .map(snapshot::ClassifierView::of),
            classifier_note: m.and_then(|m| m.classifier_note.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
