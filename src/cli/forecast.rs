//! `flowtop forecast`: buckets a file's flows by their own time, fits the automatic ARIMA on all
//! but the last `horizon` buckets, and scores the forecast against that held-out tail next to
//! a naive last-value forecast.

use serde::Serialize;

use std::collections::HashSet;

use flowtop::engine::{Sample, Seen, SeriesKind};
use flowtop::flows::ingest::read_all;
use flowtop::flows::schema::{DetectOptions, FlowRecord};
use flowtop::flows::source::Input;
use flowtop::learn::forecast::{Step, auto_forecast};
use flowtop::learn::model::ModelSet;

#[derive(Debug, Serialize)]
pub struct Point {
    pub t: f64,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub actual: f64,
}

#[derive(Debug, Serialize)]
pub struct ForecastReport {
    pub file: String,
    /// Rows that could not be read, and flows kept without a believable timestamp.
    pub rejected: u64,
    pub suspect_times: u64,
    pub series: String,
    pub bucket_s: f64,
    pub buckets: usize,
    pub order: Option<[usize; 3]>,
    pub constant: Option<bool>,
    pub aic: Option<f64>,
    pub fits: usize,
    /// The whole automatic fit (order search included); the median over `runs` fits.
    pub fit_ms: f64,
    pub fit_ms_best: f64,
    pub runs: usize,
    pub rmse: f64,
    pub mape: Option<f64>,
    pub coverage: f64,
    pub naive_rmse: f64,
    pub notes: Vec<String>,
    pub forecast: Vec<Point>,
}

/// Most buckets a forecast is asked to fit: a million already takes the order search minutes.
pub const MAX_BUCKETS: usize = 1_000_000;

/// The bucket grid of `times`: bucket index = floor(t / width) − the first one; every bucket
/// from the first to the last is present. Returns the first bucket's index and the count, or
/// why the span cannot be bucketed at this width.
fn grid(
    times: impl Iterator<Item = f64> + Clone,
    width: f64,
) -> Result<Option<(f64, usize)>, String> {
    let index = |t: f64| (t / width).floor();
    let Some(min) = times.clone().map(index).reduce(f64::min) else {
        return Ok(None);
    };
    let max = times.map(index).fold(min, f64::max);
    let count = max - min + 1.0;
    if !count.is_finite() || count > MAX_BUCKETS as f64 {
        let span = (max - min) * width;
        return Err(format!(
            "the flows span {span:.0} s: at {width} s per bucket that is more than {MAX_BUCKETS} buckets; \
             use a wider --bucket (at least {:.0} s)",
            (span / MAX_BUCKETS as f64).ceil().max(1.0)
        ));
    }
    Ok(Some((min, count as usize)))
}

/// Sums per bucket, on `grid`; returns the first bucket's start time and the sums.
pub fn bucketize(points: &[(f64, f64)], width: f64) -> Result<(f64, Vec<f64>), String> {
    let Some((min, len)) = grid(points.iter().map(|p| p.0), width)? else {
        return Ok((0.0, Vec::new()));
    };
    let mut out = vec![0.0; len];
    for (t, v) in points {
        out[((t / width).floor() - min) as usize] += v;
    }
    Ok((min * width, out))
}

/// Distinct values per bucket (exact: this is a one-off pass over a file), on `grid`.
pub fn distinct_per_bucket(points: &[(f64, &str)], width: f64) -> Result<(f64, Vec<f64>), String> {
    let Some((min, len)) = grid(points.iter().map(|p| p.0), width)? else {
        return Ok((0.0, Vec::new()));
    };
    let mut sets: Vec<HashSet<&str>> = vec![HashSet::new(); len];
    for (t, v) in points {
        sets[((t / width).floor() - min) as usize].insert(v);
    }
    Ok((min * width, sets.iter().map(|s| s.len() as f64).collect()))
}

