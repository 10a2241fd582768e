//! A small dense network on ndarray (GEMM through matrixmultiply) with Adam: tanh hidden
//! layers and a linear output. The autoencoder detector and the MLP classifier both train
//! one; networks this size need no framework, and candle would add about two minutes of
//! release build and tokenizers/zip dependencies.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Layer {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
    pub tanh: bool,
}

/// Layers for `sizes` (input first): Xavier/Glorot uniform weights, zero biases, tanh on every
/// layer but the last.
pub fn init(sizes: &[usize], rng: &mut impl Rng) -> Vec<Layer> {
    sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let limit = (6.0 / (w[0] + w[1]) as f64).sqrt();
            Layer {
                w: Array2::from_shape_fn((w[0], w[1]), |_| rng.gen_range(-limit..limit)),
                b: Array1::zeros(w[1]),
                tanh: i + 2 < sizes.len(),
            }
        })
        .collect()
}

/// Activations of every layer (inputs excluded).
pub fn forward(layers: &[Layer], x: ArrayView2<f64>) -> Vec<Array2<f64>> {
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

pub type Gradients = Vec<(Array2<f64>, Array1<f64>)>;

/// Backpropagation: given the activations from `forward` and the loss gradient with respect
/// to the (linear) output, the gradient for every layer's weights and biases.
pub fn backward(
    layers: &[Layer],
    x: ArrayView2<f64>,
    acts: &[Array2<f64>],
    mut delta: Array2<f64>,
) -> Gradients {
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
    grads
}

pub struct Adam {
    m: Gradients,
    v: Gradients,
    t: i32,
    learning_rate: f64,
}

impl Adam {
    pub fn new(layers: &[Layer], learning_rate: f64) -> Adam {
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
            learning_rate,
        }
    }

    pub fn apply(&mut self, layers: &mut [Layer], grads: &Gradients) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        self.t += 1;
        let c1 = 1.0 - B1.powi(self.t);
        let c2 = 1.0 - B2.powi(self.t);
        let lr = self.learning_rate;
        for (((l, (gw, gb)), (mw, mb)), (vw, vb)) in layers
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            let update = |p: &mut f64, g: f64, m: &mut f64, v: &mut f64| {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + EPS);
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
