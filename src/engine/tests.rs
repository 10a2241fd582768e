use super::*;
use crate::features::tests_support::load;

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
