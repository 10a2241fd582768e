//! The threaded ingest used by the TUI: reads, decodes and paces flows on its own thread and
//! sends batches over a bounded channel, so a fast replay is slowed down by its consumer
//! instead of growing memory.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Decoding, IngestError, Rejected, detect_source, io_error};
use crate::flows::schema::{DetectOptions, FlowRecord, Schema};
use crate::flows::source::replay::{Due, ReplayClock, ReplayCommand, Speed, untimed_time};
use crate::flows::source::{
    FollowOptions, Input, LineBatch, LineSource, SourceEvent, SourceStatus, open_follow, open_once,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IngestMode {
    /// Read the file once, paced at `speed`, then finish.
    Replay,
    /// Follow the file as it grows.
    Follow { from_start: bool },
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub input: Input,
    pub mode: IngestMode,
    pub speed: Speed,
    pub detect: DetectOptions,
    /// Most flows per batch sent to the consumer.
    pub batch_max: usize,
    /// Batches in flight before the reader waits.
    pub channel_capacity: usize,
}

impl IngestConfig {
    pub fn new(input: Input, mode: IngestMode) -> Self {
        Self {
            input,
            mode,
            speed: Speed::Max,
            detect: DetectOptions::default(),
            batch_max: 1024,
            channel_capacity: 8,
        }
    }
}

/// Running totals, sent with every batch.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestStats {
    pub rows: u64,
    pub rejected: u64,
    /// Flows kept without a timestamp that could not be right.
    pub suspect_times: u64,
    pub skipped: u64,
    /// Flows passed over by a seek.
    pub seek_skipped: u64,
    pub source: SourceStatus,
    /// Replay time of the newest flow (flow timestamps, or row time without them).
    pub replay_time: Option<f64>,
    pub speed: Speed,
    pub paused: bool,
}

#[derive(Debug)]
pub enum IngestEvent {
    Detected(Arc<Schema>),
    Flows {
        records: Vec<FlowRecord>,
        rejects: Vec<Rejected>,
        stats: IngestStats,
    },
    /// Something the operator should see once (rotation, truncation, a refused seek).
    Notice(String),
    /// Totals after a replay command, when no flow carries them.
    Status(IngestStats),
    Finished(IngestStats),
    Failed(String),
}

