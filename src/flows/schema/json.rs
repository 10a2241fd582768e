//! Zeek conn logs written as JSON lines (`LogAscii::use_json`): one object per line, keys such
//! as `id.orig_h`, fields left out when unset, `ts` as epoch seconds or an ISO 8601 string.

use std::collections::HashMap;

use serde_json::Value;

use super::intern::CellCtx;
use super::plan::{Plan, RowBuilder};
use super::{Decoded, Decoder, Skip};

#[derive(Clone)]
pub(crate) struct JsonDecoder {
    plan: Plan,
    by_key: HashMap<String, usize>,
    ctx: CellCtx,
    buf: Vec<u8>,
}

impl JsonDecoder {
    pub fn new(plan: Plan) -> Self {
        let by_key = plan
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Self {
            plan,
            by_key,
            ctx: CellCtx::default(),
            buf: Vec::new(),
        }
    }
}

/// A JSON value as the cell text the shared row builder understands.
pub(crate) fn cell_text(v: &Value, out: &mut Vec<u8>) {
    out.clear();
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push(if *b { b'T' } else { b'F' }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        // Sets and vectors (tunnel_parents …) are not features.
        Value::Array(_) | Value::Object(_) => {}
    }
}

impl Decoder for JsonDecoder {
    fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Decoded::Skip(Skip::Blank);
        }
        let obj: serde_json::Map<String, Value> = match serde_json::from_slice(line) {
            Ok(o) => o,
            Err(e) => return Decoded::Reject(format!("not a JSON object: {e}").into()),
        };
        let mut row = RowBuilder::new(&self.plan);
        for (k, v) in &obj {
            let Some(&col) = self.by_key.get(k) else {
                continue;
            };
            cell_text(v, &mut self.buf);
            if let Err(e) = row.cell(&self.plan, col, &self.buf, &mut self.ctx) {
                return Decoded::Reject(e);
            }
        }
        Decoded::Flow(row.finish(&self.plan, line_no))
    }

    fn reset(&mut self) {}

    fn release_strings(&mut self) {
        self.ctx.release_strings();
    }

    fn fork(&self) -> Box<dyn Decoder> {
        let mut copy = self.clone();
        copy.release_strings();
        Box::new(copy)
    }

    fn changes_state(&self, _line: &[u8]) -> bool {
        false
    }
}
