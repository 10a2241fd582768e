use super::*;
use crate::learn::features::tests_support::load;

/// The first `rows` flows of `file` and an engine that fits inline after 100, on 1 s buckets.
fn inline_engine(file: &str, rows: usize) -> (Engine, Vec<FlowRecord>) {
    let (schema, mut flows) = load(file);
    flows.truncate(rows);
    let cfg = EngineConfig {
        warmup: 100,
        retrain_every: 0,
        background: false,
        bucket_s: 1.0,
        ..Default::default()
    };
    (Engine::new(schema, cfg), flows)
}

/// 400 Zeek connections; the warm-up is the first 100.
fn engine(background: bool) -> (Engine, Vec<FlowRecord>) {
    let (schema, mut rows) = load("sample-data/trickbot-conn.log");
    rows.truncate(400);
    let cfg = EngineConfig {
        warmup: 100,
        retrain_every: 0,
        background,
        ..Default::default()
    };
    (Engine::new(schema, cfg), rows)
}

#[test]
fn warms_up_then_scores_and_publishes_a_snapshot() {
    let (mut e, rows) = engine(false);
    let first: Vec<FlowRecord> = rows.iter().take(100).cloned().collect();
    let out = e.ingest(first);
    assert!(
        out.iter().all(|s| s.score.is_nan()),
        "nothing is scored before the warm-up"
    );
    assert_eq!(e.snapshot().model, ModelState::Ready);
    let rest: Vec<FlowRecord> = rows.iter().skip(100).cloned().collect();
    let n = rest.len();
    assert_eq!(n, 300);
    let out = e.ingest(rest);
    assert!(out.iter().all(|s| s.score.is_finite()));
    let snap = e.snapshot();
    assert_eq!(snap.counters.flows, 100 + n as u64);
    assert_eq!(snap.counters.scored, n as u64);
    assert_eq!(snap.detectors.len(), 9);
    assert!(snap.series.iter().map(|b| b.flows).sum::<u64>() > 0);
    assert_eq!(snap.feed.len() as u64, snap.counters.flagged.min(1000));
    assert_eq!(snap.projection.len(), n.min(2000));
    assert_eq!(
        snap.projection.iter().filter(|p| p.flagged).count() as u64,
        snap.counters.flagged
    );
    let share: f64 = snap.clusters.iter().map(|c| c.share).sum();
    assert!((share - 1.0).abs() < 1e-9, "cluster shares sum to {share}");
}

#[test]
fn background_refit_swaps_in_and_old_model_keeps_scoring_meanwhile() {
    let (mut e, rows) = engine(true);
    e.ingest(rows.iter().take(100).cloned().collect());
    assert!(
        e.snapshot().retraining.is_some(),
        "a refit started after the warm-up"
    );
    e.wait_for_job();
    assert_eq!(e.snapshot().generation, 1);
    e.request_retrain();
    e.request_retrain(); // coalesced into one pending refit
    let out = e.ingest(rows.iter().skip(100).cloned().collect());
    assert!(
        out.iter().all(|s| s.score.is_finite()),
        "generation 1 scores during the refit"
    );
    e.wait_for_job();
    assert!(e.snapshot().generation >= 2);
}

#[test]
fn a_cancelled_refit_never_installs() {
    let (mut e, rows) = engine(true);
    e.ingest(rows.iter().take(100).cloned().collect());
    assert!(e.snapshot().retraining.is_some());
    e.cancel_retrain();
    std::thread::sleep(std::time::Duration::from_millis(200));
    e.poll_job();
    assert_eq!(e.snapshot().generation, 0);
}

#[test]
fn flows_before_the_first_model_are_scored_once_it_exists_when_asked() {
    let (schema, mut rows) = load("sample-data/trickbot-conn.log");
    rows.truncate(300);
    let cfg = EngineConfig {
        warmup: 100,
        retrain_every: 0,
        background: false,
        backlog: 1000,
        // Hour buckets: the whole slice stays in the ring, so every late anomaly is placed.
        bucket_s: 3600.0,
        ..Default::default()
    };
    let mut e = Engine::new(schema, cfg);
    e.ingest(rows[..60].to_vec());
    assert_eq!(e.snapshot().counters.unscored, 60);
    e.ingest(rows[60..120].to_vec());
    let snap = e.snapshot();
    assert_eq!(snap.model, ModelState::Ready);
    assert_eq!(snap.counters.flows, 120);
    assert_eq!(snap.counters.unscored, 0, "the backlog was scored");
    assert_eq!(snap.counters.scored, 120);
    let anomalies: u64 = snap.series.iter().map(|b| b.anomalies).sum();
    assert_eq!(anomalies, snap.counters.flagged);
}

