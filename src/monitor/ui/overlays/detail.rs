//! Flow detail: who and when, the threat score with reasons and recommendations, each
//! detector's calibrated score and vote, and every feature with its deviation from the
//! training window (largest first). Scrolls with up / down.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::engine::AnomalyEvent;
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{count, date_time};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx, e: &AnomalyEvent, scroll: usize) {
    let inner = super::frame_block(
        frame,
        area,
        ctx,
        &format!("Flow on line {} (Esc closes, up/down scroll)", e.line),
    );
    let mut lines = Vec::new();
    let head = |t: &str| Line::styled(t.to_string(), ctx.style(Slot::Title));
    let opt = |v: &Option<crate::flows::schema::Text>| v.as_deref().unwrap_or("–").to_string();
    lines.push(Line::styled(
        format!(
            "{}  {}  {}  state {}  cluster {}  label {}",
            e.ts.map_or_else(|| "no timestamp".into(), date_time),
            crate::monitor::ui::panes::endpoints(e),
            opt(&e.proto),
            opt(&e.state),
            e.cluster.map_or("–".into(), |c| c.to_string()),
            opt(&e.label),
        ),
        ctx.style(Slot::Text),
    ));
    lines.push(Line::raw(""));
    lines.extend(super::threat::assessment_lines(ctx, &e.threat));
    lines.push(Line::raw(""));
    lines.push(head(
        "Detectors (calibrated score: share of the training window below this flow)",
    ));
    for (d, (p, v)) in ctx
        .view
        .snapshot
        .detectors
        .iter()
        .zip(e.detector_scores.iter().zip(&e.votes))
    {
        let vote = match v {
            Some(true) => Span::styled(ctx.glyph("● votes", "X votes"), ctx.style(Slot::VoteYes)),
            Some(false) => Span::styled(ctx.glyph("· no", ". no"), ctx.style(Slot::VoteNo)),
            None => Span::styled("off", ctx.style(Slot::Muted)),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<12}", d.kind.name()), ctx.style(Slot::Text)),
            Span::styled(
                format!("{:>8}  ", p.map_or("–".into(), |p| format!("{p:.4}"))),
                ctx.style(Slot::Consensus),
            ),
            vote,
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(head(
        "Features (value, deviation from the training window in robust z)",
    ));
    let mut order: Vec<usize> = (0..e.feature_names.len()).collect();
    order.sort_by(|&a, &b| {
        let z = |i: usize| e.deviation.get(i).copied().unwrap_or(0.0).abs();
        z(b).total_cmp(&z(a))
    });
    for i in order {
        let z = e.deviation.get(i).copied().unwrap_or(f64::NAN);
        let raw = e.raw.get(i).copied().unwrap_or(f64::NAN);
        let slot = if z.abs() >= 5.0 {
            Slot::AnomalyHigh
        } else if z.abs() >= 2.0 {
            Slot::AnomalyMedium
        } else {
            Slot::Text
        };
        let n = (z.abs().min(10.0) * 2.0).round() as usize;
        let bar = ctx.glyph("▮", "#").repeat(n);
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {}",
                    crate::monitor::ui::display::fit_pad(&e.feature_names[i], 36)
                ),
                ctx.style(Slot::Text),
            ),
            Span::styled(
                format!(
                    "{:>10}",
                    if raw.is_finite() {
                        count(raw)
                    } else {
                        "–".into()
                    }
                ),
                ctx.style(Slot::Muted),
            ),
            Span::styled(format!("{z:>+8.2} "), ctx.style(slot)),
            Span::styled(bar, ctx.style(slot)),
        ]));
    }
    let max_scroll = lines.len().saturating_sub(inner.height as usize);
    let scroll = scroll.min(max_scroll) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}
