//! Forecast: the chosen series (flows, bytes, packets, distinct sources / destinations or
//! anomalies per bucket, switched with left / right) with the automatic ARIMA's forecast and
//! 95 % band; order and AIC in the title.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::MIN_FORECAST_BUCKETS;
use crate::monitor::app::{Pane, SeriesKind};
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{count, series_value, time};
use crate::monitor::ui::plot::{Plot, PlotSeries};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let series = ctx.app.series;
    let fc = ctx
        .view
        .forecasts
        .as_ref()
        .and_then(|(_, f)| f.get(series.index()).cloned());
    let model = match &fc {
        Some(Ok(f)) => match (f.order, f.aic) {
            (Some([p, d, q]), Some(aic)) => format!(" ARIMA({p},{d},{q}) AIC {aic:.0}"),
            _ => " last value".into(),
        },
        _ => String::new(),
    };
    // Series first: the title is cut from the right on narrow panes.
    let detail = format!(
        "{}/{}{model}",
        series.name(),
        crate::monitor::ui::display::duration(s.bucket_s)
    );
    let detail = if ctx.app.profile_tab {
        format!("[profile] {}", series.name())
    } else {
        detail
    };
    let block = ctx.pane_block(Pane::Forecast, detail);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    if ctx.app.profile_tab {
        super::profile::render(frame, inner, ctx);
        return;
    }
    let n = s.closed_buckets;
    let ready = n >= MIN_FORECAST_BUCKETS;
    let missing = series.missing(&s.seen);
    let mut state = match (missing, &fc) {
        (Some(why), _) => format!("{series}: {why}"),
        _ if !ready => warm_up(ctx, n),
        (None, None) => format!("forecast: fitting on {n} buckets…"),
        (None, Some(Err(e))) => format!("forecast: {e}"),
        (None, Some(Ok(f))) => {
            let mut text = format!(
                "{} buckets ahead{}, fitted in {:.0} ms",
                f.steps.len(),
                if f.constant { ", with constant" } else { "" },
                f.fit_ms
            );
            for note in &f.notes {
                text.push_str("; ");
                text.push_str(note);
            }
            text
        }
    };
    if s.late_rows > 0 {
        state.push_str(&format!(
            "; {} late rows past the {} window",
            count(s.late_rows as f64),
            crate::monitor::ui::display::duration(s.lateness_s)
        ));
    }
    let [status, legend, sequence, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(sequence_line(ctx, sequence.width as usize)),
        sequence,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(state, ctx.style(Slot::Muted))),
        status,
    );
    let glyph = ctx.glyph("•", "*");
    let fglyph = ctx.glyph("◆", "+");
    let bglyph = ctx.glyph("┄", "-");
    let mut spans = vec![
        Span::styled(format!("{glyph} history "), ctx.style(Slot::Series)),
        Span::styled(format!("{fglyph} forecast "), ctx.style(Slot::Forecast)),
        Span::styled(format!("{bglyph} 95% "), ctx.style(Slot::ForecastBand)),
        Span::raw(" "),
    ];
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let all: usize = SeriesKind::ALL.iter().map(|k| k.name().len() + 1).sum();
    if used + all <= legend.width as usize {
        for k in SeriesKind::ALL {
            let style = if k == series {
                ctx.style(Slot::Selection)
            } else {
                ctx.style(Slot::Muted)
            };
            spans.push(Span::styled(k.name(), style));
            spans.push(Span::raw(" "));
        }
    } else {
        // Narrow panes: the chosen series and its place among them.
        spans.push(Span::styled(series.name(), ctx.style(Slot::Selection)));
        spans.push(Span::styled(
            format!(" {}/{} ←→", series.index() + 1, SeriesKind::ALL.len()),
            ctx.style(Slot::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), legend);
    let history: Vec<(f64, f64)> = s.series.iter().map(|b| (b.start, series.of(b))).collect();
    if history.is_empty() || missing.is_some() {
        return;
    }
    let (mut mean, mut band) = (Vec::new(), Vec::new());
    if let Some(Ok(f)) = &fc
        && ready
    {
        // The steps over buckets still open for late rows overlap the history shown: the
        // forecast is drawn from the newest bucket on, to the right of everything seen.
        let newest = history.last().map_or(f64::NEG_INFINITY, |p| p.0);
        for (i, st) in f.steps.iter().enumerate() {
            let t = f.start + i as f64 * f.bucket_s;
            if t <= newest {
                continue;
            }
            mean.push((t, st.mean));
            // Counts cannot go below zero: the band is drawn from zero up.
            band.push((t, st.lo.max(0.0)));
            band.push((t, st.hi));
        }
    }
    let first = history.first().map_or(0.0, |p| p.0);
    let last = mean.last().or(history.last()).map_or(0.0, |p| p.0);
    let plot = Plot {
        series: vec![
            PlotSeries {
                points: &band,
                glyph: bglyph,
                style: ctx.style(Slot::ForecastBand),
            },
            PlotSeries {
                points: &history,
                glyph,
                style: ctx.style(Slot::Series),
            },
            PlotSeries {
                points: &mean,
                glyph: fglyph,
                style: ctx.style(Slot::Forecast),
            },
        ],
        y_format: series_value(series),
        x_labels: [time(first), time(last)],
        label_style: ctx.style(Slot::Muted),
    };
    frame.render_widget(plot, chart);
}

/// Calibrated window scores from which each sparkline level starts: only the tail stands out
/// (half of all windows score above 0.5 by construction).
const LEVELS: [f64; 8] = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999];

