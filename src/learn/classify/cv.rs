//! Stratified k-fold cross-validation of every classifier on the labelled flows. Each fold
//! fits the feature pipeline on its own training rows (labels unused), then every model;
//! metrics are averaged over folds, confusion matrices summed. The model with the best mean
//! macro F1 is chosen.

use std::time::Instant;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::scores::{self, Scores};
use super::targets::{Labelled, Mode, TargetError, targets};
use super::{Balance, Classifier, Kind, ranked};
use crate::flows::schema::{FlowRecord, Schema};
use crate::learn::cancel::{Cancel, Cancelled};
use crate::learn::features::{FeatureError, FeaturePipeline};
use crate::learn::sample;

#[derive(Debug, Clone)]
pub struct CvOptions {
    pub folds: usize,
    pub mode: Mode,
    pub balance: Balance,
    pub kinds: Vec<Kind>,
    /// Recursive feature elimination down to this many features before the CV.
    pub select: Option<usize>,
    pub seed: u64,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            folds: 5,
            mode: Mode::Binary,
            balance: Balance::Weights,
            kinds: Kind::ALL.to_vec(),
            select: None,
            seed: 42,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelReport {
    pub name: String,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub macro_f1: f64,
    /// Standard deviation of macro F1 over the folds.
    pub macro_f1_std: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    /// Mean seconds per fold fit.
    pub fit_s: f64,
    /// Prediction throughput on the held-out folds (feature matrix in, probabilities out).
    pub rows_per_s: f64,
    /// `confusion[truth][predicted]`, summed over folds.
    pub confusion: Vec<Vec<u64>>,
    /// Empty when the model fitted on every fold; else why it did not.
    pub error: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvReport {
    pub mode: Mode,
    pub balance: Balance,
    pub folds: usize,
    pub labelled_rows: usize,
    pub unlabelled_rows: usize,
    pub classes: Vec<String>,
    /// Rows per class.
    pub class_rows: Vec<usize>,
    /// Attack names pooled into one class because they have fewer rows than folds.
    pub pooled: Vec<String>,
    pub features: usize,
    /// Features kept by recursive elimination (all when it did not run).
    pub selected: Vec<String>,
    pub models: Vec<ModelReport>,
    pub best: String,
    /// The best model's confusion matrix.
    pub confusion: Vec<Vec<u64>>,
    /// (feature, importance) largest first: the forest's mean impurity decrease when it ran,
    /// else the best model's permutation importance on the last fold.
    pub importance: Vec<super::Importance>,
}

#[derive(Debug, thiserror::Error)]
pub enum CvError {
    #[error(transparent)]
    Targets(#[from] TargetError),
    #[error("{labelled} labelled rows cannot be split into {folds} folds")]
    TooFew { labelled: usize, folds: usize },
    #[error(transparent)]
    Features(#[from] FeatureError),
    #[error("no model fitted: {0}")]
    NoModel(String),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// Fold index per row: each class's rows are shuffled (seeded) and dealt round-robin, so every
/// fold has each class in proportion.
pub fn stratified_folds(y: &[u32], classes: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = sample::rng(seed ^ 0xf01d);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c as usize].push(i);
    }
    let mut fold = vec![0; y.len()];
    let mut next = 0;
    for mut rows in by_class {
        rows.shuffle(&mut rng);
        for i in rows {
            fold[i] = next % folds;
            next += 1;
        }
    }
    fold
}

#[derive(Default)]
struct Tally {
    scores: Vec<Scores>,
    fit_s: f64,
    predict_s: f64,
    predicted_rows: usize,
    confusion: Vec<Vec<u64>>,
    importance: Vec<f64>,
    error: Option<String>,
}

pub fn cross_validate(
    schema: &Schema,
    flows: &[&FlowRecord],
    opts: &CvOptions,
    progress: &(dyn Fn(&str) + Sync),
    cancel: &Cancel,
) -> Result<CvReport, CvError> {
    let folds = opts.folds.max(2);
    let labelled = targets(flows, opts.mode, folds)?;
    let k = labelled.classes.len();
    if labelled.rows.len() < 2 * folds {
        return Err(CvError::TooFew {
            labelled: labelled.rows.len(),
            folds,
        });
    }
    let rows: Vec<&FlowRecord> = labelled.rows.iter().map(|&i| flows[i]).collect();
    let all = FeaturePipeline::fit(schema, &rows)?;
    let all_names = &all.names;
    let selected = match opts.select {
        Some(n) if n < all_names.len() => {
            eliminate(&all.transform(&rows), &labelled, n, opts, cancel)?
        }
        _ => (0..all_names.len()).collect(),
    };
    let fold_of = stratified_folds(&labelled.y, k, folds, opts.seed);
    let mut tallies: Vec<Tally> = opts.kinds.iter().map(|_| Tally::default()).collect();
    let names: Vec<String> = selected.iter().map(|&j| all_names[j].clone()).collect();
    // The last fold's data and models, for permutation importance.
    let mut last_models: Vec<Option<Classifier>> = opts.kinds.iter().map(|_| None).collect();
    let mut last_data = None;
    for fold in 0..folds {
        let train: Vec<usize> = (0..rows.len()).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..rows.len()).filter(|&i| fold_of[i] == fold).collect();
        let train_rows: Vec<&FlowRecord> = train.iter().map(|&i| rows[i]).collect();
        let test_rows: Vec<&FlowRecord> = test.iter().map(|&i| rows[i]).collect();
        let pipeline = FeaturePipeline::fit(schema, &train_rows)?;
        let x_train = by_name(&pipeline.transform(&train_rows), &pipeline.names, &names);
        let x_test = by_name(&pipeline.transform(&test_rows), &pipeline.names, &names);
        let y_train: Vec<u32> = train.iter().map(|&i| labelled.y[i]).collect();
        let y_test: Vec<u32> = test.iter().map(|&i| labelled.y[i]).collect();
        for ((kind, tally), last) in opts
            .kinds
            .iter()
            .zip(tallies.iter_mut())
            .zip(&mut last_models)
        {
            progress(&format!("{} fold {}/{folds}", kind.name(), fold + 1));
            if tally.error.is_some() {
                continue;
            }
            cancel.check()?;
            let start = Instant::now();
            let fitted = Classifier::fit(
                *kind,
                x_train.view(),
                &y_train,
                k,
                opts.balance,
                opts.seed,
                cancel,
            );
            tally.fit_s += start.elapsed().as_secs_f64();
            let model = match fitted {
                Ok(m) => m,
                Err(e) => {
                    tally.error = Some(e.to_string());
                    continue;
                }
            };
            let start = Instant::now();
            let proba = model.predict_proba(x_test.view());
            tally.predict_s += start.elapsed().as_secs_f64();
            tally.predicted_rows += x_test.nrows();
            tally.scores.push(scores::scores(&proba, &y_test, k));
            let c = scores::confusion(&y_test, &scores::argmax(&proba), k);
            add_matrix(&mut tally.confusion, &c);
            if let Classifier::Forest(f) = &model {
                add_vector(&mut tally.importance, &f.importance, 1.0 / folds as f64);
            }
            if fold + 1 == folds {
                *last = Some(model);
            }
        }
        if fold + 1 == folds {
            last_data = Some((x_test, y_test));
        }
    }
    let models: Vec<ModelReport> = opts
        .kinds
        .iter()
        .zip(&tallies)
        .map(|(kind, t)| report(*kind, t, folds))
        .collect();
    let best = models
        .iter()
        .filter(|m| m.error.is_empty() && m.macro_f1.is_finite())
        .max_by(|a, b| a.macro_f1.total_cmp(&b.macro_f1))
        .ok_or_else(|| {
            CvError::NoModel(
                models
                    .iter()
                    .map(|m| format!("{}: {}", m.name, m.error))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?
        .clone();
    let forest = opts
        .kinds
        .iter()
        .position(|&k| k == Kind::RandomForest)
        .filter(|&i| tallies[i].error.is_none());
    let importance = match forest {
        Some(i) => ranked(&names, &tallies[i].importance),
        None => match (
            last_models
                .iter()
                .flatten()
                .find(|m| m.kind().name() == best.name),
            &last_data,
        ) {
            (Some(m), Some((x, y))) => {
                ranked(&names, &permutation_importance(m, x, y, k, opts.seed))
            }
            _ => Vec::new(),
        },
    };
    let mut class_rows = vec![0; k];
    for &c in &labelled.y {
        class_rows[c as usize] += 1;
    }
    Ok(CvReport {
        mode: opts.mode,
        balance: opts.balance,
        folds,
        labelled_rows: rows.len(),
        unlabelled_rows: labelled.unlabelled,
        classes: labelled.classes,
        class_rows,
        pooled: labelled.pooled,
        features: names.len(),
        selected: names,
        confusion: best.confusion.clone(),
        best: best.name,
        models,
        importance,
    })
}

fn report(kind: Kind, t: &Tally, folds: usize) -> ModelReport {
    let n = t.scores.len().max(1) as f64;
    let mean = |f: fn(&Scores) -> f64| t.scores.iter().map(f).sum::<f64>() / n;
    let f1 = mean(|s| s.macro_f1);
    let var = t
        .scores
        .iter()
        .map(|s| (s.macro_f1 - f1).powi(2))
        .sum::<f64>()
        / n;
    let failed = t.error.is_some() || t.scores.is_empty();
    let nan_if = |v: f64| if failed { f64::NAN } else { v };
    ModelReport {
        name: kind.name().to_string(),
        accuracy: nan_if(mean(|s| s.accuracy)),
        precision: nan_if(mean(|s| s.precision)),
        recall: nan_if(mean(|s| s.recall)),
        macro_f1: nan_if(f1),
        macro_f1_std: nan_if(var.sqrt()),
        roc_auc: nan_if(mean(|s| s.roc_auc)),
        pr_auc: nan_if(mean(|s| s.pr_auc)),
        fit_s: t.fit_s / folds as f64,
        rows_per_s: t.predicted_rows as f64 / t.predict_s.max(1e-9),
        confusion: t.confusion.clone(),
        error: t.error.clone().unwrap_or_default(),
    }
}

/// The columns named `wanted`, in that order. A fold's pipeline may drop a column that is
/// constant in its own training rows; that feature reads as zero (the centre) in the fold.
fn by_name(x: &Array2<f64>, fold_names: &[String], wanted: &[String]) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), wanted.len()));
    for (j, name) in wanted.iter().enumerate() {
        if let Some(src) = fold_names.iter().position(|n| n == name) {
            out.column_mut(j).assign(&x.column(src));
        }
    }
    out
}

/// Recursive feature elimination on the labelled rows' features `x`: refit a forest and drop
/// the least important fifth (at least one) until `keep` features remain. Returns kept column
/// indices.
fn eliminate(
    x: &Array2<f64>,
    labelled: &Labelled,
    keep: usize,
    opts: &CvOptions,
    cancel: &Cancel,
) -> Result<Vec<usize>, Cancelled> {
    let mut kept: Vec<usize> = (0..x.ncols()).collect();
    let k = labelled.classes.len();
    let weights = super::class_weights(&labelled.y, k, opts.balance);
    while kept.len() > keep.max(1) {
        let xs = x.select(Axis(1), &kept);
        let forest = super::Forest::fit(
            xs.view(),
            &labelled.y,
            k,
            &weights,
            super::ForestParams {
                trees: 50,
                seed: opts.seed,
            },
            cancel,
        )?;
        let drop = ((kept.len() / 5).max(1)).min(kept.len() - keep.max(1));
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by(|&a, &b| forest.importance[a].total_cmp(&forest.importance[b]));
        let mut gone: Vec<usize> = order[..drop].to_vec();
        gone.sort_unstable();
        for &g in gone.iter().rev() {
            kept.remove(g);
        }
    }
    Ok(kept)
}

/// Macro-F1 drop when one feature's column is shuffled, per feature.
fn permutation_importance(
    model: &Classifier,
    x: &Array2<f64>,
    y: &[u32],
    classes: usize,
    seed: u64,
) -> Vec<f64> {
    let base = scores::scores(&model.predict_proba(x.view()), y, classes).macro_f1;
    let mut rng = sample::rng(seed ^ 0x9e4);
    (0..x.ncols())
        .map(|j| {
            let mut shuffled = x.clone();
            let mut col: Vec<f64> = x.column(j).to_vec();
            col.shuffle(&mut rng);
            shuffled.column_mut(j).assign(&ndarray::Array1::from(col));
            let s = scores::scores(&model.predict_proba(shuffled.view()), y, classes).macro_f1;
            (base - s).max(0.0)
        })
        .collect()
}

fn add_matrix(acc: &mut Vec<Vec<u64>>, m: &[Vec<u64>]) {
    if acc.is_empty() {
        *acc = m.to_vec();
        return;
    }
    for (a, r) in acc.iter_mut().zip(m) {
        for (x, v) in a.iter_mut().zip(r) {
            *x += v;
        }
    }
}

fn add_vector(acc: &mut Vec<f64>, v: &[f64], scale: f64) {
    if acc.len() < v.len() {
        acc.resize(v.len(), 0.0);
    }
    for (a, x) in acc.iter_mut().zip(v) {
        *a += x * scale;
    }
}
