//! Against statsmodels (tests/fixtures/forecast, made by `bench/make_forecast_reference.py)`:
//! coefficients, log-likelihood and AIC of the ARMA fitted to the differenced series
//! (SARIMAX with simple differencing), and 10-step forecasts with 95 % intervals from ARIMA.

use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct Reference {
    name: String,
    order: [usize; 3],
    constant: bool,
    series: Vec<f64>,
    ar: Vec<f64>,
    ma: Vec<f64>,
    intercept: Option<f64>,
    sigma2: f64,
    loglik: f64,
    aic: f64,
    forecast: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

fn load(name: &str) -> Reference {
    let path = format!(
        "{}/tests/fixtures/forecast/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn close(a: f64, b: f64, tol: f64, what: &str, name: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{name} {what}: flowtop {a} vs statsmodels {b}"
    );
}

fn check(name: &str, coef_tol: f64) {
    let r = load(name);
    let [p, d, q] = r.order;
    let m = fit(&r.series, p, d, q, r.constant).expect("fit");
    // The likelihood is the sharp test: flowtop's maximum must be at least statsmodels'.
    assert!(
        m.loglik >= r.loglik - 1e-3,
        "{name}: loglik {} < {}",
        m.loglik,
        r.loglik
    );
    close(m.loglik, r.loglik, 0.05, "loglik", name);
    close(m.aic, r.aic, 0.1, "aic", name);
    for (a, b) in m.phi.iter().zip(&r.ar) {
        close(*a, *b, coef_tol, "ar", name);
    }
    for (a, b) in m.theta.iter().zip(&r.ma) {
        close(*a, *b, coef_tol, "ma", name);
    }
    close(m.sigma2, r.sigma2, 0.01 * r.sigma2, "sigma2", name);
    if let Some(c) = r.intercept {
        close(m.intercept(), c, 0.02 * c.abs().max(1.0), "intercept", name);
    }
    let steps = m.forecast(&r.series, r.forecast.len()).expect("forecast");
    let scale = r.hi[0] - r.lo[0];
    for (i, s) in steps.iter().enumerate() {
        // statsmodels' ARIMA keeps the differencing in its state (a slightly different fit);
        // forecasts and bounds agree to a few percent of the interval width.
        close(s.mean, r.forecast[i], 0.05 * scale, "forecast", &r.name);
        close(
            s.hi - s.lo,
            r.hi[i] - r.lo[i],
            0.05 * (r.hi[i] - r.lo[i]),
            "interval",
            &r.name,
        );
    }
}

#[test]
fn arma21_with_a_mean_matches_statsmodels() {
    check("arma21", 0.01);
}

#[test]
fn arima111_matches_statsmodels() {
    check("arima111", 0.01);
}

#[test]
fn real_trickbot_flows_per_600s_arima212_matches_statsmodels() {
    check("trickbot600", 0.01);
}

#[test]
fn auto_search_finds_a_good_order_and_covers_the_held_out_tail() {
    let r = load("arima111");
    let (train, test) = r.series.split_at(r.series.len() - 20);
    let f = auto_forecast(train, 20, 30).expect("enough data");
    let m = f.model.expect("a model");
    assert_eq!(m.d, 1, "KPSS sees the random walk");
    let inside = f
        .steps
        .iter()
        .zip(test)
        .filter(|(s, y)| s.lo <= **y && **y <= s.hi)
        .count();
    assert!(inside >= 18, "95 % interval covered {inside}/20");
    assert!(f.fits <= 60);
}

#[test]
fn guards_short_constant_spiky_and_non_finite_series() {
    assert!(matches!(
        auto_forecast(&[1.0; 10], 5, 30),
        Err(ForecastError::TooShort { have: 10, need: 30 })
    ));
    let flat = auto_forecast(&[4.0; 50], 5, 30).expect("long enough");
    assert!(flat.model.is_none());
    assert!(flat.steps.iter().all(|s| s.mean == 4.0));
    assert!(flat.notes[0].contains("constant series"));
    let mut y: Vec<f64> = (0..80).map(|i| 10.0 + f64::from((i * 7) % 5)).collect();
    y[40] = 10_000.0;
    y[60] = f64::NAN;
    let f = auto_forecast(&y, 5, 30).expect("fits");
    assert!(
        f.notes.iter().any(|n| n.contains("missing values")),
        "{:?}",
        f.notes
    );
    assert!(
        f.steps.iter().all(|s| s.mean.is_finite() && s.mean < 100.0),
        "{:?}",
        f.steps
    );
}

#[test]
fn kpss_matches_statsmodels_and_picks_d() {
    // statsmodels.tsa.stattools.kpss(y, "c", nlags=trunc(4 (n/100)^0.25)) on the fixtures.
    for (name, level, diffed, d) in [
        ("arima111", 2.3318124123653896, 0.16238500760688063, 1),
        ("arma21", 0.1430099926012163, 0.03728318682335417, 0),
        ("trickbot600", 1.3219685616157864, 0.148539562465457, 1),
    ] {
        let y = load(name).series;
        close(
            kpss_statistic(&y),
            level,
            1e-9 * level.max(1.0),
            "kpss",
            name,
        );
        close(
            kpss_statistic(&difference(&y, 1)),
            diffed,
            1e-9,
            "kpss of the differences",
            name,
        );
        assert_eq!(ndiffs(&y), d, "{name}");
    }
}
