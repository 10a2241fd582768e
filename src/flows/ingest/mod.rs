//! Ingest: a source's lines → format detection → decoded flows, with rejected rows kept as
//! `file:line: reason`. `read_all` runs it to the end, reading on the caller's thread and
//! decoding on every core, the caller's included (headless commands, `pipeline`); `spawn`
//! runs it on its own thread, paced for replay and steerable with `ReplayCommand`s, sending
//! batches over a bounded channel (the TUI).

mod clock;
pub mod live;
mod pipeline;

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use thiserror::Error;

use crate::flows::schema::{
    Decoded, DetectError, DetectOptions, Detected, FlowRecord, SAMPLE_LINES, Schema, Skip, detect,
};
use crate::flows::source::{Input, LineBatch, LineSource, SourceEvent, SourceStatus};

pub use live::{IngestConfig, IngestEvent, IngestHandle, IngestMode, IngestStats, spawn};

/// Batches at least this long are decoded on two cores when their lines are independent.
const PARALLEL_MIN_LINES: usize = 256;

/// How many rejected rows are kept with their reasons (all are counted).
pub const KEEP_REJECTS: usize = 20;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{}", named(file, source))]
    Io { file: String, source: io::Error },
    #[error(transparent)]
    Detect(#[from] DetectError),
}

/// `file: error`, the name said once even when the reader already put it in the message.
fn named(file: &str, e: &io::Error) -> String {
    let text = e.to_string();
    match text.strip_prefix(file).and_then(|t| t.strip_prefix(": ")) {
        Some(_) => text,
        None => format!("{file}: {text}"),
    }
}

