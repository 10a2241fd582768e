//! `flowtop forecast` and `flowtop threat` end to end.

mod common;

use common::flowtop;
use flowtop::learn::threat::{Bands, evaluate};
use flowtop::monitor::app::ThreatForm;

#[test]
fn forecast_json_scores_the_held_out_tail() {
    let (code, out, err) = flowtop(&[
        "forecast",
        "sample-data/trickbot-conn.log",
        "--bucket",
        "2m",
        "--horizon",
        "12",
        "--runs",
        "3",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["runs"], 3);
    assert!(v["fit_ms_best"].as_f64() <= v["fit_ms"].as_f64(), "{v}");
    let order = v["order"].as_array().expect("an ARIMA order");
    assert_eq!(order.len(), 3);
    for key in ["aic", "rmse", "coverage", "naive_rmse", "fit_ms"] {
        assert!(v[key].as_f64().is_some_and(f64::is_finite), "{key}: {v}");
    }
    assert_eq!(v["bucket_s"].as_f64(), Some(120.0));
    let steps = v["forecast"].as_array().expect("forecast");
    assert_eq!(steps.len(), 12);
    let mut t_prev = f64::MIN;
    for s in steps {
        let (lo, mean, hi, t) = (
            s["lo"].as_f64().expect("lo"),
            s["mean"].as_f64().expect("mean"),
            s["hi"].as_f64().expect("hi"),
            s["t"].as_f64().expect("t"),
        );
        assert!(lo <= mean && mean <= hi, "{s}");
        assert!(t > t_prev);
        t_prev = t;
    }
    // The interval must mean something on real traffic: most of the tail inside it.
    assert!(v["coverage"].as_f64().expect("coverage") >= 0.75, "{v}");
}

#[test]
fn forecast_refuses_files_without_time_and_bad_options() {
    // Bad option values are usage errors (exit 2); files that cannot be forecast exit 1.
    for (args, says, exit) in [
        (
            &["sample-data/cicids2017-sample.csv"][..],
            "no timestamps",
            1,
        ),
        (
            &["sample-data/trickbot-conn.log", "--bucket", "soon"],
            "'soon'",
            2,
        ),
        (
            &["sample-data/trickbot-conn.log", "--series", "pkts"],
            "--series",
            2,
        ),
        (
            &[
                "tests/fixtures/generic-telemetry.csv",
                "--series",
                "sources",
            ],
            "carry no addresses",
            1,
        ),
    ] {
        let all: Vec<&str> = std::iter::once("forecast")
            .chain(args.iter().copied())
            .collect();
        let (code, _, err) = flowtop(&all);
        assert_eq!(code, exit, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// The held-out actual values of `flowtop forecast` on the sample Zeek log at 2-minute buckets.
fn held_out(series: &str) -> Vec<f64> {
    let (code, out, err) = flowtop(&[
        "forecast",
        "sample-data/trickbot-conn.log",
        "--series",
        series,
        "--bucket",
        "2m",
        "--horizon",
        "12",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["series"], series);
    v["forecast"]
        .as_array()
        .expect("forecast")
        .iter()
        .map(|s| s["actual"].as_f64().expect("actual"))
        .collect()
}

#[test]
fn forecast_counts_distinct_destinations_per_bucket() {
    let actual = held_out("destinations");
    // Distinct hosts, not connections: whole numbers, and fewer than the flows of a bucket.
    assert!(
        actual.iter().all(|a| a.fract() == 0.0 && *a >= 0.0),
        "{actual:?}"
    );
    let flow_counts = held_out("flows");
    assert!(actual.iter().zip(&flow_counts).all(|(d, f)| d <= f));
    assert!(
        actual.iter().zip(&flow_counts).any(|(d, f)| d < f),
        "{actual:?} {flow_counts:?}"
    );
}

#[test]
fn threat_command_and_the_monitor_form_give_the_same_answer() {
    let (code, out, err) = flowtop(&[
        "threat",
        "--duration",
        "2.5",
        "--fwd-packets",
        "10",
        "--bwd-packets",
        "2",
        "--fwd-bytes",
        "90000",
        "--bwd-bytes",
        "120",
        "--dport",
        "4444",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    // The form as an operator fills it in the monitor.
    let mut form = ThreatForm::from_event(None);
    for (i, text) in ["2.5", "10", "2", "90000", "120", "", "4444", ""]
        .iter()
        .enumerate()
    {
        form.values[i] = text.to_string();
    }
    let query = form.query().expect("valid form");
    let a = evaluate(None, &query, &Bands::default()).expect("valid query");
    assert_eq!(v["score"].as_f64(), Some(a.score));
    assert_eq!(v["level"].as_str(), Some(a.level.name()));
    assert_eq!(v["reasons"].as_array().map(Vec::len), Some(a.reasons.len()));
    assert!(a.score > 0.0, "asymmetry and a backdoor port must count");
    for key in ["recommendations", "imputed"] {
        assert!(v[key].is_array(), "{key}");
    }
}

#[test]
fn threat_refuses_negative_values() {
    let (code, _, err) = flowtop(&["threat", "--fwd-bytes", "-5"]);
    assert_eq!(code, 1);
    assert!(err.contains("fwd-bytes"), "{err}");
}