/// When the first forecast will come, in wall time where the pace is known: each bucket
/// closes once flow time passes its end plus the lateness window, and flow time runs at the
/// replay speed (×1 on a live source).
fn warm_up(ctx: &ViewCtx, closed: usize) -> String {
    let s = &ctx.view.snapshot;
    let need = MIN_FORECAST_BUCKETS.saturating_sub(closed);
    let flow_s = need as f64 * s.bucket_s + if closed == 0 { s.lateness_s } else { 0.0 };
    let speed = match ctx.view.ingest.as_ref().map(|i| (i.speed, i.paused)) {
        _ if !ctx.view.replay => Some(1.0),
        Some((_, true)) => None,
        Some((crate::flows::source::replay::Speed::Factor(f), false)) => Some(f),
        _ => None,
    };
    if ctx.view.finished {
        return format!(
            "forecast needs {MIN_FORECAST_BUCKETS} buckets; the input ended after {closed}"
        );
    }
    match speed {
        Some(f) if f > 0.0 => format!(
            "forecast in ~{} ({closed} of {MIN_FORECAST_BUCKETS} buckets)",
            crate::monitor::ui::display::duration(flow_s / f)
        ),
        _ => format!("forecast after {need} more buckets ({closed} of {MIN_FORECAST_BUCKETS})"),
    }
}

/// The LSTM autoencoder's signal in one row: the latest windows' scores as a sparkline, the
/// newest score, and the highest with its time and the series that drove it.
fn sequence_line<'a>(ctx: &ViewCtx, width: usize) -> Line<'a> {
    let label = Span::styled("sequence ", ctx.style(Slot::Muted));
    let v = match ctx.view.sequence.as_deref() {
        None => {
            return Line::from(vec![
                label,
                Span::styled(
                    "LSTM autoencoder: waiting for buckets",
                    ctx.style(Slot::Muted),
                ),
            ]);
        }
        Some(Err(e)) => {
            return Line::from(vec![
                label,
                Span::styled(format!("LSTM autoencoder: {e}"), ctx.style(Slot::Muted)),
            ]);
        }
        Some(Ok(v)) => v,
    };
    let Some(&(_, last, _)) = v.scores.last() else {
        return Line::from(label);
    };
    let glyphs: &[&str] = if ctx.ascii {
        &["_", ".", ":", "-", "=", "+", "*", "#"]
    } else {
        &["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    };
    let (t_max, max, top) = v
        .scores
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0.0, 0.0, ""));
    // Most important first; each part only if the sparkline keeps a dozen cells.
    let parts = [
        format!(" now {last:.2}"),
        format!(", peak {max:.3} at {} in {top}", time(t_max)),
        format!(
            " (autoencoder over {} buckets of {})",
            v.window,
            crate::monitor::ui::display::duration(v.bucket_s)
        ),
    ];
    let head = label.width();
    let mut tail = String::new();
    for p in parts {
        if head + tail.chars().count() + p.chars().count() + 12 > width {
            break;
        }
        tail.push_str(&p);
    }
    let room = width.saturating_sub(head + tail.chars().count()).max(1);
    let recent = &v.scores[v.scores.len().saturating_sub(room)..];
    let mut spans = vec![label];
    for &(_, score, _) in recent {
        let level = LEVELS.iter().rposition(|l| score >= *l).unwrap_or(0);
        let style = if score >= 0.99 {
            ctx.style(Slot::AnomalyHigh)
        } else {
            ctx.style(Slot::Series)
        };
        spans.push(Span::styled(glyphs[level], style));
    }
    spans.push(Span::raw(tail));
    Line::from(spans)
}
