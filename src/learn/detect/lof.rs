//! Local Outlier Factor (Breunig et al. 2000) in novelty mode, as scikit-learn's
//! `LocalOutlierFactor(novelty=True)`: the local reachability density of a row relative to
//! that of its k nearest training neighbours. The reference set is a bounded sample of the
//! window with exact duplicates removed (repeated flows give zero k-distances and infinite
//! densities), and neighbours are found by blocked GEMM distances.

use crate::learn::model::Inconsistency;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample};

const K: usize = 20;
/// Reference rows kept: scoring cost is linear in this.
const MAX_REFERENCE: usize = 400;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lof {
    reference: Array2<f64>,
    norms: Array1<f64>,
    /// Distance from each reference row to its k-th neighbour.
    k_distance: Array1<f64>,
    /// Local reachability density of each reference row.
    lrd: Array1<f64>,
    k: usize,
}

impl Detector for Lof {
    const KIND: DetectorKind = DetectorKind::Lof;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let reference = sample::rows(sample::unique_rows(x).view(), MAX_REFERENCE, &mut rng);
        if reference.nrows() <= K {
            return Err(FitError::Degenerate(format!(
                "only {} distinct rows; needs more than {K}",
                reference.nrows()
            )));
        }
        let k = K;
        let norms = distance::sq_norms(reference.view());
        // Neighbours of each reference row among the others (self excluded).
        let d = distance::sq_dists(reference.view(), reference.view(), norms.view());
        let mut scratch = Vec::new();
        let mut neighbours = Vec::with_capacity(reference.nrows());
        let mut k_distance = Array1::zeros(reference.nrows());
        for (i, row) in d.axis_iter(Axis(0)).enumerate() {
            let mut r = row.to_vec();
            r[i] = f64::INFINITY;
            let n = distance::k_smallest(&r, k, &mut scratch);
            let nn: Vec<(f64, u32)> = scratch[..n].iter().map(|&(v, j)| (v.sqrt(), j)).collect();
            k_distance[i] = nn.iter().map(|p| p.0).fold(0.0, f64::max);
            neighbours.push(nn);
        }
        let lrd = neighbours
            .iter()
            .map(|nn| reach_density(nn, &k_distance))
            .collect();
        Ok(Lof {
            reference,
            norms,
            k_distance,
            lrd,
            k,
        })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            distance::by_block(part, |block| {
                distance::k_nearest(block, self.reference.view(), self.norms.view(), self.k)
                    .into_iter()
                    .map(|mut nn| {
                        for p in &mut nn {
                            p.0 = p.0.sqrt();
                        }
                        let own = reach_density(&nn, &self.k_distance);
                        let theirs: f64 =
                            nn.iter().map(|&(_, j)| self.lrd[j as usize]).sum::<f64>()
                                / nn.len().max(1) as f64;
                        theirs / own
                    })
                    .collect()
            })
        })
    }
}

/// 1 / mean reachability distance, with scikit-learn's 1e-10 guard.
fn reach_density(nn: &[(f64, u32)], k_distance: &Array1<f64>) -> f64 {
    let sum: f64 = nn.iter().map(|&(d, j)| d.max(k_distance[j as usize])).sum();
    1.0 / (sum / nn.len().max(1) as f64 + 1e-10)
}

impl Lof {
    /// A loaded model's consistency: reference rows of width `d`, one norm, k-distance and
    /// density per row, 1 ≤ k ≤ rows.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        let rows = self.reference.nrows();
        if self.reference.ncols() != d
            || self.norms.len() != rows
            || self.k_distance.len() != rows
            || self.lrd.len() != rows
        {
            return Err(Inconsistency::new(format!(
                "lof: reference of {}x{} with {} norms, {} k-distances, {} densities for {d} features",
                rows,
                self.reference.ncols(),
                self.norms.len(),
                self.k_distance.len(),
                self.lrd.len()
            )));
        }
        if self.k == 0 || self.k > rows {
            return Err(Inconsistency::new(format!(
                "lof: k = {} with {rows} reference rows",
                self.k
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
        testdata::assert_finds_planted_outliers::<Lof>(0.95);
    }

    #[test]
    fn inliers_score_near_one() {
        let (x, _) = testdata::blob_with_outliers();
        let lof = Lof::fit(x.view(), 3).expect("fits");
        let s = lof.score(x.slice_axis(Axis(0), (0..500).into()));
        let mut v = s.to_vec();
        v.sort_by(f64::total_cmp);
        assert!((v[250] - 1.0).abs() < 0.15, "median LOF {}", v[250]);
    }

    #[test]
    fn too_few_distinct_rows_is_a_clear_error() {
        let x = Array2::from_elem((100, 3), 1.0);
        assert!(matches!(
            Lof::fit(x.view(), 1),
            Err(FitError::Degenerate(_))
        ));
    }
}
