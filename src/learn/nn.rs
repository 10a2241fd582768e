//! A small dense network on ndarray (GEMM through matrixmultiply) with Adam: tanh hidden
//! layers and a linear output. The autoencoder detector and the MLP classifier both train
//! one; networks this size need no framework, and candle would add about two minutes of
//! release build and tokenizers/zip dependencies.

use crate::learn::model::Inconsistency;
use ndarray::{Array, Array1, Array2, ArrayView2, Axis, Dimension, Zip};
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
        self.t += 1;
        let step = AdamStep::new(self.learning_rate, self.t, 1.0);
        for (((l, (gw, gb)), (mw, mb)), (vw, vb)) in layers
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            step.apply(&mut l.w, gw, mw, vw);
            step.apply(&mut l.b, gb, mb, vb);
        }
    }
}

/// One Adam step's constants: learning rate, bias corrections for step `t`, and a factor on
/// the gradient (gradient-norm clipping). Shared by every network here.
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    lr: f64,
    c1: f64,
    c2: f64,
    scale: f64,
}

impl AdamStep {
    const B1: f64 = 0.9;
    const B2: f64 = 0.999;
    const EPS: f64 = 1e-8;

    pub fn new(lr: f64, t: i32, scale: f64) -> AdamStep {
        AdamStep {
            lr,
            c1: 1.0 - Self::B1.powi(t),
            c2: 1.0 - Self::B2.powi(t),
            scale,
        }
    }

    /// Updates parameters `p` from gradient `g` and the moments `m`, `v` of the same shape.
    pub fn apply<D: Dimension>(
        &self,
        p: &mut Array<f64, D>,
        g: &Array<f64, D>,
        m: &mut Array<f64, D>,
        v: &mut Array<f64, D>,
    ) {
        Zip::from(p).and(g).and(m).and(v).for_each(|p, &g, m, v| {
            let g = g * self.scale;
            *m = Self::B1 * *m + (1.0 - Self::B1) * g;
            *v = Self::B2 * *v + (1.0 - Self::B2) * g * g;
            *p -= self.lr * (*m / self.c1) / ((*v / self.c2).sqrt() + Self::EPS);
        });
    }
}

/// Layers that chain: the first takes `inputs`, each the previous one's outputs, the last
/// gives `outputs`, every bias as wide as its layer.
pub fn check_chain(layers: &[Layer], inputs: usize, outputs: usize) -> Result<(), Inconsistency> {
    let mut width = inputs;
    for (i, l) in layers.iter().enumerate() {
        if l.w.nrows() != width || l.b.len() != l.w.ncols() {
            return Err(Inconsistency::new(format!(
                "layer {i} is {}x{} with {} biases after a width of {width}",
                l.w.nrows(),
                l.w.ncols(),
                l.b.len()
            )));
        }
        width = l.w.ncols();
    }
    if layers.is_empty() || width != outputs {
        return Err(Inconsistency::new(format!(
            "{} layers end at width {width}, not {outputs}",
            layers.len()
        )));
    }
    Ok(())
}
