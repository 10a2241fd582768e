//! `flowtop score`: every input flow with its calibrated detector scores, votes, consensus
//! score, flag, threat, classifier verdict, cluster and top deviating features, as CSV or
//! JSON lines. The monitor's `e` export writes the same columns (`OutputRow`).

use std::io::Write;

use rayon::prelude::*;

use crate::flows::schema::FlowRecord;
use crate::learn::detect::DetectorKind;
use crate::learn::model::{BatchScores, ModelSet};
use crate::learn::threat::{Bands, ModelEvidence, ThreatInput};

crate::message_error!(
    /// An output file name whose extension names no output format.
    OutputFormatError
);

/// Rows scored per batch: bounds memory on large files.
pub const BATCH: usize = 8192;
const TOP_FEATURES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    JsonLines,
}

impl OutputFormat {
    pub fn for_path(path: &std::path::Path) -> Result<OutputFormat, OutputFormatError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("jsonl" | "ndjson" | "json") => Ok(OutputFormat::JsonLines),
            _ => Err(OutputFormatError::new(format!(
                "{}: output must end in .csv or .jsonl",
                path.display()
            ))),
        }
    }
}

/// One output row: the columns `score -o`, stdout and the monitor's `e` export share, in one
/// order. Text from input is escaped when the cells are made.
pub struct OutputRow<'a> {
    /// `flow`, or `volume` for a bucket outside its forecast interval.
    pub kind: &'static str,
    pub line: u64,
    pub ts: Option<f64>,
    pub src: Option<&'a str>,
    pub sport: Option<u16>,
    pub dst: Option<&'a str>,
    pub dport: Option<u16>,
    pub proto: Option<&'a str>,
    pub service: Option<&'a str>,
    pub state: Option<&'a str>,
    pub label: Option<&'a str>,
    /// Calibrated score per detector, in the model's detector order.
    pub scores: Vec<Option<f64>>,
    pub votes: Vec<Option<bool>>,
    pub consensus: Option<f64>,
    pub flagged: bool,
    pub threat: Option<f64>,
    pub level: Option<&'static str>,
    pub class: Option<&'a str>,
    pub class_probability: Option<f64>,
    pub cluster: Option<usize>,
    pub top_features: &'a [(String, f64)],
    /// Volume rows: every series out of its interval, `series=observed [lo, hi] expected E`.
    pub volume: String,
}

/// The header for a model with these detectors.
pub fn header(kinds: &[DetectorKind]) -> Vec<String> {
    let mut h: Vec<String> = [
        "kind", "line", "ts", "src", "sport", "dst", "dport", "proto", "service", "state", "label",
    ]
    .map(String::from)
    .to_vec();
    h.extend(kinds.iter().map(|k| format!("{}_score", k.name())));
    h.extend(kinds.iter().map(|k| format!("{}_vote", k.name())));
    h.extend(
        [
            "consensus",
            "flagged",
            "votes",
            "threat",
            "level",
            "class",
            "class_probability",
            "cluster",
            "top_features",
            "volume",
        ]
        .map(String::from),
    );
    h
}

