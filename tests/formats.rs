//! Every format, on small slices of real files: the `inspect` report is pinned, and the
//! decoded values that later stages rely on are checked directly.

use std::io::Write;

use flowtop::flows::ingest::read_all;
use flowtop::flows::inspect::{inspect, render_text};
use flowtop::flows::schema::{DetectOptions, FlowRecord, Format};
use flowtop::flows::source::Input;

const FIXTURES: [&str; 14] = [
    "argus-ra.csv",
    "cicflowmeter-cleaned.csv",
    "cicflowmeter-mlcve.csv",
    "generic-flows.csv",
    "generic-telemetry.csv",
    "nfdump.csv",
    "nsl-kdd-headerless.txt",
    "nsl-kdd.csv",
    "unsw-nb15-raw.csv",
    "unsw-nb15-train.csv",
    "zeek-bro-old.log",
    "zeek-conn.json.log",
    "zeek-soc-lab-open.log",
    "zeek-trickbot-head.log",
];

fn fixture(name: &str) -> Input {
    Input::File(format!("tests/fixtures/{name}").into())
}

fn flows(name: &str) -> Vec<FlowRecord> {
    let mut out = Vec::new();
    read_all(&fixture(name), &DetectOptions::default(), |f| out.push(f)).expect("read");
    out
}

#[test]
fn inspect_reports_are_pinned() {
    for name in FIXTURES {
        let report = inspect(&fixture(name), &DetectOptions::default()).expect(name);
        insta::assert_snapshot!(name, render_text(&report));
    }
}

#[test]
fn inspect_json_has_the_documented_keys() {
    let report = inspect(
        &fixture("cicflowmeter-mlcve.csv"),
        &DetectOptions::default(),
    )
    .expect("inspect");
    let v = serde_json::to_value(&report).expect("json");
    for key in [
        "format",
        "rows",
        "rejected",
        "columns",
        "labels",
        "time_span",
        "rejects",
        "skipped",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["format"], "cicflowmeter");
    assert_eq!(v["columns"][0]["name"], "Destination Port");
    assert_eq!(v["columns"][0]["role"], "port");
    assert_eq!(v["labels"]["Web Attack - XSS"], 3);
}

#[test]
fn cicflowmeter_units_quirks_and_labels() {
    let f = flows("cicflowmeter-mlcve.csv");
    // Flow Duration is microseconds: 4 µs.
    assert_eq!(f[0].core.duration, Some(4e-6));
    assert_eq!(f[0].meta.dport, Some(49188));
    // Infinity cells stay infinite (the feature pipeline imputes them), NaN cells are missing.
    assert!(f.iter().any(|r| r.values.iter().any(|v| v.is_infinite())));
    assert!(f.iter().any(|r| r.values.iter().any(|v| v.is_nan())));
    let xss = f
        .iter()
        .filter(|r| {
            r.label
                .as_ref()
                .is_some_and(|l| &*l.class == "Web Attack - XSS")
        })
        .count();
    assert_eq!(xss, 3);
    let report = inspect(
        &fixture("cicflowmeter-mlcve.csv"),
        &DetectOptions::default(),
    )
    .expect("inspect");
    assert!(
        report
            .columns
            .iter()
            .any(|c| c.name == "Fwd Header Length.1"),
        "duplicate header names are kept apart"
    );
}

#[test]
fn zeek_unset_fields_and_metadata() {
    let f = flows("zeek-soc-lab-open.log");
    let icmp = f
        .iter()
        .find(|r| r.meta.proto.as_deref() == Some("icmp"))
        .expect("an icmp flow");
    assert_eq!(icmp.core.duration, None, "'-' is unset, not zero");
    let dns = &f[0];
    assert_eq!(dns.meta.dport, Some(5353));
    assert_eq!(dns.meta.state.as_deref(), Some("S0"));
    assert_eq!(dns.ts, Some(1_754_306_946.392_58));
    let json = flows("zeek-conn.json.log");
    assert_eq!(
        json[0].meta.src.as_deref(),
        Some("fe80::a179:b3ff:199:2314")
    );
    assert_eq!(json[0].core.fwd_packets, Some(2.0));
}

#[test]
fn argus_and_nfdump_specifics() {
    let a = flows("argus-ra.csv");
    assert!(a.iter().all(|r| r.meta.proto.as_deref() != Some("man")));
    let arp = a
        .iter()
        .find(|r| r.meta.proto.as_deref() == Some("arp"))
        .expect("arp row");
    assert_eq!((arp.meta.sport, arp.meta.dport), (None, None));
    let n = flows("nfdump.csv");
    assert_eq!(n.len(), 32);
    assert_eq!(
        n[0].ts,
        Some(1268758214.0),
        "2010-03-16 16:50:14 read as UTC"
    );
    assert_eq!(n[0].meta.proto.as_deref(), Some("udp"));
}

