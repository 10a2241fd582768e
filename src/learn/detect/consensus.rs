//! Consensus: every ready detector votes at its own calibrated threshold, a flow is flagged
//! when at least k vote, and the consensus score combines the calibrated scores with weights
//! learned on the training window without labels (see ARCHITECTURE.md, "Consensus").

use crate::learn::ParamError;
use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Calibration, DetectorKind};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ConsensusParams {
    /// Calibrated score at which a detector votes (the 1 − contamination quantile of its
    /// training scores).
    pub threshold: f64,
    /// Votes that flag a flow in model files written before the alert budget; now the votes
    /// are evidence and the budget sets the flag (see `alert_rate`).
    pub min_votes: usize,
    /// The alert budget: the share of flows the flag may raise. The flag threshold on the
    /// consensus score is set on the training window so that this share of it is flagged.
    pub alert_rate: f64,
    /// The budget as alerts per hour instead, turned into a share by the training window's
    /// flows per hour (when its flows carry times; else `alert_rate` holds).
    pub alerts_per_hour: Option<f64>,
}

impl ConsensusParams {
    /// An alert rate that can work: a share strictly between 0 and 1.
    pub fn check_alert_rate(r: f64) -> Result<(), ParamError> {
        if r > 0.0 && r < 1.0 {
            Ok(())
        } else {
            Err(ParamError::new(format!(
                "must be a share between 0 and 1 (0.5% or 0.005), got {r}"
            )))
        }
    }

    /// `0.5%` or `0.005`.
    pub fn parse_alert_rate(s: &str) -> Result<f64, ParamError> {
        let t = s.trim();
        let r = match t.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
            None => t.parse::<f64>(),
        }
        .map_err(|_| format!("'{s}' is not a share (0.5% or 0.005)"))?;
        Self::check_alert_rate(r)?;
        Ok(r)
    }

    pub fn check_alerts_per_hour(n: f64) -> Result<(), ParamError> {
        if n > 0.0 && n.is_finite() {
            Ok(())
        } else {
            Err(ParamError::new(format!(
                "must be a positive number, got {n}"
            )))
        }
    }

    /// A vote threshold that can work: a calibrated score strictly between 0 and 1.
    pub fn check_threshold(t: f64) -> Result<(), ParamError> {
        if t > 0.0 && t < 1.0 {
            Ok(())
        } else {
            Err(ParamError::new(format!(
                "must be between 0 and 1 (exclusive), got {t}"
            )))
        }
    }

    /// Votes that `detectors` detectors can cast.
    pub fn check_min_votes(k: usize, detectors: usize) -> Result<(), ParamError> {
        if k == 0 || k > detectors {
            Err(ParamError::new(format!(
                "must be between 1 and {detectors} (the detectors run), got {k}"
            )))
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
            alert_rate: DEFAULT_ALERT_RATE,
            alerts_per_hour: None,
        }
    }
}

