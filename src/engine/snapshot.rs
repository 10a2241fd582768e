//! What the engine publishes: an immutable picture of the live state that the UI renders and
//! headless runs report. Built on demand; cheap to clone behind an `Arc`.

use std::sync::Arc;

use serde::Serialize;

use crate::flows::schema::{CoreFields, Text};
use crate::learn::cluster::ClusterSummary;
use crate::learn::detect::DetectorKind;
use crate::learn::threat::Assessment;

pub use super::quality::QualitySnapshot;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ModelState {
    WarmingUp { have: usize, need: usize },
    Ready,
    Failed { reason: String },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobState {
    /// Detectors fitted so far out of `total`.
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DetectorState {
    pub kind: DetectorKind,
    pub ready: bool,
    pub detail: String,
    pub weight: f64,
    /// Fitted, but screened out of the score (its top tail disagrees with the ensemble's);
    /// `detail` says why. It still votes.
    pub sits_out: bool,
}

/// A bucket of a series that left the interval forecast for it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VolumeInfo {
    pub series: super::series::SeriesKind,
    pub observed: f64,
    pub expected: f64,
    pub lo: f64,
    pub hi: f64,
    pub bucket_s: f64,
    /// Other series of the same bucket that left their intervals too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<VolumeInfo>,
}

/// One row of the anomaly feed: a flagged flow, or (kind `volume`) a bucket whose volume left
/// its forecast interval.
#[derive(Debug, Clone, Serialize)]
pub struct AnomalyEvent {
    pub line: u64,
    pub ts: Option<f64>,
    /// Where the series placed it: its timestamp, else its arrival (live) or its line at the
    /// replay's pace. The feed's time order uses it, so untimed flows and volume rows interleave.
    pub at: f64,
    pub src: Option<Text>,
    pub dst: Option<Text>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub proto: Option<Text>,
    pub label: Option<Text>,
    /// Ground truth, when the flow carries a label.
    pub attack: Option<bool>,
    pub score: f64,
    /// Calibrated score per detector, in `Snapshot::detectors` order.
    pub detector_scores: Vec<Option<f64>>,
    pub votes: Vec<Option<bool>>,
    /// The consensus flagged it (else the classifier alone called it an attack).
    pub flagged: bool,
    pub cluster: Option<usize>,
    pub top_features: Vec<(String, f64)>,
    pub core: CoreFields,
    pub state: Option<Text>,
    /// The application protocol the sensor named (`dns`, `ssl`), where the format has one.
    pub service: Option<Text>,
    pub threat: Assessment,
    /// The classifier's class and probabilities, when one is trained.
    pub predicted: Option<crate::learn::classify::Prediction>,
    /// Set for a volume event: a whole bucket, not one flow, left its forecast interval.
    pub volume: Option<VolumeInfo>,
    /// Set when the flow's bucket had already passed its forecast's upper bound as the flow
    /// joined it, and that counted as a vote (`--volume-vote`).
    pub volume_vote: Option<VolumeInfo>,
    /// Every model feature: names shared by all events of one model, the raw input value
    /// (numeric features; NaN for encoded categories) and the deviation from the training
    /// window (robust z for numeric features, the encoded value for categories).
    #[serde(skip)]
    pub feature_names: Arc<[String]>,
    #[serde(skip)]
    pub raw: Vec<f64>,
    #[serde(skip)]
    pub deviation: Vec<f64>,
}

/// One bucket of the live series.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Bucket {
    /// Start of the bucket: flow time in seconds when the flows carry timestamps, else
    /// seconds since the engine started.
    pub start: f64,
    pub flows: u64,
    pub bytes: f64,
    pub packets: f64,
    /// Distinct source / destination addresses (estimated, see `engine::distinct`).
    pub sources: u32,
    pub destinations: u32,
    pub anomalies: u64,
}

