//! Anomalies: the consensus-flagged flows, newest first, with one vote column per detector
//! (glyph and colour) and the threat level. The selected row opens the detail with Enter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::app::Pane;
use crate::detect::DetectorKind;
use crate::engine::AnomalyEvent;
use crate::threat::Level;
use crate::ui::ViewCtx;
use crate::ui::format::{fit, time};

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

pub fn level_slot(l: Level) -> &'static str {
    match l {
        Level::Low => "anomaly-low",
        Level::Medium => "anomaly-medium",
        Level::High => "anomaly-high",
    }
}

pub fn endpoints(e: &AnomalyEvent) -> String {
    if let Some(v) = &e.volume {
        let others: Vec<&str> = v.also.iter().map(|o| o.series.name()).collect();
        let value = crate::ui::format::series_value(v.series);
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
    let side = |h: &Option<crate::schema::Text>, p: Option<u16>| match (h.as_deref(), p) {
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
    let feed = ctx.app.feed(view);
    let total = view.snapshot.feed.len();
    // The feed keeps the newest rows; the count is of every flagged flow since the start.
    let flagged = view.snapshot.counters.flagged.max(total as u64);
    let detail = if ctx.app.filter.is_some() {
        format!("{} of {} shown (filtered)", feed.len(), total)
    } else if flagged > total as u64 {
        format!("{flagged} flagged, newest {total} listed")
    } else {
        format!("{total} flagged, newest first")
    };
    let block = ctx.pane_block(Pane::Anomalies, detail);
    if feed.is_empty() {
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
            Paragraph::new(Line::styled(text, ctx.style("muted"))).block(block),
            area,
        );
        return;
    }
    let kinds: Vec<DetectorKind> = view.snapshot.detectors.iter().map(|d| d.kind).collect();
    let has_labels = feed.iter().any(|e| e.label.is_some());
    let has_classes = feed.iter().any(|e| e.predicted.is_some());
    let mut head = vec![Cell::from("time"), Cell::from("flow"), Cell::from("score")];
    let inner_w = area.width.saturating_sub(2) as usize;
    // Narrow terminals: all votes in one column, one glyph per detector, no spacing.
    let compact = inner_w < 100;
    if compact {
        head.push(Cell::from("votes"));
    } else {
        head.extend(kinds.iter().map(|k| Cell::from(short(*k))));
    }
    head.push(Cell::from("threat"));
    if has_classes {
        head.push(Cell::from("classifier"));
    }
    if has_labels {
        head.push(Cell::from("label"));
    }
    let yes = ctx.glyph("●", "X");
    let no = ctx.glyph("·", ".");
    let votes_w = if compact {
        kinds.len().max(5) + 1
    } else {
        3 * kinds.len()
    };
    let fixed = 9
        + 7
        + votes_w
        + 12
        + if has_labels { 14 } else { 0 }
        + if has_classes { 14 } else { 0 }
        + 8;
    let flow_w = inner_w.saturating_sub(fixed).clamp(8, 48);
    // Build only the rows on screen (the feed holds up to a thousand): the selection stays
    // in view, at the bottom edge when it moves past it.
    let visible = (area.height as usize).saturating_sub(3).max(1);
    let selected = ctx.app.selected_index(&feed);
    let start = (selected + 1).saturating_sub(visible);
    let rows = feed.iter().skip(start).take(visible).map(|e| {
        let mut cells = vec![
            Cell::from(e.ts.map(time).unwrap_or_else(|| format!("l{}", e.line))),
            Cell::from(fit(&endpoints(e), flow_w)),
            Cell::from(Span::styled(
                if e.volume.is_some() {
                    "volume".to_string()
                } else {
                    format!("{:.3}", e.score)
                },
                ctx.style("consensus"),
            )),
        ];
        let glyph = |v: &Option<bool>| match v {
            Some(true) => Span::styled(yes, ctx.style("vote-yes")),
            Some(false) => Span::styled(no, ctx.style("vote-no")),
            None => Span::raw(" "),
        };
        if compact {
            cells.push(Cell::from(Line::from(
                e.votes.iter().map(glyph).collect::<Vec<_>>(),
            )));
        } else {
            // Volume events have no votes: blank cells keep the later columns in place.
            cells.extend(
                (0..kinds.len()).map(|j| Cell::from(e.votes.get(j).map_or(Span::raw(""), glyph))),
            );
        }
        let t = &e.threat;
        cells.push(Cell::from(Span::styled(
            // Floor, so a 69.8 (MEDIUM) never reads as 70.
            format!("{:<6} {:>3}", t.level.name(), t.score.floor() as u32),
            ctx.style(level_slot(t.level)),
        )));
        if has_classes {
            // The predicted class and its probability; attacks in the threat colours.
            cells.push(Cell::from(match &e.predicted {
                Some(p) => Span::styled(
                    fit(&format!("{:.2} {}", p.probability, p.class), 14),
                    ctx.style(if p.attack_probability >= 0.5 {
                        "anomaly-high"
                    } else {
                        "muted"
                    }),
                ),
                None => Span::raw(""),
            }));
        }
        if has_labels {
            cells.push(Cell::from(fit(e.label.as_deref().unwrap_or(""), 14)));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(flow_w as u16),
        Constraint::Length(6),
    ];
    if compact {
        widths.push(Constraint::Length(votes_w as u16 - 1));
    } else {
        widths.extend(kinds.iter().map(|_| Constraint::Length(2)));
    }
    widths.push(Constraint::Length(10));
    if has_classes {
        widths.push(Constraint::Length(14));
    }
    if has_labels {
        widths.push(Constraint::Length(14));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(head).style(ctx.style("title")))
        .block(block)
        .row_highlight_style(ctx.style("selection"))
        .highlight_symbol(ctx.glyph("▶", ">"));
    let mut state = TableState::default().with_selected(Some(selected - start));
    frame.render_stateful_widget(table, area, &mut state);
}
