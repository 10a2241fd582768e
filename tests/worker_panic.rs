//! A panic on any thread is recorded once the hooks are installed, so the monitor can end on
//! it with the message (its own process: the hook is global).

#[test]
fn a_worker_panic_is_seen_with_its_message_and_logged_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("flowtop.log");
    flowtop::panic::log_to(&log).expect("log");
    flowtop::panic::install_hook(|info| format!("report: {info}"));
    assert_eq!(flowtop::panic::panic_seen(), None);
    let worker = std::thread::spawn(|| {
        panic!("deliberate test panic: index 999 out of range \u{1b}[2J \u{202e}gnp.exe \u{9b}6n")
    });
    assert!(worker.join().is_err());
    let seen = flowtop::panic::panic_seen().expect("recorded");
    assert!(seen.contains("index 999 out of range"), "{seen}");
    assert!(!seen.contains('\u{1b}'), "escaped: {seen}");
    let logged = std::fs::read_to_string(&log).expect("log file");
    assert!(
        logged.contains("deliberate test panic: index 999 out of range \\x1b[2J \\u{202e}gnp"),
        "{logged}"
    );
    // tracing escapes ESC and C1 itself, but not bidi controls.
    for raw in ['\u{1b}', '\u{202e}', '\u{9b}'] {
        assert!(
            !logged.contains(raw),
            "no raw {raw:?} in the log: {logged:?}"
        );
    }
}
