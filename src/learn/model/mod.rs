//! The model set: feature pipeline, detectors with their calibrations, consensus and
//! clustering, fitted together on one training window and saved together in a versioned file.

mod check;
mod file;

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use check::{Inconsistency, validate};
/// Why a model set was not fitted.
#[derive(Debug, thiserror::Error)]
pub enum ModelFitError {
    #[error(transparent)]
    Features(#[from] FeatureError),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

pub use file::{FORMAT_VERSION, ModelFileError, check_schema, load, save};

use crate::flows::schema::{CoreField, FlowRecord, MetaField, Role, Schema};
use crate::learn::classify::{Balance, CvOptions, Kind, Mode, Prediction, TrainSpec, Trained};
use crate::learn::cluster::{Clustering, Projection};
use crate::learn::detect::{
    Cancel, Cancelled, Consensus, ConsensusParams, DetectorKind, DetectorSet, Model, Scores,
    Verdict,
};
use crate::learn::features::{FeatureError, FeaturePipeline};
use crate::learn::sample;

/// What a model set was trained on: loading it against other data fails with a clear message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaFingerprint {
    pub format: String,
    pub numeric: Vec<String>,
    pub categorical: Vec<String>,
    /// Where a threat query's fields go in a flow of this schema.
    pub query: QuerySlots,
}

/// Feature slots that a threat query in canonical units can fill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuerySlots {
    /// (core field, index into `FlowRecord::values`, factor from the column's unit to canonical).
    pub core: Vec<(CoreField, usize, f64)>,
    /// Index into `FlowRecord::categories` of a protocol column used as a feature.
    pub proto: Option<usize>,
}

impl QuerySlots {
    fn of(schema: &Schema) -> QuerySlots {
        let mut q = QuerySlots::default();
        let (mut num, mut cat) = (0, 0);
        for c in &schema.columns {
            match c.role {
                Role::Numeric => {
                    if let Some(f) = c.core {
                        q.core.push((f, num, c.core_unit));
                    }
                    num += 1;
                }
                Role::Categorical => {
                    if c.meta == Some(MetaField::Proto) {
                        q.proto = Some(cat);
                    }
                    cat += 1;
                }
                _ => {}
            }
        }
        q
    }
}

impl SchemaFingerprint {
    pub fn of(schema: &Schema) -> SchemaFingerprint {
        SchemaFingerprint {
            format: schema.format.name().to_string(),
            numeric: schema
                .numeric_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            categorical: schema
                .categorical_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            query: QuerySlots::of(schema),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSet {
    pub schema: SchemaFingerprint,
    pub pipeline: FeaturePipeline,
    pub detectors: DetectorSet,
    pub consensus: Consensus,
    /// PCA to 2-D of the training window, for the projection pane; absent when it could not be
    /// fitted (fewer than two features).
    pub projection: Option<Projection>,
    pub trained_rows: usize,
    /// Seconds since the Unix epoch.
    pub trained_at: f64,
    pub fit_s: f64,
    /// Supervised classifier, when the training window had labels of both kinds.
    #[serde(default)]
    pub classifier: Option<Trained>,
    /// Why no classifier was fitted although one was asked for (e.g. one class only).
    #[serde(default)]
    pub classifier_note: Option<String>,
}

/// Whether and how the model set gets a supervised classifier from labelled training rows.
#[derive(Debug, Clone)]
pub enum Supervised {
    Off,
    /// Fit this model on the labelled rows.
    Fixed {
        kind: Kind,
        mode: Mode,
        balance: Balance,
    },
    /// Cross-validate the candidates first and fit the one with the best macro F1.
    Select(CvOptions),
}

#[derive(Debug, Clone)]
pub struct FitOptions {
    pub kinds: Vec<DetectorKind>,
    pub consensus: ConsensusParams,
    pub seed: u64,
    pub supervised: Supervised,
    /// Fit the detectors on a seeded sample of at most this many training rows (0 = all);
    /// the classifier still learns from every labelled row.
    pub sample: usize,
    /// The traffic's flows per hour when the training rows are a sample of it (the alert
    /// budget's `alerts-per-hour`); else worked out from the training rows' times.
    pub flows_per_hour: Option<f64>,
}

/// Rows the detectors of `flowtop train` and `flowtop score` learn from, as in the monitor's
/// training window.
pub const DEFAULT_FIT_SAMPLE: usize = 20_000;

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            kinds: DetectorKind::ALL.to_vec(),
            consensus: ConsensusParams::default(),
            seed: 42,
            supervised: Supervised::Fixed {
                kind: Kind::RandomForest,
                mode: Mode::Binary,
                balance: Balance::Weights,
            },
            sample: 0,
            flows_per_hour: None,
        }
    }
}

