//! End to end in a real terminal: the binary runs a replay inside tmux, keys are sent as a
//! person would, and the screen is read back with `capture-pane`. Every wait polls for text
//! with a timeout; nothing sleeps a fixed time. CI installs tmux (`.ci/run`) and sets
//! FLOWTOP_REQUIRE_TMUX=1, so its absence fails there; elsewhere each test says it did not run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

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
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = format!("flowtop-test-{}-{name}", std::process::id());
        std::fs::write(dir.path().join("config.toml"), "").expect("config");
        let bin = env!("CARGO_BIN_EXE_flowtop");
        let script = format!(
            "cd '{}' && FLOWTOP_CONFIG=config.toml '{bin}' --log-file flowtop.log {args}; echo EXIT=$?; sleep 600",
            dir.path().display()
        );
        let t = Tmux { socket, dir };
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
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
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
        s.contains("model #1") && s.contains("flagged, newest first")
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
            .any(|l| l.contains("seq ") && l.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)))
    });
    // Switch the series: the pane follows.
    t.keys(&["4", "l"]);
    t.wait_for("4 Forecast bytes/", 10);
    t.keys(&["q"]);
    t.wait_for("EXIT=0", 20);
}
