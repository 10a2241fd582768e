//! What is learnt from flows. `features` turns records into a matrix; `detect` holds the nine
//! anomaly detectors and their consensus; `cluster` the clustering indices and projection;
//! `classify` the supervised models; `forecast` ARIMA and the sequence model on the traffic
//! series; `hosts` who talks most (top-N statistics); `threat` the per-flow threat score;
//! `model` the fitted set as one saved file; `eval` measures all of it offline. `nn`,
//! `metrics`, `distance` (blocked distances, k-nearest, row-parallel scoring), `sample` (seeded
//! row samples) and `cancel` (calling a fit off) are shared by these.

pub mod cancel;
pub mod classify;
pub mod cluster;
pub mod detect;
pub mod distance;
pub mod eval;
pub mod features;
pub mod forecast;
pub mod hosts;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod sample;
pub mod threat;

crate::message_error!(
    /// A parameter outside what it may be (an alert rate above 1, more votes than detectors,
    /// an unknown detector name). The message names the value and its bounds.
    ParamError
);
