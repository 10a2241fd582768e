//! Anomalies: the consensus-flagged flows, newest first, with one vote column per detector
//! (glyph and colour) and the threat level. The selected row opens the detail with Enter.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::feed_columns::{Cx, Width, columns, fit_columns, spaced_votes, volume_text};
use crate::engine::AnomalyEvent;
use crate::learn::detect::DetectorKind;
use crate::learn::threat::Level;
use crate::monitor::app::{FeedRow, Pane};
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::fit;

/// Two-letter column heads for the vote columns.
fn short(k: DetectorKind) -> &'static str {
    match k.name() {
        "iforest" => "IF",
        "lof" => "LO",
        "ocsvm" => "SV",
        "dbscan" => "DB",
        "kmeans" => "KM",
        "zscore" => "ZS",
        "autoencoder" => "AE",
        "hbos" => "HB",
        "ecod" => "EC",
        _ => "??",
    }
}

pub fn level_slot(l: Level) -> Slot {
    match l {
        Level::Low => Slot::AnomalyLow,
        Level::Medium => Slot::AnomalyMedium,
        Level::High => Slot::AnomalyHigh,
    }
}

pub fn endpoints(e: &AnomalyEvent) -> String {
    if let Some(v) = &e.volume {
        let others: Vec<&str> = v.also.iter().map(|o| o.series.name()).collect();
        let value = crate::monitor::ui::display::series_value(v.series);
        return format!(
            "volume: {} {} (expected {}, 95% {}–{}){}",
            v.series,
            value(v.observed),
            value(v.expected),
            value(v.lo.max(0.0)),
            value(v.hi),
            if others.is_empty() {
                String::new()
            } else {
                format!(" + {}", others.join(", "))
            }
        );
    }
    let side = |h: &Option<crate::flows::schema::Text>, p: Option<u16>| match (h.as_deref(), p) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, Some(p)) => format!(":{p}"),
        (None, None) => String::new(),
    };
    if e.src.is_none() && e.dst.is_none() {
        // Formats without addresses (CICFlowMeter cleaned, NSL-KDD): service port and protocol.
        let port = e.dport.map(|p| format!("port {p}"));
        let parts: Vec<String> = port
            .into_iter()
            .chain(e.proto.as_deref().map(str::to_string))
            .collect();
        return parts.join(" ");
    }
    format!("{} → {}", side(&e.src, e.sport), side(&e.dst, e.dport))
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let view = ctx.view;
    let rows = ctx.app.feed_rows(view);
    let total = view.snapshot.feed.len();
    let shown: usize = rows.iter().filter(|r| !r.member).map(|r| r.repeats()).sum();
    // The feed keeps the newest rows; the count is of every flagged flow since the start.
    let flagged = view.snapshot.counters.flagged.max(total as u64);
    let mut detail = if ctx.app.filter.is_some() {
        format!("{shown} of {total} shown (filtered)")
    } else if flagged > total as u64 {
        format!("{flagged} flagged, newest {total} listed")
    } else {
        format!("{total} flagged")
    };
    let folded = rows.iter().filter(|r| !r.member && r.repeats() > 1).count();
    if folded > 0 {
        detail.push_str(&format!(", {folded} folded"));
    }
    let sort = ctx.app.sort;
    let arrow = if sort.descending() {
        ctx.glyph("↓", "v")
    } else {
        ctx.glyph("↑", "^")
    };
    detail.push_str(&format!(" │ by {} {arrow}", sort.key.name()));
    let block = ctx.pane_block(Pane::Anomalies, detail);
    if rows.is_empty() {
        let text = match (&view.snapshot.model, total) {
            (crate::engine::ModelState::Ready, 0) => "no flow flagged yet".to_string(),
            (crate::engine::ModelState::Ready, _) => "no flagged flow matches the filter".into(),
            (crate::engine::ModelState::WarmingUp { have, need }, _) => {
                format!("learning normal traffic: {have}/{need} flows before the first model")
            }
            (crate::engine::ModelState::Failed { reason }, _) => {
                format!("no model: {reason}")
            }
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, ctx.style(Slot::Muted))).block(block),
            area,
        );
        return;
    }
    let kinds: Vec<DetectorKind> = view.snapshot.detectors.iter().map(|d| d.kind).collect();
    let cx = Cx {
        ctx,
        with_date: spans_days(&rows),
        detectors: kinds.len(),
        flow_width: rows
            .iter()
            .map(|r| {
                let e = r.head();
                let text = volume_text(e).unwrap_or_else(|| endpoints(e));
                // Fold markers and member indents take two columns more.
                unicode_width::UnicodeWidthStr::width(text.as_str()) as u16 + 2
            })
            .max()
            .unwrap_or(0),
    };
    let cols = columns();
    let wanted: Vec<bool> = cols.iter().map(|c| (c.wanted)(&rows)).collect();
    // The highlight symbol takes two columns of the inner width.
    let inner_w = area.width.saturating_sub(4);
    let layout = fit_columns(&cols, &wanted, &cx, inner_w);
    let head = layout.iter().map(|&(i, w)| {
        let c = &cols[i];
        let mut h = if matches!(c.width, Width::Votes) && spaced_votes(&cx, w) {
            kinds
                .iter()
                .map(|k| short(*k))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            c.header.to_string()
        };
        if c.sort == Some(sort.key) {
            // The arrow stays whole: a narrow column cuts its name instead.
            let keep = (w as usize).saturating_sub(2);
            h = format!("{} {arrow}", h.chars().take(keep).collect::<String>());
        }
        Cell::from(fit(&h, w as usize))
    });
    // Build only the rows on screen (the feed holds up to a thousand): the selection stays
    // in view, at the bottom edge when it moves past it.
    let visible = (area.height as usize).saturating_sub(3).max(1);
    let selected = ctx.app.selected_index(&rows);
    let start = (selected + 1).saturating_sub(visible);
    let body = rows.iter().skip(start).take(visible).map(|r| {
        let row = Row::new(layout.iter().map(|&(i, w)| (cols[i].cell)(&cx, r, w)));
        if r.member {
            row.style(ctx.style(Slot::Muted))
        } else {
            row
        }
    });
    let widths: Vec<Constraint> = layout.iter().map(|&(_, w)| Constraint::Length(w)).collect();
    let table = Table::new(body, widths)
        .header(Row::new(head).style(ctx.style(Slot::Title)))
        .block(block)
        .row_highlight_style(ctx.style(Slot::Selection))
        .highlight_symbol(ctx.glyph("▶ ", "> "));
    let mut state = TableState::default().with_selected(Some(selected - start));
    frame.render_stateful_widget(table, area, &mut state);
}

/// True when the listed flows fall on more than one UTC day.
fn spans_days(rows: &[FeedRow]) -> bool {
    let days = rows
        .iter()
        .flat_map(|r| r.events.iter())
        .filter_map(|e| e.ts)
        .filter(|t| *t > 1e8)
        .map(|t| (t / 86_400.0).floor() as i64);
    let (lo, hi) = days.fold((i64::MAX, i64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
    lo < hi
}
