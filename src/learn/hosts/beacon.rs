//! Beacon detection: a host that calls the same service at a steady rhythm with
//! same-sized, same-length connections for much of the capture — command-and-control
//! check-ins, as RITA scores them. Per (source, destination, destination port, protocol) with
//! at least `MIN_CONNECTIONS` timed connections, four sub-scores in [0, 1], weighted equally:
//!
//! - `interval`: how regular the gaps between connections are: (1 − |Bowley skewness| of the
//!   gaps) × (1 − their median absolute deviation ÷ their median) (relative,
//!   so a 60 s beacon with a few seconds of jitter scores as high as a 5 s one). Gaps of zero
//!   median (bursts) score 0.
//! - `size`: the same regularity over the bytes of each connection.
//! - `duration`: the same over connection durations (left out, and the weights shared by the
//!   other three, when the format or the pair has none).
//! - `coverage`: the share of the capture, cut into `COVERAGE_BINS` equal spans, in which the
//!   pair was seen: a beacon runs all the time, a burst of regular connections does not.
//!
//! Memory is bounded: at most `MAX_SAMPLES` connections are kept per pair (every other one
//! dropped each time they fill, so they still span the capture), and at most twice `capacity`
//! pairs, the pairs with the fewest connections folded away when that fills.

use std::collections::HashMap;

use serde::Serialize;

use crate::flows::schema::{FlowRecord, Text};
use crate::learn::metrics;

fn median(v: &[f64]) -> f64 {
    metrics::median(v.to_vec())
}

/// Fewest timed connections a pair needs to be scored.
pub const MIN_CONNECTIONS: usize = 10;
/// Connections kept per pair for the sub-scores.
pub const MAX_SAMPLES: usize = 500;
/// Spans the capture is cut into for `coverage`.
pub const COVERAGE_BINS: usize = 24;
/// Pairs kept after a fold.
pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PairKey {
    src: Text,
    dst: Text,
    dport: Option<u16>,
    proto: Option<Text>,
}

#[derive(Debug)]
struct Pair {
    connections: u64,
    /// Connections it may have had before it was (re)admitted (as in `top`).
    uncertain: u64,
    /// (time, bytes, duration) of every `stride`-th connection, at most `MAX_SAMPLES`.
    samples: Vec<(f64, f32, f32)>,
    /// Doubles each time the samples fill, and every other one is dropped: a steady rhythm
    /// stays steady (its gaps double) and the samples keep spanning the whole capture.
    stride: u64,
    first: f64,
    last: f64,
    bytes: f64,
}

/// One scored pair.
#[derive(Debug, Clone, Serialize)]
pub struct Beacon {
    pub src: String,
    pub dst: String,
    pub dport: Option<u16>,
    pub proto: Option<String>,
    /// Weighted sum of the sub-scores, in [0, 1].
    pub score: f64,
    pub interval: f64,
    pub size: f64,
    /// `None` when the flows carry no durations.
    pub duration: Option<f64>,
    pub coverage: f64,
    pub connections: u64,
    /// Median gap between connections, seconds.
    pub median_interval_s: f64,
    /// Median bytes per connection.
    pub median_bytes: f64,
    pub first: f64,
    pub last: f64,
    pub total_bytes: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BeaconReport {
    /// Best first.
    pub beacons: Vec<Beacon>,
    /// Pairs with enough timed connections to score.
    pub scored_pairs: u64,
    /// Pairs seen (an upper bound once pairs were folded).
    pub pairs: u64,
    pub folded_pairs: u64,
    /// Flows without a time, source or destination, which cannot be placed.
    pub untimed: u64,
    pub flows: u64,
    /// The weights of interval, size, duration and coverage.
    pub weights: [f64; 4],
}

pub struct BeaconFinder {
    pairs: HashMap<PairKey, Pair>,
    capacity: usize,
    seen: u64,
    folded: u64,
    /// The most connections a folded pair may have had.
    floor: u64,
    untimed: u64,
    flows: u64,
    span: (f64, f64),
    durations: bool,
}

impl BeaconFinder {
    pub fn new(capacity: usize) -> BeaconFinder {
        BeaconFinder {
            pairs: HashMap::new(),
            capacity: capacity.max(1),
            seen: 0,
            folded: 0,
            floor: 0,
            untimed: 0,
            flows: 0,
            span: (f64::INFINITY, f64::NEG_INFINITY),
            durations: false,
        }
    }

    pub fn add(&mut self, flow: &FlowRecord) {
        self.flows += 1;
        let m = &flow.meta;
        let (Some(ts), Some(src), Some(dst)) = (flow.ts.filter(|t| t.is_finite()), &m.src, &m.dst)
        else {
            self.untimed += 1;
            return;
        };
        self.span = (self.span.0.min(ts), self.span.1.max(ts));
        let c = &flow.core;
        let bytes = c
            .bytes_seen()
            .filter(|b| b.is_finite() && *b >= 0.0)
            .unwrap_or(0.0);
        let duration = c.duration.filter(|d| d.is_finite() && *d >= 0.0);
        self.durations |= duration.is_some();
        let key = PairKey {
            src: src.clone(),
            dst: dst.clone(),
            dport: m.dport,
            proto: m.proto.clone(),
        };
        let floor = self.floor;
        let p = self.pairs.entry(key).or_insert_with(|| Pair {
            connections: 0,
            uncertain: floor,
            samples: Vec::new(),
            stride: 1,
            first: ts,
            last: ts,
            bytes: 0.0,
        });
        if p.connections == 0 {
            self.seen += 1;
        }
        if p.connections.is_multiple_of(p.stride) {
            if p.samples.len() == MAX_SAMPLES {
                let mut i = 0;
                p.samples.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                p.stride *= 2;
            }
            if p.connections.is_multiple_of(p.stride) {
                p.samples
                    .push((ts, bytes as f32, duration.unwrap_or(f64::NAN) as f32));
            }
        }
        p.connections += 1;
        p.first = p.first.min(ts);
        p.last = p.last.max(ts);
        p.bytes += bytes;
        if self.pairs.len() >= 2 * self.capacity {
            self.fold();
        }
    }

