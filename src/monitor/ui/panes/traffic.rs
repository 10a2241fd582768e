//! Traffic: sparklines of flows/s, bytes/s and anomalies/s over the bucketed series, with
//! min / max / last in each title.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::bar;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::monitor::app::Pane;
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{bytes, count};

const ASCII_BARS: bar::Set = bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: ".",
    one_eighth: ".",
    empty: " ",
};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let bucket = s.bucket_s.max(1e-9);
    let detail = format!(
        "per {} bucket",
        crate::monitor::ui::display::duration(bucket)
    );
    let block = ctx.pane_block(Pane::Traffic, detail);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let width = inner.width as usize;
    let tail = &s.series[s.series.len().saturating_sub(width)..];
    // Rates in a unit near the bucket's own: per second for live buckets, per minute or per
    // hour for a replay's long buckets ("max 0.1/s" over hour buckets reads as nothing).
    let (per, unit) = rate_unit(bucket);
    // (name, values per second, formatter, style slot)
    type Row<'a> = (&'a str, Vec<f64>, fn(f64) -> String, Slot);
    let rate = per / bucket;
    let flows_name = format!("flows/{unit}");
    let bytes_name = match (s.seen.bytes, s.seen.bytes_one_way) {
        (true, true) => format!("one-way bytes/{unit}"),
        _ => format!("bytes/{unit}"),
    };
    let anomalies_name = format!("anomalies/{unit}");
    let rows: [Row; 3] = [
        (
            flows_name.as_str(),
            tail.iter().map(|b| b.flows as f64 * rate).collect(),
            count,
            Slot::Series,
        ),
        (
            bytes_name.as_str(),
            tail.iter().map(|b| b.bytes * rate).collect(),
            bytes,
            Slot::Series,
        ),
        (
            anomalies_name.as_str(),
            tail.iter().map(|b| b.anomalies as f64 * rate).collect(),
            count,
            Slot::AnomalyHigh,
        ),
    ];
    // Three lines each (title + two of bars) when there is room, else one line each.
    let tall = inner.height >= 9;
    let each = if tall { 3 } else { 1 };
    let areas = Layout::vertical([Constraint::Length(each); 3]).split(inner);
    for ((name, values, fmt, slot), a) in rows.into_iter().zip(areas.iter()) {
        let stats = if values.is_empty() {
            "no data yet".to_string()
        } else if name.starts_with("bytes/") && !s.seen.bytes && !s.series.is_empty() {
            "not in this format".to_string()
        } else {
            let min = values.iter().copied().fold(f64::MAX, f64::min);
            let max = values.iter().copied().fold(f64::MIN, f64::max);
            let last = values.last().copied().unwrap_or(0.0);
            format!("min {} max {} last {}", fmt(min), fmt(max), fmt(last))
        };
        // Sparklines draw integers; scale so the largest bar uses the full height.
        let max = values.iter().copied().fold(0.0, f64::max);
        let scale = if max > 0.0 { 1000.0 / max } else { 0.0 };
        let data: Vec<u64> = values.iter().map(|v| (v * scale).round() as u64).collect();
        let spark = Sparkline::default()
            .data(&data)
            .max(1000)
            .style(ctx.style(slot))
            .bar_set(if ctx.ascii {
                ASCII_BARS
            } else {
                bar::NINE_LEVELS
            });
        if tall {
            let [title, bars] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(2)]).areas(*a);
            let line = Line::from(vec![
                Span::styled(format!("{name} "), ctx.style(Slot::Text)),
                Span::styled(stats, ctx.style(Slot::Muted)),
            ]);
            frame.render_widget(Paragraph::new(line), title);
            frame.render_widget(spark, bars);
        } else {
            // "anomalies/min" whole: 13 characters and a space.
            let label_w = 14u16.min(a.width / 3);
            let [label, bars] =
                Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(*a);
            frame.render_widget(
                Paragraph::new(Span::styled(name, ctx.style(Slot::Text))),
                label,
            );
            frame.render_widget(spark, bars);
        }
    }
}

/// Seconds in the rate unit for buckets of `bucket_s`, and its name.
fn rate_unit(bucket_s: f64) -> (f64, &'static str) {
    match bucket_s {
        b if b < 60.0 => (1.0, "s"),
        b if b < 3600.0 => (60.0, "min"),
        _ => (3600.0, "h"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_are_given_in_a_unit_near_the_bucket() {
        assert_eq!(super::rate_unit(1.0), (1.0, "s"));
        assert_eq!(super::rate_unit(512.0), (60.0, "min"));
        assert_eq!(super::rate_unit(7200.0), (3600.0, "h"));
    }
}
