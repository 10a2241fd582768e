//! The filter input: a three-line box at the bottom of the body with the syntax and any error.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::monitor::ui::ViewCtx;

pub fn render(frame: &mut Frame, body: Rect, ctx: &ViewCtx, text: &str, error: Option<&str>) {
    let h = 4.min(body.height);
    let area = Rect {
        y: body.bottom() - h,
        height: h,
        ..body
    };
    let inner = super::frame_block(
        frame,
        area,
        ctx,
        "Filter the anomaly feed (Enter applies, empty clears, Esc cancels)",
    );
    let cursor = ctx.glyph("█", "_");
    let second = match error {
        Some(e) => Line::styled(e.to_string(), ctx.style(Slot::Error)),
        None => Line::styled(
            "score>0.9 threat>=70 votes>=4 cluster:3 label:attack dport:443 src:10.0. proto:udp level:high detector:lof word",
            ctx.style(Slot::Muted),
        ),
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("/", ctx.style(Slot::Consensus)),
                Span::styled(text.to_string(), ctx.style(Slot::Text)),
                Span::styled(cursor, ctx.style(Slot::Text)),
            ]),
            second,
        ]),
        inner,
    );
}
