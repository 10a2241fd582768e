//! ARIMA(p, d, q): the series differenced d times, an ARMA(p, q) with an optional mean fitted
//! to it by exact maximum likelihood, and h-step forecasts integrated back with 95 % intervals
//! from the ψ-weights of the whole model.

use serde::Serialize;

use super::arma::{constrain, filter, unconstrain};
use super::optim::{Effort, minimise};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArimaModel {
    pub p: usize,
    pub d: usize,
    pub q: usize,
    /// A mean of the differenced series (a level for d = 0, a drift for d = 1).
    pub constant: bool,
    pub phi: Vec<f64>,
    pub theta: Vec<f64>,
    pub mean: f64,
    pub sigma2: f64,
    pub loglik: f64,
    pub aic: f64,
    pub aicc: f64,
    /// Observations the likelihood covers (after differencing).
    pub nobs: usize,
    pub converged: bool,
}

/// One forecast step: mean and 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Step {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

pub fn difference(y: &[f64], d: usize) -> Vec<f64> {
    let mut w = y.to_vec();
    for _ in 0..d {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
    }
    w
}

/// The constrained coefficients from the optimiser's unconstrained vector.
fn unpack(x: &[f64], p: usize, q: usize, constant: bool) -> (Vec<f64>, Vec<f64>, f64) {
    let phi = constrain(&x[..p]);
    let theta: Vec<f64> = constrain(&x[p..p + q]).iter().map(|v| -v).collect();
    let mean = if constant { x[p + q] } else { 0.0 };
    (phi, theta, mean)
}

/// How the likelihood is computed: exact (Kalman filter), or conditional sum of squares
/// conditioning on the first `cond` points (auto.arima's fast approximation for the search).
#[derive(Debug, Clone, Copy)]
pub enum Method {
    Exact,
    Css { cond: usize },
}

/// Conditional-sum-of-squares log-likelihood of a centred series: residuals from `cond` on,
/// earlier residuals taken as zero.
fn css_loglik(
    w: &[f64],
    mean: f64,
    phi: &[f64],
    theta: &[f64],
    cond: usize,
    e: &mut [f64],
) -> Option<(f64, f64)> {
    let n = w.len();
    if n <= cond + 2 || e.len() < n {
        return None;
    }
    // (w_t − μ) − Σ φ_i (w_{t−i} − μ) = w_t − Σ φ_i w_{t−i} − μ (1 − Σ φ): no centred copy.
    let shift = mean * (1.0 - phi.iter().sum::<f64>());
    e[..cond].fill(0.0);
    let mut ss = 0.0;
    for t in cond..n {
        let past = &w[t - phi.len()..t];
        let mut v = w[t] - shift;
        for (f, x) in phi.iter().zip(past.iter().rev()) {
            v -= f * x;
        }
        let errs = &e[t - theta.len()..t];
        for (th, x) in theta.iter().zip(errs.iter().rev()) {
            v -= th * x;
        }
        e[t] = v;
        ss += v * v;
    }
    let m = (n - cond) as f64;
    let sigma2 = ss / m;
    if !(sigma2 > 0.0 && sigma2.is_finite()) {
        return None;
    }
    Some((
        -0.5 * m * ((2.0 * std::f64::consts::PI).ln() + sigma2.ln() + 1.0),
        sigma2,
    ))
}

/// Starting point in the optimiser's coordinates: `init` if given, else Hannan-Rissanen
/// estimates when they are stationary and invertible (shrunk a little off the region's edge).
fn start_point(
    w: &[f64],
    p: usize,
    q: usize,
    constant: bool,
    init: Option<&ArimaModel>,
) -> Vec<f64> {
    let k = p + q + usize::from(constant);
    let mut start = vec![0.0; k];
    let level = w.iter().sum::<f64>() / w.len() as f64;
    let (phi0, theta0, mean0) = if let Some(m) = init {
        (m.phi.clone(), m.theta.clone(), m.mean)
    } else {
        let centred: Vec<f64> = w
            .iter()
            .map(|v| v - if constant { level } else { 0.0 })
            .collect();
        match super::start::hannan_rissanen(&centred, p, q) {
            Some((a, b)) => (a, b, level),
            None => (vec![0.0; p], vec![0.0; q], level),
        }
    };
    let shrunk: Vec<f64> = phi0.iter().map(|v| v * 0.98).collect();
    let neg: Vec<f64> = theta0.iter().map(|t| -t * 0.98).collect();
    if let (Some(ua), Some(um)) = (unconstrain(&shrunk), unconstrain(&neg))
        && ua.iter().chain(&um).all(|v| v.is_finite() && v.abs() < 8.0)
        && ua.len() == p
        && um.len() == q
    {
        start[..p].copy_from_slice(&ua);
        start[p..p + q].copy_from_slice(&um);
    }
    if constant {
        start[p + q] = mean0;
    }
    start
}

/// Exact maximum likelihood.
pub fn fit(y: &[f64], p: usize, d: usize, q: usize, constant: bool) -> Option<ArimaModel> {
    fit_with(y, p, d, q, constant, Method::Exact, None)
}

