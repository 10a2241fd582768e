//! Clustering of the training window: K-Means (linfa) with k chosen by silhouette, the three
//! quality indices, per-cluster statistics and a PCA projection to 2-D.

mod indices;
mod projection;
mod stats;

use crate::learn::detect::FitError;
use crate::learn::model::Inconsistency;
use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

pub use indices::{calinski_harabasz, davies_bouldin, silhouette};
pub use projection::Projection;
pub use stats::{ClusterStats, ClusterSummary};

use crate::learn::{distance, sample};

pub const K_MIN: usize = 2;
pub const K_MAX: usize = 8;
/// Rows K-Means is fitted on; the rest of the window is assigned by `nearest`.
const FIT_ROWS: usize = 3000;
/// Rows the silhouette is computed on (it is quadratic).
const SILHOUETTE_ROWS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Clustering {
    pub centroids: Array2<f64>,
    norms: Array1<f64>,
    pub silhouette: f64,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Silhouette of every k tried, for the record.
    pub tried: Vec<(usize, f64)>,
}

impl Clustering {
    pub fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Clustering, FitError> {
        Clustering::fit_cancellable(x, seed, &crate::learn::cancel::Cancel::default())
    }

    /// `fit` that gives up before the next number of clusters once `cancel` is set.
    pub fn fit_cancellable(
        x: ArrayView2<f64>,
        seed: u64,
        cancel: &crate::learn::cancel::Cancel,
    ) -> Result<Clustering, FitError> {
        let mut rng = sample::rng(seed);
        let fit_rows = sample::rows(x, FIT_ROWS, &mut rng);
        let sil_rows = sample::rows(fit_rows.view(), SILHOUETTE_ROWS, &mut rng);
        let distinct = sample::unique_rows(sil_rows.view()).nrows();
        let k_max = K_MAX.min(distinct.saturating_sub(1));
        if k_max < K_MIN {
            return Err(FitError::Degenerate(format!(
                "only {distinct} distinct rows; K-Means needs at least 3"
            )));
        }
        let data = DatasetBase::from(fit_rows.clone());
        let mut best: Option<(f64, Array2<f64>)> = None;
        let mut tried = Vec::new();
        for k in K_MIN..=k_max {
            cancel.check()?;
            let model = KMeans::params_with_rng(k, sample::rng(seed.wrapping_add(k as u64)))
                .n_runs(3)
                .max_n_iterations(100)
                .tolerance(1e-4)
                .fit(&data)
                .map_err(|e| FitError::Degenerate(format!("K-Means (k={k}): {e}")))?;
            let centroids = model.centroids().to_owned();
            let norms = distance::sq_norms(centroids.view());
            let (labels, _) = nearest_centroid(sil_rows.view(), &centroids, &norms);
            let s = silhouette(sil_rows.view(), &labels);
            tried.push((k, s));
            if best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, centroids));
            }
        }
        let Some((sil, centroids)) = best else {
            return Err(FitError::Degenerate("no k could be fitted".into()));
        };
        let norms = distance::sq_norms(centroids.view());
        let (labels, _) = nearest_centroid(fit_rows.view(), &centroids, &norms);
        Ok(Clustering {
            davies_bouldin: davies_bouldin(fit_rows.view(), &labels, &centroids),
            calinski_harabasz: calinski_harabasz(fit_rows.view(), &labels, &centroids),
            silhouette: sil,
            centroids,
            norms,
            tried,
        })
    }

    pub fn k(&self) -> usize {
        self.centroids.nrows()
    }

    /// Nearest cluster and distance to its centroid, per row.
    pub fn nearest(&self, x: ArrayView2<f64>) -> (Vec<usize>, Array1<f64>) {
        nearest_centroid(x, &self.centroids, &self.norms)
    }
}

impl Clustering {
    /// A loaded clustering's consistency: at least one centroid of width `d`, one norm each.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        let k = self.centroids.nrows();
        if k == 0 || self.centroids.ncols() != d || self.norms.len() != k {
            return Err(Inconsistency::new(format!(
                "{k} centroids of width {} with {} norms for {d} features",
                self.centroids.ncols(),
                self.norms.len()
            )));
        }
        Ok(())
    }
}

/// Index and distance of the nearest centroid for each row.
pub fn nearest_centroid(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Three well separated blobs: silhouette picks k = 3.
    #[test]
    fn silhouette_picks_the_number_of_blobs() {
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let mut rng = sample::rng(3);
        use rand::Rng;
        let x = Array2::from_shape_fn((300, 2), |(i, j)| {
            centres[i % 3][j] + rng.gen_range(-1.0..1.0)
        });
        let c = Clustering::fit(x.view(), 1).expect("fits");
        assert_eq!(c.k(), 3, "tried {:?}", c.tried);
        assert!(c.silhouette > 0.8);
        assert!(c.davies_bouldin < 0.3);
    }
}
