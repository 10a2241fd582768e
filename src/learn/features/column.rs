//! How one numeric input becomes one model feature: impute, maybe log1p, scale. Fitted on the
//! training window only.

use serde::{Deserialize, Serialize};

/// Scaled values are clipped here so one extreme cell cannot dominate every distance.
pub const CLIP: f64 = 100.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericTransform {
    /// Replaces NaN and ±inf (the training median of the finite values).
    pub fill: f64,
    pub log1p: bool,
    /// Centre and spread after the optional log1p.
    pub center: f64,
    pub scale: f64,
}

/// Why a column was not turned into a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Every training value is the same (or missing).
    Constant,
}

impl NumericTransform {
    /// Fits on the training values of one column (any order; non-finite allowed).
    pub fn fit(values: &[f64]) -> Result<NumericTransform, Unusable> {
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return Err(Unusable::Constant);
        }
        finite.sort_by(f64::total_cmp);
        let fill = quantile_sorted(&finite, 0.5);
        let min = finite[0];
        let max = finite[finite.len() - 1];
        if max - min <= f64::EPSILON * max.abs().max(1.0) {
            return Err(Unusable::Constant);
        }
        // Counts, bytes and durations span orders of magnitude; log1p brings their tails in so
        // distances are not decided by one column. Only for non-negative, right-skewed columns.
        let log1p = min >= 0.0 && max >= 10.0 && skewness(&finite) > 1.0;
        let transformed: Vec<f64> = if log1p {
            finite.iter().map(|v| v.ln_1p()).collect()
        } else {
            finite
        };
        let center = quantile_sorted(&transformed, 0.5);
        let iqr = quantile_sorted(&transformed, 0.75) - quantile_sorted(&transformed, 0.25);
        let std = std_dev(&transformed);
        // Robust scale (IQR as a normal σ) unless the column is mostly one value, where the IQR
        // is tiny or zero and would blow rare values up; then the standard deviation.
        let robust = iqr / 1.349;
        let scale = if robust > 0.1 * std { robust } else { std };
        if scale <= 0.0 || !scale.is_finite() {
            return Err(Unusable::Constant);
        }
        Ok(NumericTransform {
            fill,
            log1p,
            center,
            scale,
        })
    }

    pub fn apply(&self, v: f64) -> f64 {
        let v = if v.is_finite() { v } else { self.fill };
        // log1p of a negative below -1 is NaN: values unseen in training keep their sign.
        let v = if self.log1p { v.max(0.0).ln_1p() } else { v };
        ((v - self.center) / self.scale).clamp(-CLIP, CLIP)
    }
}

/// Linear-interpolated quantile of sorted data (numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

fn std_dev(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

fn skewness(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 { 0.0 } else { m3 / m2.powf(1.5) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_tailed_counts_get_log1p_and_missing_cells_the_median() {
        let mut v: Vec<f64> = (0..100).map(|i| f64::from(i)).collect();
        v.extend([1e6, 5e6, f64::NAN, f64::INFINITY]);
        let t = NumericTransform::fit(&v).expect("fits");
        assert!(t.log1p);
        assert_eq!(t.fill, 50.5);
        assert_eq!(t.apply(f64::NAN), t.apply(50.5));
        assert!(t.apply(5e6) > t.apply(100.0));
    }

    #[test]
    fn symmetric_and_negative_columns_stay_linear() {
        let v: Vec<f64> = (-50..50).map(|i| f64::from(i)).collect();
        let t = NumericTransform::fit(&v).expect("fits");
        assert!(!t.log1p);
        assert!((t.apply(t.center) - 0.0).abs() < 1e-12);
    }

    #[test]
    fn constant_or_empty_columns_are_unusable() {
        assert_eq!(NumericTransform::fit(&[3.0; 10]), Err(Unusable::Constant));
        assert_eq!(
            NumericTransform::fit(&[f64::NAN; 4]),
            Err(Unusable::Constant)
        );
    }

    #[test]
    fn mostly_zero_columns_scale_by_std_and_clip() {
        let mut v = vec![0.0; 990];
        v.extend([1.0; 10]);
        let t = NumericTransform::fit(&v).expect("fits");
        assert!(t.scale > 0.05, "scale {}", t.scale);
        assert!(t.apply(1e300).abs() <= CLIP);
    }
}