/// At most 1 % of flows flagged unless the operator says otherwise.
pub const DEFAULT_ALERT_RATE: f64 = 0.01;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consensus {
    pub params: ConsensusParams,
    pub kinds: Vec<DetectorKind>,
    /// Weight of each detector in the consensus score (0 = not a member).
    pub weights: Vec<f64>,
    /// Why a detector sits out of the score although it fitted (its top tail disagrees with
    /// the ensemble's); `None` for members and for detectors that did not fit.
    #[serde(default)]
    pub sits_out: Vec<Option<String>>,
    /// The budget in force (a share of flows) and the calibrated consensus score that flags;
    /// absent in model files written before the budget (they flag by votes).
    #[serde(default)]
    pub budget: Option<Budget>,
    /// The combined score leaves out each row's highest and lowest member (model files
    /// written before it do not, and keep scoring as they were fitted).
    #[serde(default)]
    pub trimmed: bool,
    /// Calibration of the combined score on the training window.
    calibration: Calibration,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Share of flows the flag may raise.
    pub rate: f64,
    /// Calibrated consensus score from which a flow is flagged.
    pub threshold: f64,
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
    /// detectors that sit out); `flows_per_hour` is the training window's rate, when its
    /// flows carry times.
    pub fn fit(
        kinds: &[DetectorKind],
        train: ArrayView2<f64>,
        params: ConsensusParams,
        flows_per_hour: Option<f64>,
    ) -> Consensus {
        let sits_out = tail_screen(train);
        let weights = agreement_weights(train, &sits_out);
        let mut c = Consensus {
            params,
            kinds: kinds.to_vec(),
            weights,
            sits_out,
            budget: None,
            trimmed: true,
            calibration: Calibration::fit(&[0.0]),
        };
        let combined: Vec<f64> = train.rows().into_iter().map(|r| c.combine(r)).collect();
        c.calibration = Calibration::fit(&combined);
        let rate = params
            .alerts_per_hour
            .zip(flows_per_hour.filter(|f| *f > 0.0))
            .map_or(params.alert_rate, |(a, f)| a / f)
            .clamp(0.0, 1.0);
        let scores: Vec<f64> = combined
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| c.calibration.apply(v))
            .collect();
        c.budget = Some(Budget {
            rate,
            threshold: budget_threshold(&scores, rate),
        });
        c
    }

    /// The flag threshold in force.
    pub fn flag_threshold(&self) -> Option<f64> {
        self.budget.map(|b| b.threshold)
    }

    fn combine(&self, calibrated: ArrayView1<f64>) -> f64 {
        let mut m: Vec<(f64, f64)> = calibrated
            .iter()
            .zip(&self.weights)
            .filter(|(p, w)| **w > 0.0 && p.is_finite())
            .map(|(p, w)| (*p, *w))
            .collect();
        // Each row's highest and lowest member are left out: one member alone can neither
        // raise a row (a detector's false alarm) nor sink it (a detector blind to it).
        if self.trimmed && m.len() >= 4 {
            m.sort_by(|a, b| a.0.total_cmp(&b.0));
            m.remove(m.len() - 1);
            m.remove(0);
        }
        let (sum, wsum) = m
            .iter()
            .fold((0.0, 0.0), |(s, t), (p, w)| (s + w * p, t + w));
        if wsum > 0.0 { sum / wsum } else { f64::NAN }
    }

    pub fn verdict(&self, calibrated: ArrayView1<f64>) -> Verdict {
        let votes: Vec<Option<bool>> = calibrated
            .iter()
            .map(|p| p.is_finite().then_some(*p >= self.params.threshold))
            .collect();
        let n_votes = votes.iter().filter(|v| **v == Some(true)).count();
        let score = self.calibrated_score(calibrated);
        let flagged = match self.budget {
            Some(b) => score >= b.threshold,
            None => n_votes >= self.params.min_votes.max(1),
        };
        Verdict {
            score,
            votes,
            flagged,
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
pub fn agreement_weights(train: ArrayView2<f64>, sits_out: &[Option<String>]) -> Vec<f64> {
    let m = train.ncols();
    let live: Vec<usize> = fitted(train)
        .filter(|&j| sits_out.get(j).is_none_or(|s| s.is_none()))
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

/// The smallest calibrated score that flags at most `rate` of the training scores. Ties at
/// the top that would exceed the budget are left unflagged: the budget is a promise.
pub fn budget_threshold(scores: &[f64], rate: f64) -> f64 {
    let mut s: Vec<f64> = scores.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    let Some(&top) = s.first() else {
        return 1.0;
    };
    let allowed = (rate * s.len() as f64).floor() as usize;
    // Walk the distinct values down from the top; keep the lowest that flags few enough.
    let mut best = top.next_up();
    let mut i = 0;
    while i < s.len() {
        let v = s[i];
        let mut end = i;
        while end < s.len() && s[end] == v {
            end += 1;
        }
        if end > allowed {
            break;
        }
        best = v;
        i = end;
    }
    best
}

/// The per-row median of the `live` members' calibrated scores: a centre no member can drag.
fn robust_centre(train: ArrayView2<f64>, live: &[usize]) -> Vec<f64> {
    (0..train.nrows())
        .map(|i| crate::learn::metrics::median(live.iter().map(|&j| train[[i, j]]).collect()))
        .collect()
}

/// Indices of the rows the robust centre ranks highest: `share` of them, at least `min`.
fn top_rows(train: ArrayView2<f64>, live: &[usize], share: f64, min: usize) -> Vec<usize> {
    let n = train.nrows();
    let centre = robust_centre(train, live);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| centre[b].total_cmp(&centre[a]));
    let top = ((share * n as f64).ceil() as usize).max(min).min(n);
    order.truncate(top);
    order
}

/// Rows of the training window the tail screen looks at: the top 2 % by the ensemble's robust
/// centre, at least 20.
const TAIL_SHARE: f64 = 0.02;
const TAIL_MIN_ROWS: usize = 20;
/// A member whose mean calibrated score on those rows is below this calls the ensemble's
/// strongest outliers ordinary (a random ranking gives 0.5).
const TAIL_AGREEMENT: f64 = 0.5;
/// Or this far below the median member's mean there: it sees a different tail.
const TAIL_GAP: f64 = 0.15;

/// Screens members without labels: the rows the ensemble's robust centre (the per-row median
/// of the members' calibrated scores, which no single member can drag) ranks highest should be
/// high for every member. One that calls them ordinary is blind to what the others see (K-Means
/// before CBLOF put a flood in a cluster of its own and called it normal) and sits out of the
/// score; it still votes as evidence. Needs three members; at most half sit out.
pub fn tail_screen(train: ArrayView2<f64>) -> Vec<Option<String>> {
    let m = train.ncols();
    let mut out = vec![None; m];
    let live: Vec<usize> = fitted(train).collect();
    let n = train.nrows();
    if live.len() < 3 || n == 0 {
        return out;
    }
    let tail = top_rows(train, &live, TAIL_SHARE, TAIL_MIN_ROWS);
    let top = tail.len();
    let mut agreement: Vec<(usize, f64)> = live
        .iter()
        .map(|&j| {
            let mean = tail.iter().map(|&i| train[[i, j]]).sum::<f64>() / top as f64;
            (j, mean)
        })
        .collect();
    agreement.sort_by(|a, b| a.1.total_cmp(&b.1));
    let median = agreement[agreement.len() / 2].1;
    let max_out = live.len() / 2;
    for &(j, mean) in agreement.iter().take(max_out) {
        if mean < TAIL_AGREEMENT || mean < median - TAIL_GAP {
            out[j] = Some(format!(
                "sits out of the score: on the {top} training flows the detectors together rank \
                 highest its mean calibrated score is {mean:.2} against {median:.2} for the \
                 median detector"
            ));
        }
    }
    out
}

/// Detectors that scored every training row (the others did not fit and abstain).
fn fitted(train: ArrayView2<'_, f64>) -> impl Iterator<Item = usize> + '_ {
    (0..train.ncols()).filter(move |&j| train.column(j).iter().all(|v| v.is_finite()))
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
    pub(crate) fn check_calibration(&self) -> Result<(), Inconsistency> {
        self.calibration.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn the_budget_threshold_flags_at_most_the_share_asked() {
        let s: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let t = budget_threshold(&s, 0.01);
        assert_eq!(s.iter().filter(|&&v| v >= t).count(), 10);
        // Ties at the top beyond the budget are not flagged; below it they are.
        let mut tied = s.clone();
        for v in tied.iter_mut().rev().take(30) {
            *v = 0.999;
        }
        let t = budget_threshold(&tied, 0.01);
        assert_eq!(tied.iter().filter(|&&v| v >= t).count(), 0);
        let t = budget_threshold(&tied, 0.05);
        assert_eq!(tied.iter().filter(|&&v| v >= t).count(), 50);
        assert!(budget_threshold(&s, 0.0005) > 0.999);
    }

    /// One member's false alarm cannot outrank a row most members call anomalous, and one
    /// blind member cannot sink it.
    #[test]
    fn each_rows_highest_and_lowest_member_are_left_out() {
        let x = Array2::from_shape_fn((500, 5), |(i, j)| ((i * (j + 3)) % 500) as f64 / 500.0);
        let kinds = [
            DetectorKind::Iforest,
            DetectorKind::Ecod,
            DetectorKind::Hbos,
            DetectorKind::Lof,
            DetectorKind::Zscore,
        ];
        let mut c = Consensus::fit(&kinds, x.view(), ConsensusParams::default(), None);
        c.weights = vec![0.2; 5];
        let alarm = ndarray::arr1(&[1.0, 0.3, 0.3, 0.3, 0.3]);
        let seen = ndarray::arr1(&[0.9, 0.9, 0.9, 0.9, 0.0]);
        assert!(c.combine(seen.view()) > c.combine(alarm.view()));
        assert!((c.combine(alarm.view()) - 0.3).abs() < 1e-12);
        assert!((c.combine(seen.view()) - 0.9).abs() < 1e-12);
        // Model files from before the trim combine every member.
        c.trimmed = false;
        assert!((c.combine(alarm.view()) - 0.44).abs() < 1e-12);
    }

    /// Alerts per hour become a share through the training window's flow rate; without
    /// times the share asked for holds.
    #[test]
    fn alerts_per_hour_become_a_share_of_the_window() {
        let x = Array2::from_shape_fn((2000, 3), |(i, j)| ((i * (j + 1)) % 2000) as f64 / 2000.0);
        let kinds = [
            DetectorKind::Iforest,
            DetectorKind::Ecod,
            DetectorKind::Hbos,
        ];
        let params = ConsensusParams {
            alerts_per_hour: Some(36.0),
            alert_rate: 0.05,
            ..ConsensusParams::default()
        };
        let c = Consensus::fit(&kinds, x.view(), params, Some(3600.0));
        assert_eq!(c.budget.map(|b| b.rate), Some(0.01));
        let c = Consensus::fit(&kinds, x.view(), params, None);
        assert_eq!(c.budget.map(|b| b.rate), Some(0.05));
    }

    #[test]
    fn alert_rates_parse_as_shares_or_percentages() {
        assert_eq!(ConsensusParams::parse_alert_rate("0.5%"), Ok(0.005));
        assert_eq!(ConsensusParams::parse_alert_rate("0.02"), Ok(0.02));
        assert!(ConsensusParams::parse_alert_rate("150%").is_err());
        assert!(ConsensusParams::parse_alert_rate("lots").is_err());
    }

    /// A member that calls the ensemble's strongest outliers ordinary sits out of the score
    /// and says why; the others keep their weight.
    #[test]
    fn a_member_inverted_on_the_top_tail_sits_out() {
        let n = 1000;
        // Three members rank the last 20 rows highest; the fourth ranks them lowest.
        let x = Array2::from_shape_fn((n, 4), |(i, j)| {
            let base = i as f64 / n as f64;
            match j {
                3 if i >= n - 20 => 0.01,
                3 => base,
                _ => (base + 0.001 * j as f64).min(1.0),
            }
        });
        let out = tail_screen(x.view());
        assert!(
            out[3].as_deref().is_some_and(|r| r.contains("sits out")),
            "{out:?}"
        );
        assert!(out[..3].iter().all(Option::is_none), "{out:?}");
        let w = agreement_weights(x.view(), &out);
        assert_eq!(w[3], 0.0);
    }

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
        let w = agreement_weights(x.view(), &[]);
        assert_eq!(w[3], 0.0, "{w:?}");
        assert!(w[..3].iter().filter(|v| **v > 0.0).count() >= 2, "{w:?}");
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let kinds = [
            DetectorKind::Iforest,
            DetectorKind::Ecod,
            DetectorKind::Hbos,
            DetectorKind::Lof,
        ];
        let c = Consensus::fit(&kinds, x.view(), ConsensusParams::default(), None);
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
            ..ConsensusParams::default()
        };
        let mut c = Consensus::fit(&kinds, x.view(), params, None);
        let v = c.verdict(ndarray::arr1(&[0.95, 0.91, f64::NAN]).view());
        assert_eq!(v.votes, vec![Some(true), Some(true), None]);
        // A model file from before the budget flags by votes.
        c.budget = None;
        let v = c.verdict(ndarray::arr1(&[0.95, 0.91, f64::NAN]).view());
        assert!(v.flagged);
        let v = c.verdict(ndarray::arr1(&[0.95, 0.5, 0.2]).view());
        assert!(!v.flagged);
    }
}
