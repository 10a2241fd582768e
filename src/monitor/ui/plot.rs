//! A small cell plot: each series is drawn with its own glyph (so meaning survives without
//! colour and with `--ascii`), y labels on the left with units, x labels under the plot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

pub struct PlotSeries<'a> {
    pub points: &'a [(f64, f64)],
    pub glyph: &'static str,
    pub style: Style,
}

pub struct Plot<'a> {
    pub series: Vec<PlotSeries<'a>>,
    pub y_format: fn(f64) -> String,
    pub x_labels: [String; 2],
    pub label_style: Style,
}

impl Widget for Plot<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < 12 || area.height < 3 {
            return;
        }
        let all = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        if x0 > x1 {
            return;
        }
        if y0 >= 0.0 {
            y0 = 0.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        let top = (self.y_format)(y1);
        let bottom = (self.y_format)(y0);
        let margin = top.chars().count().max(bottom.chars().count()) as u16 + 1;
        let plot = Rect {
            x: area.x + margin,
            y: area.y,
            width: area.width.saturating_sub(margin),
            height: area.height - 1,
        };
        if plot.width < 2 || plot.height < 1 {
            return;
        }
        buf.set_string(area.x, plot.y, &top, self.label_style);
        buf.set_string(area.x, plot.bottom() - 1, &bottom, self.label_style);
        let [left, right] = &self.x_labels;
        buf.set_string(plot.x, plot.bottom(), left, self.label_style);
        let rx = plot.right().saturating_sub(right.chars().count() as u16);
        if rx > plot.x + left.chars().count() as u16 {
            buf.set_string(rx, plot.bottom(), right, self.label_style);
        }
        let w = f64::from(plot.width - 1);
        let h = f64::from(plot.height - 1);
        for s in &self.series {
            for &(x, y) in s.points {
                if !(x.is_finite() && y.is_finite()) {
                    continue;
                }
                let cx = ((x - x0) / (x1 - x0) * w).round() as u16;
                let cy = ((y1 - y) / (y1 - y0) * h).round() as u16;
                let (cx, cy) = (cx.min(plot.width - 1), cy.min(plot.height - 1));
                buf.set_string(plot.x + cx, plot.y + cy, s.glyph, s.style);
            }
        }
    }
}
