//! Live model quality over a labelled stream: the confusion counts of the consensus flag and
//! ROC-AUC per detector from fixed histograms of calibrated scores, so memory stays constant
//! however long the stream runs.

use serde::Serialize;

/// Calibrated scores live on [0, 1]; 2000 bins keep the AUC within ±0.0005 of the exact
/// figure for scores that fall in different bins (ties within a bin count half).
const BINS: usize = 2000;

#[derive(Debug, Clone)]
struct Histogram {
    attack: Vec<u64>,
    benign: Vec<u64>,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            attack: vec![0; BINS],
            benign: vec![0; BINS],
        }
    }

    fn add(&mut self, score: f64, attack: bool) {
        if !score.is_finite() {
            return;
        }
        let bin = ((score.clamp(0.0, 1.0) * BINS as f64) as usize).min(BINS - 1);
        let side = if attack {
            &mut self.attack
        } else {
            &mut self.benign
        };
        side[bin] += 1;
    }

    /// P(score of a random attack > score of a random benign flow), ties counting half.
    fn auc(&self) -> Option<f64> {
        let pos: u64 = self.attack.iter().sum();
        let neg: u64 = self.benign.iter().sum();
        if pos == 0 || neg == 0 {
            return None;
        }
        let mut below = 0u64;
        let mut wins = 0.0;
        for (a, b) in self.attack.iter().zip(&self.benign) {
            wins += *a as f64 * (below as f64 + 0.5 * *b as f64);
            below += b;
        }
        Some(wins / (pos as f64 * neg as f64))
    }
}

#[derive(Debug, Clone)]
pub struct LiveQuality {
    tp: u64,
    fp: u64,
    fn_: u64,
    tn: u64,
    consensus: Histogram,
    detectors: Vec<Histogram>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualitySnapshot {
    pub labelled: u64,
    pub attacks: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub consensus_auc: Option<f64>,
    /// ROC-AUC per detector, in `Snapshot::detectors` order.
    pub detector_auc: Vec<Option<f64>>,
}

impl LiveQuality {
    pub fn new(detectors: usize) -> LiveQuality {
        LiveQuality {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 0,
            consensus: Histogram::new(),
            detectors: vec![Histogram::new(); detectors],
        }
    }

    pub fn add(&mut self, attack: bool, flagged: bool, consensus: f64, detectors: &[f64]) {
        match (attack, flagged) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
        self.consensus.add(consensus, attack);
        for (h, s) in self.detectors.iter_mut().zip(detectors) {
            h.add(*s, attack);
        }
    }

    pub fn snapshot(&self) -> QualitySnapshot {
        let ratio = |a: u64, b: u64| (a + b > 0).then(|| a as f64 / (a + b) as f64);
        let precision = ratio(self.tp, self.fp);
        let recall = ratio(self.tp, self.fn_);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        QualitySnapshot {
            labelled: self.tp + self.fp + self.fn_ + self.tn,
            attacks: self.tp + self.fn_,
            precision,
            recall,
            f1,
            consensus_auc: self.consensus.auc(),
            detector_auc: self.detectors.iter().map(Histogram::auc).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::metrics::roc_auc;

    #[test]
    fn histogram_auc_matches_the_exact_figure() {
        let mut q = LiveQuality::new(1);
        let mut scores = Vec::new();
        let mut truth = Vec::new();
        for i in 0..3000u64 {
            let attack = i % 7 == 0;
            // Attacks skew high, with overlap.
            let s = ((i * 7919) % 1000) as f64 / 1000.0;
            let s = if attack { (s * 0.6 + 0.4).min(1.0) } else { s };
            scores.push(s);
            truth.push(attack);
            q.add(attack, s > 0.9, s, &[1.0 - s]);
        }
        let snap = q.snapshot();
        let exact = roc_auc(&scores, &truth);
        let live = snap.consensus_auc.expect("both classes");
        assert!((live - exact).abs() < 1e-3, "{live} vs {exact}");
        let flipped = snap.detector_auc[0].expect("both classes");
        assert!((flipped - (1.0 - exact)).abs() < 1e-3);
        assert_eq!(snap.labelled, 3000);
        assert_eq!(snap.attacks, truth.iter().filter(|t| **t).count() as u64);
    }

    #[test]
    fn confusion_counts_give_precision_recall_f1() {
        let mut q = LiveQuality::new(0);
        for (a, f) in [(true, true), (true, true), (true, false), (false, true)] {
            q.add(a, f, 0.5, &[]);
        }
        let s = q.snapshot();
        assert_eq!(s.precision, Some(2.0 / 3.0));
        assert_eq!(s.recall, Some(2.0 / 3.0));
        assert!((s.f1.expect("defined") - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.consensus_auc, Some(0.5), "all scores tie");
        assert_eq!(LiveQuality::new(2).snapshot().f1, None);
    }
}
