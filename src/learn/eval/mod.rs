//! `flowtop eval`: fit on a random fraction of a file (labels unused), score the rest, and
//! when the file has labels measure every detector and the consensus against them.

mod matrices;
mod report;
pub mod stream;
pub mod supervised;

use crate::learn::detect::Cancel;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::Array2;
use rand::seq::SliceRandom;
use serde::Serialize;

pub use report::render_text;

use crate::flows::ingest::{IngestError, read_all};
use crate::flows::schema::{DetectOptions, FlowRecord};
use crate::flows::source::Input;
use crate::learn::metrics::{average_precision, flag_quality, roc_auc};
use crate::learn::model::{FitOptions, ModelSet};
use crate::learn::sample;
use crate::progress::Progress;

#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub train_fraction: f64,
    pub fit: FitOptions,
    /// Writes the pipeline's train and test matrices (with the label) as CSV here, so other
    /// tools can be measured on exactly the same rows and features.
    pub export_split: Option<PathBuf>,
    /// Keep every benign flow and a random subset of the attacks so attacks make up this share
    /// (the usual outlier-detection protocol; labels choose the rows, never the model).
    pub attack_share: Option<f64>,
    /// Score every row with this saved model set (and the file it came from, for messages)
    /// instead of fitting on a split.
    pub model: Option<(String, ModelSet)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub name: String,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub f1: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub fit_s: f64,
    pub rows_per_s: f64,
    /// `ready: …` or `failed: …`.
    pub status: String,
    /// Weight in the consensus score (0 = not a member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Members' precision at the consensus flag's alert volume.
