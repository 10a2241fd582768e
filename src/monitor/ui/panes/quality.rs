//! Model quality: the detectors (state, consensus weight) and, when the flows carry labels,
//! live precision / recall / F1 of the consensus flag and ROC-AUC per detector so far.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState};

use crate::monitor::app::Pane;
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::count;

fn bar(v: f64, width: usize, ascii: bool) -> String {
    let n = (v.clamp(0.0, 1.0) * width as f64).round() as usize;
    let (full, empty) = if ascii { ("#", ".") } else { ("█", "░") };
    format!("{}{}", full.repeat(n), empty.repeat(width - n))
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"));
    let (detail, summary) = match &s.quality {
        Some(q) => (
            format!(
                "{} labelled, {} attacks",
                count(q.labelled as f64),
                count(q.attacks as f64)
            ),
            Some(vec![
                Line::from(vec![
                    Span::styled("flag ", ctx.style(Slot::Muted)),
                    Span::styled(
                        format!("P {}  R {}  F1 {}", f(q.precision), f(q.recall), f(q.f1)),
                        ctx.style(Slot::Consensus),
                    ),
                ]),
                Line::from(vec![
                    Span::styled("consensus ", ctx.style(Slot::Muted)),
                    Span::styled(
                        format!("ROC-AUC {}", f(q.consensus_auc)),
                        ctx.style(Slot::Consensus),
                    ),
                ]),
            ]),
        ),
        None => (String::new(), None),
    };
    let detail = if ctx.app.classifier_tab {
        match &s.classifier {
            Some(c) => format!(
                "[classifier] {} {}, {} labelled",
                c.kind,
                c.mode,
                count(c.labelled_rows as f64)
            ),
            None => "[classifier]".to_string(),
        }
    } else if s.classifier.is_some() {
        let sep = if detail.is_empty() { "" } else { " · " };
        format!("{detail}{sep}v: classifier")
    } else {
        detail
    };
    let block = ctx.pane_block(Pane::Quality, detail);
    if ctx.app.classifier_tab {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        super::classifier::render(frame, inner, ctx);
        return;
    }
    if s.detectors.is_empty() {
        let why = if s.quality.is_none() {
            "detectors appear once the first model is fitted"
        } else {
            "no model"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, ctx.style(Slot::Muted))).block(block),
            area,
        );
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut y = inner.y;
    if let Some(lines) = summary {
        let h = (lines.len() as u16).min(inner.height);
        frame.render_widget(Paragraph::new(lines), Rect { height: h, ..inner });
        y += h;
    } else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "no labels in this source: weights only",
                ctx.style(Slot::Muted),
            )),
            Rect { height: 1, ..inner },
        );
        y += 1;
    }
    let rest = Rect {
        y,
        height: inner.bottom().saturating_sub(y),
        ..inner
    };
    // Rows that do not fit are reached with up / down while the pane is focused.
    let visible = (rest.height as usize).saturating_sub(1);
    let offset = ctx
        .app
        .quality_scroll
        .min(s.detectors.len().saturating_sub(visible));
    // name 12, weight 10, "0.88 " 5, spacing 2: the bar takes the rest.
    let bar_w = (inner.width as usize).saturating_sub(29).clamp(1, 12);
    let rows = s.detectors.iter().enumerate().map(|(i, d)| {
        let auc = s
            .quality
            .as_ref()
            .and_then(|q| q.detector_auc.get(i).copied().flatten());
        let state = if d.ready { "" } else { " off" };
        let style = if d.ready {
            ctx.style(Slot::Text)
        } else {
            ctx.style(Slot::Muted)
        };
        Row::new([
            format!("{}{state}", d.kind.name()),
            // A detector outside the consensus score still votes; one screened out because
            // it calls the ensemble's strongest outliers ordinary says so.
            if d.weight > 0.0 {
                format!("{:.2}", d.weight)
            } else if d.sits_out {
                "sits out".into()
            } else {
                "votes only".into()
            },
            match auc {
                Some(a) => format!("{a:.2} {}", bar(a, bar_w, ctx.ascii)),
                None => "–".into(),
            },
        ])
        .style(style)
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(10),
            Constraint::Min(6),
        ],
    )
    .header(Row::new(["detector", "weight", "ROC-AUC"]).style(ctx.style(Slot::Title)));
    let hidden_below = s.detectors.len().saturating_sub(offset + visible);
    frame.render_stateful_widget(table, rest, &mut TableState::default().with_offset(offset));
    // Say that there is more, in the header's free space: the table is cut, not finished.
    let more = match (offset, hidden_below) {
        (0, 0) => None,
        (0, n) => Some(format!("↓{n} more")),
        (o, 0) => Some(format!("↑{o} more")),
        (o, n) => Some(format!("↑{o} ↓{n}")),
    };
    if let Some(more) = more {
        let w = more.chars().count() as u16;
        if rest.width > 24 + w && rest.height > 0 {
            let at = Rect {
                x: rest.right() - w,
                width: w,
                height: 1,
                ..rest
            };
            frame.render_widget(
                Paragraph::new(Span::styled(more, ctx.style(Slot::Muted))),
                at,
            );
        }
    }
}