/// One recent flow on the PCA plane.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ProjectedPoint {
    pub x: f64,
    pub y: f64,
    pub cluster: Option<usize>,
    pub flagged: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Counters {
    pub flows: u64,
    pub scored: u64,
    pub flagged: u64,
    /// Flows seen while no model was ready.
    pub unscored: u64,
    /// Buckets with a traffic series outside the forecast's 95 % interval.
    pub volume_events: u64,
    /// Rows put in the feed (flagged or classified as attacks), by threat level: low,
    /// medium, high.
    pub alerts_by_level: [u64; 3],
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub counters: Counters,
    pub model: ModelState,
    pub retraining: Option<JobState>,
    /// Flows since the current model was fitted.
    pub model_age_flows: u64,
    /// Unix seconds when the current model was fitted.
    pub trained_at: Option<f64>,
    /// How long the model in use took to fit, seconds.
    pub fit_s: Option<f64>,
    pub generation: u64,
    /// The current model's alert budget (share of flows and the consensus score that flags).
    pub budget: Option<crate::learn::detect::Budget>,
    pub detectors: Vec<DetectorState>,
    pub clusters: Vec<ClusterSummary>,
    pub silhouette: Option<f64>,
    pub davies_bouldin: Option<f64>,
    pub calinski_harabasz: Option<f64>,
    pub series: Vec<Bucket>,
    pub bucket_s: f64,
    /// Newest first.
    pub feed: Vec<Arc<AnomalyEvent>>,
    /// The most recent scored flows on the current model's PCA plane, oldest first.
    pub projection: Vec<ProjectedPoint>,
    /// Share of the variance the two axes explain.
    pub projection_variance: Option<[f64; 2]>,
    /// Live precision / recall / F1 and ROC-AUC when the flows carry labels.
    pub quality: Option<QualitySnapshot>,
    /// Rows whose bucket had closed (past the lateness window) or left the ring: counted,
    /// not placed in the series.
    pub late_rows: u64,
    pub lateness_s: f64,
    /// Leading buckets of `series` that are closed (final); the rest may still grow.
    pub closed_buckets: usize,
    /// Which optional series the flows have filled so far.
    pub seen: super::series::Seen,
    /// Activity by hour of day and day of week, when the flows carry timestamps.
    pub profile: Option<super::TemporalProfile>,
    /// The current model's classifier, when the training window had labels.
    pub classifier: Option<ClassifierView>,
    /// Why the current model has no classifier although the flows carry labels.
    pub classifier_note: Option<String>,
}

/// What the model-quality pane shows about the supervised classifier.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifierView {
    pub kind: String,
    pub mode: String,
    pub labelled_rows: usize,
    pub classes: Vec<String>,
    /// The cross-validation that chose it, when one ran.
    pub cv: Option<crate::learn::classify::CvReport>,
    /// The largest first, at most ten.
    pub importance: Vec<crate::learn::classify::Importance>,
}

impl ClassifierView {
    pub fn of(t: &crate::learn::classify::Trained) -> ClassifierView {
        let importance = match &t.cv {
            Some(cv) if !cv.importance.is_empty() => &cv.importance,
            _ => &t.importance,
        };
        ClassifierView {
            kind: t.model.kind().name().to_string(),
            mode: t.mode.name().to_string(),
            labelled_rows: t.labelled_rows,
            classes: t.classes.clone(),
            cv: t.cv.clone(),
            importance: importance.iter().take(10).cloned().collect(),
        }
    }
}

impl AnomalyEvent {
    /// A volume event: `id` numbers it apart from input lines, `ts` is the bucket's start.
    pub fn volume(id: u64, ts: f64, info: VolumeInfo, bands: &crate::learn::threat::Bands) -> Self {
        let assess = |v: &VolumeInfo| {
            crate::learn::threat::assess_volume(
                v.series.name(),
                v.observed,
                v.expected,
                (v.lo, v.hi),
                bands,
            )
        };
        // The bucket's worst series sets the score; every series gives its reason.
        let mut threat = assess(&info);
        for other in &info.also {
            let a = assess(other);
            threat.reasons.extend(a.reasons);
            for r in a.recommendations {
                if !threat.recommendations.contains(&r) {
                    threat.recommendations.push(r);
                }
            }
            if a.score > threat.score {
                threat.score = a.score;
                threat.level = a.level;
            }
        }
        threat.reasons.sort_by(|a, b| b.points.total_cmp(&a.points));
        AnomalyEvent {
            line: id,
            ts: Some(ts),
            // Known once the bucket ends: it sorts after the flows that filled it.
            at: ts + info.bucket_s,
            src: None,
            dst: None,
            sport: None,
            dport: None,
            proto: None,
            label: None,
            attack: None,
            score: f64::NAN,
            detector_scores: Vec::new(),
            votes: Vec::new(),
            flagged: true,
            cluster: None,
            top_features: Vec::new(),
            core: CoreFields::default(),
            state: None,
            service: None,
            threat,
            predicted: None,
            volume: Some(info),
            volume_vote: None,
            feature_names: Arc::from(Vec::<String>::new()),
            raw: Vec::new(),
            deviation: Vec::new(),
        }
    }
}
