//! End to end in a real terminal: the binary runs a replay inside tmux, keys are sent as a
//! person would, and the screen is read back with `capture-pane`. Every wait polls for text
//! with a timeout; nothing sleeps a fixed time. CI installs tmux (`.ci/run`) and sets
//! `FLOWTOP_REQUIRE_TMUX=1`, so its absence fails there; elsewhere each test says it did not run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
    // One monitor at a time: the follow tests measure lag, and a `--speed max` replay beside
    // them on two cores would measure the machine instead.
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Whether tmux can be run here; without it a test says it did not run, unless CI requires it.
fn have_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("FLOWTOP_REQUIRE_TMUX").is_none(),
        "FLOWTOP_REQUIRE_TMUX is set but tmux cannot be run"
    );
    eprintln!("NOT RUN: tmux is missing (`.ci/run` installs it)");
    false
}

impl Tmux {
    /// `name` keeps each test on its own tmux server; `None` when tmux is missing here.
    fn start(name: &str, args: &str) -> Option<Tmux> {
        if !have_tmux() {
            return None;
        }
        let serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = format!("flowtop-test-{}-{name}", std::process::id());
        std::fs::write(dir.path().join("config.toml"), "").expect("config");
        let bin = env!("CARGO_BIN_EXE_flowtop");
        let script = format!(
            "cd '{}' && FLOWTOP_CONFIG=config.toml '{bin}' --log-file flowtop.log {args}; echo EXIT=$?; sleep 600",
            dir.path().display()
        );
        let t = Tmux {
            socket,
            dir,
            _serial: serial,
        };
        let ok = t
            .cmd(&["new-session", "-d", "-x", "120", "-y", "40", &script])
            .status()
            .unwrap_or_else(|e| panic!("tmux is needed for this test (CI installs it): {e}"));
        assert!(ok.success(), "tmux new-session failed");
        Some(t)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).args(args);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().expect("send-keys").success());
    }

    /// Polls the screen until `pred` holds; fails with the last screen after `secs`.
    fn wait(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() <= Duration::from_secs(secs),
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for(&self, text: &str, secs: u64) -> String {
        self.wait(&format!("'{text}'"), secs, |s| s.contains(text))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

/// "A of B shown (filtered)" or "N flagged" from the feed's title.
fn feed_count(screen: &str) -> (usize, usize) {
    let line = screen
        .lines()
        .find(|l| l.contains("3 Anomalies"))
        .expect("the anomaly pane");
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect();
    match nums.as_slice() {
        [3, shown, total, ..] if line.contains("shown") => (*shown, *total),
        [3, total, ..] => (*total, *total),
        _ => panic!("no count in {line}"),
    }
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data/cicids2017-sample.csv")
        .display()
        .to_string()
}

#[test]
fn replay_help_filter_threat_retrain_export_quit() {
    let Some(t) = Tmux::start(
        "replay",
        &format!(
            "replay '{}' --speed max --warmup 500 --retrain-every 0",
            sample()
        ),
    ) else {
        return;
    };
    let s = t.wait_for("replay done", 120);
    assert!(s.contains("1 Traffic") && s.contains("2 Clusters") && s.contains("6 Model quality"));
    let s = t.wait("a scored, flagged feed", 60, |s| {
        s.contains("model #1") && s.contains(" flagged │ by time")
    });
    let (_, total) = feed_count(&s);
    assert!(total > 0, "{s}");

    t.keys(&["?"]);
    t.wait_for("Help: keys", 10);
    t.keys(&["Escape"]);
    t.wait("the help to close", 10, |s| !s.contains("Help: keys"));

    t.keys(&["/"]);
    t.wait_for("Filter the anomaly feed", 10);
    t.keys(&["label:dos", "Enter"]);
    let s = t.wait_for("shown (filtered)", 10);
    let (shown, all) = feed_count(&s);
    assert!(
        shown < all && shown > 0,
        "the filter narrows the feed: {shown} of {all}\n{s}"
    );
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| {
            l.contains("port ") && (l.contains("MEDIUM") || l.contains("HIGH") || l.contains("LOW"))
        })
        .collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.contains("DoS")),
        "{s}"
    );

    t.keys(&["t"]);
    let s = t.wait("a threat level", 10, |s| {
        s.contains("Threat query")
            && ["/100 LOW", "/100 MEDIUM", "/100 HIGH"]
                .iter()
                .any(|l| s.contains(l))
    });
    assert!(s.contains("voting:") || s.contains("heuristics"), "{s}");
    t.keys(&["Escape"]);
    t.wait("the form to close", 10, |s| !s.contains("Threat query"));

    t.keys(&["R"]);
    t.wait_for("retraining on the current window", 10);
    let s = t.wait_for("retrained in", 120);
    assert!(s.contains("model #2"), "{s}");

    t.keys(&["e"]);
    let s = t.wait_for("exported", 10);
    let (shown_now, _) = feed_count(&s);
    let csv = std::fs::read_dir(t.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("an exported CSV");
    let text = std::fs::read_to_string(&csv).expect("read the export");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let label = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "label")
        .expect("label column");
    let labels: Vec<String> = r
        .records()
        .map(|rec| rec.expect("row")[label].to_string())
        .collect();
    assert_eq!(
        labels.len(),
        shown_now,
        "one exported row per row of the feed as shown"
    );
    // `label:dos` matches classes containing "dos": DoS and DDoS.
    assert!(
        labels
            .iter()
            .all(|l| l.to_ascii_lowercase().contains("dos")),
        "{labels:?}"
    );
    let jsonl = std::fs::read_to_string(csv.with_extension("jsonl")).expect("jsonl");
    assert_eq!(jsonl.lines().count(), shown_now);

    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0", 20);
    // The alternate screen is gone: nothing of the monitor is left on the terminal.
    assert!(!s.contains("Anomalies") && !s.contains("flows/s"), "{s}");
    assert!(t.path("flowtop.log").exists());
}

