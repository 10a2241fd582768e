use super::*;
use crate::learn::features::tests_support::load;
use crate::learn::model::ModelSet;

fn plain() -> ThreatQuery {
    // An ordinary short HTTPS exchange.
    ThreatQuery {
        duration: Some(0.4),
        fwd_packets: Some(12.0),
        bwd_packets: Some(10.0),
        fwd_bytes: Some(1500.0),
        bwd_bytes: Some(6000.0),
        mean_packet_size: None,
        dport: Some(443),
        proto: Some("tcp".into()),
        ..ThreatQuery::default()
    }
}

fn score(q: &ThreatQuery) -> Assessment {
    evaluate(None, q, &Bands::default()).expect("valid query")
}

fn has(a: &Assessment, signal: &str) -> bool {
    a.reasons.iter().any(|r| r.signal == signal)
}

#[test]
fn an_ordinary_flow_is_low_with_no_reasons() {
    let a = score(&plain());
    assert_eq!(a.level, Level::Low);
    assert!(a.reasons.is_empty(), "{:?}", a.reasons);
    assert_eq!(a.score, 0.0);
    assert_eq!(a.basis, "heuristics alone (no model)");
}

#[test]
fn byte_asymmetry_raises_the_score_with_the_ratio() {
    let mut q = plain();
    q.fwd_bytes = Some(90_000.0);
    q.bwd_bytes = Some(900.0);
    let a = score(&q);
    assert!(has(&a, "byte-asymmetry"));
    q.fwd_bytes = Some(900_000.0);
    let b = score(&q);
    assert!(b.score > a.score, "{} > {}", b.score, a.score);
    assert!(b.recommendations[0].contains("exfiltration"));
}

#[test]
fn unanswered_packets_raise_the_score_with_their_count() {
    let mut q = plain();
    q.bwd_packets = Some(0.0);
    q.bwd_bytes = Some(0.0);
    q.fwd_bytes = Some(120.0);
    q.fwd_packets = Some(2.0);
    let a = score(&q);
    assert!(has(&a, "no-reply"));
    q.fwd_packets = Some(40.0);
    q.fwd_bytes = Some(2400.0);
    assert!(score(&q).score > a.score);
}

#[test]
fn tiny_packets_at_high_rate_raise_the_score_with_the_rate() {
    let mut q = plain();
    q.fwd_packets = Some(500.0);
    q.bwd_packets = Some(500.0);
    q.fwd_bytes = Some(30_000.0);
    q.bwd_bytes = Some(30_000.0);
    q.duration = Some(2.0); // 500 packets/s of 60 B
    let a = score(&q);
    assert!(has(&a, "tiny-packets-fast"), "{:?}", a.reasons);
    q.duration = Some(0.2); // 5000 packets/s
    assert!(score(&q).score > a.score);
    // The same rate with full-size packets is not this signal.
    q.fwd_bytes = Some(700_000.0);
    q.bwd_bytes = Some(700_000.0);
    assert!(!has(&score(&q), "tiny-packets-fast"));
}

#[test]
fn long_quiet_connections_raise_the_score_with_their_length() {
    let mut q = plain();
    q.duration = Some(600.0);
    q.fwd_bytes = Some(3000.0);
    q.bwd_bytes = Some(2000.0);
    let a = score(&q);
    assert!(has(&a, "long-and-quiet"), "{:?}", a.reasons);
    q.duration = Some(3000.0);
    assert!(score(&q).score > a.score);
    assert!(score(&q).recommendations[0].contains("beaconing"));
}

#[test]
fn risky_ports_and_refused_states_add_points() {
    let base = score(&plain()).score;
    let mut q = plain();
    q.dport = Some(4444);
    let a = score(&q);
    assert!(a.score > base && has(&a, "risky-port"));
    q.state = Some("REJ".into());
    let b = score(&q);
    assert!(b.score > a.score && has(&b, "refused"));
    q.state = Some("SF".into());
    assert_eq!(score(&q).score, a.score);
}

