//! A hand-built, deterministic `LiveView` for UI and app tests: no models, no clock.

use std::sync::Arc;

use crate::engine::runner::{LiveView, Message};
use crate::engine::{
    AnomalyEvent, Bucket, Counters, DetectorState, ModelState, ProjectedPoint, Snapshot,
};
use crate::flows::ingest::live::IngestStats;
use crate::flows::schema::{CoreFields, Text};
use crate::flows::source::SourceStatus;
use crate::flows::source::replay::Speed;
use crate::learn::cluster::ClusterSummary;
use crate::learn::detect::DetectorKind;
use crate::learn::threat::{Bands, ModelEvidence, ThreatInput, assess};

pub const KINDS: [DetectorKind; 3] = [DetectorKind::Iforest, DetectorKind::Lof, DetectorKind::Ecod];

fn event(i: u64) -> AnomalyEvent {
    let attack = i.is_multiple_of(2);
    let core = CoreFields {
        duration: Some(0.5 + i as f64),
        fwd_packets: Some(10.0 * (i + 1) as f64),
        bwd_packets: Some(if attack { 0.0 } else { 4.0 }),
        fwd_bytes: Some(600.0 * (i + 1) as f64),
        bwd_bytes: Some(if attack { 0.0 } else { 900.0 }),
        ..CoreFields::default()
    }
    .complete();
    let votes = vec![Some(true), Some(!i.is_multiple_of(3)), Some(attack)];
    let voting: Vec<String> = KINDS
        .iter()
        .zip(&votes)
        .filter(|(_, v)| **v == Some(true))
        .map(|(k, _)| k.name().to_string())
        .collect();
    let score = 0.999 - 0.01 * i as f64;
    let src = Text::from(format!("10.0.0.{}", 10 + i));
    let threat = assess(
        &ThreatInput {
            core,
            dport: Some(if attack { 4444 } else { 443 }),
            src: Some(src.to_string()),
            dst: Some("192.168.1.5".into()),
            model: Some(ModelEvidence {
                consensus: score,
                flagged: true,
                voting,
                voters: 3,
            }),
            ..ThreatInput::default()
        },
        &Bands::default(),
    );
    AnomalyEvent {
        line: 100 - i,
        ts: Some(1_500_000_000.0 + 60.0 - i as f64),
        at: 1_500_000_000.0 + 60.0 - i as f64,
        src: Some(src),
        dst: Some(Text::from("192.168.1.5")),
        sport: Some(40_000 + i as u16),
        dport: Some(if attack { 4444 } else { 443 }),
        proto: Some(Text::from("tcp")),
        label: Some(Text::from(if attack { "PortScan" } else { "BENIGN" })),
        attack: Some(attack),
        score,
        detector_scores: vec![Some(0.99), Some(0.97 - 0.01 * i as f64), Some(0.5)],
        votes,
        flagged: true,
        cluster: Some((i % 2) as usize),
        top_features: vec![("fwd-bytes".into(), 6.5), ("duration".into(), -2.0)],
        core,
        state: Some(Text::from(if attack { "S0" } else { "SF" })),
        service: Some(Text::from(if attack { "-" } else { "http" })),
        threat,
        feature_names: Arc::from(vec!["fwd-bytes".to_string(), "duration".to_string()]),
        raw: vec![600.0 * (i + 1) as f64, 0.5 + i as f64],
        deviation: vec![6.5, -2.0],
        predicted: Some(crate::learn::classify::Prediction {
            class: if attack { "attack" } else { "benign" }.into(),
            probability: 0.97 - 0.05 * i as f64,
            attack_probability: if attack { 0.97 - 0.05 * i as f64 } else { 0.1 },
        }),
        volume: None,
        volume_vote: None,
    }
}

fn volume_event() -> AnomalyEvent {
    let info = crate::engine::VolumeInfo {
        series: crate::engine::SeriesKind::Flows,
        observed: 310.0,
        expected: 80.0,
        lo: 40.0,
        hi: 120.0,
        bucket_s: 1.0,
        also: vec![crate::engine::VolumeInfo {
            series: crate::engine::SeriesKind::Destinations,
            observed: 95.0,
            expected: 6.0,
            lo: 0.0,
            hi: 14.0,
            bucket_s: 1.0,
            also: Vec::new(),
        }],
    };
    AnomalyEvent::volume(u64::MAX - 1, 1_500_000_050.0, info, &Bands::default())
}

