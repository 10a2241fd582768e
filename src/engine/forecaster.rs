//! The live forecasts: a worker thread refits the automatic ARIMA on the engine's bucketed
//! series (flows, bytes, anomalies) whenever a bucket closes, at most once a second. Requests
//! are single-slot: a new one replaces a waiting one (the latest wins), so a fast replay never
//! queues stale work and ingest never waits for a fit.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;

use super::Bucket;
use crate::forecast::{MAX_ORDER, Step, auto_forecast};

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

/// Closed buckets (all but the last, still filling) of flows and bytes not yet compared with
/// `fc` (`checked` holds the last bucket start compared per series) that fall outside their
/// forecast step's 95 % interval, as (bucket start, event).
pub fn volume_events(
    buckets: &[Bucket],
    bucket_s: f64,
    fc: &Forecasts,
    checked: &mut [f64; 2],
) -> Vec<(f64, super::VolumeInfo)> {
    let closed = &buckets[..buckets.len().saturating_sub(1)];
    let mut events = Vec::new();
    for (s, name) in ["flows", "bytes"].into_iter().enumerate() {
        let Some(Ok(f)) = fc.get(s) else { continue };
        // A forecast on buckets of another width (a replay's buckets just doubled).
        if (f.bucket_s - bucket_s).abs() > 1e-9 * bucket_s.max(1.0) {
            continue;
        }
        for b in closed {
            if b.start <= checked[s] || b.start < f.start {
                continue;
            }
            checked[s] = b.start;
            let idx = ((b.start - f.start) / f.bucket_s).round() as usize;
            let Some(step) = f.steps.get(idx) else {
                continue;
            };
            // A fallback without an interval (constant series) flags nothing.
            if step.hi.partial_cmp(&step.lo) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let observed = if s == 0 { b.flows as f64 } else { b.bytes };
            if observed.is_finite() && (observed > step.hi || observed < step.lo) {
                events.push((
                    b.start,
                    super::VolumeInfo {
                        series: name.into(),
                        observed,
                        expected: step.mean,
                        lo: step.lo,
                        hi: step.hi,
                        bucket_s,
                    },
                ));
            }
        }
    }
    events
}

/// Forecasts for the three series, in `app::SeriesKind::ALL` order; `Err` says why not.
pub type Forecasts = [Result<SeriesForecast, String>; 3];

struct Slot {
    request: Option<(u64, Vec<Bucket>, f64)>,
    result: Option<(u64, Arc<Forecasts>)>,
    stop: bool,
}

pub struct Forecaster {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Forecaster {
    pub fn start(min_buckets: usize) -> Forecaster {
        let shared = Arc::new((
            Mutex::new(Slot {
                request: None,
                result: None,
                stop: false,
            }),
            Condvar::new(),
        ));
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("flowtop-forecast".into())
            .spawn(move || worker(&s, min_buckets))
            .ok();
        Forecaster { shared, thread }
    }

    /// Asks for forecasts of `buckets` (the last one still filling is left out of the fit).
    pub fn request(&self, id: u64, buckets: Vec<Bucket>, bucket_s: f64) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut slot) = lock.lock() {
            slot.request = Some((id, buckets, bucket_s));
            cv.notify_one();
        }
    }

    /// A finished result, once.
    pub fn take(&self) -> Option<(u64, Arc<Forecasts>)> {
        self.shared.0.lock().ok()?.result.take()
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

fn worker(shared: &(Mutex<Slot>, Condvar), min_buckets: usize) {
    let (lock, cv) = shared;
    loop {
        let job = {
            let Ok(mut slot) = lock.lock() else { return };
            loop {
                if slot.stop {
                    return;
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
        let (id, buckets, bucket_s) = job;
        let result = Arc::new(forecast_all(&buckets, bucket_s, min_buckets));
        if let Ok(mut slot) = lock.lock() {
            slot.result = Some((id, result));
        }
    }
}

pub fn forecast_all(buckets: &[Bucket], bucket_s: f64, min_buckets: usize) -> Forecasts {
    let complete = &buckets[..buckets.len().saturating_sub(1)];
    let start = complete.last().map_or(0.0, |b| b.start + bucket_s);
    let one = |y: Vec<f64>| -> Result<SeriesForecast, String> {
        let f = auto_forecast(&y, HORIZON, min_buckets.max(MAX_ORDER + 8))
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
    };
    [
        one(complete.iter().map(|b| b.flows as f64).collect()),
        one(complete.iter().map(|b| b.bytes).collect()),
        one(complete.iter().map(|b| b.anomalies as f64).collect()),
    ]
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
                    mean: (lo + hi) / 2.0,
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
            anomalies: 0,
        }
    }

    #[test]
    fn closed_buckets_outside_the_interval_become_events_once() {
        let fc: Forecasts = [
            Ok(forecast(100.0, 10.0, 20.0)),
            Ok(forecast(100.0, 1000.0, 2000.0)),
            Err("not enough data".into()),
        ];
        let buckets = vec![
            bucket(90.0, 50, 1500.0),  // before the forecast: not compared
            bucket(100.0, 15, 1500.0), // inside both
            bucket(110.0, 35, 500.0),  // flows above, bytes below
            bucket(120.0, 99, 9e9),    // still filling: not compared
        ];
        let mut checked = [f64::NEG_INFINITY; 2];
        let events = volume_events(&buckets, 10.0, &fc, &mut checked);
        let got: Vec<(f64, &str, f64)> = events
            .iter()
            .map(|(t, v)| (*t, v.series.as_str(), v.observed))
            .collect();
        assert_eq!(got, vec![(110.0, "flows", 35.0), (110.0, "bytes", 500.0)]);
        assert!(volume_events(&buckets, 10.0, &fc, &mut checked).is_empty());
        // Buckets of another width are not compared with this forecast.
        let mut fresh = [f64::NEG_INFINITY; 2];
        assert!(volume_events(&buckets, 20.0, &fc, &mut fresh).is_empty());
    }

    #[test]
    fn a_forecast_without_an_interval_flags_nothing() {
        let fc: Forecasts = [
            Ok(forecast(100.0, 10.0, 10.0)),
            Err("constant".into()),
            Err("constant".into()),
        ];
        let buckets = vec![bucket(100.0, 500, 0.0), bucket(110.0, 1, 0.0)];
        assert!(volume_events(&buckets, 10.0, &fc, &mut [f64::NEG_INFINITY; 2]).is_empty());
    }
}
