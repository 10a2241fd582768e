//! The consistency of a loaded model set. A model file that parses can still be wrong inside
//! (edited, corrupted, written by a fuzzer): a tree child past the end, a weight matrix of the
//! wrong shape, two weights for nine detectors. Scoring trusts these, so they are checked once,
//! after loading, and a model that fails is refused with what is wrong.

use super::ModelSet;
use crate::learn::classify::Classifier;
use crate::learn::detect::{ConsensusParams, Model};
use crate::learn::features::Input;

crate::message_error!(
    /// What is wrong inside a model file that parsed, in words (the part and the fault:
    /// `isolation forest: tree 3 node 7 points out of the tree`).
    Inconsistency
);

impl Inconsistency {
    /// The same fault, said of a part of `part`.
    #[must_use]
    pub fn within(self, part: &str) -> Inconsistency {
        Inconsistency(format!("{part}: {}", self.0))
    }
}

/// Every index in range and every shape consistent, or the first thing that is not.
pub fn validate(m: &ModelSet) -> Result<(), Inconsistency> {
    let d = pipeline(m)?;
    let set = &m.detectors.detectors;
    if set.is_empty() {
        return Err(Inconsistency::new("no detectors"));
    }
    for det in set {
        if let Some(c) = &det.calibration {
            c.check().map_err(|e| e.within(det.kind.name()))?;
        }
        let Some(model) = &det.model else { continue };
        if model.kind_of() != det.kind {
            return Err(Inconsistency::new(format!(
                "{} holds a {} model",
                det.kind,
                model.kind_of()
            )));
        }
        match model {
            Model::Iforest(x) => x.check(d),
            Model::Lof(x) => x.check(d),
            Model::Ocsvm(x) => x.check(d),
            Model::Dbscan(x) => x.check(d),
            Model::Kmeans(x) => x.check(d),
            Model::Zscore(x) => x.check(d),
            Model::Autoencoder(x) => x.check(d),
            Model::Hbos(x) => x.check(d),
            Model::Ecod(x) => x.check(d),
        }?;
    }
    let c = &m.consensus;
    let kinds: Vec<_> = set.iter().map(|det| det.kind).collect();
    if c.kinds != kinds || c.weights.len() != kinds.len() {
        return Err(Inconsistency::new(format!(
            "the consensus has {} weights for {} detectors",
            c.weights.len(),
            kinds.len()
        )));
    }
    if c.weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(Inconsistency::new(
            "a consensus weight is negative or not a number",
        ));
    }
    let p = &c.params;
    ConsensusParams::check_threshold(p.threshold)
        .map_err(|e| format!("the consensus threshold {e}"))?;
    ConsensusParams::check_min_votes(p.min_votes, kinds.len())
        .map_err(|e| format!("the consensus votes {e}"))?;
    c.check_calibration().map_err(|e| e.within("consensus"))?;
    if !c.sits_out.is_empty() && c.sits_out.len() != kinds.len() {
        return Err(Inconsistency::new(format!(
            "the consensus screens {} detectors of {}",
            c.sits_out.len(),
            kinds.len()
        )));
    }
    if let Some(b) = c.budget
        && !(b.rate >= 0.0 && b.rate <= 1.0 && b.threshold.is_finite())
    {
        return Err(Inconsistency::new(format!(
            "the alert budget ({} at {}) is not a share and a score",
            b.rate, b.threshold
        )));
    }
    if let Some(p) = &m.projection {
        p.check(d)?;
    }
    if let Some(t) = &m.classifier {
        let k = t.classes.len();
        if k < 2 || t.attack.len() != k {
            return Err(Inconsistency::new(format!(
                "the classifier has {k} classes and {} attack marks",
                t.attack.len()
            )));
        }
        match &t.model {
            Classifier::Forest(f) => f.check(d, k),
            Classifier::Mlp(x) => x.check(d, k),
            Classifier::Svm(x) => x.check(d, k),
        }?;
    }
    Ok(())
}

/// The feature pipeline against the schema it reads: returns its width.
fn pipeline(m: &ModelSet) -> Result<usize, Inconsistency> {
    let p = &m.pipeline;
    let (numeric, categorical) = (m.schema.numeric.len(), m.schema.categorical.len());
    for f in &p.numeric {
        if let Input::Numeric(i) = f.input
            && i >= numeric
        {
            return Err(Inconsistency::new(format!(
                "feature '{}' reads numeric column {i} of {numeric}",
                f.name
            )));
        }
        let t = &f.transform;
        if ![t.fill, t.center, t.scale].iter().all(|v| v.is_finite()) || t.scale <= 0.0 {
            return Err(Inconsistency::new(format!(
                "feature '{}' has a transform that is not finite",
                f.name
            )));
        }
    }
    for f in &p.categorical {
        if f.index >= categorical {
            return Err(Inconsistency::new(format!(
                "feature '{}' reads categorical column {} of {categorical}",
                f.name, f.index
            )));
        }
    }
    let width = p.numeric.len()
        + p.categorical
            .iter()
            .map(|c| c.encoding.width())
            .sum::<usize>();
    if width == 0 || p.names.len() != width {
        return Err(Inconsistency::new(format!(
            "{} feature names for a pipeline of {width} features",
            p.names.len()
        )));
    }
    Ok(width)
}