fn classifier() -> crate::engine::ClassifierView {
    use crate::learn::classify::{Balance, CvReport, Importance, Mode, ModelReport};
    let model = |name: &str, f1: f64, rows_per_s: f64| ModelReport {
        name: name.into(),
        accuracy: f1 + 0.002,
        precision: f1,
        recall: f1,
        macro_f1: f1,
        macro_f1_std: 0.004,
        roc_auc: 0.999,
        pr_auc: 0.998,
        fit_s: 0.4,
        rows_per_s,
        confusion: vec![vec![940, 6], vec![4, 50]],
        error: String::new(),
    };
    let importance: Vec<Importance> =
        [("byte-rate", 0.21), ("dst_bytes", 0.12), ("duration", 0.05)]
            .iter()
            .map(|(f, v)| Importance {
                feature: (*f).into(),
                importance: *v,
            })
            .collect();
    crate::engine::ClassifierView {
        kind: "random-forest".into(),
        mode: "binary".into(),
        labelled_rows: 1000,
        classes: vec!["benign".into(), "attack".into()],
        cv: Some(CvReport {
            mode: Mode::Binary,
            balance: Balance::Weights,
            folds: 3,
            labelled_rows: 1000,
            unlabelled_rows: 0,
            classes: vec!["benign".into(), "attack".into()],
            class_rows: vec![946, 54],
            pooled: Vec::new(),
            features: 3,
            selected: vec!["byte-rate".into(), "dst_bytes".into(), "duration".into()],
            models: vec![
                model("random-forest", 0.981, 612_000.0),
                model("mlp", 0.962, 230_000.0),
                model("svm", 0.955, 210_000.0),
            ],
            best: "random-forest".into(),
            confusion: vec![vec![940, 6], vec![4, 50]],
            importance: importance.clone(),
        }),
        importance,
    }
}

