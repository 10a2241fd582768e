//! Calibration: a detector's raw score becomes its position in the distribution of its own
//! training scores, so 0.95 means "more anomalous than 95 % of the training window" for every
//! detector. Scores beyond the training maximum keep their order through an exponential tail
//! instead of all tying at 1.0, which would throw away the ranking of the strongest outliers.

use crate::learn::model::Inconsistency;
use serde::{Deserialize, Serialize};

/// Quantiles kept of the training scores.
const KNOTS: usize = 1001;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Training-score quantiles at evenly spaced probabilities 0 … 1.
    knots: Vec<f64>,
    /// Training rows the knots came from: the tail starts at 1 − 1/(n + 1).
    n: usize,
    /// Raw-score distance over which the tail closes most of its remaining gap to 1.
    tail_scale: f64,
}

impl Calibration {
    pub fn fit(train_scores: &[f64]) -> Calibration {
        let mut s: Vec<f64> = train_scores
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        s.sort_by(f64::total_cmp);
        if s.is_empty() {
            s.push(0.0);
        }
        let m = KNOTS.min(s.len());
        let knots: Vec<f64> = (0..m)
            .map(|i| {
                let q = if m == 1 {
                    1.0
                } else {
                    i as f64 / (m - 1) as f64
                };
                crate::learn::features::quantile_sorted(&s, q)
            })
            .collect();
        let top = s[s.len() - 1];
        let p99 = crate::learn::features::quantile_sorted(&s, 0.99);
        let spread = crate::learn::features::quantile_sorted(&s, 0.75)
            - crate::learn::features::quantile_sorted(&s, 0.25);
        let tail_scale = [top - p99, spread, top.abs() * 1e-3, 1e-9]
            .into_iter()
            .find(|v| *v > 0.0)
            .unwrap_or(1e-9);
        Calibration {
            knots,
            n: s.len(),
            tail_scale,
        }
    }

    fn ceiling(&self) -> f64 {
        1.0 - 1.0 / (self.n as f64 + 1.0)
    }

    /// Monotone map to [0, 1]; NaN (a detector that failed on this row) maps to 0.5.
    pub fn apply(&self, raw: f64) -> f64 {
        if raw.is_nan() {
            return 0.5;
        }
        let k = &self.knots;
        let last = k.len() - 1;
        let top = k[last];
        if raw > top {
            return 1.0 - (1.0 - self.ceiling()) * (-(raw - top) / self.tail_scale).exp();
        }
        if raw < k[0] {
            return 0.0;
        }
        if last == 0 {
            return self.ceiling();
        }
        // Position of the last knot ≤ raw (ties: the upper end, as an ECDF counts "≤").
        let i = k.partition_point(|&v| v <= raw).saturating_sub(1);
        let p = if i >= last || k[i + 1] <= k[i] {
            i as f64 / last as f64
        } else {
            (i as f64 + (raw - k[i]) / (k[i + 1] - k[i])) / last as f64
        };
        p * self.ceiling()
    }
}

impl Calibration {
    /// A loaded calibration's consistency: finite knots in ascending order, rows behind them.
    pub(crate) fn check(&self) -> Result<(), Inconsistency> {
        let sorted = self.knots.windows(2).all(|w| w[0] <= w[1]);
        if self.knots.is_empty()
            || !sorted
            || self.knots.iter().any(|k| !k.is_finite())
            || self.n == 0
            || !self.tail_scale.is_finite()
            || self.tail_scale <= 0.0
        {
            return Err(Inconsistency::new(format!(
                "calibration of {} knots is not ascending finite values",
                self.knots.len()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_scores_are_training_ranks_and_keep_order_past_the_maximum() {
        let train: Vec<f64> = (0..1000).map(|i| f64::from(i)).collect();
        let c = Calibration::fit(&train);
        assert!((c.apply(950.0) - 0.95).abs() < 0.002, "{}", c.apply(950.0));
        assert_eq!(c.apply(-5.0), 0.0);
        let (a, b, z) = (c.apply(1000.0), c.apply(1010.0), c.apply(1e9));
        assert!(c.apply(999.0) < a && a < b && b < z && z <= 1.0);
        assert_eq!(c.apply(f64::NAN), 0.5);
    }

    #[test]
    fn constant_training_scores_still_give_a_monotone_map() {
        let c = Calibration::fit(&[2.0; 50]);
        assert!(c.apply(1.0) < c.apply(2.0));
        assert!(c.apply(2.0) < c.apply(3.0));
    }
}
