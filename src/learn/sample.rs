//! Seeded row sampling: the expensive detectors fit on a bounded random subset of the window.

use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand::rngs::SmallRng;

pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// At most `max` distinct rows, in random order; all of them when there are fewer.
pub fn rows(x: ArrayView2<f64>, max: usize, rng: &mut SmallRng) -> Array2<f64> {
    if x.nrows() <= max {
        return x.to_owned();
    }
    let idx = rand::seq::index::sample(rng, x.nrows(), max).into_vec();
    x.select(Axis(0), &idx)
}

/// The rows with duplicates removed (first occurrence kept). Flow data repeats itself a lot
/// (identical scans, keep-alives); neighbour-based scores break down on exact duplicates.
pub fn unique_rows(x: ArrayView2<f64>) -> Array2<f64> {
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<usize> = x
        .rows()
        .into_iter()
        .enumerate()
        .filter(|(_, r)| seen.insert(r.iter().map(|v| v.to_bits()).collect::<Vec<u64>>()))
        .map(|(i, _)| i)
        .collect();
    x.select(Axis(0), &keep)
}
