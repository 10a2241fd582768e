//! The binary as a user runs it: clear one-line errors on bad input, JSON output, config.

mod common;

use std::process::Command;

use common::flowtop;

#[test]
fn files_that_are_not_flows_fail_with_one_sentence_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.csv", b"", "the file is empty"),
        (
            "page.html",
            b"<!DOCTYPE html>\n<html><body>404</body></html>\n",
            "an HTML page, not flow records",
        ),
        (
            "blob.bin",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0",
            "binary data, not flow records",
        ),
        (
            "notes.txt",
            b"remember to rotate the logs\nand buy milk\n",
            "no numeric columns",
        ),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let shown = p.display().to_string();
        let (code, stdout, stderr) = flowtop(&["inspect", &shown]);
        assert_eq!(code, 1, "{name}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&shown) && stderr.contains(expect),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_missing_file_is_named() {
    let (code, _, stderr) = flowtop(&["inspect", "/nonexistent/conn.log"]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("flowtop: /nonexistent/conn.log: "),
        "{stderr}"
    );
}

#[test]
fn json_lines_one_object_per_file() {
    let (code, stdout, stderr) = flowtop(&[
        "inspect",
        "--json",
        "tests/fixtures/nfdump.csv",
        "tests/fixtures/zeek-conn.json.log",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let objs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(objs.len(), 2);
    assert_eq!(
        (objs[0]["format"].as_str(), objs[0]["rows"].as_u64()),
        (Some("nfdump"), Some(32))
    );
    assert_eq!(
        (objs[1]["format"].as_str(), objs[1]["rows"].as_u64()),
        (Some("zeek-conn"), Some(30))
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let out = Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(["inspect", "--json", "-"])
        .stdin(std::fs::File::open("tests/fixtures/argus-ra.csv").expect("fixture"))
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["format"].as_str(), v["rows"].as_u64()),
        (Some("argus"), Some(28))
    );
}

#[test]
fn config_errors_come_first_and_name_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[input]\nformat = \"csv\"\nspeed = 3\n").expect("write");
    let c = cfg.display().to_string();
    let (code, _, stderr) = flowtop(&["--config", &c, "inspect", "tests/fixtures/nfdump.csv"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&c) && stderr.contains("line 3") && stderr.contains("speed"),
        "{stderr}"
    );
}

