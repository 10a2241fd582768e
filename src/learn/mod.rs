//! What is learnt from flows. `features` turns records into a matrix; `detect` holds the nine
//! anomaly detectors and their consensus; `cluster` the clustering indices and projection;
//! `classify` the supervised models; `forecast` ARIMA and the sequence model on the traffic
//! series; `threat` the per-flow threat score; `model` the fitted set as one saved file; `eval`
//! measures all of it offline. `nn` and `metrics` are shared by these.

pub mod classify;
pub mod cluster;
pub mod detect;
pub mod eval;
pub mod features;
pub mod forecast;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod threat;
