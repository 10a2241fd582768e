//! Starting values for the likelihood search (Hannan & Rissanen 1982): a long autoregression
//! estimates the innovations, then least squares of the series on its own lags and the lagged
//! innovations gives φ and θ. Close to the maximum, so Nelder-Mead needs few steps.

/// Solves the normal equations `XᵀX b = Xᵀy` (k ≤ 11) by Gaussian elimination.
fn least_squares(rows: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = rows.first()?.len();
    let mut a = vec![vec![0.0; k + 1]; k];
    for (x, &t) in rows.iter().zip(y) {
        for i in 0..k {
            for j in 0..k {
                a[i][j] += x[i] * x[j];
            }
            a[i][k] += x[i] * t;
        }
    }
    solve(&mut a)
}

/// Solves the augmented system `a` (k rows of k coefficients and the right-hand side) by
/// Gaussian elimination with partial pivoting; `None` when it is singular.
pub fn solve(a: &mut [Vec<f64>]) -> Option<Vec<f64>> {
    let k = a.len();
    for c in 0..k {
        let piv = (c..k).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
        if a[piv][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, piv);
        let pivot = a[c].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != c {
                let f = r[c] / pivot[c];
                if f != 0.0 {
                    for (x, p) in r[c..].iter_mut().zip(&pivot[c..]) {
                        *x -= f * p;
                    }
                }
            }
        }
    }
    Some((0..k).map(|i| a[i][k] / a[i][i]).collect())
}

/// (φ, θ) estimates for a zero-mean series, or `None` when the regressions are singular.
pub fn hannan_rissanen(w: &[f64], p: usize, q: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = w.len();
    if p + q == 0 {
        return Some((Vec::new(), Vec::new()));
    }
    let m = (p + q + 5)
        .max((n as f64).ln().ceil() as usize * 2)
        .min(n / 4);
    if m == 0 || n <= m + p + q + 2 {
        return None;
    }
    let mut resid = vec![0.0; n];
    if q > 0 {
        let rows: Vec<Vec<f64>> = (m..n)
            .map(|t| (1..=m).map(|j| w[t - j]).collect())
            .collect();
        let coef = least_squares(&rows, &w[m..])?;
        for t in m..n {
            resid[t] = w[t] - (1..=m).map(|j| coef[j - 1] * w[t - j]).sum::<f64>();
        }
    }
    let s = m.max(p).max(q) + if q > 0 { q } else { 0 };
    if n <= s + p + q + 1 {
        return None;
    }
    let rows: Vec<Vec<f64>> = (s..n)
        .map(|t| {
            (1..=p)
                .map(|j| w[t - j])
                .chain((1..=q).map(|j| resid[t - j]))
                .collect()
        })
        .collect();
    let b = least_squares(&rows, &w[s..])?;
    Some((b[..p].to_vec(), b[p..].to_vec()))
}
