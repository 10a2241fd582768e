//! The exact Gaussian likelihood of a zero-mean ARMA(p, q) by the Kalman filter on Harvey's
//! state-space form, initialised at the stationary covariance, with the innovation variance
//! concentrated out — the likelihood statsmodels maximises. Also the transforms that keep the
//! optimiser inside the stationary / invertible region.

/// Maps unconstrained reals to the coefficients of a stationary AR polynomial: each becomes a
/// partial autocorrelation in (-1, 1) (`tanh`), then Durbin-Levinson gives the coefficients.
pub fn constrain(u: &[f64]) -> Vec<f64> {
    let mut phi: Vec<f64> = Vec::with_capacity(u.len());
    for (k, &x) in u.iter().enumerate() {
        let r = x.tanh();
        let prev = phi.clone();
        for j in 0..k {
            phi[j] = prev[j] - r * prev[k - 1 - j];
        }
        phi.push(r);
    }
    phi
}

/// The inverse of `constrain`; `None` outside the stationary region.
pub fn unconstrain(phi: &[f64]) -> Option<Vec<f64>> {
    let mut cur = phi.to_vec();
    let mut u = vec![0.0; phi.len()];
    for k in (0..phi.len()).rev() {
        let r = cur[k];
        if r.abs() >= 1.0 {
            return None;
        }
        u[k] = r.atanh();
        let denom = 1.0 - r * r;
        let prev: Vec<f64> = (0..k)
            .map(|j| (cur[j] + r * cur[k - 1 - j]) / denom)
            .collect();
        cur = prev;
    }
    Some(u)
}

/// Solves `P = T P Tᵀ + R Rᵀ` for the stationary state covariance (r ≤ 6, so the r²×r² linear
/// system is small).
fn stationary_covariance(t: &[Vec<f64>], rr: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let r = t.len();
    let m = r * r;
    let mut a = vec![vec![0.0; m + 1]; m];
    for i in 0..r {
        for j in 0..r {
            let row = i * r + j;
            a[row][row] += 1.0;
            for k in 0..r {
                for l in 0..r {
                    a[row][k * r + l] -= t[i][k] * t[j][l];
                }
            }
            a[row][m] = rr[i][j];
        }
    }
    let x = super::start::solve(&mut a)?;
    let mut p = vec![vec![0.0; r]; r];
    for i in 0..r {
        for j in 0..r {
            p[i][j] = x[i * r + j];
        }
    }
    Some(p)
}

/// The filter's output: what the likelihood and the forecasts need.
pub struct Filtered {
    /// Concentrated log-likelihood.
    pub loglik: f64,
    /// Innovation variance (maximum-likelihood estimate given the coefficients).
    pub sigma2: f64,
    /// The one-step-ahead predicted state after the last observation.
    pub state: Vec<f64>,
    pub transition: Vec<Vec<f64>>,
}

/// Largest state: max(p, q + 1) with p, q ≤ 5.
const R_MAX: usize = 6;

