//! Forecast: the history of the chosen series (flows, bytes or anomalies per bucket, switched
//! with left / right) and the state of the forecaster.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{Pane, SeriesKind};
use crate::engine::MIN_FORECAST_BUCKETS;
use crate::ui::ViewCtx;
use crate::ui::format::{bytes, count, time};
use crate::ui::plot::{Plot, PlotSeries};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let series = ctx.app.series;
    let unit = match series {
        SeriesKind::Bytes => "bytes",
        SeriesKind::Flows => "flows",
        SeriesKind::Anomalies => "anomalies",
    };
    let detail = format!(
        "{} per {} {}",
        unit,
        crate::ui::format::duration(s.bucket_s),
        ctx.glyph("◀ ▶", "< >")
    );
    let block = ctx.pane_block(Pane::Forecast, detail);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let n = s.series.len();
    let state = if n < MIN_FORECAST_BUCKETS {
        format!("forecast: not enough data yet ({n}/{MIN_FORECAST_BUCKETS} buckets)")
    } else {
        format!("no forecaster in this build ({n} buckets)")
    };
    let [status, legend, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let glyph = ctx.glyph("•", "*");
    frame.render_widget(
        Paragraph::new(Line::styled(state, ctx.style("muted"))),
        status,
    );
    let mut spans = vec![Span::styled(
        format!("{glyph} history   "),
        ctx.style("series"),
    )];
    for k in SeriesKind::ALL {
        let style = if k == series {
            ctx.style("selection")
        } else {
            ctx.style("muted")
        };
        spans.push(Span::styled(k.name(), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), legend);
    let points: Vec<(f64, f64)> = s
        .series
        .iter()
        .map(|b| {
            let y = match series {
                SeriesKind::Flows => b.flows as f64,
                SeriesKind::Bytes => b.bytes,
                SeriesKind::Anomalies => b.anomalies as f64,
            };
            (b.start, y)
        })
        .collect();
    if points.is_empty() {
        return;
    }
    let first = points.first().map_or(0.0, |p| p.0);
    let last = points.last().map_or(0.0, |p| p.0);
    let plot = Plot {
        series: vec![PlotSeries {
            points: &points,
            glyph,
            style: ctx.style("series"),
        }],
        y_format: if series == SeriesKind::Bytes {
            bytes
        } else {
            count
        },
        x_labels: [time(first), time(last)],
        label_style: ctx.style("muted"),
    };
    frame.render_widget(plot, chart);
}
