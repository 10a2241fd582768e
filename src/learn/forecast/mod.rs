//! Forecasting the bucketed traffic series: ARIMA by exact maximum likelihood (Kalman filter,
//! Nelder-Mead on stationarity- and invertibility-preserving transforms), d by KPSS, (p, q) by
//! a stepwise `AICc` search, 95 % intervals; guarded against short, constant and spiky series.
//! Beside it, an LSTM autoencoder scores sliding windows of the series (`sequence`).

mod arima;
mod arma;
mod auto;
mod kpss;
mod lstm;
mod optim;
pub mod sequence;
mod start;

pub use arima::{ArimaModel, Method, Step, difference, fit, fit_with};
pub use auto::{AutoForecast, ForecastError, MAX_ORDER, auto_forecast};
pub use kpss::{ndiffs, statistic as kpss_statistic};

#[cfg(test)]
mod tests;