/// A seeded sample of `max` rows in file order, or None to use them all.
fn sample_rows<'a>(rows: &[&'a FlowRecord], max: usize, seed: u64) -> Option<Vec<&'a FlowRecord>> {
    if max == 0 || rows.len() <= max {
        return None;
    }
    let mut picked = rand::seq::index::sample(&mut sample::rng(seed), rows.len(), max).into_vec();
    picked.sort_unstable();
    Some(picked.into_iter().map(|i| rows[i]).collect())
}

/// The training window's flows per hour, when at least two of its flows carry times and
/// they span more than a second.
fn flows_per_hour(train: &[&FlowRecord]) -> Option<f64> {
    let mut rate = TrafficRate::default();
    train.iter().for_each(|f| rate.add(f.ts));
    rate.per_hour()
}

/// Flows per hour of a stream of flows, from the times they carry.
#[derive(Debug, Clone, Copy)]
pub struct TrafficRate {
    timed: usize,
    lo: f64,
    hi: f64,
}

impl Default for TrafficRate {
    fn default() -> Self {
        TrafficRate {
            timed: 0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }
}

impl TrafficRate {
    pub fn add(&mut self, ts: Option<f64>) {
        if let Some(t) = ts {
            self.timed += 1;
            self.lo = self.lo.min(t);
            self.hi = self.hi.max(t);
        }
    }

    /// None with fewer than two timed flows, or when they span a second or less.
    pub fn per_hour(&self) -> Option<f64> {
        let span = self.hi - self.lo;
        (self.timed >= 2 && span > 1.0).then(|| self.timed as f64 / (span / 3600.0))
    }
}

/// Fits the classifier `opts` asks for; `Ok(None)` when the rows carry no labels at all.
fn fit_classifier(
    schema: &Schema,
    names: &[String],
    x: ArrayView2<f64>,
    train: &[&FlowRecord],
    opts: &FitOptions,
    cancel: &Cancel,
) -> Result<Option<Trained>, String> {
    if train.iter().all(|r| r.label.is_none()) {
        return Ok(None);
    }
    let (kind, mode, balance, cv) = match &opts.supervised {
        Supervised::Off => return Ok(None),
        Supervised::Fixed {
            kind,
            mode,
            balance,
        } => (*kind, *mode, *balance, None),
        Supervised::Select(cv) => {
            let report = crate::learn::classify::cross_validate(schema, train, cv, &|_| {}, cancel)
                .map_err(|e| e.to_string())?;
            let kind = Kind::parse(&report.best).unwrap_or(Kind::RandomForest);
            (kind, cv.mode, cv.balance, Some(report))
        }
    };
    let mut t = Trained::fit(
        TrainSpec {
            kind,
            mode,
            balance,
            seed: opts.seed,
        },
        names,
        x,
        train,
        cancel,
    )
    .map_err(|e| e.to_string())?;
    t.cv = cv;
    Ok(Some(t))
}

/// Everything the model set says about a batch of flows.
pub struct BatchScores {
    pub features: Array2<f64>,
    pub scores: Scores,
    pub verdicts: Vec<Verdict>,
    /// Nearest cluster per row, when the clustering is fitted.
    pub clusters: Option<Vec<usize>>,
    /// PCA coordinates per row (rows × 2), when the projection is fitted.
    pub projected: Option<Array2<f64>>,
    /// The classifier's answer per row, when one is trained.
    pub predictions: Option<Vec<Prediction>>,
}

impl ModelSet {
    pub fn fit(
        schema: &Schema,
        train: &[&FlowRecord],
        opts: &FitOptions,
        progress: &(dyn Fn(DetectorKind) + Sync),
        cancel: &Cancel,
    ) -> Result<ModelSet, ModelFitError> {
        let start = Instant::now();
        let all = train;
        let sampled = sample_rows(all, opts.sample, opts.seed);
        let train: &[&FlowRecord] = sampled.as_deref().unwrap_or(all);
        let pipeline = FeaturePipeline::fit(schema, train)?;
        let x = pipeline.transform(train);
        let detectors = DetectorSet::fit(x.view(), &opts.kinds, opts.seed, progress, cancel)?;
        let calibrated = detectors.score(x.view()).calibrated;
        let consensus = Consensus::fit(
            &detectors.kinds(),
            calibrated.view(),
            opts.consensus,
            opts.flows_per_hour.or_else(|| flows_per_hour(all)),
        );
        let projection = Projection::fit(x.view(), opts.seed).ok();
        cancel.check()?;
        let x_all = sampled.is_some().then(|| pipeline.transform(all));
        let x_labelled = x_all.as_ref().unwrap_or(&x);
        let (classifier, classifier_note) = match fit_classifier(
            schema,
            &pipeline.names,
            x_labelled.view(),
            all,
            opts,
            cancel,
        ) {
            Ok(c) => (c, None),
            Err(e) => (None, Some(e)),
        };
        cancel.check()?;
        Ok(ModelSet {
            classifier,
            classifier_note,
            projection,
            schema: SchemaFingerprint::of(schema),
            pipeline,
            detectors,
            consensus,
            trained_rows: train.len(),
            trained_at: now_s(),
            fit_s: start.elapsed().as_secs_f64(),
        })
    }