/// Pause, step, speed and seek for the ingest thread, and its stop.
pub struct IngestControl {
    control: Sender<ReplayCommand>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl IngestControl {
    /// Pause, step, speed and seek (replay); ignored where meaningless.
    pub fn send(&self, cmd: ReplayCommand) {
        let _ = self.control.send(cmd);
    }

    /// Stops the thread and waits for it. Its consumer must have dropped the receiving end
    /// (or keep draining it): a thread waiting on a full channel only notices the stop then.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for IngestControl {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An ingest thread with a channel of its own.
pub struct IngestHandle {
    pub events: Receiver<IngestEvent>,
    control: IngestControl,
}

impl IngestHandle {
    pub fn send(&self, cmd: ReplayCommand) {
        self.control.send(cmd);
    }

    pub fn stop(&mut self) {
        // Dropping the receiver wakes a thread blocked on a full channel.
        drop(std::mem::replace(&mut self.events, sync_channel(0).1));
        self.control.stop();
    }
}

impl Drop for IngestHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn spawn(cfg: IngestConfig) -> IngestHandle {
    let (tx, rx) = sync_channel(cfg.channel_capacity.max(1));
    IngestHandle {
        events: rx,
        control: spawn_into(cfg, tx),
    }
}

/// Starts the ingest thread, sending its events into the consumer's own channel (bounded: the
/// reader waits while its consumer is behind, so a fast replay cannot grow memory).
pub fn spawn_into<E: From<IngestEvent> + Send + 'static>(
    cfg: IngestConfig,
    tx: SyncSender<E>,
) -> IngestControl {
    let (ctl_tx, ctl_rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::Builder::new()
        .name("flowtop-ingest".into())
        .spawn(move || {
            let sink: Sink = Box::new(move |ev| tx.send(E::from(ev)).is_ok());
            let mut w = Worker::new(cfg, sink, ctl_rx, stop2);
            let end = match w.run() {
                Ok(()) => IngestEvent::Finished(w.stats()),
                Err(e) => IngestEvent::Failed(e.to_string()),
            };
            w.send(end);
        })
        .ok();
    IngestControl {
        control: ctl_tx,
        stop,
        thread,
    }
}

/// Hands one event to the consumer, blocking while its channel is full.
/// False once the consumer has dropped its end.
type Sink = Box<dyn Fn(IngestEvent) -> bool + Send>;

struct Worker {
    cfg: IngestConfig,
    tx: Sink,
    /// The consumer dropped its end of the channel.
    gone: Cell<bool>,
    control: Receiver<ReplayCommand>,
    stop: Arc<AtomicBool>,
    clock: ReplayClock,
    source: Option<Box<dyn LineSource>>,
    decoding: Option<Decoding>,
    out: Vec<FlowRecord>,
    rejects: Vec<Rejected>,
    first_time: Option<f64>,
    skip_until: Option<f64>,
    rewound: bool,
    seek_skipped: u64,
}

impl Worker {
    fn new(
        cfg: IngestConfig,
        tx: Sink,
        control: Receiver<ReplayCommand>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        let clock = ReplayClock::new(cfg.speed);
        Self {
            cfg,
            tx,
            gone: Cell::new(false),
            control,
            stop,
            clock,
            source: None,
            decoding: None,
            out: Vec::new(),
            rejects: Vec::new(),
            first_time: None,
            skip_until: None,
            rewound: false,
            seek_skipped: 0,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.gone.get()
    }

    fn stats(&self) -> IngestStats {
        let (rows, rejected, suspect_times, skipped) =
            self.decoding.as_ref().map_or((0, 0, 0, 0), |d| {
                (
                    d.counts.rows,
                    d.counts.rejected,
                    d.counts.suspect_times,
                    d.counts.skipped.values().sum(),
                )
            });
        IngestStats {
            rows,
            rejected,
            suspect_times,
            skipped,
            seek_skipped: self.seek_skipped,
            source: self.source.as_ref().map(|s| s.status()).unwrap_or_default(),
            replay_time: self.clock.replay_time(),
            speed: self.clock.speed(),
            paused: self.clock.is_paused(),
        }
    }

    fn run(&mut self) -> Result<(), IngestError> {
        let name = self.cfg.input.display_name();
        let io_err = io_error(&name);
        let mut from_end = matches!(self.cfg.mode, IngestMode::Follow { from_start: false });
        let mut source = match self.cfg.mode {
            IngestMode::Replay => open_once(&self.cfg.input).map_err(&io_err)?,
            IngestMode::Follow { from_start } => {
                let mut opts = FollowOptions {
                    from_start,
                    ..FollowOptions::default()
                };
                let mut said = false;
                // Like `tail -F`: a log that does not exist yet is waited for.
                loop {
                    match open_follow(&self.cfg.input, opts) {
                        Ok(s) => break s,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            if !said {
                                self.send(IngestEvent::Notice(format!(
                                    "waiting for {name} to appear"
                                )));
                                said = true;
                                // Everything a log holds when it appears is new.
                                opts.from_start = true;
                                from_end = false;
                            }
                            if self.stopped() {
                                return Ok(());
                            }
                            std::thread::sleep(opts.poll_interval);
                        }
                        Err(e) => return Err(io_err(e)),
                    }
                }
            }
        };
        let mut batch = LineBatch::new();
        let stop = self.stop.clone();
        let keep_waiting = || !stop.load(Ordering::Relaxed);
        let detected = match (from_end, &self.cfg.input) {
            // The header sits at the top of the file even when only new lines are wanted; the
            // lines read for detection are then old lines, not to be decoded.
            (true, Input::File(p)) => {
                let mut head = crate::flows::source::FileSource::open(p).map_err(&io_err)?;
                detect_source(
                    &mut head,
                    &self.cfg.detect,
                    &mut LineBatch::new(),
                    keep_waiting,
                )?
            }
            _ => detect_source(source.as_mut(), &self.cfg.detect, &mut batch, keep_waiting)?,
        };
        self.decoding = Some(Decoding::new(detected, &name));
        self.source = Some(source);
        if let Some(d) = &self.decoding {
            self.send(IngestEvent::Detected(Arc::new(d.schema.clone())));
        }
        let mut event = SourceEvent::Lines;
        loop {
            if self.stopped() {
                return Ok(());
            }
            if matches!(event, SourceEvent::Rotated | SourceEvent::Truncated) {
                let what = if event == SourceEvent::Rotated {
                    "rotated"
                } else {
                    "truncated"
                };
                self.send(IngestEvent::Notice(format!(
                    "{name} was {what}; reading the new file from its start"
                )));
                if let Some(d) = self.decoding.as_mut() {
                    d.new_file();
                }
            }
            self.process(&batch)?;
            batch.clear();
            if event == SourceEvent::Eof {
                self.flush();
                return Ok(());
            }
            self.apply_commands(Instant::now())?;
            // A rewind applied here happened between batches: nothing in flight to drop.
            self.rewound = false;
            // Hand on what was decoded before asking the source again: a poll may wait for
            // the writer (up to the poll interval), and a steady trickle of lines never leaves
            // the source idle. Holding flows until 1,024 piled up stalled a 20 lines/s log.
            self.flush();
            let Some(src) = self.source.as_mut() else {
                return Ok(());
            };
            event = src.poll(&mut batch).map_err(io_error(&name))?;
        }
    }

    /// Decodes lines and releases their flows at the replay pace.
    fn process(&mut self, batch: &LineBatch) -> Result<(), IngestError> {
        let mut flows = Vec::new();
        let mut rejects = Vec::new();
        if let Some(d) = self.decoding.as_mut() {
            d.decode_batch(batch, |f| flows.push(f), |r| rejects.push(r.clone()));
        }
        self.rejects.extend(rejects);
        for f in flows {
            let t = f.ts.unwrap_or_else(|| untimed_time(f.line));
            self.first_time.get_or_insert(t);
            if self.passed_by_seek(t) {
                continue;
            }
            if self.cfg.mode == IngestMode::Replay {
                self.wait_until_due(t)?;
                if self.rewound || self.stopped() {
                    // Seeking backwards restarted the source: the rest of this batch comes again.
                    self.rewound = false;
                    return Ok(());
                }
                // A forward seek may have arrived while waiting.
                if self.passed_by_seek(t) {
                    continue;
                }
            }
            self.clock.released(t);
            self.out.push(f);
            if self.out.len() >= self.cfg.batch_max {
                self.flush();
            }
        }
        Ok(())
    }

    /// True when a pending seek passes over the flow at replay time `t`; the first flow at or
    /// after the target ends the seek and restarts the clock there.
    fn passed_by_seek(&mut self, t: f64) -> bool {
        match self.skip_until {
            Some(until) if t < until => {
                self.seek_skipped += 1;
                true
            }
            Some(_) => {
                self.skip_until = None;
                self.clock.reset_time(Some(t));
                false
            }
            None => false,
        }
    }

    fn wait_until_due(&mut self, t: f64) -> Result<(), IngestError> {
        loop {
            let now = Instant::now();
            let until = match self.clock.due(t, now) {
                Due::Now => return Ok(()),
                Due::At(at) => Some(at),
                Due::Paused => None,
            };
            // The consumer sees everything released so far before we sleep.
            self.flush();
            let wait = until.map_or(Duration::from_millis(200), |at| {
                at.saturating_duration_since(now)
            });
            match self.control.recv_timeout(wait) {
                Ok(cmd) => {
                    self.apply(cmd, Instant::now())?;
                    // Pause and speed show at once: while waiting there is no batch to carry them.
                    self.send(IngestEvent::Status(self.stats()));
                    if self.skip_until.is_some() {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if self.stopped() {
                return Ok(());
            }
        }
    }

    fn apply_commands(&mut self, now: Instant) -> Result<(), IngestError> {
        let mut applied = false;
        while let Ok(cmd) = self.control.try_recv() {
            self.apply(cmd, now)?;
            applied = true;
        }
        if applied {
            // Pause and speed show at once, not with the next batch (there may be none).
            self.send(IngestEvent::Status(self.stats()));
        }
        Ok(())
    }

    fn apply(&mut self, cmd: ReplayCommand, now: Instant) -> Result<(), IngestError> {
        let Some(target) = self.clock.apply(cmd, now) else {
            return Ok(());
        };
        let Some(t) = self.clock.seek_time(target, self.first_time) else {
            return Ok(());
        };
        let behind = self.clock.replay_time().is_some_and(|cur| t < cur);
        if behind {
            let Some(src) = self.source.as_mut() else {
                return Ok(());
            };
            let name = src.name().to_string();
            if !src.rewind().map_err(io_error(&name))? {
                self.send(IngestEvent::Notice(format!(
                    "{name}: cannot seek backwards in this source"
                )));
                return Ok(());
            }
            if let Some(d) = self.decoding.as_mut() {
                d.new_file();
            }
            self.rewound = true;
        }
        self.clock.reset_time(None);
        self.skip_until = Some(t);
        Ok(())
    }

    fn flush(&mut self) {
        if self.out.is_empty() && self.rejects.is_empty() {
            return;
        }
        let records = std::mem::take(&mut self.out);
        let rejects = std::mem::take(&mut self.rejects);
        let stats = self.stats();
        self.send(IngestEvent::Flows {
            records,
            rejects,
            stats,
        });
    }

    fn send(&self, ev: IngestEvent) {
        // Blocks while the consumer is behind: this is the back-pressure.
        if !(self.tx)(ev) {
            self.gone.set(true);
        }
    }
}

#[cfg(test)]
mod tests;
