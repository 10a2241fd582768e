//! ECOD (Li et al. 2022), as `PyOD`'s: per feature, the left and right tail probabilities of a
//! value under the training ECDF, −log of each, and the skewness-chosen tail; a row's score is
//! the sum over features of the largest of the three. The ECDF is kept as a bounded set of
//! order statistics, so model size and scoring cost do not grow with the window.

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows};
use crate::learn::features::quantile_sorted;

const KNOTS: usize = 2048;

/// One feature's training ECDF as distinct values with cumulative counts (flow features are
/// full of ties: one-hot columns have two values, counters pile up at zero), plus an
/// equal-width grid over the value range so a lookup only searches its own cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tail {
    /// Distinct knot values, ascending. f32 halves the cache footprint; values are compared
    /// after the same rounding, so ties stay ties.
    values: Vec<f32>,
    /// Knots < values[i] and knots ≤ values[i].
    below: Vec<u32>,
    upto: Vec<u32>,
    /// Knots in all (the ECDF's denominator).
    m: u32,
    /// `grid[c]`: distinct values below the lower edge of cell c.
    grid: Vec<u32>,
    cell_width: f32,
    /// Sign of the training skewness: +1 right tail, −1 left tail, 0 both.
    skew: i8,
}

const GRID: usize = 1024;

impl Tail {
    fn new(knots: &[f32], skew: i8) -> Tail {
        let mut values = Vec::new();
        let mut below = Vec::new();
        let mut upto = Vec::new();
        for (i, &k) in knots.iter().enumerate() {
            if values.last() == Some(&k) {
                if let Some(u) = upto.last_mut() {
                    *u = i as u32 + 1;
                }
            } else {
                values.push(k);
                below.push(i as u32);
                upto.push(i as u32 + 1);
            }
        }
        let lo = values.first().copied().unwrap_or(0.0);
        let hi = values.last().copied().unwrap_or(0.0);
        let cell_width = ((hi - lo) / GRID as f32).max(f32::MIN_POSITIVE);
        let mut grid: Vec<u32> = (0..GRID)
            .map(|c| values.partition_point(|&k| k < lo + c as f32 * cell_width) as u32)
            .collect();
        grid.push(values.len() as u32);
        Tail {
            values,
            below,
            upto,
            m: knots.len() as u32,
            grid,
            cell_width,
            skew,
        }
    }

    /// Knots < v and knots ≤ v. A value equal to a knot lies in that knot's cell, so the
    /// search never leaves the cell.
    fn counts(&self, v: f32) -> (usize, usize) {
        let (Some(&lo), Some(&hi)) = (self.values.first(), self.values.last()) else {
            return (0, 0);
        };
        if v < lo {
            return (0, 0);
        }
        if v > hi {
            return (self.m as usize, self.m as usize);
        }
        let c = (((v - lo) / self.cell_width) as usize).min(GRID - 1);
        let (a, b) = (self.grid[c] as usize, self.grid[c + 1] as usize);
        let i = a + self.values[a..b.max(a)].partition_point(|&k| k < v);
        if self.values.get(i) == Some(&v) {
            (self.below[i] as usize, self.upto[i] as usize)
        } else {
            let n = if i == 0 { 0 } else { self.upto[i - 1] as usize };
            (n, n)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ecod {
    features: Vec<Tail>,
    n: usize,
}

impl Detector for Ecod {
    const KIND: DetectorKind = DetectorKind::Ecod;

    fn fit(x: ArrayView2<f64>, _seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let features = x
            .columns()
            .into_iter()
            .map(|c| {
                let mut v = c.to_vec();
                v.sort_by(f64::total_cmp);
                let knots: Vec<f32> = if v.len() <= KNOTS {
                    v.iter().map(|&k| k as f32).collect()
                } else {
                    (0..KNOTS)
                        .map(|i| quantile_sorted(&v, i as f64 / (KNOTS - 1) as f64) as f32)
                        .collect()
                };
                Tail::new(&knots, skew_sign(&v))
            })
            .collect();
        Ok(Ecod {
            features,
            n: x.nrows(),
        })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        // −ln tail probability for every possible knot count, shared by all features (they
        // have the same number of knots), so scoring takes no logarithms.
        let m = self.features.first().map_or(0, |t| t.m as usize);
        let n = self.n as f64;
        let tail: Vec<f64> = (0..=m)
            .map(|c| -((c as f64 / m.max(1) as f64 * n + 1.0) / (n + 1.0)).ln())
            .collect();
        distance::par_rows(x, |part| {
            part.rows()
                .into_iter()
                .map(|row| {
                    row.iter()
                        .zip(&self.features)
                        .map(|(&v, t)| {
                            let v = v as f32;
                            // Training rows ≤ v and ≥ v (as knot counts); the row itself
                            // counts once, as PyOD scores test rows pooled with training.
                            let (lt, le) = t.counts(v);
                            let left = tail[le];
                            let right = tail[t.m as usize - lt];
                            let skewed = match t.skew {
                                1 => right,
                                -1 => left,
                                _ => left + right,
                            };
                            left.max(right).max(skewed)
                        })
                        .sum::<f64>()
                })
                .collect()
        })
    }
}

fn skew_sign(sorted: &[f64]) -> i8 {
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let m3 = sorted.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m3 > 0.0 {
        1
    } else if m3 < 0.0 {
        -1
    } else {
        0
    }
}

impl Ecod {
    /// A loaded model's consistency: one tail per feature, knot tables of one length, grid
    /// entries within them.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.features.len() != d {
            return Err(Inconsistency::new(format!(
                "ecod: {} feature tails for {d} features",
                self.features.len()
            )));
        }
        let m = self.features.first().map_or(0, |t| t.m);
        for (j, t) in self.features.iter().enumerate() {
            let n = t.values.len();
            let ok = t.m == m
                && t.below.len() == n
                && t.upto.len() == n
                && t.below.iter().chain(&t.upto).all(|&c| c <= t.m)
                && t.grid.iter().all(|&g| g as usize <= n)
                && !t.grid.is_empty()
                && t.cell_width.is_finite()
                && t.cell_width > 0.0
                && t.values.iter().all(|v| v.is_finite());
            if !ok {
                return Err(Inconsistency::new(format!(
                    "ecod: feature {j}'s tail tables do not agree"
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
        testdata::assert_finds_planted_outliers::<Ecod>(0.85);
    }

    #[test]
    fn grid_counts_equal_a_full_search_with_ties_and_out_of_range_values() {
        let mut knots: Vec<f32> = (0..500).map(|i| ((i * 37) % 101) as f32 / 7.0).collect();
        knots.extend([0.0; 300]);
        knots.sort_by(f32::total_cmp);
        let t = Tail::new(&knots, 1);
        for v in [
            -1.0,
            0.0,
            0.5,
            3.0,
            100.0 / 7.0,
            14.4,
            20.0,
            1.0 / 7.0,
            50.0 / 7.0,
        ] {
            let lt = knots.partition_point(|&k| k < v);
            let le = knots.partition_point(|&k| k <= v);
            assert_eq!(t.counts(v), (lt, le), "at {v}");
        }
    }
}
