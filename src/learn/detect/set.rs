//! The detector set: fits every detector on the same window (spread over the cores), keeps
//! each one's calibration and status, and scores batches into one matrix.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    Iforest(IsolationForest),
    Lof(Lof),
    Ocsvm(OneClassSvm),
    Dbscan(DbscanDetector),
    Kmeans(KMeansDetector),
    Zscore(RobustZ),
    Autoencoder(Autoencoder),
    Hbos(Hbos),
    Ecod(Ecod),
}

impl Model {
    fn fit(
        kind: DetectorKind,
        x: ArrayView2<f64>,
        seed: u64,
        cancel: &Cancel,
    ) -> Result<Model, FitError> {
        Ok(match kind {
            DetectorKind::Iforest => {
                Model::Iforest(IsolationForest::fit_cancellable(x, seed, cancel)?)
            }
            DetectorKind::Lof => Model::Lof(Lof::fit_cancellable(x, seed, cancel)?),
            DetectorKind::Ocsvm => Model::Ocsvm(OneClassSvm::fit_cancellable(x, seed, cancel)?),
            DetectorKind::Dbscan => {
                Model::Dbscan(DbscanDetector::fit_cancellable(x, seed, cancel)?)
            }
            DetectorKind::Kmeans => {
                Model::Kmeans(KMeansDetector::fit_cancellable(x, seed, cancel)?)
            }
            DetectorKind::Zscore => Model::Zscore(RobustZ::fit_cancellable(x, seed, cancel)?),
            DetectorKind::Autoencoder => {
                Model::Autoencoder(Autoencoder::fit_cancellable(x, seed, cancel)?)
            }
            DetectorKind::Hbos => Model::Hbos(Hbos::fit_cancellable(x, seed, cancel)?),
            DetectorKind::Ecod => Model::Ecod(Ecod::fit_cancellable(x, seed, cancel)?),
        })
    }

    pub fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        match self {
            Model::Iforest(m) => m.score(x),
            Model::Lof(m) => m.score(x),
            Model::Ocsvm(m) => m.score(x),
            Model::Dbscan(m) => m.score(x),
            Model::Kmeans(m) => m.score(x),
            Model::Zscore(m) => m.score(x),
            Model::Autoencoder(m) => m.score(x),
            Model::Hbos(m) => m.score(x),
            Model::Ecod(m) => m.score(x),
        }
    }

    /// Which detector this model is.
    pub fn kind_of(&self) -> DetectorKind {
        match self {
            Model::Iforest(_) => DetectorKind::Iforest,
            Model::Lof(_) => DetectorKind::Lof,
            Model::Ocsvm(_) => DetectorKind::Ocsvm,
            Model::Dbscan(_) => DetectorKind::Dbscan,
            Model::Kmeans(_) => DetectorKind::Kmeans,
            Model::Zscore(_) => DetectorKind::Zscore,
            Model::Autoencoder(_) => DetectorKind::Autoencoder,
            Model::Hbos(_) => DetectorKind::Hbos,
            Model::Ecod(_) => DetectorKind::Ecod,
        }
    }

    /// One line on what was fitted, for status displays.
    pub fn describe(&self) -> String {
        match self {
            Model::Iforest(_) => "100 trees, 256 rows each".into(),
            Model::Lof(_) => "k = 20 over distinct reference rows".into(),
            Model::Ocsvm(m) => format!("{} support vectors", m.support_vectors()),
            Model::Dbscan(m) => format!(
                "{} clusters, {:.0} % noise",
                m.clusters,
                m.noise_share * 100.0
            ),
            Model::Kmeans(m) => format!(
                "k = {}, silhouette {:.2}",
                m.clustering.k(),
                m.clustering.silhouette
            ),
            Model::Zscore(_) => "median / MAD per feature".into(),
            Model::Autoencoder(m) => format!("reconstruction loss {:.3}", m.loss),
            Model::Hbos(_) => "10 bins per feature".into(),
            Model::Ecod(_) => "empirical tails per feature".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "detail")]
pub enum DetectorStatus {
    Ready(String),
    /// Could not be fitted on this window; it sits out of the consensus.
    Failed(String),
}

