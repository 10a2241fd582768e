//! `flowtop serve` as a client sees it: health, readiness, the threat query agreeing with the
//! CLI, snapshot, model, metrics, limits, the token, and a clean stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::flowtop;

const ZEEK: &str = "sample-data/trickbot-conn.log";

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        Server::start_on(ZEEK, &[&["--from-start"], extra].concat())
    }

    fn start_on(file: &str, extra: &[&str]) -> Server {
        Server::spawn(&[&["serve", file, "--warmup", "500"], extra].concat())
    }

    /// `flowtop ARGS --listen 127.0.0.1:0`, once it says where it listens.
    fn spawn(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowtop"))
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("FLOWTOP_CONFIG")
            .env("XDG_CONFIG_HOME", "/nonexistent-flowtop-test")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start flowtop serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .expect("address")
            .to_string();
        assert!(line.contains("listening on"), "{line}");
        Server { child, addr }
    }

    fn request(&self, method: &str, path: &str, headers: &[&str], body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).expect("write");
        // The server may answer (413) before the whole body is sent.
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_string();
        (status, body)
    }

    /// Only the status of the answer (for a stream that does not end).
    fn status(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .expect("write");
        let _ = s.write_all(body);
        let mut first = [0u8; 12];
        s.read_exact(&mut first).expect("status line");
        String::from_utf8_lossy(&first[9..12]).parse().unwrap_or(0)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, &[], b"")
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        while self.get("/readyz").0 != 200 {
            assert!(start.elapsed() < Duration::from_secs(120), "never ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM, then the exit status and stderr.
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        let out = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "flowtop serve did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (out.success(), err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A model set trained on the sample log, in `dir`; its path.
fn trained(dir: &tempfile::TempDir) -> String {
    let model = dir.path().join("m.json");
    let m = model.to_str().expect("utf-8");
    let (code, _, err) = flowtop(&["train", ZEEK, "--save", m, "--no-classifier"]);
    assert_eq!(code, 0, "{err}");
    m.to_string()
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn serves_health_model_snapshot_metrics_and_stops_on_sigterm() {
    let s = Server::start(&[]);
    assert_eq!(s.get("/healthz"), (200, "ok\n".into()));
    s.wait_ready();
    let (code, body) = s.get("/v1/model");
    assert_eq!(code, 200, "{body}");
    let m = json(&body);
    assert_eq!(m["model"]["state"], "ready", "{m}");
    assert!(m["generation"].as_u64() >= Some(1));
    assert_eq!(m["detectors"].as_array().map(Vec::len), Some(9));

    let (code, body) = s.get("/v1/snapshot?feed=3");
    assert_eq!(code, 200, "{body}");
    let v = json(&body);
    assert!(v["counters"]["flows"].as_u64() > Some(500), "{v}");
    assert!(v["feed"].as_array().map(Vec::len) <= Some(3));
    assert_eq!(s.get("/v1/snapshot?rows=3").0, 400, "unknown parameter");

    let (code, text) = s.get("/metrics");
    assert_eq!(code, 200);
    for line in text.lines() {
        assert!(
            line.starts_with("# HELP flowtop_")
                || line.starts_with("# TYPE flowtop_")
                || line.starts_with("flowtop_"),
            "{line}"
        );
    }
    assert!(text.contains("flowtop_flows_total{source="), "{text}");
    assert!(
        text.contains("flowtop_detector_up{detector=\"lof\"}"),
        "{text}"
    );

    let (code, body) = s.request("POST", "/v1/retrain", &[], b"");
    assert_eq!(code, 202, "{body}");
    let big = vec![b'x'; 2 << 20];
    assert_eq!(
        s.request(
            "POST",
            "/v1/threat",
            &["Content-Type: application/json"],
            &big
        )
        .0,
        413
    );
    assert_eq!(s.get("/nowhere").0, 404);

    let (ok, err) = s.stop();
    assert!(ok, "{err}");
    assert!(err.contains("stopped"), "{err}");
}

/// The endpoint, the CLI and the monitor's form share one code path: the same model and
/// query give the same answer, and a bad key is named.
#[test]
fn the_threat_endpoint_agrees_with_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = &trained(&dir);
    let s = Server::start(&["--model", m, "--retrain-every", "0"]);
    s.wait_ready();
    let query = br#"{"duration": 0.2, "fwd_packets": 3, "bwd_packets": 0, "fwd_bytes": 180, "bwd_bytes": 0, "dport": 445, "proto": "tcp", "state": "S0"}"#;
    let (code, body) = s.request(
        "POST",
        "/v1/threat",
        &["Content-Type: application/json"],
        query,
    );
    assert_eq!(code, 200, "{body}");
    let served = json(&body);
    let (code, out, err) = flowtop(&[
        "threat",
        "--model",
        m,
        "--duration",
        "0.2",
        "--fwd-packets",
        "3",
        "--bwd-packets",
        "0",
        "--fwd-bytes",
        "180",
        "--bwd-bytes",
        "0",
        "--dport",
        "445",
        "--proto",
        "tcp",
        "--state",
        "S0",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(served, json(&out));
    for key in [
        "score",
        "level",
        "reasons",
        "recommendations",
        "imputed",
        "voting",
        "top_features",
        "basis",
    ] {
        assert!(served.get(key).is_some(), "{key} missing: {served}");
    }
    let (code, body) = s.request("POST", "/v1/threat", &[], br#"{"durations": 1}"#);
    assert_eq!(code, 400, "{body}");
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap_or_default()
            .contains("durations"),
        "{body}"
    );
    let (code, body) = s.request("POST", "/v1/threat", &[], br#"{"duration": -1}"#);
    assert_eq!(code, 422, "{body}");
}

#[test]
fn a_token_guards_everything_but_the_health_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token-0123456789\n").expect("write");
    let t = token.to_str().expect("utf-8");
    let s = Server::start(&["--token-file", t]);
    assert_eq!(s.get("/healthz").0, 200);
    assert_eq!(s.get("/v1/model").0, 401);
    assert_eq!(
        s.request(
            "GET",
            "/v1/model",
            &["Authorization: Bearer wrong-token-0123456789"],
            b""
        )
        .0,
        401
    );
    assert_eq!(
        s.request(
            "GET",
            "/metrics",
            &["Authorization: Bearer s3cret-token-0123456789"],
            b""
        )
        .0,
        200
    );
    drop(s);

    let (code, _, err) = flowtop(&["serve", ZEEK, "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 1);
    assert!(err.contains("without --token-file"), "{err}");
    std::fs::write(&token, "short\n").expect("write");
    let (code, _, err) = flowtop(&["serve", ZEEK, "--token-file", t]);
    assert_eq!(code, 1);
    assert!(err.contains("at least 16 characters"), "{err}");
}

/// A batch of flows by their canonical fields, as a JSON array or as JSON lines, comes back
/// as the rows `score -o FILE.jsonl` writes; a bad row is named.
#[test]
fn a_batch_is_scored_into_score_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = &trained(&dir);
    let s = Server::start(&["--model", m, "--retrain-every", "0"]);
    s.wait_ready();
    let lines = b"{\"duration\": 0.01, \"fwd_bytes\": 300, \"bwd_bytes\": 1600, \"dport\": 88, \"proto\": \"tcp\"}\n{\"duration\": 900, \"fwd_packets\": 40000, \"fwd_bytes\": 90000000, \"dport\": 4444, \"proto\": \"tcp\", \"state\": \"S1\"}\n";
    let (code, body) = s.request("POST", "/v1/score", &[], lines);
    assert_eq!(code, 200, "{body}");
    let rows: Vec<serde_json::Value> = body.lines().map(json).collect();
    assert_eq!(rows.len(), 2, "{body}");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["line"], i as u64 + 1);
        assert_eq!(r["scores"].as_object().map(|o| o.len()), Some(9), "{r}");
        for key in [
            "consensus",
            "flagged",
            "vote_count",
            "threat",
            "level",
            "top_features",
        ] {
            assert!(r.get(key).is_some(), "{key}: {r}");
        }
    }
    assert!(
        rows[1]["consensus"].as_f64() > rows[0]["consensus"].as_f64(),
        "{body}"
    );
    let array = format!(
        "[{}]",
        String::from_utf8_lossy(lines).trim().replace('\n', ",")
    );
    let (code, same) = s.request("POST", "/v1/score", &[], array.as_bytes());
    assert_eq!((code, same.as_str()), (200, body.as_str()));
    let (code, body) = s.request(
        "POST",
        "/v1/score",
        &[],
        b"{\"dport\": 1}\n{\"bytes\": 2}\n",
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("line 2") && body.contains("bytes"), "{body}");
}

/// Rows flagged while a client listens arrive as `alert` events, and an open stream does not
/// hold up the stop.
#[test]
fn new_alerts_stream_as_server_sent_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = &trained(&dir);
    let text = std::fs::read_to_string(ZEEK).expect("sample");
    let (head, body): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with('#'));
    let log = dir.path().join("conn.log");
    std::fs::write(&log, head.join("\n") + "\n").expect("write");
    let s = Server::start_on(
        log.to_str().expect("utf-8"),
        &["--model", m, "--retrain-every", "0"],
    );
    s.wait_ready();
    let mut stream = TcpStream::connect(&s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(stream, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    f.write_all((body.join("\n") + "\n").as_bytes())
        .expect("append");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while !(seen.contains("event: alert") && seen.contains("data: {")) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no alert: {seen}"
        );
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    // The row as the export writes it: scores and votes named by detector.
    assert!(
        seen.contains("\"consensus\"") && seen.contains("\"iforest\""),
        "{seen}"
    );
    let (ok, err) = s.stop();
    assert!(ok && err.contains("stopped"), "{err}");
}

/// The `OpenAPI` description shipped in `docs/` lists what the server serves: every path and
/// method in it is routed, and another method on the same path is refused with 405.
#[test]
fn the_openapi_description_matches_the_routes() {
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/openapi.json").expect("spec"))
            .expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 9, "{paths:?}");
    let s = Server::start(&[]);
    for (path, ops) in paths {
        let ops = ops.as_object().expect("operations");
        for method in ops.keys() {
            let body: &[u8] = if method == "post" { b"{}" } else { b"" };
            let code = s.status(&method.to_uppercase(), path, body);
            assert!(code != 404 && code != 405, "{method} {path}: {code}");
        }
        assert_eq!(s.status("DELETE", path, b""), 405, "DELETE {path}");
    }
    assert_eq!(s.get("/v2/threat").0, 404);
}

/// Without a file the model alone is served: queries and batches, no retraining.
#[test]
fn a_model_without_input_answers_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = &trained(&dir);
    let s = Server::spawn(&["serve", "--model", m]);
    assert_eq!(s.get("/readyz").0, 200);
    let (code, body) = s.request(
        "POST",
        "/v1/threat",
        &[],
        br#"{"dport": 23, "proto": "tcp"}"#,
    );
    assert_eq!(code, 200, "{body}");
    assert!(json(&body)["score"].is_number(), "{body}");
    assert_eq!(
        s.request("POST", "/v1/score", &[], br#"[{"dport": 23}]"#).0,
        200
    );
    let (code, body) = s.request("POST", "/v1/retrain", &[], b"");
    assert_eq!(code, 409, "{body}");
    let (ok, err) = s.stop();
    assert!(ok, "{err}");
    let (code, _, err) = flowtop(&["serve"]);
    assert_eq!(code, 2, "{err}");
}

/// A request in flight when SIGTERM arrives is answered before the process exits.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = &trained(&dir);
    let s = Server::spawn(&["serve", "--model", m]);
    let one =
        r#"{"duration": 1.5, "fwd_packets": 12, "fwd_bytes": 900, "dport": 443, "proto": "tcp"}"#;
    let body = format!("[{}]", vec![one; 10_000].join(","));
    let mut conn = TcpStream::connect(&s.addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        conn,
        "POST /v1/score HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    std::thread::sleep(Duration::from_millis(20));
    let pid = s.child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert_eq!(answer.matches("\"kind\":\"flow\"").count(), 10_000);
    let (ok, err) = s.stop();
    assert!(ok, "{err}");
}

/// What `/metrics` counts agrees with `flowtop score` on the same file: flows read and rows
/// rejected.
#[test]
fn metrics_count_what_score_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(ZEEK).expect("sample");
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = "1541117999.0\tCbad\t172.16.9.233\tnotaport\t172.16.9.5\t88\ttcp\t-\t0.1\t1\t1\tSF\tT\tT\t0\tS\t1\t1\t1\t1\t-\t6";
    lines.insert(lines.len() - 1, bad);
    let log = dir.path().join("conn.log");
    std::fs::write(&log, lines.join("\n") + "\n").expect("write");
    let file = log.to_str().expect("utf-8");
    let (code, out, err) = flowtop(&["score", file]);
    assert_eq!(code, 0, "{err}");
    let scored = out.lines().count() - 1;
    assert!(err.contains("1 of"), "{err}");
    let s = Server::start_on(file, &["--from-start"]);
    let start = Instant::now();
    let metric = |text: &str, name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    };
    loop {
        let (_, text) = s.get("/metrics");
        if metric(&text, "flowtop_flows_total") == Some(scored as f64) {
            assert_eq!(
                metric(&text, "flowtop_rejected_rows_total"),
                Some(1.0),
                "{text}"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{text}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Alerts also go to a JSON-lines file and to syslog (here a socket of the test's own) as
/// RFC 5424 messages; a path that cannot be written is refused before anything starts.
#[test]
fn alerts_are_delivered_to_a_file_and_syslog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("alerts.jsonl");
    let sock = dir.path().join("log.sock");
    let syslog = std::os::unix::net::UnixDatagram::bind(&sock).expect("bind");
    syslog
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let s = Server::start(&[
        "--alerts-out",
        out.to_str().expect("utf-8"),
        "--syslog",
        sock.to_str().expect("utf-8"),
    ]);
    s.wait_ready();
    let mut buf = [0u8; 4096];
    let n = syslog.recv(&mut buf).expect("a syslog message");
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        msg.starts_with('<') && msg.contains(">1 ") && msg.contains(" flowtop "),
        "{msg}"
    );
    assert!(msg.contains(" alert - threat "), "{msg}");
    let start = Instant::now();
    let rows = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if !text.is_empty() {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no alert written"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let first = json(rows.lines().next().expect("a line"));
    assert!(
        first["consensus"].is_number() && first["level"].is_string(),
        "{first}"
    );
    drop(s);
    let (code, _, err) = flowtop(&["serve", ZEEK, "--alerts-out", "/nonexistent-dir/a.jsonl"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot open the alerts file"), "{err}");
}
