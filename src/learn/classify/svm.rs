//! Support vector classifier: one RBF-kernel C-SVM per class against the rest (one in binary
//! mode), trained by linfa-svm's SMO solver on a bounded stratified sample, with a Platt
//! sigmoid on its decision values for probabilities; the kernel sums are `detect::rbf`'s, as
//! the one-class SVM detector's are.

use crate::learn::cancel::Cancel;
use crate::learn::detect::FitError;
use crate::learn::model::Inconsistency;
use linfa::prelude::*;
use linfa_svm::Svm as LinfaSvm;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::mlp::squash;
use crate::learn::detect::rbf;
use crate::learn::{distance, sample};

/// Rows the solver sees: SMO is quadratic in them.
const MAX_TRAIN: usize = 2500;
const C: f64 = 10.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OneVsRest {
    support: Array2<f64>,
    norms: Array1<f64>,
    alpha: Array1<f64>,
    rho: f64,
    /// Platt sigmoid P(class) = 1 / (1 + exp(a·f + b)).
    a: f64,
    b: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Svc {
    /// One per class; in binary mode only the attack class's, the benign one is its complement.
    machines: Vec<OneVsRest>,
    classes: usize,
    /// RBF kernel exp(−γ‖x − y‖²), γ as scikit-learn's `gamma="scale"`.
    gamma: f64,
}

impl Svc {
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[u32],
        classes: usize,
        class_weight: &[f64],
        seed: u64,
        cancel: &Cancel,
    ) -> Result<Svc, FitError> {
        let mut rng = sample::rng(seed);
        let pick = stratified_sample(y, classes, MAX_TRAIN, &mut rng);
        let xs = squash(x.select(Axis(0), &pick).view());
        let ys: Vec<u32> = pick.iter().map(|&i| y[i]).collect();
        let gamma = rbf::gamma_scale(&xs)
            .ok_or_else(|| FitError::Degenerate("all training rows are identical".into()))?;
        let targets: Vec<u32> = if classes == 2 {
            vec![1]
        } else {
            (0..classes as u32).collect()
        };
        let mut machines = Vec::with_capacity(targets.len());
        for c in targets {
            cancel.check()?;
            let positive: Vec<bool> = ys.iter().map(|&v| v == c).collect();
            machines.push(one_vs_rest(
                &xs,
                &positive,
                class_weight[c as usize],
                rest_weight(&ys, class_weight, c),
                gamma,
            )?);
        }
        Ok(Svc {
            machines,
            classes,
            gamma,
        })
    }

    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let xs = squash(x);
        let mut p = Array2::zeros((x.nrows(), self.classes));
        let per_machine: Vec<Array1<f64>> = self
            .machines
            .iter()
            .map(|m| {
                distance::par_rows(xs.view(), |part| {
                    distance::by_block(part, |block| {
                        let sum = rbf::weighted_sum(
                            block,
                            m.support.view(),
                            m.norms.view(),
                            &m.alpha,
                            self.gamma,
                        );
                        sum.mapv(|v| 1.0 / (1.0 + (m.a * (v - m.rho) + m.b).exp()))
                    })
                })
            })
            .collect();
        if self.classes == 2 {
            if let Some(attack) = per_machine.first() {
                p.column_mut(1).assign(attack);
                p.column_mut(0).assign(&attack.mapv(|v| 1.0 - v));
            }
            return p;
        }
        for (c, col) in per_machine.iter().enumerate() {
            p.column_mut(c).assign(col);
        }
        for mut row in p.rows_mut() {
            let sum = row.sum();
            if sum > 0.0 {
                row /= sum;
            }
        }
        p
    }
}

/// Mean class weight of the rows that are not `c`, so a one-vs-rest machine keeps the balance.
fn rest_weight(ys: &[u32], class_weight: &[f64], c: u32) -> f64 {
    let rest: Vec<f64> = ys
        .iter()
        .filter(|&&v| v != c)
        .map(|&v| class_weight[v as usize])
        .collect();
    if rest.is_empty() {
        1.0
    } else {
        rest.iter().sum::<f64>() / rest.len() as f64
    }
}

