//! `flowtop bench soak`: millions of flows through the monitor's engine without a terminal,
//! with the resident memory sampled as it goes, to show that memory stays bounded however long
//! the monitor runs. The file's flows are cycled; each pass moves their times on by the file's
//! span (the series keeps advancing, as a live log does) and gives every flow a source
//! address never seen before (host counters and interned text must stay bounded too).

use std::time::Instant;

use serde::Serialize;

use flowtop::engine::{Engine, EngineConfig};
use flowtop::flows::ingest::read_all;
use flowtop::flows::schema::{DetectOptions, FlowRecord, Text};
use flowtop::flows::source::Input;

#[derive(Debug, Serialize)]
pub struct SoakBench {
    pub file: String,
    pub flows: u64,
    pub seconds: f64,
    pub flows_per_s: f64,
    pub refits: u64,
    /// (flows so far, resident MB) at each sample.
    pub rss_mb: Vec<(u64, f64)>,
    pub peak_rss_mb: f64,
    /// Largest resident size in the second half of the run over the largest in the first:
    /// close to 1 when memory stopped growing.
    pub late_over_early: f64,
}

/// Resident set size in MB (`None` where /proc is not).
pub fn rss_mb() -> Option<f64> {
    flowtop::serve::metrics::resident_bytes().map(|b| b / (1024.0 * 1024.0))
}

pub fn run(input: &Input, opts: &DetectOptions, total: u64) -> Result<SoakBench, String> {
    let mut base: Vec<FlowRecord> = Vec::new();
    let summary = read_all(input, opts, |f| {
        if base.len() < 50_000 {
            base.push(f);
        }
    })
    .map_err(|e| e.to_string())?;
    if base.is_empty() {
        return Err(format!("{}: no flows", input.display_name()));
    }
    let times = base.iter().filter_map(|f| f.ts);
    let (lo, hi) = times.fold((f64::MAX, f64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let span = if hi > lo { hi - lo + 1.0 } else { 1.0 };
    let cfg = EngineConfig {
        warmup: 1000,
        backlog: 20_000,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(summary.schema, cfg);
    let start = Instant::now();
    let mut done = 0u64;
    let mut samples = Vec::new();
    let every = (total / 40).max(10_000);
    let mut next_sample = every;
    'outer: for pass in 0u64.. {
        for chunk in base.chunks(1024) {
            let batch: Vec<FlowRecord> = chunk
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut f = f.clone();
                    f.ts = f.ts.map(|t| t + span * pass as f64);
                    let n = done + i as u64;
                    f.meta.src = Some(Text::counted(&format!(
                        "10.{}.{}.{}",
                        (n >> 16) & 255,
                        (n >> 8) & 255,
                        n & 255
                    )));
                    f
                })
                .collect();
            done += batch.len() as u64;
            engine.ingest(batch);
            if done >= next_sample {
                // What the monitor does between frames: a snapshot of everything shown.
                let _ = engine.snapshot();
                samples.push((done, rss_mb().unwrap_or(f64::NAN)));
                next_sample += every;
            }
            if done >= total {
                break 'outer;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let peak = samples.iter().map(|s| s.1).fold(0.0, f64::max);
    let half = samples.len() / 2;
    let max_of = |s: &[(u64, f64)]| s.iter().map(|x| x.1).fold(0.0, f64::max);
    Ok(SoakBench {
        file: input.display_name(),
        flows: done,
        seconds,
        flows_per_s: done as f64 / seconds,
        refits: engine.snapshot().generation,
        late_over_early: max_of(&samples[half..]) / max_of(&samples[..half]).max(f64::MIN_POSITIVE),
        peak_rss_mb: peak,
        rss_mb: samples,
    })
}

pub fn render_text(b: &SoakBench) -> String {
    let mut o = format!(
        "{}: {} flows through the engine in {:.1} s ({:.0} flows/s), {} models fitted\n",
        b.file, b.flows, b.seconds, b.flows_per_s, b.refits
    );
    o.push_str(&format!(
        "resident memory: peak {:.0} MB; largest in the second half / first half = {:.2}\n",
        b.peak_rss_mb, b.late_over_early
    ));
    for (n, mb) in &b.rss_mb {
        o.push_str(&format!("  {n:>10} flows  {mb:>7.1} MB\n"));
    }
    o
}