#[test]
fn print_config_is_a_valid_config() {
    let (code, stdout, _) = flowtop(&["print-config"]);
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("c.toml");
    std::fs::write(&p, stdout).expect("write");
    let (code, _, stderr) = flowtop(&[
        "--config",
        &p.display().to_string(),
        "inspect",
        "tests/fixtures/nfdump.csv",
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn bad_format_and_map_are_explained() {
    // A value outside a closed set is a usage error (exit 2) naming the allowed values.
    let (code, _, stderr) = flowtop(&["inspect", "--format", "pcap", "tests/fixtures/nfdump.csv"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown format 'pcap'"), "{stderr}");
    assert!(stderr.contains("zeek-conn"), "{stderr}");
    let (code, _, stderr) = flowtop(&[
        "inspect",
        "--map",
        "label=nope",
        "tests/fixtures/nfdump.csv",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("'nope', which is not a column here"),
        "{stderr}"
    );
}

#[test]
fn eval_supervised_json_has_the_models_the_choice_and_the_evidence() {
    let (code, stdout, stderr) = flowtop(&[
        "eval",
        "sample-data/cicids2017-sample.csv",
        "--supervised",
        "--folds",
        "3",
        "--classifiers",
        "rf,mlp",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let models = v["models"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    for m in models {
        for key in [
            "name",
            "accuracy",
            "macro_f1",
            "roc_auc",
            "pr_auc",
            "fit_s",
            "rows_per_s",
        ] {
            assert!(m[key].is_string() || m[key].is_f64(), "{key}: {m}");
        }
    }
    assert!(["random-forest", "mlp"].contains(&v["best"].as_str().expect("best")));
    let confusion = v["confusion"].as_array().expect("confusion");
    assert_eq!(confusion.len(), 2);
    let total: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().expect("row").iter())
        .map(|c| c.as_u64().expect("count"))
        .sum();
    assert_eq!(total, 3000);
    let importance = v["importance"].as_array().expect("importance");
    assert!(importance[0]["feature"].is_string() && importance[0]["importance"].is_f64());
}

#[test]
fn bad_classifier_flags_fail_before_any_work() {
    // Values outside a closed set are usage errors (exit 2), found before the file is read.
    for (args, expect, exit) in [
        (&["--folds", "1"][..], "--folds must be at least 2", 1),
        (
            &["--balance", "magic"][..],
            "unknown balance 'magic'; use none, weights or smote",
            2,
        ),
        (
            &["--classifiers", "xgboost"][..],
            "unknown classifier 'xgboost'; known: random-forest",
            2,
        ),
    ] {
        let mut a = vec!["eval", "sample-data/cicids2017-sample.csv", "--supervised"];
        a.extend_from_slice(args);
        let (code, _, stderr) = flowtop(&a);
        assert_eq!(code, exit, "{args:?}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = flowtop(&[
        "eval",
        "tests/fixtures/zeek-trickbot-head.log",
        "--supervised",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("label column"), "{stderr}");
}

/// A model set trained on labelled flows carries a classifier, and `flowtop threat` uses its
/// attack probability (and says so in the basis).
#[test]
fn trained_classifier_feeds_the_threat_score() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let m = model.display().to_string();
    let (code, _, stderr) = flowtop(&["train", "sample-data/cicids2017-sample.csv", "--save", &m]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("classifier: random-forest (binary) on 3000 labelled flows"),
        "{stderr}"
    );
    let (code, stdout, stderr) = flowtop(&[
        "threat",
        "--model",
        &m,
        "--duration",
        "0.000002",
        "--fwd-packets",
        "1",
        "--bwd-packets",
        "1",
        "--fwd-bytes",
        "0",
        "--bwd-bytes",
        "6",
        "--dport",
        "80",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert!(
        v["basis"].as_str().expect("basis").contains("classifier"),
        "{v}"
    );
}

/// The monitor checks its file's content before the terminal is touched: a page is refused
/// with the same sentence as the headless commands give, not after the screen is taken.
#[test]
fn the_monitor_refuses_a_file_that_is_not_flows_before_taking_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("a.html");
    std::fs::write(&p, "<!DOCTYPE html>\n<html><body>404</body></html>\n").expect("write");
    let shown = p.display().to_string();
    for args in [
        vec![shown.as_str()],
        vec!["replay", shown.as_str()],
        vec!["tail", shown.as_str()],
    ] {
        let (code, stdout, stderr) = flowtop(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains("an HTML page, not flow records"),
            "{args:?}: {stderr}"
        );
    }
}

/// Without a model, `score` learns from a sample of the file and scores every flow on a
/// second read; a sample as large as the file gives what holding the whole file gives.
#[test]
fn score_without_a_model_learns_from_a_sample_and_scores_every_flow() {
    let file = "sample-data/trickbot-conn.log";
    let (code, whole, stderr) = flowtop(&["score", file, "--sample", "0"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, large, stderr) = flowtop(&["score", file, "--sample", "1000000"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        whole, large,
        "a sample that holds every flow is the whole file"
    );
    let (code, sampled, stderr) = flowtop(&["score", file, "--sample", "500"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        sampled.lines().count(),
        whole.lines().count(),
        "every flow scored"
    );
    assert_ne!(
        sampled, whole,
        "a model fitted on 500 flows scores differently"
    );
    let from_stdin = Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(["score", "-", "--sample", "500"])
        .env_remove("FLOWTOP_CONFIG")
        .stdin(std::fs::File::open(file).expect("sample file"))
        .output()
        .expect("run");
    assert!(from_stdin.status.success());
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout).lines().count(),
        whole.lines().count(),
        "stdin: the first 500 flows are learnt from, then every flow is scored"
    );
}
