//! One LSTM layer on ndarray, batched (rows are sequences), with backpropagation through time.
//! Gate order in the 4·h columns: input, forget, cell, output. Sizes here are tiny (a handful
//! of series, a dozen hidden units), so plain GEMMs through matrixmultiply are enough.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rand::Rng;

#[derive(Debug, Clone)]
pub struct Lstm {
    /// Input weights, inputs × 4h.
    pub w: Array2<f64>,
    /// Recurrent weights, h × 4h.
    pub u: Array2<f64>,
    pub b: Array1<f64>,
}

/// What one step keeps for the backward pass.
struct Step {
    x: Array2<f64>,
    h_prev: Array2<f64>,
    c_prev: Array2<f64>,
    /// Gate activations, batch × 4h (after σ / tanh).
    gates: Array2<f64>,
    tanh_c: Array2<f64>,
}

pub struct Trace {
    steps: Vec<Step>,
    /// Hidden state after every step.
    pub hs: Vec<Array2<f64>>,
}

/// Columns `r` of a batch × 4h gate matrix.
fn cols(a: &Array2<f64>, r: Range<usize>) -> ArrayView2<'_, f64> {
    a.slice_axis(Axis(1), Slice::from(r))
}

fn cols_mut(a: &mut Array2<f64>, r: Range<usize>) -> ArrayViewMut2<'_, f64> {
    a.slice_axis_mut(Axis(1), Slice::from(r))
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Lstm {
    /// Glorot-uniform weights; the forget gate's bias starts at 1 so early training keeps
    /// memory instead of learning to forget everything.
    pub fn new(inputs: usize, hidden: usize, rng: &mut impl Rng) -> Lstm {
        let limit = |fan_in: usize| (6.0 / (fan_in + 4 * hidden) as f64).sqrt();
        let (lw, lu) = (limit(inputs), limit(hidden));
        let mut b = Array1::zeros(4 * hidden);
        b.slice_axis_mut(Axis(0), Slice::from(hidden..2 * hidden))
            .fill(1.0);
        Lstm {
            w: Array2::from_shape_fn((inputs, 4 * hidden), |_| rng.gen_range(-lw..lw)),
            u: Array2::from_shape_fn((hidden, 4 * hidden), |_| rng.gen_range(-lu..lu)),
            b,
        }
    }

    pub fn hidden(&self) -> usize {
        self.u.nrows()
    }

    /// Runs the layer over `xs` (one batch × inputs matrix per time step) from zero state.
    pub fn forward(&self, xs: &[ArrayView2<f64>]) -> Trace {
        let h = self.hidden();
        let batch = xs.first().map_or(0, |x| x.nrows());
        let mut h_prev = Array2::zeros((batch, h));
        let mut c_prev = Array2::zeros((batch, h));
        let mut steps = Vec::with_capacity(xs.len());
        let mut hs = Vec::with_capacity(xs.len());
        for x in xs {
            let mut gates = x.dot(&self.w) + h_prev.dot(&self.u) + &self.b;
            for mut row in gates.rows_mut() {
                for (j, g) in row.iter_mut().enumerate() {
                    *g = if (2 * h..3 * h).contains(&j) {
                        g.tanh()
                    } else {
                        sigmoid(*g)
                    };
                }
            }
            let i = cols(&gates, 0..h);
            let f = cols(&gates, h..2 * h);
            let g = cols(&gates, 2 * h..3 * h);
            let o = cols(&gates, 3 * h..4 * h);
            let c = &f * &c_prev + &i * &g;
            let tanh_c = c.mapv(f64::tanh);
            let h_new = &o * &tanh_c;
            steps.push(Step {
                x: x.to_owned(),
                h_prev: std::mem::replace(&mut h_prev, h_new.clone()),
                c_prev: std::mem::replace(&mut c_prev, c),
                gates,
                tanh_c,
            });
            hs.push(h_new);
        }
        Trace { steps, hs }
    }

    /// A layer of the same shape with every parameter zero (gradient accumulators, Adam's
    /// moments).
    pub fn zeros_like(&self) -> Lstm {
        Lstm {
            w: Array2::zeros(self.w.raw_dim()),
            u: Array2::zeros(self.u.raw_dim()),
            b: Array1::zeros(self.b.len()),
        }
    }

    /// Backpropagation through time: `dh[t]` is the loss gradient reaching `h_t` from outside
    /// the layer. Returns the parameter gradients (as a layer of the same shape) and the
    /// gradient for every input `x_t`.
    pub fn backward(&self, trace: &Trace, dh: &[Array2<f64>]) -> (Lstm, Vec<Array2<f64>>) {
        let h = self.hidden();
        let mut grads = self.zeros_like();
        let batch = trace.steps.first().map_or(0, |s| s.x.nrows());
        let mut dh_next = Array2::<f64>::zeros((batch, h));
        let mut dc_next = Array2::<f64>::zeros((batch, h));
        let mut dxs = vec![Array2::zeros((0, 0)); trace.steps.len()];
        for (t, st) in trace.steps.iter().enumerate().rev() {
            let dh_t = &dh[t] + &dh_next;
            let i = cols(&st.gates, 0..h);
            let f = cols(&st.gates, h..2 * h);
            let g = cols(&st.gates, 2 * h..3 * h);
            let o = cols(&st.gates, 3 * h..4 * h);
            let dc = &dh_t * &o * st.tanh_c.mapv(|v| 1.0 - v * v) + &dc_next;
            let mut dz = Array2::zeros((batch, 4 * h));
            cols_mut(&mut dz, 0..h).assign(&(&dc * &g * i.mapv(|v| v * (1.0 - v))));
            cols_mut(&mut dz, h..2 * h).assign(&(&dc * &st.c_prev * f.mapv(|v| v * (1.0 - v))));
            cols_mut(&mut dz, 2 * h..3 * h).assign(&(&dc * &i * g.mapv(|v| 1.0 - v * v)));
            cols_mut(&mut dz, 3 * h..4 * h)
                .assign(&(&dh_t * &st.tanh_c * o.mapv(|v| v * (1.0 - v))));
            grads.w += &st.x.t().dot(&dz);
            grads.u += &st.h_prev.t().dot(&dz);
            grads.b += &dz.sum_axis(Axis(0));
            dxs[t] = dz.dot(&self.w.t());
            dh_next = dz.dot(&self.u.t());
            dc_next = dc * f;
        }
        (grads, dxs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Loss = `Σ_t` Σ (`h_t` ⊙ `r_t`) for fixed random r: its gradient w.r.t. `h_t` is `r_t`.
    fn loss(l: &Lstm, xs: &[Array2<f64>], r: &[Array2<f64>]) -> f64 {
        let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
        let tr = l.forward(&views);
        tr.hs.iter().zip(r).map(|(h, r)| (h * r).sum()).sum()
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let l = Lstm::new(3, 4, &mut rng);
        let xs: Vec<Array2<f64>> = (0..5)
            .map(|_| Array2::from_shape_fn((2, 3), |_| rng.gen_range(-1.0..1.0)))
            .collect();
        let r: Vec<Array2<f64>> = (0..5)
            .map(|_| Array2::from_shape_fn((2, 4), |_| rng.gen_range(-1.0..1.0)))
            .collect();
        let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
        let (g, dxs) = l.backward(&l.forward(&views), &r);
        let eps = 1e-6;
        let check = |analytic: f64, plus: f64, minus: f64| {
            let numeric = (plus - minus) / (2.0 * eps);
            assert!(
                (analytic - numeric).abs() < 1e-6 * (1.0 + numeric.abs()),
                "analytic {analytic} vs numeric {numeric}"
            );
        };
        for (a, b) in [(0, 0), (2, 5), (1, 9), (2, 15)] {
            let (mut p, mut m) = (l.clone(), l.clone());
            p.w[[a, b]] += eps;
            m.w[[a, b]] -= eps;
            check(g.w[[a, b]], loss(&p, &xs, &r), loss(&m, &xs, &r));
        }
        for (a, b) in [(0, 3), (3, 7), (1, 12)] {
            let (mut p, mut m) = (l.clone(), l.clone());
            p.u[[a, b]] += eps;
            m.u[[a, b]] -= eps;
            check(g.u[[a, b]], loss(&p, &xs, &r), loss(&m, &xs, &r));
        }
        for j in [0, 5, 10, 14] {
            let (mut p, mut m) = (l.clone(), l.clone());
            p.b[j] += eps;
            m.b[j] -= eps;
            check(g.b[j], loss(&p, &xs, &r), loss(&m, &xs, &r));
        }
        for (t, row, col) in [(0, 0, 1), (3, 1, 2)] {
            let (mut p, mut m) = (xs.clone(), xs.clone());
            p[t][[row, col]] += eps;
            m[t][[row, col]] -= eps;
            check(dxs[t][[row, col]], loss(&l, &p, &r), loss(&l, &m, &r));
        }
    }
}
