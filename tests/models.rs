//! The model commands as a user runs them: eval, train, score, bench model.

mod common;

use common::flowtop;

const SAMPLE: &str = "sample-data/cicids2017-sample.csv";

#[test]
fn eval_json_reports_every_detector_and_the_consensus() {
    let (code, out, err) = flowtop(&["eval", SAMPLE, "--json", "--seed", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "nothing on stderr off a terminal: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let names: Vec<&str> = v["detectors"]
        .as_array()
        .expect("detectors")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "iforest",
            "lof",
            "ocsvm",
            "dbscan",
            "kmeans",
            "zscore",
            "autoencoder",
            "hbos",
            "ecod"
        ]
    );
    for d in v["detectors"]
        .as_array()
        .expect("detectors")
        .iter()
        .chain([&v["consensus"]])
    {
        for key in [
            "roc_auc",
            "pr_auc",
            "f1",
            "precision",
            "recall",
            "fit_s",
            "rows_per_s",
        ] {
            assert!(d[key].is_number(), "{} has no {key}: {d}", d["name"]);
        }
    }
    let roc = v["consensus"]["roc_auc"].as_f64().expect("roc");
    assert!(roc > 0.7, "consensus ROC-AUC {roc} on real attacks");
    assert!(v["clustering"]["k"].as_u64().expect("k") >= 2);
}

#[test]
fn eval_without_labels_leaves_quality_empty_and_says_so() {
    let (code, out, err) = flowtop(&["eval", "sample-data/trickbot-conn.log"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no labels"), "{out}");
}

#[test]
fn streaming_eval_scores_after_the_warm_up() {
    let (code, out, err) = flowtop(&[
        "eval",
        SAMPLE,
        "--stream",
        "--warmup",
        "500",
        "--retrain-every",
        "1000",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    // The first fit happens at the end of the batch that completes the warm-up.
    let scored = v["scored"].as_u64().expect("scored");
    assert!((2400..=2500).contains(&scored), "{scored}");
    assert!(v["refits"].as_u64().expect("refits") >= 3);
    assert!(v["roc_auc"].as_f64().expect("roc") > 0.5);
}

#[test]
fn train_then_score_with_the_saved_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let m = model.to_str().expect("utf-8");
    let (code, _, err) = flowtop(&["train", SAMPLE, "--save", m]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("9 of 9 detectors ready"), "{err}");
    let out = dir.path().join("scores.jsonl");
    let o = out.to_str().expect("utf-8");
    let (code, _, err) = flowtop(&["score", SAMPLE, "--model", m, "-o", o]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).expect("written");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3000);
    let flagged = lines.iter().filter(|l| l["flagged"] == true).count();
    assert!(flagged > 0 && flagged < 1500, "{flagged} flagged");
    assert!(lines[0]["scores"]["ecod"].is_number());
    // The threat score and level of every flow, as the monitor's export has them.
    assert!(
        lines
            .iter()
            .all(|l| l["threat"].is_number() && l["level"].is_string())
    );
    assert!(
        lines[0]["top_features"]
            .as_array()
            .is_some_and(|t| t.len() == 3)
    );

    // eval with the saved model: every flow scored, quality against the labels.
    let (code, out, err) = flowtop(&["eval", SAMPLE, "--model", m, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["test_rows"].as_u64(), Some(3000));
    assert!(v["consensus"]["roc_auc"].as_f64().expect("roc") > 0.7);
    let (code, _, err) = flowtop(&["eval", "sample-data/trickbot-conn.log", "--model", m]);
    assert_eq!(code, 1);
    assert!(err.contains("trained on cicflowmeter data"), "{err}");

    // CSV to stdout: a header and one row per flow.
    let (code, out, err) = flowtop(&["score", SAMPLE, "--model", m]);
    assert_eq!(code, 0, "{err}");
    let mut rows = out.lines();
    assert!(
        rows.next()
            .is_some_and(|h| h.starts_with("kind,line,ts,src,sport,dst,dport,proto,service")
                && h.ends_with(
                    "consensus,flagged,votes,threat,level,class,class_probability,cluster,top_features,volume"
                ))
    );
    assert_eq!(rows.count(), 3000);

    // The same model on another format: refused before any scoring.
    let (code, _, err) = flowtop(&["score", "sample-data/trickbot-conn.log", "--model", m]);
    assert_eq!(code, 1);
    assert!(err.contains("trained on cicflowmeter data"), "{err}");

    // A truncated model file.
    let text = std::fs::read_to_string(&model).expect("model");
    std::fs::write(&model, &text[..text.len() / 3]).expect("truncate");
    let (code, _, err) = flowtop(&["score", SAMPLE, "--model", m]);
    assert_eq!(code, 1);
    assert!(err.contains("not a flowtop model file"), "{err}");
}

#[test]
fn bad_arguments_and_tiny_files_are_clear_errors() {
    // A name outside the set is a usage error, before the file is read.
    let (code, _, err) = flowtop(&["eval", SAMPLE, "--detectors", "iforest,magic"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown detector 'magic'; known: iforest"),
        "{err}"
    );
    let (code, _, err) = flowtop(&["eval", SAMPLE, "--train-fraction", "1.5"]);
    assert_eq!(code, 1);
    assert!(err.contains("--train-fraction"), "{err}");
    let (code, _, err) = flowtop(&["eval", "tests/fixtures/generic-flows.csv"]);
    assert_eq!(code, 1);
    assert!(err.contains("eval needs at least"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let m = dir.path().join("m.json");
    let (code, _, err) = flowtop(&[
        "train",
        "tests/fixtures/generic-flows.csv",
        "--save",
        m.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no detector could be fitted") && err.contains("at least 32"),
        "{err}"
    );
    assert!(!m.exists(), "nothing saved");
    let (code, _, err) = flowtop(&["score", SAMPLE, "-o", "out.txt"]);
    assert_eq!(code, 1);
    assert!(err.contains(".csv or .jsonl"), "{err}");
}

#[test]
fn bench_model_reports_refit_and_rates() {
    let (code, out, err) = flowtop(&[
        "bench", "model", SAMPLE, "--window", "2000", "--runs", "1", "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["refit_s"].as_f64().expect("refit") > 0.0);
    assert_eq!(v["scoring"].as_array().expect("stages").len(), 11);
}
