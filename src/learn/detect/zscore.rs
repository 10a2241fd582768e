//! Robust z-score: each feature's distance from the training median in units of its MAD
//! (scaled to σ); the row's score is the root mean square over features, so one wildly
//! deviating feature or several moderately deviating ones both stand out.

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows};
use crate::learn::features::quantile_sorted;

/// Per-feature |z| is capped so one saturated feature cannot hide the rest.
const Z_CAP: f64 = 50.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobustZ {
    pub median: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Detector for RobustZ {
    const KIND: DetectorKind = DetectorKind::Zscore;

    fn fit(x: ArrayView2<f64>, _seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let (median, scale) = robust_center_scale(x);
        Ok(RobustZ { median, scale })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            part.rows()
                .into_iter()
                .map(|row| {
                    let ss: f64 = self.z_iter(row.iter().copied()).map(|z| z * z).sum();
                    (ss / self.median.len().max(1) as f64).sqrt()
                })
                .collect()
        })
    }
}

impl RobustZ {
    /// |z| of each feature of one row.
    pub fn z_iter(&self, row: impl Iterator<Item = f64>) -> impl Iterator<Item = f64> {
        row.zip(self.median.iter().zip(&self.scale))
            .map(|(v, (m, s))| ((v - m) / s).abs().min(Z_CAP))
    }
}

/// Median and MAD·1.4826 per column; where the MAD is zero (mostly one value) the mean
/// absolute deviation, and 1 where the column is constant.
pub fn robust_center_scale(x: ArrayView2<f64>) -> (Vec<f64>, Vec<f64>) {
    let mut median = Vec::with_capacity(x.ncols());
    let mut scale = Vec::with_capacity(x.ncols());
    let mut col = Vec::with_capacity(x.nrows());
    for c in x.columns() {
        col.clear();
        col.extend(c.iter().copied());
        col.sort_by(f64::total_cmp);
        let m = quantile_sorted(&col, 0.5);
        let mut dev: Vec<f64> = col.iter().map(|v| (v - m).abs()).collect();
        dev.sort_by(f64::total_cmp);
        let mad = quantile_sorted(&dev, 0.5) * 1.4826;
        let mean_abs = dev.iter().sum::<f64>() / dev.len().max(1) as f64;
        let s = [mad, mean_abs * 1.2533]
            .into_iter()
            .find(|v| *v > 1e-12)
            .unwrap_or(1.0);
        median.push(m);
        scale.push(s);
    }
    (median, scale)
}

impl RobustZ {
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.median.len() != d || self.scale.len() != d {
            return Err(Inconsistency::new(format!(
                "zscore: {} medians and {} scales for {d} features",
                self.median.len(),
                self.scale.len()
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
        testdata::assert_finds_planted_outliers::<RobustZ>(0.95);
    }

    #[test]
    fn mostly_constant_columns_get_a_finite_scale() {
        let mut x = ndarray::Array2::zeros((100, 2));
        x[[0, 0]] = 5.0;
        let z = RobustZ::fit(x.view(), 0).expect("fits");
        assert!(z.scale.iter().all(|s| *s > 0.0 && s.is_finite()));
    }
}
