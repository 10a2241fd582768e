//! `POST /v1/score`: a batch of flows given by their canonical fields (a JSON array, or one
//! JSON object per line), scored by the model in use into the rows `flowtop score -o
//! FILE.jsonl` writes. A bad row is a 400 naming its position and the fault.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Service, error};
use crate::engine::output::{OutputFormat, ScoreWriter};
use crate::flows::schema::FlowRecord;
use crate::learn::threat::{ThreatQuery, to_record};

/// Most flows in one request.
pub const MAX_ROWS: usize = 10_000;

/// The queries of a JSON array or of JSON lines, or which row is wrong.
fn parse(body: &[u8]) -> Result<Vec<ThreatQuery>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let rows: Vec<ThreatQuery> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("the array: {e}"))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?
    };
    if rows.is_empty() {
        return Err("no flows in the body".into());
    }
    if rows.len() > MAX_ROWS {
        return Err(format!(
            "{} flows in one request; at most {MAX_ROWS}",
            rows.len()
        ));
    }
    for (i, q) in rows.iter().enumerate() {
        q.validate().map_err(|e| format!("flow {}: {e}", i + 1))?;
    }
    Ok(rows)
}

pub async fn score(State(s): State<Service>, body: Bytes) -> Response {
    let rows = match parse(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let view = s.view();
    let Some(model) = view.model.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no model yet: the engine is warming up (see /readyz)",
        );
    };
    let bands = s.0.bands;
    let scored = tokio::task::spawn_blocking(move || {
        let flows: Vec<FlowRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut f = to_record(&model, q, q.core());
                f.line = i as u64 + 1;
                f
            })
            .collect();
        let refs: Vec<&FlowRecord> = flows.iter().collect();
        let batch = model.score(&refs);
        let mut w = ScoreWriter::new(Vec::new(), OutputFormat::JsonLines, bands);
        w.write_batch(&model, &refs, &batch)?;
        w.into_inner()
    })
    .await;
    match scored {
        Ok(Ok(out)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            )],
            out,
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "scoring failed"),
    }
}