#[test]
fn bad_theme_fails_before_the_terminal_is_touched() {
    let Some(t) = Tmux::start("theme", &format!("replay '{}' --theme solarized", sample())) else {
        return;
    };
    let s = t.wait_for("EXIT=1", 20);
    assert!(s.contains("unknown theme 'solarized'"), "{s}");
}

#[test]
fn forecast_appears_during_a_zeek_replay() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data/trickbot-conn.log")
        .display()
        .to_string();
    let Some(t) = Tmux::start(
        "forecast",
        &format!("replay '{log}' --speed max --warmup 500"),
    ) else {
        return;
    };
    let s = t.wait("a fitted forecast", 120, |s| {
        s.contains("ARIMA(") && s.contains("buckets ahead")
    });
    assert!(s.contains("◆"), "{s}");
    // The LSTM autoencoder trains on the same buckets and draws its window scores.
    t.wait("the sequence signal", 120, |s| {
        s.lines()
            .any(|l| l.contains("sequence ") && l.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)))
    });
    // Switch the series: the pane follows.
    t.keys(&["4", "l"]);
    t.wait_for("4 Forecast bytes/", 10);
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 20);
}

/// The README's first command, as written there, on a fresh screen: within 30 s the feed
/// shows addresses with ports and clock times, and the forecast is drawn.
#[test]
fn the_readme_first_command_shows_real_traffic_and_a_forecast_within_30_s() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let args = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --release -- "))
        .expect("the README's first command");
    // Paths in it are relative to the repository; the test runs in its own directory.
    let args: Vec<String> = args
        .split_whitespace()
        .map(|a| {
            let p = root.join(a);
            if p.exists() {
                format!("'{}'", p.display())
            } else {
                a.to_string()
            }
        })
        .collect();
    let Some(t) = Tmux::start("readme", &args.join(" ")) else {
        return;
    };
    let s = t.wait("addresses, times and a forecast", 30, |s| {
        let feed_row = s.lines().any(|l| {
            l.contains(" → ")
                && l.split_whitespace()
                    .any(|w| w.len() == 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':')
                && l.split_whitespace().any(|w| {
                    w.rsplit_once(':')
                        .is_some_and(|(h, p)| h.contains('.') && p.parse::<u16>().is_ok())
                })
        });
        feed_row && s.contains("buckets ahead") && s.contains("◆")
    });
    assert!(s.contains("ARIMA(") || s.contains("last value"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 20);
}

