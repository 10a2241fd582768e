//! PCA to two dimensions for the projection pane: the top two eigenvectors of the training
//! covariance by power iteration with deflation. linfa-reduction's PCA was the first choice,
//! but its LOBPCG solver panics ("NaN values in array") on the full NSL-KDD window, and a
//! panic inside a refit must not happen; with d ≤ a few hundred features, power iteration on
//! the d × d covariance is exact enough and takes milliseconds.

use crate::learn::detect::FitError;
use crate::learn::model::Inconsistency;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::learn::sample;

/// Rows the principal axes are fitted on.
const FIT_ROWS: usize = 5000;
const ITERATIONS: usize = 300;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Projection {
    mean: Array1<f64>,
    /// 2 × d, one principal axis per row.
    axes: Array2<f64>,
    /// Share of the total variance along each axis.
    explained: [f64; 2],
}

impl Projection {
    pub fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Projection, FitError> {
        if x.ncols() < 2 || x.nrows() < 3 {
            return Err(FitError::Degenerate(
                "PCA needs at least 3 rows and 2 features".into(),
            ));
        }
        let rows = sample::rows(x, FIT_ROWS, &mut sample::rng(seed));
        let mean = rows
            .mean_axis(Axis(0))
            .ok_or_else(|| FitError::Degenerate("no rows".into()))?;
        let centred = &rows - &mean;
        let mut cov = centred.t().dot(&centred) / (rows.nrows() - 1) as f64;
        let total: f64 = cov.diag().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(FitError::Degenerate("no variance to project".into()));
        }
        let d = cov.nrows();
        let mut axes = Array2::zeros((2, d));
        let mut explained = [0.0; 2];
        for (k, share) in explained.iter_mut().enumerate() {
            // Deterministic start that is not orthogonal to any axis in practice.
            let mut v: Array1<f64> = (0..d)
                .map(|i| 1.0 + (i as f64 * 0.618_034).fract())
                .collect();
            let mut lambda = 0.0;
            for _ in 0..ITERATIONS {
                let w = cov.dot(&v);
                let norm = w.dot(&w).sqrt();
                if norm <= f64::EPSILON * total {
                    break;
                }
                v = w / norm;
                lambda = norm;
            }
            *share = (lambda / total).clamp(0.0, 1.0);
            axes.row_mut(k).assign(&v);
            // Deflate: remove this axis's variance before finding the next one.
            let outer = v
                .view()
                .insert_axis(Axis(1))
                .dot(&v.view().insert_axis(Axis(0)));
            cov = cov - outer * lambda;
        }
        Ok(Projection {
            mean,
            axes,
            explained,
        })
    }

    /// Two coordinates per row.
    pub fn project(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean).dot(&self.axes.t())
    }

    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.explained.to_vec()
    }
}

impl Projection {
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.mean.len() != d || self.axes.dim() != (2, d) {
            return Err(Inconsistency::new(format!(
                "projection: mean of {} and axes of {:?} for {d} features",
                self.mean.len(),
                self.axes.dim()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_axis_follows_the_direction_of_largest_spread() {
        let x = Array2::from_shape_fn((200, 3), |(i, j)| match j {
            0 => i as f64,
            1 => i as f64 * 0.5 + (i % 3) as f64 * 0.01,
            _ => (i % 7) as f64 * 0.01,
        });
        let p = Projection::fit(x.view(), 1).expect("fits");
        let r = p.explained_variance_ratio();
        assert!(r[0] > 0.99, "{r:?}");
        let y = p.project(x.view());
        assert_eq!(y.dim(), (200, 2));
        // The first axis is (2, 1, 0)/√5 up to sign.
        let a = p.axes.row(0);
        assert!((a[0].abs() - 2.0 / 5f64.sqrt()).abs() < 1e-3, "{a}");
    }

    /// Figures from scikit-learn 1.9 `PCA(2).fit(x).explained_variance_ratio_`.
    #[test]
    fn explained_variance_matches_scikit_learn() {
        let x = Array2::from_shape_fn((50, 4), |(i, j)| {
            ((i * 7 + j * 13) % 17) as f64 + (j as f64) * (i as f64) * 0.1
        });
        let p = Projection::fit(x.view(), 1).expect("fits");
        let r = p.explained_variance_ratio();
        assert!(
            (r[0] - SK_RATIO[0]).abs() < 1e-6 && (r[1] - SK_RATIO[1]).abs() < 1e-6,
            "{r:?}"
        );
    }

    const SK_RATIO: [f64; 2] = [0.418_517_281_691_133_8, 0.269_943_422_790_386_7];
}