#[test]
fn nsl_kdd_with_and_without_header_agree() {
    let a = flows("nsl-kdd.csv");
    let b = flows("nsl-kdd-headerless.txt");
    assert_eq!(a.len(), 50);
    assert_eq!(
        a.iter().map(|r| &r.values).collect::<Vec<_>>(),
        b.iter().map(|r| &r.values).collect::<Vec<_>>()
    );
    assert_eq!(a[0].meta.proto.as_deref(), Some("tcp"));
    assert_eq!(
        a[0].label.as_ref().map(|l| (l.attack, &*l.class)),
        Some((true, "neptune"))
    );
    assert_eq!(a[2].core.fwd_bytes, Some(12983.0));
}

#[test]
fn unsw_layouts() {
    let raw = flows("unsw-nb15-raw.csv");
    assert_eq!(raw[0].ts, Some(1421927414.0));
    assert_eq!(raw[0].meta.src.as_deref(), Some("59.166.0.0"));
    assert_eq!(raw[0].core.fwd_packets, Some(2.0));
    assert_eq!(raw[0].label.as_ref().map(|l| l.attack), Some(false));
    let train = flows("unsw-nb15-train.csv");
    assert_eq!(train[0].meta.state.as_deref(), Some("FIN"));
    assert_eq!(train[0].core.bytes, Some(430.0));
}

#[test]
fn unsw_raw_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("UNSW-NB15_1.csv");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read("tests/fixtures/unsw-nb15-raw.csv").expect("fixture"));
    std::fs::write(&p, bytes).expect("write");
    let r = inspect(&Input::File(p), &DetectOptions::default()).expect("inspect");
    assert_eq!(
        (r.format, r.variant.as_str(), r.rows),
        (Format::UnswNb15, "raw-49", 1)
    );
}

#[test]
fn gzip_is_transparent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read("tests/fixtures/zeek-trickbot-head.log").expect("fixture"))
        .expect("gz");
    std::fs::write(&p, enc.finish().expect("gz")).expect("write");
    let plain = inspect(
        &fixture("zeek-trickbot-head.log"),
        &DetectOptions::default(),
    )
    .expect("plain");
    let gz = inspect(&Input::File(p), &DetectOptions::default()).expect("gz");
    assert_eq!(
        (gz.format, gz.rows, gz.rejected),
        (plain.format, plain.rows, plain.rejected)
    );
}

#[test]
fn explicit_format_and_map() {
    let opts = DetectOptions {
        format: Some(Format::Csv),
        ..Default::default()
    };
    let r = inspect(&fixture("nfdump.csv"), &opts).expect("forced csv");
    assert_eq!(r.format, Format::Csv);
    let mut opts = DetectOptions::default();
    opts.map.add_arg("label=congestion").expect("map");
    let r = inspect(&fixture("generic-telemetry.csv"), &opts).expect("mapped");
    assert_eq!(r.labels.get("high"), Some(&1));
}

/// Large enough for batches to be split over two cores; a `#fields` change halfway must still
/// apply from exactly its line on, and nfdump's summary must still end the flows.
#[test]
fn two_core_decoding_keeps_order_and_layout_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    let mut text = String::from(
        "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.resp_p\tproto\torig_bytes\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("{i}.5\t10.0.0.1\t80\ttcp\t{i}\n"));
    }
    text.push_str("#fields\tts\tproto\tid.resp_p\torig_bytes\tid.orig_h\n");
    for i in 20_000..40_000 {
        text.push_str(&format!("{i}.5\tudp\t53\t{i}\t10.0.0.2\n"));
    }
    std::fs::write(&p, text).expect("write");
    let mut got = Vec::new();
    read_all(&Input::File(p), &DetectOptions::default(), |f| got.push(f)).expect("read");
    assert_eq!(got.len(), 40_000);
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.ts, Some(i as f64 + 0.5), "order");
        assert_eq!(f.values[0], i as f64, "orig_bytes of row {i}");
        let (proto, dport) = if i < 20_000 { ("tcp", 80) } else { ("udp", 53) };
        assert_eq!(
            (f.meta.proto.as_deref(), f.meta.dport),
            (Some(proto), Some(dport)),
            "row {i}"
        );
    }

    let n = dir.path().join("big.nfdump.csv");
    let nf = std::fs::read_to_string("tests/fixtures/nfdump.csv").expect("fixture");
    let (head, rest) = nf.split_once('\n').expect("header");
    let rows: Vec<&str> = rest.lines().take_while(|l| *l != "Summary").collect();
    let mut big = format!("{head}\n");
    for _ in 0..500 {
        for r in &rows {
            big.push_str(r);
            big.push('\n');
        }
    }
    big.push_str("Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n16000,1,1,1,1,1\n");
    std::fs::write(&n, big).expect("write");
    let r = inspect(&Input::File(n), &DetectOptions::default()).expect("inspect");
    assert_eq!(
        (r.rows, r.rejected, r.skipped.get("trailer")),
        (16_000, 0, Some(&3))
    );
}