pub fn fit_with(
    y: &[f64],
    p: usize,
    d: usize,
    q: usize,
    constant: bool,
    method: Method,
    init: Option<&ArimaModel>,
) -> Option<ArimaModel> {
    let w = difference(y, d);
    let k = p + q + usize::from(constant);
    if w.len() < k + 3 {
        return None;
    }
    let scale = {
        let m = w.iter().sum::<f64>() / w.len() as f64;
        (w.iter().map(|v| (v - m).powi(2)).sum::<f64>() / w.len() as f64)
            .sqrt()
            .max(1e-12)
    };
    let mut centred = vec![0.0; w.len()];
    let mut evaluate = |phi: &[f64], theta: &[f64], mean: f64| -> Option<(f64, f64)> {
        match method {
            Method::Exact => {
                for (c, v) in centred.iter_mut().zip(&w) {
                    *c = v - mean;
                }
                filter(&centred, phi, theta).map(|f| (f.loglik, f.sigma2))
            }
            // `centred` serves as the residual buffer here.
            Method::Css { cond } => {
                css_loglik(&w, mean, phi, theta, cond.max(p).max(q), &mut centred)
            }
        }
    };
    // The mean moves on the data's scale, the coefficients on ±1: the optimiser sees the mean
    // divided by the series' spread.
    let mut objective = |x: &[f64]| -> f64 {
        let mut v = x.to_vec();
        if constant {
            v[p + q] *= scale;
        }
        let (phi, theta, mean) = unpack(&v, p, q, constant);
        evaluate(&phi, &theta, mean).map_or(f64::INFINITY, |(ll, _)| -ll)
    };
    let mut start = start_point(&w, p, q, constant, init);
    if constant {
        start[p + q] /= scale;
    }
    let effort = match method {
        // The exact fit is the answer: a millionth of a log-likelihood unit, and a restart.
        Method::Exact => Effort {
            max_evals: 200 * (k + 1),
            tol: 1e-6,
            restart: true,
        },
        // The search only ranks orders: a thousandth of a unit of AIC is plenty.
        Method::Css { .. } => Effort {
            max_evals: 60 * (k + 1),
            tol: 2e-3,
            restart: false,
        },
    };
    let m = minimise(&mut objective, &start, effort);
    let mut x = m.x;
    if constant {
        x[p + q] *= scale;
    }
    let (phi, theta, mean) = unpack(&x, p, q, constant);
    let (loglik, sigma2) = evaluate(&phi, &theta, mean)?;
    let n = match method {
        Method::Exact => w.len(),
        Method::Css { cond } => w.len() - cond.max(p).max(q),
    };
    let params = (k + 1) as f64;
    let aic = -2.0 * loglik + 2.0 * params;
    let aicc = if n as f64 - params - 1.0 > 0.0 {
        aic + 2.0 * params * (params + 1.0) / (n as f64 - params - 1.0)
    } else {
        f64::INFINITY
    };
    Some(ArimaModel {
        p,
        d,
        q,
        constant,
        phi,
        theta,
        mean,
        sigma2,
        loglik,
        aic,
        aicc,
        nobs: n,
        converged: m.converged,
    })
}

impl ArimaModel {
    /// The statsmodels-style intercept: mean × (1 − Σφ).
    pub fn intercept(&self) -> f64 {
        self.mean * (1.0 - self.phi.iter().sum::<f64>())
    }

    /// ψ-weights of the whole model, differencing included.
    fn psi(&self, h: usize) -> Vec<f64> {
        // AR side as a polynomial in B: φ(B)(1 − B)^d, written as y_t = Σ a_i y_{t−i} + …
        let mut poly = vec![1.0];
        poly.extend(self.phi.iter().map(|p| -p));
        for _ in 0..self.d {
            poly = mul(&poly, &[1.0, -1.0]);
        }
        let a: Vec<f64> = poly.iter().skip(1).map(|c| -c).collect();
        let mut psi = vec![0.0; h];
        for j in 0..h {
            let mut v = if j == 0 {
                1.0
            } else {
                self.theta.get(j - 1).copied().unwrap_or(0.0)
            };
            for (i, ai) in a.iter().enumerate() {
                if i < j {
                    v += ai * psi[j - 1 - i];
                }
            }
            psi[j] = v;
        }
        psi
    }

    /// Forecasts `h` steps past the end of `y` (the series the model was fitted on).
    pub fn forecast(&self, y: &[f64], h: usize) -> Option<Vec<Step>> {
        let w = difference(y, self.d);
        let centred: Vec<f64> = w.iter().map(|v| v - self.mean).collect();
        let f = filter(&centred, &self.phi, &self.theta)?;
        let r = f.state.len();
        let mut state = f.state;
        let mut wf = Vec::with_capacity(h);
        for _ in 0..h {
            wf.push(state[0] + self.mean);
            state = (0..r)
                .map(|i| (0..r).map(|j| f.transition[i][j] * state[j]).sum())
                .collect();
        }
        // Integrate back: the last value of each lower difference order anchors a cumulative sum.
        let mut level = wf;
        for k in (0..self.d).rev() {
            let base = difference(y, k);
            let mut last = *base.last()?;
            for v in &mut level {
                last += *v;
                *v = last;
            }
        }
        let psi = self.psi(h);
        let mut acc = 0.0;
        Some(
            level
                .into_iter()
                .zip(psi)
                .map(|(mean, p)| {
                    acc += p * p;
                    let half = 1.959_963_984_540_054 * (self.sigma2 * acc).sqrt();
                    Step {
                        mean,
                        lo: mean - half,
                        hi: mean + half,
                    }
                })
                .collect(),
        )
    }
}

fn mul(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}
