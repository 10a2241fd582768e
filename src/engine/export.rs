//! Writes anomaly-feed rows to CSV and JSON lines, one row per event in the order given (the
//! feed as the operator sees it: newest first, filtered).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::snapshot::AnomalyEvent;
use crate::engine::output::{OutputRow, header};
use crate::learn::detect::DetectorKind;

/// The feed row as an output row: the columns and order of `flowtop score -o`.
fn row(e: &AnomalyEvent) -> OutputRow<'_> {
    OutputRow {
        kind: if e.volume.is_some() { "volume" } else { "flow" },
        line: e.line,
        ts: e.ts,
        src: e.src.as_deref(),
        sport: e.sport,
        dst: e.dst.as_deref(),
        dport: e.dport,
        proto: e.proto.as_deref(),
        service: e.service.as_deref(),
        state: e.state.as_deref(),
        label: e.label.as_deref(),
        scores: e.detector_scores.clone(),
        votes: e.votes.clone(),
        consensus: e.score.is_finite().then_some(e.score),
        flagged: e.flagged,
        threat: Some(e.threat.score),
        level: Some(e.threat.level.name()),
        class: e.predicted.as_ref().map(|p| &*p.class),
        class_probability: e.predicted.as_ref().map(|p| p.probability),
        cluster: e.cluster,
        top_features: &e.top_features,
        volume: e.volume.as_ref().map_or_else(String::new, |v| {
            std::iter::once(v)
                .chain(&v.also)
                .map(|v| {
                    format!(
                        "{}={} [{:.1}, {:.1}] expected {:.1}",
                        v.series, v.observed, v.lo, v.hi, v.expected
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }),
    }
}

/// Writes `<stem>.csv` and `<stem>.jsonl`; returns both paths. Each file is written whole to a
/// temporary name and renamed, so a reader never sees half a file.
/// One feed row as the JSON object of the `.jsonl` export (and `score -o FILE.jsonl`).
pub fn json_row(e: &AnomalyEvent, detectors: &[DetectorKind]) -> serde_json::Value {
    row(e).json(detectors)
}

pub fn export(
    events: &[std::sync::Arc<AnomalyEvent>],
    detectors: &[DetectorKind],
    stem: &Path,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let csv_path = stem.with_extension("csv");
    let json_path = stem.with_extension("jsonl");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header(detectors))?;
    let mut jsonl = Vec::new();
    for e in events {
        let r = row(e);
        w.write_record(r.cells(detectors.len()))?;
        serde_json::to_writer(&mut jsonl, &r.json(detectors))?;
        jsonl.push(b'\n');
    }
    let csv_bytes = w.into_inner().map_err(|e| e.into_error())?;
    write_atomic(&csv_path, &csv_bytes)?;
    write_atomic(&json_path, &jsonl)?;
    Ok((csv_path, json_path))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("part");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_and_volume_rows_share_one_csv_layout() {
        let view = crate::monitor::ui::fixture::view();
        let feed = &view.snapshot.feed;
        assert!(feed.iter().any(|e| e.volume.is_some()) && feed.iter().any(|e| e.volume.is_none()));
        let dir = tempfile::tempdir().expect("tempdir");
        let (csv_path, json_path) = export(
            feed,
            &crate::monitor::ui::fixture::KINDS,
            &dir.path().join("feed"),
        )
        .expect("export");
        let mut r = csv::Reader::from_path(&csv_path).expect("csv");
        let header = r.headers().expect("header").clone();
        // The columns and order of `flowtop score -o`.
        assert_eq!(
            header.iter().collect::<Vec<_>>(),
            crate::engine::output::header(&crate::monitor::ui::fixture::KINDS)
        );
        for col in [
            "iforest_score",
            "lof_vote",
            "consensus",
            "flagged",
            "threat",
            "level",
        ]
        .into_iter()
        .chain([
            "class",
            "class_probability",
            "cluster",
            "top_features",
            "service",
        ]) {
            assert!(header.iter().any(|h| h == col), "{col} missing: {header:?}");
        }
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        assert_eq!(rows.len(), feed.len());
        assert!(rows.iter().all(|row| row.len() == header.len()));
        let volume = rows
            .iter()
            .find(|row| &row[0] == "volume")
            .expect("a volume row");
        let col = header
            .iter()
            .position(|h| h == "volume")
            .expect("volume column");
        assert_eq!(
            &volume[col],
            "flows=310 [40.0, 120.0] expected 80.0; destinations=95 [0.0, 14.0] expected 6.0"
        );
        let flow = rows
            .iter()
            .find(|row| &row[0] == "flow")
            .expect("a flow row");
        let at = |name: &str| header.iter().position(|h| h == name).expect("column");
        assert_eq!(&flow[at("level")], "HIGH");
        assert_eq!(&flow[at("class")], "attack");
        assert_eq!(&flow[at("top_features")], "fwd-bytes:6.50;duration:-2.00");
        let lines = std::fs::read_to_string(json_path).expect("jsonl");
        assert_eq!(lines.lines().count(), feed.len());
        let first: serde_json::Value =
            serde_json::from_str(lines.lines().next().expect("a line")).expect("json");
        assert_eq!(first["scores"]["iforest"], serde_json::json!(0.99));
        assert_eq!(first["class"], "attack");
    }
}
