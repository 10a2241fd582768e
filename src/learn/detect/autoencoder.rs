//! Autoencoder: a small MLP (d → h → b → h → d, tanh, linear output, see `nn`) trained to
//! reconstruct the window; the score is the row's mean squared reconstruction error.

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{
    Cancel, Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample,
};
use crate::learn::nn::{self, Adam, Gradients, Layer, forward};

const MAX_TRAIN: usize = 4000;
const EPOCHS: usize = 30;
const BATCH: usize = 128;
const LEARNING_RATE: f64 = 3e-3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Autoencoder {
    layers: Vec<Layer>,
    /// Final training loss (mean squared error per cell).
    pub loss: f64,
}

impl Detector for Autoencoder {
    const KIND: DetectorKind = DetectorKind::Autoencoder;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        Self::fit_cancellable(x, seed, &Cancel::default())
    }

    /// Looks at `cancel` after every epoch (an epoch is a few milliseconds).
    fn fit_cancellable(x: ArrayView2<f64>, seed: u64, cancel: &Cancel) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let train = sample::rows(x, MAX_TRAIN, &mut rng);
        let d = train.ncols();
        let hidden = (d / 2).clamp(8, 32);
        let bottleneck = (d / 6).clamp(2, 8);
        let sizes = [d, hidden, bottleneck, hidden, d];
        let mut layers = nn::init(&sizes, &mut rng);
        let mut adam = Adam::new(&layers, LEARNING_RATE);
        let mut order: Vec<usize> = (0..train.nrows()).collect();
        let mut loss = f64::NAN;
        for _ in 0..EPOCHS {
            cancel.check()?;
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

/// One Adam step on a mini-batch; returns its loss.
fn step(layers: &mut [Layer], adam: &mut Adam, x: ArrayView2<f64>) -> f64 {
    let (loss, grads) = gradients(layers, x);
    adam.apply(layers, &grads);
    loss
}

/// Mean squared reconstruction loss of a batch and its gradient for every layer.
fn gradients(layers: &[Layer], x: ArrayView2<f64>) -> (f64, Gradients) {
    let acts = forward(layers, x);
    let Some(out) = acts.last() else {
        return (f64::NAN, Vec::new());
    };
    let n = (x.nrows() * x.ncols()).max(1) as f64;
    let diff = out - &x;
    let loss = diff.mapv(|v| v * v).sum() / n;
    let delta = diff * (2.0 / n);
    (loss, nn::backward(layers, x, &acts, delta))
}

impl Autoencoder {
    /// A loaded model's consistency: layers chained from `d` inputs back to `d` outputs.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        crate::learn::nn::check_chain(&self.layers, d, d).map_err(|e| e.within("autoencoder"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::detect::testdata;

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
