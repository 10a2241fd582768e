//! Render snapshots from hand-built views at the sizes the design names, in `dark` and
//! `mono`. Styles are part of the `dark` snapshots so colour regressions show.

use crate::monitor::theme::Slot;
use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::*;
use crate::engine::runner::LiveView;
use crate::monitor::app::{Action, App, update};
use crate::monitor::theme::Theme;
use crate::monitor::ui::fixture;

/// The screen as text, one line per row.
fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn draw(app: &App, live: &LiveView, theme: &str, w: u16, h: u16, ascii: bool) -> Buffer {
    let theme = Theme::load(theme).expect("built-in theme");
    let keys = KeyMap::new(&BTreeMap::new()).expect("default keys");
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    let ctx = ViewCtx {
        app,
        view: live,
        live,
        theme: &theme,
        keys: &keys,
        ascii,
        now: 1_700_000_100.0,
    };
    term.draw(|f| render(f, &ctx)).expect("draw");
    term.backend().buffer().clone()
}

fn app() -> App {
    App::new("m.json".into(), ".".into())
}

#[test]
fn full_screen_120x40_dark() {
    let live = fixture::view();
    let mut a = app();
    // Select the oldest row so the newest (HIGH) row shows its own style.
    for _ in 0..4 {
        update(&mut a, Action::Down, &Arc::new(fixture::view()));
    }
    let buf = draw(&a, &live, "dark", 120, 40, false);
    insta::assert_snapshot!(text(&buf));
    // Focus and meaning are not colour alone: the feed's title is marked and votes are glyphs.
    let screen = text(&buf);
    assert!(screen.contains("▶ 3 Anomalies"));
    assert!(screen.contains("●"));
    // The forecast pane shows the chosen order and the forecast glyphs.
    assert!(
        screen.contains("ARIMA(") || screen.contains("last value"),
        "{screen}"
    );
    assert!(screen.contains("◆"), "{screen}");
    // The threat level cell of a HIGH row carries the anomaly-high style.
    let (x, y) = find(&buf, "HIGH").expect("a HIGH row");
    assert_eq!(
        buf[(x, y)].style().fg,
        Theme::load("dark")
            .expect("dark")
            .style(Slot::AnomalyHigh)
            .fg
    );
}

