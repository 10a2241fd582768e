//! Evaluation metrics against ground truth, as scikit-learn defines them (linfa and smartcore
//! have ROC-AUC but no average precision, and want their own containers).

/// ROC-AUC by the Mann-Whitney statistic with average ranks for ties; NaN with one class.
pub fn roc_auc(scores: &[f64], truth: &[bool]) -> f64 {
    let pos = truth.iter().filter(|&&t| t).count();
    let neg = truth.len() - pos;
    if pos == 0 || neg == 0 || scores.len() != truth.len() {
        return f64::NAN;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..=j].iter().filter(|&&k| truth[k]).count() as f64 * avg;
        i = j + 1;
    }
    let p = pos as f64;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * neg as f64)
}

/// Average precision (scikit-learn's PR-AUC): Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds.
pub fn average_precision(scores: &[f64], truth: &[bool]) -> f64 {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 || scores.len() != truth.len() {
        return f64::NAN;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut ap, mut last_recall) = (0usize, 0usize, 0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            if truth[idx[j]] {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - last_recall) * precision;
        last_recall = recall;
        i = j;
    }
    ap
}

#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct FlagQuality {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

pub fn flag_quality(flags: &[bool], truth: &[bool]) -> FlagQuality {
    let tp = flags.iter().zip(truth).filter(|(f, t)| **f && **t).count() as f64;
    let fp = flags.iter().zip(truth).filter(|(f, t)| **f && !**t).count() as f64;
    let fn_ = flags.iter().zip(truth).filter(|(f, t)| !**f && **t).count() as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    FlagQuality {
        precision,
        recall,
        f1,
    }
}

/// The median (the mean of the middle two for an even count); NaN for no values.
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let h = v.len() / 2;
    if v.len() % 2 == 1 {
        v[h]
    } else {
        f64::midpoint(v[h - 1], v[h])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from scikit-learn 1.9 (`roc_auc_score`, `average_precision_score`).
    #[test]
    fn ranking_metrics_match_scikit_learn_with_ties() {
        let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4];
        let t = [false, false, true, true, true, true, false, false];
        assert!(
            (roc_auc(&s, &t) - SK_ROC).abs() < 1e-12,
            "{}",
            roc_auc(&s, &t)
        );
        assert!(
            (average_precision(&s, &t) - SK_AP).abs() < 1e-12,
            "{}",
            average_precision(&s, &t)
        );
    }

    #[test]
    fn one_class_gives_nan_not_a_number_that_looks_real() {
        assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_nan());
        assert!(average_precision(&[0.1, 0.2], &[false, false]).is_nan());
    }

    #[test]
    fn flag_quality_counts() {
        let q = flag_quality(&[true, true, false, false], &[true, false, true, false]);
        assert_eq!((q.precision, q.recall, q.f1), (0.5, 0.5, 0.5));
    }

    const SK_ROC: f64 = 0.8125;
    const SK_AP: f64 = 0.816_666_666_666_666_7;
}
