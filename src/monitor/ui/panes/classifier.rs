//! The Model-quality pane's second tab: the supervised classifier — the cross-validation
//! table that chose it, its confusion matrix and the features it leans on most, as bars.

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::ClassifierView;
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{count, fit};

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let s = &ctx.view.snapshot;
    let Some(c) = &s.classifier else {
        let why = s.classifier_note.clone().unwrap_or_else(|| {
            "no classifier: it is trained when the flows carry labels of both kinds".into()
        });
        frame.render_widget(
            Paragraph::new(Line::styled(why, ctx.style(Slot::Muted)))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    };
    let w = area.width as usize;
    let mut lines = Vec::new();
    if let Some(cv) = &c.cv {
        lines.push(Line::styled(
            fit(&format!("{}-fold CV      F1   AUC rows/s", cv.folds), w),
            ctx.style(Slot::Title),
        ));
        for m in &cv.models {
            let mark = if m.name == cv.best { "*" } else { " " };
            let text = if m.error.is_empty() {
                format!(
                    "{mark}{:<13} {:.3} {:.3} {:>6}",
                    m.name,
                    m.macro_f1,
                    m.roc_auc,
                    count(m.rows_per_s)
                )
            } else {
                format!("{mark}{:<13} failed: {}", m.name, m.error)
            };
            let style = if m.name == cv.best {
                Slot::Text
            } else {
                Slot::Muted
            };
            lines.push(Line::styled(fit(&text, w), ctx.style(style)));
        }
        confusion(&mut lines, c, cv, w, ctx);
    }
    importance(&mut lines, c, w, area.height as usize, ctx);
    frame.render_widget(Paragraph::new(lines), area);
}

fn confusion(
    lines: &mut Vec<Line<'static>>,
    c: &ClassifierView,
    cv: &crate::learn::classify::CvReport,
    w: usize,
    ctx: &ViewCtx,
) {
    // Binary: one line. Multi-class: up to five classes fit a narrow pane.
    if cv.confusion.len() == 2 {
        let m = &cv.confusion;
        let cell = |label: &str, v: u64, slot: Slot| {
            vec![
                Span::styled(format!(" {label} "), ctx.style(Slot::Muted)),
                Span::styled(count(v as f64), ctx.style(slot)),
            ]
        };
        let mut spans = vec![Span::styled("confusion", ctx.style(Slot::Title))];
        spans.extend(cell("TN", m[0][0], Slot::Text));
        spans.extend(cell("FP", m[0][1], Slot::AnomalyMedium));
        spans.extend(cell("FN", m[1][0], Slot::AnomalyMedium));
        spans.extend(cell("TP", m[1][1], Slot::Text));
        lines.push(Line::from(spans));
        return;
    }
    let k = cv.confusion.len().min(5);
    if k == 0 {
        return;
    }
    let mut head = format!("{:<9}", "truth\\pred");
    for name in c.classes.iter().take(k) {
        head.push_str(&format!(" {:>7}", fit(name, 7)));
    }
    lines.push(Line::styled(fit(&head, w), ctx.style(Slot::Title)));
    for (i, row) in cv.confusion.iter().take(k).enumerate() {
        let mut text =
            crate::monitor::ui::display::fit_pad(c.classes.get(i).map_or("", |s| s.as_str()), 9);
        let mut spans = Vec::new();
        for (j, v) in row.iter().take(k).enumerate() {
            let style = if i == j {
                Slot::Text
            } else if *v > 0 {
                Slot::AnomalyMedium
            } else {
                Slot::Muted
            };
            spans.push(Span::styled(
                format!(" {:>7}", count(*v as f64)),
                ctx.style(style),
            ));
        }
        text = fit(&text, w);
        let mut line = vec![Span::styled(text, ctx.style(Slot::Muted))];
        line.extend(spans);
        lines.push(Line::from(line));
    }
}

fn importance(
    lines: &mut Vec<Line<'static>>,
    c: &ClassifierView,
    w: usize,
    height: usize,
    ctx: &ViewCtx,
) {
    let room = height.saturating_sub(lines.len());
    if room == 0 || c.importance.is_empty() {
        return;
    }
    let max = c
        .importance
        .first()
        .map_or(0.0, |f| f.importance)
        .max(f64::MIN_POSITIVE);
    let name_w = (w / 2).clamp(6, 22);
    let bar_w = w.saturating_sub(name_w + 7).max(1);
    let (full, empty) = if ctx.ascii {
        ("#", ".")
    } else {
        ("█", "░")
    };
    for f in c.importance.iter().take(room) {
        let n = ((f.importance / max) * bar_w as f64).round() as usize;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<name_w$} ", fit(&f.feature, name_w)),
                ctx.style(Slot::Text),
            ),
            Span::styled(full.repeat(n.min(bar_w)), ctx.style(Slot::Consensus)),
            Span::styled(empty.repeat(bar_w - n.min(bar_w)), ctx.style(Slot::Muted)),
            Span::styled(format!(" {:.2}", f.importance), ctx.style(Slot::Muted)),
        ]));
    }
}
