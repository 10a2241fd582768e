//! A threat query: the canonical core fields of one flow as an operator types them (the `t`
//! form, `flowtop threat`). With a model set the fields are written into a flow of the model's
//! schema, every other feature sits at its training median, and the flow is scored; without
//! one, the heuristics alone answer.

use serde::Serialize;

use super::{Assessment, Bands, ModelEvidence, ThreatInput, assess};
use crate::flows::schema::{Categories, CoreField, CoreFields, FlowMeta, FlowRecord, Text};
use crate::learn::model::ModelSet;

/// Also what `POST /v1/threat` takes as JSON: the CLI's flag names with underscores; an
/// unknown key is an error naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThreatQuery {
    pub duration: Option<f64>,
    pub fwd_packets: Option<f64>,
    pub bwd_packets: Option<f64>,
    pub fwd_bytes: Option<f64>,
    pub bwd_bytes: Option<f64>,
    pub mean_packet_size: Option<f64>,
    pub dport: Option<u16>,
    pub proto: Option<String>,
    pub state: Option<String>,
    pub src: Option<String>,
    pub dst: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("{field} must be a finite number ≥ 0, got {value}")]
    Negative { field: &'static str, value: f64 },
}

impl ThreatQuery {
    /// The numeric fields by their canonical names, in form order.
    pub fn fields(&self) -> [(CoreField, Option<f64>); 6] {
        [
            (CoreField::Duration, self.duration),
            (CoreField::FwdPackets, self.fwd_packets),
            (CoreField::BwdPackets, self.bwd_packets),
            (CoreField::FwdBytes, self.fwd_bytes),
            (CoreField::BwdBytes, self.bwd_bytes),
            (CoreField::MeanPacketSize, self.mean_packet_size),
        ]
    }

    pub fn validate(&self) -> Result<(), QueryError> {
        for (field, v) in self.fields() {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(QueryError::Negative {
                    field: field.name(),
                    value: v,
                });
            }
        }
        Ok(())
    }

    /// Core fields as a flow carries them: totals and the mean size follow from the parts.
    pub fn core(&self) -> CoreFields {
        let mut c = CoreFields::default();
        for (field, v) in self.fields() {
            if let Some(v) = v {
                c.set(field, v);
            }
        }
        c.complete()
    }
}

/// Scores the query; `model` is the current model set, if any.
pub fn evaluate(
    model: Option<&ModelSet>,
    q: &ThreatQuery,
    bands: &Bands,
) -> Result<Assessment, QueryError> {
    q.validate()?;
    let core = q.core();
    let mut input = ThreatInput {
        core,
        dport: q.dport,
        proto: q.proto.clone(),
        state: q.state.clone(),
        src: q.src.clone(),
        dst: q.dst.clone(),
        model: None,
        attack_probability: None,
    };
    let missing: Vec<String> = q
        .fields()
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(f, _)| f.name().to_string())
        .collect();
    let Some(model) = model else {
        let mut a = assess(&input, bands);
        a.imputed = missing
            .into_iter()
            .map(|f| format!("{f}: unknown, its heuristics skipped"))
            .collect();
        return Ok(a);
    };
    let flow = to_record(model, q, core);
    let batch = model.score(&[&flow]);
    let verdict = batch.verdicts.first();
    let kinds = model.detectors.kinds();
    input.model = verdict.map(|v| ModelEvidence::from_verdict(&kinds, v));
    input.attack_probability = batch
        .predictions
        .as_ref()
        .and_then(|p| p.first())
        .map(|p| p.attack_probability);
    let mut a = assess(&input, bands);
    a.top_features = model.top_features(batch.features.view(), 5);
    let slots = &model.schema.query.core;
    a.imputed = missing
        .into_iter()
        .map(|f| {
            if slots.iter().any(|(c, _, _)| c.name() == f) {
                format!("{f}: training median")
            } else {
                format!("{f}: unknown")
            }
        })
        .collect();
    let other = model.schema.numeric.len().saturating_sub(slots.len());
    if other > 0 {
        a.imputed.push(format!(
            "{other} other features of {}: training medians",
            model.schema.format
        ));
    }
    Ok(a)
}

/// A flow of the model's schema carrying the query's fields; every other cell is unset, which
/// the feature pipeline fills with the training median.
pub fn to_record(model: &ModelSet, q: &ThreatQuery, core: CoreFields) -> FlowRecord {
    let s = &model.schema;
    let mut values = vec![f64::NAN; s.numeric.len()];
    for &(field, slot, unit) in &s.query.core {
        let v = match field {
            CoreField::Packets => core.packets,
            CoreField::Bytes => core.bytes,
            other => q
                .fields()
                .iter()
                .find(|(f, _)| *f == other)
                .and_then(|(_, v)| *v),
        };
        if let (Some(v), Some(cell)) = (v, values.get_mut(slot))
            && unit > 0.0
        {
            *cell = v / unit;
        }
    }
    let mut categories: Categories = smallvec::smallvec![None; s.categorical.len()];
    if let (Some(slot), Some(p)) = (s.query.proto, &q.proto)
        && let Some(cell) = categories.get_mut(slot)
    {
        *cell = Some(Text::from(p.to_ascii_lowercase()));
    }
    FlowRecord {
        line: 0,
        ts: None,
        values,
        categories,
        suspect: 0,
        core,
        meta: FlowMeta {
            dport: q.dport,
            proto: q.proto.as_deref().map(Text::from),
            ..FlowMeta::default()
        },
        label: None,
    }
}