#[derive(Debug, Clone, Serialize)]
pub struct AtFlags {
    /// Labelled rows the consensus flagged (each member is judged on as many of its own).
    pub flags: usize,
    pub best_member: String,
    pub best_precision: f64,
    pub median_precision: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusteringReport {
    pub k: usize,
    pub silhouette: f64,
    pub davies_bouldin: f64,
    pub calinski_harabasz: f64,
    /// Per cluster over the scored rows: size, share, core-field means, flagged share.
    pub clusters: Vec<crate::learn::cluster::ClusterSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub file: String,
    pub format: String,
    pub rows: usize,
    pub rejected: u64,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Share of attacks among labelled test rows; absent without labels.
    pub attack_share: Option<f64>,
    pub features: usize,
    pub detectors: Vec<Quality>,
    pub consensus: Quality,
    pub members: Vec<String>,
    /// Share of the scored rows the flag raised (the alert budget holds it near its rate).
    pub flag_rate: f64,
    /// The budget in force: share of flows and the calibrated consensus score that flags.
    pub budget: Option<crate::learn::detect::Budget>,
    /// Precision of the flag on the labelled rows.
    pub flag_precision: Option<f64>,
    /// The members' precision at the same number of flags, for comparison.
    pub members_at_flags: Option<AtFlags>,
    pub clustering: Option<ClusteringReport>,
    /// Wall time of the whole model-set fit (pipeline, all detectors, consensus).
    pub refit_s: f64,
    /// Threat scores of the scored rows against their labels (classifier included when the
    /// training half had labels).
    pub threat: Option<crate::learn::threat::LabelledCheck>,
    pub seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack_share_requested: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("{file}: {rows} rows; eval needs at least {min} (some to train on, some to score)")]
    TooFew {
        file: String,
        rows: usize,
        min: usize,
    },
    #[error("{file}: {source}")]
    Features {
        file: String,
        source: crate::learn::model::ModelFitError,
    },
    #[error(transparent)]
    Export(crate::learn::eval::matrices::WriteError),
    #[error(transparent)]
    Model(#[from] crate::learn::model::ModelFileError),
    #[error("{0}")]
    Supervised(String),
}

pub const MIN_ROWS: usize = 2 * crate::learn::detect::MIN_TRAIN_ROWS;

/// Reads a whole source; shared by eval, train and score.
pub fn read_flows(
    input: &Input,
    opts: &DetectOptions,
    progress: &Progress,
) -> Result<(crate::flows::ingest::ReadSummary, Vec<FlowRecord>), IngestError> {
    let mut rows = Vec::new();
    let summary = read_all(input, opts, |r| {
        rows.push(r);
        if rows.len() % 4096 == 0 {
            progress.set(rows.len() as u64);
        }
    })?;
    Ok((summary, rows))
}

/// `read_flows` with a "reading" spinner on stderr (only on a terminal).
pub fn read_flows_shown(
    input: &Input,
    opts: &DetectOptions,
) -> Result<(crate::flows::ingest::ReadSummary, Vec<FlowRecord>), IngestError> {
    let progress = Progress::spinner("reading");
    let r = read_flows(input, opts, &progress);
    progress.finish();
    r
}

pub fn eval(
    input: &Input,
    detect: &DetectOptions,
    opts: &EvalOptions,
) -> Result<EvalReport, EvalError> {
    let file = input.display_name();
    let (summary, mut rows) = read_flows_shown(input, detect)?;
    if let Some(share) = opts.attack_share {
        rows = with_attack_share(rows, share, opts.fit.seed);
    }
    if rows.len() < MIN_ROWS {
        return Err(EvalError::TooFew {
            file,
            rows: rows.len(),
            min: MIN_ROWS,
        });
    }
    let fitted;
    let (train, test, model): (Vec<&FlowRecord>, Vec<&FlowRecord>, &ModelSet) = match &opts.model {
        // A saved model: every row is scored, none is trained on.
        Some((path, m)) => {
            let here = crate::learn::model::SchemaFingerprint::of(&summary.schema);
            crate::learn::model::check_schema(m, &here, path)?;
            (Vec::new(), rows.iter().collect(), m)
        }
        None => {
            let mut idx: Vec<usize> = (0..rows.len()).collect();
            idx.shuffle(&mut sample::rng(opts.fit.seed));
            let n_train = ((rows.len() as f64 * opts.train_fraction).round() as usize)
                .clamp(crate::learn::detect::MIN_TRAIN_ROWS, rows.len() - 1);
            let train: Vec<&FlowRecord> = idx[..n_train].iter().map(|&i| &rows[i]).collect();
            let test: Vec<&FlowRecord> = idx[n_train..].iter().map(|&i| &rows[i]).collect();
            let progress = Progress::bar("fitting", opts.fit.kinds.len() as u64);
            let model = ModelSet::fit(
                &summary.schema,
                &train,
                &opts.fit,
                &|_| progress.inc(),
                &Cancel::default(),
            )
            .map_err(|source| EvalError::Features {
                file: file.clone(),
                source,
            })?;
            progress.finish();
            fitted = model;
            (train, test, &fitted)
        }
    };

    let progress = Progress::spinner("scoring");
    let x_test = model.pipeline.transform(&test);
    if let Some(dir) = &opts.export_split {
        let x_train = model.pipeline.transform(&train);
        matrices::write_split(dir, &model.pipeline.names, &x_train, &train, &x_test, &test)
            .map_err(EvalError::Export)?;
        let names: Vec<String> = model
            .detectors
            .kinds()
            .iter()
            .map(|k| k.name().to_string())
            .collect();
        let cal_train = model.detectors.score(x_train.view()).calibrated;
        let cal_test = model.detectors.score(x_test.view()).calibrated;
        matrices::write_scores(dir, &names, &cal_train, &train, &cal_test, &test)
            .map_err(EvalError::Export)?;
    }
    let truth: Vec<Option<bool>> = test
        .iter()
        .map(|r| r.label.as_ref().map(|l| l.attack))
        .collect();
    let detectors = per_detector(model, &x_test, &truth);
    // End to end, as a live run pays it: transform, every detector, consensus. Best of two:
    // the first pass also pays page faults for fresh buffers.
    let start = Instant::now();
    let batch = model.score(&test);
    let first_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::hint::black_box(model.score(&test));
    let consensus_s = first_s.min(start.elapsed().as_secs_f64());
    progress.finish();

    let scores: Vec<f64> = batch.verdicts.iter().map(|v| v.score).collect();
    let flags: Vec<bool> = batch.verdicts.iter().map(|v| v.flagged).collect();
    let mut consensus = quality("consensus", &scores, &flags, &truth);
    consensus.fit_s = model.fit_s;
    consensus.rows_per_s = test.len() as f64 / consensus_s.max(1e-9);
    consensus.status = match model.consensus.budget {
        Some(b) => format!(
            "alert budget {:.2}%: flags from consensus {:.4}",
            100.0 * b.rate,
            b.threshold
        ),
        None => format!(
            "k = {} of {} votes (model saved before the alert budget)",
            model.consensus.params.min_votes,
            model.detectors.ready().count()
        ),
    };
    let flagged_labelled = flags
        .iter()
        .zip(&truth)
        .zip(&scores)
        .filter(|((f, t), s)| **f && t.is_some() && s.is_finite())
        .count();
    let members_at_flags =
        members_at_flags(model, &batch.scores.calibrated, flagged_labelled, &truth);
    let flag_rate = flags.iter().filter(|f| **f).count() as f64 / flags.len().max(1) as f64;
    let flag_precision = consensus.precision;
    let labelled: Vec<bool> = truth.iter().flatten().copied().collect();
    let threat = threat_check(model, &test, &batch);
    Ok(EvalReport {
        file,
        format: summary.schema.format.name().to_string(),
        rows: rows.len(),
        rejected: summary.counts.rejected,
        train_rows: if opts.model.is_some() {
            model.trained_rows
        } else {
            train.len()
        },
        test_rows: test.len(),
        attack_share: (!labelled.is_empty())
            .then(|| labelled.iter().filter(|&&a| a).count() as f64 / labelled.len() as f64),
        features: model.pipeline.width(),
        detectors,
        consensus,
        members: model
            .consensus
            .members()
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        flag_rate,
        budget: model.consensus.budget,
        flag_precision,
        members_at_flags,
        clustering: model.clustering().map(|c| ClusteringReport {
            k: c.k(),
            silhouette: c.silhouette,
            davies_bouldin: c.davies_bouldin,
            calinski_harabasz: c.calinski_harabasz,
            clusters: cluster_summary(c.k(), &test, &batch),
        }),
        refit_s: model.fit_s,
        threat,
        seed: opts.fit.seed,
        attack_share_requested: opts.attack_share,
    })
}

fn cluster_summary(
    k: usize,
    flows: &[&FlowRecord],
    batch: &crate::learn::model::BatchScores,
) -> Vec<crate::learn::cluster::ClusterSummary> {
    let mut stats = crate::learn::cluster::ClusterStats::new(k);
    if let Some(clusters) = &batch.clusters {
        for ((flow, &c), v) in flows.iter().zip(clusters).zip(&batch.verdicts) {
            stats.add(c, flow, v.flagged);
        }
    }
    stats.summary()
}

/// Subsamples attacks (seeded) so they make up `share` of the rows; rows without a label and
/// benign rows are all kept.
fn with_attack_share(rows: Vec<FlowRecord>, share: f64, seed: u64) -> Vec<FlowRecord> {
    let is_attack = |r: &FlowRecord| r.label.as_ref().is_some_and(|l| l.attack);
    let attacks = rows.iter().filter(|r| is_attack(r)).count();
    let others = rows.len() - attacks;
    let want = ((share / (1.0 - share)) * others as f64).round() as usize;
    if want >= attacks {
        return rows;
    }
    let mut keep = vec![false; attacks];
    for i in rand::seq::index::sample(&mut sample::rng(seed ^ 0x5eed), attacks, want) {
        keep[i] = true;
    }
    let mut i = 0;
    rows.into_iter()
        .filter(|r| {
            if !is_attack(r) {
                return true;
            }
            i += 1;
            keep[i - 1]
        })
        .collect()
}

fn per_detector(model: &ModelSet, x: &Array2<f64>, truth: &[Option<bool>]) -> Vec<Quality> {
    let threshold = model.consensus.params.threshold;
    model
        .detectors
        .detectors
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let weight = model.consensus.weights.get(j).copied();
            let (Some(m), Some(cal)) = (&d.model, &d.calibration) else {
                let mut q = quality(d.kind.name(), &[], &[], &[]);
                q.fit_s = d.fit_s;
                q.status = status_text(&d.status);
                q.weight = weight;
                return q;
            };
            let start = Instant::now();
            let cal_scores: Vec<f64> = m.score(x.view()).iter().map(|&s| cal.apply(s)).collect();
            let secs = start.elapsed().as_secs_f64();
            let votes: Vec<bool> = cal_scores.iter().map(|&p| p >= threshold).collect();
            let mut q = quality(d.kind.name(), &cal_scores, &votes, truth);
            q.fit_s = d.fit_s;
            q.rows_per_s = x.nrows() as f64 / secs.max(1e-9);
            q.status = status_text(&d.status);
            if let Some(Some(why)) = model.consensus.sits_out.get(j) {
                q.status = format!("{}; {why}", q.status);
            }
            q.weight = weight;
            q
        })
        .collect()
}

