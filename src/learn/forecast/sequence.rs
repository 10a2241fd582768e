//! The sequence detector: an LSTM autoencoder over sliding windows of the bucketed series
//! (flows, bytes, packets, distinct hosts). An encoder LSTM reads a window into its last
//! hidden state; a decoder LSTM fed that state at every step rebuilds the window through a
//! linear output. A window's score is its mean squared reconstruction error, calibrated like
//! every other detector, on windows of the newest quarter of the history, which training does
//! not see (0.99 = worse than 99 % of recent windows the model had not learnt). It catches
//! shapes a per-bucket interval cannot: a familiar volume with an unfamiliar mix, or a rhythm
//! that stops.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use thiserror::Error;

use super::lstm::Lstm;
use crate::learn::detect::Calibration;
use crate::learn::nn::AdamStep;

#[derive(Debug, Clone)]
pub struct SequenceOptions {
    /// Buckets per window.
    pub window: usize,
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl Default for SequenceOptions {
    fn default() -> Self {
        SequenceOptions {
            window: 12,
            hidden: 12,
            epochs: 40,
            batch: 32,
            learning_rate: 0.01,
            seed: 42,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum SequenceError {
    #[error("not enough data yet ({have}/{need} buckets)")]
    TooShort { have: usize, need: usize },
    #[error("no series to learn from")]
    NoSeries,
}

/// Share of the history (its newest buckets) kept out of training to calibrate on. A network
/// this size memorises a short history: calibrated on its own training windows, every new
/// window would look worse than all of them and score 1.0.
const HOLDOUT_SHARE: f64 = 0.25;
/// Held-out windows needed for a calibration worth the name: with 8 (a 76-bucket history),
/// half of all fresh windows of unchanged traffic scored 0.99 or more.
const MIN_CALIBRATION_WINDOWS: usize = 24;

/// Buckets needed: enough that the held-out quarter holds `MIN_CALIBRATION_WINDOWS` windows
/// (140 for 12-bucket windows).
pub fn min_buckets(window: usize) -> usize {
    4 * (window + MIN_CALIBRATION_WINDOWS - 1)
}

#[derive(Debug, Clone)]
struct Net {
    enc: Lstm,
    dec: Lstm,
    out_w: Array2<f64>,
    out_b: Array1<f64>,
}

#[derive(Debug, Clone)]
pub struct SequenceModel {
    net: Net,
    /// Per input column: mean and spread of log1p(value) on the training buckets.
    scale: Vec<(f64, f64)>,
    pub window: usize,
    calibration: Calibration,
    pub train_windows: usize,
    /// Held-out windows the calibration was fitted on.
    pub calibration_windows: usize,
    pub train_ms: f64,
    /// Mean squared error on the training windows after the last epoch.
    pub train_loss: f64,
}

/// One scored window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowScore {
    /// Index (in the scored data) of the window's last bucket.
    pub end: usize,
    pub raw: f64,
    pub calibrated: f64,
    /// The input column with the largest share of the error.
    pub top: usize,
}

impl Net {
    fn new(inputs: usize, hidden: usize, rng: &mut StdRng) -> Net {
        use rand::Rng;
        let limit = (6.0 / (hidden + inputs) as f64).sqrt();
        Net {
            enc: Lstm::new(inputs, hidden, rng),
            dec: Lstm::new(hidden, hidden, rng),
            out_w: Array2::from_shape_fn((hidden, inputs), |_| rng.gen_range(-limit..limit)),
            out_b: Array1::zeros(inputs),
        }
    }

    /// Reconstructions of the windows in `xs` (one batch × inputs matrix per step).
    fn forward(&self, xs: &[ArrayView2<f64>]) -> Forward {
        let enc = self.enc.forward(xs);
        let code = enc
            .hs
            .last()
            .cloned()
            .unwrap_or_else(|| Array2::zeros((0, 0)));
        let repeated: Vec<ArrayView2<f64>> = xs.iter().map(|_| code.view()).collect();
        let dec = self.dec.forward(&repeated);
        let ys = dec
            .hs
            .iter()
            .map(|h| h.dot(&self.out_w) + &self.out_b)
            .collect();
        Forward { enc, dec, ys }
    }

    /// Gradients of the mean squared error over all cells, and that error.
    fn gradients(&self, xs: &[ArrayView2<f64>]) -> (Net, f64) {
        let f = self.forward(xs);
        let cells = xs.iter().map(|x| x.len()).sum::<usize>().max(1) as f64;
        let mut loss = 0.0;
        let mut out_w = Array2::zeros(self.out_w.raw_dim());
        let mut out_b = Array1::zeros(self.out_b.len());
        let mut dh_dec = Vec::with_capacity(xs.len());
        for ((y, x), h) in f.ys.iter().zip(xs).zip(&f.dec.hs) {
            let diff = y - x;
            loss += diff.iter().map(|d| d * d).sum::<f64>();
            let dy = diff * (2.0 / cells);
            out_w += &h.t().dot(&dy);
            out_b += &dy.sum_axis(Axis(0));
            dh_dec.push(dy.dot(&self.out_w.t()));
        }
        let (dec, dcodes) = self.dec.backward(&f.dec, &dh_dec);
        let mut dh_enc: Vec<Array2<f64>> = f
            .enc
            .hs
            .iter()
            .map(|h| Array2::zeros(h.raw_dim()))
            .collect();
        if let Some(last) = dh_enc.last_mut() {
            for d in &dcodes {
                *last += d;
            }
        }
        let (enc, _) = self.enc.backward(&f.enc, &dh_enc);
        let grads = Net {
            enc,
            dec,
            out_w,
            out_b,
        };
        (grads, loss / cells)
    }

    fn zeros_like(&self) -> Net {
        Net {
            enc: self.enc.zeros_like(),
            dec: self.dec.zeros_like(),
            out_w: Array2::zeros(self.out_w.raw_dim()),
            out_b: Array1::zeros(self.out_b.len()),
        }
    }
}

struct Forward {
    enc: super::lstm::Trace,
    dec: super::lstm::Trace,
    ys: Vec<Array2<f64>>,
}

/// Adam over the eight parameter arrays of a `Net`.
struct Adam {
    m: Net,
    v: Net,
    t: i32,
    lr: f64,
}

impl Adam {
    fn apply(&mut self, net: &mut Net, g: &Net) {
        /// Gradient norm above which the step is scaled down (exploding gradients in BPTT).
        const MAX_NORM: f64 = 5.0;
        self.t += 1;
        let norm = full_norm(g);
        let clip = if norm > MAX_NORM {
            MAX_NORM / norm
        } else {
            1.0
        };
        let step = AdamStep::new(self.lr, self.t, clip);
        for (p, g, m, v) in [
            (&mut net.enc, &g.enc, &mut self.m.enc, &mut self.v.enc),
            (&mut net.dec, &g.dec, &mut self.m.dec, &mut self.v.dec),
        ] {
            step.apply(&mut p.w, &g.w, &mut m.w, &mut v.w);
            step.apply(&mut p.u, &g.u, &mut m.u, &mut v.u);
            step.apply(&mut p.b, &g.b, &mut m.b, &mut v.b);
        }
        step.apply(
            &mut net.out_w,
            &g.out_w,
            &mut self.m.out_w,
            &mut self.v.out_w,
        );
        step.apply(
            &mut net.out_b,
            &g.out_b,
            &mut self.m.out_b,
            &mut self.v.out_b,
        );
    }
}

fn full_norm(g: &Net) -> f64 {
    let sq = |a: f64, v: &f64| a + v * v;
    let lstm =
        |l: &Lstm| l.w.iter().fold(0.0, sq) + l.u.iter().fold(0.0, sq) + l.b.iter().fold(0.0, sq);
    (lstm(&g.enc) + lstm(&g.dec) + g.out_w.iter().fold(0.0, sq) + g.out_b.iter().fold(0.0, sq))
        .sqrt()
}

/// Windows starting at `starts` as one batch × columns matrix per step.
fn batch(data: &Array2<f64>, starts: &[usize], window: usize) -> Vec<Array2<f64>> {
    (0..window)
        .map(|t| {
            let mut m = Array2::zeros((starts.len(), data.ncols()));
            for (r, &s0) in starts.iter().enumerate() {
                m.row_mut(r).assign(&data.row(s0 + t));
            }
            m
        })
        .collect()
}

impl SequenceModel {
    /// Trains on every window of `data` (buckets × series, raw counts).
    pub fn fit(
        data: ArrayView2<f64>,
        opts: &SequenceOptions,
    ) -> Result<SequenceModel, SequenceError> {
        let started = Instant::now();
        let window = opts.window.max(2);
        let need = min_buckets(window);
        if data.ncols() == 0 {
            return Err(SequenceError::NoSeries);
        }
        if data.nrows() < need {
            return Err(SequenceError::TooShort {
                have: data.nrows(),
                need,
            });
        }
        // Train on the older buckets, calibrate on windows wholly inside the newest quarter.
        let cut = data.nrows() - (data.nrows() as f64 * HOLDOUT_SHARE).ceil() as usize;
        let older = data.slice_axis(Axis(0), Slice::from(0..cut));
        let scale: Vec<(f64, f64)> = older
            .columns()
            .into_iter()
            .map(|c| {
                let v: Vec<f64> = c.iter().map(|x| squash(*x)).collect();
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
                // A constant column stays at zero rather than blowing up.
                (mean, if var.sqrt() > 1e-9 { var.sqrt() } else { 1.0 })
            })
            .collect();
        let mut model = SequenceModel {
            net: Net::new(
                data.ncols(),
                opts.hidden.max(1),
                &mut StdRng::seed_from_u64(opts.seed),
            ),
            scale,
            window,
            calibration: Calibration::fit(&[0.0]),
            train_windows: 0,
            calibration_windows: 0,
            train_ms: 0.0,
            train_loss: f64::NAN,
        };
        let z = model.standardise(older);
        let mut starts: Vec<usize> = (0..=z.nrows() - window).collect();
        let mut rng = StdRng::seed_from_u64(opts.seed ^ 0x5eed);
        let mut adam = Adam {
            m: model.net.zeros_like(),
            v: model.net.zeros_like(),
            t: 0,
            lr: opts.learning_rate,
        };
        for _ in 0..opts.epochs {
            starts.shuffle(&mut rng);
            for chunk in starts.chunks(opts.batch.max(1)) {
                let xs = batch(&z, chunk, window);
                let views: Vec<ArrayView2<f64>> = xs.iter().map(|x| x.view()).collect();
                let (g, _) = model.net.gradients(&views);
                adam.apply(&mut model.net, &g);
            }
        }
        let train = model.errors(&z);
        model.train_loss = train.iter().map(|e| e.0).sum::<f64>() / train.len().max(1) as f64;
        model.train_windows = train.len();
        let held_out =
            model.errors(&model.standardise(data.slice_axis(Axis(0), Slice::from(cut..))));
        model.calibration = Calibration::fit(&held_out.iter().map(|e| e.0).collect::<Vec<_>>());
        model.calibration_windows = held_out.len();
        model.train_ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(model)
    }

    pub fn inputs(&self) -> usize {
        self.scale.len()
    }

    fn standardise(&self, data: ArrayView2<f64>) -> Array2<f64> {
        let mut z = data.mapv(squash);
        for (mut c, (mean, sd)) in z.columns_mut().into_iter().zip(&self.scale) {
            c.mapv_inplace(|v| (v - mean) / sd);
        }
        z
    }

    /// (mean squared error, column with the largest share) for every window of `z`.
    fn errors(&self, z: &Array2<f64>) -> Vec<(f64, usize)> {
        if z.nrows() < self.window {
            return Vec::new();
        }
        let starts: Vec<usize> = (0..=z.nrows() - self.window).collect();
        let xs = batch(z, &starts, self.window);
        let views: Vec<ArrayView2<f64>> = xs.iter().map(|x| x.view()).collect();
        let ys = self.net.forward(&views).ys;
        let mut per_col = Array2::<f64>::zeros((starts.len(), z.ncols()));
        for (y, x) in ys.iter().zip(&xs) {
            per_col += &(y - x).mapv(|d| d * d);
        }
        let cells = (self.window * z.ncols()) as f64;
        per_col
            .rows()
            .into_iter()
            .map(|r| {
                let top = r
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i);
                (r.sum() / cells, top)
            })
            .collect()
    }

    /// Scores every complete window of `data` (same columns as training).
    pub fn score(&self, data: ArrayView2<f64>) -> Vec<WindowScore> {
        if data.ncols() != self.inputs() {
            return Vec::new();
        }
        let z = self.standardise(data);
        self.errors(&z)
            .into_iter()
            .enumerate()
            .map(|(i, (raw, top))| WindowScore {
                end: i + self.window - 1,
                raw,
                calibrated: self.calibration.apply(raw),
                top,
            })
            .collect()
    }
}

/// Counts span orders of magnitude: log1p keeps a burst from dwarfing everything else.
fn squash(v: f64) -> f64 {
    if v.is_finite() {
        v.max(0.0).ln_1p()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Two related series over `n` buckets: flows with a 24-bucket rhythm and bytes that
    /// follow them at about 1 kB a flow, with noise.
    fn traffic(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((n, 2), |(t, c)| {
            let phase = (t % 24) as f64 / 24.0 * std::f64::consts::TAU;
            let flows = 100.0 + 60.0 * phase.sin() + rng.gen_range(-5.0..5.0);
            if c == 0 {
                flows
            } else {
                flows * 1000.0 * rng.gen_range(0.95..1.05)
            }
        })
    }

    #[test]
    fn autoencoder_gradients_match_finite_differences() {
        let mut rng = StdRng::seed_from_u64(3);
        let net = Net::new(2, 3, &mut rng);
        let xs: Vec<Array2<f64>> = (0..4)
            .map(|_| Array2::from_shape_fn((3, 2), |_| rng.gen_range(-1.0..1.0)))
            .collect();
        let views: Vec<ArrayView2<f64>> = xs.iter().map(|x| x.view()).collect();
        let (g, _) = net.gradients(&views);
        let loss = |n: &Net| n.gradients(&views).1;
        let eps = 1e-6;
        let numeric = |f: &dyn Fn(&mut Net, f64)| {
            let (mut p, mut m) = (net.clone(), net.clone());
            f(&mut p, eps);
            f(&mut m, -eps);
            (loss(&p) - loss(&m)) / (2.0 * eps)
        };
        let close = |a: f64, n: f64| assert!((a - n).abs() < 1e-6 * (1.0 + n.abs()), "{a} vs {n}");
        close(g.out_w[[1, 0]], numeric(&|n, e| n.out_w[[1, 0]] += e));
        close(g.out_b[1], numeric(&|n, e| n.out_b[1] += e));
        close(g.dec.u[[2, 7]], numeric(&|n, e| n.dec.u[[2, 7]] += e));
        close(g.dec.w[[0, 4]], numeric(&|n, e| n.dec.w[[0, 4]] += e));
        close(g.enc.w[[1, 10]], numeric(&|n, e| n.enc.w[[1, 10]] += e));
        close(g.enc.u[[0, 2]], numeric(&|n, e| n.enc.u[[0, 2]] += e));
        close(g.enc.b[5], numeric(&|n, e| n.enc.b[5] += e));
    }

    #[test]
    fn training_learns_the_rhythm() {
        let data = traffic(240, 1);
        let opts = SequenceOptions::default();
        let untrained = SequenceModel::fit(
            data.view(),
            &SequenceOptions {
                epochs: 0,
                ..opts.clone()
            },
        )
        .expect("fit");
        let trained = SequenceModel::fit(data.view(), &opts).expect("fit");
        assert!(
            trained.train_loss < 0.25 * untrained.train_loss,
            "{} vs {}",
            trained.train_loss,
            untrained.train_loss
        );
        // The newest quarter (60 buckets) is held out to calibrate on.
        assert_eq!(trained.train_windows, 180 - 12 + 1);
        assert_eq!(trained.calibration_windows, 60 - 12 + 1);
    }

    #[test]
    fn a_window_with_an_unfamiliar_mix_scores_high_and_names_the_series() {
        let model =
            SequenceModel::fit(traffic(240, 1).view(), &SequenceOptions::default()).expect("fit");
        // New traffic in the same rhythm; buckets 60..64 carry the usual number of flows but
        // fifty times the bytes (an exfiltration hiding in ordinary connection counts).
        let mut test = traffic(120, 2);
        for t in 60..64 {
            test[[t, 1]] *= 50.0;
        }
        let scores = model.score(test.view());
        assert_eq!(scores.len(), 120 - 12 + 1);
        let (hit, quiet): (Vec<&WindowScore>, Vec<&WindowScore>) =
            scores.iter().partition(|w| (60..64 + 11).contains(&w.end));
        let mut q: Vec<f64> = quiet.iter().map(|w| w.calibrated).collect();
        q.sort_by(f64::total_cmp);
        let quiet_median = q[q.len() / 2];
        assert!(quiet_median < 0.9, "normal windows: median {quiet_median}");
        assert!(hit.iter().all(|w| w.calibrated > 0.99), "{hit:?}");
        assert!(hit.iter().all(|w| w.top == 1), "bytes drive the error");
    }

    #[test]
    fn a_short_history_does_not_make_every_new_window_an_outlier() {
        // Steady traffic with noise and no rhythm, the minimum history (140 buckets): a network
        // this size memorises its training windows, so calibrating on them put every fresh
        // window of the same traffic at 1.0; calibrated on 8 held-out windows, half of them
        // still scored 0.99 or more. 29 held-out windows keep ordinary traffic ordinary.
        let noise = |n: usize, seed: u64| {
            let mut rng = StdRng::seed_from_u64(seed);
            Array2::from_shape_fn((n, 3), |(_, c)| match c {
                0 => 50.0 + rng.gen_range(-8.0..8.0),
                1 => 40_000.0 * rng.gen_range(0.8..1.2),
                _ => f64::from(rng.gen_range(3..9)),
            })
        };
        let model =
            SequenceModel::fit(noise(140, 1).view(), &SequenceOptions::default()).expect("fit");
        let scores = model.score(noise(120, 2).view());
        let mut s: Vec<f64> = scores.iter().map(|w| w.calibrated).collect();
        s.sort_by(f64::total_cmp);
        let high = s.iter().filter(|v| **v >= 0.99).count() as f64 / s.len() as f64;
        assert!(s[s.len() / 2] < 0.9, "median {}", s[s.len() / 2]);
        assert!(
            high < 0.2,
            "{:.0} % of ordinary windows at 0.99 or more",
            100.0 * high
        );
    }

    #[test]
    fn short_or_empty_input_is_a_clear_state() {
        let opts = SequenceOptions::default();
        assert_eq!(
            SequenceModel::fit(traffic(20, 1).view(), &opts).err(),
            Some(SequenceError::TooShort {
                have: 20,
                need: 140
            })
        );
        assert_eq!(
            SequenceModel::fit(Array2::zeros((50, 0)).view(), &opts).err(),
            Some(SequenceError::NoSeries)
        );
        // A constant series trains (nothing to learn) and scores without NaN.
        let flat = Array2::from_elem((150, 2), 7.0);
        let m = SequenceModel::fit(flat.view(), &opts).expect("fit");
        assert!(
            m.score(flat.view())
                .iter()
                .all(|w| w.calibrated.is_finite())
        );
    }
}
