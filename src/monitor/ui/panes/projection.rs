//! Projection: the recent flows on the model's first two principal components. Each flow is
//! drawn as its cluster number; flagged flows as a cross in the anomaly style, drawn last so
//! they stay visible.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::monitor::app::Pane;
use crate::monitor::ui::ViewCtx;

const CLUSTER_GLYPHS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let detail = match s.projection_variance {
        Some([a, b]) => format!(
            "PC1 {:.0}% PC2 {:.0}%, {} flows",
            100.0 * a,
            100.0 * b,
            s.projection.len()
        ),
        None => String::new(),
    };
    let block = ctx.pane_block(Pane::Projection, detail);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if s.projection.is_empty() {
        let why = match s.model {
            crate::engine::ModelState::Ready => "waiting for flows scored by this model",
            _ => "the projection appears once the first model is fitted",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, ctx.style(Slot::Muted))),
            inner,
        );
        return;
    }
    if inner.width < 4 || inner.height < 3 {
        return;
    }
    // Robust bounds (1st–99th percentile) so one far outlier does not squash the rest; points
    // outside are pinned to the edge.
    let bounds = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let lo = v[(v.len() - 1) / 100];
        let hi = v[(v.len() - 1) * 99 / 100];
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, lo + 1.0)
        }
    };
    let (x0, x1) = bounds(s.projection.iter().map(|p| p.x).collect());
    let (y0, y1) = bounds(s.projection.iter().map(|p| p.y).collect());
    let legend_h = 1;
    let h = inner.height - legend_h;
    let cell = |x: f64, y: f64| {
        let cx = ((x - x0) / (x1 - x0) * f64::from(inner.width - 1)).round();
        let cy = ((y1 - y) / (y1 - y0) * f64::from(h - 1)).round();
        (
            inner.x + cx.clamp(0.0, f64::from(inner.width - 1)) as u16,
            inner.y + cy.clamp(0.0, f64::from(h - 1)) as u16,
        )
    };
    let buf = frame.buffer_mut();
    let cross = ctx.glyph("✖", "X");
    for flagged in [false, true] {
        for p in s.projection.iter().filter(|p| p.flagged == flagged) {
            let (cx, cy) = cell(p.x, p.y);
            if flagged {
                buf.set_string(cx, cy, cross, ctx.style(Slot::AnomalyHigh));
            } else {
                let g = p.cluster.map_or("?", |c| CLUSTER_GLYPHS[c % 10]);
                buf.set_string(cx, cy, g, ctx.style(Slot::Muted));
            }
        }
    }
    let legend = format!("digits: cluster  {cross}: flagged");
    buf.set_string(
        inner.x,
        inner.bottom() - 1,
        crate::monitor::ui::display::fit(&legend, inner.width as usize),
        ctx.style(Slot::Muted),
    );
}
