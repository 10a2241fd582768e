//! What the engine thread publishes for the monitor: one immutable `LiveView` per change.

use std::sync::Arc;

use super::Snapshot;
use super::forecaster::Forecasts;
use super::sequencer::SequenceState;
use crate::flows::ingest::live::IngestStats;
use crate::learn::model::ModelSet;
use crate::learn::threat::Assessment;

/// A line for the status bar, numbered so the UI can tell a new one from an old one.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub seq: u64,
    pub text: String,
    pub error: bool,
}

/// Everything the UI shows, published as one immutable value.
#[derive(Debug, Clone)]
pub struct LiveView {
    pub source: String,
    pub format: Option<String>,
    pub replay: bool,
    pub snapshot: Snapshot,
    pub ingest: Option<IngestStats>,
    pub flows_per_s: f64,
    pub finished: bool,
    pub failed: Option<String>,
    pub message: Option<Message>,
    pub threat: Option<(u64, Result<Assessment, String>)>,
    /// The latest rejected rows (<file:line> and reason), newest last.
    pub rejects: Vec<String>,
    /// The latest forecasts of the series, and how many buckets they were fitted on.
    pub forecasts: Option<(usize, Arc<Forecasts>)>,
    /// The LSTM autoencoder's scores of the series windows.
    pub sequence: Option<Arc<SequenceState>>,
    /// The model set in use, for answers computed outside the engine thread (`/v1/score`).
    pub model: Option<Arc<ModelSet>>,
    /// Alerts written to the alert outputs (`--alerts-out`, `--syslog`), and those whose
    /// write failed.
    pub alerts_delivered: u64,
    pub alerts_failed: u64,
}

impl LiveView {
    pub fn new(source: String, replay: bool) -> LiveView {
        LiveView {
            source,
            format: None,
            replay,
            snapshot: Snapshot::empty(),
            ingest: None,
            flows_per_s: 0.0,
            finished: false,
            failed: None,
            message: None,
            threat: None,
            rejects: Vec::new(),
            forecasts: None,
            sequence: None,
            model: None,
            alerts_delivered: 0,
            alerts_failed: 0,
        }
    }
}
