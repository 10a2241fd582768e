//! The Forecast pane's second tab: activity by hour of day and day of week (UTC) from the
//! flows' own timestamps, and how flows and bytes move together (Pearson correlation over the
//! last 30 buckets and over the whole ring).

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::Bucket;
use crate::monitor::ui::ViewCtx;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Pearson correlation of flows and bytes per bucket; `None` without spread.
pub fn correlation(buckets: &[Bucket]) -> Option<f64> {
    let n = buckets.len() as f64;
    if buckets.len() < 3 {
        return None;
    }
    let mx = buckets.iter().map(|b| b.flows as f64).sum::<f64>() / n;
    let my = buckets.iter().map(|b| b.bytes).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for b in buckets {
        let (dx, dy) = (b.flows as f64 - mx, b.bytes - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn bars(counts: &[u64], ascii: bool) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let levels: &[&str] = if ascii {
        &[" ", ".", ":", "-", "=", "+", "*", "#", "#"]
    } else {
        &[" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    };
    counts
        .iter()
        .map(|&c| {
            let i = ((c as f64 / max as f64) * 8.0).round() as usize;
            levels[i.min(8)]
        })
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let f = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{v:+.2}"));
    let recent = &s.series[s.series.len().saturating_sub(30)..];
    let mut lines = vec![Line::from(vec![
        Span::styled("corr(flows,bytes) ", ctx.style(Slot::Muted)),
        Span::styled(
            format!(
                "last 30 {}, all {}",
                f(correlation(recent)),
                f(correlation(&s.series))
            ),
            ctx.style(Slot::Consensus),
        ),
    ])];
    match &s.profile {
        None => lines.push(Line::styled(
            "no timestamps in this source: no hour-of-day or weekday profile",
            ctx.style(Slot::Muted),
        )),
        Some(p) => {
            let peak = p
                .by_hour
                .iter()
                .enumerate()
                .max_by_key(|(_, c)| **c)
                .map_or(0, |(h, _)| h);
            lines.push(Line::styled(
                format!("by hour (UTC), busiest {peak:02}:00"),
                ctx.style(Slot::Muted),
            ));
            lines.push(Line::styled(
                bars(&p.by_hour, ctx.ascii),
                ctx.style(Slot::Series),
            ));
            lines.push(Line::styled(
                "0     6     12    18   23",
                ctx.style(Slot::Muted),
            ));
            lines.push(Line::styled("by weekday", ctx.style(Slot::Muted)));
            let wd: Vec<Span> = WEEKDAYS
                .iter()
                .zip(&p.by_weekday)
                .map(|(d, c)| {
                    Span::styled(
                        format!("{d} {} ", crate::monitor::ui::display::count(*c as f64)),
                        ctx.style(Slot::Text),
                    )
                })
                .collect();
            lines.push(Line::from(wd));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