    /// `fit` with the default options, no progress report and no way to call it off.
    pub fn fit_default(schema: &Schema, train: &[&FlowRecord]) -> Result<ModelSet, ModelFitError> {
        ModelSet::fit(
            schema,
            train,
            &FitOptions::default(),
            &|_| {},
            &Cancel::default(),
        )
    }

    pub fn clustering(&self) -> Option<&Clustering> {
        self.detectors
            .detectors
            .iter()
            .find_map(|d| match &d.model {
                Some(Model::Kmeans(k)) => Some(&k.clustering),
                _ => None,
            })
    }

    pub fn score_features(&self, features: Array2<f64>) -> BatchScores {
        let view = features.view();
        // The classifier runs beside the detectors: a batch smaller than the forest's block
        // would otherwise be predicted on the calling thread after the detectors end.
        let ((scores, verdicts), (predictions, (clusters, projected))) = rayon::join(
            || {
                let scores = self.detectors.score(view);
                let verdicts = scores
                    .calibrated
                    .rows()
                    .into_iter()
                    .map(|r| self.consensus.verdict(r))
                    .collect();
                (scores, verdicts)
            },
            || {
                let predictions = self.classifier.as_ref().map(|c| c.predict(view));
                let clusters = self.clustering().map(|c| c.nearest(view).0);
                let projected = self.projection.as_ref().map(|p| p.project(view));
                (predictions, (clusters, projected))
            },
        );
        BatchScores {
            features,
            scores,
            verdicts,
            clusters,
            projected,
            predictions,
        }
    }

    pub fn score(&self, flows: &[&FlowRecord]) -> BatchScores {
        self.score_features(self.pipeline.transform(flows))
    }

    /// Features of one row ordered by how far they sit from the training window (robust z:
    /// the pipeline centres each numeric feature on its training median and scales it by its
    /// spread), largest first.
    pub fn top_features(&self, row: ArrayView2<f64>, n: usize) -> Vec<(String, f64)> {
        let Some(r) = row.rows().into_iter().next() else {
            return Vec::new();
        };
        let mut v: Vec<(String, f64)> = self
            .pipeline
            .names
            .iter()
            .take(self.pipeline.numeric.len())
            .zip(r.iter())
            .map(|(n, z)| (n.clone(), *z))
            .collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        v.truncate(n);
        v
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests;
