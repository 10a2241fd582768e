//! The live forecasts: a worker thread refits the automatic ARIMA on the engine's bucketed
//! series (flows, bytes, packets, distinct hosts, anomalies) whenever a bucket closes, at most
//! once a second and for at most a fifth of the time (`FORECAST_SHARE`). Requests
//! are single-slot: a new one replaces a waiting one (the latest wins), so a fast replay never
//! queues stale work and ingest never waits for a fit. The same worker then updates the LSTM
//! autoencoder's sequence signal (`sequencer`).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::Serialize;

use super::sequencer::{SequenceState, Sequencer};
use super::series::{Seen, SeriesKind, same_width};
use super::{Bucket, VolumeInfo};
use crate::learn::forecast::{MAX_ORDER, Step, auto_forecast};

/// Buckets forecast ahead in the monitor.
pub const HORIZON: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeriesForecast {
    pub order: Option<[usize; 3]>,
    pub constant: bool,
    pub aic: Option<f64>,
    pub fit_ms: f64,
    /// Start time of the first forecast bucket.
    pub start: f64,
    pub bucket_s: f64,
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

/// The forecast step covering the bucket that starts at `start`, if `f` was made on buckets
/// of this width and reaches that far; `None` also for a fallback without an interval.
fn step_for(f: &SeriesForecast, start: f64, bucket_s: f64) -> Option<&Step> {
    // A forecast on buckets of another width (a replay's buckets just doubled).
    if !same_width(f.bucket_s, bucket_s) || start < f.start {
        return None;
    }
    let step = f
        .steps
        .get(((start - f.start) / f.bucket_s).round() as usize)?;
    (step.hi.partial_cmp(&step.lo) == Some(std::cmp::Ordering::Greater)).then_some(step)
}

fn outside(kind: SeriesKind, b: &Bucket, step: &Step, bucket_s: f64) -> Option<VolumeInfo> {
    let observed = kind.of(b);
    let (lo, hi) = interval(kind, step);
    (observed.is_finite() && (observed > hi || observed < lo)).then(|| VolumeInfo {
        series: kind,
        observed,
        expected: step.mean,
        lo,
        hi,
        bucket_s,
        also: Vec::new(),
    })
}

/// The interval a bucket is held to: the forecast's, but for a count never narrower than the
/// count's own Poisson noise around the expected value (a steady 20 flows/s stream was
/// flagged for 19 against 19.2–20.3). Bytes are not counts of independent events.
fn interval(kind: SeriesKind, step: &Step) -> (f64, f64) {
    if kind == SeriesKind::Bytes {
        return (step.lo, step.hi);
    }
    let spread = 1.96 * step.mean.max(1.0).sqrt();
    (
        step.lo.min(step.mean - spread),
        step.hi.max(step.mean + spread),
    )
}

/// Closed buckets not yet compared with `fc` (`checked` holds the last bucket start compared
/// per series) that fall outside their forecast step's 95 % interval, as (bucket start, event),
/// one event per bucket: its first series out of bounds, the others under `also`.
pub fn volume_events(
    closed: &[Bucket],
    bucket_s: f64,
    fc: &Forecasts,
    checked: &mut [f64; 6],
) -> Vec<(f64, VolumeInfo)> {
    let mut events = Vec::new();
    for kind in SeriesKind::TRAFFIC {
        let s = kind.index();
        let Some(Ok(f)) = fc.get(s) else { continue };
        for b in closed {
            if b.start <= checked[s] || b.start < f.start {
                continue;
            }
            checked[s] = b.start;
            if let Some(info) =
                step_for(f, b.start, bucket_s).and_then(|st| outside(kind, b, st, bucket_s))
            {
                events.push((b.start, info));
            }
        }
    }
    // Series order within a bucket is kept (the sort is stable).
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, VolumeInfo)> = Vec::with_capacity(events.len());
    for (t, info) in events {
        match merged.last_mut() {
            Some((last, first)) if *last == t => first.also.push(info),
            _ => merged.push((t, info)),
        }
    }
    merged
}

/// The volume vote for a flow whose bucket is `b` as it stands after the flow joined it: the
/// first series whose running total has already passed its forecast's upper bound. (A bucket
/// can only be called too quiet once it has closed, so the vote is for excess alone.)
pub fn volume_vote(b: &Bucket, bucket_s: f64, fc: &Forecasts) -> Option<VolumeInfo> {
    SeriesKind::TRAFFIC.into_iter().find_map(|kind| {
        let Some(Ok(f)) = fc.get(kind.index()) else {
            return None;
        };
        let step = step_for(f, b.start, bucket_s)?;
        outside(kind, b, step, bucket_s).filter(|v| v.observed > v.hi)
    })
}

/// Forecasts for the series, in `SeriesKind::ALL` order; `Err` says why not.
pub type Forecasts = [Result<SeriesForecast, String>; 6];

