//! Squared Euclidean distances by matrix product (‖a‖² + ‖b‖² − 2 a·b): the distance-based
//! detectors score whole blocks of rows against their reference points with one GEMM each,
//! which is where their speed comes from.

use ndarray::parallel::prelude::*;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

/// Rows scored per block: bounds the distance matrix at BLOCK × reference points.
pub const BLOCK: usize = 512;

pub fn sq_norms(x: ArrayView2<f64>) -> Array1<f64> {
    x.rows().into_iter().map(|r| r.dot(&r)).collect()
}

/// Squared distances between every row of `a` and every row of `b` (`b_norms` precomputed).
pub fn sq_dists(a: ArrayView2<f64>, b: ArrayView2<f64>, b_norms: ArrayView1<f64>) -> Array2<f64> {
    let mut d = a.dot(&b.t());
    let a_norms = sq_norms(a);
    for (mut row, an) in d.axis_iter_mut(Axis(0)).zip(a_norms.iter()) {
        for (v, bn) in row.iter_mut().zip(b_norms.iter()) {
            *v = (an + bn - 2.0 * *v).max(0.0);
        }
    }
    d
}

/// For each row of `block`, the k reference rows nearest to it as (squared distance, index),
/// unordered. Candidates are compared on ‖r‖² − 2 x·r straight from the GEMM output (the
/// row's own norm is the same for all of them). A threshold taken from every 8th candidate
/// keeps only a few dozen for the exact selection; if too few pass it, all of them go.
pub fn k_nearest(
    block: ArrayView2<f64>,
    refs: ArrayView2<f64>,
    ref_norms: ArrayView1<f64>,
    k: usize,
) -> Vec<Vec<(f64, u32)>> {
    let dots = block.dot(&refs.t());
    let k = k.min(refs.nrows());
    let mut v = vec![0.0; refs.nrows()];
    let mut probe = Vec::new();
    let mut cand: Vec<(f64, u32)> = Vec::new();
    let mut out = Vec::with_capacity(block.nrows());
    for (row, x) in dots.axis_iter(Axis(0)).zip(block.rows()) {
        for ((slot, &d), &n) in v.iter_mut().zip(row.iter()).zip(ref_norms.iter()) {
            *slot = n - 2.0 * d;
        }
        let threshold = if k > 0 && v.len() >= 16 * k {
            probe.clear();
            probe.extend(v.iter().step_by(8).copied());
            // The (k/8 + 2)-th smallest of the probe: about 8·(k/8 + 2) ≥ k candidates pass.
            let r = (k / 8 + 2).min(probe.len() - 1);
            let (_, t, _) = probe.select_nth_unstable_by(r, f64::total_cmp);
            *t
        } else {
            f64::INFINITY
        };
        cand.clear();
        cand.extend(
            v.iter()
                .enumerate()
                .filter(|(_, d)| **d <= threshold)
                .map(|(j, &d)| (d, j as u32)),
        );
        if cand.len() < k {
            cand.clear();
            cand.extend(v.iter().enumerate().map(|(j, &d)| (d, j as u32)));
        }
        if k > 0 && k < cand.len() {
            cand.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        }
        let own = x.dot(&x);
        out.push(
            cand.iter()
                .take(k)
                .map(|&(d, j)| ((d + own).max(0.0), j))
                .collect(),
        );
    }
    out
}

/// Distance to the nearest reference row, per row of `block`.
pub fn nearest_distance(
    block: ArrayView2<f64>,
    refs: ArrayView2<f64>,
    ref_norms: ArrayView1<f64>,
) -> Array1<f64> {
    let dots = block.dot(&refs.t());
    dots.axis_iter(Axis(0))
        .zip(block.rows())
        .map(|(row, x)| {
            let m = row
                .iter()
                .zip(ref_norms.iter())
                .map(|(&d, &n)| n - 2.0 * d)
                .fold(f64::INFINITY, f64::min);
            (m + x.dot(&x)).max(0.0).sqrt()
        })
        .collect()
}

/// Calls `f` on blocks of at most BLOCK rows and concatenates the per-row results.
pub fn by_block(
    x: ArrayView2<f64>,
    mut f: impl FnMut(ArrayView2<f64>) -> Array1<f64>,
) -> Array1<f64> {
    let mut out = Vec::with_capacity(x.nrows());
    let mut start = 0;
    while start < x.nrows() {
        let end = (start + BLOCK).min(x.nrows());
        out.extend(f(x.slice_axis(Axis(0), (start..end).into())));
        start = end;
    }
    Array1::from(out)
}

/// Splits a large batch into blocks scored on the process's pool (scoring is row-independent).
pub fn par_rows(
    x: ArrayView2<f64>,
    f: impl Fn(ArrayView2<f64>) -> Array1<f64> + Sync,
) -> Array1<f64> {
    if x.nrows() <= BLOCK {
        return f(x);
    }
    let parts: Vec<Array1<f64>> = x
        .axis_chunks_iter(Axis(0), BLOCK)
        .into_par_iter()
        .map(&f)
        .collect();
    Array1::from_iter(parts.into_iter().flatten())
}

/// Indices of the k smallest values (unordered), k ≤ len.
pub fn k_smallest(values: &[f64], k: usize, scratch: &mut Vec<(f64, u32)>) -> usize {
    scratch.clear();
    scratch.extend(values.iter().enumerate().map(|(i, &v)| (v, i as u32)));
    let k = k.min(scratch.len());
    if k > 0 && k < scratch.len() {
        scratch.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn gemm_distances_match_the_direct_formula() {
        let a = array![[0.0, 0.0], [1.0, 2.0], [-3.0, 0.5]];
        let b = array![[1.0, 1.0], [0.0, -2.0]];
        let d = sq_dists(a.view(), b.view(), sq_norms(b.view()).view());
        for i in 0..3 {
            for j in 0..2 {
                let direct: f64 = (&a.row(i) - &b.row(j)).mapv(|v| v * v).sum();
                assert!((d[[i, j]] - direct).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn k_nearest_matches_a_full_sort() {
        let a = Array2::from_shape_fn((7, 3), |(i, j)| ((i * 31 + j * 17) % 11) as f64 - 5.0);
        let b = Array2::from_shape_fn((40, 3), |(i, j)| ((i * 13 + j * 7) % 19) as f64 * 0.5 - 4.0);
        let full = sq_dists(a.view(), b.view(), sq_norms(b.view()).view());
        let fast = k_nearest(a.view(), b.view(), sq_norms(b.view()).view(), 5);
        for (i, nn) in fast.iter().enumerate() {
            let mut expect: Vec<f64> = full.row(i).to_vec();
            expect.sort_by(f64::total_cmp);
            let got: Vec<f64> = nn.iter().map(|p| p.0).collect();
            for (g, e) in got.iter().zip(&expect[..5]) {
                assert!((g - e).abs() < 1e-9, "{got:?} vs {:?}", &expect[..5]);
            }
        }
    }

    #[test]
    fn parallel_and_blocked_scoring_keep_row_order() {
        let x = Array2::from_shape_fn((3000, 2), |(i, j)| (i * 2 + j) as f64);
        let f = |v: ArrayView2<f64>| by_block(v, |b| b.column(0).to_owned());
        assert_eq!(par_rows(x.view(), f), x.column(0).to_owned());
    }
}
