//! One file per pane; each draws itself from the `ViewCtx` into its rectangle.

mod anomalies;
mod classifier;
mod clusters;
mod feed_columns;
mod forecast;
mod profile;
mod projection;
mod quality;
mod traffic;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::ViewCtx;
use crate::monitor::app::Pane;

pub use anomalies::{endpoints, level_slot};

pub fn render(frame: &mut Frame, pane: Pane, area: Rect, ctx: &ViewCtx) {
    match pane {
        Pane::Traffic => traffic::render(frame, area, ctx),
        Pane::Clusters => clusters::render(frame, area, ctx),
        Pane::Anomalies => anomalies::render(frame, area, ctx),
        Pane::Forecast => forecast::render(frame, area, ctx),
        Pane::Projection => projection::render(frame, area, ctx),
        Pane::Quality => quality::render(frame, area, ctx),
    }
}
