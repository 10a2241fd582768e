//! Sources turn bytes into numbered lines: a whole file (plain or gzip), a followed file
//! (`tail -F`), or stdin. They know nothing about flow formats; `schema` decodes the lines.

mod file;
mod lines;
pub mod replay;
mod stdin;
pub mod tail;

use std::io;
use std::path::{Path, PathBuf};

pub use file::FileSource;
pub use lines::{LineBatch, LineSplitter, MAX_LINE};
pub use stdin::StdinSource;
pub use tail::{FollowOptions, FollowSource};

/// What a source produced on one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEvent {
    /// Complete lines were appended to the batch.
    Lines,
    /// Nothing new yet (follow mode); poll again.
    Idle,
    /// The followed path now names a new file (rotation by rename or re-creation).
    Rotated,
    /// The followed file shrank; reading restarted from its beginning.
    Truncated,
    /// No more data will come.
    Eof,
}

/// Progress figures every source reports (shown in the status bar and by `inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceStatus {
    /// Bytes consumed from the current file (compressed bytes for gzip).
    pub offset: u64,
    /// Size of the current file when last looked at (0 when unknown, e.g. stdin).
    pub size: u64,
    /// Complete lines produced so far, over all files.
    pub lines: u64,
    pub rotations: u64,
    pub truncations: u64,
    pub eof: bool,
}

impl SourceStatus {
    /// Bytes written to the file that the source has not read yet.
    pub fn lag_bytes(&self) -> u64 {
        self.size.saturating_sub(self.offset)
    }
}

/// A producer of numbered lines. `poll` appends complete lines to `out` and never blocks for
/// long (follow mode waits at most its poll interval), so callers can check for shutdown.
pub trait LineSource: Send {
    fn poll(&mut self, out: &mut LineBatch) -> io::Result<SourceEvent>;
    fn status(&self) -> SourceStatus;
    /// Human-readable name used in `file:line` messages.
    fn name(&self) -> &str;
    /// Starts again from the first line; false when the source cannot (stdin, followed files).
    fn rewind(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// Where flows come from, as the user named it on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn parse(arg: &str) -> Self {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::File(PathBuf::from(arg))
        }
    }

    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => path_name(p),
        }
    }
}

/// Opens a source that reads everything there is and then reports EOF.
pub fn open_once(input: &Input) -> io::Result<Box<dyn LineSource>> {
    Ok(match input {
        Input::Stdin => Box::new(StdinSource::new()),
        Input::File(p) => Box::new(FileSource::open(p)?),
    })
}

/// Opens a source that keeps following the file after reaching its end.
pub fn open_follow(input: &Input, opts: FollowOptions) -> io::Result<Box<dyn LineSource>> {
    Ok(match input {
        // stdin is followed by nature: it ends only when the writer closes it.
        Input::Stdin => Box::new(StdinSource::new()),
        Input::File(p) => Box::new(FollowSource::open(p, opts)?),
    })
}

/// True when the first bytes are the gzip magic number.
pub fn is_gzip(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
}

/// A path as shown anywhere: file names are input too (titles, errors, `file:line` rejects).
pub(crate) fn path_name(p: &Path) -> String {
    crate::sanitize::cell(&p.display().to_string()).into_owned()
}
