//! The feed's columns, each described once: header, the sort key it answers to, width
//! bounds, the priority that decides which columns a narrow terminal drops, and how a row's
//! cell is drawn. The layout takes columns by priority while their minimum widths fit, then
//! grows them towards their maximum in the same order.

use crate::monitor::theme::Slot;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::engine::AnomalyEvent;
use crate::monitor::app::{FeedRow, SortKey, total_bytes};
use crate::monitor::ui::ViewCtx;
use crate::monitor::ui::display::{count, duration, fit};

/// What every cell of one render shares.
pub struct Cx<'a> {
    pub ctx: &'a ViewCtx<'a>,
    /// The feed spans more than one UTC day: times carry the date.
    pub with_date: bool,
    pub detectors: usize,
    /// The widest flow text among the rows (the flow column asks for it whole).
    pub flow_width: u16,
}

/// How wide a column may be.
#[derive(Clone, Copy)]
pub enum Width {
    /// Between these, whatever the rows hold.
    Range(u16, u16),
    /// A clock time: 8 columns, 14 when the feed spans days and times carry the date.
    Time,
    /// One glyph per detector packed, or spaced three apart under two-letter heads.
    Votes,
    /// At least the widest endpoint text on screen (within the range), so addresses and
    /// ports stay whole before any lower-priority column is shown.
    Endpoints(u16, u16),
}

impl Width {
    /// (minimum, maximum) for this render.
    fn bounds(self, cx: &Cx) -> (u16, u16) {
        match self {
            Width::Range(min, max) => (min, max),
            Width::Time => (time_width(cx), time_width(cx)),
            Width::Votes => (
                (cx.detectors as u16).max(5),
                (3 * cx.detectors as u16).saturating_sub(1).max(5),
            ),
            Width::Endpoints(min, max) => (cx.flow_width.clamp(min, max), max),
        }
    }
}

pub struct Column {
    pub header: &'static str,
    pub sort: Option<SortKey>,
    pub width: Width,
    /// 0 is always shown; higher numbers go first when the terminal is narrow.
    pub priority: u8,
    pub cell: fn(&Cx, &FeedRow, u16) -> Cell<'static>,
    /// Shown only when some row has something to put in it.
    pub wanted: fn(&[FeedRow]) -> bool,
}

fn always(_: &[FeedRow]) -> bool {
    true
}

fn any(rows: &[FeedRow], f: impl Fn(&AnomalyEvent) -> bool) -> bool {
    rows.iter().any(|r| f(r.head()))
}

fn text(s: impl Into<String>) -> Cell<'static> {
    Cell::from(s.into())
}

fn clock(t: f64, with_date: bool) -> String {
    if with_date {
        crate::monitor::ui::display::day_time(t)
    } else {
        crate::monitor::ui::display::time(t)
    }
}

fn time_width(cx: &Cx) -> u16 {
    if cx.with_date { 14 } else { 8 }
}

/// A volume row in few words: the series, what was seen and the interval it left.
pub fn volume_text(e: &AnomalyEvent) -> Option<String> {
    let v = e.volume.as_ref()?;
    let value = crate::monitor::ui::display::series_value(v.series);
    let more = if v.also.is_empty() {
        String::new()
    } else {
        format!(" +{}", v.also.len())
    };
    Some(format!(
        "volume: {} {} outside {}–{}{more}",
        v.series,
        value(v.observed),
        value(v.lo.max(0.0)),
        value(v.hi)
    ))
}

fn indent(row: &FeedRow) -> &'static str {
    if row.member { "  " } else { "" }
}

