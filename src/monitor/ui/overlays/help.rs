//! Help, generated from the live key map.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::monitor::app::Action;
use crate::monitor::ui::ViewCtx;

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx, scroll: usize) {
    let inner = super::frame_block(
        frame,
        area,
        ctx,
        "Help: keys (rebind them in [keys] of the config)",
    );
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .map(|a| {
            Line::from(vec![
                Span::styled(
                    format!("{:<18}", ctx.keys.describe(*a)),
                    ctx.style(Slot::Consensus),
                ),
                Span::styled(a.help(), ctx.style(Slot::Text)),
            ])
        })
        .collect();
    let legend = Line::styled(
        "Votes: ● (X) anomalous, · (.) not, blank: detector off. Threat: LOW < 40 ≤ MEDIUM < 70 ≤ HIGH (configurable).",
        ctx.style(Slot::Muted),
    );
    let inner = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    frame.render_widget(
        Paragraph::new(legend),
        Rect {
            y: inner.bottom(),
            height: 1,
            ..inner
        },
    );
    // Two columns when the list does not fit in one.
    let rows = inner.height as usize;
    if lines.len() > rows && inner.width >= 100 {
        let half = inner.width / 2;
        let split = lines.len().div_ceil(2);
        let right = lines.split_off(split);
        frame.render_widget(
            Paragraph::new(lines),
            Rect {
                width: half,
                ..inner
            },
        );
        frame.render_widget(
            Paragraph::new(right),
            Rect {
                x: inner.x + half,
                width: inner.width - half,
                ..inner
            },
        );
    } else {
        // One column that does not fit scrolls (up / down); the last line says what is left.
        let cut = lines.len() > rows;
        // The note takes the last row when the list is cut.
        let rows = if cut {
            rows.saturating_sub(1).max(1)
        } else {
            rows
        };
        let scroll = scroll.min(lines.len().saturating_sub(rows));
        let below = lines.len().saturating_sub(scroll + rows);
        let mut shown: Vec<Line> = lines.into_iter().skip(scroll).take(rows).collect();
        if cut {
            let note = match (scroll, below) {
                (0, b) => format!("{} {b} more (up / down scroll)", ctx.glyph("↓", "v")),
                (s, 0) => format!("{} {s} above", ctx.glyph("↑", "^")),
                (s, b) => format!(
                    "{} {s} above, {} {b} more",
                    ctx.glyph("↑", "^"),
                    ctx.glyph("↓", "v")
                ),
            };
            shown.push(Line::styled(note, ctx.style(Slot::Muted)));
        }
        frame.render_widget(Paragraph::new(shown), inner);
    }
}
