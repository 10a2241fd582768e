//! Autoencoder: a small MLP (d → h → b → h → d, tanh, linear output) trained to reconstruct
//! the window; the score is the row's mean squared reconstruction error. Written on ndarray
//! (GEMM through matrixmultiply) with Adam: a network this size needs no framework, and
//! candle would add about two minutes of release build and tokenizers/zip dependencies.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample};

const MAX_TRAIN: usize = 4000;
const EPOCHS: usize = 30;
const BATCH: usize = 128;
const LEARNING_RATE: f64 = 3e-3;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Layer {
    w: Array2<f64>,
    b: Array1<f64>,
    tanh: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Autoencoder {
    layers: Vec<Layer>,
    /// Final training loss (mean squared error per cell).
    pub loss: f64,
}

impl Detector for Autoencoder {
    const KIND: DetectorKind = DetectorKind::Autoencoder;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let train = sample::rows(x, MAX_TRAIN, &mut rng);
        let d = train.ncols();
        let hidden = (d / 2).clamp(8, 32);
        let bottleneck = (d / 6).clamp(2, 8);
        let sizes = [d, hidden, bottleneck, hidden, d];
        let mut layers: Vec<Layer> = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                // Xavier/Glorot uniform initialisation.
                let limit = (6.0 / (w[0] + w[1]) as f64).sqrt();
                Layer {
                    w: Array2::from_shape_fn((w[0], w[1]), |_| rng.gen_range(-limit..limit)),
                    b: Array1::zeros(w[1]),
                    tanh: i + 2 < sizes.len(),
                }
            })
            .collect();
        let mut adam = Adam::new(&layers);
        let mut order: Vec<usize> = (0..train.nrows()).collect();
        let mut loss = f64::NAN;
        for _ in 0..EPOCHS {
            order.shuffle(&mut rng);
            let mut total = 0.0;
            for chunk in order.chunks(BATCH) {
                let xb = train.select(Axis(0), chunk);
                total += step(&mut layers, &mut adam, xb.view()) * chunk.len() as f64;
            }
            loss = total / train.nrows() as f64;
        }
        if !loss.is_finite() {
            return Err(FitError::Degenerate("training diverged".into()));
        }
        Ok(Autoencoder { layers, loss })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            distance::by_block(part, |block| {
                let acts = forward(&self.layers, block);
                let d = block.ncols().max(1) as f64;
                match acts.last() {
                    Some(y) => (y - &block).mapv(|v| v * v).sum_axis(Axis(1)) / d,
                    None => Array1::zeros(block.nrows()),
                }
            })
        })
    }
}

/// Activations of every layer (inputs excluded).
fn forward(layers: &[Layer], x: ArrayView2<f64>) -> Vec<Array2<f64>> {
    let mut acts: Vec<Array2<f64>> = Vec::with_capacity(layers.len());
    for l in layers {
        let mut z = match acts.last() {
            Some(prev) => prev.dot(&l.w),
            None => x.dot(&l.w),
        } + &l.b;
        if l.tanh {
            z.mapv_inplace(f64::tanh);
        }
        acts.push(z);
    }
    acts
}

/// One Adam step on a mini-batch; returns its loss.
fn step(layers: &mut [Layer], adam: &mut Adam, x: ArrayView2<f64>) -> f64 {
    let (loss, grads) = gradients(layers, x);
    adam.apply(layers, &grads);
    loss
}

type Gradients = Vec<(Array2<f64>, Array1<f64>)>;

/// Mean squared reconstruction loss of a batch and its gradient for every layer's weights and
/// biases, by backpropagation.
fn gradients(layers: &[Layer], x: ArrayView2<f64>) -> (f64, Gradients) {
    let acts = forward(layers, x);
    let Some(out) = acts.last() else {
        return (f64::NAN, Vec::new());
    };
    let n = (x.nrows() * x.ncols()).max(1) as f64;
    let mut delta = (out - &x) * (2.0 / n);
    let loss = (out - &x).mapv(|v| v * v).sum() / n;
    let mut grads = Vec::with_capacity(layers.len());
    for i in (0..layers.len()).rev() {
        if layers[i].tanh {
            Zip::from(&mut delta)
                .and(&acts[i])
                .for_each(|d, &a| *d *= 1.0 - a * a);
        }
        let gw = if i == 0 {
            x.t().dot(&delta)
        } else {
            acts[i - 1].t().dot(&delta)
        };
        let gb = delta.sum_axis(Axis(0));
        if i > 0 {
            delta = delta.dot(&layers[i].w.t());
        }
        grads.push((gw, gb));
    }
    grads.reverse();
    (loss, grads)
}

struct Adam {
    m: Vec<(Array2<f64>, Array1<f64>)>,
    v: Vec<(Array2<f64>, Array1<f64>)>,
    t: i32,
}

impl Adam {
    fn new(layers: &[Layer]) -> Adam {
        let zeros = || {
            layers
                .iter()
                .map(|l| (Array2::zeros(l.w.raw_dim()), Array1::zeros(l.b.len())))
                .collect()
        };
        Adam {
            m: zeros(),
            v: zeros(),
            t: 0,
        }
    }

    fn apply(&mut self, layers: &mut [Layer], grads: &[(Array2<f64>, Array1<f64>)]) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        for (((l, (gw, gb)), (mw, mb)), (vw, vb)) in layers
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            let update = |p: &mut f64, g: f64, m: &mut f64, v: &mut f64| {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= LEARNING_RATE * (*m / c1) / ((*v / c2).sqrt() + EPS);
            };
            Zip::from(&mut l.w)
                .and(gw)
                .and(mw)
                .and(vw)
                .for_each(|p, &g, m, v| update(p, g, m, v));
            Zip::from(&mut l.b)
                .and(gb)
                .and(mb)
                .and(vb)
                .for_each(|p, &g, m, v| update(p, g, m, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testdata;

    #[test]
    fn planted_outliers_score_highest() {
        testdata::assert_finds_planted_outliers::<Autoencoder>(0.95);
    }

    /// Finite-difference check of the backward pass on one weight of every layer.
    #[test]
    fn gradients_match_finite_differences() {
        let (x, _) = testdata::blob_with_outliers();
        let x = x.slice_axis(Axis(0), (0..40).into()).to_owned();
        let ae = Autoencoder::fit(x.view(), 5).expect("fits");
        let loss = |layers: &[Layer]| {
            let acts = forward(layers, x.view());
            (acts.last().expect("output") - &x).mapv(|v| v * v).sum() / (x.len() as f64)
        };
        let mut layers = ae.layers.clone();
        let (_, grads) = gradients(&layers, x.view());
        for (i, (gw, _)) in grads.iter().enumerate() {
            let h = 1e-6;
            let orig = layers[i].w[[0, 0]];
            layers[i].w[[0, 0]] = orig + h;
            let up = loss(&layers);
            layers[i].w[[0, 0]] = orig - h;
            let down = loss(&layers);
            layers[i].w[[0, 0]] = orig;
            let numeric = (up - down) / (2.0 * h);
            assert!(
                (numeric - gw[[0, 0]]).abs() < 1e-6,
                "layer {i}: {numeric} vs {}",
                gw[[0, 0]]
            );
        }
    }
}
