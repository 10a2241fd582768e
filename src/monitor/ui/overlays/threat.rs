//! The threat query form and its answer; `assessment_lines` is shared with the flow detail.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::learn::threat::Assessment;
use crate::monitor::app::{FORM_FIELDS, ThreatForm};
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::panes::level_slot;

pub fn assessment_lines<'a>(ctx: &ViewCtx, a: &Assessment) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Threat ", ctx.style(Slot::Title)),
        Span::styled(
            format!("{}/100 {}", a.score.floor() as u32, a.level.name()),
            ctx.style(level_slot(a.level)),
        ),
        Span::styled(format!("  ({})", a.basis), ctx.style(Slot::Muted)),
    ])];
    if !a.voting.is_empty() {
        lines.push(Line::styled(
            format!("  voting: {}", a.voting.join(", ")),
            ctx.style(Slot::Text),
        ));
    }
    for r in &a.reasons {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  +{:>4.1}  ", r.points),
                ctx.style(Slot::Consensus),
            ),
            Span::styled(r.detail.clone(), ctx.style(Slot::Text)),
        ]));
    }
    if !a.top_features.is_empty() {
        lines.push(Line::styled(
            format!("  top deviations: {}", a.top_features_text()),
            ctx.style(Slot::Text),
        ));
    }
    for r in &a.recommendations {
        lines.push(Line::styled(
            format!("  {} {r}", ctx.glyph("→", "->")),
            ctx.style(Slot::Text),
        ));
    }
    if !a.imputed.is_empty() {
        lines.push(Line::styled(
            format!("  imputed: {}", a.imputed.join("; ")),
            ctx.style(Slot::Muted),
        ));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx, form: &ThreatForm) {
    let inner = super::frame_block(
        frame,
        area,
        ctx,
        "Threat query (Tab/arrows move, Enter scores, Esc closes)",
    );
    let form_h = (FORM_FIELDS.len() as u16 + 2).min(inner.height);
    let [top, answer] =
        Layout::vertical([Constraint::Length(form_h), Constraint::Min(0)]).areas(inner);
    let mut lines = vec![Line::styled(form.origin.clone(), ctx.style(Slot::Muted))];
    for (i, (label, value)) in FORM_FIELDS.iter().zip(&form.values).enumerate() {
        let focused = i == form.focus;
        let marker = if focused {
            ctx.glyph("▶ ", "> ")
        } else {
            "  "
        };
        let cursor = if focused { ctx.glyph("█", "_") } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker}{label:<22}"), ctx.style(Slot::Text)),
            Span::styled(
                format!("{value}{cursor}"),
                ctx.style(if focused {
                    Slot::Selection
                } else {
                    Slot::Consensus
                }),
            ),
        ]));
    }
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.to_string(), ctx.style(Slot::Error)));
    }
    frame.render_widget(Paragraph::new(lines), top);
    let body = match (&ctx.live.threat, form.request) {
        (_, None) if form.event.is_some() => {
            let mut lines = vec![Line::styled(
                "the recorded flow, scored on all its features (edit a field and press Enter to ask about a variant):",
                ctx.style(Slot::Muted),
            )];
            if let Some(e) = &form.event {
                lines.extend(assessment_lines(ctx, &e.threat));
            }
            lines
        }
        (Some((id, Ok(a))), Some(req)) if *id == req => {
            let mut lines = vec![Line::styled(
                "the fields above, the rest of the flow at the training medians:",
                ctx.style(Slot::Muted),
            )];
            lines.extend(assessment_lines(ctx, a));
            lines
        }
        (Some((id, Err(e))), Some(req)) if *id == req => {
            vec![Line::styled(e.clone(), ctx.style(Slot::Error))]
        }
        (_, Some(_)) => vec![Line::styled("scoring…", ctx.style(Slot::Muted))],
        (_, None) => vec![Line::styled(
            "fill in what you know and press Enter; empty fields are imputed",
            ctx.style(Slot::Muted),
        )],
    };
    frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), answer);
}