/// Wraps an I/O error with the name of the file it happened on.
pub(crate) fn io_error(file: &str) -> impl Fn(io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        file: file.to_string(),
        source,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Counts of everything that was not a flow.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineCounts {
    pub rows: u64,
    pub rejected: u64,
    /// Lines that are not flows by design (headers, comments, management records …), by kind.
    pub skipped: BTreeMap<&'static str, u64>,
    /// The first `KEEP_REJECTS` rejected rows.
    pub first_rejects: Vec<Rejected>,
    /// Flows kept without their timestamp, which could not be right (see `clock`).
    pub suspect_times: u64,
    /// The first `KEEP_REJECTS` of them.
    pub first_suspect_times: Vec<Rejected>,
    /// Values no flow can carry (negative, a wrapped-around counter, a duration beyond a
    /// year), by core field: kept as missing.
    pub suspect_values: BTreeMap<&'static str, u64>,
}

impl LineCounts {
    /// What a headless command says about the rows it could not read: how many, and the first
    /// `shown` with file and line. `None` when every row was read.
    pub fn rejects_note(&self, shown: usize) -> Option<String> {
        if self.rejected == 0 {
            return self.suspect_times_note(shown);
        }
        let mut note = format!(
            "{} of {} rows rejected",
            self.rejected,
            self.rows + self.rejected
        );
        list_rows(&mut note, &self.first_rejects, shown);
        if self.rejected > shown.min(self.first_rejects.len()) as u64 {
            note.push_str("\n  … (`flowtop inspect FILE` lists more)");
        }
        if let Some(t) = self.suspect_times_note(shown) {
            note.push('\n');
            note.push_str(&t);
        }
        Some(note)
    }

    /// Flows whose timestamp was set aside, and the first few.
    pub fn suspect_times_note(&self, shown: usize) -> Option<String> {
        if self.suspect_times == 0 {
            return None;
        }
        let mut note = format!(
            "{} flows kept without their timestamp, which could not be right",
            self.suspect_times
        );
        list_rows(&mut note, &self.first_suspect_times, shown);
        Some(note)
    }
}

/// The first `shown` rows, one per line as `file:line: reason`.
fn list_rows(note: &mut String, rows: &[Rejected], shown: usize) {
    for r in rows.iter().take(shown) {
        note.push_str(&format!("\n  {r}"));
    }
}

/// Decodes lines with a detected decoder and keeps the counts.
pub struct Decoding {
    pub schema: Schema,
    decoder: Box<dyn crate::flows::schema::Decoder>,
    /// The copy that decodes the second half of large batches; dropped after a batch whose lines
    /// were not independent, since such a batch may have changed the decoder's state.
    helper: Option<Box<dyn crate::flows::schema::Decoder>>,
    file: String,
    pub counts: LineCounts,
    clock: clock::TimeGuard,
}

impl Decoding {
    pub fn new(detected: Detected, file: &str) -> Self {
        Self {
            schema: detected.schema,
            decoder: detected.decoder,
            helper: None,
            file: file.to_string(),
            counts: LineCounts::default(),
            clock: clock::TimeGuard::default(),
        }
    }

    /// Decodes a batch; flows go to `on_flow`, new rejects to `on_reject`, in line order.
    pub fn decode_batch(
        &mut self,
        lines: &LineBatch,
        mut on_flow: impl FnMut(FlowRecord),
        mut on_reject: impl FnMut(&Rejected),
    ) {
        let mut on_flow = |f| {
            on_flow(f);
            Ok::<(), std::convert::Infallible>(())
        };
        self.add_blank(lines.blank);
        let all: Vec<(u64, &[u8])> = lines.iter().collect();
        let independent = !all.iter().any(|(_, l)| self.decoder.changes_state(l));
        if !independent {
            self.helper = None;
        }
        if all.len() < PARALLEL_MIN_LINES || !independent {
            for &(no, line) in &all {
                let d = self.decoder.decode(line, no);
                let Ok(()) = self.account(no, d, &mut on_flow, &mut on_reject);
            }
            self.decoder.release_strings();
            return;
        }
        let (first, second) = all.split_at(all.len() / 2);
        let main = &mut self.decoder;
        let helper = self.helper.get_or_insert_with(|| main.fork());
        // Each copy forgets its strings after its half: the flows go to another thread, which
        // would otherwise contend with the next batch for the shared reference counts.
        let decode_all = |d: &mut Box<dyn crate::flows::schema::Decoder>, part: &[(u64, &[u8])]| {
            let out = part
                .iter()
                .map(|&(no, l)| (no, d.decode(l, no)))
                .collect::<Vec<_>>();
            d.release_strings();
            out
        };
        let (a, b) = rayon::join(|| decode_all(main, first), || decode_all(helper, second));
        for (no, d) in a.into_iter().chain(b) {
            let Ok(()) = self.account(no, d, &mut on_flow, &mut on_reject);
        }
    }

    /// Counts one decoded line and hands on its flow, or its reject (the first `KEEP_REJECTS`
    /// are also kept); a line skipped by design is only counted. The flow goes straight to
    /// `on_flow`: it is some 300 bytes, and every wrapping on the way would copy it again.
    fn account<E>(
        &mut self,
        no: u64,
        decoded: Decoded,
        on_flow: &mut impl FnMut(FlowRecord) -> Result<(), E>,
        on_reject: &mut impl FnMut(&Rejected),
    ) -> Result<(), E> {
        match decoded {
            Decoded::Flow(mut f) => {
                self.counts.rows += 1;
                if f.suspect != 0 {
                    for field in crate::flows::schema::CoreField::ALL {
                        if f.suspect & (1 << field.index()) != 0 {
                            *self.counts.suspect_values.entry(field.name()).or_insert(0) += 1;
                        }
                    }
                }
                if let Some(t) = f.ts
                    && let Some(why) = self.clock.check(t)
                {
                    f.ts = None;
                    self.counts.suspect_times += 1;
                    if self.counts.first_suspect_times.len() < KEEP_REJECTS {
                        self.counts.first_suspect_times.push(Rejected {
                            file: self.file.clone(),
                            line: no,
                            reason: why,
                        });
                    }
                }
                on_flow(f)?;
            }
            Decoded::Skip(s) => *self.counts.skipped.entry(s.name()).or_insert(0) += 1,
            Decoded::Reject(reason) => {
                self.counts.rejected += 1;
                let r = Rejected {
                    file: self.file.clone(),
                    line: no,
                    reason: reason.to_string(),
                };
                on_reject(&r);
                if self.counts.first_rejects.len() < KEEP_REJECTS {
                    self.counts.first_rejects.push(r);
                }
            }
        }
        Ok(())
    }

    /// Counts the blank lines the reader left out of `lines` (once: the count is taken).
    pub fn count_blank(&mut self, lines: &mut LineBatch) {
        self.add_blank(std::mem::take(&mut lines.blank));
    }

    fn add_blank(&mut self, blank: u64) {
        if blank > 0 {
            *self.counts.skipped.entry(Skip::Blank.name()).or_insert(0) += blank;
        }
    }

    /// A followed file was rotated or truncated: a new file starts.
    pub fn new_file(&mut self) {
        self.decoder.reset();
        self.helper = None;
    }
}

/// Polls until there are enough lines to recognise the format (or the source has no more
/// for now), then detects it. The sampled lines stay in `buffered` to be decoded as usual.
pub fn detect_source(
    source: &mut dyn LineSource,
    opts: &DetectOptions,
    buffered: &mut LineBatch,
    mut keep_waiting: impl FnMut() -> bool,
) -> Result<Detected, IngestError> {
    let name = source.name().to_string();
    loop {
        let ev = source.poll(buffered).map_err(io_error(&name))?;
        let enough = buffered.len() >= SAMPLE_LINES;
        let has_data = buffered
            .iter()
            .any(|(_, l)| !l.trim_ascii().is_empty() && l.first() != Some(&b'#'));
        let done = match ev {
            SourceEvent::Eof => true,
            SourceEvent::Idle => has_data || !keep_waiting(),
            _ => enough,
        };
        if done || enough {
            let lines: Vec<&[u8]> = buffered.iter().take(SAMPLE_LINES).map(|(_, l)| l).collect();
            return Ok(detect(&name, &lines, opts)?);
        }
    }
}

/// Everything `read_all` learned about a source.
#[derive(Debug, Clone)]
pub struct ReadSummary {
    pub schema: Schema,
    pub counts: LineCounts,
    pub source: SourceStatus,
}

/// Reads a source to its end on this thread, handing each flow to `on_flow`.
pub fn read_all(
    input: &Input,
    opts: &DetectOptions,
    on_flow: impl FnMut(FlowRecord),
) -> Result<ReadSummary, IngestError> {
    let name = input.display_name();
    let mut source = crate::flows::source::open_once(input).map_err(io_error(&name))?;
    read_source(source.as_mut(), opts, on_flow)
}

/// Reads a source to its end in batches of at most `batch` flows, with bounded memory:
/// `on_schema` sees the detected schema before any flow (and may refuse it), `on_batch` gets
/// the flows in order.
pub fn read_batches<E: From<IngestError>>(
    input: &Input,
    opts: &DetectOptions,
    batch: usize,
    on_schema: impl FnOnce(&Schema) -> Result<(), E>,
    mut on_batch: impl FnMut(Vec<FlowRecord>) -> Result<(), E>,
) -> Result<ReadSummary, E> {
    let name = input.display_name();
    let mut source = crate::flows::source::open_once(input).map_err(io_error(&name))?;
    let mut lines = LineBatch::new();
    let detected = detect_source(source.as_mut(), opts, &mut lines, || true)?;
    let mut dec = Decoding::new(detected, &name);
    on_schema(&dec.schema)?;
    let mut pending = Vec::with_capacity(batch.max(1));
    pipeline::decode_source(source.as_mut(), &mut dec, lines, |f| {
        pending.push(f);
        if pending.len() >= batch.max(1) {
            on_batch(std::mem::take(&mut pending))?;
        }
        Ok::<(), E>(())
    })?;
    if !pending.is_empty() {
        on_batch(pending)?;
    }
    Ok(ReadSummary {
        schema: dec.schema,
        counts: dec.counts,
        source: source.status(),
    })
}

pub fn read_source(
    source: &mut dyn LineSource,
    opts: &DetectOptions,
    mut on_flow: impl FnMut(FlowRecord),
) -> Result<ReadSummary, IngestError> {
    let name = source.name().to_string();
    let mut batch = LineBatch::new();
    let detected = detect_source(source, opts, &mut batch, || true)?;
    let mut dec = Decoding::new(detected, &name);
    pipeline::decode_source(source, &mut dec, batch, |f| {
        on_flow(f);
        Ok::<(), IngestError>(())
    })?;
    Ok(ReadSummary {
        schema: dec.schema,
        counts: dec.counts,
        source: source.status(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch split over two cores where the line that changes the decoder's state (nfdump's
    /// `Summary`) sits in the first half: everything after it is trailer, in both halves.
    #[test]
    fn a_state_change_inside_a_batch_keeps_it_in_order() {
        let text = std::fs::read_to_string("tests/fixtures/nfdump.csv").expect("fixture");
        let lines: Vec<&str> = text.lines().collect();
        let (header, rows) = (lines[0], &lines[1..33]);
        let refs: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let detected = detect("nfdump.csv", &refs, &DetectOptions::default()).expect("detect");
        let mut dec = Decoding::new(detected, "nfdump.csv");
        let mut batch = LineBatch::new();
        let mut no = 0;
        let mut push = |b: &mut LineBatch, l: &str| {
            no += 1;
            b.push(no, l.as_bytes());
        };
        push(&mut batch, header);
        for r in &rows[..20] {
            push(&mut batch, r);
        }
        push(&mut batch, "Summary");
        for _ in 0..20 {
            for r in rows {
                push(&mut batch, r);
            }
        }
        assert!(
            batch.len() >= PARALLEL_MIN_LINES,
            "the batch must be large enough to split"
        );
        let mut flows = 0;
        dec.decode_batch(&batch, |_| flows += 1, |_| {});
        assert_eq!(flows, 20);
        assert_eq!(dec.counts.skipped.get("trailer"), Some(&(1 + 20 * 32)));
    }
}
