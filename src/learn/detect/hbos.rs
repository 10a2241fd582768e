//! Histogram-based Outlier Score (Goldstein & Dengel 2012), as `PyOD`'s `HBOS` with its
//! defaults: 10 equal-width bins per feature over the training range, density histograms,
//! score = −Σ log2(density + α); values just outside the range (within tol · bin width) count
//! as the edge bin, further out as the emptiest bin.

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows};

const BINS: usize = 10;
const ALPHA: f64 = 0.1;
const TOL: f64 = 0.5;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Histogram {
    lo: f64,
    width: f64,
    /// log2(density + α) per bin.
    log_density: Vec<f64>,
    min_log_density: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hbos {
    features: Vec<Histogram>,
}

impl Detector for Hbos {
    const KIND: DetectorKind = DetectorKind::Hbos;

    fn fit(x: ArrayView2<f64>, _seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let n = x.nrows() as f64;
        let features = x
            .columns()
            .into_iter()
            .map(|c| {
                let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // numpy widens a zero range to ±0.5.
                let (lo, hi) = if hi > lo {
                    (lo, hi)
                } else {
                    (lo - 0.5, hi + 0.5)
                };
                let width = (hi - lo) / BINS as f64;
                let mut counts = [0usize; BINS];
                for &v in c {
                    counts[bin_of(v, lo, width)] += 1;
                }
                let log_density: Vec<f64> = counts
                    .iter()
                    .map(|&k| (k as f64 / (n * width) + ALPHA).log2())
                    .collect();
                let min_log_density = log_density.iter().copied().fold(f64::INFINITY, f64::min);
                Histogram {
                    lo,
                    width,
                    log_density,
                    min_log_density,
                }
            })
            .collect();
        Ok(Hbos { features })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        distance::par_rows(x, |part| {
            part.rows()
                .into_iter()
                .map(|row| {
                    -row.iter()
                        .zip(&self.features)
                        .map(|(&v, h)| h.log_density_at(v))
                        .sum::<f64>()
                })
                .collect()
        })
    }
}

/// Histogram bins are closed on the left, as numpy counts them.
fn bin_of(v: f64, lo: f64, width: f64) -> usize {
    (((v - lo) / width).floor().max(0.0) as usize).min(BINS - 1)
}

/// `PyOD` looks values up with `np.digitize(right=True)`: bins closed on the right, so a value
/// on an inner edge scores with the bin below it. Counts and discrete values sit on edges
/// often; matching this keeps the scores identical.
fn scoring_bin_of(v: f64, lo: f64, width: f64) -> usize {
    ((((v - lo) / width).ceil() as usize).max(1) - 1).min(BINS - 1)
}

impl Histogram {
    fn log_density_at(&self, v: f64) -> f64 {
        let hi = self.lo + self.width * BINS as f64;
        if v < self.lo {
            return if self.lo - v <= self.width * TOL {
                self.log_density[0]
            } else {
                self.min_log_density
            };
        }
        if v > hi {
            return if v - hi <= self.width * TOL {
                self.log_density[BINS - 1]
            } else {
                self.min_log_density
            };
        }
        self.log_density[scoring_bin_of(v, self.lo, self.width)]
    }
}

impl Hbos {
    /// A loaded model's consistency: one histogram per feature, with bins and a width.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.features.len() != d {
            return Err(Inconsistency::new(format!(
                "hbos: {} histograms for {d} features",
                self.features.len()
            )));
        }
        for (j, h) in self.features.iter().enumerate() {
            if h.log_density.is_empty()
                || !(h.width.is_finite() && h.width > 0.0)
                || !h.lo.is_finite()
            {
                return Err(Inconsistency::new(format!(
                    "hbos: histogram {j} has no bins or no width"
                )));
            }
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
        testdata::assert_finds_planted_outliers::<Hbos>(0.85);
    }
}
