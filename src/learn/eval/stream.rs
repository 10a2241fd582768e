//! `flowtop eval --stream`: prequential evaluation. Flows are taken in file order; each is
//! scored by the model of the moment and only then learnt from, exactly as a live run sees
//! them. Refits are inline so the run is reproducible.

use std::fmt::Write;
use std::time::Instant;

use serde::Serialize;

use crate::engine::{Engine, EngineConfig};
use crate::flows::schema::DetectOptions;
use crate::flows::source::Input;
use crate::learn::metrics::{average_precision, roc_auc};
use crate::learn::model::FitOptions;
use crate::progress::Progress;

use super::{EvalError, read_flows};

#[derive(Debug, Clone)]
pub struct StreamOptions {
    pub fit: FitOptions,
    pub warmup: usize,
    pub retrain_every: usize,
    pub window: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    pub file: String,
    pub rows: usize,
    /// Rows that could not be read.
    pub rejected: u64,
    /// Flows scored (those after the warm-up).
    pub scored: usize,
    pub refits: u64,
    pub flagged: u64,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub rows_per_s: f64,
}

pub fn run(
    input: &Input,
    detect: &DetectOptions,
    opts: &StreamOptions,
) -> Result<StreamReport, EvalError> {
    let file = input.display_name();
    let progress = Progress::spinner("reading");
    let (summary, rows) = read_flows(input, detect, &progress)?;
    progress.finish();
    if rows.len() <= opts.warmup.max(crate::learn::detect::MIN_TRAIN_ROWS) {
        return Err(EvalError::TooFew {
            file,
            rows: rows.len(),
            min: opts.warmup.max(crate::learn::detect::MIN_TRAIN_ROWS) + 1,
        });
    }
    let truth: Vec<Option<bool>> = rows
        .iter()
        .map(|r| r.label.as_ref().map(|l| l.attack))
        .collect();
    let n = rows.len();
    let mut engine = Engine::new(
        summary.schema,
        EngineConfig {
            fit: opts.fit.clone(),
            warmup: opts.warmup.max(crate::learn::detect::MIN_TRAIN_ROWS),
            retrain_every: opts.retrain_every,
            window: opts.window,
            background: false,
            ..Default::default()
        },
    );
    let progress = Progress::bar("streaming", n as u64);
    let start = Instant::now();
    let mut scores = Vec::with_capacity(n);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(256).collect();
        scores.extend(engine.ingest(batch).into_iter().map(|s| s.score));
        progress.set(scores.len() as u64);
    }
    let secs = start.elapsed().as_secs_f64();
    progress.finish();
    let (mut s, mut t) = (Vec::new(), Vec::new());
    for (score, truth) in scores.iter().zip(&truth) {
        if let Some(a) = truth
            && score.is_finite()
        {
            s.push(*score);
            t.push(*a);
        }
    }
    let finite = |v: f64| v.is_finite().then_some(v);
    let snap = engine.snapshot();
    Ok(StreamReport {
        file,
        rows: n,
        rejected: summary.counts.rejected,
        scored: scores.iter().filter(|v| v.is_finite()).count(),
        refits: snap.generation,
        flagged: snap.counters.flagged,
        roc_auc: finite(roc_auc(&s, &t)),
        pr_auc: finite(average_precision(&s, &t)),
        rows_per_s: n as f64 / secs.max(1e-9),
    })
}

pub fn render_text(r: &StreamReport) -> String {
    let mut out = String::new();
    let cell = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.3}"));
    let _ = writeln!(
        out,
        "{}: {} flows in file order ({} rows rejected), {} scored after the warm-up, {} fits, {} flagged",
        r.file, r.rows, r.rejected, r.scored, r.refits, r.flagged
    );
    let _ = writeln!(
        out,
        "prequential consensus: ROC-AUC {}, PR-AUC {}; {:.0} flows/s including refits",
        cell(r.roc_auc),
        cell(r.pr_auc),
        r.rows_per_s
    );
    out
}