pub fn columns() -> Vec<Column> {
    vec![
        Column {
            header: "time",
            sort: Some(SortKey::Time),
            width: Width::Time,
            priority: 0,
            cell: |cx, r, _| {
                let e = r.head();
                text(
                    r.last_seen()
                        .map_or_else(|| format!("l{}", e.line), |t| clock(t, cx.with_date)),
                )
            },
            wanted: always,
        },
        Column {
            header: "flow",
            sort: Some(SortKey::Flow),
            width: Width::Endpoints(22, 48),
            priority: 0,
            cell: |cx, r, w| {
                let e = r.head();
                let marker = match (r.repeats() > 1, r.expanded) {
                    (false, _) => "",
                    (true, false) => cx.ctx.glyph("▸ ", "+ "),
                    (true, true) => cx.ctx.glyph("▾ ", "- "),
                };
                let body = volume_text(e).unwrap_or_else(|| super::endpoints(e));
                text(fit(&format!("{}{marker}{body}", indent(r)), w as usize))
            },
            wanted: always,
        },
        Column {
            header: "repeats",
            sort: Some(SortKey::Repeats),
            width: Width::Range(7, 7),
            priority: 1,
            cell: |_, r, _| {
                if r.repeats() > 1 {
                    text(format!("{:>6}×", r.repeats()))
                } else {
                    text("")
                }
            },
            wanted: |rows| rows.iter().any(|r| r.repeats() > 1),
        },
        Column {
            header: "first",
            sort: None,
            width: Width::Time,
            priority: 5,
            cell: |cx, r, _| {
                if r.repeats() > 1 {
                    text(
                        r.first_seen()
                            .map_or_else(String::new, |t| clock(t, cx.with_date)),
                    )
                } else {
                    text("")
                }
            },
            wanted: |rows| rows.iter().any(|r| r.repeats() > 1),
        },
        Column {
            header: "proto",
            sort: Some(SortKey::Proto),
            width: Width::Range(5, 5),
            priority: 2,
            cell: |_, r, w| text(fit(r.head().proto.as_deref().unwrap_or(""), w as usize)),
            wanted: |rows| any(rows, |e| e.proto.is_some()),
        },
        Column {
            header: "service",
            sort: Some(SortKey::Service),
            width: Width::Range(7, 10),
            priority: 3,
            cell: |_, r, w| text(fit(r.head().service.as_deref().unwrap_or(""), w as usize)),
            wanted: |rows| any(rows, |e| e.service.is_some()),
        },
        Column {
            header: "state",
            sort: Some(SortKey::State),
            width: Width::Range(5, 7),
            priority: 4,
            cell: |_, r, w| text(fit(r.head().state.as_deref().unwrap_or(""), w as usize)),
            wanted: |rows| any(rows, |e| e.state.is_some()),
        },
        Column {
            header: "duration",
            sort: Some(SortKey::Duration),
            width: Width::Range(8, 8),
            priority: 3,
            cell: |_, r, _| {
                text(format!(
                    "{:>8}",
                    r.head().core.duration.map_or_else(String::new, duration)
                ))
            },
            wanted: |rows| any(rows, |e| e.core.duration.is_some()),
        },
        Column {
            header: "bytes out/in",
            sort: Some(SortKey::Bytes),
            width: Width::Range(12, 12),
            priority: 2,
            cell: |_, r, _| {
                let c = &r.head().core;
                let v = match (c.fwd_bytes, c.bwd_bytes) {
                    (None, None) => total_bytes(r.head()).map_or_else(String::new, count),
                    (f, b) => format!(
                        "{}/{}",
                        f.map_or_else(|| "–".into(), count),
                        b.map_or_else(|| "–".into(), count)
                    ),
                };
                text(format!("{v:>12}"))
            },
            wanted: |rows| any(rows, |e| total_bytes(e).is_some()),
        },
        Column {
            header: "score",
            sort: Some(SortKey::Score),
            width: Width::Range(5, 5),
            priority: 1,
            cell: |cx, r, _| {
                let e = r.head();
                Cell::from(Span::styled(
                    if e.volume.is_some() {
                        "  vol".to_string()
                    } else {
                        format!("{:.3}", e.score)
                    },
                    cx.ctx.style(Slot::Consensus),
                ))
            },
            wanted: always,
        },
        Column {
            // One glyph per detector; spaced under two-letter heads when there is room.
            header: "votes",
            sort: Some(SortKey::Votes),
            width: Width::Votes,
            priority: 2,
            cell: vote_cell,
            wanted: |rows| any(rows, |e| !e.votes.is_empty()),
        },
        Column {
            header: "threat",
            sort: Some(SortKey::Threat),
            width: Width::Range(10, 10),
            priority: 0,
            cell: |cx, r, _| {
                let t = &r.head().threat;
                Cell::from(Span::styled(
                    // Floor, so a 69.8 (MEDIUM) never reads as 70.
                    format!("{:<6} {:>3}", t.level.name(), t.score.floor() as u32),
                    cx.ctx.style(super::level_slot(t.level)),
                ))
            },
            wanted: always,
        },
        Column {
            header: "classifier",
            sort: Some(SortKey::Classifier),
            width: Width::Range(12, 16),
            priority: 2,
            cell: |cx, r, w| match &r.head().predicted {
                // The predicted class and its probability; attacks in the threat colours.
                Some(p) => Cell::from(Span::styled(
                    fit(&format!("{:.2} {}", p.probability, p.class), w as usize),
                    cx.ctx.style(if p.attack_probability >= 0.5 {
                        Slot::AnomalyHigh
                    } else {
                        Slot::Muted
                    }),
                )),
                None => text(""),
            },
            wanted: |rows| any(rows, |e| e.predicted.is_some()),
        },
        Column {
            header: "label",
            sort: Some(SortKey::Label),
            width: Width::Range(8, 16),
            priority: 2,
            cell: |_, r, w| text(fit(r.head().label.as_deref().unwrap_or(""), w as usize)),
            wanted: |rows| any(rows, |e| e.label.is_some()),
        },
    ]
}

