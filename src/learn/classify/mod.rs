//! Supervised models for labelled flows: Random Forest, MLP and SVM on the detectors' feature
//! pipeline, binary (benign / attack) or multi-class (attack class names), with class weights
//! or SMOTE against imbalance, stratified k-fold cross-validation that picks the model by
//! macro F1, and feature importance.

mod bins;
pub mod cv;
mod forest;
mod mlp;
mod scores;
mod smote;
mod svm;
mod targets;
mod tree;

use crate::learn::cancel::Cancel;
use crate::learn::detect::FitError;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use cv::{CvOptions, CvReport, ModelReport, cross_validate};
pub use forest::{Forest, ForestParams};
pub use mlp::Mlp;
pub use svm::Svc;
pub use targets::{Labelled, Mode, OTHER_ATTACK, TargetError, targets};

use crate::flows::schema::FlowRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    RandomForest,
    Mlp,
    Svm,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::RandomForest, Kind::Mlp, Kind::Svm];

    pub fn name(self) -> &'static str {
        match self {
            Kind::RandomForest => "random-forest",
            Kind::Mlp => "mlp",
            Kind::Svm => "svm",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "random-forest" | "rf" | "forest" => Some(Kind::RandomForest),
            "mlp" => Some(Kind::Mlp),
            "svm" | "svc" => Some(Kind::Svm),
            _ => None,
        }
    }
}

/// How class imbalance is handled in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    None,
    /// Every class weighs the same in total (scikit-learn's `class_weight="balanced"`).
    Weights,
    /// Synthetic minority rows until every class is as large as the largest.
    Smote,
}

impl Balance {
    pub fn parse(s: &str) -> Option<Balance> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Balance::None),
            "weights" | "balanced" => Some(Balance::Weights),
            "smote" => Some(Balance::Smote),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Balance::None => "none",
            Balance::Weights => "weights",
            Balance::Smote => "smote",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classifier {
    Forest(Forest),
    Mlp(Mlp),
    Svm(Svc),
}

impl Classifier {
    /// Fits one model on rows `x` with class indices `y < classes`, after the balancing step.
    pub fn fit(
        kind: Kind,
        x: ArrayView2<f64>,
        y: &[u32],
        classes: usize,
        balance: Balance,
        seed: u64,
        cancel: &Cancel,
    ) -> Result<Classifier, FitError> {
        if balance == Balance::Smote {
            let (xs, ys) = smote::oversample(x, y, classes, seed);
            return Classifier::fit(kind, xs.view(), &ys, classes, Balance::None, seed, cancel);
        }
        let weights = class_weights(y, classes, balance);
        Ok(match kind {
            Kind::RandomForest => Classifier::Forest(Forest::fit(
                x,
                y,
                classes,
                &weights,
                ForestParams {
                    seed,
                    ..ForestParams::default()
                },
                cancel,
            )?),
            Kind::Mlp => Classifier::Mlp(Mlp::fit(x, y, classes, &weights, seed, cancel)?),
            Kind::Svm => Classifier::Svm(Svc::fit(x, y, classes, &weights, seed, cancel)?),
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Classifier::Forest(_) => Kind::RandomForest,
            Classifier::Mlp(_) => Kind::Mlp,
            Classifier::Svm(_) => Kind::Svm,
        }
    }

    /// Class probabilities, rows × classes; rows sum to 1.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Array2<f64> {
        match self {
            Classifier::Forest(f) => f.predict_proba(x),
            Classifier::Mlp(m) => m.predict_proba(x),
            Classifier::Svm(s) => s.predict_proba(x),
        }
    }
}

/// 1 for every class, or n / (classes · count) so each class weighs the same in total.
pub fn class_weights(y: &[u32], classes: usize, balance: Balance) -> Vec<f64> {
    if balance != Balance::Weights {
        return vec![1.0; classes];
    }
    let mut counts = vec![0usize; classes];
    for &c in y {
        counts[c as usize] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                y.len() as f64 / (present * c) as f64
            }
        })
        .collect()
}

/// A classifier fitted on every labelled row of a training window, kept in the model set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trained {
    pub model: Classifier,
    pub mode: Mode,
    pub classes: Vec<String>,
    /// Per class: is it an attack class.
    pub attack: Vec<bool>,
    pub labelled_rows: usize,
    /// The cross-validation that chose the model, when one ran.
    pub cv: Option<CvReport>,
    /// Largest first.
    pub importance: Vec<Importance>,
}

/// What the classifier says about one flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub class: String,
    /// Probability of the predicted class.
    pub probability: f64,
    /// Probability of any attack class.
    pub attack_probability: f64,
}

/// Which classifier to train and how: the model, binary or multi-class targets, the class
/// balancing and the seed.
#[derive(Debug, Clone, Copy)]
pub struct TrainSpec {
    pub kind: Kind,
    pub mode: Mode,
    pub balance: Balance,
    pub seed: u64,
}

impl Trained {
    /// Fits `spec.kind` on the labelled ones of `flows`, whose features (columns `names`) are
    /// the rows of `x`.
    pub fn fit(
        spec: TrainSpec,
        names: &[String],
        x: ArrayView2<f64>,
        flows: &[&FlowRecord],
        cancel: &Cancel,
    ) -> Result<Trained, TargetError> {
        let TrainSpec {
            kind,
            mode,
            balance,
            seed,
        } = spec;
        let labelled = targets(flows, mode, 1)?;
        let x = x.select(ndarray::Axis(0), &labelled.rows);
        let model = Classifier::fit(
            kind,
            x.view(),
            &labelled.y,
            labelled.classes.len(),
            balance,
            seed,
            cancel,
        )
        .map_err(TargetError::Fit)?;
        let importance = match &model {
            Classifier::Forest(f) => ranked(names, &f.importance),
            _ => Vec::new(),
        };
        Ok(Trained {
            model,
            mode,
            attack: labelled.attack.clone(),
            classes: labelled.classes,
            labelled_rows: labelled.rows.len(),
            cv: None,
            importance,
        })
    }

    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<Prediction> {
        let p = self.model.predict_proba(x);
        p.rows()
            .into_iter()
            .map(|row| {
                let (best, prob) = scores::most_probable(row);
                let attack_probability = row
                    .iter()
                    .zip(&self.attack)
                    .filter(|(_, a)| **a)
                    .map(|(v, _)| v)
                    .sum::<f64>()
                    .clamp(0.0, 1.0);
                Prediction {
                    class: self.classes.get(best).cloned().unwrap_or_default(),
                    probability: prob,
                    attack_probability,
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub feature: String,
    pub importance: f64,
}

/// Names paired with values, largest value first.
pub fn ranked(names: &[String], values: &[f64]) -> Vec<Importance> {
    let mut v: Vec<Importance> = names
        .iter()
        .zip(values)
        .map(|(n, &v)| Importance {
            feature: n.clone(),
            importance: v,
        })
        .collect();
    v.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    v
}

#[cfg(test)]
mod tests;
