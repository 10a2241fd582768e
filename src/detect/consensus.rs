//! Consensus: every ready detector votes at its own calibrated threshold, a flow is flagged
//! when at least k vote, and the consensus score combines the calibrated scores with weights
//! learned on the training window without labels (see ARCHITECTURE.md, "Consensus").

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Calibration, DetectorKind};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ConsensusParams {
    /// Calibrated score at which a detector votes (the 1 − contamination quantile of its
    /// training scores).
    pub threshold: f64,
    /// Votes needed to flag a flow.
    pub min_votes: usize,
}

impl ConsensusParams {
    /// A vote threshold that can work: a calibrated score strictly between 0 and 1.
    pub fn check_threshold(t: f64) -> Result<(), String> {
        if t > 0.0 && t < 1.0 {
            Ok(())
        } else {
            Err(format!("must be between 0 and 1 (exclusive), got {t}"))
        }
    }

    /// Votes that `detectors` detectors can cast.
    pub fn check_min_votes(k: usize, detectors: usize) -> Result<(), String> {
        if k == 0 || k > detectors {
            Err(format!(
                "must be between 1 and {detectors} (the detectors run), got {k}"
            ))
        } else {
            Ok(())
        }
    }
}

impl Default for ConsensusParams {
    fn default() -> Self {
        ConsensusParams {
            threshold: 0.95,
            min_votes: 3,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consensus {
    pub params: ConsensusParams,
    pub kinds: Vec<DetectorKind>,
    /// Weight of each detector in the consensus score (0 = not a member).
    pub weights: Vec<f64>,
    /// Calibration of the combined score on the training window.
    calibration: Calibration,
}

/// The consensus on one flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Calibrated consensus score in [0, 1].
    pub score: f64,
    /// One per detector, in `Consensus::kinds` order; `None` for detectors that sit out.
    pub votes: Vec<Option<bool>>,
    pub flagged: bool,
}

/// Iterations of the agreement weighting (it converges in a handful).
const AGREEMENT_ROUNDS: usize = 10;
/// Agreement is raised to this power each round: it sharpens the weights towards the
/// detectors at the centre of the ensemble without ever reducing it to one.
const AGREEMENT_POWER: i32 = 4;

impl Consensus {
    /// `train` holds the calibrated training scores (rows × detectors, NaN columns for
    /// detectors that sit out).
    pub fn fit(
        kinds: &[DetectorKind],
        train: ArrayView2<f64>,
        params: ConsensusParams,
    ) -> Consensus {
        let weights = agreement_weights(train);
        let mut c = Consensus {
            params,
            kinds: kinds.to_vec(),
            weights,
            calibration: Calibration::fit(&[0.0]),
        };
        let combined: Vec<f64> = train.rows().into_iter().map(|r| c.combine(r)).collect();
        c.calibration = Calibration::fit(&combined);
        c
    }

    fn combine(&self, calibrated: ArrayView1<f64>) -> f64 {
        let (mut sum, mut wsum) = (0.0, 0.0);
        for (&p, &w) in calibrated.iter().zip(&self.weights) {
            if w > 0.0 && p.is_finite() {
                sum += w * p;
                wsum += w;
            }
        }
        if wsum > 0.0 { sum / wsum } else { f64::NAN }
    }

    pub fn verdict(&self, calibrated: ArrayView1<f64>) -> Verdict {
        let votes: Vec<Option<bool>> = calibrated
            .iter()
            .map(|p| p.is_finite().then_some(*p >= self.params.threshold))
            .collect();
        let n_votes = votes.iter().filter(|v| **v == Some(true)).count();
        Verdict {
            score: self.calibrated_score(calibrated),
            votes,
            flagged: n_votes >= self.params.min_votes.max(1),
        }
    }

    pub fn scores(&self, calibrated: ArrayView2<f64>) -> Array1<f64> {
        calibrated
            .rows()
            .into_iter()
            .map(|r| self.calibrated_score(r))
            .collect()
    }

    /// NaN when no member could score the row: an unknown is not a low score.
    fn calibrated_score(&self, calibrated: ArrayView1<f64>) -> f64 {
        let c = self.combine(calibrated);
        if c.is_nan() {
            f64::NAN
        } else {
            self.calibration.apply(c)
        }
    }

    pub fn members(&self) -> Vec<DetectorKind> {
        self.kinds
            .iter()
            .zip(&self.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// Label-free weights: start from equal weights, repeatedly weight each detector by its
/// correlation with the weighted ensemble (to the 4th power), then keep the better-agreeing
/// half. Detectors that
/// disagree with the rest (near-random on this data) drop out; the combination stays a
/// combination of at least two.
pub fn agreement_weights(train: ArrayView2<f64>) -> Vec<f64> {
    let m = train.ncols();
    let live: Vec<usize> = (0..m)
        .filter(|&j| train.column(j).iter().all(|v| v.is_finite()))
        .collect();
    let mut w = vec![0.0; m];
    if live.is_empty() {
        return w;
    }
    for &j in &live {
        w[j] = 1.0;
    }
    if live.len() <= 2 {
        let n = live.len() as f64;
        return w.iter().map(|v| v / n).collect();
    }
    let n = train.nrows();
    for _ in 0..AGREEMENT_ROUNDS {
        let wsum: f64 = live.iter().map(|&j| w[j]).sum();
        if wsum <= 0.0 {
            break;
        }
        let ensemble: Vec<f64> = (0..n)
            .map(|i| live.iter().map(|&j| w[j] * train[[i, j]]).sum::<f64>() / wsum)
            .collect();
        for &j in &live {
            let c = pearson(train.column(j), &ensemble);
            w[j] = if c.is_finite() {
                c.max(0.0).powi(AGREEMENT_POWER)
            } else {
                0.0
            };
        }
    }
    let mut order = live.clone();
    order.sort_by(|&a, &b| w[b].total_cmp(&w[a]));
    let keep = live.len().div_ceil(2).max(2);
    for &j in order.iter().skip(keep) {
        w[j] = 0.0;
    }
    if w.iter().all(|&v| v <= 0.0) {
        for &j in &live {
            w[j] = 1.0;
        }
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|v| v / total).collect()
}

fn pearson(a: ArrayView1<f64>, b: &[f64]) -> f64 {
    let n = b.len() as f64;
    let ma = a.sum() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

impl Consensus {
    pub(crate) fn check_calibration(&self) -> Result<(), String> {
        self.calibration.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Three detectors that rank the rows alike and one that is noise: the noisy one gets no
    /// weight, the others share it, and the consensus keeps their ranking.
    #[test]
    fn agreement_weights_drop_the_detector_that_disagrees() {
        let n = 200;
        let x = Array2::from_shape_fn((n, 4), |(i, j)| {
            let base = i as f64 / n as f64;
            match j {
                0 => base,
                1 => (base * 0.9 + 0.05 * ((i * 7) % 3) as f64 / 3.0).min(1.0),
                2 => base.powi(2),
                _ => ((i * 7919) % n) as f64 / n as f64,
            }
        });
        let w = agreement_weights(x.view());
        assert_eq!(w[3], 0.0, "{w:?}");
        assert!(w[..3].iter().filter(|v| **v > 0.0).count() >= 2, "{w:?}");
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let kinds = [
            DetectorKind::Iforest,
            DetectorKind::Ecod,
            DetectorKind::Hbos,
            DetectorKind::Lof,
        ];
        let c = Consensus::fit(&kinds, x.view(), ConsensusParams::default());
        let s = c.scores(x.view());
        assert!(s[n - 1] > s[n / 2] && s[n / 2] > s[0]);
    }

    #[test]
    fn votes_count_against_each_detectors_threshold_and_missing_detectors_abstain() {
        let x = Array2::from_shape_fn((50, 3), |(i, _)| i as f64 / 50.0);
        let kinds = [
            DetectorKind::Iforest,
            DetectorKind::Ecod,
            DetectorKind::Hbos,
        ];
        let params = ConsensusParams {
            threshold: 0.9,
            min_votes: 2,
        };
        let c = Consensus::fit(&kinds, x.view(), params);
        let v = c.verdict(ndarray::arr1(&[0.95, 0.91, f64::NAN]).view());
        assert_eq!(v.votes, vec![Some(true), Some(true), None]);
        assert!(v.flagged);
        let v = c.verdict(ndarray::arr1(&[0.95, 0.5, 0.2]).view());
        assert!(!v.flagged);
    }
}