#[test]
fn the_volume_vote_adds_one_vote_to_flows_in_buckets_above_their_forecast() {
    let (schema, mut rows) = load("sample-data/trickbot-conn.log");
    rows.truncate(400);
    let start = rows
        .iter()
        .filter_map(|r| r.ts)
        .fold(f64::INFINITY, f64::min);
    let bucket_s = 3600.0;
    // A forecast of at most half a flow per hour: every bucket is above it by its third flow
    // (a count is held to at least its Poisson interval: 0.2 + 1.96·√1).
    let quiet = forecaster::SeriesForecast {
        order: Some([0, 0, 0]),
        constant: true,
        aic: Some(0.0),
        fit_ms: 0.0,
        start: (start / bucket_s).floor() * bucket_s,
        bucket_s,
        steps: vec![
            crate::learn::forecast::Step {
                mean: 0.2,
                lo: 0.0,
                hi: 0.5,
            };
            10_000
        ],
        notes: Vec::new(),
    };
    let none = || Err::<forecaster::SeriesForecast, String>("off".into());
    let fc: forecaster::Forecasts = [Ok(quiet), none(), none(), none(), none(), none()];
    let run = |vote: bool| {
        let mut e = Engine::new(
            schema.clone(),
            EngineConfig {
                warmup: 100,
                retrain_every: 0,
                background: false,
                bucket_s,
                volume_vote: vote,
                ..Default::default()
            },
        );
        e.set_forecasts(Arc::new(fc.clone()));
        e.ingest(rows[..100].to_vec());
        e.ingest(rows[100..].to_vec());
        e.snapshot()
    };
    let (off, on) = (run(false), run(true));
    assert!(
        on.counters.flagged > off.counters.flagged,
        "{} vs {}",
        on.counters.flagged,
        off.counters.flagged
    );
    // Flows the consensus alone would not flag (below the budget's threshold) that the
    // volume vote did.
    let threshold = on.budget.expect("a budget").threshold;
    let by_vote: Vec<_> = on
        .feed
        .iter()
        .filter(|e| e.flagged && e.score < threshold)
        .collect();
    assert_eq!(
        by_vote.len() as u64,
        on.counters.flagged - off.counters.flagged
    );
    for e in by_vote {
        let v = e.volume_vote.as_ref().expect("flagged by the volume vote");
        assert_eq!(v.series.name(), "flows");
        assert!((v.hi - (0.2 + 1.96)).abs() < 1e-9, "{}", v.hi);
        assert!(e.threat.voting.iter().any(|n| n == "volume (flows)"));
    }
    assert!(off.feed.iter().all(|e| e.volume_vote.is_none()));
}

#[test]
fn a_live_source_that_falls_silent_keeps_closing_buckets() {
    let (schema, mut rows) = load("sample-data/trickbot-conn.log");
    rows.truncate(50);
    let run = |live_clock: bool| {
        let mut e = Engine::new(
            schema.clone(),
            EngineConfig {
                warmup: 1000,
                bucket_s: 1.0,
                live_clock,
                ..Default::default()
            },
        );
        e.ingest(rows.clone());
        let before = e.closed_series().len();
        // Two minutes of wall time without a flow.
        e.advance_clock(Instant::now() + std::time::Duration::from_secs(120));
        (before, e.closed_series().len(), e.series_buckets())
    };
    let (before, after, buckets) = run(true);
    assert!(after >= before + 60, "{before} → {after}");
    assert!(buckets.iter().rev().take(60).all(|b| b.flows == 0));
    let (before, after, _) = run(false);
    assert_eq!(before, after, "a replay's pause is not silence");
}

/// A refit after the last flow (`R` once a replay has ended) leaves the cluster table and the
/// projection filled from the training window, not empty until flows that never come.
#[test]
fn a_refit_with_no_flows_after_it_keeps_clusters_and_projection() {
    let (mut e, rows) = engine(false);
    e.ingest(rows[..100].to_vec());
    e.ingest(rows[100..].to_vec());
    let before = e.snapshot();
    assert!(before.clusters.iter().map(|c| c.size).sum::<u64>() > 0);
    e.request_retrain();
    e.wait_for_job();
    let after = e.snapshot();
    assert_eq!(after.generation, before.generation + 1);
    let flows: u64 = after.clusters.iter().map(|c| c.size).sum();
    assert!(flows > 0, "clusters after the refit: {:?}", after.clusters);
    assert!(!after.projection.is_empty(), "projection after the refit");
}

