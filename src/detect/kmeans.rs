//! K-Means distance: the distance from a row to the nearest centroid of the window's
//! clustering (k chosen by silhouette, see `cluster`).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows};
use crate::cluster::Clustering;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeansDetector {
    pub clustering: Clustering,
}

impl Detector for KMeansDetector {
    const KIND: DetectorKind = DetectorKind::Kmeans;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let clustering = Clustering::fit(x, seed).map_err(FitError::Degenerate)?;
        Ok(KMeansDetector { clustering })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| self.clustering.nearest(part).1)
    }
}

/// Index and distance of the nearest centroid for each row.
pub fn nearest(
    x: ArrayView2<f64>,
    centroids: &Array2<f64>,
    norms: &Array1<f64>,
) -> (Vec<usize>, Array1<f64>) {
    let mut idx = Vec::with_capacity(x.nrows());
    let dist = distance::by_block(x, |block| {
        let d = distance::sq_dists(block, centroids.view(), norms.view());
        d.axis_iter(Axis(0))
            .map(|row| {
                let (j, v) = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::INFINITY),
                        |b, (j, &v)| if v < b.1 { (j, v) } else { b },
                    );
                idx.push(j);
                v.sqrt()
            })
            .collect()
    });
    (idx, dist)
}

impl KMeansDetector {
    pub(crate) fn check(&self, d: usize) -> Result<(), String> {
        self.clustering.check(d).map_err(|e| format!("kmeans: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testdata;

    #[test]
    fn planted_outliers_score_highest() {
        testdata::assert_finds_planted_outliers::<KMeansDetector>(0.95);
    }
}
