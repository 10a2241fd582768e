//! `flowtop bench parse`: end-to-end parsing throughput (read, split, detect, decode) of one
//! file, best and median of several runs, so it can be set beside `wc -l` and pandas.

use std::time::Instant;

use serde::Serialize;

use flowtop::flows::ingest::{IngestError, read_all};
use flowtop::flows::schema::DetectOptions;
use flowtop::flows::source::Input;

#[derive(Debug, Clone, Serialize)]
pub struct ParseBench {
    pub file: String,
    pub bytes: u64,
    pub rows: u64,
    pub rejected: u64,
    pub runs_s: Vec<f64>,
    pub best_s: f64,
    pub median_s: f64,
    pub rows_per_s: f64,
    pub mb_per_s: f64,
}

pub fn parse(input: &Input, opts: &DetectOptions, runs: usize) -> Result<ParseBench, IngestError> {
    let mut times = Vec::new();
    let mut rows = 0;
    let mut rejected = 0;
    let mut bytes = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let mut checksum = 0.0f64;
        let summary = read_all(input, opts, |f| {
            checksum += f.values.first().copied().unwrap_or(0.0);
        })?;
        times.push(start.elapsed().as_secs_f64());
        std::hint::black_box(checksum);
        rows = summary.counts.rows;
        rejected = summary.counts.rejected;
        bytes = summary.source.offset;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let best = sorted[0];
    let median = sorted[sorted.len() / 2];
    Ok(ParseBench {
        file: input.display_name(),
        bytes,
        rows,
        rejected,
        runs_s: times,
        best_s: best,
        median_s: median,
        rows_per_s: rows as f64 / best.max(1e-9),
        mb_per_s: bytes as f64 / 1e6 / best.max(1e-9),
    })
}

/// One line: rows, rejects, size, best and median time, rates.
pub fn render_text(r: &ParseBench) -> String {
    format!(
        "{}: {} rows ({} rejected), {:.1} MB in {:.3} s (best of {}; median {:.3} s): {:.0} rows/s, {:.1} MB/s\n",
        r.file,
        r.rows,
        r.rejected,
        r.bytes as f64 / 1e6,
        r.best_s,
        r.runs_s.len(),
        r.median_s,
        r.rows_per_s,
        r.mb_per_s
    )
}
