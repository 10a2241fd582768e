//! One-Class SVM (Schölkopf et al.) with an RBF kernel, trained by linfa-svm's SMO solver on a
//! bounded sample. linfa keeps the support vectors privately, so the fitted model keeps the
//! sample rows with non-zero dual weights and scores them itself with one GEMM per block.

use crate::learn::model::Inconsistency;
use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{
    Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, rbf, require_rows, sample,
};

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
        let gamma = rbf::gamma_scale(&train)
            .ok_or_else(|| FitError::Degenerate("all training rows are identical".into()))?;
        let data = DatasetBase::from(train.clone());
        let model = Svm::<f64, Pr>::params()
            .nu_weight(NU)
            .gaussian_kernel(1.0 / gamma)
            .fit(&data)
            .map_err(|e| FitError::Degenerate(e.to_string()))?;
        let (support, alpha) = rbf::support_vectors(&train, &model.alpha)
            .ok_or_else(|| FitError::Degenerate("no support vectors".into()))?;
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
                let sum = rbf::weighted_sum(
                    block,
                    self.support.view(),
                    self.norms.view(),
                    &self.alpha,
                    self.gamma,
                );
                // Decision value Σ αᵢ K(xᵢ, x) − ρ is positive inside; negate it.
                sum.mapv(|v| self.rho - v)
            })
        })
    }
}

impl OneClassSvm {
    pub fn support_vectors(&self) -> usize {
        self.support.nrows()
    }
}

impl OneClassSvm {
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        let n = self.support.nrows();
        if self.support.ncols() != d
            || self.norms.len() != n
            || self.alpha.len() != n
            || !self.gamma.is_finite()
        {
            return Err(Inconsistency::new(format!(
                "ocsvm: {n} support vectors of width {} with {} norms and {} weights for {d} features",
                self.support.ncols(),
                self.norms.len(),
                self.alpha.len()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::detect::testdata;

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
