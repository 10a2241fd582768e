use super::*;

fn conn(src: &str, dst: &str, ts: f64, bytes: f64, duration: f64) -> FlowRecord {
    let mut f = super::super::test_flow(src, dst, 443, Some(ts));
    f.core.bytes = Some(bytes);
    f.core.duration = Some(duration);
    f
}

/// A check-in every 60 s (±2 s) with the same size all day scores high; the same number of
/// connections at random times and sizes scores low, and a regular burst below the beacon.
#[test]
fn a_steady_beacon_outscores_irregular_traffic() {
    use rand::Rng;
    let mut rng = crate::learn::sample::rng(7);
    let mut noise = |_: u64| rng.r#gen::<f64>();
    let mut f = BeaconFinder::new(100);
    let day = 86_400.0;
    for i in 0..1440u64 {
        let t = i as f64 * 60.0 + 4.0 * noise(i) - 2.0;
        f.add(&conn("10.0.0.5", "203.0.113.9", t, 512.0, 0.3));
    }
    for i in 0..1440u64 {
        let t = day * noise(i + 10_000);
        let bytes = 20_000.0 * noise(i + 20_000);
        f.add(&conn(
            "10.0.0.6",
            "198.51.100.1",
            t,
            bytes,
            5.0 * noise(i + 30_000),
        ));
    }
    for i in 0..200u64 {
        f.add(&conn(
            "10.0.0.7",
            "192.0.2.1",
            3600.0 + i as f64 * 0.01,
            100.0,
            0.0,
        ));
    }
    let r = f.report(0.0, 10);
    assert_eq!(r.scored_pairs, 3);
    let first = &r.beacons[0];
    assert_eq!(first.src, "10.0.0.5", "{:?}", r.beacons);
    assert!(first.score > 0.9, "{first:?}");
    assert!(
        first.interval > 0.9 && first.size > 0.99 && first.coverage > 0.99,
        "{first:?}"
    );
    assert!((first.median_interval_s - 60.0).abs() < 2.0, "{first:?}");
    let random = r
        .beacons
        .iter()
        .find(|b| b.src == "10.0.0.6")
        .expect("random");
    assert!(random.score < 0.75 && random.interval < 0.5, "{random:?}");
    // A burst is regular but short: only its coverage gives it away, which keeps it below
    // the beacon that runs all day.
    for b in &r.beacons[1..] {
        assert!(b.score < first.score - 0.15, "{b:?}");
    }
    let burst = r
        .beacons
        .iter()
        .find(|b| b.src == "10.0.0.7")
        .expect("burst");
    assert!(burst.coverage < 0.1, "{burst:?}");
    assert_eq!(r.weights, [0.25; 4]);
}

#[test]
fn too_few_connections_and_untimed_flows_are_not_scored() {
    let mut f = BeaconFinder::new(100);
    for i in 0..(MIN_CONNECTIONS - 1) {
        f.add(&conn("a", "b", i as f64 * 10.0, 1.0, 1.0));
    }
    let mut untimed = conn("a", "b", 0.0, 1.0, 1.0);
    untimed.ts = None;
    f.add(&untimed);
    let r = f.report(0.0, 10);
    assert_eq!((r.scored_pairs, r.untimed, r.pairs), (0, 1, 1));
    assert!(r.beacons.is_empty());
}

/// Many one-off pairs (a scan) cannot grow the table past twice its capacity, and a pair with
/// more than 1/capacity of the connections (here 1 in 20 against 1 in 50) survives the folds.
#[test]
fn a_scan_is_folded_and_the_beacon_kept() {
    let mut f = BeaconFinder::new(50);
    for i in 0..20_000u32 {
        f.add(&conn(
            "scanner",
            &format!("10.1.{}.{}", i >> 8, i & 255),
            f64::from(i),
            60.0,
            0.1,
        ));
        if i % 20 == 0 {
            f.add(&conn("10.0.0.5", "203.0.113.9", f64::from(i), 512.0, 0.3));
        }
        assert!(f.pairs.len() < 100);
    }
    let r = f.report(0.5, 5);
    assert!(r.folded_pairs > 19_000, "{}", r.folded_pairs);
    assert_eq!(r.beacons[0].src, "10.0.0.5");
    assert_eq!(r.beacons[0].connections, 1000);
}

#[test]
fn regularity_reads_spread_and_skew() {
    assert!((regularity(&[60.0; 20], false) - 1.0).abs() < 1e-12);
    assert_eq!(
        regularity(&[0.0; 20], false),
        0.0,
        "a burst is not a rhythm"
    );
    assert!(
        (regularity(&[0.0; 20], true) - 1.0).abs() < 1e-12,
        "empty payloads alike"
    );
    let spread: Vec<f64> = (1..=20).map(f64::from).collect();
    assert!(regularity(&spread, false) < 0.8);
    assert!(bowley(&[1.0, 1.0, 1.0, 2.0, 50.0, 90.0]) > 0.0);
}
