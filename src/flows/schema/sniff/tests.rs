use super::*;
use crate::flows::schema::{Decoded, FlowRecord, MetaField, Skip};

fn run(text: &str, opts: &DetectOptions) -> Result<(Schema, Vec<Decoded>), DetectError> {
    let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
    let Detected {
        schema,
        mut decoder,
    } = detect("t.csv", &lines, opts)?;
    let out = lines
        .iter()
        .enumerate()
        .map(|(i, l)| decoder.decode(l, i as u64 + 1))
        .collect();
    Ok((schema, out))
}

fn flows(d: &[Decoded]) -> Vec<&FlowRecord> {
    d.iter()
        .filter_map(|x| match x {
            Decoded::Flow(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn role(s: &Schema, name: &str) -> Role {
    s.columns
        .iter()
        .find(|c| c.name == name)
        .map_or_else(|| panic!("no column {name}"), |c| c.role)
}

#[test]
fn rejects_what_is_not_flows() {
    let o = DetectOptions::default();
    assert_eq!(
        run("", &o).err(),
        Some(DetectError::Empty {
            file: "t.csv".into()
        })
    );
    assert_eq!(
        run("\n  \n", &o).err(),
        Some(DetectError::Empty {
            file: "t.csv".into()
        })
    );
    assert!(matches!(
        run("<!DOCTYPE html>\n<html></html>", &o),
        Err(DetectError::Document { .. })
    ));
    assert!(matches!(
        run("a\0b\0c", &o),
        Err(DetectError::Binary { .. })
    ));
    let msg = run("hello world\nthis is prose\n", &o)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.starts_with("t.csv: no numeric columns"), "{msg}");
    let dns = "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tquery\n1.0\tC1\texample.com\n";
    let msg = run(dns, &o)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(msg, "t.csv: a Zeek 'dns' log; only conn logs hold flows");
}

#[test]
fn generic_layouts_work_without_a_map() {
    let text = "timestamp,throughput,latency,packet_loss,congestion\n\
                2024-01-01 00:00:00,100.5,12,0.01,low\n\
                2024-01-01 00:00:01,99.0,15,0.00,high\n";
    let (s, d) = run(text, &DetectOptions::default()).expect("detect");
    assert_eq!(s.format, Format::Csv);
    assert_eq!(role(&s, "timestamp"), Role::Timestamp);
    assert_eq!(role(&s, "congestion"), Role::Categorical);
    assert_eq!(
        s.numeric_names(),
        vec!["throughput", "latency", "packet_loss"]
    );
    let f = flows(&d);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].ts, Some(1704067200.0));
    assert_eq!(f[1].values, vec![99.0, 15.0, 0.0]);

    let text = "duration,packet_count,bytes_sent,bytes_received,packet_size_mean,label,timestamp\n\
                1.5,10,900,100,100,normal,1700000000\n\
                0.1,2,80,0,40,ddos,1700000001\n";
    let (s, d) = run(text, &DetectOptions::default()).expect("detect");
    assert_eq!(role(&s, "label"), Role::Label);
    let f = flows(&d);
    assert_eq!(f[0].core.duration, Some(1.5));
    assert_eq!(f[0].core.packets, Some(10.0));
    assert_eq!(f[0].core.bytes, Some(1000.0));
    assert_eq!(f[0].core.mean_packet_size, Some(100.0));
    assert_eq!(
        f[1].label.as_ref().map(|l| (l.attack, &*l.class)),
        Some((true, "ddos"))
    );
}

#[test]
fn headerless_generic_csv() {
    let (s, d) = run("1,2,3\n4,5,6\n", &DetectOptions::default()).expect("detect");
    assert!(!s.has_header);
    assert_eq!(s.numeric_names(), vec!["col1", "col2", "col3"]);
    assert_eq!(flows(&d).len(), 2);
}

#[test]
fn map_overrides_roles() {
    let mut o = DetectOptions::default();
    o.map.add_arg("label=y,fwd-bytes=a,ignore=c").expect("map");
    let (s, d) = run("a,b,c,y\n1,2,3,0\n4,5,6,1\n", &o).expect("detect");
    assert_eq!(role(&s, "y"), Role::Label);
    assert_eq!(role(&s, "c"), Role::Ignored);
    let f = flows(&d);
    assert_eq!(f[1].core.fwd_bytes, Some(4.0));
    assert_eq!(f[1].label.as_ref().map(|l| l.attack), Some(true));
    let mut bad = DetectOptions::default();
    bad.map.add_arg("label=nope").expect("map");
    let msg = run("a,b\n1,2\n", &bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("'nope', which is not a column here (columns: a, b)"),
        "{msg}"
    );
}

#[test]
fn bad_rows_are_rejected_with_reasons() {
    let (_, d) = run(
        "a,b\n1,2\n3\nx,4\n5,6\n7,8\n9,9\n",
        &DetectOptions::default(),
    )
    .expect("detect");
    assert_eq!(d[2], Decoded::Reject("expected 2 fields, found 1".into()));
    assert_eq!(
        d[3],
        Decoded::Reject("column 'a': 'x' is not a number".into())
    );
    assert_eq!(flows(&d).len(), 4);
}

#[test]
fn repeated_header_is_skipped() {
    let (_, d) = run("a,b\n1,2\na,b\n3,4\n", &DetectOptions::default()).expect("detect");
    assert_eq!(d[2], Decoded::Skip(Skip::Header));
}

#[test]
fn forced_format_must_fit() {
    let o = DetectOptions {
        format: Some(Format::Nfdump),
        ..Default::default()
    };
    let msg = run("a,b\n1,2\n", &o)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("--format nfdump was given"), "{msg}");
    let o = DetectOptions {
        format: Some(Format::Csv),
        ..Default::default()
    };
    let (s, _) = run(
        "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,TotPkts\n1,2,tcp,a,1,->,b,2,3\n",
        &o,
    )
    .expect("csv forced over argus");
    assert_eq!(s.format, Format::Csv);
}

#[test]
fn zeek_tsv_with_layout_change_mid_stream() {
    let text = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.resp_p\tproto\torig_bytes\tconn_state\n\
                #types\ttime\taddr\tport\tenum\tcount\tstring\n\
                1.5\t10.0.0.1\t80\ttcp\t100\tSF\n\
                #fields\tts\tproto\tid.resp_p\tconn_state\tid.orig_h\tmissed_bytes\n\
                2.5\tudp\t53\tS0\t10.0.0.2\t7\n";
    let (s, d) = run(text, &DetectOptions::default()).expect("detect");
    assert_eq!(s.format, Format::ZeekConn);
    let f = flows(&d);
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].meta.proto.as_deref(), Some("udp"));
    assert_eq!(f[1].meta.dport, Some(53));
    assert_eq!(f[1].meta.src.as_deref(), Some("10.0.0.2"));
    assert!(
        f[1].values[0].is_nan(),
        "orig_bytes is absent from the second layout"
    );
    assert_eq!(
        s.columns
            .iter()
            .find(|c| c.meta == Some(MetaField::State))
            .map(|c| c.name.as_str()),
        Some("conn_state")
    );
}
