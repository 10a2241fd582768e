//! Clusters: per-cluster live statistics and the quality indices of the current clustering.
//! Enter on a row filters the feed to that cluster.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use crate::monitor::app::Pane;
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{bytes, count, duration, opt};

/// How well the clusters separate, in a word (silhouette: 1 apart, 0 overlapping).
fn separation(silhouette: Option<f64>) -> &'static str {
    match silhouette {
        Some(s) if s >= 0.5 => "well apart",
        Some(s) if s >= 0.25 => "overlapping",
        Some(_) => "weak structure",
        None => "",
    }
}

/// The columns by importance: a narrow pane keeps the first that fit (header, width).
const COLUMNS: [(&str, u16); 7] = [
    ("#", 2),
    ("flows", 6),
    ("anomalous", 9),
    ("share", 6),
    ("mean bytes", 10),
    ("duration", 8),
    ("packets", 7),
];

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let detail = if s.clusters.is_empty() {
        String::new()
    } else {
        match s.silhouette {
            Some(v) => format!(
                "{} groups, {} (silhouette {v:.2})",
                s.clusters.len(),
                separation(s.silhouette)
            ),
            None => format!("{} groups", s.clusters.len()),
        }
    };
    let block = ctx.pane_block(Pane::Clusters, detail);
    if s.clusters.is_empty() {
        let why = match &ctx.view.snapshot.model {
            crate::engine::ModelState::Ready => "no clustering in this model set (kmeans is off)",
            _ => "clusters appear once the first model is fitted",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, ctx.style(Slot::Muted))).block(block),
            area,
        );
        return;
    }
    // The highlight symbol takes one column; one space between columns.
    let room = area.width.saturating_sub(3);
    let mut used = 0;
    let shown: Vec<usize> = (0..COLUMNS.len())
        .take_while(|&i| {
            used += COLUMNS[i].1 + u16::from(i > 0);
            used <= room
        })
        .collect();
    let header = Row::new(shown.iter().map(|&i| COLUMNS[i].0)).style(ctx.style(Slot::Title));
    let rows = s.clusters.iter().map(|c| {
        let style = if c.anomaly_rate >= 0.2 {
            ctx.style(Slot::AnomalyHigh)
        } else if c.anomaly_rate >= 0.05 {
            ctx.style(Slot::AnomalyMedium)
        } else {
            ctx.style(Slot::Text)
        };
        let cell = |i: usize| match i {
            0 => c.cluster.to_string(),
            1 => count(c.size as f64),
            2 => format!("{:.1}%", 100.0 * c.anomaly_rate),
            3 => format!("{:.1}%", 100.0 * c.share),
            4 => opt(c.mean_bytes, bytes),
            5 => opt(c.mean_duration, duration),
            _ => opt(c.mean_packets, count),
        };
        Row::new(shown.iter().map(|&i| cell(i))).style(style)
    });
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&i| Constraint::Length(COLUMNS[i].1))
        .collect();
    // The other two indices in words, under the table when the pane has a spare line.
    let legend = format!(
        "Davies-Bouldin {} (lower is better), Calinski-Harabasz {} (higher is better)",
        s.davies_bouldin.map_or("–".into(), |v| format!("{v:.2}")),
        s.calinski_harabasz.map_or("–".into(), count)
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let spare = inner.height as usize > s.clusters.len() + 1;
    let [table_area, legend_area] = if spare {
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner)
    } else {
        [inner, Rect::default()]
    };
    if spare {
        frame.render_widget(
            Paragraph::new(Line::styled(
                crate::monitor::ui::display::fit(&legend, legend_area.width as usize),
                ctx.style(Slot::Muted),
            )),
            legend_area,
        );
    }
    let focused = ctx.app.focus == Pane::Clusters;
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(ctx.style(Slot::Selection))
        .highlight_symbol(ctx.glyph("▶", ">"));
    let mut state = TableState::default().with_selected(focused.then_some(ctx.app.cluster_row));
    frame.render_stateful_widget(table, table_area, &mut state);
}