impl OutputRow<'_> {
    /// CSV cells for `header(kinds)`: one per detector whatever the row (volume rows have no
    /// detector scores, and a row from an older model may have had other detectors).
    pub fn cells(&self, detectors: usize) -> Vec<String> {
        fn opt<T: ToString>(v: Option<T>) -> String {
            v.map(|v| v.to_string()).unwrap_or_default()
        }
        let text = |v: Option<&str>| crate::sanitize::spreadsheet(v.unwrap_or("")).into_owned();
        let mut cells = vec![
            self.kind.to_string(),
            self.line.to_string(),
            opt(self.ts),
            text(self.src),
            opt(self.sport),
            text(self.dst),
            opt(self.dport),
            text(self.proto),
            text(self.service),
            text(self.state),
            text(self.label),
        ];
        cells.extend((0..detectors).map(|j| {
            opt(self
                .scores
                .get(j)
                .copied()
                .flatten()
                .map(|v| format!("{v:.6}")))
        }));
        cells.extend((0..detectors).map(|j| {
            opt(self
                .votes
                .get(j)
                .copied()
                .flatten()
                .map(|v| u8::from(v).to_string()))
        }));
        cells.push(opt(self.consensus.map(|v| format!("{v:.6}"))));
        cells.push(u8::from(self.flagged).to_string());
        cells.push(self.vote_count().to_string());
        cells.push(opt(self.threat.map(|v| format!("{v:.1}"))));
        cells.push(opt(self.level));
        cells.push(text(self.class));
        cells.push(opt(self.class_probability.map(|v| format!("{v:.4}"))));
        cells.push(opt(self.cluster));
        let top: Vec<String> = self
            .top_features
            .iter()
            .map(|(n, z)| format!("{n}:{z:.2}"))
            .collect();
        cells.push(text(Some(&top.join(";"))));
        cells.push(text(Some(&self.volume)));
        cells
    }

    fn vote_count(&self) -> usize {
        self.votes.iter().filter(|v| **v == Some(true)).count()
    }

    /// The same row as a JSON object: detector scores and votes keyed by detector name.
    pub fn json(&self, kinds: &[DetectorKind]) -> serde_json::Value {
        let scores = by_detector(kinds, &self.scores);
        let votes = by_detector(kinds, &self.votes);
        serde_json::json!({
            "kind": self.kind, "line": self.line, "ts": self.ts,
            "src": self.src, "sport": self.sport, "dst": self.dst, "dport": self.dport,
            "proto": self.proto, "service": self.service, "state": self.state,
            "label": self.label, "scores": scores, "votes": votes,
            "consensus": self.consensus, "flagged": self.flagged, "vote_count": self.vote_count(),
            "threat": self.threat.map(|v| (v * 10.0).round() / 10.0), "level": self.level,
            "class": self.class, "class_probability": self.class_probability,
            "cluster": self.cluster,
            "top_features": self.top_features.iter()
                .map(|(n, z)| serde_json::json!({"feature": n, "z": z})).collect::<Vec<_>>(),
            "volume": (!self.volume.is_empty()).then_some(&self.volume),
        })
    }
}

/// One value per detector, keyed by its name; null where the row has none.
fn by_detector<T: Copy + serde::Serialize>(
    kinds: &[DetectorKind],
    values: &[Option<T>],
) -> serde_json::Value {
    kinds
        .iter()
        .enumerate()
        .map(|(j, k)| {
            (
                k.name().to_string(),
                serde_json::json!(values.get(j).copied().flatten()),
            )
        })
        .collect::<serde_json::Map<String, serde_json::Value>>()
        .into()
}

/// A CSV error as the I/O error under it where there is one, so a closed pipe stays a
/// closed pipe (`report::is_broken_pipe`) instead of becoming "other".
fn io_error(e: csv::Error) -> std::io::Error {
    if !e.is_io_error() {
        return std::io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Rows rendered per task: a batch's rows are rendered on the pool in pieces of this many,
/// then written in order.
const RENDER_CHUNK: usize = 512;

/// Scored rows as CSV through the csv crate (as the monitor's export), or as JSON lines.
pub struct ScoreWriter<W: Write> {
    out: W,
    format: OutputFormat,
    wrote_header: bool,
    bands: Bands,
    pub rows: u64,
    pub flagged: u64,
}

impl<W: Write> ScoreWriter<W> {
    pub fn new(out: W, format: OutputFormat, bands: Bands) -> Self {
        ScoreWriter {
            out,
            format,
            wrote_header: false,
            bands,
            rows: 0,
            flagged: 0,
        }
    }

    /// Writes one scored batch. The rows (threat, top features, text) are rendered in parallel
    /// and written in their order: rendering is most of the work once the scores exist.
    pub fn write_batch(
        &mut self,
        model: &ModelSet,
        flows: &[&FlowRecord],
        batch: &BatchScores,
    ) -> std::io::Result<()> {
        let kinds = model.detectors.kinds();
        if self.format == OutputFormat::Csv && !self.wrote_header {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header(&kinds)).map_err(io_error)?;
            self.out
                .write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
            self.wrote_header = true;
        }
        let render = Render {
            model,
            kinds: &kinds,
            flows,
            batch,
            bands: &self.bands,
            format: self.format,
        };
        let starts: Vec<usize> = (0..flows.len()).step_by(RENDER_CHUNK).collect();
        let parts: Vec<std::io::Result<Vec<u8>>> = starts
            .into_par_iter()
            .map(|lo| render.rows(lo..(lo + RENDER_CHUNK).min(flows.len())))
            .collect();
        for part in parts {
            self.out.write_all(&part?)?;
        }
        self.rows += flows.len() as u64;
        self.flagged += batch.verdicts.iter().filter(|v| v.flagged).count() as u64;
        Ok(())
    }

    /// The output, flushed.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    pub fn finish(mut self) -> std::io::Result<(u64, u64)> {
        self.out.flush()?;
        Ok((self.rows, self.flagged))
    }
}