impl DetectorStatus {
    /// What was fitted, or why nothing was.
    pub fn detail(&self) -> &str {
        match self {
            DetectorStatus::Ready(d) | DetectorStatus::Failed(d) => d,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedDetector {
    pub kind: DetectorKind,
    pub model: Option<Model>,
    pub calibration: Option<Calibration>,
    pub status: DetectorStatus,
    pub fit_s: f64,
}

impl FittedDetector {
    pub fn is_ready(&self) -> bool {
        self.model.is_some() && self.calibration.is_some()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectorSet {
    pub detectors: Vec<FittedDetector>,
}

/// Raw and calibrated scores of one batch: rows × detectors (NaN columns for detectors that
/// are not ready).
#[derive(Debug, Clone)]
pub struct Scores {
    pub raw: Array2<f64>,
    pub calibrated: Array2<f64>,
}

impl DetectorSet {
    /// Fits `kinds` on `x`, spreading the detectors over the cores (most expensive first).
    /// `progress` is told each detector as it finishes.
    pub fn fit(
        x: ArrayView2<f64>,
        kinds: &[DetectorKind],
        seed: u64,
        progress: &(dyn Fn(DetectorKind) + Sync),
        cancel: &Cancel,
    ) -> Result<DetectorSet, Cancelled> {
        let order = cost_order(kinds);
        // One task per detector on the process's pool, most expensive first, so the long fits
        // start at once and the short ones fill in around them.
        let mut detectors: Vec<FittedDetector> = order
            .into_par_iter()
            .with_max_len(1)
            .map(|kind| {
                cancel.check()?;
                let fitted = fit_one(kind, x, seed, cancel);
                // A fit called off mid-way failed for that reason only: not a result.
                cancel.check()?;
                progress(kind);
                Ok(fitted)
            })
            .collect::<Result<_, Cancelled>>()?;
        cancel.check()?;
        detectors.sort_by_key(|d| d.kind);
        Ok(DetectorSet { detectors })
    }

    pub fn ready(&self) -> impl Iterator<Item = &FittedDetector> {
        self.detectors.iter().filter(|d| d.is_ready())
    }

    pub fn kinds(&self) -> Vec<DetectorKind> {
        self.detectors.iter().map(|d| d.kind).collect()
    }

    pub fn score(&self, x: ArrayView2<f64>) -> Scores {
        let cols = self.detectors.len();
        let mut raw = Array2::from_elem((x.nrows(), cols), f64::NAN);
        let mut calibrated = Array2::from_elem((x.nrows(), cols), f64::NAN);
        for (j, d) in self.detectors.iter().enumerate() {
            let (Some(m), Some(c)) = (&d.model, &d.calibration) else {
                continue;
            };
            let s = m.score(x);
            for (i, v) in s.iter().enumerate() {
                raw[[i, j]] = *v;
                calibrated[[i, j]] = c.apply(*v);
            }
        }
        Scores { raw, calibrated }
    }
}

fn fit_one(kind: DetectorKind, x: ArrayView2<f64>, seed: u64, cancel: &Cancel) -> FittedDetector {
    let start = Instant::now();
    let result = Model::fit(kind, x, seed, cancel).and_then(|m| {
        let train = m.score(x);
        if train.iter().any(|v| !v.is_finite()) {
            return Err(FitError::Degenerate("non-finite training scores".into()));
        }
        let cal = Calibration::fit(train.as_slice().unwrap_or_default());
        Ok((m, cal))
    });
    let fit_s = start.elapsed().as_secs_f64();
    match result {
        Ok((m, cal)) => FittedDetector {
            kind,
            status: DetectorStatus::Ready(m.describe()),
            model: Some(m),
            calibration: Some(cal),
            fit_s,
        },
        Err(e) => FittedDetector {
            kind,
            model: None,
            calibration: None,
            status: DetectorStatus::Failed(e.to_string()),
            fit_s,
        },
    }
}

/// Expensive fits start first so the cores finish together.
fn cost_order(kinds: &[DetectorKind]) -> Vec<DetectorKind> {
    let rank = |k: &DetectorKind| match k {
        DetectorKind::Ocsvm => 0,
        DetectorKind::Kmeans => 1,
        DetectorKind::Autoencoder => 2,
        DetectorKind::Dbscan => 3,
        DetectorKind::Lof => 4,
        DetectorKind::Iforest => 5,
        DetectorKind::Ecod => 6,
        DetectorKind::Zscore => 7,
        DetectorKind::Hbos => 8,
    };
    let mut v = kinds.to_vec();
    v.sort_by_key(rank);
    v.dedup();
    v
}
