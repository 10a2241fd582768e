//! The pool background refits run on. It is apart from rayon's global pool, which scores
//! the live batches: a refit's detectors would otherwise queue ahead of a batch of new flows
//! and hold the feed back for as long as the longest detector fit. Both pools are created once
//! and live as long as the process; the operating system shares the cores between them.

use std::sync::OnceLock;

fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads())
            .thread_name(|i| format!("flowtop-fit-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `job` on the refit pool (or the global pool if the refit pool could not start); the
/// data-parallel work inside it stays on the same pool.
pub fn spawn(job: impl FnOnce() + Send + 'static) {
    match pool() {
        Some(p) => p.spawn(job),
        None => rayon::spawn(job),
    }
}
