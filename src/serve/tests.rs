use std::net::SocketAddr;

use super::*;
use crate::monitor::ui::fixture;

#[test]
fn only_loopback_listens_without_a_token() {
    let loopback: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
    let v6: SocketAddr = "[::1]:8080".parse().expect("addr");
    let any: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    assert!(check_listen(loopback, false).is_ok());
    assert!(check_listen(v6, false).is_ok());
    let e = check_listen(any, false).expect_err("refused");
    assert!(
        e.contains("0.0.0.0:8080") && e.contains("--token-file"),
        "{e}"
    );
    assert!(check_listen(any, true).is_ok());
}

/// A sample line: its metric name, labels and value.
type Sample = (String, Vec<(String, String)>, f64);

/// Each sample line of the text format: `name{label="value",…} number`.
fn parse_sample(line: &str) -> Option<Sample> {
    let (head, value) = line.rsplit_once(' ')?;
    let value = match value {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    let (name, labels) = match head.split_once('{') {
        None => (head.to_string(), Vec::new()),
        Some((name, rest)) => {
            let body = rest.strip_suffix('}')?;
            let mut labels = Vec::new();
            let mut chars = body.chars().peekable();
            while chars.peek().is_some() {
                let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                if chars.next() != Some('"') {
                    return None;
                }
                let mut val = String::new();
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            'n' => val.push('\n'),
                            c => val.push(c),
                        },
                        '"' => break,
                        c => val.push(c),
                    }
                }
                labels.push((key, val));
                if chars.peek() == Some(&',') {
                    chars.next();
                }
            }
            (name.to_string(), labels)
        }
    };
    let valid_name = name.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    });
    valid_name.then_some((name, labels, value))
}

/// Every family has HELP and TYPE before its samples, names follow the conventions
/// (prefix, `_total` on counters), and every sample parses.
#[test]
fn metrics_are_valid_prometheus_text() {
    let mut v = fixture::view();
    v.source = "odd \"name\"\\with\nnewline".into();
    let text = metrics::render(&v);
    let mut typed: std::collections::HashMap<String, String> = Default::default();
    let mut samples = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("type line");
            assert!(name.starts_with("flowtop_"), "{line}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
            typed.insert(name.into(), kind.into());
        } else if line.starts_with("# HELP ") {
        } else {
            let (name, labels, _) =
                parse_sample(line).unwrap_or_else(|| panic!("bad line {line:?}"));
            assert!(typed.contains_key(&name), "{name} has no TYPE before it");
            if name == "flowtop_flows_total" {
                assert_eq!(labels, [("source".into(), v.source.clone())]);
            }
            samples += 1;
        }
    }
    assert!(samples > 20, "{text}");
    for name in [
        "flowtop_flows_total",
        "flowtop_rejected_rows_total",
        "flowtop_flagged_flows_total",
        "flowtop_alerts_total",
        "flowtop_refits_total",
        "flowtop_model_age_seconds",
        "flowtop_refit_duration_seconds",
        "flowtop_detector_weight",
        "flowtop_detector_up",
        "flowtop_resident_memory_bytes",
    ] {
        assert!(typed.contains_key(name), "{name} missing:\n{text}");
    }
    assert!(
        text.contains("flowtop_detector_weight{detector=\"iforest\"}"),
        "{text}"
    );
}
