//! DBSCAN as a novelty detector: linfa-clustering clusters a bounded sample; a row's score is
//! its distance to the nearest core point divided by eps, so rows inside a dense region score
//! below 1 and the score grows with the distance from any dense region.

use crate::learn::model::Inconsistency;
use linfa::traits::Transformer;
use linfa_clustering::Dbscan;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample};

pub const MIN_POINTS: usize = 10;
const MAX_TRAIN: usize = 600;
/// eps is this quantile of the rows' distance to their MIN_POINTS-th neighbour: most of the
/// window is then dense, and what is not is what DBSCAN calls noise.
pub const EPS_QUANTILE: f64 = 0.9;
/// Resolution of the kept core points, in units of eps (see `fit`).
const NET: f64 = 0.25;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbscanDetector {
    core: Array2<f64>,
    norms: Array1<f64>,
    eps: f64,
    pub clusters: usize,
    pub noise_share: f64,
}

impl Detector for DbscanDetector {
    const KIND: DetectorKind = DetectorKind::Dbscan;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let train = sample::rows(x, MAX_TRAIN, &mut rng);
        let norms = distance::sq_norms(train.view());
        let d = distance::sq_dists(train.view(), train.view(), norms.view());
        // k-distance of every row (itself counted, as scikit-learn's min_samples does).
        let mut scratch = Vec::new();
        let mut kdist: Vec<f64> = d
            .axis_iter(Axis(0))
            .map(|row| {
                let n = distance::k_smallest(
                    row.as_slice().unwrap_or_default(),
                    MIN_POINTS,
                    &mut scratch,
                );
                scratch[..n].iter().map(|p| p.0).fold(0.0, f64::max).sqrt()
            })
            .collect();
        kdist.sort_by(f64::total_cmp);
        let eps = crate::learn::features::quantile_sorted(&kdist, EPS_QUANTILE);
        if eps <= 0.0 {
            return Err(FitError::Degenerate(
                "most training rows are exact duplicates; no density to measure".into(),
            ));
        }
        let labels = Dbscan::params(MIN_POINTS)
            .tolerance(eps)
            .transform(&train)
            .map_err(|e| FitError::Degenerate(e.to_string()))?;
        let clusters = labels.iter().flatten().max().map_or(0, |m| m + 1);
        let noise = labels.iter().filter(|l| l.is_none()).count();
        // Core points: clustered rows with at least MIN_POINTS rows within eps.
        let eps2 = eps * eps;
        let core_idx: Vec<usize> = d
            .axis_iter(Axis(0))
            .enumerate()
            .filter(|(i, row)| {
                labels[*i].is_some() && row.iter().filter(|&&v| v <= eps2).count() >= MIN_POINTS
            })
            .map(|(i, _)| i)
            .collect();
        if core_idx.is_empty() {
            return Err(FitError::Degenerate("no core points".into()));
        }
        // Thin the core points to an (eps · NET)-net: every dropped core point has a kept one
        // that close, so scores move by at most NET while scoring compares against far fewer
        // points (dense regions are where core points crowd).
        let net2 = (eps * NET).powi(2);
        let mut kept: Vec<usize> = Vec::new();
        for &i in &core_idx {
            if kept.iter().all(|&j| d[[i, j]] > net2) {
                kept.push(i);
            }
        }
        let core_idx = kept;
        let core = train.select(Axis(0), &core_idx);
        Ok(DbscanDetector {
            norms: distance::sq_norms(core.view()),
            core,
            eps,
            clusters,
            noise_share: noise as f64 / train.nrows() as f64,
        })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            distance::by_block(part, |block| {
                distance::nearest_distance(block, self.core.view(), self.norms.view()) / self.eps
            })
        })
    }
}

impl DbscanDetector {
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.core.ncols() != d || self.norms.len() != self.core.nrows() || !self.eps.is_finite()
        {
            return Err(Inconsistency::new(format!(
                "dbscan: {} core rows of width {} with {} norms for {d} features",
                self.core.nrows(),
                self.core.ncols(),
                self.norms.len()
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
        testdata::assert_finds_planted_outliers::<DbscanDetector>(0.95);
    }

    #[test]
    fn one_dense_blob_is_one_cluster() {
        let (x, _) = testdata::blob_with_outliers();
        let d = DbscanDetector::fit(x.view(), 1).expect("fits");
        assert!(
            d.clusters >= 1 && d.clusters <= 3,
            "{} clusters",
            d.clusters
        );
        assert!(d.noise_share < 0.2);
    }
}
