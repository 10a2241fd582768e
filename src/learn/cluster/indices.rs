//! Clustering quality indices (as scikit-learn defines them). linfa and smartcore have none
//! of Davies-Bouldin or Calinski-Harabasz, and linfa's silhouette wants a dataset copy.

use ndarray::{Array2, ArrayView2, Axis};

use crate::learn::distance;

/// Mean silhouette coefficient; 0 when fewer than two clusters are populated.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let sizes = counts(labels, k);
    if sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return 0.0;
    }
    let norms = distance::sq_norms(x);
    let d = distance::sq_dists(x, x, norms.view());
    let mut total = 0.0;
    for (i, row) in d.axis_iter(Axis(0)).enumerate() {
        let mut sums = vec![0.0; k];
        for (j, v) in row.iter().enumerate() {
            sums[labels[j]] += v.sqrt();
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue; // scikit-learn: silhouette 0 for singletons
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && sizes[c] > 0)
            .map(|c| sums[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    total / x.nrows() as f64
}

/// Davies-Bouldin index: lower is better.
pub fn davies_bouldin(x: ArrayView2<f64>, labels: &[usize], centroids: &Array2<f64>) -> f64 {
    let k = centroids.nrows();
    let sizes = counts(labels, k);
    let mut scatter = vec![0.0; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        scatter[l] += (&row - &centroids.row(l)).mapv(|v| v * v).sum().sqrt();
    }
    for (s, &n) in scatter.iter_mut().zip(&sizes) {
        *s /= n.max(1) as f64;
    }
    let live: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    if live.len() < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for &i in &live {
        let worst = live
            .iter()
            .filter(|&&j| j != i)
            .map(|&j| {
                let sep = (&centroids.row(i) - &centroids.row(j))
                    .mapv(|v| v * v)
                    .sum()
                    .sqrt();
                // Coincident centroids: as bad as it gets, but finite so it serialises.
                if sep > 0.0 {
                    (scatter[i] + scatter[j]) / sep
                } else {
                    f64::MAX
                }
            })
            .fold(0.0, f64::max);
        total += worst;
    }
    total / live.len() as f64
}

/// Calinski-Harabasz index (variance ratio): higher is better.
pub fn calinski_harabasz(x: ArrayView2<f64>, labels: &[usize], centroids: &Array2<f64>) -> f64 {
    let n = x.nrows();
    let k = centroids.nrows();
    let sizes = counts(labels, k);
    let live = sizes.iter().filter(|&&s| s > 0).count();
    if live < 2 || n <= live {
        return 0.0;
    }
    let Some(mean) = x.mean_axis(Axis(0)) else {
        return 0.0;
    };
    let between: f64 = (0..k)
        .map(|c| sizes[c] as f64 * (&centroids.row(c) - &mean).mapv(|v| v * v).sum())
        .sum();
    let within: f64 = x
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(r, &l)| (&r - &centroids.row(l)).mapv(|v| v * v).sum())
        .sum();
    if within <= 0.0 {
        return f64::MAX;
    }
    between * (n - live) as f64 / (within * (live - 1) as f64)
}

fn counts(labels: &[usize], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for &l in labels {
        if let Some(slot) = c.get_mut(l) {
            *slot += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Figures from scikit-learn 1.9 on the same six points (`sklearn.metrics.*_score`).
    #[test]
    fn indices_match_scikit_learn() {
        let x = array![
            [0.0, 0.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [5.0, 5.0],
            [5.0, 6.0],
            [6.0, 5.5]
        ];
        let labels = [0, 0, 0, 1, 1, 1];
        let centroids = array![[1.0 / 3.0, 1.0 / 3.0], [16.0 / 3.0, 5.5]];
        assert!((silhouette(x.view(), &labels) - SK_SILHOUETTE).abs() < 1e-9);
        assert!((davies_bouldin(x.view(), &labels, &centroids) - SK_DB).abs() < 1e-9);
        assert!((calinski_harabasz(x.view(), &labels, &centroids) - SK_CH).abs() < 1e-6);
    }

    const SK_SILHOUETTE: f64 = 0.845_992_855_092_309_1;
    const SK_DB: f64 = 0.177_593_645_649_497_17;
    const SK_CH: f64 = 124.066_666_666_666_65;
}