/// The flows counter of the status bar, exact below a million ("12,345 flows").
fn flows_on_screen(screen: &str) -> Option<u64> {
    let line = screen.lines().next()?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "flows")?;
    words.get(at.checked_sub(1)?)?.replace(',', "").parse().ok()
}

/// Zeek conn.log lines from the bundled capture, stamped with the time they are written.
struct ZeekWriter {
    header: Vec<String>,
    rows: Vec<String>,
}

impl ZeekWriter {
    fn new() -> ZeekWriter {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/trickbot-conn.log"),
        )
        .expect("sample");
        let (header, rows): (Vec<&str>, Vec<&str>) = text
            .lines()
            .filter(|l| !l.starts_with("#close"))
            .partition(|l| l.starts_with('#'));
        ZeekWriter {
            header: header
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            rows: rows.iter().map(std::string::ToString::to_string).collect(),
        }
    }

    /// Line `i`, its timestamp replaced by now.
    fn line(&self, i: usize) -> String {
        let row = &self.rows[i % self.rows.len()];
        let rest = row.split_once('\t').map_or("", |(_, r)| r);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs_f64();
        format!("{now:.6}\t{rest}\n")
    }
}

/// `flowtop tail` on a log a writer grows at `rate` lines per second for 30 s: after the
/// first 5 s the flows counter is never more than one second of writing behind, and at the
/// end it equals the lines written.
fn follow_keeps_up_at(rate: u64) {
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    let Some(t) = Tmux::start(&format!("follow{rate}"), "tail conn.log") else {
        return;
    };
    let writer = ZeekWriter::new();
    let log = t.path("conn.log");
    let mut file = std::fs::File::create(&log).expect("log");
    for h in &writer.header {
        writeln!(file, "{h}").expect("header");
    }
    file.flush().expect("flush");
    t.wait("the monitor following the log", 20, |s| {
        flows_on_screen(s) == Some(0)
    });
    // (seconds since the start, lines written by then)
    let written: Arc<Mutex<Vec<(f64, u64)>>> = Arc::new(Mutex::new(vec![(0.0, 0)]));
    let log_written = Arc::clone(&written);
    let start = Instant::now();
    let run = Duration::from_secs(30);
    let thread = std::thread::spawn(move || {
        let mut n = 0u64;
        while start.elapsed() < run {
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            let mut chunk = String::new();
            while n < due {
                chunk.push_str(&writer.line(n as usize));
                n += 1;
            }
            if !chunk.is_empty() {
                file.write_all(chunk.as_bytes()).expect("append");
                file.flush().expect("flush");
                log_written
                    .lock()
                    .expect("lock")
                    .push((start.elapsed().as_secs_f64(), n));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        n
    });
    let mut checks = 0;
    let mut worst_lag = 0i64;
    while start.elapsed() < run {
        let asked = start.elapsed().as_secs_f64();
        let shown = flows_on_screen(&t.screen());
        if asked >= 5.0 {
            // Lines written a second before the screen was read must be on it.
            let due = written
                .lock()
                .expect("lock")
                .iter()
                .take_while(|(at, _)| *at <= asked - 1.0)
                .last()
                .map_or(0, |(_, n)| *n);
            let shown = shown.expect("a flows counter on the status bar");
            worst_lag = worst_lag.max(due as i64 - shown as i64);
            assert!(
                shown >= due,
                "{rate} lines/s, at {asked:.1} s: {shown} flows on screen, {due} written a second earlier"
            );
            checks += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let total = thread.join().expect("writer");
    assert!(checks >= 100, "only {checks} checks");
    let s = t.wait(&format!("all {total} flows"), 10, |s| {
        flows_on_screen(s) == Some(total)
    });
    assert!(!s.contains("rejected"), "{s}");
    eprintln!("{rate} lines/s: {total} lines, {checks} checks, worst lag {worst_lag} lines");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 20);
}

#[test]
fn follow_keeps_up_with_20_lines_per_second() {
    follow_keeps_up_at(20);
}

#[test]
fn follow_keeps_up_with_2000_lines_per_second() {
    follow_keeps_up_at(2000);
}
