//! Pure rendering of `App` + `LiveView` + `Theme`: no state, no I/O, no clock (the caller
//! passes `now`). One file per pane and overlay.

pub mod display;
#[cfg(test)]
pub(crate) mod fixture;
mod layout;
mod overlays;
mod panes;
mod plot;
mod status;

use crate::monitor::theme::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

pub use layout::{MIN_HEIGHT, MIN_WIDTH};

/// The pane under a screen position (for mouse clicks).
pub fn pane_at(area: Rect, focus: Pane, x: u16, y: u16) -> Option<Pane> {
    layout::split(area, focus)
        .panes
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position { x, y }))
        .map(|(p, _)| p)
}

/// Rows of the anomaly feed on screen, for page up / down.
pub fn feed_rows(area: Rect, focus: Pane) -> usize {
    layout::split(area, focus)
        .panes
        .into_iter()
        .find(|(p, _)| *p == Pane::Anomalies)
        .map_or(10, |(_, r)| r.height.saturating_sub(3).max(1) as usize)
}

use crate::engine::runner::LiveView;
use crate::monitor::app::{App, KeyMap, Pane};
use crate::monitor::theme::Theme;

/// Everything a pane needs to draw itself.
pub struct ViewCtx<'a> {
    pub app: &'a App,
    /// What the panes show: the frozen view while frozen, else the live one.
    pub view: &'a LiveView,
    /// The live view, always: the status bar, messages and query answers come from it.
    pub live: &'a LiveView,
    pub theme: &'a Theme,
    pub keys: &'a KeyMap,
    /// ASCII-only glyphs for hostile fonts.
    pub ascii: bool,
    /// Unix seconds (for ages); injected so renders are reproducible.
    pub now: f64,
}

impl ViewCtx<'_> {
    pub fn style(&self, slot: Slot) -> Style {
        self.theme.style(slot)
    }

    /// A bordered block titled with the pane name and its focus digit; the focused pane's
    /// border is bold and its title marked, so focus does not rely on colour.
    pub fn pane_block(&self, pane: Pane, detail: String) -> Block<'static> {
        let focused = self.app.focus == pane && self.app.overlay.is_none();
        let digit = Pane::ALL
            .iter()
            .position(|p| *p == pane)
            .map_or(0, |i| i + 1);
        let marker = if focused { "▶ " } else { "" };
        let marker = if self.ascii && focused { "> " } else { marker };
        let mut spans = vec![Span::styled(
            format!(" {marker}{digit} {} ", pane.title()),
            self.style(Slot::Title),
        )];
        if !detail.is_empty() {
            spans.push(Span::styled(format!("{detail} "), self.style(Slot::Muted)));
        }
        let block = Block::bordered()
            .title(Line::from(spans))
            .border_style(self.style(if focused {
                Slot::FocusBorder
            } else {
                Slot::Border
            }));
        match (focused, self.ascii) {
            (_, true) => block.border_set(ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }),
            (true, false) => block.border_type(BorderType::Thick),
            (false, false) => block,
        }
    }

    pub fn glyph(&self, unicode: &'static str, ascii: &'static str) -> &'static str {
        if self.ascii { ascii } else { unicode }
    }
}

pub fn render(frame: &mut Frame, ctx: &ViewCtx) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, ctx);
        return;
    }
    let l = layout::split(area, ctx.app.focus);
    status::render(frame, l.status, ctx);
    status::render_hints(frame, l.hints, ctx);
    for (pane, rect) in l.panes {
        panes::render(frame, pane, rect, ctx);
    }
    overlays::render(frame, l.body, ctx);
    if ctx.ascii {
        asciify(frame.buffer_mut());
    }
}

/// `--ascii`: panes already choose ASCII glyphs; this last pass catches every other
/// character (dashes, arrows, ellipses in data and messages) so nothing reaches the terminal
/// that a hostile font could garble.
pub(crate) fn asciify(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        let sym = cell.symbol();
        if sym.is_ascii() {
            continue;
        }
        let replacement = match sym {
            "–" | "—" | "─" | "━" => "-",
            "…" => "~",
            "→" | "▶" => ">",
            "←" | "◀" => "<",
            "↑" => "^",
            "↓" => "v",
            "◆" => "*",
            "┄" | "╌" => ":",
            "×" | "✖" | "●" => "x",
            "│" | "┃" => "|",
            "·" | "•" => ".",
            "≤" => "<",
            "≥" => ">",
            _ => "?",
        };
        cell.set_symbol(replacement);
    }
}

fn too_small(frame: &mut Frame, area: Rect, ctx: &ViewCtx) {
    let text = vec![
        Line::styled("terminal too small", ctx.style(Slot::Error)),
        Line::styled(
            format!(
                "need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
                area.width, area.height
            ),
            ctx.style(Slot::Text),
        ),
        Line::styled(
            format!(
                "{} quits",
                ctx.keys.describe(crate::monitor::app::Action::Quit)
            ),
            ctx.style(Slot::Muted),
        ),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

#[cfg(test)]
mod tests;
