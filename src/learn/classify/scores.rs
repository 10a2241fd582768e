//! Classification metrics as scikit-learn defines them: accuracy, macro F1 over the classes
//! present in truth or prediction, ROC-AUC and average precision (binary on the attack
//! probability, multi-class as the macro one-vs-rest mean), and the confusion matrix.

use ndarray::Array2;

use crate::learn::metrics::{average_precision, flag_quality, roc_auc};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub accuracy: f64,
    /// Binary: of the attack class; multi-class: macro mean.
    pub precision: f64,
    pub recall: f64,
    pub macro_f1: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
}

/// The most probable class of one row and its probability (the first on ties).
pub fn most_probable(row: ndarray::ArrayView1<f64>) -> (usize, f64) {
    row.iter().enumerate().fold(
        (0, f64::NEG_INFINITY),
        |b, (i, &v)| if v > b.1 { (i, v) } else { b },
    )
}

/// Predicted class per row: the most probable one.
pub fn argmax(proba: &Array2<f64>) -> Vec<u32> {
    proba
        .rows()
        .into_iter()
        .map(|r| most_probable(r).0 as u32)
        .collect()
}

/// `confusion[truth][predicted]`.
pub fn confusion(truth: &[u32], predicted: &[u32], classes: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        m[t as usize][p as usize] += 1;
    }
    m
}

pub fn scores(proba: &Array2<f64>, truth: &[u32], classes: usize) -> Scores {
    let predicted = argmax(proba);
    let n = truth.len().max(1) as f64;
    let accuracy = truth.iter().zip(&predicted).filter(|(t, p)| t == p).count() as f64 / n;
    let mut per_class = Vec::new();
    let mut aucs = Vec::new();
    let mut aps = Vec::new();
    for c in 0..classes as u32 {
        let t: Vec<bool> = truth.iter().map(|&v| v == c).collect();
        let f: Vec<bool> = predicted.iter().map(|&v| v == c).collect();
        if !t.contains(&true) && !f.contains(&true) {
            continue;
        }
        per_class.push(flag_quality(&f, &t));
        let s: Vec<f64> = proba.column(c as usize).to_vec();
        let (auc, ap) = (roc_auc(&s, &t), average_precision(&s, &t));
        if auc.is_finite() {
            aucs.push(auc);
        }
        if ap.is_finite() && t.contains(&false) {
            aps.push(ap);
        }
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let macro_f1 = mean(&per_class.iter().map(|q| q.f1).collect::<Vec<_>>());
    if classes == 2 {
        let attack: Vec<bool> = truth.iter().map(|&v| v == 1).collect();
        let flags: Vec<bool> = predicted.iter().map(|&v| v == 1).collect();
        let q = flag_quality(&flags, &attack);
        let p1 = proba.column(1).to_vec();
        return Scores {
            accuracy,
            precision: q.precision,
            recall: q.recall,
            macro_f1,
            roc_auc: roc_auc(&p1, &attack),
            pr_auc: average_precision(&p1, &attack),
        };
    }
    Scores {
        accuracy,
        precision: mean(&per_class.iter().map(|q| q.precision).collect::<Vec<_>>()),
        recall: mean(&per_class.iter().map(|q| q.recall).collect::<Vec<_>>()),
        macro_f1,
        roc_auc: mean(&aucs),
        pr_auc: mean(&aps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from scikit-learn 1.9: `accuracy_score`, `f1_score(average="macro")`,
    /// `roc_auc_score` and `average_precision_score` on the same probabilities.
    #[test]
    fn binary_scores_match_scikit_learn() {
        let p1 = [0.9, 0.2, 0.6, 0.4, 0.8, 0.1, 0.55, 0.3];
        let truth = [1, 0, 1, 1, 1, 0, 0, 0];
        let proba =
            Array2::from_shape_fn((8, 2), |(i, j)| if j == 1 { p1[i] } else { 1.0 - p1[i] });
        let s = scores(&proba, &truth, 2);
        assert!((s.accuracy - 0.75).abs() < 1e-12);
        assert!((s.macro_f1 - 0.75).abs() < 1e-12, "{}", s.macro_f1);
        assert!((s.roc_auc - 0.9375).abs() < 1e-12, "{}", s.roc_auc);
        assert!((s.pr_auc - 0.95).abs() < 1e-12, "{}", s.pr_auc);
        assert_eq!(
            confusion(&truth, &argmax(&proba), 2),
            vec![vec![3, 1], vec![1, 3]]
        );
    }

    #[test]
    fn multiclass_macro_f1_counts_every_class_once() {
        // Class 2 is never predicted: its F1 is 0 and pulls the macro mean down.
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0usize, 0, 1, 1, 1, 1];
        let proba = Array2::from_shape_fn((6, 3), |(i, j)| if j == pred[i] { 0.8 } else { 0.1 });
        let s = scores(&proba, &truth, 3);
        // scikit-learn: f1_score(truth, pred, average="macro") = (1 + 2/3 + 0) / 3.
        assert!(
            (s.macro_f1 - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12,
            "{}",
            s.macro_f1
        );
        assert!((s.accuracy - 4.0 / 6.0).abs() < 1e-12);
    }
}
