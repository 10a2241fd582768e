//! One-Class SVM (Schölkopf et al.) with an RBF kernel, trained by linfa-svm's SMO solver on a
//! bounded sample. linfa keeps the support vectors privately, so the fitted model keeps the
//! sample rows with non-zero dual weights and scores them itself with one GEMM per block.

use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample};

/// Upper bound on the fraction of training rows outside the boundary (and lower bound on
/// support vectors).
pub const NU: f64 = 0.1;
const MAX_TRAIN: usize = 1500;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneClassSvm {
    support: Array2<f64>,
    norms: Array1<f64>,
    alpha: Array1<f64>,
    rho: f64,
    /// RBF kernel exp(−γ‖x − y‖²), γ as scikit-learn's `gamma="scale"`: 1 / (d · Var(X)).
    gamma: f64,
}

impl Detector for OneClassSvm {
    const KIND: DetectorKind = DetectorKind::Ocsvm;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let train = sample::rows(x, MAX_TRAIN, &mut rng);
        let var = train.var(0.0);
        if var <= 0.0 || !var.is_finite() {
            return Err(FitError::Degenerate(
                "all training rows are identical".into(),
            ));
        }
        let gamma = 1.0 / (train.ncols() as f64 * var);
        let data = DatasetBase::from(train.clone());
        let model = Svm::<f64, Pr>::params()
            .nu_weight(NU)
            .gaussian_kernel(1.0 / gamma)
            .fit(&data)
            .map_err(|e| FitError::Degenerate(e.to_string()))?;
        let keep: Vec<usize> = model
            .alpha
            .iter()
            .enumerate()
            .filter(|(_, a)| a.abs() > 100.0 * f64::EPSILON)
            .map(|(i, _)| i)
            .collect();
        if keep.is_empty() {
            return Err(FitError::Degenerate("no support vectors".into()));
        }
        let support = train.select(Axis(0), &keep);
        let alpha = keep.iter().map(|&i| model.alpha[i]).collect();
        Ok(OneClassSvm {
            norms: distance::sq_norms(support.view()),
            support,
            alpha,
            rho: model.rho,
            gamma,
        })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            distance::by_block(part, |block| {
                let mut k = distance::sq_dists(block, self.support.view(), self.norms.view());
                k.mapv_inplace(|d| (-self.gamma * d).exp());
                // Decision value Σ αᵢ K(xᵢ, x) − ρ is positive inside; negate it.
                k.dot(&self.alpha).mapv(|v| self.rho - v)
            })
        })
    }
}

impl OneClassSvm {
    pub fn support_vectors(&self) -> usize {
        self.support.nrows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testdata;

    #[test]
    fn planted_outliers_score_highest() {
        testdata::assert_finds_planted_outliers::<OneClassSvm>(0.95);
    }

    #[test]
    fn own_scoring_agrees_with_linfa_predict() {
        let (x, _) = testdata::blob_with_outliers();
        let m = OneClassSvm::fit(x.view(), 1).expect("fits");
        let data = DatasetBase::from(x.to_owned());
        let linfa = Svm::<f64, Pr>::params()
            .nu_weight(NU)
            .gaussian_kernel(1.0 / m.gamma)
            .fit(&data)
            .expect("fits");
        let theirs = linfa.predict(&x);
        let ours = m.score(x.view());
        let agree = ours
            .iter()
            .zip(theirs.iter())
            .filter(|(s, inlier)| (**s <= 0.0) == **inlier)
            .count();
        assert!(agree >= 505, "{agree} of 510 agree");
    }
}
