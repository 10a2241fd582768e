//! Multi-layer perceptron classifier: d → 64 → 32 → classes, tanh, softmax output, weighted
//! cross-entropy, Adam on mini-batches (network code shared with the autoencoder in `nn`).

use crate::learn::model::Inconsistency;
use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::learn::cancel::{Cancel, Cancelled};
use crate::learn::nn::{self, Adam, Layer};
use crate::learn::sample;

const MAX_TRAIN: usize = 20_000;
const EPOCHS: usize = 30;
const BATCH: usize = 128;
const LEARNING_RATE: f64 = 2e-3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mlp {
    layers: Vec<Layer>,
    classes: usize,
    /// Mean weighted cross-entropy over the last epoch.
    pub loss: f64,
}

/// The pipeline's features are robust z-scores clipped at ±100; asinh keeps their order but
/// brings the tails in so one extreme cell does not saturate every tanh unit.
pub fn squash(x: ArrayView2<f64>) -> Array2<f64> {
    x.mapv(f64::asinh)
}

impl Mlp {
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[u32],
        classes: usize,
        class_weight: &[f64],
        seed: u64,
        cancel: &Cancel,
    ) -> Result<Mlp, Cancelled> {
        let mut rng = sample::rng(seed);
        let mut pick: Vec<usize> = (0..x.nrows()).collect();
        pick.shuffle(&mut rng);
        pick.truncate(MAX_TRAIN);
        let xs = squash(x.select(Axis(0), &pick).view());
        let ys: Vec<u32> = pick.iter().map(|&i| y[i]).collect();
        let sizes = [x.ncols(), 64, 32, classes];
        let mut layers = nn::init(&sizes, &mut rng);
        let mut adam = Adam::new(&layers, LEARNING_RATE);
        let mut order: Vec<usize> = (0..xs.nrows()).collect();
        let mut loss = f64::NAN;
        for _ in 0..EPOCHS {
            cancel.check()?;
            order.shuffle(&mut rng);
            let (mut total, mut weight) = (0.0, 0.0);
            for chunk in order.chunks(BATCH) {
                let xb = xs.select(Axis(0), chunk);
                let acts = nn::forward(&layers, xb.view());
                let Some(logits) = acts.last() else {
                    break;
                };
                let mut delta = softmax(logits);
                let w: Vec<f64> = chunk
                    .iter()
                    .map(|&i| class_weight[ys[i] as usize])
                    .collect();
                let wsum: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
                for ((mut row, &i), &wi) in delta.rows_mut().into_iter().zip(chunk).zip(&w) {
                    let c = ys[i] as usize;
                    total -= wi * row[c].max(1e-12).ln();
                    row[c] -= 1.0;
                    row *= wi / wsum;
                }
                weight += wsum;
                let grads = nn::backward(&layers, xb.view(), &acts, delta);
                adam.apply(&mut layers, &grads);
            }
            loss = total / weight.max(f64::MIN_POSITIVE);
        }
        Ok(Mlp {
            layers,
            classes,
            loss,
        })
    }

    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let acts = nn::forward(&self.layers, squash(x).view());
        match acts.last() {
            Some(logits) => softmax(logits),
            None => Array2::zeros((x.nrows(), self.classes)),
        }
    }
}

fn softmax(logits: &Array2<f64>) -> Array2<f64> {
    let mut p = logits.clone();
    for mut row in p.rows_mut() {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row /= sum;
    }
    p
}

impl Mlp {
    pub(crate) fn check(&self, d: usize, classes: usize) -> Result<(), Inconsistency> {
        if self.classes != classes {
            return Err(Inconsistency::new(format!(
                "mlp: {} outputs for {classes} classes",
                self.classes
            )));
        }
        crate::learn::nn::check_chain(&self.layers, d, classes).map_err(|e| e.within("mlp"))
    }
}
