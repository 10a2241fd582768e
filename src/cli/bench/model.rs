//! `flowtop bench model`: how fast the model set refits and scores. The window is the first
//! `window` flows of the file (cycled when the file is shorter); scoring runs over every flow
//! of the file, end to end and per stage, best of several runs.

use flowtop::learn::detect::Cancel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use flowtop::flows::schema::{DetectOptions, FlowRecord};
use flowtop::flows::source::Input;
use flowtop::learn::eval::read_flows;
use flowtop::learn::model::{FitOptions, ModelSet};
use flowtop::progress::Progress;

#[derive(Debug, Clone, Serialize)]
pub struct StageSpeed {
    pub stage: String,
    pub rows_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelBench {
    pub file: String,
    /// Rows of the file that could not be read.
    pub rejected: u64,
    pub window: usize,
    pub scored_rows: usize,
    /// Best wall time of a full refit (pipeline, all detectors, consensus).
    pub refit_s: f64,
    pub refit_runs_s: Vec<f64>,
    /// Fit seconds per detector in the best refit (they run side by side on the cores).
    pub detector_fit_s: Vec<(String, f64)>,
    /// End to end (transform, every detector, consensus, cluster), then each stage alone.
    pub scoring: Vec<StageSpeed>,
    /// Milliseconds from calling a refit off to its fit returning, with the call made at
    /// 5 %, 15 %, … 95 % of the best refit's time.
    pub cancel_ms: Vec<f64>,
}

pub fn run(
    input: &Input,
    detect: &DetectOptions,
    fit: &FitOptions,
    window: usize,
    runs: usize,
) -> Result<ModelBench, String> {
    let (summary, rows) =
        read_flows(input, detect, &Progress::hidden()).map_err(|e| e.to_string())?;
    if rows.is_empty() {
        return Err(format!("{}: no flows", input.display_name()));
    }
    let train: Vec<&FlowRecord> = rows.iter().cycle().take(window).collect();
    let mut best: Option<ModelSet> = None;
    let mut refit_runs_s = Vec::new();
    for _ in 0..runs.max(1) {
        let m = ModelSet::fit(&summary.schema, &train, fit, &|_| {}, &Cancel::default())
            .map_err(|e| e.to_string())?;
        refit_runs_s.push(m.fit_s);
        if best.as_ref().is_none_or(|b| m.fit_s < b.fit_s) {
            best = Some(m);
        }
    }
    let Some(model) = best else {
        return Err("no refit ran".into());
    };
    let cancel_ms = cancel_latency(&summary.schema, &train, fit, model.fit_s);
    let all: Vec<&FlowRecord> = rows.iter().collect();
    let n = all.len() as f64;
    let best_of = |f: &mut dyn FnMut()| {
        (0..runs.max(1))
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut scoring = Vec::new();
    let s = best_of(&mut || {
        std::hint::black_box(model.score(&all));
    });
    scoring.push(StageSpeed {
        stage: "consensus (end to end)".into(),
        rows_per_s: n / s,
    });
    let x = model.pipeline.transform(&all);
    let s = best_of(&mut || {
        std::hint::black_box(model.pipeline.transform(&all));
    });
    scoring.push(StageSpeed {
        stage: "feature pipeline".into(),
        rows_per_s: n / s,
    });
    for d in &model.detectors.detectors {
        if let Some(m) = &d.model {
            let s = best_of(&mut || {
                std::hint::black_box(m.score(x.view()));
            });
            scoring.push(StageSpeed {
                stage: d.kind.name().into(),
                rows_per_s: n / s,
            });
        }
    }
    Ok(ModelBench {
        file: input.display_name(),
        rejected: summary.counts.rejected,
        window,
        scored_rows: all.len(),
        refit_s: model.fit_s,
        refit_runs_s,
        detector_fit_s: model
            .detectors
            .detectors
            .iter()
            .map(|d| (d.kind.name().to_string(), d.fit_s))
            .collect(),
        scoring,
        cancel_ms,
    })
}

/// How long a refit takes to stop once called off: the fit runs on rayon's pool (as a
/// background refit runs on a pool) and is cancelled after a share of `fit_s`.
fn cancel_latency(
    schema: &flowtop::flows::schema::Schema,
    train: &[&FlowRecord],
    fit: &FitOptions,
    fit_s: f64,
) -> Vec<f64> {
    let window: Arc<Vec<FlowRecord>> = Arc::new(train.iter().map(|f| (*f).clone()).collect());
    (0..10)
        .filter_map(|step| {
            let (schema, window, opts) = (schema.clone(), window.clone(), fit.clone());
            let cancel = Cancel::default();
            let token = cancel.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            rayon::spawn(move || {
                let refs: Vec<&FlowRecord> = window.iter().collect();
                let _ = ModelSet::fit(&schema, &refs, &opts, &|_| {}, &token);
                let _ = tx.send(Instant::now());
            });
            std::thread::sleep(Duration::from_secs_f64(
                fit_s * (0.05 + 0.1 * f64::from(step)),
            ));
            let called_off = Instant::now();
            cancel.cancel();
            let ended = rx.recv().ok()?;
            Some(ended.saturating_duration_since(called_off).as_secs_f64() * 1000.0)
        })
        .collect()
}

pub fn render_text(b: &ModelBench) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: ({} rows rejected) full refit on a {}-flow window: {:.2} s (best of {}); per detector (side by side on the cores):",
        b.file,
        b.rejected,
        b.window,
        b.refit_s,
        b.refit_runs_s.len()
    );
    for (k, s) in &b.detector_fit_s {
        let _ = writeln!(out, "  {k:<12} {s:>6.2} s");
    }
    let _ = writeln!(
        out,
        "scoring {} flows (best of {}):",
        b.scored_rows,
        b.refit_runs_s.len()
    );
    for s in &b.scoring {
        let _ = writeln!(out, "  {:<24} {:>10.0} rows/s", s.stage, s.rows_per_s);
    }
    let mut ms = b.cancel_ms.clone();
    ms.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (ms.first(), ms.last()) {
        let _ = writeln!(
            out,
            "a refit called off at 5 %, 15 %, … 95 % of its time stopped within {lo:.0}–{hi:.0} ms (median {:.0} ms)",
            ms[ms.len() / 2]
        );
    }
    out
}
