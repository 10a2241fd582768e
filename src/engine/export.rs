//! Writes anomaly-feed rows to CSV and JSON lines, one row per event in the order given (the
//! feed as the operator sees it: newest first, filtered).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::snapshot::AnomalyEvent;
use crate::detect::DetectorKind;

#[derive(Serialize)]
struct Row<'a> {
    /// `flow`, or `volume` for a bucket outside its forecast interval.
    kind: &'static str,
    line: u64,
    ts: Option<f64>,
    src: Option<&'a str>,
    sport: Option<u16>,
    dst: Option<&'a str>,
    dport: Option<u16>,
    proto: Option<&'a str>,
    label: Option<&'a str>,
    cluster: Option<usize>,
    score: f64,
    votes: usize,
    threat: f64,
    level: &'static str,
    voting: String,
    top_features: String,
    /// Volume rows: every series out of its interval, `series=observed [lo, hi] expected E`.
    volume: String,
}

fn row(e: &AnomalyEvent) -> Row<'_> {
    Row {
        kind: if e.volume.is_some() { "volume" } else { "flow" },
        line: e.line,
        ts: e.ts,
        src: e.src.as_deref(),
        sport: e.sport,
        dst: e.dst.as_deref(),
        dport: e.dport,
        proto: e.proto.as_deref(),
        label: e.label.as_deref(),
        cluster: e.cluster,
        score: e.score,
        votes: e.votes.iter().filter(|v| **v == Some(true)).count(),
        threat: (e.threat.score * 10.0).round() / 10.0,
        level: e.threat.level.name(),
        voting: e.threat.voting.join(" "),
        top_features: e
            .top_features
            .iter()
            .map(|(n, z)| format!("{n}={z:+.1}"))
            .collect::<Vec<_>>()
            .join(" "),
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
pub fn export(
    events: &[std::sync::Arc<AnomalyEvent>],
    detectors: &[DetectorKind],
    stem: &Path,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let csv_path = stem.with_extension("csv");
    let json_path = stem.with_extension("jsonl");
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "kind",
        "line",
        "ts",
        "src",
        "sport",
        "dst",
        "dport",
        "proto",
        "label",
        "cluster",
        "score",
        "votes",
        "threat",
        "level",
        "voting",
        "top_features",
        "volume",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(detectors.iter().map(|k| format!("p_{}", k.name())));
    w.write_record(&header)?;
    let mut jsonl = Vec::new();
    for e in events {
        let r = row(e);
        let mut cells = vec![
            r.kind.to_string(),
            r.line.to_string(),
            opt(r.ts),
            sheet(r.src.unwrap_or("")),
            opt(r.sport),
            sheet(r.dst.unwrap_or("")),
            opt(r.dport),
            sheet(r.proto.unwrap_or("")),
            sheet(r.label.unwrap_or("")),
            opt(r.cluster),
            format!("{:.6}", r.score),
            r.votes.to_string(),
            format!("{:.1}", r.threat),
            r.level.to_string(),
            sheet(&r.voting),
            sheet(&r.top_features),
            sheet(&r.volume),
        ];
        // One cell per detector column whatever the row: volume rows have no detector scores,
        // and a row from an older model may have had other detectors.
        cells.extend((0..detectors.len()).map(|j| {
            opt(e
                .detector_scores
                .get(j)
                .copied()
                .flatten()
                .map(|p| format!("{p:.6}")))
        }));
        w.write_record(&cells)?;
        serde_json::to_writer(&mut jsonl, &r)?;
        jsonl.push(b'\n');
    }
    let csv_bytes = w.into_inner().map_err(|e| e.into_error())?;
    write_atomic(&csv_path, &csv_bytes)?;
    write_atomic(&json_path, &jsonl)?;
    Ok((csv_path, json_path))
}

/// Text from input as a spreadsheet cell that is never a formula.
fn sheet(s: &str) -> String {
    crate::sanitize::spreadsheet(s).into_owned()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
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
        let view = crate::engine::fixture::view();
        let feed = &view.snapshot.feed;
        assert!(feed.iter().any(|e| e.volume.is_some()) && feed.iter().any(|e| e.volume.is_none()));
        let dir = tempfile::tempdir().expect("tempdir");
        let (csv_path, json_path) = export(
            feed,
            &crate::engine::fixture::KINDS,
            &dir.path().join("feed"),
        )
        .expect("export");
        let mut r = csv::Reader::from_path(&csv_path).expect("csv");
        let header = r.headers().expect("header").clone();
        assert_eq!(header.get(0), Some("kind"));
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
        let lines = std::fs::read_to_string(json_path).expect("jsonl");
        assert_eq!(lines.lines().count(), feed.len());
    }
}