pub fn run(
    input: &Input,
    opts: &DetectOptions,
    series: SeriesKind,
    bucket_s: f64,
    horizon: usize,
    runs: usize,
) -> Result<ForecastReport, String> {
    let mut flows: Vec<FlowRecord> = Vec::new();
    let summary = read_all(input, opts, |f| flows.push(f)).map_err(|e| e.to_string())?;
    let timed = flows.iter().filter(|f| f.ts.is_some()).count();
    if timed == 0 {
        return Err(format!(
            "{}: the flows carry no timestamps; a forecast needs them (map one with --map timestamp=COLUMN)",
            input.display_name()
        ));
    }
    let mut seen = Seen::default();
    for f in &flows {
        seen.note(&Sample::of(f, false));
    }
    if let Some(why) = series.missing(&seen) {
        return Err(format!("{}: {why}", input.display_name()));
    }
    let flagged: Option<Vec<bool>> = if series == SeriesKind::Anomalies {
        let train: Vec<&FlowRecord> = flows.iter().take(20_000).collect();
        let model = ModelSet::fit_default(&summary.schema, &train).map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(flows.len());
        for chunk in flows.chunks(4096) {
            let refs: Vec<&FlowRecord> = chunk.iter().collect();
            out.extend(model.score(&refs).verdicts.iter().map(|v| v.flagged));
        }
        Some(out)
    } else {
        None
    };
    let (start, y) = match series {
        SeriesKind::Sources | SeriesKind::Destinations => {
            let hosts: Vec<(f64, &str)> = flows
                .iter()
                .filter_map(|f| {
                    let host = if series == SeriesKind::Sources {
                        &f.meta.src
                    } else {
                        &f.meta.dst
                    };
                    Some((f.ts?, host.as_deref()?))
                })
                .collect();
            distinct_per_bucket(&hosts, bucket_s)
                .map_err(|e| format!("{}: {e}", input.display_name()))?
        }
        _ => {
            let points: Vec<(f64, f64)> = flows
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    let v = match series {
                        SeriesKind::Bytes => f.core.bytes.unwrap_or(0.0),
                        SeriesKind::Packets => f.core.packets.unwrap_or(0.0),
                        SeriesKind::Anomalies => f64::from(u8::from(flagged.as_ref()?[i])),
                        _ => 1.0,
                    };
                    Some((f.ts?, v))
                })
                .collect();
            bucketize(&points, bucket_s).map_err(|e| format!("{}: {e}", input.display_name()))?
        }
    };
    if y.len() <= horizon + 8 {
        return Err(format!(
            "{} buckets of {bucket_s} s: too few to hold out {horizon} and fit the rest",
            y.len()
        ));
    }
    let (train, test) = y.split_at(y.len() - horizon);
    let f = auto_forecast(train, horizon, 30).map_err(|e| e.to_string())?;
    let mut times = vec![f.fit_ms];
    for _ in 1..runs {
        let again = auto_forecast(train, horizon, 30).map_err(|e| e.to_string())?;
        times.push(again.fit_ms);
    }
    times.sort_by(f64::total_cmp);
    let fit_ms = times[times.len() / 2];
    let fit_ms_best = times[0];
    let err = |pred: &dyn Fn(usize) -> f64| {
        (test
            .iter()
            .enumerate()
            .map(|(i, a)| (pred(i) - a).powi(2))
            .sum::<f64>()
            / horizon as f64)
            .sqrt()
    };
    let steps: &[Step] = &f.steps;
    let rmse = err(&|i| steps[i].mean);
    let last = *train.last().unwrap_or(&0.0);
    let naive_rmse = err(&|_| last);
    let nonzero: Vec<(f64, f64)> = steps
        .iter()
        .zip(test)
        .filter(|(_, a)| **a != 0.0)
        .map(|(s, a)| (s.mean, *a))
        .collect();
    let mape = (!nonzero.is_empty()).then(|| {
        100.0
            * nonzero
                .iter()
                .map(|(p, a)| ((p - a) / a).abs())
                .sum::<f64>()
            / nonzero.len() as f64
    });
    let covered = steps
        .iter()
        .zip(test)
        .filter(|(s, a)| s.lo <= **a && **a <= s.hi)
        .count();
    Ok(ForecastReport {
        file: input.display_name(),
        rejected: summary.counts.rejected,
        suspect_times: summary.counts.suspect_times,
        series: series.name().into(),
        bucket_s,
        buckets: y.len(),
        order: f.model.as_ref().map(|m| [m.p, m.d, m.q]),
        constant: f.model.as_ref().map(|m| m.constant),
        aic: f.model.as_ref().map(|m| m.aic),
        fits: f.fits,
        fit_ms,
        fit_ms_best,
        runs: times.len(),
        rmse,
        mape,
        coverage: covered as f64 / horizon as f64,
        naive_rmse,
        notes: f.notes.clone(),
        forecast: steps
            .iter()
            .zip(test)
            .enumerate()
            .map(|(i, (s, a))| Point {
                t: start + (train.len() + i) as f64 * bucket_s,
                mean: s.mean,
                lo: s.lo,
                hi: s.hi,
                actual: *a,
            })
            .collect(),
    })
}

