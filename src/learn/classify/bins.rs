//! Quantile bins for tree training: each feature's training values become at most 255 ordered
//! bins (one per distinct value when there are few), so a split search is a histogram scan
//! instead of a sort. Cuts sit halfway between neighbouring training values, as
//! scikit-learn's thresholds do, so a fitted tree predicts on the raw feature values. Trees
//! work in f32 (half the cache footprint in prediction); values are rounded to f32 before
//! binning, so a cut separates exactly the f32 values it separated in training.

use ndarray::ArrayView2;

pub const MAX_BINS: usize = 255;

pub struct Binned {
    /// Column-major codes: `codes[f * rows + i]`.
    pub codes: Vec<u8>,
    pub rows: usize,
    /// Per feature, the cut between bin b and b + 1: a value `<= cuts[f][b]` is in a bin ≤ b.
    pub cuts: Vec<Vec<f32>>,
}

impl Binned {
    pub fn new(x: ArrayView2<f64>) -> Binned {
        let (rows, cols) = x.dim();
        let mut codes = vec![0u8; rows * cols];
        let mut cuts = Vec::with_capacity(cols);
        let mut sorted: Vec<f32> = Vec::with_capacity(rows);
        for f in 0..cols {
            sorted.clear();
            sorted.extend(x.column(f).iter().map(|&v| v as f32));
            sorted.sort_by(f32::total_cmp);
            let c = cuts_of(&sorted);
            for (slot, &v) in codes[f * rows..(f + 1) * rows]
                .iter_mut()
                .zip(x.column(f).iter())
            {
                let v = v as f32;
                *slot = c.partition_point(|&cut| cut < v) as u8;
            }
            cuts.push(c);
        }
        Binned { codes, rows, cuts }
    }

    pub fn column(&self, f: usize) -> &[u8] {
        &self.codes[f * self.rows..(f + 1) * self.rows]
    }
}

/// Cuts for one sorted column: between every pair of distinct values when there are at most
/// `MAX_BINS`, else after the values at evenly spaced ranks.
fn cuts_of(sorted: &[f32]) -> Vec<f32> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    let midpoint = |lo: f32, hi: f32| {
        let m = (f64::from(lo) + (f64::from(hi) - f64::from(lo)) / 2.0) as f32;
        // Rounding can land the midpoint on `hi`, which would send `hi` left.
        if m >= hi { lo } else { m }
    };
    if distinct.len() <= MAX_BINS {
        return distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect();
    }
    let mut cuts: Vec<f32> = Vec::with_capacity(MAX_BINS - 1);
    for k in 1..MAX_BINS {
        let v = sorted[(k * sorted.len() / MAX_BINS).saturating_sub(1)];
        let next = distinct.partition_point(|&d| d <= v);
        if let Some(&hi) = distinct.get(next) {
            let c = midpoint(v, hi);
            if cuts.last().is_none_or(|&last| c > last) {
                cuts.push(c);
            }
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn few_distinct_values_get_one_bin_each_and_midpoint_cuts() {
        let x = Array2::from_shape_vec((5, 1), vec![3.0, 1.0, 2.0, 1.0, 3.0]).expect("shape");
        let b = Binned::new(x.view());
        assert_eq!(b.cuts[0], vec![1.5, 2.5]);
        assert_eq!(b.column(0), &[2, 0, 1, 0, 2]);
    }

    #[test]
    fn many_values_are_capped_at_max_bins_in_order() {
        let x = Array2::from_shape_fn((10_000, 1), |(i, _)| ((i * 7919) % 10_000) as f64);
        let b = Binned::new(x.view());
        assert!(b.cuts[0].len() < MAX_BINS && b.cuts[0].len() > 200);
        assert!(b.cuts[0].windows(2).all(|w| w[0] < w[1]));
        for (i, &code) in b.column(0).iter().enumerate() {
            let v = x[[i, 0]] as f32;
            let bin = code as usize;
            assert!(bin == b.cuts[0].len() || v <= b.cuts[0][bin]);
            assert!(bin == 0 || v > b.cuts[0][bin - 1]);
        }
    }
}
