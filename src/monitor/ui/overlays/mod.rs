//! Overlays drawn over the panes: help, filter input, flow detail, threat query.

mod detail;
mod filter;
mod help;
mod threat;

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear};

use super::ViewCtx;
use crate::monitor::app::Overlay;

pub fn render(frame: &mut Frame, body: Rect, ctx: &ViewCtx) {
    match &ctx.app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help::render(frame, centred(body, 90, 90), ctx, *scroll),
        Some(Overlay::Filter { text, error }) => {
            filter::render(
                frame,
                body,
                ctx,
                text,
                error.as_ref().map(ToString::to_string).as_deref(),
            );
        }
        Some(Overlay::Detail { event, scroll }) => {
            detail::render(frame, centred(body, 94, 94), ctx, event, *scroll);
        }
        Some(Overlay::Threat(form)) => threat::render(frame, centred(body, 94, 94), ctx, form),
    }
}

/// A rectangle of the given percentages of `r`, centred, cleared for drawing.
fn centred(r: Rect, pw: u16, ph: u16) -> Rect {
    let w = r.width * pw / 100;
    let h = r.height * ph / 100;
    Rect {
        x: r.x + (r.width - w) / 2,
        y: r.y + (r.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Clears `area` and draws a titled overlay frame; returns the inside.
fn frame_block(frame: &mut Frame, area: Rect, ctx: &ViewCtx, title: &str) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .title_style(ctx.style(Slot::Title))
        .border_style(ctx.style(Slot::FocusBorder));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}
