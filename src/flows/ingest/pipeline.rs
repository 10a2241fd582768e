//! Reading a source to its end on every core. The calling thread reads and splits lines and
//! hands whole batches to the workers in turn; each worker decodes with its own copy of the
//! decoder and returns batches in the order it got them, so asking the workers in the same
//! turn gives the results back in line order. Reading the next batch overlaps decoding the
//! previous ones, and no thread is started per batch.
//!
//! The calling thread is one of the decoders too: there is one worker fewer than cores, and
//! when every worker has its queue full and the oldest batch is not back yet, the calling
//! thread decodes the batch it just read itself instead of waiting. Reading and accounting
//! are a third of the work on dense files such as NSL-KDD; a worker per core on top of them
//! left three threads taking turns on two cores.
//!
//! A batch holding a line that changes the decoder's state (Zeek `#fields`, nfdump `Summary`)
//! is decoded on the calling thread once every earlier batch is accounted for; the workers
//! then get fresh copies of the changed decoder.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::{Decoding, IngestError, io_error};
use crate::flows::schema::{Decoded, Decoder, FlowRecord};
use crate::flows::source::{LineBatch, LineSource, SourceEvent};

/// Beyond this many workers the calling thread's share (reading, accounting) is the limit.
const MAX_WORKERS: usize = 4;
/// Batches waiting per worker: enough to keep it busy while the reader waits on I/O, few
/// enough to bound memory (a batch is one read of the source, 256 KiB for files).
const QUEUE_PER_WORKER: usize = 2;
/// Batches the calling thread may have decoded ahead of the oldest worker batch; past this
/// it waits for that batch, which bounds memory when a worker is descheduled for long.
const MAX_LOCAL: usize = 4;

enum Job {
    /// Lines to decode, and an empty vector to put the results in.
    Decode(LineBatch, Vec<Decoded>),
    /// The decoder changed state: decode the following batches with this copy.
    Refresh(Box<dyn Decoder>),
}

/// A decoded batch: the lines (returned for reuse) and one result per line.
type Done = (LineBatch, Vec<Decoded>);

/// A batch in flight: on a worker, or already decoded on the calling thread.
enum Slot {
    Worker(usize),
    Local(Done),
}

struct Worker<'scope> {
    jobs: SyncSender<Job>,
    done: Receiver<Done>,
    thread: ScopedJoinHandle<'scope, ()>,
}

/// How many decoding threads to start besides the calling one on this machine.
fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .saturating_sub(1)
        .clamp(1, MAX_WORKERS)
}

