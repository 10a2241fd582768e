//! Anomaly detectors. Each is fitted on a window of pipeline rows and scores batches of rows
//! (higher = more anomalous); `calibrate` maps every detector's scores onto [0, 1] by the
//! empirical distribution of its own training scores, and `consensus` combines them.

mod autoencoder;
pub mod calibrate;
pub mod consensus;
mod dbscan;
mod ecod;
mod hbos;
mod iforest;
mod kmeans;
mod lof;
mod ocsvm;
pub mod rbf;
mod set;
mod zscore;

use crate::learn::ParamError;
use std::fmt;

use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

pub use crate::learn::cancel::{Cancel, Cancelled};
use crate::learn::{distance, sample};
pub use autoencoder::Autoencoder;
pub use calibrate::Calibration;
pub use consensus::{Budget, Consensus, ConsensusParams, Verdict};
pub use dbscan::DbscanDetector;
pub use ecod::Ecod;
pub use hbos::Hbos;
pub use iforest::IsolationForest;
pub use kmeans::KMeansDetector;
pub use lof::Lof;
pub use ocsvm::OneClassSvm;
pub use set::{DetectorSet, DetectorStatus, FittedDetector, Model, Scores};
pub use zscore::RobustZ;

/// The detectors flowtop runs, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorKind {
    Iforest,
    Lof,
    Ocsvm,
    Dbscan,
    Kmeans,
    Zscore,
    Autoencoder,
    Hbos,
    Ecod,
}

impl DetectorKind {
    pub const ALL: [DetectorKind; 9] = [
        DetectorKind::Iforest,
        DetectorKind::Lof,
        DetectorKind::Ocsvm,
        DetectorKind::Dbscan,
        DetectorKind::Kmeans,
        DetectorKind::Zscore,
        DetectorKind::Autoencoder,
        DetectorKind::Hbos,
        DetectorKind::Ecod,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DetectorKind::Iforest => "iforest",
            DetectorKind::Lof => "lof",
            DetectorKind::Ocsvm => "ocsvm",
            DetectorKind::Dbscan => "dbscan",
            DetectorKind::Kmeans => "kmeans",
            DetectorKind::Zscore => "zscore",
            DetectorKind::Autoencoder => "autoencoder",
            DetectorKind::Hbos => "hbos",
            DetectorKind::Ecod => "ecod",
        }
    }

    pub fn parse(s: &str) -> Option<DetectorKind> {
        DetectorKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// A detector named on the command line or in the config; the error lists the known ones.
    pub fn parse_named(name: &str) -> Result<DetectorKind, ParamError> {
        DetectorKind::parse(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = DetectorKind::ALL.iter().map(|k| k.name()).collect();
            ParamError::new(format!(
                "unknown detector '{name}'; known: {}",
                known.join(", ")
            ))
        })
    }
}

impl fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a detector could not be fitted; it then sits out (its status says why) and the others
/// carry on.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum FitError {
    #[error("needs at least {needed} training rows, got {got}")]
    TooFewRows { needed: usize, got: usize },
    #[error("{0}")]
    Degenerate(String),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// Minimum training rows for any detector; below this every score would be noise.
pub const MIN_TRAIN_ROWS: usize = 32;

/// A warm-up or window of `n` flows is enough to fit on.
pub fn check_train_rows(n: usize) -> Result<(), ParamError> {
    if n < MIN_TRAIN_ROWS {
        Err(ParamError::new(format!(
            "must be at least {MIN_TRAIN_ROWS} (the fewest flows a detector fits on), got {n}"
        )))
    } else {
        Ok(())
    }
}

/// The shared shape of every detector: fit on a window, score a batch.
pub trait Detector: Sized {
    const KIND: DetectorKind;
    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError>;
    /// `fit` that stops early once `cancel` is set (the slow fits check inside their loops).
    fn fit_cancellable(x: ArrayView2<f64>, seed: u64, cancel: &Cancel) -> Result<Self, FitError> {
        cancel.check()?;
        Self::fit(x, seed)
    }
    /// Raw anomaly scores, higher = more anomalous, one per row.
    fn score(&self, x: ArrayView2<f64>) -> Array1<f64>;
}

pub(crate) fn require_rows(x: ArrayView2<f64>, needed: usize) -> Result<(), FitError> {
    if x.nrows() < needed {
        return Err(FitError::TooFewRows {
            needed,
            got: x.nrows(),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod reference_tests;
