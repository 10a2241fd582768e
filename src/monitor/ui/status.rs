//! The status bar (top) and the message / key-hint bar (bottom).

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::ViewCtx;
use super::display::{bytes, count, time};
use crate::engine::ModelState;
use crate::monitor::app::Action;

pub fn render(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let v = ctx.live;
    let s = &v.snapshot;
    let bar = ctx.style(Slot::StatusBar);
    let warn = ctx.style(Slot::StatusWarning);
    let sep = Span::styled(" │ ", bar);
    let sep = if ctx.ascii {
        Span::styled(" | ", bar)
    } else {
        sep
    };
    // (priority, spans): when the bar is too narrow the lowest priorities go first (the file
    // name, then "done", the replay clock, rejects, the model; the flow count and PAUSED
    // stay).
    let mut parts: Vec<(u8, Vec<Span>)> = Vec::new();

    // Source: name, then replay clock and speed, or offset and lag.
    let name = std::path::Path::new(&v.source)
        .file_name()
        .map_or(v.source.clone(), |n| n.to_string_lossy().into_owned());
    let mut src = format!(" {name}");
    if let Some(f) = &v.format {
        src.push_str(&format!(" [{f}]"));
    }
    parts.push((0, vec![Span::styled(src, bar)]));
    if let Some(st) = &v.ingest {
        let txt = if v.replay {
            let clock = st.replay_time.map_or_else(|| "–".into(), time);
            format!("replay {clock} {}", st.speed)
        } else {
            format!(
                "offset {}{}",
                bytes(st.source.offset as f64),
                match st.source.lag_bytes() {
                    0 => String::new(),
                    lag => format!(" lag {}", bytes(lag as f64)),
                }
            )
        };
        parts.push((4, vec![Span::styled(txt, bar)]));
    }
    parts.push((
        7,
        vec![Span::styled(
            format!(
                "{} flows {}/s",
                // Exact below a million: an operator checks it against `wc -l`.
                crate::monitor::ui::display::total(s.counters.flows),
                count(v.flows_per_s)
            ),
            bar,
        )],
    ));
    // Rows the source could not give whole: rejected, or kept without a believable time.
    if let Some(st) = &v.ingest {
        for (what, n) in [("rejected", st.rejected), ("bad times", st.suspect_times)] {
            if n > 0 {
                parts.push((
                    5,
                    vec![Span::styled(format!("{what} {}", count(n as f64)), warn)],
                ));
            }
        }
    }
    let model = match &s.model {
        ModelState::WarmingUp { have, need } => {
            Span::styled(format!("warming up {have}/{need}"), warn)
        }
        ModelState::Ready => {
            let age = s
                .trained_at
                .map(|t| super::display::duration((ctx.now - t).max(0.0)))
                .unwrap_or_default();
            Span::styled(format!("model #{} fitted {age} ago", s.generation), bar)
        }
        ModelState::Failed { reason } => Span::styled(format!("model failed: {reason}"), warn),
    };
    parts.push((6, vec![model]));
    // The alert budget, the rate the flag runs at, and the consensus score that flags.
    if let (Some(b), true) = (s.budget, s.counters.scored > 0) {
        let now = s.counters.flagged as f64 / s.counters.scored as f64;
        let style = if now > 2.0 * b.rate { warn } else { bar };
        parts.push((
            3,
            vec![Span::styled(
                format!(
                    "alerts {:.2}% of a {}% budget, score ≥ {:.3}",
                    100.0 * now,
                    100.0 * b.rate,
                    b.threshold
                ),
                style,
            )],
        ));
    }
    if let Some(j) = &s.retraining {
        let pct = 100 * j.done / j.total.max(1);
        parts.push((6, vec![Span::styled(format!("retraining {pct}%"), warn)]));
    }
    if ctx.app.frozen.is_some() {
        parts.push((9, vec![Span::styled("FROZEN", warn)]));
    }
    if v.ingest.as_ref().is_some_and(|st| st.paused) {
        parts.push((9, vec![Span::styled("PAUSED", warn)]));
    }
    if let Some(why) = &v.failed {
        // The source stopped on an error (a truncated gzip, a file gone): what is shown is
        // partial, and says so for as long as it is shown.
        parts.push((
            8,
            vec![Span::styled(
                format!(
                    "input stopped: {}",
                    crate::monitor::ui::display::fit(why, 60)
                ),
                warn,
            )],
        ));
    } else if v.finished {
        parts.push((
            1,
            vec![Span::styled(
                if v.replay { "replay done" } else { "EOF" },
                bar,
            )],
        ));
    }
    if let Some(f) = &ctx.app.filter {
        parts.push((6, vec![Span::styled(format!("filter: {}", f.text), warn)]));
    }
    let width = |parts: &[(u8, Vec<Span>)]| -> usize {
        parts
            .iter()
            .map(|(_, p)| p.iter().map(|s| s.content.chars().count()).sum::<usize>() + 3)
            .sum()
    };
    while width(&parts) > area.width as usize + 3 && parts.len() > 1 {
        let lowest = parts
            .iter()
            .enumerate()
            .min_by_key(|(_, (prio, _))| *prio)
            .map_or(0, |(i, _)| i);
        parts.remove(lowest);
    }
    let mut spans = Vec::new();
    for (i, (_, p)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(sep.clone());
        }
        spans.extend(p);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

/// Bottom line: the latest message on the left, the most useful keys on the right.
pub fn render_hints(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let k = |a: Action| {
        ctx.keys
            .describe(a)
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let hints = format!(
        "{} help  {} filter  {} detail  {} threat  {} retrain  {} export  {} quit ",
        k(Action::Help),
        k(Action::Filter),
        k(Action::DrillDown),
        k(Action::Threat),
        k(Action::Retrain),
        k(Action::Export),
        k(Action::Quit)
    );
    // The keys stay visible at every size (htop's F-key row): the full list when it fits
    // beside the message, else the two that lead to everything else; the message is cut.
    let short = format!("{} help  {} quit ", k(Action::Help), k(Action::Quit));
    let width = area.width as usize;
    let (message, style) = if let Some(m) = &ctx.live.message {
        (
            Some(format!(" {} ", m.text)),
            ctx.style(if m.error { Slot::Error } else { Slot::Text }),
        )
    } else if let Some(r) = ctx.live.rejects.last() {
        (
            Some(format!(" last rejected row: {r} ")),
            ctx.style(Slot::Muted),
        )
    } else {
        (None, ctx.style(Slot::Text))
    };
    let msg_len = message.as_deref().map_or(0, |m| m.chars().count());
    let hints = if msg_len + hints.chars().count() <= width || message.is_none() {
        hints
    } else {
        short
    };
    let hint_len = hints.chars().count().min(width);
    let mut spans = Vec::new();
    let mut used = 0;
    if let Some(m) = message {
        let room = width.saturating_sub(hint_len + 1);
        let m = crate::monitor::ui::display::fit(&m, room);
        used = unicode_width::UnicodeWidthStr::width(m.as_str());
        spans.push(Span::styled(m, style));
    }
    if used + hint_len <= width {
        spans.push(Span::raw(" ".repeat(width - used - hint_len)));
        spans.push(Span::styled(hints, ctx.style(Slot::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