pub fn view() -> LiveView {
    let series: Vec<Bucket> = (0..40)
        .map(|i| Bucket {
            start: 1_500_000_000.0 + f64::from(i),
            flows: 20 + (i * 7 % 13) as u64,
            bytes: 1000.0 * f64::from(1 + i % 5),
            packets: 10.0 * f64::from(3 + i % 4),
            sources: 3 + (i % 3) as u32,
            destinations: 5 + (i * 5 % 7) as u32,
            anomalies: u64::from(i % 9 == 0),
        })
        .collect();
    let projection = (0..60)
        .map(|i| ProjectedPoint {
            x: (i as f64 * 0.37).sin() * 3.0,
            y: (i as f64 * 0.11).cos() * 2.0,
            cluster: Some(i % 2),
            flagged: i % 15 == 0,
        })
        .collect();
    let snapshot = Snapshot {
        counters: Counters {
            flows: 5000,
            scored: 4000,
            flagged: 5,
            unscored: 1000,
            volume_events: 0,
            alerts_by_level: [2, 2, 1],
        },
        model: ModelState::Ready,
        retraining: None,
        model_age_flows: 4000,
        trained_at: Some(1_700_000_000.0),
        fit_s: Some(0.8),
        generation: 1,
        budget: Some(crate::learn::detect::Budget {
            rate: 0.01,
            threshold: 0.9912,
        }),
        detectors: KINDS
            .iter()
            .map(|k| DetectorState {
                kind: *k,
                ready: true,
                detail: "ready".into(),
                weight: 1.0 / 3.0,
                sits_out: false,
            })
            .collect(),
        clusters: vec![
            ClusterSummary {
                cluster: 0,
                size: 3000,
                share: 0.75,
                mean_duration: Some(1.5),
                mean_bytes: Some(2500.0),
                mean_packets: Some(12.0),
                anomaly_rate: 0.01,
            },
            ClusterSummary {
                cluster: 1,
                size: 1000,
                share: 0.25,
                mean_duration: Some(30.0),
                mean_bytes: Some(90_000.0),
                mean_packets: Some(80.0),
                anomaly_rate: 0.3,
            },
        ],
        silhouette: Some(0.61),
        davies_bouldin: Some(0.72),
        calinski_harabasz: Some(1234.0),
        series,
        bucket_s: 1.0,
        feed: (0..5)
            .map(|i| Arc::new(event(i)))
            .chain(std::iter::once(Arc::new(volume_event())))
            .collect(),
        projection,
        projection_variance: Some([0.4, 0.2]),
        quality: Some(crate::engine::snapshot::QualitySnapshot {
            labelled: 4000,
            attacks: 400,
            precision: Some(0.8),
            recall: Some(0.5),
            f1: Some(0.615),
            consensus_auc: Some(0.91),
            detector_auc: vec![Some(0.88), Some(0.7), None],
        }),
        late_rows: 7,
        lateness_s: 60.0,
        closed_buckets: 39,
        seen: crate::engine::Seen {
            bytes: true,
            bytes_one_way: false,
            packets: true,
            hosts: true,
        },
        profile: Some({
            let mut p = crate::engine::TemporalProfile::default();
            for i in 0..500u32 {
                // Busy working hours on weekdays.
                let day = f64::from(i % 7) * 86_400.0;
                let hour = f64::from(8 + (i * 7) % 10) * 3600.0;
                p.add(1_541_980_800.0 + day + hour);
            }
            p
        }),
        classifier: Some(classifier()),
        classifier_note: None,
    };
    let mut v = LiveView::new("captures/sample.csv".into(), true);
    v.format = Some("cicflowmeter".into());
    v.snapshot = snapshot;
    v.flows_per_s = 1234.0;
    v.ingest = Some(IngestStats {
        rows: 5000,
        rejected: 3,
        suspect_times: 0,
        skipped: 0,
        seek_skipped: 0,
        source: SourceStatus {
            offset: 500_000,
            size: 1_000_000,
            lines: 5001,
            ..SourceStatus::default()
        },
        replay_time: Some(1_500_000_060.0),
        speed: Speed::Factor(10.0),
        paused: false,
    });
    let mut closed = v.snapshot.series.clone();
    closed.truncate(v.snapshot.closed_buckets);
    let mut forecasts = crate::engine::forecaster::forecast_all(
        &closed,
        1.0,
        30,
        v.snapshot.seen,
        crate::engine::forecaster::HORIZON,
    );
    for f in forecasts.iter_mut().flatten() {
        // Wall time would make the render snapshots differ from run to run.
        f.fit_ms = 5.0;
    }
    v.forecasts = Some((closed.len(), Arc::new(forecasts)));
    let window = 12;
    v.sequence = Some(Arc::new(Ok(crate::engine::sequencer::SequenceView {
        series: vec!["flows", "bytes", "packets", "sources", "destinations"],
        window,
        bucket_s: 1.0,
        // Ordinary windows, then two that the autoencoder cannot rebuild.
        scores: closed[window - 1..]
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let score = if (20..22).contains(&i) {
                    0.995
                } else {
                    (i % 7) as f64 / 7.0
                };
                (b.start, score, if i == 21 { "bytes" } else { "flows" })
            })
            .collect(),
        retrained: true,
    })));
    v.message = Some(Message {
        seq: 1,
        text: "retrained in 0.42 s on 4000 flows (model #1)".into(),
        error: false,
    });
    v
}

/// The same view while the first model is still warming up.
pub fn warming() -> LiveView {
    let mut v = LiveView::new("-".into(), false);
    v.snapshot.model = ModelState::WarmingUp {
        have: 120,
        need: 1000,
    };
    v
}

/// The fixture's feed with `n` beacon flows first: 10.0.0.99 → 203.0.113.7:8080 every 30 s
/// over two UTC days, newest first, each a separate flagged flow.
pub fn beacon(n: u64) -> LiveView {
    let mut v = view();
    let start = 1_500_000_000.0 - 86_400.0;
    let beacons = (0..n).map(|k| {
        let mut e = event(0);
        e.line = 1_000 + n - k;
        e.ts = Some(start + 30.0 * (n - k) as f64 * 100.0);
        e.at = start + 30.0 * (n - k) as f64 * 100.0;
        e.src = Some(Text::from("10.0.0.99"));
        e.dst = Some(Text::from("203.0.113.7"));
        e.sport = Some(50_000 + k as u16);
        e.dport = Some(8080);
        e.score = 0.9 + 0.001 * k as f64;
        Arc::new(e)
    });
    let mut feed: Vec<Arc<AnomalyEvent>> = beacons.collect();
    feed.extend(v.snapshot.feed.iter().cloned());
    v.snapshot.feed = feed;
    v
}
