use super::*;

fn flow(src: &str, dst: &str, dport: u16, bytes: f64) -> FlowRecord {
    let mut f = super::super::test_flow(src, dst, dport, None);
    f.core.fwd_bytes = Some(bytes);
    f.core.fwd_packets = Some(1.0);
    f
}

#[test]
fn ranks_by_the_measure_asked_for_with_exact_totals() {
    let mut flows = Vec::new();
    // a: 5 small flows; b: 2 large ones; c: 1 medium.
    flows.extend((0..5).map(|_| flow("10.0.0.1", "10.0.0.9", 80, 10.0)));
    flows.extend((0..2).map(|_| flow("10.0.0.2", "10.0.0.9", 443, 1000.0)));
    flows.push(flow("10.0.0.3", "10.0.0.8", 22, 100.0));
    let mut by_flows = TopCounter::new(TopBy::Src, TopOrder::Flows, 10);
    let mut by_bytes = TopCounter::new(TopBy::Src, TopOrder::Bytes, 10);
    for f in &flows {
        by_flows.add(f);
        by_bytes.add(f);
    }
    let r = by_flows.report(2);
    let keys: Vec<String> = r.rows.iter().map(TopRow::key_text).collect();
    assert_eq!(keys, ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(r.rows[0].flows, 5);
    assert_eq!(r.others.flows, 1, "10.0.0.3 is in others");
    assert_eq!(r.total.flows, 8);
    assert!((r.total.bytes - 2150.0).abs() < 1e-9);
    assert_eq!((r.distinct, r.folded), (3, 0));
    let r = by_bytes.report(1);
    assert_eq!(r.rows[0].src.as_deref(), Some("10.0.0.2"));
    assert!((r.rows[0].bytes - 2000.0).abs() < 1e-9);
    assert!(r.rows.iter().all(|row| row.uncertain == 0.0));
}

#[test]
fn pairs_and_ports_fill_their_own_fields() {
    let mut pairs = TopCounter::new(TopBy::Pair, TopOrder::Flows, 10);
    let mut ports = TopCounter::new(TopBy::Dport, TopOrder::Packets, 10);
    for f in [
        flow("a", "b", 53, 1.0),
        flow("a", "b", 53, 1.0),
        flow("b", "a", 80, 1.0),
    ] {
        pairs.add(&f);
        ports.add(&f);
    }
    let r = pairs.report(5);
    assert_eq!(r.rows[0].key_text(), "a → b");
    assert_eq!(r.rows[0].flows, 2);
    assert_eq!(r.rows[0].dport, None);
    let r = ports.report(5);
    assert_eq!(r.rows[0].dport, Some(53));
    assert_eq!(r.rows[0].src, None);
    let json = serde_json::to_value(&r.rows[0]).expect("json");
    assert!(json.get("src").is_none(), "{json}");
    assert_eq!(json["dport"], 53);
}

/// A scan of 200,000 sources with a few heavy hitters among them: memory stays at twice the
/// capacity and the heavy hitters still come out on top. (Space-Saving keeps every key with
/// more than 1/capacity of the weight; each of these has about 2 %.)
#[test]
fn a_scan_is_folded_and_the_heavy_hitters_survive() {
    let mut top = TopCounter::new(TopBy::Src, TopOrder::Flows, 100);
    for i in 0..200_000u32 {
        top.add(&flow(
            &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
            "x",
            1,
            1.0,
        ));
        if i % 50 == 0 {
            for h in 0..3 {
                top.add(&flow(&format!("192.168.0.{h}"), "x", 1, 1.0));
            }
        }
        assert!(top.counters.len() < 200);
    }
    let r = top.report(3);
    let mut keys: Vec<String> = r.rows.iter().map(TopRow::key_text).collect();
    keys.sort();
    assert_eq!(keys, ["192.168.0.0", "192.168.0.1", "192.168.0.2"]);
    // Each was seen 200 times; a row counts what it saw since it was last admitted and says
    // how much it may lack.
    for row in &r.rows {
        assert!(
            row.flows <= 4000 && row.flows as f64 + row.uncertain >= 4000.0,
            "{row:?}"
        );
    }
    assert!(r.folded > 100_000, "{}", r.folded);
    assert_eq!(r.total.flows, 212_000);
    let shown: u64 = r.rows.iter().map(|row| row.flows).sum();
    assert_eq!(shown + r.others.flows, r.total.flows - r.without_field);
}

#[test]
fn flows_without_the_field_are_counted_apart() {
    let mut top = TopCounter::new(TopBy::Service, TopOrder::Flows, 10);
    top.add(&flow("a", "b", 1, 1.0));
    let r = top.report(10);
    assert_eq!((r.rows.len(), r.without_field, r.total.flows), (0, 1, 1));
}
