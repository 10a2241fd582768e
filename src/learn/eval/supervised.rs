//! `flowtop eval --supervised`: stratified k-fold cross-validation of the classifiers on a
//! labelled file, with the chosen model, its confusion matrix and the feature importance.

use std::fmt::Write;

use serde::Serialize;

use super::{EvalError, read_flows_shown};
use crate::flows::schema::{DetectOptions, FlowRecord};
use crate::flows::source::Input;
use crate::learn::cancel::Cancel;
use crate::learn::classify::{CvOptions, CvReport, cross_validate};
use crate::progress::Progress;

#[derive(Debug, Clone, Serialize)]
pub struct SupervisedReport {
    pub file: String,
    pub format: String,
    pub rows: usize,
    pub rejected: u64,
    #[serde(flatten)]
    pub cv: CvReport,
}

pub fn run(
    input: &Input,
    detect: &DetectOptions,
    opts: &CvOptions,
) -> Result<SupervisedReport, EvalError> {
    let file = input.display_name();
    let (summary, rows) = read_flows_shown(input, detect)?;
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let progress = Progress::bar("cross-validating", (opts.folds * opts.kinds.len()) as u64);
    let report = |what: &str| {
        progress.message(what);
        progress.inc();
    };
    let cv = cross_validate(&summary.schema, &refs, opts, &report, &Cancel::default())
        .map_err(|e| EvalError::Supervised(format!("{file}: {e}")))?;
    progress.finish();
    Ok(SupervisedReport {
        file,
        format: summary.schema.format.name().to_string(),
        rows: rows.len(),
        rejected: summary.counts.rejected,
        cv,
    })
}

fn cell(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "-".into()
    }
}

pub fn render_text(r: &SupervisedReport) -> String {
    let cv = &r.cv;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({} rows, {} rejected; {} labelled, {} without a label; {} features)",
        r.file, r.format, r.rows, r.rejected, cv.labelled_rows, cv.unlabelled_rows, cv.features
    );
    let classes: Vec<String> = cv
        .classes
        .iter()
        .zip(&cv.class_rows)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "{}, {}-fold stratified CV, imbalance handling: {}; rows per class: {}",
        cv.mode.name(),
        cv.folds,
        cv.balance.name(),
        classes.join(" · ")
    );
    if !cv.pooled.is_empty() {
        let _ = writeln!(
            out,
            "pooled as '{}' (fewer rows than folds): {}",
            crate::learn::classify::OTHER_ATTACK,
            cv.pooled.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\n{:<14} {:>8} {:>9} {:>7} {:>8} {:>7} {:>8} {:>8} {:>7} {:>11}",
        "model",
        "accuracy",
        "precision",
        "recall",
        "macro F1",
        "± std",
        "ROC-AUC",
        "PR-AUC",
        "fit s",
        "rows/s"
    );
    for m in &cv.models {
        let mark = if m.name == cv.best { "*" } else { " " };
        let _ = write!(
            out,
            "{mark}{:<13} {:>8} {:>9} {:>7} {:>8} {:>7} {:>8} {:>8} {:>7.2} {:>11.0}",
            m.name,
            cell(m.accuracy),
            cell(m.precision),
            cell(m.recall),
            cell(m.macro_f1),
            cell(m.macro_f1_std),
            cell(m.roc_auc),
            cell(m.pr_auc),
            m.fit_s,
            m.rows_per_s
        );
        if !m.error.is_empty() {
            let _ = write!(out, "  failed: {}", m.error);
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nbest by macro F1: {}\nconfusion (rows: truth, columns: predicted):",
        cv.best
    );
    let width = cv
        .classes
        .iter()
        .map(|c| c.chars().count().min(24))
        .max()
        .unwrap_or(5)
        + 4;
    let _ = write!(out, "{:>width$}", "");
    for i in 0..cv.classes.len() {
        let _ = write!(out, " {:>8}", format!("[{i}]"));
    }
    out.push('\n');
    for (i, (c, row)) in cv.classes.iter().zip(&cv.confusion).enumerate() {
        let name: String = c.chars().take(24).collect();
        let _ = write!(out, "{:<width$}", format!("[{i}] {name}"));
        for v in row {
            let _ = write!(out, " {v:>8}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\ntop features:");
    let max = cv
        .importance
        .first()
        .map_or(0.0, |f| f.importance)
        .max(f64::MIN_POSITIVE);
    for f in cv.importance.iter().take(10) {
        let bar = "#".repeat(((f.importance / max) * 30.0).round() as usize);
        let _ = writeln!(out, "  {:<32} {:>6.3} {bar}", f.feature, f.importance);
    }
    out
}
