use std::io::Write;
use std::time::{Duration, Instant};

use super::*;
use crate::flows::source::replay::SeekTarget;

const DEADLINE: Duration = Duration::from_secs(10);

fn csv_with_times(dir: &std::path::Path, rows: usize) -> std::path::PathBuf {
    let p = dir.join("flows.csv");
    let mut text = String::from("ts,duration,bytes\n");
    for i in 0..rows {
        text.push_str(&format!("{},{},{}\n", 1000 + i, i, i * 10));
    }
    std::fs::write(&p, text).expect("write");
    p
}

/// Receives events until `pred` holds over the flows so far (or the deadline passes).
fn flows_until(
    h: &mut IngestHandle,
    mut pred: impl FnMut(&[FlowRecord], bool) -> bool,
) -> (Vec<FlowRecord>, bool) {
    let mut got = Vec::new();
    let mut finished = false;
    let start = Instant::now();
    while !pred(&got, finished) && start.elapsed() < DEADLINE {
        match h.events.try_recv() {
            Ok(IngestEvent::Flows { records, .. }) => got.extend(records),
            Ok(IngestEvent::Finished(_)) => finished = true,
            Ok(IngestEvent::Failed(e)) => panic!("ingest failed: {e}"),
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    (got, finished)
}

fn times(f: &[FlowRecord]) -> Vec<f64> {
    f.iter().filter_map(|r| r.ts).collect()
}

#[test]
fn replay_at_max_speed_delivers_every_row_then_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 3000);
    let mut h = spawn(IngestConfig::new(Input::File(p), IngestMode::Replay));
    let (got, finished) = flows_until(&mut h, |_, fin| fin);
    assert!(finished);
    assert_eq!(got.len(), 3000);
    assert_eq!(got[2999].ts, Some(3999.0));
}

#[test]
fn pause_and_step_release_one_flow_per_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 100);
    let mut cfg = IngestConfig::new(Input::File(p), IngestMode::Replay);
    // One flow per simulated second at ×0.001: the second flow is 1000 s away.
    cfg.speed = Speed::Factor(0.001);
    let mut h = spawn(cfg);
    let (first, _) = flows_until(&mut h, |f, _| !f.is_empty());
    assert_eq!(times(&first), vec![1000.0]);
    h.send(ReplayCommand::Pause);
    h.send(ReplayCommand::Step);
    h.send(ReplayCommand::Step);
    let (stepped, _) = flows_until(&mut h, |f, _| f.len() >= 2);
    assert_eq!(times(&stepped), vec![1001.0, 1002.0]);
    // Nothing else comes while paused.
    let quiet_until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < quiet_until {
        if let Ok(IngestEvent::Flows { records, .. }) = h.events.try_recv() {
            assert!(
                records.is_empty(),
                "flows released while paused: {:?}",
                times(&records)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn seeking_forward_skips_and_backward_rewinds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 100);
    let mut cfg = IngestConfig::new(Input::File(p), IngestMode::Replay);
    cfg.speed = Speed::Factor(0.001);
    let mut h = spawn(cfg);
    flows_until(&mut h, |f, _| !f.is_empty());
    h.send(ReplayCommand::Pause);
    h.send(ReplayCommand::Seek(SeekTarget::Time(1050.0)));
    h.send(ReplayCommand::Step);
    let (after, _) = flows_until(&mut h, |f, _| !f.is_empty());
    assert_eq!(times(&after), vec![1050.0]);
    h.send(ReplayCommand::Seek(SeekTarget::Start));
    h.send(ReplayCommand::Step);
    let (back, _) = flows_until(&mut h, |f, _| !f.is_empty());
    assert_eq!(times(&back), vec![1000.0]);
}

#[test]
fn follow_mode_delivers_appended_rows_and_rejects_with_line_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 5);
    let h = spawn(IngestConfig::new(
        Input::File(p.clone()),
        IngestMode::Follow { from_start: false },
    ));
    let mut schema = None;
    let start = Instant::now();
    while schema.is_none() && start.elapsed() < DEADLINE {
        match h.events.try_recv() {
            Ok(IngestEvent::Detected(s)) => schema = Some(s),
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    assert_eq!(schema.map(|s| s.numeric_names().len()), Some(2));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&p)
        .expect("open");
    f.write_all(b"2000,1,1\nbad,row\n2001,2,2\n")
        .expect("append");
    let mut rejects = Vec::new();
    let mut got = Vec::new();
    let start = Instant::now();
    while (got.len() < 2 || rejects.is_empty()) && start.elapsed() < DEADLINE {
        match h.events.try_recv() {
            Ok(IngestEvent::Flows {
                records,
                rejects: r,
                stats,
            }) => {
                got.extend(records);
                rejects.extend(r);
                assert!(stats.rows >= got.len() as u64);
            }
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    assert_eq!(
        times(&got),
        vec![2000.0, 2001.0],
        "only appended rows when not reading from the start"
    );
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].line, 8);
    assert_eq!(rejects[0].reason, "expected 3 fields, found 2");
}

