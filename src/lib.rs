//! flowtop: a terminal monitor for network flows. The modules follow the data:
//!
//! - [`flows`]: reading flow logs — sources (files, follow, stdin, replay), format sniffing
//!   and decoding into `FlowRecord`s, and the ingest pipeline that ties them together.
//! - [`learn`]: what is learnt from flows — features, the anomaly detectors and their
//!   consensus, clustering, classifiers, forecasts of the traffic series, threat scoring,
//!   the saved model set and the offline evaluation.
//! - [`engine`]: the live state — scoring each batch, refitting in the background, the
//!   series, the anomaly feed, and the view the monitor draws.
//! - [`monitor`]: the terminal application — keys and state (`app`), drawing (`ui`), theme,
//!   terminal handling and the event loop.
//! - [`cli`]: the command line — typed options, the config file, one module per subcommand.
//!
//! [`sanitize`], [`panic`], [`progress`] and [`files`] serve all of them: escaping input text
//! for terminals and spreadsheets, remembering a worker thread's panic, progress bars on
//! stderr, and bounded reads of config, theme and model files.

pub mod cli;
pub mod engine;
pub mod files;
pub mod flows;
pub mod learn;
pub mod monitor;
pub mod panic;
pub mod progress;
pub mod sanitize;
