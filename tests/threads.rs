//! Scoring runs on a pool made once for the process: scoring 100k rows in the batches
//! `flowtop score` uses must create no threads after the first batch (the pool's), however
//! many batches there are. Counted from Linux thread ids, which the kernel hands out in
//! order: a thread started before and one after the work show how many were made between.
//! One test in its own binary, so no other test starts threads meanwhile.

use flowtop::flows::ingest::read_all;
use flowtop::flows::schema::{DetectOptions, FlowRecord};
use flowtop::flows::source::Input;
use flowtop::learn::model::ModelSet;

/// The id the kernel gives a new thread (None off Linux).
fn next_thread_id() -> Option<i64> {
    std::thread::spawn(|| {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        link.file_name()?.to_str()?.parse().ok()
    })
    .join()
    .ok()
    .flatten()
}

#[test]
fn scoring_100k_rows_creates_no_thread_per_batch() {
    let mut rows = Vec::new();
    let input = Input::parse("tests/fixtures/nsl-kdd.csv");
    let schema = read_all(&input, &DetectOptions::default(), |r| rows.push(r))
        .expect("fixture reads")
        .schema;
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let model = ModelSet::fit_default(&schema, &refs).expect("fits");
    let many: Vec<&FlowRecord> = refs.iter().copied().cycle().take(100_000).collect();
    let batch = flowtop::engine::output::BATCH;
    // The first batch starts the pool.
    model.score(&many[..batch]);
    let Some(before) = next_thread_id() else {
        println!("not run: thread ids are read from /proc/thread-self, which this system lacks");
        return;
    };
    for chunk in many.chunks(batch) {
        let scored = model.score(chunk);
        assert_eq!(scored.verdicts.len(), chunk.len());
    }
    let after = next_thread_id().expect("read before, so readable after");
    let batches = many.len().div_ceil(batch);
    // Other processes on the machine may take a few ids meanwhile.
    let made = after - before - 1;
    assert!(
        made <= 3,
        "{made} threads were started while scoring {batches} batches"
    );
}