/// Runs the filter over `w` (already centred). `None` when the model is degenerate.
///
/// The transition is a companion matrix (φ in the first column, ones above the diagonal), so
/// `T x` and `T P Tᵀ` cost O(r) and O(r²); once the covariance stops moving the gain is fixed
/// and each step is O(r). Fixed-size arrays: no allocation per step.
pub fn filter(w: &[f64], phi: &[f64], theta: &[f64]) -> Option<Filtered> {
    let r = phi.len().max(theta.len() + 1).max(1);
    if r > R_MAX {
        return None;
    }
    let mut ph = [0.0; R_MAX];
    ph[..phi.len()].copy_from_slice(phi);
    let mut rv = [0.0; R_MAX];
    rv[0] = 1.0;
    rv[1..=theta.len()].copy_from_slice(theta);
    let t: Vec<Vec<f64>> = (0..r)
        .map(|i| {
            (0..r)
                .map(|j| {
                    if j == 0 {
                        ph[i]
                    } else if j == i + 1 {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let rr: Vec<Vec<f64>> = (0..r)
        .map(|i| (0..r).map(|j| rv[i] * rv[j]).collect())
        .collect();
    let p0 = stationary_covariance(&t, &rr)?;
    let mut p = [[0.0; R_MAX]; R_MAX];
    for i in 0..r {
        p[i][..r].copy_from_slice(&p0[i][..r]);
    }
    // (T x)_i = φ_i x_0 + x_{i+1}
    let tx = |x: &[f64; R_MAX]| {
        let mut out = [0.0; R_MAX];
        for i in 0..r {
            out[i] = ph[i] * x[0] + if i + 1 < r { x[i + 1] } else { 0.0 };
        }
        out
    };
    let mut a = [0.0; R_MAX];
    let (mut sum_log_f, mut sum_v2f) = (0.0, 0.0);
    let mut steady = false;
    let mut f = 0.0;
    let mut log_f = 0.0;
    let mut k = [0.0; R_MAX];
    for &y in w {
        let v = y - a[0];
        if !steady {
            f = p[0][0];
            if f <= 1e-300 || !f.is_finite() {
                return None;
            }
            log_f = f.ln();
            // K = T P e1 / F
            let col: [f64; R_MAX] = std::array::from_fn(|i| if i < r { p[i][0] } else { 0.0 });
            k = tx(&col);
            for ki in k.iter_mut().take(r) {
                *ki /= f;
            }
        }
        sum_log_f += log_f;
        sum_v2f += v * v / f;
        let ta = tx(&a);
        for i in 0..r {
            a[i] = ta[i] + k[i] * v;
        }
        if !steady {
            // TP[i][j] = φ_i P[0][j] + P[i+1][j];  (TP Tᵀ)[i][j] = TP[i][0] φ_j + TP[i][j+1]
            let mut tp = [[0.0; R_MAX]; R_MAX];
            for i in 0..r {
                for j in 0..r {
                    tp[i][j] = ph[i] * p[0][j] + if i + 1 < r { p[i + 1][j] } else { 0.0 };
                }
            }
            let mut change: f64 = 0.0;
            for i in 0..r {
                for j in 0..r {
                    let tpt = tp[i][0] * ph[j] + if j + 1 < r { tp[i][j + 1] } else { 0.0 };
                    let val = tpt + rv[i] * rv[j] - k[i] * k[j] * f;
                    change = change.max((val - p[i][j]).abs());
                    p[i][j] = val;
                }
            }
            if change < 1e-10 * p[0][0] {
                steady = true;
                f = p[0][0];
                log_f = f.ln();
                let col: [f64; R_MAX] = std::array::from_fn(|i| if i < r { p[i][0] } else { 0.0 });
                k = tx(&col);
                for ki in k.iter_mut().take(r) {
                    *ki /= f;
                }
            }
        }
    }
    let n = w.len() as f64;
    let sigma2 = sum_v2f / n;
    if !(sigma2 > 0.0 && sigma2.is_finite()) {
        return None;
    }
    let loglik =
        -0.5 * n * ((2.0 * std::f64::consts::PI).ln() + sigma2.ln() + 1.0) - 0.5 * sum_log_f;
    Some(Filtered {
        loglik,
        sigma2,
        state: a[..r].to_vec(),
        transition: t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_round_trip_and_stay_stationary() {
        let u = [0.3, -1.2, 2.0];
        let phi = constrain(&u);
        let back = unconstrain(&phi).expect("stationary");
        for (a, b) in u.iter().zip(&back) {
            assert!((a - b).abs() < 1e-9);
        }
        assert!(unconstrain(&[1.5]).is_none());
    }

    #[test]
    fn white_noise_likelihood_is_the_gaussian_one() {
        let w = [1.0, -1.0, 2.0, -2.0];
        let f = filter(&w, &[], &[]).expect("filter");
        let s2: f64 = w.iter().map(|x| x * x).sum::<f64>() / 4.0;
        assert!((f.sigma2 - s2).abs() < 1e-12);
        let ll = -2.0 * ((2.0 * std::f64::consts::PI).ln() + s2.ln() + 1.0);
        assert!((f.loglik - ll).abs() < 1e-9);
    }
}