#[test]
fn a_missing_file_fails_with_its_name() {
    let h = spawn(IngestConfig::new(
        Input::File("/nonexistent/flows.csv".into()),
        IngestMode::Replay,
    ));
    let start = Instant::now();
    let mut failure = None;
    while failure.is_none() && start.elapsed() < DEADLINE {
        match h.events.try_recv() {
            Ok(IngestEvent::Failed(e)) => failure = Some(e),
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let msg = failure.expect("a failure event");
    assert!(msg.starts_with("/nonexistent/flows.csv: "), "{msg}");
}

#[test]
fn a_backward_seek_between_batches_replays_everything_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 50);
    let (tx, rx) = std::sync::mpsc::channel();
    let (ctl_tx, ctl_rx) = std::sync::mpsc::channel();
    // Queued before the run starts, so it is applied after the first batch, between batches.
    ctl_tx
        .send(ReplayCommand::Seek(SeekTarget::Start))
        .expect("send");
    let cfg = IngestConfig::new(Input::File(p), IngestMode::Replay);
    let sink: Sink = Box::new(move |ev| tx.send(ev).is_ok());
    let mut w = Worker::new(cfg, sink, ctl_rx, Arc::new(AtomicBool::new(false)));
    w.run().expect("run");
    drop(w);
    let mut got = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let IngestEvent::Flows { records, .. } = ev {
            got.extend(records);
        }
    }
    let t = times(&got);
    assert_eq!(
        t.len(),
        100,
        "the whole file once, then again from the start"
    );
    assert_eq!(t[..50], t[50..]);
}

/// A log written at a steady rate: every flow reaches the consumer soon after its line is
/// written, at a trickle and at a flood alike (the monitor showed nothing for 40 s at 20
/// lines/s when flows were only handed on in thousands or when the source went idle).
#[test]
fn a_steadily_growing_log_is_delivered_as_it_is_written() {
    for rate in [20u32, 2_000, 20_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("conn.csv");
        std::fs::write(&p, "ts,duration,bytes\n").expect("header");
        let cfg = IngestConfig::new(
            Input::File(p.clone()),
            IngestMode::Follow { from_start: true },
        );
        let h = spawn(cfg);
        let total = (rate * 2).max(40) as usize;
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&p)
                .expect("open");
            let start = Instant::now();
            let mut written = Vec::with_capacity(total);
            for i in 0..total {
                // Paced in small groups, as a sensor flushes.
                let due = start + Duration::from_secs_f64(i as f64 / f64::from(rate));
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                writeln!(f, "{},{},{}", 1000 + i, i % 7, i * 10).expect("write");
                f.flush().expect("flush");
                written.push(Instant::now());
            }
            written
        });
        let mut arrived: Vec<Option<Instant>> = vec![None; total];
        let start = Instant::now();
        while arrived.iter().any(Option::is_none) && start.elapsed() < DEADLINE * 2 {
            match h.events.try_recv() {
                Ok(IngestEvent::Flows { records, .. }) => {
                    let now = Instant::now();
                    for r in records {
                        if let Some(slot) = r.ts.and_then(|t| arrived.get_mut(t as usize - 1000)) {
                            *slot = Some(now);
                        }
                    }
                }
                Ok(IngestEvent::Failed(e)) => panic!("ingest failed: {e}"),
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        let written = writer.join().expect("writer");
        let mut lag: Vec<f64> = written
            .iter()
            .zip(&arrived)
            .map(|(w, a)| {
                a.map_or(f64::INFINITY, |a| {
                    a.saturating_duration_since(*w).as_secs_f64()
                })
            })
            .collect();
        lag.sort_by(f64::total_cmp);
        assert!(
            lag.iter().all(|l| l.is_finite()),
            "{rate}/s: every flow arrives"
        );
        let p90 = lag[lag.len() * 9 / 10];
        // The poll interval is 100 ms; 250 ms leaves room for a loaded machine.
        assert!(
            p90 < 0.25,
            "{rate} lines/s: 90 % of flows within {p90:.3} s of their line"
        );
    }
}

/// Pausing or changing speed while the replay waits for its next flow shows at once (the
/// status bar said nothing until a step released a flow).
#[test]
fn pause_and_speed_are_reported_while_waiting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = csv_with_times(dir.path(), 100);
    let mut cfg = IngestConfig::new(Input::File(p), IngestMode::Replay);
    cfg.speed = Speed::Factor(0.001);
    let mut h = spawn(cfg);
    let _ = flows_until(&mut h, |f, _| !f.is_empty());
    let status_until = |h: &mut IngestHandle, want: &dyn Fn(&IngestStats) -> bool| {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            match h.events.try_recv() {
                Ok(IngestEvent::Status(s)) if want(&s) => return true,
                Ok(IngestEvent::Flows { stats, .. }) if want(&stats) => return true,
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        false
    };
    h.send(ReplayCommand::Pause);
    assert!(status_until(&mut h, &|s| s.paused), "PAUSED reported");
    h.send(ReplayCommand::Faster);
    assert!(
        status_until(&mut h, &|s| s.paused && s.speed != Speed::Factor(0.001)),
        "the new speed reported while paused"
    );
    h.send(ReplayCommand::Resume);
    assert!(status_until(&mut h, &|s| !s.paused), "resumed reported");
}

/// Following a log that does not exist yet waits for it, as `tail -F` does, and reads it from
/// its start once it appears.
#[test]
fn following_a_missing_log_waits_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("later.csv");
    let mut h = spawn(IngestConfig::new(
        Input::File(p.clone()),
        IngestMode::Follow { from_start: false },
    ));
    let start = Instant::now();
    let mut waiting = false;
    while !waiting && start.elapsed() < DEADLINE {
        match h.events.try_recv() {
            Ok(IngestEvent::Notice(n)) => waiting = n.contains("waiting for"),
            Ok(IngestEvent::Failed(e)) => panic!("gave up: {e}"),
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    assert!(waiting, "says it waits");
    csv_with_times(dir.path(), 50);
    std::fs::rename(dir.path().join("flows.csv"), &p).expect("appear");
    let (got, _) = flows_until(&mut h, |f, _| f.len() >= 50);
    assert_eq!(got.len(), 50, "the whole new log is read");
}
