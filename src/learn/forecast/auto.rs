//! Automatic ARIMA as auto.arima's stepwise search (Hyndman & Khandakar 2008): d from KPSS,
//! then from (2,d,2), (0,d,0), (1,d,0), (0,d,1) move to the best neighbour (p ± 1, q ± 1,
//! both, the constant on or off) while `AICc` improves; p, q ≤ 5, at most 60 fits. Guarded: too
//! few points, a constant series, non-finite values, single spikes, and forecasts that leave
//! the history's range far behind each get a stated fallback.

use std::time::Instant;

use serde::Serialize;

use super::arima::{ArimaModel, Method, Step, fit, fit_with};
use super::kpss::ndiffs;

pub const MAX_ORDER: usize = 5;
const MAX_FITS: usize = 60;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AutoForecast {
    /// `None` when no model was fitted (constant series): the forecast is the last value.
    pub model: Option<ArimaModel>,
    pub steps: Vec<Step>,
    pub fits: usize,
    pub fit_ms: f64,
    /// What the guards did, for the operator ("2 spikes damped", "fell back to …").
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("not enough data yet ({have}/{need} buckets)")]
    TooShort { have: usize, need: usize },
}

/// Replaces non-finite values by their predecessor and damps isolated spikes (a point more
/// than 10 robust deviations from the median with ordinary neighbours) to the neighbours' mean.
fn clean(y: &[f64], notes: &mut Vec<String>) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(y.len());
    let mut fixed = 0;
    for &v in y {
        if v.is_finite() {
            out.push(v);
        } else {
            fixed += 1;
            out.push(out.last().copied().unwrap_or(0.0));
        }
    }
    if fixed > 0 {
        notes.push(format!("{fixed} missing values carried forward"));
    }
    let mut sorted = out.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut dev: Vec<f64> = out.iter().map(|v| (v - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev[dev.len() / 2] * 1.4826;
    if mad > 0.0 {
        let far = |v: f64| (v - median).abs() > 10.0 * mad;
        let mut damped = 0;
        for i in 1..out.len().saturating_sub(1) {
            if far(out[i]) && !far(out[i - 1]) && !far(out[i + 1]) {
                out[i] = 0.5 * (out[i - 1] + out[i + 1]);
                damped += 1;
            }
        }
        if damped > 0 {
            notes.push(format!("{damped} single spikes damped"));
        }
    }
    out
}

fn score(m: &ArimaModel) -> f64 {
    if m.aicc.is_finite() { m.aicc } else { m.aic }
}

/// Chooses an order, fits it and forecasts `h` steps. `min_len` points are needed.
pub fn auto_forecast(y: &[f64], h: usize, min_len: usize) -> Result<AutoForecast, ForecastError> {
    let start = Instant::now();
    if y.len() < min_len.max(8) {
        return Err(ForecastError::TooShort {
            have: y.len(),
            need: min_len.max(8),
        });
    }
    let mut notes = Vec::new();
    let y = clean(y, &mut notes);
    let last = *y.last().unwrap_or(&0.0);
    if y.iter().all(|v| *v == y[0]) {
        notes.push("constant series: forecast = last value".into());
        return Ok(AutoForecast {
            model: None,
            steps: vec![
                Step {
                    mean: last,
                    lo: last,
                    hi: last
                };
                h
            ],
            fits: 0,
            fit_ms: start.elapsed().as_secs_f64() * 1e3,
            notes,
        });
    }
    let d = ndiffs(&y);
    let mut tried: Vec<(usize, usize, bool)> = Vec::new();
    let mut best: Option<ArimaModel> = None;
    let mut consider = |p: usize, q: usize, c: bool, best: &mut Option<ArimaModel>| -> bool {
        if p > MAX_ORDER || q > MAX_ORDER || tried.contains(&(p, q, c)) || tried.len() >= MAX_FITS {
            return false;
        }
        tried.push((p, q, c));
        // The search ranks orders by the conditional-sum-of-squares likelihood, all conditioned
        // on the same first MAX_ORDER points so their AICc compare; the winner is refitted
        // exactly below (auto.arima's `approximation`).
        match fit_with(&y, p, d, q, c, Method::Css { cond: MAX_ORDER }, None) {
            Some(m) if best.as_ref().is_none_or(|b| score(&m) < score(b)) => {
                *best = Some(m);
                true
            }
            _ => false,
        }
    };
    let with_constant = d <= 1;
    for (p, q) in [(2, 2), (0, 0), (1, 0), (0, 1)] {
        consider(p, q, with_constant, &mut best);
    }
    if d == 0 {
        consider(0, 0, false, &mut best);
    }
    while let Some(b) = best.clone() {
        let (p, q, c) = (b.p, b.q, b.constant);
        let mut moves: Vec<(isize, isize, bool)> = vec![
            (-1, 0, c),
            (1, 0, c),
            (0, -1, c),
            (0, 1, c),
            (-1, -1, c),
            (1, 1, c),
            (-1, 1, c),
            (1, -1, c),
        ];
        if d <= 1 {
            moves.push((0, 0, !c));
        }
        let mut improved = false;
        for (dp, dq, nc) in moves {
            let (np, nq) = (p as isize + dp, q as isize + dq);
            if np < 0 || nq < 0 {
                continue;
            }
            if consider(np as usize, nq as usize, nc, &mut best) {
                improved = true;
                break;
            }
        }
        if !improved {
            break;
        }
    }
    let fits = tried.len();
    let exact = best
        .as_ref()
        .and_then(|b| fit_with(&y, b.p, d, b.q, b.constant, Method::Exact, Some(b)));
    let Some(mut model) = exact else {
        notes.push("no ARIMA order could be fitted: forecast = last value".into());
        return Ok(naive(&y, h, fits, start, notes));
    };
    if !model.converged {
        notes.push(format!(
            "ARIMA({},{},{}) did not converge fully",
            model.p, model.d, model.q
        ));
    }
    let mut steps = model.forecast(&y, h);
    // A forecast that runs far outside the history is not believed: fall back to ARIMA(0,1,1).
    let (lo, hi) = y
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let range = (hi - lo).max(1e-9);
    let wild = |s: &[Step]| {
        s.iter()
            .any(|s| !s.mean.is_finite() || s.mean < lo - range || s.mean > hi + range)
    };
    if steps.as_deref().is_none_or(wild) {
        let was = format!("ARIMA({},{},{})", model.p, model.d, model.q);
        match fit(&y, 0, 1, 1, false) {
            Some(simple) if simple.forecast(&y, h).as_deref().is_some_and(|s| !wild(s)) => {
                notes.push(format!(
                    "{was} forecast left the history's range: fell back to ARIMA(0,1,1)"
                ));
                steps = simple.forecast(&y, h);
                model = simple;
            }
            _ => {
                notes.push(format!(
                    "{was} forecast left the history's range: forecast = last value"
                ));
                return Ok(naive(&y, h, fits, start, notes));
            }
        }
    }
    Ok(AutoForecast {
        model: Some(model),
        steps: steps.unwrap_or_default(),
        fits,
        fit_ms: start.elapsed().as_secs_f64() * 1e3,
        notes,
    })
}

/// The last value, with the interval of a random walk fitted to the history.
fn naive(y: &[f64], h: usize, fits: usize, start: Instant, notes: Vec<String>) -> AutoForecast {
    let last = *y.last().unwrap_or(&0.0);
    let dy: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let s2 = dy.iter().map(|v| v * v).sum::<f64>() / dy.len().max(1) as f64;
    AutoForecast {
        model: None,
        steps: (1..=h)
            .map(|k| {
                let half = 1.96 * (s2 * k as f64).sqrt();
                Step {
                    mean: last,
                    lo: last - half,
                    hi: last + half,
                }
            })
            .collect(),
        fits,
        fit_ms: start.elapsed().as_secs_f64() * 1e3,
        notes,
    }
}