/// Closed buckets to fit, their width, and which series the flows fill.
pub struct Request {
    pub id: u64,
    pub closed: Vec<Bucket>,
    pub bucket_s: f64,
    pub seen: Seen,
    /// Buckets after the closed ones, still open for late rows: the forecast reaches past
    /// them, so the pane can draw it to the right of everything shown.
    pub open: usize,
}

/// The largest share of wall time the worker spends fitting: after a round that took d it
/// rests 3d. At live rates a round (~0.1 s) is far shorter than the second between buckets;
/// in a replay at full speed buckets close faster than they can be fitted, and without the
/// rest the worker would take a core from scoring for forecasts that are replaced at once.
const FORECAST_SHARE: f64 = 0.2;

/// Most steps asked of one forecast (the lateness window in one-second buckets is 60).
const MAX_STEPS: usize = 240;

struct Slot {
    request: Option<Request>,
    result: Option<(u64, Arc<Forecasts>)>,
    sequence: Option<Arc<SequenceState>>,
    stop: bool,
}

pub struct Forecaster {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Forecaster {
    /// `wake` is called when a result is ready for `take` or `take_sequence`.
    pub fn start(min_buckets: usize, wake: super::Wake) -> Forecaster {
        let shared = Arc::new((
            Mutex::new(Slot {
                request: None,
                result: None,
                sequence: None,
                stop: false,
            }),
            Condvar::new(),
        ));
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("flowtop-forecast".into())
            .spawn(move || worker(&s, min_buckets, &*wake))
            .ok();
        Forecaster { shared, thread }
    }

    /// Asks for forecasts past the closed buckets of `r`.
    pub fn request(&self, r: Request) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.request = Some(r);
            cv.notify_one();
        }
    }

    /// A finished result, once.
    pub fn take(&self) -> Option<(u64, Arc<Forecasts>)> {
        self.shared.0.lock().ok()?.result.take()
    }

    /// A finished sequence signal, once.
    pub fn take_sequence(&self) -> Option<Arc<SequenceState>> {
        self.shared.0.lock().ok()?.sequence.take()
    }
}