fn spawn_worker<'scope>(
    scope: &'scope Scope<'scope, '_>,
    mut decoder: Box<dyn Decoder>,
) -> Worker<'scope> {
    let (jobs, job_rx) = sync_channel::<Job>(QUEUE_PER_WORKER);
    let (done_tx, done) = sync_channel::<Done>(QUEUE_PER_WORKER);
    let thread = scope.spawn(move || {
        for job in job_rx {
            match job {
                Job::Refresh(d) => decoder = d,
                Job::Decode(batch, mut out) => {
                    decode_into(decoder.as_mut(), &batch, &mut out);
                    if done_tx.send((batch, out)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    Worker { jobs, done, thread }
}

/// Decodes every line of `batch` into `out`, then forgets the batch's strings: its records
/// may be dropped on another thread, which would otherwise contend with the next batch for
/// the shared reference counts.
fn decode_into(decoder: &mut dyn Decoder, batch: &LineBatch, out: &mut Vec<Decoded>) {
    out.extend(batch.iter().map(|(no, l)| decoder.decode(l, no)));
    decoder.release_strings();
}

/// The workers and which of them holds each batch in flight, oldest first.
struct Pool<'scope> {
    workers: Vec<Worker<'scope>>,
    in_flight: VecDeque<Slot>,
    /// Batches in flight on the workers (the others in `in_flight` are local).
    on_workers: usize,
    next: usize,
    spare: Vec<LineBatch>,
    /// Result vectors given back for the next batches: a batch's results are hundreds of
    /// kilobytes, allocated on one core and freed on another when not reused.
    spare_results: Vec<Vec<Decoded>>,
}

impl Pool<'_> {
    /// Queues a batch on the next worker; when every queue is full, accounts for the oldest
    /// batch if it is back, and otherwise decodes this one here.
    fn send<E>(
        &mut self,
        batch: LineBatch,
        dec: &mut Decoding,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        while self.on_workers >= self.workers.len() * QUEUE_PER_WORKER {
            if self.try_account_oldest(dec, on_flow)? {
                continue;
            }
            if self.in_flight.len() - self.on_workers < MAX_LOCAL {
                let mut out = self.spare_results.pop().unwrap_or_default();
                decode_into(dec.decoder.as_mut(), &batch, &mut out);
                self.in_flight.push_back(Slot::Local((batch, out)));
                return Ok(());
            }
            self.account_oldest(dec, on_flow)?;
        }
        let w = self.next;
        self.next = (self.next + 1) % self.workers.len();
        let out = self.spare_results.pop().unwrap_or_default();
        if self.workers[w].jobs.send(Job::Decode(batch, out)).is_err() {
            self.worker_died(w);
        }
        self.in_flight.push_back(Slot::Worker(w));
        self.on_workers += 1;
        Ok(())
    }

    /// Accounts for the oldest batch if it is decoded; false when it is still on a worker.
    fn try_account_oldest<E>(
        &mut self,
        dec: &mut Decoding,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
    ) -> Result<bool, E> {
        match self.oldest(false) {
            Some(done) => self.account(done, dec, on_flow).map(|()| true),
            None => Ok(false),
        }
    }

    /// Accounts for the oldest batch, waiting for its worker if need be.
    fn account_oldest<E>(
        &mut self,
        dec: &mut Decoding,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        match self.oldest(true) {
            Some(done) => self.account(done, dec, on_flow),
            None => Ok(()),
        }
    }

    /// Takes the oldest batch in flight once it is decoded: waiting for its worker when
    /// `wait`, otherwise leaving it in place (`None`) while the worker still has it. `None`
    /// also when nothing is in flight.
    fn oldest(&mut self, wait: bool) -> Option<Done> {
        let w = match self.in_flight.pop_front()? {
            Slot::Local(done) => return Some(done),
            Slot::Worker(w) => w,
        };
        let done = if wait {
            self.workers[w]
                .done
                .recv()
                .map_err(|_| TryRecvError::Disconnected)
        } else {
            self.workers[w].done.try_recv()
        };
        match done {
            Ok(done) => {
                self.on_workers -= 1;
                Some(done)
            }
            Err(TryRecvError::Empty) => {
                self.in_flight.push_front(Slot::Worker(w));
                None
            }
            Err(TryRecvError::Disconnected) => self.worker_died(w),
        }
    }

    fn account<E>(
        &mut self,
        (mut batch, mut results): Done,
        dec: &mut Decoding,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        for ((no, _), decoded) in batch.iter().zip(results.drain(..)) {
            dec.account(no, decoded, on_flow, &mut |_| {})?;
        }
        batch.clear();
        self.spare.push(batch);
        self.spare_results.push(results);
        Ok(())
    }

    fn drain<E>(
        &mut self,
        dec: &mut Decoding,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        while !self.in_flight.is_empty() {
            self.account_oldest(dec, on_flow)?;
        }
        Ok(())
    }

    fn refresh(&mut self, decoder: &dyn Decoder) {
        for w in 0..self.workers.len() {
            if self.workers[w]
                .jobs
                .send(Job::Refresh(decoder.fork()))
                .is_err()
            {
                self.worker_died(w);
            }
        }
    }

    /// A worker only stops early by panicking: re-raise its panic here.
    fn worker_died(&mut self, w: usize) -> ! {
        let worker = self.workers.swap_remove(w);
        drop(worker.jobs);
        match worker.thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("a decoding worker ended while batches were queued for it"),
        }
    }
}

/// Decodes `batch` (lines already read, e.g. to detect the format) and then every line
/// `source` gives until its end, handing flows to `on_flow` in line order. An error from
/// `on_flow` stops reading and is returned.
pub(crate) fn decode_source<E: From<IngestError>>(
    source: &mut dyn LineSource,
    dec: &mut Decoding,
    mut batch: LineBatch,
    mut on_flow: impl FnMut(FlowRecord) -> Result<(), E>,
) -> Result<(), E> {
    let name = source.name().to_string();
    std::thread::scope(|scope| {
        let mut pool = Pool {
            workers: (0..worker_count())
                .map(|_| spawn_worker(scope, dec.decoder.fork()))
                .collect(),
            in_flight: VecDeque::new(),
            on_workers: 0,
            next: 0,
            spare: Vec::new(),
            spare_results: Vec::new(),
        };
        loop {
            dec.count_blank(&mut batch);
            if batch.iter().any(|(_, l)| dec.decoder.changes_state(l)) {
                pool.drain(dec, &mut on_flow)?;
                for (no, line) in batch.iter() {
                    let decoded = dec.decoder.decode(line, no);
                    dec.account(no, decoded, &mut on_flow, &mut |_| {})?;
                }
                dec.decoder.release_strings();
                pool.refresh(dec.decoder.as_ref());
                batch.clear();
            } else if !batch.is_empty() {
                pool.send(batch, dec, &mut on_flow)?;
                batch = pool.spare.pop().unwrap_or_default();
            }
            match source.poll(&mut batch).map_err(io_error(&name))? {
                SourceEvent::Eof if batch.is_empty() => break,
                SourceEvent::Rotated | SourceEvent::Truncated => {
                    pool.drain(dec, &mut on_flow)?;
                    dec.new_file();
                    pool.refresh(dec.decoder.as_ref());
                }
                _ => {}
            }
        }
        pool.drain(dec, &mut on_flow)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::flows::ingest::{LineCounts, read_batches, read_source};
    use crate::flows::schema::{DetectOptions, SAMPLE_LINES, detect};
    use crate::flows::source::{FileSource, Input};

    fn write(lines: &[String]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        for l in lines {
            writeln!(f, "{l}").expect("write");
        }
        f
    }

    /// Every line decoded in order by one decoder: what the workers must reproduce.
    fn serial(lines: &[String]) -> (Vec<String>, LineCounts) {
        let refs: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let n = refs.len().min(SAMPLE_LINES);
        let detected = detect("file", &refs[..n], &DetectOptions::default()).expect("detect");
        let mut dec = Decoding::new(detected, "file");
        let mut flows = Vec::new();
        for (i, l) in refs.iter().enumerate() {
            let decoded = dec.decoder.decode(l, i as u64 + 1);
            let Ok(()) = dec.account(
                i as u64 + 1,
                decoded,
                &mut |f| {
                    flows.push(format!("{f:?}"));
                    Ok::<(), std::convert::Infallible>(())
                },
                &mut |_| {},
            );
        }
        (flows, dec.counts)
    }

    fn pipelined(file: &tempfile::NamedTempFile) -> (Vec<String>, LineCounts) {
        let mut source = FileSource::open(file.path()).expect("open");
        let mut flows = Vec::new();
        let summary = read_source(&mut source, &DetectOptions::default(), |f| {
            flows.push(format!("{f:?}"));
        })
        .expect("read");
        (flows, summary.counts)
    }

    /// The CIC-IDS2017 fixture's header, then its rows `copies` times: a file of many batches.
    fn cic_copies(copies: usize) -> Vec<String> {
        let cic = fixture("cicflowmeter-cleaned.csv");
        let mut lines = vec![cic[0].clone()];
        for _ in 0..copies {
            lines.extend(cic[1..].iter().cloned());
        }
        lines
    }

    fn fixture(name: &str) -> Vec<String> {
        std::fs::read_to_string(format!("tests/fixtures/{name}"))
            .expect("fixture")
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Many batches on several workers, malformed rows among them, and a `#fields` line that
    /// swaps two columns half-way: the same flows, in the same order, with the same counts.
    #[test]
    fn workers_give_what_one_decoder_gives_in_line_order() {
        let zeek = fixture("zeek-trickbot-head.log");
        let header: Vec<String> = zeek
            .iter()
            .take_while(|l| l.starts_with('#'))
            .cloned()
            .collect();
        let rows: Vec<String> = zeek
            .iter()
            .filter(|l| !l.starts_with('#'))
            .cloned()
            .collect();
        let fields_at = header
            .iter()
            .position(|l| l.starts_with("#fields"))
            .expect("#fields");
        let names: Vec<&str> = header[fields_at].split('\t').collect();
        let (a, b) = (
            names
                .iter()
                .position(|n| *n == "orig_bytes")
                .expect("orig_bytes"),
            names
                .iter()
                .position(|n| *n == "resp_bytes")
                .expect("resp_bytes"),
        );
        let swap = |l: &str| {
            let mut f: Vec<&str> = l.split('\t').collect();
            f.swap(a, b);
            f.join("\t")
        };
        let mut lines = header.clone();
        for k in 0..300 {
            for (i, r) in rows.iter().enumerate() {
                lines.push(if (k * rows.len() + i).is_multiple_of(97) {
                    let mut f: Vec<&str> = r.split('\t').collect();
                    f[names
                        .iter()
                        .position(|n| *n == "duration")
                        .expect("duration")
                        - 1] = "soon";
                    f.join("\t")
                } else {
                    r.clone()
                });
            }
        }
        lines.push(swap(&header[fields_at]));
        for _ in 0..300 {
            lines.extend(rows.iter().map(|r| {
                // The data rows after the new header carry the swapped layout (one field
                // less: the first name is `#fields`).
                let mut f: Vec<&str> = r.split('\t').collect();
                f.swap(a - 1, b - 1);
                f.join("\t")
            }));
        }
        lines.push("#close\t2025-11-23-10-30-00".into());
        let file = write(&lines);
        assert!(
            std::fs::metadata(file.path()).expect("size").len() > 3 * 256 * 1024,
            "the file must span several batches"
        );
        let (want, mut want_counts) = serial(&lines);
        let (got, got_counts) = pipelined(&file);
        for r in &mut want_counts.first_rejects {
            r.file = got_counts.first_rejects[0].file.clone();
        }
        assert_eq!(got_counts, want_counts);
        assert!(
            want_counts.first_rejects[0]
                .reason
                .contains("'soon' is not a number")
        );
        assert!(want_counts.rejected > 50, "{want_counts:?}");
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "flow {i}");
        }
        // The swapped section was read with its own header: bytes each way as before.
        let fwd = |s: &str| {
            s[s.find("fwd_bytes").expect("core")..]
                .split(',')
                .next()
                .map(str::to_string)
        };
        let (plain, _) = serial(&[header.clone(), rows.clone()].concat());
        // The last rows, decoded by a worker after the main decoder changed.
        let swapped = &got[got.len() - rows.len()..];
        assert_eq!(swapped.len(), plain.len());
        for (g, p) in swapped.iter().zip(&plain) {
            assert_eq!(fwd(g), fwd(p));
        }
    }

    /// nfdump's `Summary` in the middle of a large batch ends the flows on every worker.
    #[test]
    fn a_trailer_ends_the_flows_whatever_the_batches() {
        let nf = fixture("nfdump.csv");
        let summary = nf.iter().position(|l| l == "Summary").expect("Summary");
        let (header, rows) = (&nf[0], &nf[1..summary]);
        let mut lines = vec![header.clone()];
        for _ in 0..2_000 {
            lines.extend(rows.iter().cloned());
        }
        lines.push("Summary".into());
        for _ in 0..2_000 {
            lines.extend(rows.iter().cloned());
        }
        let file = write(&lines);
        let (got, counts) = pipelined(&file);
        assert_eq!(got.len(), 2_000 * rows.len());
        assert_eq!(
            counts.skipped.get("trailer"),
            Some(&(1 + 2_000 * rows.len() as u64))
        );
        assert_eq!(serial(&lines).0, got);
    }

    /// A consumer's error stops reading at once and comes back, with no worker left waiting.
    #[test]
    fn a_consumer_error_stops_reading() {
        let lines = cic_copies(500);
        let file = write(&lines);
        let input = Input::File(file.path().to_path_buf());
        let mut batches = 0;
        let result = read_batches(
            &input,
            &DetectOptions::default(),
            100,
            |_| Ok(()),
            |b| {
                batches += 1;
                assert_eq!(b.len(), 100);
                Err(IngestError::Io {
                    file: "consumer".into(),
                    source: std::io::Error::other("enough"),
                })
            },
        );
        let err = result.err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("consumer: enough"));
        assert_eq!(batches, 1);
    }

    /// Counts the lines the calling thread's decoder decodes. Its forks (the workers') stop
    /// after the first lines until the calling thread has decoded one itself, so the workers
    /// fall behind whatever the machine's load (for at most 10 s: a pipeline that never decodes
    /// on the calling thread then fails the test instead of hanging it).
    struct StallingForks {
        inner: Box<dyn Decoder>,
        forked: bool,
        here: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Decoder for StallingForks {
        fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded {
            let started = std::time::Instant::now();
            while self.forked
                && line_no > 1_000
                && self.here.load(std::sync::atomic::Ordering::Relaxed) == 0
            {
                if started.elapsed() > std::time::Duration::from_secs(10) {
                    // Give up: a count no file reaches, so that no later line waits and the
                    // test's check (fewer than the file's lines) fails.
                    self.here
                        .store(usize::MAX / 2, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if !self.forked {
                self.here.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            self.inner.decode(line, line_no)
        }
        fn reset(&mut self) {}
        fn fork(&self) -> Box<dyn Decoder> {
            Box::new(StallingForks {
                inner: self.inner.fork(),
                forked: true,
                here: self.here.clone(),
            })
        }
        fn changes_state(&self, line: &[u8]) -> bool {
            self.inner.changes_state(line)
        }
        fn release_strings(&mut self) {
            self.inner.release_strings();
        }
    }

    /// Workers that fall behind: the calling thread decodes batches itself, and the flows
    /// still come out as one decoder gives them, in line order.
    #[test]
    fn batches_decoded_here_keep_their_place() {
        let lines = cic_copies(200);
        let file = write(&lines);
        let (want, want_counts) = serial(&lines);
        let refs: Vec<&[u8]> = lines.iter().take(50).map(|l| l.as_bytes()).collect();
        let detected = detect("file", &refs, &DetectOptions::default()).expect("detect");
        let here = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut dec = Decoding::new(
            crate::flows::schema::Detected {
                schema: detected.schema,
                decoder: Box::new(StallingForks {
                    inner: detected.decoder,
                    forked: false,
                    here: here.clone(),
                }),
            },
            "file",
        );
        let mut source = FileSource::open(file.path()).expect("open");
        let mut got = Vec::new();
        decode_source(&mut source, &mut dec, LineBatch::new(), |f| {
            got.push(format!("{f:?}"));
            Ok::<(), IngestError>(())
        })
        .expect("read");
        let decoded_here = here.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            decoded_here > 0 && decoded_here < lines.len(),
            "{decoded_here} of {} lines decoded on the calling thread",
            lines.len()
        );
        assert_eq!(dec.counts.rows, want_counts.rows);
        assert_eq!(got, want);
    }

    /// A decoder that panics on one line: the panic reaches the caller instead of a hang.
    struct PanicsOnBoom(Box<dyn Decoder>);

    impl Decoder for PanicsOnBoom {
        fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded {
            assert!(line != b"boom", "decoder gave up on line {line_no}");
            self.0.decode(line, line_no)
        }
        fn reset(&mut self) {}
        fn fork(&self) -> Box<dyn Decoder> {
            Box::new(PanicsOnBoom(self.0.fork()))
        }
        fn changes_state(&self, _line: &[u8]) -> bool {
            false
        }
        fn release_strings(&mut self) {}
    }

    #[test]
    fn a_worker_panic_reaches_the_caller() {
        let cic = fixture("cicflowmeter-cleaned.csv");
        let mut lines = vec![cic[0].clone()];
        for k in 0..300 {
            lines.extend(cic[1..].iter().cloned());
            if k == 200 {
                lines.push("boom".into());
            }
        }
        let file = write(&lines);
        let refs: Vec<&[u8]> = lines.iter().take(50).map(|l| l.as_bytes()).collect();
        let detected = detect("file", &refs, &DetectOptions::default()).expect("detect");
        let mut dec = Decoding::new(
            crate::flows::schema::Detected {
                schema: detected.schema,
                decoder: Box::new(PanicsOnBoom(detected.decoder)),
            },
            "file",
        );
        let mut source = FileSource::open(file.path()).expect("open");
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decode_source(&mut source, &mut dec, LineBatch::new(), |_| {
                Ok::<(), IngestError>(())
            })
        }))
        .expect_err("the worker's panic");
        let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(text.contains("gave up on line"), "{text}");
    }
}
