//! What a flow file is (`flowtop inspect`), how its columns are used, what was rejected and why.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::flows::ingest::{IngestError, Rejected, read_all};
use crate::flows::schema::{Column, DetectOptions, Format, Role};
use crate::flows::source::Input;

/// How many rejected rows `inspect` lists (all are counted).
pub const SHOWN_REJECTS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct TimeSpan {
    pub first: f64,
    pub last: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub file: String,
    pub format: Format,
    pub variant: String,
    pub has_header: bool,
    pub rows: u64,
    pub rejected: u64,
    pub rejects: Vec<Rejected>,
    /// Flows kept without their timestamp, which could not be right (far future, far from
    /// the rest), and the first of them.
    pub suspect_times: u64,
    pub suspect_time_rows: Vec<Rejected>,
    /// Values no flow can carry, by column: kept as missing.
    pub suspect_values: BTreeMap<String, u64>,
    pub skipped: BTreeMap<&'static str, u64>,
    pub columns: Vec<Column>,
    /// Class name → rows.
    pub labels: BTreeMap<String, u64>,
    pub attack_rows: u64,
    pub benign_rows: u64,
    pub unlabelled_rows: u64,
    pub time_span: Option<TimeSpan>,
    pub bytes_read: u64,
}

pub fn inspect(input: &Input, opts: &DetectOptions) -> Result<InspectReport, IngestError> {
    let mut labels: BTreeMap<String, u64> = BTreeMap::new();
    let (mut attack, mut benign, mut unlabelled) = (0, 0, 0);
    let mut span: Option<(f64, f64)> = None;
    let summary = read_all(input, opts, |f| {
        match &f.label {
            Some(l) => {
                *labels.entry(l.class.to_string()).or_insert(0) += 1;
                if l.attack { attack += 1 } else { benign += 1 }
            }
            None => unlabelled += 1,
        }
        if let Some(t) = f.ts {
            span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    })?;
    let has_label = summary.schema.has_role(Role::Label);
    Ok(InspectReport {
        file: input.display_name(),
        format: summary.schema.format,
        variant: summary.schema.variant.clone(),
        has_header: summary.schema.has_header,
        rows: summary.counts.rows,
        rejected: summary.counts.rejected,
        rejects: summary
            .counts
            .first_rejects
            .iter()
            .take(SHOWN_REJECTS)
            .cloned()
            .collect(),
        suspect_times: summary.counts.suspect_times,
        suspect_time_rows: summary
            .counts
            .first_suspect_times
            .iter()
            .take(SHOWN_REJECTS)
            .cloned()
            .collect(),
        suspect_values: summary
            .counts
            .suspect_values
            .iter()
            .map(|(field, n)| {
                let column = summary
                    .schema
                    .columns
                    .iter()
                    .find(|c| c.core.is_some_and(|k| k.name() == *field))
                    .map_or(field.to_string(), |c| c.name.clone());
                (column, *n)
            })
            .collect(),
        skipped: summary.counts.skipped,
        columns: summary.schema.columns,
        labels,
        attack_rows: attack,
        benign_rows: benign,
        unlabelled_rows: if has_label { unlabelled } else { 0 },
        time_span: span.map(|(a, b)| TimeSpan {
            first: a,
            last: b,
            seconds: b - a,
        }),
        bytes_read: summary.source.offset,
    })
}

pub fn format_time(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0).map_or_else(
        || format!("{t}"),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

pub fn format_duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m, s) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// The human-readable report.
pub fn render_text(r: &InspectReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", r.file);
    let header = if r.has_header {
        "header row"
    } else {
        "no header row"
    };
    let _ = writeln!(o, "  format     {} ({}), {header}", r.format, r.variant);
    let _ = writeln!(
        o,
        "  rows       {} accepted, {} rejected",
        r.rows, r.rejected
    );
    if !r.skipped.is_empty() {
        let parts: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = writeln!(o, "  not flows  {}", parts.join(", "));
    }
    if r.suspect_times > 0 {
        let _ = writeln!(
            o,
            "  bad times  {} flows kept without their timestamp (far from the others)",
            r.suspect_times
        );
    }
    if !r.suspect_values.is_empty() {
        let parts: Vec<String> = r
            .suspect_values
            .iter()
            .map(|(c, n)| format!("{n} in {c}"))
            .collect();
        let _ = writeln!(
            o,
            "  bad values {} (no flow carries them: kept as missing)",
            parts.join(", ")
        );
    }
    match &r.time_span {
        Some(t) => {
            let _ = writeln!(
                o,
                "  time span  {} → {} UTC ({})",
                format_time(t.first),
                format_time(t.last),
                format_duration(t.seconds)
            );
        }
        None => {
            let _ = writeln!(o, "  time span  none (no timestamp column)");
        }
    }
    if r.labels.is_empty() {
        let _ = writeln!(o, "  labels     none");
    } else {
        let _ = writeln!(
            o,
            "  labels     {} attack, {} benign, {} unlabelled",
            r.attack_rows, r.benign_rows, r.unlabelled_rows
        );
        let mut classes: Vec<(&String, &u64)> = r.labels.iter().collect();
        classes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (name, n) in classes {
            let _ = writeln!(o, "             {n:>8}  {name}");
        }
    }
    let _ = writeln!(o, "  columns    {}", r.columns.len());
    let width = r
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    for c in &r.columns {
        let mut extra = Vec::new();
        if let Some(m) = c.meta {
            extra.push(m.name().to_string());
        }
        if let Some(k) = c.core {
            extra.push(format!("core {}", k.name()));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        let _ = writeln!(o, "    {:<width$}  {}{extra}", c.name, c.role.name());
    }
    if !r.rejects.is_empty() {
        let _ = writeln!(o, "  rejected rows (first {}):", r.rejects.len());
        for rej in &r.rejects {
            let _ = writeln!(o, "    {rej}");
        }
    }
    if !r.suspect_time_rows.is_empty() {
        let _ = writeln!(
            o,
            "  timestamps set aside (first {}):",
            r.suspect_time_rows.len()
        );
        for row in &r.suspect_time_rows {
            let _ = writeln!(o, "    {row}");
        }
    }
    o
}
