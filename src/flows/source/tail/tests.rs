use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

const DEADLINE: Duration = Duration::from_secs(10);

fn opts(from_start: bool) -> FollowOptions {
    FollowOptions {
        from_start,
        poll_interval: Duration::from_millis(20),
    }
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    f.write_all(bytes).expect("append");
    f.flush().expect("flush");
}

/// Polls until `want` lines have arrived (or the deadline passes); returns them and every
/// non-idle event seen.
fn collect(src: &mut FollowSource, want: usize) -> (Vec<(u64, String)>, Vec<SourceEvent>) {
    let mut out = LineBatch::new();
    let mut events = Vec::new();
    let start = Instant::now();
    while out.len() < want && start.elapsed() < DEADLINE {
        let ev = src.poll(&mut out).expect("poll");
        if ev != SourceEvent::Idle && ev != SourceEvent::Lines {
            events.push(ev);
        }
    }
    let lines = out
        .iter()
        .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned()))
        .collect();
    (lines, events)
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).expect("gz");
    enc.finish().expect("gz")
}

#[test]
fn appended_lines_arrive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"a\nb\n");
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(
        collect(&mut src, 2).0,
        vec![(1, "a".into()), (2, "b".into())]
    );
    append(&p, b"c\n");
    assert_eq!(collect(&mut src, 1).0, vec![(3, "c".into())]);
    assert_eq!(src.status().offset, 6);
    assert_eq!(src.status().lag_bytes(), 0);
}

#[test]
fn starting_at_the_end_skips_existing_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"old\n");
    let mut src = FollowSource::open(&p, opts(false)).expect("open");
    append(&p, b"new\n");
    let (lines, _) = collect(&mut src, 1);
    assert_eq!(
        lines,
        vec![(2, "new".to_string())],
        "line numbers stay those of the file"
    );
}

#[test]
fn partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"a\n");
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(collect(&mut src, 1).0.len(), 1);
    append(&p, b"half,of,a");
    let mut out = LineBatch::new();
    for _ in 0..5 {
        src.poll(&mut out).expect("poll");
    }
    assert!(
        out.is_empty(),
        "a line without its newline must not be emitted"
    );
    append(&p, b",row\n");
    assert_eq!(collect(&mut src, 1).0, vec![(2, "half,of,a,row".into())]);
}

#[test]
fn rotation_by_rename_is_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"a\n");
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(collect(&mut src, 1).0.len(), 1);
    // Written just before the rename: must still be read from the old file.
    append(&p, b"b\n");
    std::fs::rename(&p, dir.path().join("conn.log.1")).expect("rename");
    append(&p, b"x\ny\n");
    let (lines, events) = collect(&mut src, 3);
    assert_eq!(
        lines,
        vec![(2, "b".into()), (1, "x".into()), (2, "y".into())]
    );
    assert_eq!(events, vec![SourceEvent::Rotated]);
    assert_eq!(src.status().rotations, 1);
}

#[test]
fn rotation_waits_while_the_path_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"a\n");
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(collect(&mut src, 1).0.len(), 1);
    std::fs::rename(&p, dir.path().join("old.log")).expect("rename");
    let mut out = LineBatch::new();
    assert_eq!(
        src.poll(&mut out).expect("poll while missing"),
        SourceEvent::Idle
    );
    append(&p, b"fresh\n");
    assert_eq!(collect(&mut src, 1).0, vec![(1, "fresh".into())]);
}

#[test]
fn truncation_restarts_from_the_beginning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    append(&p, b"first line\nsecond line\n");
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(collect(&mut src, 2).0.len(), 2);
    std::fs::write(&p, b"t\n").expect("truncate and write");
    let (lines, events) = collect(&mut src, 1);
    assert_eq!(lines, vec![(1, "t".into())]);
    assert_eq!(events, vec![SourceEvent::Truncated]);
    assert_eq!(src.status().truncations, 1);
}

/// A writer that truncates and refills the file past the old read position before the
/// follower looks again: the size alone says nothing happened.
#[test]
fn a_file_refilled_past_the_read_position_is_read_from_its_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log");
    let rows =
        |tag: &str, n: usize| -> String { (0..n).map(|i| format!("{tag} row {i}\n")).collect() };
    append(&p, rows("old", 200).as_bytes());
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(collect(&mut src, 200).0.len(), 200);
    let f = OpenOptions::new().write(true).open(&p).expect("open");
    f.set_len(0).expect("truncate in place");
    drop(f);
    append(&p, rows("new", 300).as_bytes());
    let (lines, events) = collect(&mut src, 300);
    assert_eq!(events, vec![SourceEvent::Truncated]);
    assert_eq!(lines.len(), 300, "every row of the refilled file");
    assert_eq!(lines[0], (1, "new row 0".into()));
    assert_eq!(lines[299], (300, "new row 299".into()));
}

#[test]
fn gzip_members_appended_later_are_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("conn.log.gz");
    append(&p, &gz(b"a\nb\n"));
    let mut src = FollowSource::open(&p, opts(true)).expect("open");
    assert_eq!(
        collect(&mut src, 2).0,
        vec![(1, "a".into()), (2, "b".into())]
    );
    // A second member, written in two halves: the decoder must resume mid-member.
    let second = gz(b"c\nd\n");
    let (h1, h2) = second.split_at(second.len() / 2);
    append(&p, h1);
    let mut out = LineBatch::new();
    src.poll(&mut out).expect("poll on half a member");
    append(&p, h2);
    let (lines, _) = collect(&mut src, 2 - out.len());
    let mut all: Vec<_> = out
        .iter()
        .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned()))
        .collect();
    all.extend(lines);
    assert_eq!(all, vec![(3, "c".into()), (4, "d".into())]);
}

#[test]
fn a_missing_file_is_an_error_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(FollowSource::open(&dir.path().join("nope.log"), opts(true)).is_err());
}
