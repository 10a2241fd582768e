use std::collections::BTreeMap;

use super::*;
use crate::monitor::ui::fixture;

fn setup() -> (App, Arc<LiveView>) {
    (
        App::new("m.json".into(), "out".into()),
        Arc::new(fixture::view()),
    )
}

fn key(c: char) -> Key {
    Key::plain(c)
}

#[test]
fn selection_moves_follows_the_newest_and_opens_the_detail() {
    let (mut app, live) = setup();
    assert_eq!(app.selected, None, "follows the newest row");
    update(&mut app, Action::Down, &live);
    update(&mut app, Action::Down, &live);
    assert_eq!(app.selected, Some(98));
    update(&mut app, Action::PageDown, &live);
    // The last row is the fixture's volume event, numbered down from the top of u64.
    assert_eq!(app.selected, Some(u64::MAX - 1), "clamped at the last row");
    update(&mut app, Action::Top, &live);
    assert_eq!(app.selected, None);
    update(&mut app, Action::Down, &live);
    let cmds = update(&mut app, Action::DrillDown, &live);
    assert!(cmds.is_empty());
    match &app.overlay {
        Some(Overlay::Detail { event, .. }) => assert_eq!(event.line, 99),
        other => panic!("expected the detail, got {other:?}"),
    }
    // Esc closes the overlay and never quits.
    update(&mut app, Action::Close, &live);
    assert!(app.overlay.is_none() && !app.quit);
    update(&mut app, Action::Close, &live);
    assert!(!app.quit);
    update(&mut app, Action::Quit, &live);
    assert!(app.quit);
}

#[test]
fn typing_a_filter_narrows_the_feed_and_bad_filters_stay_open() {
    let (mut app, live) = setup();
    let keys = KeyMap::new(&BTreeMap::new()).expect("defaults");
    update(&mut app, Action::Filter, &live);
    assert!(app.typing());
    for c in "label:attack".chars() {
        // Printable keys are text while typing, even those bound to actions (`l`, `t`, `k`).
        assert_eq!(action_for(&app, &keys, &key(c)), None);
        assert!(type_text(&mut app, &key(c)));
    }
    update(&mut app, Action::DrillDown, &live);
    assert!(app.overlay.is_none());
    let feed = app.feed(&live);
    assert_eq!(feed.len(), 3);
    assert!(feed.iter().all(|e| e.attack == Some(true)));

    update(&mut app, Action::Filter, &live);
    for c in " score>>1".chars() {
        type_text(&mut app, &key(c));
    }
    update(&mut app, Action::DrillDown, &live);
    match &app.overlay {
        Some(Overlay::Filter { error: Some(e), .. }) => assert!(e.contains("not a number"), "{e}"),
        other => panic!("the bad filter must stay open with its error: {other:?}"),
    }
    assert_eq!(
        app.filter.as_ref().map(|f| f.text.as_str()),
        Some("label:attack")
    );
}

#[test]
fn filter_terms() {
    let live = fixture::view();
    let names = ["iforest", "lof", "ecod"];
    let count = |text: &str| {
        let f = Filter::parse(text).expect("valid").expect("non-empty");
        live.snapshot
            .feed
            .iter()
            .filter(|e| f.matches(e, &names))
            .count()
    };
    assert_eq!(count("score>0.985"), 2);
    assert_eq!(count("cluster:1"), 2);
    assert_eq!(count("dport:443"), 2);
    assert_eq!(count("src:10.0.0.12"), 1);
    assert_eq!(count("detector:ecod"), 3);
    assert_eq!(count("label:benign proto:tcp"), 2);
    assert_eq!(count("portscan"), 3);
    assert_eq!(count("votes>=3"), 2);
    assert!(Filter::parse("colour:red").is_err());
    assert!(Filter::parse("level:severe").is_err());
    assert_eq!(Filter::parse("   ").expect("empty is fine"), None);
}

