//! A panic on any thread is recorded once the hooks are installed, so the monitor can end on
//! it with the message (its own process: the hook is global).

#[test]
fn a_worker_panic_is_seen_with_its_message() {
    flowtop::report::install_hooks().expect("hooks");
    assert_eq!(flowtop::report::panic_seen(), None);
    let worker =
        std::thread::spawn(|| panic!("deliberate test panic: index 999 out of range \u{1b}[2J"));
    assert!(worker.join().is_err());
    let seen = flowtop::report::panic_seen().expect("recorded");
    assert!(seen.contains("index 999 out of range"), "{seen}");
    assert!(!seen.contains('\u{1b}'), "escaped: {seen}");
}