/// What rendering a batch's rows needs, shared by the pool's tasks.
struct Render<'a> {
    model: &'a ModelSet,
    kinds: &'a [DetectorKind],
    flows: &'a [&'a FlowRecord],
    batch: &'a BatchScores,
    bands: &'a Bands,
    format: OutputFormat,
}

impl Render<'_> {
    fn rows(&self, range: std::ops::Range<usize>) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(range.len() * 256);
        match self.format {
            OutputFormat::Csv => {
                let mut w = csv::Writer::from_writer(&mut buf);
                for i in range {
                    self.row(i, |row| w.write_record(row.cells(self.kinds.len())))
                        .map_err(io_error)?;
                }
                w.flush()?;
            }
            OutputFormat::JsonLines => {
                for i in range {
                    self.row(i, |row| {
                        serde_json::to_writer(&mut buf, &row.json(self.kinds))
                    })?;
                    buf.push(b'\n');
                }
            }
        }
        Ok(buf)
    }

    /// Builds row `i` and hands it to `emit` (the row borrows from locals of this call).
    fn row<T>(&self, i: usize, emit: impl FnOnce(&OutputRow) -> T) -> T {
        let (flow, batch) = (self.flows[i], self.batch);
        let verdict = &batch.verdicts[i];
        let cal = batch.scores.calibrated.row(i);
        let feats = batch.features.row(i);
        let predicted = batch.predictions.as_ref().and_then(|p| p.get(i));
        let threat = crate::learn::threat::assess(
            &ThreatInput::of_flow(
                flow,
                Some(ModelEvidence::from_verdict(self.kinds, verdict)),
                predicted.map(|p| p.attack_probability),
            ),
            self.bands,
        );
        let top = self
            .model
            .top_features(feats.insert_axis(ndarray::Axis(0)), TOP_FEATURES);
        emit(&OutputRow {
            kind: "flow",
            line: flow.line,
            ts: flow.ts,
            src: flow.meta.src.as_deref(),
            sport: flow.meta.sport,
            dst: flow.meta.dst.as_deref(),
            dport: flow.meta.dport,
            proto: flow.meta.proto.as_deref(),
            service: flow.meta.service.as_deref(),
            state: flow.meta.state.as_deref(),
            label: flow.label.as_ref().map(|l| &*l.class),
            scores: cal.iter().map(|v| v.is_finite().then_some(*v)).collect(),
            votes: verdict.votes.clone(),
            consensus: verdict.score.is_finite().then_some(verdict.score),
            flagged: verdict.flagged,
            threat: Some(threat.score),
            level: Some(threat.level.name()),
            class: predicted.map(|p| &*p.class),
            class_probability: predicted.map(|p| p.probability),
            cluster: batch.clusters.as_ref().and_then(|c| c.get(i).copied()),
            top_features: &top,
            volume: String::new(),
        })
    }
}
