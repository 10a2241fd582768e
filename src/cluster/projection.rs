//! PCA to two dimensions (linfa-reduction) for the projection pane.

use linfa::prelude::*;
use linfa_reduction::Pca;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::detect::sample;

/// Rows the principal axes are fitted on.
const FIT_ROWS: usize = 5000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Projection {
    pca: Pca<f64>,
}

impl Projection {
    pub fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Projection, String> {
        if x.ncols() < 2 || x.nrows() < 3 {
            return Err("PCA needs at least 3 rows and 2 features".into());
        }
        let rows = sample::rows(x, FIT_ROWS, &mut sample::rng(seed));
        let pca = Pca::params(2)
            .fit(&DatasetBase::from(rows))
            .map_err(|e| format!("PCA: {e}"))?;
        Ok(Projection { pca })
    }

    /// Two coordinates per row.
    pub fn project(&self, x: ArrayView2<f64>) -> Array2<f64> {
        self.pca.predict(&x)
    }

    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.pca.explained_variance_ratio().to_vec()
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
    }
}