#[test]
fn consensus_and_votes_move_the_score_and_bands_set_the_level() {
    let mut input = ThreatInput {
        model: Some(ModelEvidence {
            consensus: 0.5,
            flagged: false,
            voting: vec![],
            voters: 7,
        }),
        ..ThreatInput::default()
    };
    let bands = Bands::default();
    let calm = assess(&input, &bands);
    assert_eq!(calm.score, 0.0);
    let m = input.model.as_mut().expect("set");
    m.consensus = 0.99;
    m.flagged = true;
    m.voting = vec!["iforest".into(), "lof".into(), "ecod".into()];
    let hot = assess(&input, &bands);
    assert!(hot.score > 60.0, "{}", hot.score);
    assert!(hot.reasons.iter().any(|r| r.detail.contains("3 of 7")));
    let strict = Bands {
        medium: 70.0,
        high: 95.0,
    };
    assert_eq!(assess(&input, &strict).level, Level::Low);
    assert!(
        Bands {
            medium: 80.0,
            high: 50.0
        }
        .validate()
        .is_err()
    );
}

#[test]
fn scores_are_capped_at_100() {
    let input = ThreatInput {
        core: ThreatQuery {
            duration: Some(0.01),
            fwd_packets: Some(5000.0),
            bwd_packets: Some(0.0),
            fwd_bytes: Some(200_000.0),
            bwd_bytes: Some(0.0),
            ..ThreatQuery::default()
        }
        .core(),
        dport: Some(31337),
        state: Some("S0".into()),
        model: Some(ModelEvidence {
            consensus: 1.0,
            flagged: true,
            voting: vec!["zscore".into()],
            voters: 3,
        }),
        attack_probability: Some(1.0),
        ..ThreatInput::default()
    };
    let a = assess(&input, &Bands::default());
    assert_eq!(a.score, 100.0);
    assert_eq!(a.level, Level::High);
    assert!(
        a.recommendations
            .iter()
            .any(|r| r.contains("capture full packets"))
    );
}

#[test]
fn bad_queries_are_refused_with_the_field_name() {
    let mut q = plain();
    q.fwd_bytes = Some(-3.0);
    let e = evaluate(None, &q, &Bands::default()).expect_err("negative");
    assert!(e.to_string().contains("fwd-bytes"), "{e}");
    q.fwd_bytes = Some(f64::NAN);
    assert!(evaluate(None, &q, &Bands::default()).is_err());
}

#[test]
fn with_a_model_the_query_is_scored_and_missing_fields_are_imputed() {
    let (schema, flows) = load("sample-data/cicids2017-sample.csv");
    let refs: Vec<&FlowRecord> = flows.iter().take(1500).collect();
    let model = ModelSet::fit_default(&schema, &refs).expect("fit");
    let bands = Bands::default();
    let ordinary = evaluate(Some(&model), &plain(), &bands).expect("valid");
    assert!(
        ordinary.basis.starts_with("consensus of"),
        "{}",
        ordinary.basis
    );
    assert!(
        ordinary
            .imputed
            .iter()
            .any(|i| i == "mean-packet-size: training median"),
        "{:?}",
        ordinary.imputed
    );
    assert!(!ordinary.top_features.is_empty());
    // A flood of tiny unanswered packets to a backdoor port is far outside this traffic.
    let flood = ThreatQuery {
        duration: Some(0.05),
        fwd_packets: Some(20_000.0),
        bwd_packets: Some(0.0),
        fwd_bytes: Some(800_000.0),
        bwd_bytes: Some(0.0),
        dport: Some(4444),
        ..ThreatQuery::default()
    };
    let a = evaluate(Some(&model), &flood, &bands).expect("valid");
    assert!(has(&a, "consensus"), "{:?}", a.reasons);
    assert_eq!(a.level, Level::High, "{a:?}");
    assert!(a.score > ordinary.score + 30.0);
}

