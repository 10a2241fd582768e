//! Where panes go. Large terminals show every pane; medium ones keep traffic, clusters and
//! the feed and show one of forecast / projection / quality (the focused one); below the
//! minimum the renderer says so instead of drawing.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::monitor::app::Pane;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub struct Areas {
    pub status: Rect,
    pub hints: Rect,
    /// Everything between the bars (overlays are centred in it).
    pub body: Rect,
    pub panes: Vec<(Pane, Rect)>,
}

pub fn split(area: Rect, focus: Pane) -> Areas {
    let [status, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let full = area.width >= 110 && area.height >= 32;
    let mut panes = Vec::with_capacity(6);
    if full {
        let top_h = (body.height / 4).max(9);
        let bottom_h = (body.height * 2 / 7).max(10);
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(top_h),
            Constraint::Min(6),
            Constraint::Length(bottom_h),
        ])
        .areas(body);
        let [traffic, clusters] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(top);
        let [forecast, projection, quality] = Layout::horizontal([
            Constraint::Percentage(40),
            Constraint::Percentage(30),
            Constraint::Percentage(30),
        ])
        .areas(bottom);
        panes.extend([
            (Pane::Traffic, traffic),
            (Pane::Clusters, clusters),
            (Pane::Anomalies, middle),
            (Pane::Forecast, forecast),
            (Pane::Projection, projection),
            (Pane::Quality, quality),
        ]);
    } else {
        let bottom_h = if body.height >= 22 { 8 } else { 0 };
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(5),
            Constraint::Min(4),
            Constraint::Length(bottom_h),
        ])
        .areas(body);
        let [traffic, clusters] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        panes.extend([
            (Pane::Traffic, traffic),
            (Pane::Clusters, clusters),
            (Pane::Anomalies, middle),
        ]);
        let secondary = match focus {
            Pane::Forecast | Pane::Projection | Pane::Quality => focus,
            _ => Pane::Quality,
        };
        if bottom_h > 0 {
            panes.push((secondary, bottom));
        } else if secondary == focus {
            // No room below: the focused secondary pane takes the feed's place.
            panes.retain(|(p, _)| *p != Pane::Anomalies);
            panes.push((secondary, middle));
        }
    }
    Areas {
        status,
        hints,
        body,
        panes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panes(w: u16, h: u16, focus: Pane) -> Vec<Pane> {
        split(Rect::new(0, 0, w, h), focus)
            .panes
            .iter()
            .map(|(p, _)| *p)
            .collect()
    }

    #[test]
    fn breakpoints() {
        assert_eq!(panes(120, 40, Pane::Anomalies).len(), 6);
        assert_eq!(
            panes(80, 24, Pane::Anomalies),
            vec![
                Pane::Traffic,
                Pane::Clusters,
                Pane::Anomalies,
                Pane::Quality
            ]
        );
        assert_eq!(
            panes(80, 24, Pane::Forecast),
            vec![
                Pane::Traffic,
                Pane::Clusters,
                Pane::Anomalies,
                Pane::Forecast
            ]
        );
        assert_eq!(
            panes(60, 16, Pane::Projection),
            vec![Pane::Traffic, Pane::Clusters, Pane::Projection]
        );
        // Every pane fits inside the screen at every size from the minimum up.
        for w in MIN_WIDTH..=220 {
            for h in [MIN_HEIGHT, 20, 24, 31, 32, 40, 60] {
                let a = split(Rect::new(0, 0, w, h), Pane::Anomalies);
                for (_, r) in &a.panes {
                    assert!(r.right() <= w && r.bottom() <= h, "{w}×{h}: {r:?}");
                }
            }
        }
    }
}