/// Each member's precision over its own top rows, as many as the consensus flagged: what the
/// flag's precision would have been with that member alone at the same alert volume.
fn members_at_flags(
    model: &ModelSet,
    calibrated: &Array2<f64>,
    flags: usize,
    truth: &[Option<bool>],
) -> Option<AtFlags> {
    if flags == 0 {
        return None;
    }
    let mut per: Vec<(String, f64)> = Vec::new();
    for (j, k) in model.detectors.kinds().iter().enumerate() {
        let mut rows: Vec<(f64, bool)> = calibrated
            .column(j)
            .iter()
            .zip(truth)
            .filter_map(|(s, t)| Some((*s, (*t)?)).filter(|(s, _)| s.is_finite()))
            .collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top = &rows[..flags.min(rows.len())];
        let hits = top.iter().filter(|(_, a)| *a).count();
        per.push((k.name().to_string(), hits as f64 / top.len() as f64));
    }
    if per.is_empty() {
        return None;
    }
    let median = crate::learn::metrics::median(per.iter().map(|p| p.1).collect());
    let best = per
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .cloned()
        .expect("non-empty");
    Some(AtFlags {
        flags,
        best_member: best.0,
        best_precision: best.1,
        median_precision: median,
    })
}

fn status_text(s: &crate::learn::detect::DetectorStatus) -> String {
    let state = match s {
        crate::learn::detect::DetectorStatus::Ready(_) => "ready",
        crate::learn::detect::DetectorStatus::Failed(_) => "failed",
    };
    format!("{state}: {}", s.detail())
}