    /// Keeps the `capacity` pairs that may have the most connections (Space-Saving's
    /// estimate: a pair folded early and seen again comes back above the pairs seen once).
    fn fold(&mut self) {
        let mut all: Vec<(PairKey, Pair)> = self.pairs.drain().collect();
        let keep = self.capacity.min(all.len());
        let estimate = |p: &Pair| p.connections + p.uncertain;
        all.select_nth_unstable_by(keep.saturating_sub(1), |a, b| {
            estimate(&b.1).cmp(&estimate(&a.1))
        });
        self.folded += (all.len() - keep) as u64;
        for (_, p) in all.drain(keep..) {
            self.floor = self.floor.max(estimate(&p));
        }
        self.pairs.extend(all);
    }

    /// The pairs scoring at least `min_score`, best first, at most `n`.
    pub fn report(&self, min_score: f64, n: usize) -> BeaconReport {
        let weights = if self.durations {
            [0.25; 4]
        } else {
            [1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]
        };
        let mut scored = 0;
        let mut beacons: Vec<Beacon> = self
            .pairs
            .iter()
            .filter(|(_, p)| p.connections >= MIN_CONNECTIONS as u64)
            .filter_map(|(k, p)| {
                scored += 1;
                let b = self.score(k, p, weights);
                (b.score >= min_score).then_some(b)
            })
            .collect();
        beacons.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.connections.cmp(&a.connections))
        });
        beacons.truncate(n);
        BeaconReport {
            beacons,
            scored_pairs: scored,
            pairs: self.seen,
            folded_pairs: self.folded,
            untimed: self.untimed,
            flows: self.flows,
            weights,
        }
    }

    fn score(&self, k: &PairKey, p: &Pair, weights: [f64; 4]) -> Beacon {
        let mut s = p.samples.clone();
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let gaps: Vec<f64> = s.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let sizes: Vec<f64> = s.iter().map(|x| f64::from(x.1)).collect();
        let durations: Vec<f64> = s
            .iter()
            .map(|x| f64::from(x.2))
            .filter(|d| d.is_finite())
            .collect();
        let interval = regularity(&gaps, false);
        let size = regularity(&sizes, true);
        let duration = (self.durations && durations.len() >= MIN_CONNECTIONS)
            .then(|| regularity(&durations, true));
        let coverage = coverage(s.iter().map(|x| x.0), self.span);
        // A pair without durations (UDP, unset cells) is scored on the other three.
        let (d, wd) = duration.map_or((0.0, 0.0), |d| (d, weights[2]));
        let score = (weights[0] * interval + weights[1] * size + wd * d + weights[3] * coverage)
            / (weights[0] + weights[1] + wd + weights[3]);
        Beacon {
            src: k.src.to_string(),
            dst: k.dst.to_string(),
            dport: k.dport,
            proto: k.proto.as_ref().map(ToString::to_string),
            score: score.clamp(0.0, 1.0),
            interval,
            size,
            duration,
            coverage,
            connections: p.connections,
            median_interval_s: median(&gaps) / p.stride as f64,
            median_bytes: median(&sizes),
            first: p.first,
            last: p.last,
            total_bytes: p.bytes,
        }
    }
}

/// Bowley's quartile skewness, in [−1, 1]; 0 for a symmetric or a constant sample, and (as
/// RITA has it) when the median sits on a quartile: times and sizes are often whole numbers,
/// and a steady beacon's gaps of 5, 5, 5, 6 would otherwise read as wholly skewed.
fn bowley(v: &[f64]) -> f64 {
    let q = |p: f64| quantile(v, p);
    let (q1, q2, q3) = (q(0.25), q(0.5), q(0.75));
    let tie = f64::EPSILON * q2.abs().max(1.0);
    if q3 - q1 <= tie || q2 - q1 <= tie || q3 - q2 <= tie {
        0.0
    } else {
        ((q3 + q1 - 2.0 * q2) / (q3 - q1)).clamp(-1.0, 1.0)
    }
}

/// Linear-interpolated quantile of an unsorted sample.
fn quantile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let at = p * (s.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (at - lo as f64)
}

/// 1 for a sample whose values are all alike, towards 0 as they spread or skew. A zero
/// median counts as regular only where zero is a value (sizes, durations), not for gaps.
fn regularity(v: &[f64], zero_is_a_value: bool) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let med = median(v);
    let deviations: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    let madm = median(&deviations);
    let spread = if med > 0.0 {
        (1.0 - madm / med).max(0.0)
    } else if zero_is_a_value && madm == 0.0 {
        1.0
    } else {
        return 0.0;
    };
    // Both must hold: a symmetric but wide spread (uniform sizes) is not regular.
    (1.0 - bowley(v).abs()) * spread
}

/// Share of `COVERAGE_BINS` equal spans of `span` holding at least one of `times`.
fn coverage(times: impl Iterator<Item = f64>, span: (f64, f64)) -> f64 {
    let width = span.1 - span.0;
    if width <= 0.0 || !width.is_finite() {
        return 0.0;
    }
    let mut hit = [false; COVERAGE_BINS];
    for t in times {
        let bin = (((t - span.0) / width) * COVERAGE_BINS as f64) as usize;
        hit[bin.min(COVERAGE_BINS - 1)] = true;
    }
    hit.iter().filter(|h| **h).count() as f64 / COVERAGE_BINS as f64
}

#[cfg(test)]
mod tests;
