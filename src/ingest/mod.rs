//! Ingest: a source's lines → format detection → decoded flows, with rejected rows kept as
//! `file:line: reason`. `read_all` runs it to the end on the caller's thread (headless
//! commands); `spawn` runs it on its own thread, paced for replay and steerable with
//! `ReplayCommand`s, sending batches over a bounded channel (the TUI).

mod live;

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use thiserror::Error;

use crate::schema::{
    Decoded, DetectError, DetectOptions, Detected, FlowRecord, SAMPLE_LINES, Schema, detect,
};
use crate::source::{Input, LineBatch, LineSource, SourceEvent, SourceStatus};

pub use live::{IngestConfig, IngestEvent, IngestHandle, IngestMode, IngestStats, spawn};

/// How many rejected rows are kept with their reasons (all are counted).
pub const KEEP_REJECTS: usize = 20;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{file}: {source}")]
    Io { file: String, source: io::Error },
    #[error(transparent)]
    Detect(#[from] DetectError),
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
}

/// Decodes lines with a detected decoder and keeps the counts.
pub struct Decoding {
    pub schema: Schema,
    decoder: Box<dyn crate::schema::Decoder>,
    file: String,
    pub counts: LineCounts,
}

impl Decoding {
    pub fn new(detected: Detected, file: &str) -> Self {
        Self {
            schema: detected.schema,
            decoder: detected.decoder,
            file: file.to_string(),
            counts: LineCounts::default(),
        }
    }

    /// Decodes a batch; flows go to `on_flow`, new rejects to `on_reject`.
    pub fn decode_batch(
        &mut self,
        lines: &LineBatch,
        mut on_flow: impl FnMut(FlowRecord),
        mut on_reject: impl FnMut(&Rejected),
    ) {
        for (no, line) in lines.iter() {
            match self.decoder.decode(line, no) {
                Decoded::Flow(f) => {
                    self.counts.rows += 1;
                    on_flow(*f);
                }
                Decoded::Skip(s) => *self.counts.skipped.entry(s.name()).or_insert(0) += 1,
                Decoded::Reject(reason) => {
                    self.counts.rejected += 1;
                    let r = Rejected {
                        file: self.file.clone(),
                        line: no,
                        reason,
                    };
                    on_reject(&r);
                    if self.counts.first_rejects.len() < KEEP_REJECTS {
                        self.counts.first_rejects.push(r);
                    }
                }
            }
        }
    }

    /// A followed file was rotated or truncated: a new file starts.
    pub fn new_file(&mut self) {
        self.decoder.reset();
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
    let mut source = crate::source::open_once(input).map_err(io_error(&name))?;
    read_source(source.as_mut(), opts, on_flow)
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
    loop {
        dec.decode_batch(&batch, &mut on_flow, |_| {});
        batch.clear();
        match source.poll(&mut batch).map_err(io_error(&name))? {
            SourceEvent::Eof if batch.is_empty() => break,
            SourceEvent::Rotated | SourceEvent::Truncated => dec.new_file(),
            _ => {}
        }
    }
    Ok(ReadSummary {
        schema: dec.schema,
        counts: dec.counts,
        source: source.status(),
    })
}
