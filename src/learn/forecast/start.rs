//! Starting values for the likelihood search (Hannan & Rissanen 1982): a long autoregression
//! estimates the innovations, then least squares of the series on its own lags and the lagged
//! innovations gives φ and θ. Close to the maximum, so Nelder-Mead needs few steps.

/// Solves the normal equations `XᵀX b = Xᵀy` (k ≤ 15) for the rows of `x`, stored one after
/// another (`k` values each), by Gaussian elimination. Only the upper triangle is accumulated.
fn least_squares(x: &[f64], k: usize, y: &[f64]) -> Option<Vec<f64>> {
    if k == 0 {
        return None;
    }
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for (row, &t) in x.chunks_exact(k).zip(y) {
        for i in 0..k {
            let xi = row[i];
            xty[i] += xi * t;
            for (acc, xj) in xtx[i * k + i..(i + 1) * k].iter_mut().zip(&row[i..]) {
                *acc += xi * xj;
            }
        }
    }
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut r: Vec<f64> = (0..k)
                .map(|j| {
                    if j >= i {
                        xtx[i * k + j]
                    } else {
                        xtx[j * k + i]
                    }
                })
                .collect();
            r.push(xty[i]);
            r
        })
        .collect();
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
        // Row t holds w[t-1], …, w[t-m]: the series reversed, one window per row.
        let rows: Vec<f64> = (m..n)
            .flat_map(|t| w[t - m..t].iter().rev().copied())
            .collect();
        let coef = least_squares(&rows, m, &w[m..])?;
        for t in m..n {
            resid[t] = w[t] - (1..=m).map(|j| coef[j - 1] * w[t - j]).sum::<f64>();
        }
    }
    let s = m.max(p).max(q) + if q > 0 { q } else { 0 };
    if n <= s + p + q + 1 {
        return None;
    }
    let mut rows: Vec<f64> = Vec::with_capacity((n - s) * (p + q));
    for t in s..n {
        rows.extend(w[t - p..t].iter().rev());
        rows.extend(resid[t - q..t].iter().rev());
    }
    let b = least_squares(&rows, p + q, &w[s..])?;
    Some((b[..p].to_vec(), b[p..].to_vec()))
}