use crate::flows::schema::FlowRecord;

#[test]
fn broadcast_silence_and_udp_states_are_not_signals() {
    let mut q = plain();
    q.bwd_packets = Some(0.0);
    q.bwd_bytes = Some(0.0);
    q.fwd_packets = Some(6.0);
    q.dst = Some("172.16.9.255".into());
    assert!(!has(&score(&q), "no-reply"));
    q.dst = Some("224.0.0.251".into());
    assert!(!has(&score(&q), "no-reply"));
    q.dst = Some("172.16.9.5".into());
    assert!(has(&score(&q), "no-reply"));
    q.state = Some("S0".into());
    q.proto = Some("udp".into());
    assert!(!has(&score(&q), "refused"));
    q.proto = Some("tcp".into());
    assert!(has(&score(&q), "refused"));
}

#[test]
fn volume_events_score_by_how_far_the_bucket_left_its_interval() {
    let bands = Bands::default();
    let just = super::assess_volume("flows", 121.0, 80.0, (40.0, 120.0), &bands);
    let far = super::assess_volume("flows", 400.0, 80.0, (40.0, 120.0), &bands);
    let low = super::assess_volume("bytes", 0.0, 5000.0, (3000.0, 7000.0), &bands);
    assert!(
        just.score >= 40.0 && just.score < far.score,
        "{} {}",
        just.score,
        far.score
    );
    assert_eq!(far.level, Level::High);
    assert!(
        just.reasons[0].detail.contains("above"),
        "{:?}",
        just.reasons
    );
    assert!(low.reasons[0].detail.contains("below"), "{:?}", low.reasons);
    assert!(
        low.recommendations[0].contains("sensor"),
        "{:?}",
        low.recommendations
    );
}

/// The destination sending most of the bytes is a download, not exfiltration by the source.
#[test]
fn a_download_is_not_called_exfiltration() {
    let mut q = plain();
    q.fwd_bytes = Some(900.0);
    q.bwd_bytes = Some(900_000.0);
    let a = score(&q);
    assert!(has(&a, "byte-asymmetry-in"), "{:?}", a.reasons);
    assert!(
        a.recommendations
            .iter()
            .all(|r| !r.contains("exfiltration")),
        "{:?}",
        a.recommendations
    );
}

/// Name lookups, `NetBIOS`, Kerberos and directory traffic to an internal server, and anything
/// to broadcast, are lopsided by nature: no exfiltration reason.
#[test]
fn infrastructure_and_broadcast_traffic_is_not_exfiltration() {
    for (dst, port) in [
        ("172.16.9.5", 138),
        ("172.16.9.5", 88),
        ("10.0.0.2", 53),
        ("172.16.9.5", 389),
        ("172.16.9.255", 137),
    ] {
        let input = ThreatInput {
            core: ThreatQuery {
                fwd_packets: Some(60.0),
                bwd_packets: Some(1.0),
                fwd_bytes: Some(90_000.0),
                bwd_bytes: Some(60.0),
                ..ThreatQuery::default()
            }
            .core(),
            dport: Some(port),
            proto: Some("udp".into()),
            src: Some("172.16.9.233".into()),
            dst: Some(dst.into()),
            ..ThreatInput::default()
        };
        let a = assess(&input, &Bands::default());
        assert!(
            a.recommendations
                .iter()
                .all(|r| !r.contains("exfiltration")),
            "{dst}:{port} {:?}",
            a.recommendations
        );
    }
}

/// No recommendation points at the view it is shown in.
#[test]
fn recommendations_do_not_point_at_the_flow_detail() {
    for s in [
        "consensus",
        "classifier",
        "byte-asymmetry",
        "byte-asymmetry-in",
        "no-reply",
    ] {
        let r =
            super::heuristics::recommend(s, "10.0.0.1", "10.0.0.2", Some(80)).unwrap_or_default();
        assert!(!r.contains("flow detail"), "{s}: {r}");
    }
}