/// Metrics over the labelled rows whose score is known; `None` when there is nothing to
/// measure (no labels, one class, or a detector that did not fit).
fn quality(name: &str, scores: &[f64], flags: &[bool], truth: &[Option<bool>]) -> Quality {
    let mut s = Vec::new();
    let mut f = Vec::new();
    let mut t = Vec::new();
    for ((score, flag), truth) in scores.iter().zip(flags).zip(truth) {
        if let Some(a) = truth
            && score.is_finite()
        {
            s.push(*score);
            f.push(*flag);
            t.push(*a);
        }
    }
    let finite = |v: f64| v.is_finite().then_some(v);
    let two_classes = t.iter().any(|&a| a) && t.iter().any(|&a| !a);
    let fq = flag_quality(&f, &t);
    Quality {
        name: name.to_string(),
        roc_auc: finite(roc_auc(&s, &t)),
        pr_auc: finite(average_precision(&s, &t)).filter(|_| two_classes),
        f1: two_classes.then_some(fq.f1),
        precision: two_classes.then_some(fq.precision),
        recall: two_classes.then_some(fq.recall),
        fit_s: 0.0,
        rows_per_s: 0.0,
        status: String::new(),
        weight: None,
    }
}

/// The threat score of every labelled scored row, summarised against the labels.
fn threat_check(
    model: &ModelSet,
    flows: &[&FlowRecord],
    batch: &crate::learn::model::BatchScores,
) -> Option<crate::learn::threat::LabelledCheck> {
    use crate::learn::threat::{Bands, ModelEvidence, ThreatInput, assess};
    let kinds = model.detectors.kinds();
    let bands = Bands::default();
    let scored: Vec<(f64, bool, crate::learn::threat::Level)> = flows
        .iter()
        .zip(&batch.verdicts)
        .enumerate()
        .filter_map(|(i, (flow, v))| {
            let attack = flow.label.as_ref()?.attack;
            let p = batch
                .predictions
                .as_ref()
                .and_then(|p| p.get(i))
                .map(|p| p.attack_probability);
            let input = ThreatInput::of_flow(flow, Some(ModelEvidence::from_verdict(&kinds, v)), p);
            let a = assess(&input, &bands);
            Some((a.score, attack, a.level))
        })
        .collect();
    crate::learn::threat::labelled_check(&scored)
}
