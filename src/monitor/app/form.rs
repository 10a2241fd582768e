//! The threat query form: the canonical core fields plus port and protocol, typed as text,
//! turned into a `ThreatQuery` on submit.

use std::sync::Arc;

use crate::engine::AnomalyEvent;
use crate::learn::threat::ThreatQuery;

crate::message_error!(
    /// A threat query form with a field that is not a number in range.
    FormError
);

pub const FIELDS: [&str; 8] = [
    "duration (s)",
    "fwd packets",
    "bwd packets",
    "fwd bytes",
    "bwd bytes",
    "mean packet size (B)",
    "dst port",
    "protocol",
];

#[derive(Debug, Clone)]
pub struct ThreatForm {
    pub values: [String; 8],
    pub focus: usize,
    /// The request whose answer is awaited or shown.
    pub request: Option<u64>,
    pub error: Option<FormError>,
    /// Where the values came from ("line 1234" or "empty").
    pub origin: String,
    /// Endpoints and state of the flow the form came from, for the recommendations.
    pub context: [Option<String>; 3],
    /// The flow the form was filled from: until a field is edited, its own assessment (on all
    /// of its features) is the answer.
    pub event: Option<Arc<AnomalyEvent>>,
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => {
            let s = format!("{v:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        None => String::new(),
    }
}

impl ThreatForm {
    pub fn from_event(e: Option<&Arc<AnomalyEvent>>) -> ThreatForm {
        let Some(e) = e else {
            return ThreatForm {
                values: Default::default(),
                focus: 0,
                request: None,
                error: None,
                origin: "empty: type the flow's figures".into(),
                context: Default::default(),
                event: None,
            };
        };
        let c = &e.core;
        ThreatForm {
            values: [
                num(c.duration),
                num(c.fwd_packets),
                num(c.bwd_packets),
                num(c.fwd_bytes),
                num(c.bwd_bytes),
                num(c.mean_packet_size),
                e.dport.map(|p| p.to_string()).unwrap_or_default(),
                e.proto.as_deref().unwrap_or("").to_string(),
            ],
            focus: 0,
            request: None,
            error: None,
            origin: format!("from the flow on line {}", e.line),
            context: [&e.src, &e.dst, &e.state].map(|v| v.as_deref().map(str::to_string)),
            event: Some(Arc::clone(e)),
        }
    }

    pub fn type_char(&mut self, c: char) {
        if let Some(v) = self.values.get_mut(self.focus) {
            v.push(c);
            self.event = None;
        }
    }

    pub fn backspace(&mut self) {
        if let Some(v) = self.values.get_mut(self.focus) {
            v.pop();
            self.event = None;
        }
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % FIELDS.len();
    }

    pub fn prev(&mut self) {
        self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len();
    }

    /// The query, or which field is wrong. Empty fields are left out (imputed).
    pub fn query(&self) -> Result<ThreatQuery, FormError> {
        let number = |i: usize| -> Result<Option<f64>, FormError> {
            let t = self.values[i].trim();
            if t.is_empty() {
                return Ok(None);
            }
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(FormError::new(format!(
                    "{}: '{t}' is not a number ≥ 0",
                    FIELDS[i]
                ))),
            }
        };
        let port = match self.values[6].trim() {
            "" => None,
            t => Some(
                t.parse::<u16>()
                    .map_err(|_| format!("{}: '{t}' is not a port (0–65535)", FIELDS[6]))?,
            ),
        };
        let proto = self.values[7].trim();
        Ok(ThreatQuery {
            duration: number(0)?,
            fwd_packets: number(1)?,
            bwd_packets: number(2)?,
            fwd_bytes: number(3)?,
            bwd_bytes: number(4)?,
            mean_packet_size: number(5)?,
            dport: port,
            proto: (!proto.is_empty()).then(|| proto.to_ascii_lowercase()),
            src: self.context[0].clone(),
            dst: self.context[1].clone(),
            state: self.context[2].clone(),
        })
    }
}
