//! Threat score 0–100 for one flow: the detectors' consensus (when a model is ready), a
//! classifier's attack probability (when one is trained), and explainable heuristics on the
//! canonical core fields. Points add up and are capped at 100; every contribution is a reason
//! the operator sees, and every reason brings its recommendation.

mod heuristics;
mod query;

use crate::learn::ParamError;
use serde::{Deserialize, Serialize};

use crate::flows::schema::CoreFields;

pub use query::{QueryError, ThreatQuery, evaluate, to_record};

/// Where MEDIUM and HIGH start (LOW < medium ≤ MEDIUM < high ≤ HIGH).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Bands {
    pub medium: f64,
    pub high: f64,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            medium: 40.0,
            high: 70.0,
        }
    }
}

impl Bands {
    pub fn validate(&self) -> Result<(), ParamError> {
        let ok = |v: f64| (0.0..=100.0).contains(&v);
        if ok(self.medium) && ok(self.high) && self.medium < self.high {
            Ok(())
        } else {
            Err(ParamError::new(format!(
                "threat bands need 0 ≤ medium < high ≤ 100, got medium {} and high {}",
                self.medium, self.high
            )))
        }
    }

    pub fn level(&self, score: f64) -> Level {
        if score >= self.high {
            Level::High
        } else if score >= self.medium {
            Level::Medium
        } else {
            Level::Low
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
        }
    }
}

/// What the models said about the flow.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelEvidence {
    /// Calibrated consensus score in [0, 1].
    pub consensus: f64,
    pub flagged: bool,
    /// Names of the detectors that vote "anomalous".
    pub voting: Vec<String>,
    /// Detectors that could vote.
    pub voters: usize,
}

impl ModelEvidence {
    /// What a model set's verdict on one flow says; `kinds` names the vote columns.
    pub fn from_verdict(
        kinds: &[crate::learn::detect::DetectorKind],
        v: &crate::learn::detect::Verdict,
    ) -> Self {
        ModelEvidence {
            consensus: v.score,
            flagged: v.flagged,
            voting: kinds
                .iter()
                .zip(&v.votes)
                .filter(|(_, v)| **v == Some(true))
                .map(|(k, _)| k.name().to_string())
                .collect(),
            voters: v.votes.iter().filter(|v| v.is_some()).count(),
        }
    }
}

/// Everything the score is computed from.
#[derive(Debug, Clone, Default)]
pub struct ThreatInput {
    pub core: CoreFields,
    pub dport: Option<u16>,
    pub proto: Option<String>,
    pub state: Option<String>,
    pub src: Option<String>,
    pub dst: Option<String>,
    pub model: Option<ModelEvidence>,
    /// A classifier's probability that the flow is an attack.
    pub attack_probability: Option<f64>,
}

impl ThreatInput {
    /// A flow as the threat score sees it, with what the models say about it.
    pub fn of_flow(
        flow: &crate::flows::schema::FlowRecord,
        model: Option<ModelEvidence>,
        attack_probability: Option<f64>,
    ) -> ThreatInput {
        ThreatInput {
            core: flow.core,
            dport: flow.meta.dport,
            proto: flow.meta.proto.as_deref().map(str::to_string),
            state: flow.meta.state.as_deref().map(str::to_string),
            src: flow.meta.src.as_deref().map(str::to_string),
            dst: flow.meta.dst.as_deref().map(str::to_string),
            model,
            attack_probability,
        }
    }
}

/// A bucket of `series` observed outside the forecast interval `(lo, hi)`: 40 points for
/// leaving it, up to 40 more by how many interval half-widths it is out.
pub fn assess_volume(
    series: &str,
    observed: f64,
    expected: f64,
    (lo, hi): (f64, f64),
    bands: &Bands,
) -> Assessment {
    let half = ((hi - lo) / 2.0).max(f64::MIN_POSITIVE);
    let above = observed > hi;
    let out = if above { observed - hi } else { lo - observed };
    let points = (40.0 + 40.0 * (out / half).min(1.0)).clamp(0.0, 80.0);
    let direction = if above { "above" } else { "below" };
    let reasons = vec![Signal::new(
        "volume",
        points,
        format!(
            "{series} {observed:.0} per bucket, {direction} the 95 % forecast interval [{lo:.0}, {hi:.0}] (expected {expected:.0})"
        ),
    )];
    let recommendations = vec![if above {
        format!(
            "find the sources behind the {series} surge in this bucket (top talkers, new hosts)"
        )
    } else {
        format!("check the sensor and upstream links: {series} fell below the forecast")
    }];
    let score = points;
    Assessment {
        score,
        level: bands.level(score),
        reasons,
        recommendations,
        imputed: Vec::new(),
        voting: Vec::new(),
        top_features: Vec::new(),
        basis: "the forecast of the bucketed series".into(),
    }
}

/// How the threat score separates labelled attacks from benign flows.
#[derive(Debug, Clone, Serialize)]
pub struct LabelledCheck {
    pub mean_attack: f64,
    pub mean_benign: f64,
    /// Flows in the HIGH band, and the share of them that are attacks.
    pub high_rows: usize,
    pub high_precision: Option<f64>,
}

