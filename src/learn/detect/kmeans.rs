//! K-Means distance in the manner of CBLOF (He, Xu & Deng 2003): a row in a large cluster is
//! scored by its distance to that cluster's centre, a row in a small cluster by its distance
//! to the nearest large one. Plain distance-to-centroid calls a dense flood of identical flows
//! normal as soon as K-Means gives it a cluster of its own (its centroid sits on it); measured
//! from the normal traffic, the flood is as far as it really is.
//!
//! Large clusters are, biggest first, those needed to hold `LARGE_SHARE` of the window's rows,
//! stopping early where one cluster is `SIZE_RATIO` times the next (CBLOF's α = 0.9 and β = 5,
//! `PyOD`'s defaults): a flood of up to a tenth of the window stays "small" while two genuine
//! modes of normal traffic (say 60 % and 35 %) are both "large".

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{Cancel, Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows};
use crate::learn::cluster::{Clustering, nearest_centroid};

/// Share of the window the large clusters hold (CBLOF's α).
const LARGE_SHARE: f64 = 0.9;
/// A cluster this many times the next one ends the large clusters (CBLOF's β).
const SIZE_RATIO: f64 = 5.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeansDetector {
    pub clustering: Clustering,
    /// Per cluster: large (scored from its own centre) or small (from the nearest large one).
    /// Empty in model files written before this: every cluster counts as large.
    #[serde(default)]
    pub large: Vec<bool>,
}

/// The large clusters of a clustering whose clusters hold `sizes` rows.
pub fn large_clusters(sizes: &[usize]) -> Vec<bool> {
    let total: usize = sizes.iter().sum();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]));
    let mut large = vec![false; sizes.len()];
    let mut held = 0;
    for (i, &c) in order.iter().enumerate() {
        large[c] = true;
        held += sizes[c];
        let next = order.get(i + 1).map_or(0, |&n| sizes[n]);
        if held as f64 >= LARGE_SHARE * total as f64
            || (next > 0 && sizes[c] as f64 >= SIZE_RATIO * next as f64)
        {
            break;
        }
    }
    large
}

impl Detector for KMeansDetector {
    const KIND: DetectorKind = DetectorKind::Kmeans;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        Self::fit_cancellable(x, seed, &Cancel::default())
    }

    /// Looks at `cancel` before each number of clusters it tries.
    fn fit_cancellable(x: ArrayView2<f64>, seed: u64, cancel: &Cancel) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let clustering = Clustering::fit_cancellable(x, seed, cancel)?;
        let mut sizes = vec![0; clustering.k()];
        for c in clustering.nearest(x).0 {
            sizes[c] += 1;
        }
        let large = large_clusters(&sizes);
        Ok(KMeansDetector { clustering, large })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| self.cblof(part))
    }
}

impl KMeansDetector {
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        self.clustering
            .check(d)
            .map_err(|e| format!("kmeans: {e}"))?;
        if !self.large.is_empty() && self.large.len() != self.clustering.k() {
            return Err(Inconsistency::new(format!(
                "kmeans: {} cluster sizes for {} clusters",
                self.large.len(),
                self.clustering.k()
            )));
        }
        Ok(())
    }

    /// Distance to the own centre for rows of large clusters, to the nearest large centre for
    /// the others.
    fn cblof(&self, x: ArrayView2<f64>) -> Array1<f64> {
        let (nearest, own) = self.clustering.nearest(x);
        if self.large.is_empty() || self.large.iter().all(|l| *l) {
            return own;
        }
        let big: Vec<usize> = (0..self.large.len()).filter(|&c| self.large[c]).collect();
        let centres = self.clustering.centroids.select(Axis(0), &big);
        let norms = distance::sq_norms(centres.view());
        let (_, to_large) = nearest_centroid(x, &centres, &norms);
        Array1::from_iter(
            nearest
                .iter()
                .zip(own.iter().zip(to_large.iter()))
                .map(|(&c, (&d_own, &d_large))| if self.large[c] { d_own } else { d_large }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::detect::testdata;
    use ndarray::Array2;

    #[test]
    fn planted_outliers_score_highest() {
        testdata::assert_finds_planted_outliers::<KMeansDetector>(0.95);
    }

    #[test]
    fn large_clusters_hold_ninety_percent_or_end_at_a_fivefold_drop() {
        assert_eq!(large_clusters(&[600, 350, 50]), [true, true, false]);
        assert_eq!(large_clusters(&[50, 950]), [false, true]);
        // A fivefold drop ends the large ones before 90 % is reached.
        assert_eq!(large_clusters(&[800, 150, 50]), [true, false, false]);
        assert_eq!(
            large_clusters(&[300, 300, 300, 100]),
            [true, true, true, false]
        );
        assert_eq!(large_clusters(&[10]), [true]);
    }

    /// A dense flood far from normal traffic gets a cluster of its own; scored from the normal
    /// cluster it is the most anomalous thing in the window, not the most normal.
    #[test]
    fn a_flood_in_its_own_cluster_scores_far() {
        let mut rng = crate::learn::sample::rng(7);
        use rand::Rng;
        let n = 2000;
        let flood = 40;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            if i < flood {
                // Identical flows far from the rest.
                [8.0, -6.0, 9.0][j]
            } else {
                rng.gen_range(-1.0..1.0)
            }
        });
        let d = KMeansDetector::fit(x.view(), 1).expect("fit");
        let s = d.score(x.view());
        let normal_max = s.iter().skip(flood).fold(0.0f64, |a, &b| a.max(b));
        assert!(
            s.iter().take(flood).all(|&v| v > normal_max),
            "flood {} vs normal max {normal_max}; large {:?}",
            s[0],
            d.large
        );
    }
}