fn one_vs_rest(
    xs: &Array2<f64>,
    positive: &[bool],
    w_pos: f64,
    w_neg: f64,
    gamma: f64,
) -> Result<OneVsRest, FitError> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    if n_pos == 0 || n_pos == positive.len() {
        return Err(FitError::Degenerate(
            "a one-vs-rest machine needs both classes in its sample".into(),
        ));
    }
    let data = DatasetBase::new(xs.clone(), Array1::from(positive.to_vec()));
    let model = LinfaSvm::<f64, bool>::params()
        .pos_neg_weights(C * w_pos, C * w_neg)
        .gaussian_kernel(1.0 / gamma)
        .fit(&data)
        .map_err(|e| FitError::Degenerate(e.to_string()))?;
    let (support, alpha) = rbf::support_vectors(xs, &model.alpha)
        .ok_or_else(|| FitError::Degenerate("no support vectors".into()))?;
    let norms = distance::sq_norms(support.view());
    let decision: Vec<f64> =
        rbf::weighted_sum(xs.view(), support.view(), norms.view(), &alpha, gamma)
            .iter()
            .map(|v| v - model.rho)
            .collect();
    let (a, b) = platt(&decision, positive);
    Ok(OneVsRest {
        support,
        norms,
        alpha,
        rho: model.rho,
        a,
        b,
    })
}

/// Platt's sigmoid fit (Lin, Lin & Weng 2007: smoothed targets, Newton with backtracking).
fn platt(f: &[f64], y: &[bool]) -> (f64, f64) {
    let prior1 = y.iter().filter(|&&v| v).count() as f64;
    let prior0 = y.len() as f64 - prior1;
    let hi = (prior1 + 1.0) / (prior1 + 2.0);
    let lo = 1.0 / (prior0 + 2.0);
    let t: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    let (mut a, mut b) = (0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let objective = |a: f64, b: f64| -> f64 {
        f.iter()
            .zip(&t)
            .map(|(&fi, &ti)| {
                let z = fi * a + b;
                if z >= 0.0 {
                    ti * z + (-z).exp().ln_1p()
                } else {
                    (ti - 1.0) * z + z.exp().ln_1p()
                }
            })
            .sum()
    };
    let mut fval = objective(a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0);
        for (&fi, &ti) in f.iter().zip(&t) {
            let z = fi * a + b;
            let (p, q) = if z >= 0.0 {
                let e = (-z).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = z.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += fi * fi * d2;
            h22 += d2;
            h21 += fi * d2;
            let d1 = ti - p;
            g1 += fi * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = objective(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < 1e-10 {
            break;
        }
    }
    (a, b)
}

/// Up to `max` row indices with every class represented in proportion (at least a few rows
/// of each, or all of a class that has fewer).
pub fn stratified_sample(
    y: &[u32],
    classes: usize,
    max: usize,
    rng: &mut rand::rngs::SmallRng,
) -> Vec<usize> {
    if y.len() <= max {
        return (0..y.len()).collect();
    }
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c as usize].push(i);
    }
    let mut out = Vec::with_capacity(max);
    for mut rows in by_class {
        rows.shuffle(rng);
        let share = (rows.len() * max).div_ceil(y.len()).max(10);
        rows.truncate(share);
        out.extend(rows);
    }
    out.sort_unstable();
    out
}

impl Svc {
    pub(crate) fn check(&self, d: usize, classes: usize) -> Result<(), Inconsistency> {
        let machines = if classes == 2 { 1 } else { classes };
        if self.classes != classes || self.machines.len() != machines || !self.gamma.is_finite() {
            return Err(Inconsistency::new(format!(
                "svm: {} machines for {classes} classes",
                self.machines.len()
            )));
        }
        for (i, m) in self.machines.iter().enumerate() {
            let n = m.support.nrows();
            if m.support.ncols() != d || m.norms.len() != n || m.alpha.len() != n {
                return Err(Inconsistency::new(format!(
                    "svm: machine {i} has support of width {} for {d} features",
                    m.support.ncols()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-learn's `_sigmoid_calibration` on the same decision values gives a < 0 and a
    /// sigmoid that rises with the decision value; the fit must separate these cleanly.
    #[test]
    fn platt_sigmoid_rises_with_the_decision_value() {
        let f: Vec<f64> = (0..40).map(|i| f64::from(i) / 10.0 - 2.0).collect();
        let y: Vec<bool> = f.iter().map(|&v| v > 0.1).collect();
        let (a, b) = platt(&f, &y);
        assert!(a < 0.0, "a = {a}");
        let p = |v: f64| 1.0 / (1.0 + (a * v + b).exp());
        assert!(p(-1.5) < 0.1 && p(1.5) > 0.9, "{} {}", p(-1.5), p(1.5));
    }
}
