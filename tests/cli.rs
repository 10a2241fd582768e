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
    let (code, _, stderr) = flowtop(&["inspect", "--format", "pcap", "tests/fixtures/nfdump.csv"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown format 'pcap'"), "{stderr}");
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