impl Drop for Forecaster {
    fn drop(&mut self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.stop = true;
            cv.notify_one();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn worker(shared: &(Mutex<Slot>, Condvar), min_buckets: usize, wake: &(dyn Fn() + Send + Sync)) {
    let (lock, cv) = shared;
    let mut sequencer = Sequencer::default();
    let mut rest_until = Instant::now();
    loop {
        let job = {
            let Ok(mut slot) = lock.lock() else { return };
            loop {
                if slot.stop {
                    return;
                }
                let now = Instant::now();
                if slot.request.is_some() && now < rest_until {
                    // Resting: a newer request may still replace this one.
                    slot = match cv.wait_timeout(slot, rest_until - now) {
                        Ok((s, _)) => s,
                        Err(_) => return,
                    };
                    continue;
                }
                if let Some(job) = slot.request.take() {
                    break job;
                }
                slot = match cv.wait(slot) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
        };
        let started = Instant::now();
        let result = Arc::new(forecast_all(
            &job.closed,
            job.bucket_s,
            min_buckets,
            job.seen,
            (HORIZON + job.open).min(MAX_STEPS),
        ));
        if let Ok(mut slot) = lock.lock() {
            slot.result = Some((job.id, result));
        }
        wake();
        // After the forecasts are out: a retraining must not hold them back.
        let sequence = Arc::new(sequencer.update(&job.closed, job.bucket_s, job.seen));
        if let Ok(mut slot) = lock.lock() {
            slot.sequence = Some(sequence);
        }
        wake();
        rest_until = Instant::now() + started.elapsed().mul_f64(1.0 / FORECAST_SHARE - 1.0);
    }
}

/// Forecasts of every series from the end of `closed`; series the flows do not fill say so.
pub fn forecast_all(
    closed: &[Bucket],
    bucket_s: f64,
    min_buckets: usize,
    seen: Seen,
    horizon: usize,
) -> Forecasts {
    let start = closed.last().map_or(0.0, |b| b.start + bucket_s);
    SeriesKind::ALL.map(|kind| {
        if let Some(why) = kind.missing(&seen) {
            return Err(why.to_string());
        }
        let y: Vec<f64> = closed.iter().map(|b| kind.of(b)).collect();
        let f = auto_forecast(&y, horizon, min_buckets.max(MAX_ORDER + 8))
            .map_err(|e| e.to_string())?;
        Ok(SeriesForecast {
            order: f.model.as_ref().map(|m| [m.p, m.d, m.q]),
            constant: f.model.as_ref().is_some_and(|m| m.constant),
            aic: f.model.as_ref().map(|m| m.aic),
            fit_ms: f.fit_ms,
            start,
            bucket_s,
            steps: f.steps,
            notes: f.notes,
        })
    })
}

#[cfg(test)]
mod volume_tests {
    use super::*;

    fn forecast(start: f64, lo: f64, hi: f64) -> SeriesForecast {
        SeriesForecast {
            order: Some([0, 1, 1]),
            constant: false,
            aic: Some(1.0),
            fit_ms: 1.0,
            start,
            bucket_s: 10.0,
            steps: (0..5)
                .map(|_| Step {
                    mean: f64::midpoint(lo, hi),
                    lo,
                    hi,
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    fn bucket(start: f64, flows: u64, bytes: f64) -> Bucket {
        Bucket {
            start,
            flows,
            bytes,
            ..Default::default()
        }
    }

    fn missing() -> Result<SeriesForecast, String> {
        Err("not enough data".into())
    }

    /// A forecast of the flows series alone.
    fn flows_only(f: SeriesForecast) -> Forecasts {
        let mut fc: Forecasts = std::array::from_fn(|_| missing());
        fc[0] = Ok(f);
        fc
    }

    #[test]
    fn closed_buckets_outside_the_interval_become_events_once() {
        let fc: Forecasts = [
            Ok(forecast(100.0, 10.0, 20.0)),
            Ok(forecast(100.0, 1000.0, 2000.0)),
            missing(),
            missing(),
            Ok(forecast(100.0, 0.0, 4.0)),
            missing(),
        ];
        let mut scan = bucket(110.0, 35, 500.0); // flows above, bytes below
        scan.destinations = 9; // and a jump in distinct destinations
        let closed = vec![
            bucket(90.0, 50, 1500.0),  // before the forecast: not compared
            bucket(100.0, 15, 1500.0), // inside both
            scan,
        ];
        let mut checked = [f64::NEG_INFINITY; 6];
        let events = volume_events(&closed, 10.0, &fc, &mut checked);
        assert_eq!(events.len(), 1, "one event per bucket");
        let (t, first) = &events[0];
        let got: Vec<(&str, f64)> = std::iter::once(first)
            .chain(&first.also)
            .map(|v| (v.series.name(), v.observed))
            .collect();
        assert_eq!(*t, 110.0);
        assert_eq!(
            got,
            vec![("flows", 35.0), ("bytes", 500.0), ("destinations", 9.0)]
        );
        assert!(volume_events(&closed, 10.0, &fc, &mut checked).is_empty());
        // Buckets of another width are not compared with this forecast.
        let mut fresh = [f64::NEG_INFINITY; 6];
        assert!(volume_events(&closed, 20.0, &fc, &mut fresh).is_empty());
    }

    /// A steady stream's count is not an event for missing a too-narrow interval by one.
    #[test]
    fn a_count_is_held_to_at_least_its_poisson_interval() {
        let fc = flows_only(forecast(100.0, 19.2, 20.3));
        let steady = vec![bucket(100.0, 19, 0.0), bucket(110.0, 27, 0.0)];
        assert!(volume_events(&steady, 10.0, &fc, &mut [f64::NEG_INFINITY; 6]).is_empty());
        let burst = vec![bucket(100.0, 40, 0.0)];
        let events = volume_events(&burst, 10.0, &fc, &mut [f64::NEG_INFINITY; 6]);
        assert_eq!(events.len(), 1);
        let v = &events[0].1;
        assert!(
            v.lo < 12.0 && v.hi > 28.0,
            "the interval shown is the one used: {v:?}"
        );
    }

    #[test]
    fn a_forecast_without_an_interval_flags_nothing() {
        let fc = flows_only(forecast(100.0, 10.0, 10.0));
        let closed = vec![bucket(100.0, 500, 0.0)];
        assert!(volume_events(&closed, 10.0, &fc, &mut [f64::NEG_INFINITY; 6]).is_empty());
        assert!(volume_vote(&closed[0], 10.0, &fc).is_none());
    }

    #[test]
    fn the_vote_is_cast_once_a_filling_bucket_passes_its_upper_bound() {
        let fc = flows_only(forecast(100.0, 10.0, 20.0));
        // Expected 15 flows: the Poisson bound 15 + 1.96·√15 ≈ 22.6 is wider than 20.
        assert!(volume_vote(&bucket(120.0, 22, 0.0), 10.0, &fc).is_none());
        let v = volume_vote(&bucket(120.0, 23, 0.0), 10.0, &fc).expect("over the bound");
        assert_eq!((v.series.name(), v.observed), ("flows", 23.0));
        assert!(
            (v.hi - (15.0 + 1.96 * 15f64.sqrt())).abs() < 1e-9,
            "{}",
            v.hi
        );
        assert!(
            volume_vote(&bucket(120.0, 1, 0.0), 10.0, &fc).is_none(),
            "too quiet is not a vote"
        );
        assert!(
            volume_vote(&bucket(90.0, 99, 0.0), 10.0, &fc).is_none(),
            "before the forecast"
        );
    }
}