#[test]
fn engine_commands_for_replay_retrain_export_and_models() {
    let (mut app, live) = setup();
    app.now = 1_700_000_000.0;
    let cmds = update(&mut app, Action::Pause, &live);
    assert!(matches!(
        cmds[..],
        [EngineCommand::Replay(ReplayCommand::TogglePause)]
    ));
    assert!(matches!(
        update(&mut app, Action::Retrain, &live)[..],
        [EngineCommand::Retrain]
    ));
    assert!(matches!(
        update(&mut app, Action::CancelRetrain, &live)[..],
        [EngineCommand::CancelRetrain]
    ));
    app.filter = Filter::parse("dport:443").expect("valid");
    match &update(&mut app, Action::Export, &live)[..] {
        [EngineCommand::Export { stem, events }] => {
            assert_eq!(events.len(), 2, "exports the feed as shown");
            assert_eq!(
                stem,
                &PathBuf::from("out/flowtop-anomalies-20231114-221320")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &update(&mut app, Action::Save, &live)[..],
        [EngineCommand::Save(p)] if p == &PathBuf::from("m.json")
    ));
}

#[test]
fn freeze_keeps_the_view_while_live_moves_on() {
    let (mut app, live) = setup();
    update(&mut app, Action::Freeze, &live);
    let mut newer = fixture::view();
    newer.snapshot.feed.clear();
    let newer = Arc::new(newer);
    assert_eq!(app.feed(app.shown(&newer)).len(), 6, "frozen view");
    update(&mut app, Action::Freeze, &newer);
    assert_eq!(app.feed(app.shown(&newer)).len(), 0, "live again");
}

#[test]
fn threat_form_is_prefilled_answers_from_the_flow_then_queries_edits() {
    let (mut app, live) = setup();
    update(&mut app, Action::Down, &live);
    let cmds = update(&mut app, Action::Threat, &live);
    assert!(
        cmds.is_empty(),
        "the recorded flow's own assessment answers first"
    );
    let Some(Overlay::Threat(form)) = &app.overlay else {
        panic!("form expected");
    };
    assert_eq!(form.values[1], "20");
    assert_eq!(form.values[6], "443");
    assert!(form.event.is_some());
    // Move to the port and change it.
    for _ in 0..6 {
        update(&mut app, Action::FocusNext, &live);
    }
    for k in [Key {
        code: Code::Backspace,
        ctrl: false,
        alt: false,
    }; 3]
    {
        type_text(&mut app, &k);
    }
    for c in "4444".chars() {
        type_text(&mut app, &key(c));
    }
    match &update(&mut app, Action::DrillDown, &live)[..] {
        [EngineCommand::Threat { query, .. }] => {
            assert_eq!(query.dport, Some(4444));
            assert_eq!(query.fwd_packets, Some(20.0));
            assert_eq!(query.src.as_deref(), Some("10.0.0.11"));
        }
        other => panic!("{other:?}"),
    }
    // A negative number is refused in the form, before the engine.
    type_text(&mut app, &key('-'));
    update(&mut app, Action::FocusPrev, &live);
    for c in "-5".chars() {
        type_text(&mut app, &key(c));
    }
    assert!(update(&mut app, Action::DrillDown, &live).is_empty());
    let Some(Overlay::Threat(form)) = &app.overlay else {
        panic!("form expected");
    };
    assert!(
        form.error
            .as_deref()
            .is_some_and(|e| e.contains("is not a")),
        "{:?} {:?}",
        form.error,
        form.values
    );
}

#[test]
fn enter_on_a_cluster_filters_the_feed_to_it() {
    let (mut app, live) = setup();
    update(&mut app, Action::Focus2, &live);
    update(&mut app, Action::Down, &live);
    update(&mut app, Action::DrillDown, &live);
    assert_eq!(app.focus, Pane::Anomalies);
    assert_eq!(
        app.filter.as_ref().map(|f| f.text.as_str()),
        Some("cluster:1")
    );
    assert_eq!(app.feed(&live).len(), 2);
}

#[test]
fn focus_cycles_and_series_switch() {
    let (mut app, live) = setup();
    update(&mut app, Action::FocusNext, &live);
    assert_eq!(app.focus, Pane::Forecast);
    update(&mut app, Action::FocusPrev, &live);
    update(&mut app, Action::FocusPrev, &live);
    assert_eq!(app.focus, Pane::Clusters);
    update(&mut app, Action::Focus6, &live);
    update(&mut app, Action::FocusNext, &live);
    assert_eq!(app.focus, Pane::Traffic);
    update(&mut app, Action::Left, &live);
    assert_eq!(app.series, SeriesKind::Anomalies);
    update(&mut app, Action::SwitchTab, &live);
    assert!(app.profile_tab);
    assert_eq!(app.focus, Pane::Forecast);
    // Focused on Model quality, the same key switches that pane to its classifier tab.
    app.focus = Pane::Quality;
    update(&mut app, Action::SwitchTab, &live);
    assert!(app.classifier_tab);
    assert!(app.profile_tab, "the forecast tab is left as it was");
    assert_eq!(app.focus, Pane::Quality);
}

/// Ctrl-U clears the filter prompt, as in a shell.
#[test]
fn ctrl_u_clears_the_filter_prompt() {
    let (mut app, live) = setup();
    let keys = KeyMap::new(&BTreeMap::new()).expect("defaults");
    update(&mut app, Action::Filter, &live);
    for c in "dport:>>".chars() {
        type_text(&mut app, &key(c));
    }
    let ctrl_u = Key {
        code: Code::Char('u'),
        ctrl: true,
        alt: false,
    };
    assert_eq!(action_for(&app, &keys, &ctrl_u), None);
    assert!(type_text(&mut app, &ctrl_u));
    match &app.overlay {
        Some(Overlay::Filter { text, error }) => {
            assert!(text.is_empty(), "{text}");
            assert!(error.is_none());
        }
        other => panic!("the prompt stays open: {other:?}"),
    }
}

#[test]
fn repeats_fold_into_one_row_that_enter_opens_and_esc_closes() {
    let live = Arc::new(fixture::beacon(40));
    let mut app = App::new("m.json".into(), "out".into());
    let rows = app.feed_rows(&live);
    // 40 beacon flows in one row, then the fixture's five flows and its volume event.
    assert_eq!(rows.len(), 7);
    let beacon = rows
        .iter()
        .find(|r| r.repeats() == 40)
        .expect("one folded row");
    assert_eq!(
        beacon.head().line,
        1_040,
        "the newest repeat heads the fold"
    );
    assert_eq!(
        beacon
            .first_seen()
            .zip(beacon.last_seen())
            .map(|(a, b)| b - a),
        Some(39.0 * 3000.0)
    );
    let at = rows.iter().position(|r| r.repeats() == 40).expect("fold");
    for _ in 0..at {
        update(&mut app, Action::Down, &live);
    }
    // Enter on a fold opens it: the 39 older repeats follow it, and nothing else opens.
    update(&mut app, Action::DrillDown, &live);
    assert!(app.overlay.is_none());
    let rows = app.feed_rows(&live);
    assert_eq!(rows.len(), 7 + 39);
    assert!(rows[at].expanded);
    assert!(rows[at + 1..at + 40].iter().all(|r| r.member));
    // On a member, Enter shows that flow; Esc closes the detail, then the fold, and the
    // selection goes back to the fold.
    update(&mut app, Action::Down, &live);
    update(&mut app, Action::DrillDown, &live);
    match &app.overlay {
        Some(Overlay::Detail { event, .. }) => assert_eq!(event.line, 1_039),
        other => panic!("expected the member's detail, got {other:?}"),
    }
    update(&mut app, Action::Close, &live);
    update(&mut app, Action::Close, &live);
    assert_eq!(app.feed_rows(&live).len(), 7);
    let rows = app.feed_rows(&live);
    assert_eq!(rows[app.selected_index(&rows)].repeats(), 40);
    // `z` lists every flow.
    update(&mut app, Action::Fold, &live);
    assert_eq!(app.feed_rows(&live).len(), 46);
}

#[test]
fn the_feed_sorts_by_any_column_and_keeps_missing_values_last() {
    let live = Arc::new(fixture::beacon(3));
    let mut app = App::new("m.json".into(), "out".into());
    let lines =
        |app: &App| -> Vec<u64> { app.feed_rows(&live).iter().map(|r| r.head().line).collect() };
    // By time: newest first, the volume event (older than the flows) among them by its time.
    let by_time = lines(&app);
    let times: Vec<f64> = app
        .feed_rows(&live)
        .iter()
        .filter_map(|r| r.last_seen())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(by_time.len(), 7);
    // Walk to the score column: biggest first, and the volume event (no score) last.
    while app.sort.key != SortKey::Score {
        update(&mut app, Action::SortNext, &live);
    }
    let rows = app.feed_rows(&live);
    assert_eq!(rows.last().map(|r| r.head().volume.is_some()), Some(true));
    let scores: Vec<f64> = rows[..rows.len() - 1]
        .iter()
        .map(|r| r.events.iter().map(|e| e.score).fold(f64::MIN, f64::max))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    update(&mut app, Action::SortReverse, &live);
    let rows = app.feed_rows(&live);
    let reversed: Vec<f64> = rows[..rows.len() - 1]
        .iter()
        .map(|r| r.events.iter().map(|e| e.score).fold(f64::MIN, f64::max))
        .collect();
    assert!(reversed.windows(2).all(|w| w[0] <= w[1]), "{reversed:?}");
    assert!(rows.last().is_some_and(|r| r.head().volume.is_some()));
    // Addresses sort as addresses: 10.0.0.9 would come before 10.0.0.10.
    update(&mut app, Action::SortPrev, &live);
    while app.sort.key != SortKey::Flow {
        update(&mut app, Action::SortPrev, &live);
    }
    let srcs: Vec<String> = app
        .feed_rows(&live)
        .iter()
        .filter_map(|r| r.head().src.as_deref().map(str::to_string))
        .collect();
    assert_eq!(
        srcs,
        [
            "10.0.0.10",
            "10.0.0.11",
            "10.0.0.12",
            "10.0.0.13",
            "10.0.0.14",
            "10.0.0.99"
        ]
    );
}

#[test]
fn export_takes_every_flow_of_a_fold() {
    let live = Arc::new(fixture::beacon(10));
    let mut app = App::new("m.json".into(), "out".into());
    let cmds = update(&mut app, Action::Export, &live);
    match cmds.as_slice() {
        [EngineCommand::Export { events, .. }] => assert_eq!(events.len(), 16),
        other => panic!("expected one export, got {other:?}"),
    }
}

/// A new repeat arriving in the selected fold keeps the selection on that fold.
#[test]
fn a_selected_fold_stays_selected_when_a_repeat_arrives() {
    let mut app = App::new("m.json".into(), "out".into());
    let before = Arc::new(fixture::beacon(5));
    // By flow, the fold (10.0.0.99) is not the first row, where a lost selection would land.
    while app.sort.key != SortKey::Flow {
        update(&mut app, Action::SortNext, &before);
    }
    let rows = app.feed_rows(&before);
    let fold = rows
        .iter()
        .position(|r| r.repeats() == 5)
        .expect("the fold");
    app.selected = Some(rows[fold].head().line);
    // One more beacon flow: the fold's newest line changes.
    let after = Arc::new(fixture::beacon(6));
    let rows = app.feed_rows(&after);
    let i = app.selected_index(&rows);
    assert!(i > 0);
    assert_eq!(rows[i].repeats(), 6, "the selection stayed on the fold");
}

/// Flows without timestamps sort by where the series placed them, so a volume row sits among
/// the flows of its time instead of above every newer flow.
#[test]
fn untimed_flows_and_volume_rows_interleave_by_series_time() {
    let mut view = fixture::view();
    for (k, e) in view.snapshot.feed.iter_mut().enumerate() {
        let e = Arc::make_mut(e);
        if e.volume.is_none() {
            e.ts = None;
            // Lines 100, 99, …: a replay places them at line / 100 s.
            e.at = e.line as f64 / 100.0;
        } else {
            // A volume bucket that ended between the second and third flow.
            e.at = 0.985;
            assert_eq!(k, 5);
        }
    }
    let live = Arc::new(view);
    let app = App::new("m.json".into(), "out".into());
    let order: Vec<Option<u64>> = app
        .feed_rows(&live)
        .iter()
        .map(|r| r.head().volume.is_none().then_some(r.head().line))
        .collect();
    assert_eq!(
        order,
        [Some(100), Some(99), None, Some(98), Some(97), Some(96)]
    );
}

#[test]
fn each_pane_has_the_focus_action_a_click_on_it_takes() {
    let (mut app, live) = setup();
    for pane in Pane::ALL {
        update(&mut app, Action::focus(pane), &live);
        assert_eq!(app.focus, pane);
    }
}