#[test]
fn compact_80x24_mono() {
    let live = fixture::view();
    let buf = draw(&app(), &live, "mono", 80, 24, false);
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn ascii_120x40_has_only_ascii() {
    let live = fixture::view();
    let screen = text(&draw(&app(), &live, "mono", 120, 40, true));
    assert!(screen.is_ascii(), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn tiny_terminals_say_so_and_never_panic() {
    let live = fixture::view();
    let screen = text(&draw(&app(), &live, "dark", 40, 10, false));
    assert!(screen.contains("terminal too small"));
    assert!(screen.contains("need 60×16, have 40×10"));
    insta::assert_snapshot!(screen);
    // Every size from nothing up to past the breakpoints, with every overlay open.
    let mut apps = vec![app()];
    for a in [
        Action::Help,
        Action::Filter,
        Action::DrillDown,
        Action::Threat,
    ] {
        let mut x = app();
        update(&mut x, a, &Arc::new(fixture::view()));
        apps.push(x);
    }
    for a in &apps {
        for w in (0..=130).step_by(7) {
            for h in (0..=45).step_by(5) {
                draw(a, &live, "dark", w, h, false);
            }
        }
    }
}

#[test]
fn overlays_detail_help_threat_at_120x40() {
    let live = Arc::new(fixture::view());
    let mut a = app();
    update(&mut a, Action::DrillDown, &live);
    insta::assert_snapshot!("detail", text(&draw(&a, &live, "dark", 120, 40, false)));
    let mut a = app();
    update(&mut a, Action::Help, &live);
    let help = text(&draw(&a, &live, "dark", 120, 40, false));
    // Help is generated from the key map.
    assert!(help.contains("retrain all models now"));
    insta::assert_snapshot!("help", help);
    let mut a = app();
    update(&mut a, Action::Threat, &live);
    let threat = text(&draw(&a, &live, "mono", 120, 40, false));
    assert!(
        threat.contains("HIGH") || threat.contains("MEDIUM"),
        "{threat}"
    );
    insta::assert_snapshot!("threat", threat);
}

#[test]
fn warming_up_states_are_explained() {
    let live = fixture::warming();
    let screen = text(&draw(&app(), &live, "dark", 120, 40, false));
    assert!(screen.contains("learning normal traffic: 120/1000 flows"));
    // A live source runs at ×1: the first forecast comes after 30 one-second buckets.
    assert!(
        screen.contains("forecast in ~30s (0 of 30 buckets)"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // A replay at ×10 gets there ten times sooner; at max speed the pace is unknown.
    let mut replay = fixture::warming();
    replay.replay = true;
    replay.ingest = fixture::view().ingest;
    let screen = text(&draw(&app(), &replay, "dark", 120, 40, false));
    assert!(
        screen.contains("forecast in ~3.00s (0 of 30 buckets)"),
        "{screen}"
    );
    if let Some(i) = replay.ingest.as_mut() {
        i.speed = crate::flows::source::replay::Speed::Max;
    }
    let screen = text(&draw(&app(), &replay, "dark", 120, 40, false));
    assert!(
        screen.contains("forecast after 30 more buckets"),
        "{screen}"
    );
}

fn find(buf: &Buffer, s: &str) -> Option<(u16, u16)> {
    let lines = text(buf);
    for (y, line) in lines.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let target: Vec<char> = s.chars().collect();
        if let Some(x) = chars
            .windows(target.len())
            .position(|w| w == target.as_slice())
        {
            return Some((x as u16, y as u16));
        }
    }
    None
}

#[test]
fn forecast_pane_second_tab_shows_the_temporal_profile() {
    let live = Arc::new(fixture::view());
    let mut a = app();
    update(&mut a, Action::SwitchTab, &live);
    let screen = text(&draw(&a, &live, "dark", 120, 40, false));
    assert!(screen.contains("[profile]"), "{screen}");
    assert!(screen.contains("corr(flows,bytes) last 30"), "{screen}");
    assert!(screen.contains("Mon"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn quality_pane_second_tab_shows_the_classifier() {
    let live = Arc::new(fixture::view());
    let mut a = app();
    a.focus = crate::monitor::app::Pane::Quality;
    update(&mut a, Action::SwitchTab, &live);
    let screen = text(&draw(&a, &live, "dark", 120, 40, false));
    assert!(screen.contains("[classifier]"), "{screen}");
    assert!(screen.contains("*random-forest"), "{screen}");
    assert!(screen.contains("TN 940"), "{screen}");
    assert!(screen.contains("byte-rate"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_volume_event_opens_its_detail_with_the_interval() {
    let live = Arc::new(fixture::view());
    let mut a = app();
    update(&mut a, Action::PageDown, &live);
    update(&mut a, Action::DrillDown, &live);
    let screen = text(&draw(&a, &live, "dark", 120, 40, false));
    assert!(
        screen.contains("above the 95 % forecast interval"),
        "{screen}"
    );
    // One event for the bucket, with a reason for each series that left its interval.
    assert!(screen.contains("destinations 95 per bucket"), "{screen}");
    assert!(screen.contains("flows 310 per bucket"), "{screen}");
}

#[test]
fn forecast_pane_shows_the_sequence_signal_and_every_series() {
    let live = std::sync::Arc::new(fixture::view());
    let mut a = app();
    let widest = text(&draw(&a, &live, "dark", 300, 60, false));
    assert!(
        widest.contains("now 0.86, peak 0.995 at 02:40:32 in bytes (autoencoder over 12 buckets"),
        "{widest}"
    );
    let wide = text(&draw(&a, &live, "dark", 200, 60, false));
    assert!(wide.contains("sequence ▁"), "{wide}");
    // Six series do not fit a third of 200 columns beside the legend: the switcher says
    // which one of how many.
    assert!(wide.contains("flows 1/6 ←→"), "{wide}");
    // Right three times: distinct destinations, drawn with their own forecast.
    for _ in 0..3 {
        crate::monitor::app::update(&mut a, crate::monitor::app::Action::Right, &live);
    }
    assert_eq!(a.series, crate::monitor::app::SeriesKind::Sources);
    crate::monitor::app::update(&mut a, crate::monitor::app::Action::Right, &live);
    let dst = text(&draw(&a, &live, "dark", 200, 60, false));
    assert!(dst.contains("Forecast destinations/"), "{dst}");
    // A format without addresses says so instead of drawing zeros.
    let mut bare = fixture::view();
    bare.snapshot.seen.hosts = false;
    let none = text(&draw(&a, &bare, "dark", 200, 60, false));
    assert!(
        none.contains("destinations: the flows carry no addresses"),
        "{none}"
    );
}

/// The feed keeps the newest rows, but its title counts every flagged flow.
#[test]
fn the_feed_title_counts_every_flagged_flow() {
    let mut live = fixture::view();
    let kept = live.snapshot.feed.len();
    live.snapshot.counters.flagged = 5_321;
    let screen = text(&draw(&app(), &live, "dark", 160, 40, false));
    assert!(
        screen.contains(&format!("5321 flagged, newest {kept} listed")),
        "{screen}"
    );
}

/// `--ascii` keeps arrows readable: `←→` becomes `<>`, not `?>`.
#[test]
fn ascii_arrows_keep_their_direction() {
    let mut buf = Buffer::with_lines(["←→ ↑↓ ◀▶ ◆"]);
    asciify(&mut buf);
    assert_eq!(text(&buf), "<> ^v <> *\n");
}

/// Up and down in Model quality scroll its detector rows and leave the focus there (they
/// used to jump to the feed, and the last detector could not be reached on a short screen).
#[test]
fn model_quality_scrolls_to_its_last_detector() {
    let mut view = fixture::view();
    view.snapshot.detectors = crate::learn::detect::DetectorKind::ALL
        .iter()
        .map(|k| crate::engine::DetectorState {
            kind: *k,
            ready: true,
            detail: "ready".into(),
            weight: 1.0 / 9.0,
            sits_out: false,
        })
        .collect();
    let live = Arc::new(view);
    let mut a = app();
    update(&mut a, Action::Focus6, &live);
    let screen = |a: &App| text(&draw(a, &live, "mono", 120, 30, false));
    let before = screen(&a);
    assert!(!before.contains("ecod "), "cut off at this size:\n{before}");
    assert!(before.contains("more"), "says there is more:\n{before}");
    for _ in 0..9 {
        update(&mut a, Action::Down, &live);
    }
    assert_eq!(
        a.focus,
        crate::monitor::app::Pane::Quality,
        "the focus stays"
    );
    let after = screen(&a);
    assert!(after.contains("ecod "), "reached:\n{after}");
    assert!(after.contains("more"), "says what is above:\n{after}");
}

/// At 80×24 a long message leaves the key hints their place, and the help scrolls to its
/// last key.
#[test]
fn small_terminals_keep_the_keys_and_scroll_the_help() {
    let mut view = fixture::view();
    view.message = Some(crate::engine::runner::Message {
        seq: 1,
        text: "retrained in 1.04 s on 3000 flows (model #2); ".repeat(3),
        error: false,
    });
    let live = Arc::new(view);
    let screen = text(&draw(&app(), &live, "mono", 80, 24, false));
    let bottom = screen.lines().last().unwrap_or_default();
    assert!(
        bottom.contains("? help") && bottom.contains("q quit"),
        "{bottom}"
    );
    assert!(bottom.starts_with(" retrained in"), "{bottom}");
    let mut a = app();
    update(&mut a, Action::Help, &live);
    let first = text(&draw(&a, &live, "mono", 80, 24, false));
    assert!(first.contains("more (up / down scroll)"), "{first}");
    let last_key =
        crate::monitor::app::Action::ALL[crate::monitor::app::Action::ALL.len() - 1].help();
    assert!(!first.contains(last_key), "{first}");
    for _ in 0..crate::monitor::app::Action::ALL.len() {
        update(&mut a, Action::Down, &live);
    }
    let end = text(&draw(&a, &live, "mono", 80, 24, false));
    assert!(end.contains(last_key), "the last key is reached: {end}");
}

/// A source that stopped on an error says so in the status bar for good, not only in a
/// message the next one replaces.
#[test]
fn an_input_that_stopped_on_an_error_says_so() {
    let mut view = fixture::view();
    view.failed = Some("big.csv.gz: incomplete deflate stream".into());
    let screen = text(&draw(&app(), &Arc::new(view), "mono", 160, 40, false));
    let top = screen.lines().next().unwrap_or_default();
    assert!(
        top.contains("input stopped: big.csv.gz: incomplete deflate stream"),
        "{top}"
    );
}

/// Repeats of one pattern show as one row with their count and first sighting; a feed over
/// two days dates its times; opened, the fold lists its members indented.
#[test]
fn the_feed_folds_repeats_and_dates_a_capture_over_days() {
    let live = Arc::new(fixture::beacon(40));
    let mut a = app();
    let screen = text(&draw(&a, &live, "mono", 200, 40, false));
    let feed: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Anomalies"))
        .take(10)
        .collect();
    let feed = feed.join("\n");
    insta::assert_snapshot!(feed);
    assert!(feed.contains("1 folded"), "{feed}");
    assert!(
        feed.contains("▸ 10.0.0.99:50000 → 203.0.113.7:8080"),
        "{feed}"
    );
    assert!(feed.contains("    40×"), "{feed}");
    // Dates: the beacon began a day before the rest of the feed (first seen).
    assert!(feed.contains("07-14 12:00:00"), "{feed}");
    assert!(feed.contains("07-13 03:30:00"), "{feed}");
    while a.feed_rows(&live)[a.selected_index(&a.feed_rows(&live))].repeats() != 40 {
        update(&mut a, Action::Down, &live);
    }
    update(&mut a, Action::DrillDown, &live);
    let screen = text(&draw(&a, &live, "mono", 200, 40, false));
    assert!(screen.contains("▾ 10.0.0.99:50000"), "{screen}");
    assert!(
        screen.contains(":00   10.0.0.99:50001 → 203.0.113.7:8080"),
        "{screen}"
    );
}

/// At 80 columns the flow keeps both addresses and ports; columns of lower priority go.
#[test]
fn narrow_feed_keeps_whole_endpoints() {
    let live = fixture::view();
    let screen = text(&draw(&app(), &live, "mono", 80, 24, false));
    for line in [
        "10.0.0.10:40000 → 192.168.1.5:4444",
        "10.0.0.11:40001 → 192.168.1.5:443",
    ] {
        assert!(screen.contains(line), "{screen}");
    }
    assert!(screen.contains("threat"), "{screen}");
}

/// The sorted column's header keeps its arrow even when the column is narrow.
#[test]
fn the_sorted_column_is_marked_in_its_header() {
    let live = Arc::new(fixture::view());
    let mut a = app();
    while a.sort.key != crate::monitor::app::SortKey::Proto {
        update(&mut a, Action::SortNext, &live);
    }
    let screen = text(&draw(&a, &live, "mono", 120, 40, false));
    assert!(screen.contains("pro ↑"), "{screen}");
    assert!(screen.contains("by proto ↑"), "{screen}");
    update(&mut a, Action::SortReverse, &live);
    let screen = text(&draw(&a, &live, "mono", 120, 40, false));
    assert!(screen.contains("pro ↓"), "{screen}");
}

/// The status bar shows the alert budget, the rate the flag runs at and the score that flags.
#[test]
fn the_status_bar_shows_the_alert_budget() {
    let live = fixture::view();
    let screen = text(&draw(&app(), &live, "mono", 200, 50, false));
    let status = screen.lines().next().unwrap_or("");
    // 5 flagged of 4,000 scored.
    assert!(
        status.contains("alerts 0.12% of a 1% budget, score ≥ 0.991"),
        "{status}"
    );
}

/// A detector screened out of the score says so in Model quality, apart from those the
/// agreement weighting left at zero.
#[test]
fn a_screened_detector_says_it_sits_out() {
    let mut view = fixture::view();
    view.snapshot.detectors[2].weight = 0.0;
    view.snapshot.detectors[2].sits_out = true;
    view.snapshot.detectors[1].weight = 0.0;
    let screen = text(&draw(&app(), &view, "mono", 120, 40, false));
    assert!(screen.contains("sits out"), "{screen}");
    assert!(screen.contains("votes only"), "{screen}");
}
