//! `flowtop score`: every input flow with its calibrated detector scores, votes, consensus
//! score, flag, cluster and top deviating features, as CSV or JSON lines.

use std::io::Write;

use serde::Serialize;

use crate::model::{BatchScores, ModelSet};
use crate::schema::FlowRecord;

/// Rows scored per batch: bounds memory on large files.
pub const BATCH: usize = 8192;
const TOP_FEATURES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    JsonLines,
}

impl OutputFormat {
    pub fn for_path(path: &std::path::Path) -> Result<OutputFormat, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("jsonl" | "ndjson" | "json") => Ok(OutputFormat::JsonLines),
            _ => Err(format!(
                "{}: output must end in .csv or .jsonl",
                path.display()
            )),
        }
    }
}

#[derive(Serialize)]
struct ScoredRow<'a> {
    line: u64,
    ts: Option<f64>,
    src: Option<&'a str>,
    dst: Option<&'a str>,
    sport: Option<u16>,
    dport: Option<u16>,
    proto: Option<&'a str>,
    label: Option<&'a str>,
    scores: Vec<(&'static str, Option<f64>)>,
    votes: Vec<(&'static str, Option<bool>)>,
    consensus: Option<f64>,
    flagged: bool,
    cluster: Option<usize>,
    top_features: Vec<(String, f64)>,
}

pub struct ScoreWriter<W: Write> {
    out: W,
    format: OutputFormat,
    wrote_header: bool,
    pub rows: u64,
    pub flagged: u64,
}

impl<W: Write> ScoreWriter<W> {
    pub fn new(out: W, format: OutputFormat) -> Self {
        ScoreWriter {
            out,
            format,
            wrote_header: false,
            rows: 0,
            flagged: 0,
        }
    }

    pub fn write_batch(
        &mut self,
        model: &ModelSet,
        flows: &[&FlowRecord],
        batch: &BatchScores,
    ) -> std::io::Result<()> {
        let kinds = model.detectors.kinds();
        for (i, flow) in flows.iter().enumerate() {
            let verdict = &batch.verdicts[i];
            let cal = batch.scores.calibrated.row(i);
            let feats = batch.features.row(i);
            let row = ScoredRow {
                line: flow.line,
                ts: flow.ts,
                src: flow.meta.src.as_deref(),
                dst: flow.meta.dst.as_deref(),
                sport: flow.meta.sport,
                dport: flow.meta.dport,
                proto: flow.meta.proto.as_deref(),
                label: flow.label.as_ref().map(|l| &*l.class),
                scores: kinds
                    .iter()
                    .zip(cal.iter())
                    .map(|(k, v)| (k.name(), v.is_finite().then_some(*v)))
                    .collect(),
                votes: kinds
                    .iter()
                    .zip(&verdict.votes)
                    .map(|(k, v)| (k.name(), *v))
                    .collect(),
                consensus: verdict.score.is_finite().then_some(verdict.score),
                flagged: verdict.flagged,
                cluster: batch.clusters.as_ref().and_then(|c| c.get(i).copied()),
                top_features: model.top_features(feats.insert_axis(ndarray::Axis(0)), TOP_FEATURES),
            };
            match self.format {
                OutputFormat::Csv => self.write_csv(&row)?,
                OutputFormat::JsonLines => {
                    serde_json::to_writer(&mut self.out, &json_row(&row))?;
                    self.out.write_all(b"\n")?;
                }
            }
            self.rows += 1;
            self.flagged += u64::from(verdict.flagged);
        }
        Ok(())
    }

    fn write_csv(&mut self, r: &ScoredRow) -> std::io::Result<()> {
        if !self.wrote_header {
            let mut h = vec![
                "line", "ts", "src", "dst", "sport", "dport", "proto", "label",
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
            h.extend(r.scores.iter().map(|(k, _)| format!("{k}_score")));
            h.extend(r.votes.iter().map(|(k, _)| format!("{k}_vote")));
            h.extend(["consensus", "flagged", "cluster", "top_features"].map(String::from));
            writeln!(self.out, "{}", h.join(","))?;
            self.wrote_header = true;
        }
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut cells = vec![
            r.line.to_string(),
            opt(r.ts.map(|v| v.to_string())),
            csv_text(r.src),
            csv_text(r.dst),
            opt(r.sport.map(|v| v.to_string())),
            opt(r.dport.map(|v| v.to_string())),
            csv_text(r.proto),
            csv_text(r.label),
        ];
        cells.extend(
            r.scores
                .iter()
                .map(|(_, v)| opt(v.map(|v| format!("{v:.6}")))),
        );
        cells.extend(
            r.votes
                .iter()
                .map(|(_, v)| opt(v.map(|v| u8::from(v).to_string()))),
        );
        cells.push(opt(r.consensus.map(|v| format!("{v:.6}"))));
        cells.push(u8::from(r.flagged).to_string());
        cells.push(opt(r.cluster.map(|v| v.to_string())));
        let top: Vec<String> = r
            .top_features
            .iter()
            .map(|(n, z)| format!("{n}:{z:.2}"))
            .collect();
        cells.push(csv_text(Some(&top.join(";"))));
        writeln!(self.out, "{}", cells.join(","))
    }

    pub fn finish(mut self) -> std::io::Result<(u64, u64)> {
        self.out.flush()?;
        Ok((self.rows, self.flagged))
    }
}

/// A text cell a spreadsheet will not evaluate, quoted when it needs it.
fn csv_text(v: Option<&str>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    let s = crate::sanitize::spreadsheet(v);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

fn json_row(r: &ScoredRow) -> serde_json::Value {
    let map = |v: &[(&'static str, Option<f64>)]| {
        serde_json::Value::Object(
            v.iter()
                .map(|(k, s)| (k.to_string(), serde_json::json!(s)))
                .collect(),
        )
    };
    let votes: serde_json::Map<String, serde_json::Value> = r
        .votes
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
        .collect();
    serde_json::json!({
        "line": r.line, "ts": r.ts, "src": r.src, "dst": r.dst, "sport": r.sport,
        "dport": r.dport, "proto": r.proto, "label": r.label,
        "scores": map(&r.scores), "votes": votes, "consensus": r.consensus,
        "flagged": r.flagged, "cluster": r.cluster,
        "top_features": r.top_features.iter()
            .map(|(n, z)| serde_json::json!({"feature": n, "z": z})).collect::<Vec<_>>(),
    })
}