/// Votes fill `w` columns: spaced (`●  ·  ●`) under the two-letter heads when
/// `w >= 3n - 1`, else packed (`●·●`).
fn vote_cell(cx: &Cx, r: &FeedRow, w: u16) -> Cell<'static> {
    let yes = cx.ctx.glyph("●", "X");
    let no = cx.ctx.glyph("·", ".");
    let spaced = spaced_votes(cx, w);
    let mut spans = Vec::new();
    for (j, v) in r.head().votes.iter().enumerate() {
        if spaced && j > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(match v {
            Some(true) => Span::styled(yes, cx.ctx.style(Slot::VoteYes)),
            Some(false) => Span::styled(no, cx.ctx.style(Slot::VoteNo)),
            None => Span::raw(" "),
        });
    }
    Cell::from(Line::from(spans))
}

pub fn spaced_votes(cx: &Cx, w: u16) -> bool {
    cx.detectors > 0 && w as usize >= 3 * cx.detectors - 1
}

/// The layout: which columns show and how wide, for `width` terminal columns (one space
/// between columns). Returns indices into `cols` in screen order with their widths.
pub fn fit_columns(cols: &[Column], wanted: &[bool], cx: &Cx, width: u16) -> Vec<(usize, u16)> {
    let bounds: Vec<(u16, u16)> = cols.iter().map(|c| c.width.bounds(cx)).collect();
    let mut order: Vec<usize> = (0..cols.len()).filter(|&i| wanted[i]).collect();
    order.sort_by_key(|&i| cols[i].priority);
    let mut taken = vec![false; cols.len()];
    let mut used = 0u16;
    for &i in &order {
        let need = bounds[i].0 + u16::from(used > 0);
        if used + need <= width {
            taken[i] = true;
            used += need;
        }
    }
    let mut widths: Vec<u16> = bounds.iter().map(|b| b.0).collect();
    let mut spare = width.saturating_sub(used);
    for &i in order.iter().filter(|&&i| taken[i]) {
        let grow = (bounds[i].1 - bounds[i].0).min(spare);
        widths[i] += grow;
        spare -= grow;
    }
    (0..cols.len())
        .filter(|&i| taken[i])
        .map(|i| (i, widths[i]))
        .collect()
}