pub fn render_text(r: &ForecastReport) -> String {
    let mut out = String::new();
    let order = match r.order {
        Some([p, d, q]) => format!(
            "ARIMA({p},{d},{q}){} AIC {:.1}",
            if r.constant == Some(true) {
                " with constant"
            } else {
                ""
            },
            r.aic.unwrap_or(f64::NAN)
        ),
        None => "no ARIMA (last value)".into(),
    };
    out.push_str(&format!(
        "{}: {} per {} s ({} rows rejected, {} flows without a believable time), {} buckets, last {} held out\n{order}: {} fits in {:.1} ms{}\n",
        r.file,
        r.series,
        r.bucket_s,
        r.rejected,
        r.suspect_times,
        r.buckets,
        r.forecast.len(),
        r.fits,
        r.fit_ms,
        if r.runs > 1 {
            format!(" (median of {} runs; best {:.1} ms)", r.runs, r.fit_ms_best)
        } else {
            String::new()
        }
    ));
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!(
        "RMSE {:.3} (naive last value {:.3}), MAPE {}, 95 % interval coverage {:.0} %\n",
        r.rmse,
        r.naive_rmse,
        r.mape.map_or("–".into(), |m| format!("{m:.1} %")),
        100.0 * r.coverage
    ));
    out.push_str("t\tactual\tforecast\tlo95\thi95\n");
    for p in &r.forecast {
        out.push_str(&format!(
            "{:.0}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\n",
            p.t, p.actual, p.mean, p.lo, p.hi
        ));
    }
    out
}

/// `flowtop forecast`: fits, scores on the held-out tail, prints.
pub fn command(
    a: &crate::cli::args::ForecastArgs,
    cfg: &crate::cli::config::Config,
) -> color_eyre::Result<()> {
    use color_eyre::eyre::eyre;
    let opts = crate::cli::detect_options(cfg, &a.input)?;
    if a.horizon == 0 {
        return Err(eyre!("--horizon must be at least 1"));
    }
    let r = run(
        &Input::parse(&a.file),
        &opts,
        a.series,
        a.bucket,
        a.horizon,
        a.runs,
    )
    .map_err(|e| eyre!(e))?;
    crate::cli::print_report(&r, a.json, render_text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_too_long_for_the_width_is_an_error_not_an_allocation() {
        let points = [(0.0, 1.0), (5e7, 1.0)];
        let e = bucketize(&points, 1.0).expect_err("50 million buckets");
        assert!(e.contains("use a wider --bucket (at least 50 s)"), "{e}");
        assert!(bucketize(&[(0.0, 1.0), (1.797e308, 1.0)], 60.0).is_err());
        let (start, y) = bucketize(&points, 100.0).expect("500,001 buckets");
        assert_eq!((start, y.len()), (0.0, 500_001));
    }
}
