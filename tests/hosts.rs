//! `flowtop top` (nfdump-style top-N statistics) and `flowtop beacons`, as text and JSON.

mod common;

use common::flowtop;

const ZEEK: &str = "sample-data/trickbot-conn.log";

fn rows(args: &[&str]) -> (serde_json::Value, Vec<serde_json::Value>) {
    let mut all = vec!["top", ZEEK, "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = flowtop(&all);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rows = v["rows"].as_array().expect("rows").clone();
    (v, rows)
}

#[test]
fn rows_carry_the_key_fields_and_are_ranked() {
    let (v, dst) = rows(&["--by", "dst", "-n", "3"]);
    assert_eq!(dst.len(), 3);
    assert!(
        dst.iter()
            .all(|r| r["dst"].is_string() && r.get("src").is_none())
    );
    let flows: Vec<u64> = dst
        .iter()
        .map(|r| r["flows"].as_u64().expect("flows"))
        .collect();
    assert!(flows.windows(2).all(|w| w[0] >= w[1]), "{flows:?}");
    let total = v["total"]["flows"].as_u64().expect("total");
    let others = v["others"]["flows"].as_u64().expect("others");
    let without = v["without_field"].as_u64().expect("without");
    assert_eq!(flows.iter().sum::<u64>() + others + without, total);

    let (_, pairs) = rows(&["--by", "pair", "--order", "bytes", "-n", "5"]);
    assert!(
        pairs
            .iter()
            .all(|r| r["src"].is_string() && r["dst"].is_string())
    );
    let bytes: Vec<f64> = pairs
        .iter()
        .map(|r| r["bytes"].as_f64().expect("bytes"))
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");

    let (_, ports) = rows(&["--by", "dport", "--order", "packets", "-n", "2"]);
    assert!(ports.iter().all(|r| r["dport"].is_u64()));
}

#[test]
fn the_text_table_says_what_it_counted() {
    let (code, out, err) = flowtop(&["top", ZEEK, "--by", "proto"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("top") && out.contains("protocols by flows"),
        "{out}"
    );
    assert!(out.contains("every figure exact"), "{out}");
    assert!(out.contains("tcp"), "{out}");
}

#[test]
fn a_bad_choice_is_a_usage_error_naming_the_choices() {
    let (code, _, err) = flowtop(&["top", ZEEK, "--by", "mac"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("src, dst, dport, pair, proto, service"),
        "{err}"
    );
}

/// Addresses are attacker-controlled text: a terminal escape or a spreadsheet formula in one
/// reaches neither the terminal nor the JSON raw, and the bad row is reported with its line.
#[test]
fn hostile_keys_are_escaped_and_bad_rows_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("hostile.csv");
    std::fs::write(
        &p,
        "ts,src,dst,dport,proto,bytes\n\
         1700000000,\u{1b}[2J10.0.0.1,10.0.0.2,80,tcp,100\n\
         1700000001,\u{202e}10.0.0.3,10.0.0.4,443,tcp,200\n\
         1700000002,10.0.0.5,10.0.0.6,notaport,tcp,5\n",
    )
    .expect("write");
    let file = p.to_str().expect("utf-8");
    let (code, out, err) = flowtop(&["top", file, "--by", "src"]);
    assert_eq!(code, 0, "{err}");
    for raw in ['\u{1b}', '\u{202e}'] {
        assert!(!out.contains(raw), "raw {raw:?} in {out:?}");
    }
    assert!(
        out.contains("10.0.0.1") && out.contains("1 rows rejected"),
        "{out}"
    );
    assert!(
        err.contains("hostile.csv:4:") && err.contains("notaport"),
        "{err}"
    );
    let (code, out, _) = flowtop(&["top", file, "--by", "src", "--json"]);
    assert_eq!(code, 0);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
}

/// A host that checks in every 60 s all day, among hosts that connect at random: the beacon
/// comes first with its sub-scores, and the text states the weights.
#[test]
fn beacons_find_the_steady_check_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("flows.csv");
    let mut csv = String::from("ts,src,dst,dport,proto,bytes,duration\n");
    let mut state: u64 = 7;
    let mut rand = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..600 {
        let t = 1_700_000_000.0 + f64::from(i) * 60.0 + rand();
        csv.push_str(&format!("{t:.3},10.0.0.5,203.0.113.9,443,tcp,512,0.2\n"));
        let t = 1_700_000_000.0 + 36_000.0 * rand();
        let bytes = 50_000.0 * rand();
        csv.push_str(&format!(
            "{t:.3},10.0.0.{},198.51.100.1,80,tcp,{bytes:.0},{:.2}\n",
            6 + i % 3,
            9.0 * rand()
        ));
    }
    std::fs::write(&p, csv).expect("write");
    let file = p.to_str().expect("utf-8");
    let (code, out, err) = flowtop(&["beacons", file, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let first = &v["beacons"][0];
    assert_eq!(first["src"], "10.0.0.5", "{v}");
    assert_eq!(
        (first["dst"].as_str(), first["dport"].as_u64()),
        (Some("203.0.113.9"), Some(443))
    );
    for key in ["score", "interval", "size", "duration", "coverage"] {
        let x = first[key].as_f64().expect(key);
        assert!((0.0..=1.0).contains(&x), "{key} {x}");
    }
    assert!(first["score"].as_f64().expect("score") > 0.9, "{first}");
    assert_eq!(first["connections"], 600);
    let others = v["beacons"].as_array().expect("beacons");
    assert!(
        others[1..].iter().all(|b| b["score"].as_f64() < Some(0.75)),
        "{v}"
    );
    let (code, out, _) = flowtop(&["beacons", file, "-n", "2"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("score = 0.25 interval + 0.25 size + 0.25 duration + 0.25 coverage"),
        "{out}"
    );
    assert!(out.contains("10.0.0.5 → 203.0.113.9:443/tcp"), "{out}");
    let (code, _, err) = flowtop(&["beacons", file, "--min-score", "2"]);
    assert_eq!(code, 2, "{err}");
}