/// Scores and ground truth (attack or not) per flow; `None` without both kinds of labels.
pub fn labelled_check(scores: &[(f64, bool, Level)]) -> Option<LabelledCheck> {
    let mean = |attack: bool| {
        let v: Vec<f64> = scores
            .iter()
            .filter(|s| s.1 == attack)
            .map(|s| s.0)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let high: Vec<bool> = scores
        .iter()
        .filter(|s| s.2 == Level::High)
        .map(|s| s.1)
        .collect();
    Some(LabelledCheck {
        mean_attack: mean(true)?,
        mean_benign: mean(false)?,
        high_rows: high.len(),
        high_precision: (!high.is_empty())
            .then(|| high.iter().filter(|&&a| a).count() as f64 / high.len() as f64),
    })
}

/// One contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub signal: &'static str,
    pub points: f64,
    pub detail: String,
}

impl Signal {
    fn new(signal: &'static str, points: f64, detail: String) -> Signal {
        Signal {
            signal,
            points,
            detail,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub score: f64,
    pub level: Level,
    /// Largest contribution first.
    pub reasons: Vec<Signal>,
    pub recommendations: Vec<String>,
    /// Query fields that were not given and were filled in (training medians, or skipped).
    pub imputed: Vec<String>,
    /// Detectors voting "anomalous", when a model took part.
    pub voting: Vec<String>,
    /// Most deviating features (robust z against the training window), when a model took part.
    pub top_features: Vec<(String, f64)>,
    /// How the score was reached, in one phrase ("consensus of 7 detectors and heuristics").
    pub basis: String,
}

/// Points from the consensus: none below the median of the training window, 55 at the very
/// top, rising with the square so only clearly unusual flows count; 15 more when the flow is
/// flagged (enough detectors vote).
fn model_signals(m: &ModelEvidence) -> Vec<Signal> {
    let mut out = Vec::new();
    let p = m.consensus;
    if p.is_finite() {
        let points = 55.0 * ((p - 0.5) / 0.5).clamp(0.0, 1.0).powi(2);
        if points > 0.0 {
            out.push(Signal::new(
                "consensus",
                points,
                format!("consensus score {p:.3} (1 = most unusual)"),
            ));
        }
    }
    if m.flagged {
        out.push(Signal::new(
            "votes",
            15.0,
            format!(
                "{} of {} detectors vote anomalous ({})",
                m.voting.len(),
                m.voters,
                m.voting.join(", ")
            ),
        ));
    }
    out
}

impl Assessment {
    /// "name +z, name +z" for the most deviating features, as the CLI and the UI print them.
    pub fn top_features_text(&self) -> String {
        self.top_features
            .iter()
            .map(|(n, z)| format!("{n} {z:+.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn assess(q: &ThreatInput, bands: &Bands) -> Assessment {
    let mut reasons = Vec::new();
    if let Some(m) = &q.model {
        reasons.extend(model_signals(m));
    }
    if let Some(p) = q.attack_probability.filter(|p| p.is_finite()) {
        let points = 40.0 * p.clamp(0.0, 1.0);
        if points > 0.0 {
            reasons.push(Signal::new(
                "classifier",
                points,
                format!("classifier: attack with probability {p:.2}"),
            ));
        }
    }
    reasons.extend(heuristics::all(q));
    reasons.sort_by(|a, b| b.points.total_cmp(&a.points));
    // fold from +0.0: `sum` starts at -0.0, which would print as "-0".
    let score = reasons
        .iter()
        .fold(0.0, |acc, r| acc + r.points)
        .clamp(0.0, 100.0);
    let level = bands.level(score);
    let src = q.src.as_deref().unwrap_or("the source");
    let dst = q.dst.as_deref().unwrap_or("the destination");
    let mut recommendations: Vec<String> = Vec::new();
    for r in &reasons {
        if let Some(text) = heuristics::recommend(r.signal, src, dst, q.dport)
            && !recommendations.contains(&text)
        {
            recommendations.push(text);
        }
    }
    match level {
        Level::High => recommendations.push(format!(
            "capture full packets for {src} ↔ {dst} and open an incident"
        )),
        Level::Medium => recommendations.push(format!("watch {src} for repeats of this pattern")),
        Level::Low if reasons.is_empty() => {
            recommendations.push("no action: nothing about this flow stands out".into());
        }
        Level::Low => {}
    }
    let basis = match (&q.model, q.attack_probability.is_some()) {
        (Some(m), true) => format!(
            "consensus of {} detectors, the classifier and heuristics",
            m.voters
        ),
        (Some(m), false) => format!("consensus of {} detectors and heuristics", m.voters),
        (None, true) => "the classifier and heuristics".into(),
        (None, false) => "heuristics alone (no model)".into(),
    };
    Assessment {
        score,
        level,
        reasons,
        recommendations,
        imputed: Vec::new(),
        voting: q
            .model
            .as_ref()
            .map(|m| m.voting.clone())
            .unwrap_or_default(),
        top_features: Vec::new(),
        basis,
    }
}

#[cfg(test)]
mod tests;