/// When the input ends, the buckets held open for late rows become final, so the forecast
/// (made on closed buckets) reaches the end of the history instead of stopping short of it.
#[test]
fn the_end_of_input_closes_every_bucket() {
    let (mut e, rows) = inline_engine("sample-data/trickbot-conn.log", 400);
    // The newest flow, sent again three times: its bucket was still open at the end.
    let newest = rows
        .iter()
        .max_by(|a, b| a.ts.unwrap_or(0.0).total_cmp(&b.ts.unwrap_or(0.0)))
        .cloned()
        .expect("rows");
    let rows_again = vec![newest; 3];
    e.ingest(rows);
    let open = e.snapshot().series.len() - e.closed_series().len();
    assert!(open > 0, "the lateness window holds buckets open");
    e.end_of_input();
    assert_eq!(e.closed_series().len(), e.snapshot().series.len());
    // A replay seeked back after its end sends flows again: they are placed, not all late.
    let late_before = e.snapshot().late_rows;
    e.ingest(rows_again);
    assert_eq!(
        e.snapshot().late_rows,
        late_before,
        "the open buckets take them again"
    );
}

/// A format with forward bytes only (CIC-IDS2017 cleaned) still draws a bytes series, said
/// to be one-way, instead of reading `0 B`.
#[test]
fn one_way_bytes_feed_the_bytes_series() {
    let (mut e, rows) = inline_engine("sample-data/cicids2017-sample.csv", 300);
    assert!(
        rows.iter()
            .all(|r| r.core.bytes.is_none() && r.core.fwd_bytes.is_some())
    );
    e.ingest(rows);
    let snap = e.snapshot();
    assert!(snap.seen.bytes && snap.seen.bytes_one_way);
    assert!(snap.series.iter().map(|b| b.bytes).sum::<f64>() > 0.0);
}

/// A replay of a file without timestamps dates each flow by its line at the replay's pace for
/// untimed rows, so the series has buckets to forecast however fast the replay runs (the
/// wall clock put a `--speed max` replay in one bucket and the forecast never warmed up).
#[test]
fn untimed_flows_in_a_replay_are_dated_by_their_line() {
    let (mut e, flows) = inline_engine("sample-data/cicids2017-sample.csv", 3000);
    assert!(
        flows.iter().all(|f| f.ts.is_none()),
        "the sample has no times"
    );
    e.ingest(flows);
    e.end_of_input();
    let snap = e.snapshot();
    // 3,000 rows at 100 rows per replay second: 30 s of 1 s buckets.
    assert!(snap.closed_buckets >= 29, "{} buckets", snap.closed_buckets);
    assert_eq!(snap.series.iter().map(|b| b.flows).sum::<u64>(), 3000);
}

/// Reading history, flows after the warm-up wait for the first background fit rather than
/// pass unscored (a `--speed max` replay outran the fit and scored 1 flow in 50).
#[test]
fn history_waits_for_the_first_model_and_live_traffic_does_not() {
    for (waits, scored_at_once) in [(true, true), (false, false)] {
        let (schema, mut rows) = load("sample-data/trickbot-conn.log");
        rows.truncate(400);
        let cfg = EngineConfig {
            warmup: 100,
            retrain_every: 0,
            background: true,
            first_fit_waits: waits,
            ..Default::default()
        };
        let mut e = Engine::new(schema, cfg);
        e.ingest(rows[..100].to_vec());
        let out = e.ingest(rows[100..].to_vec());
        assert_eq!(
            out.iter().all(|s| s.score.is_finite()),
            scored_at_once,
            "first_fit_waits = {waits}"
        );
        e.wait_for_job();
    }
}

/// The engine of `engine(true)` refitting every 100 flows, refits limited to `share` of the time.
fn counted_refits(share: f64) -> (Engine, Vec<FlowRecord>) {
    let (mut e, rows) = engine(true);
    e.cfg.retrain_every = 100;
    e.cfg.refit_share = share;
    (e, rows)
}

#[test]
fn counted_refits_rest_in_proportion_to_how_long_the_last_took() {
    for (share, expect_refit) in [(1e-6, false), (1.0, true)] {
        let (mut e, rows) = counted_refits(share);
        e.ingest(rows[..100].to_vec());
        e.wait_for_job();
        assert_eq!(e.generation(), 1, "the first fit is never held back");
        // More than `retrain_every` flows since the fit: a refit is due by count. With a
        // share of one millionth the rest after a fit of any length lasts far longer than
        // this test; with a share of 1 there is no rest.
        e.ingest(rows[100..250].to_vec());
        assert_eq!(e.job_running(), expect_refit, "share {share}");
        // The operator's R is never held back.
        e.wait_for_job();
        e.request_retrain();
        assert!(e.job_running(), "share {share}: a requested refit starts");
        e.wait_for_job();
    }
}
