//! `/metrics` in the Prometheus text exposition format (version 0.0.4): names prefixed
//! `flowtop_`, counters ending in `_total`, units in the name (`_seconds`, `_bytes`), label
//! values escaped as the format asks (backslash, double quote, newline).

use std::fmt::Write as _;

use crate::engine::ModelState;
use crate::engine::SeriesKind;
use crate::engine::runner::LiveView;
use crate::learn::threat::Level;

/// One metric family: its help, type and samples (labels, value).
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    fn new(name: &'static str, kind: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }

    fn one(mut self, value: f64) -> Family {
        self.samples.push((Vec::new(), value));
        self
    }

    fn with(mut self, labels: Vec<(&'static str, String)>, value: f64) -> Family {
        self.samples.push((labels, value));
        self
    }
}

/// A label value as the text format wants it.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() || crate::sanitize::is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// The metrics of one view.
pub fn render(v: &LiveView) -> String {
    let s = &v.snapshot;
    let c = &s.counters;
    let source = || vec![("source", v.source.clone())];
    let mut families = vec![
        Family::new(
            "flowtop_flows_total",
            "counter",
            "Flows read from the source.",
        )
        .with(source(), c.flows as f64),
        Family::new(
            "flowtop_rejected_rows_total",
            "counter",
            "Rows of the source that could not be read as flows.",
        )
        .with(
            source(),
            v.ingest.as_ref().map_or(0.0, |i| i.rejected as f64),
        ),
        Family::new(
            "flowtop_flagged_flows_total",
            "counter",
            "Flows the consensus flagged.",
        )
        .one(c.flagged as f64),
        Family::new(
            "flowtop_ingest_lag_bytes",
            "gauge",
            "Bytes written to the followed file and not read yet.",
        )
        .with(
            source(),
            v.ingest
                .as_ref()
                .map_or(0.0, |i| i.source.lag_bytes() as f64),
        ),
        Family::new(
            "flowtop_flows_per_second",
            "gauge",
            "Flows read per second, recently.",
        )
        .one(v.flows_per_s),
        Family::new(
            "flowtop_model_ready",
            "gauge",
            "1 once a model is fitted or loaded.",
        )
        .one(f64::from(u8::from(s.model == ModelState::Ready))),
        Family::new(
            "flowtop_model_generation",
            "gauge",
            "Models installed since start (the first fit is 1).",
        )
        .one(s.generation as f64),
        Family::new(
            "flowtop_refits_total",
            "counter",
            "Models installed after the first.",
        )
        .one(s.generation.saturating_sub(1) as f64),
        Family::new(
            "flowtop_model_age_flows",
            "gauge",
            "Flows scored since the model in use was fitted.",
        )
        .one(s.model_age_flows as f64),
    ];
    let mut alerts = Family::new(
        "flowtop_alerts_total",
        "counter",
        "Alerts (flagged or classified as attacks) by threat level.",
    );
    for (level, n) in [Level::Low, Level::Medium, Level::High]
        .into_iter()
        .zip(c.alerts_by_level)
    {
        alerts = alerts.with(vec![("level", level.name().to_ascii_lowercase())], n as f64);
    }
    families.push(alerts);
    families.push(
        Family::new(
            "flowtop_alerts_delivered_total",
            "counter",
            "Alerts written to the alert outputs (--alerts-out, --syslog).",
        )
        .one(v.alerts_delivered as f64),
    );
    families.push(
        Family::new(
            "flowtop_alert_delivery_failures_total",
            "counter",
            "Alerts whose write to an alert output failed (dropped).",
        )
        .one(v.alerts_failed as f64),
    );
    if let Some(t) = s.trained_at {
        let age = crate::learn::model::now_s() - t;
        families.push(
            Family::new(
                "flowtop_model_age_seconds",
                "gauge",
                "Seconds since the model in use was fitted.",
            )
            .one(age.max(0.0)),
        );
    }
    if let Some(fit_s) = s.fit_s {
        families.push(
            Family::new(
                "flowtop_refit_duration_seconds",
                "gauge",
                "How long the fit of the model in use took.",
            )
            .one(fit_s),
        );
    }
    let mut weight = Family::new(
        "flowtop_detector_weight",
        "gauge",
        "Weight of each detector in the consensus.",
    );
    let mut up = Family::new(
        "flowtop_detector_up",
        "gauge",
        "1 when the detector is fitted and votes, 0 when it failed or sits out.",
    );
    for d in &s.detectors {
        let l = || vec![("detector", d.kind.name().to_string())];
        weight = weight.with(l(), d.weight);
        up = up.with(l(), f64::from(u8::from(d.ready && !d.sits_out)));
    }
    families.extend([weight, up]);
    if let Some((_, fc)) = &v.forecasts {
        let mut order = Family::new(
            "flowtop_forecast_order",
            "gauge",
            "ARIMA order (p, d, q) of each series' forecast.",
        );
        let mut width = Family::new(
            "flowtop_forecast_interval_width",
            "gauge",
            "Width of the next bucket's 95 % forecast interval, in the series' unit.",
        );
        for kind in SeriesKind::ALL {
            let Some(Ok(f)) = fc.get(kind.index()) else {
                continue;
            };
            if let Some([p, d, q]) = f.order {
                for (part, n) in [("p", p), ("d", d), ("q", q)] {
                    order = order.with(
                        vec![("series", kind.name().into()), ("part", part.into())],
                        n as f64,
                    );
                }
            }
            if let Some(step) = f.steps.first() {
                width = width.with(vec![("series", kind.name().into())], step.hi - step.lo);
            }
        }
        families.extend([order, width]);
    }
    if let Some(rss) = resident_bytes() {
        families.push(
            Family::new(
                "flowtop_resident_memory_bytes",
                "gauge",
                "Resident set size of the process.",
            )
            .one(rss),
        );
    }
    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for (labels, value) in &f.samples {
            let _ = write!(out, "{}", f.name);
            if !labels.is_empty() {
                let inner: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", inner.join(","));
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
    out
}

/// Resident set size from /proc (`None` elsewhere).
pub fn resident_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024.0)
}
