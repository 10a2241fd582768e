//! KPSS test of level stationarity (Kwiatkowski et al. 1992) and the number of differences it
//! asks for, as `forecast::ndiffs` does: difference while the test rejects at 5 %, at most twice.

use super::arima::difference;

/// 5 % critical value of the level-stationarity statistic.
const CRITICAL_5PCT: f64 = 0.463;

pub fn statistic(y: &[f64]) -> f64 {
    let n = y.len();
    if n < 3 {
        return 0.0;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let e: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let mut s = 0.0;
    let mut sum_s2 = 0.0;
    for v in &e {
        s += v;
        sum_s2 += s * s;
    }
    // Newey-West long-run variance with the "short" lag rule trunc(4 (n/100)^¼).
    let lags = (4.0 * (n as f64 / 100.0).powf(0.25)).trunc() as usize;
    let mut lrv = e.iter().map(|v| v * v).sum::<f64>();
    for k in 1..=lags.min(n - 1) {
        let w = 1.0 - k as f64 / (lags as f64 + 1.0);
        let c: f64 = (k..n).map(|t| e[t] * e[t - k]).sum();
        lrv += 2.0 * w * c;
    }
    lrv /= n as f64;
    if lrv <= 0.0 {
        return 0.0;
    }
    sum_s2 / (n as f64 * n as f64) / lrv
}

pub fn ndiffs(y: &[f64]) -> usize {
    let mut d = 0;
    while d < 2 {
        let w = difference(y, d);
        let spread = w.iter().fold(0.0f64, |m, v| m.max((v - w[0]).abs()));
        if spread == 0.0 || statistic(&w) <= CRITICAL_5PCT {
            break;
        }
        d += 1;
    }
    d
}
