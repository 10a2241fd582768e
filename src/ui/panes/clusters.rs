//! Clusters: per-cluster live statistics and the quality indices of the current clustering.
//! Enter on a row filters the feed to that cluster.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use crate::app::Pane;
use crate::ui::ViewCtx;
use crate::ui::format::{bytes, count, duration, opt};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"));
    let detail = if s.clusters.is_empty() {
        String::new()
    } else {
        format!(
            "k={} silhouette {} DB {} CH {}",
            s.clusters.len(),
            f(s.silhouette),
            f(s.davies_bouldin),
            s.calinski_harabasz.map_or("–".into(), count)
        )
    };
    let block = ctx.pane_block(Pane::Clusters, detail);
    if s.clusters.is_empty() {
        let why = match &ctx.view.snapshot.model {
            crate::engine::ModelState::Ready => "no clustering in this model set (kmeans is off)",
            _ => "clusters appear once the first model is fitted",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, ctx.style("muted"))).block(block),
            area,
        );
        return;
    }
    let header = Row::new([
        "#", "flows", "share", "duration", "bytes", "packets", "anom",
    ])
    .style(ctx.style("title"));
    let rows = s.clusters.iter().map(|c| {
        let rate = format!("{:.1}%", 100.0 * c.anomaly_rate);
        let style = if c.anomaly_rate >= 0.2 {
            ctx.style("anomaly-high")
        } else if c.anomaly_rate >= 0.05 {
            ctx.style("anomaly-medium")
        } else {
            ctx.style("text")
        };
        Row::new([
            c.cluster.to_string(),
            count(c.size as f64),
            format!("{:.1}%", 100.0 * c.share),
            opt(c.mean_duration, duration),
            opt(c.mean_bytes, bytes),
            opt(c.mean_packets, count),
            rate,
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(2),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(6),
    ];
    let focused = ctx.app.focus == Pane::Clusters;
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(ctx.style("selection"))
        .highlight_symbol(ctx.glyph("▶", ">"));
    let mut state = TableState::default().with_selected(focused.then_some(ctx.app.cluster_row));
    frame.render_stateful_widget(table, area, &mut state);
}
