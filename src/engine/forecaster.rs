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
