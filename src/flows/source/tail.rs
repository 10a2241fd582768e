//! Follows a growing file like `tail -F`: new lines are read as they are appended, a rename
//! (log rotation) or a re-created file is detected and the new file is read from its start, a
//! truncation restarts from offset 0, and a partial last line waits for its newline.
//! Changes are noticed through `notify` (inotify/kqueue) and, as a fallback that always runs, by
//! polling at a short interval, so a line appears within `poll_interval` even where file-system
//! events are unavailable (NFS, some containers).

use std::fs::{File, Metadata};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::file::read_up_to;
use super::{LineBatch, LineSource, LineSplitter, SourceEvent, SourceStatus, is_gzip, path_name};

#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// Read what the file already holds (true) or only what is appended from now on (false).
    pub from_start: bool,
    /// Longest time before an append is noticed when no file-system event arrives.
    pub poll_interval: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self {
            from_start: true,
            poll_interval: Duration::from_millis(100),
        }
    }
}

/// At the end of the data a followed file is not finished: report "would block" instead of
/// EOF so the gzip decoder keeps its state and resumes when more compressed bytes arrive.
struct Growing {
    file: File,
}

impl Read for Growing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.file.read(buf)? {
            0 if !buf.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

enum Reader {
    Plain(File),
    Gzip(Box<MultiGzDecoder<BufReader<Growing>>>),
}

struct Opened {
    reader: Reader,
    id: Option<(u64, u64)>,
    /// The last bytes read from a plain file, which must still sit just before the read
    /// position: a file truncated and refilled past that position between two looks keeps its
    /// inode and a size past the offset, and only its content tells.
    mark: Vec<u8>,
}

/// Bytes kept to recognise the file: long enough that a refilled log differs in them.
const MARK_LEN: usize = 64;

pub struct FollowSource {
    path: PathBuf,
    name: String,
    opts: FollowOptions,
    current: Option<Opened>,
    splitter: LineSplitter,
    buf: Vec<u8>,
    status: SourceStatus,
    wake: Option<(RecommendedWatcher, Receiver<()>)>,
}

const MAX_READ_PER_POLL: usize = 4 * 1024 * 1024;

impl FollowSource {
    pub fn open(path: &Path, opts: FollowOptions) -> io::Result<Self> {
        let mut src = Self {
            path: path.to_path_buf(),
            name: path_name(path),
            opts,
            current: None,
            splitter: LineSplitter::new(),
            buf: vec![0; 256 * 1024],
            status: SourceStatus::default(),
            wake: watch(path),
        };
        // The file must exist when following starts; it may disappear later (rotation).
        let opened = src.open_current(!opts.from_start)?;
        src.current = Some(opened);
        Ok(src)
    }

    fn open_current(&mut self, at_end: bool) -> io::Result<Opened> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        let mut magic = [0u8; 2];
        let got = read_up_to(&mut file, &mut magic)?;
        file.seek(SeekFrom::Start(0))?;
        let gz = is_gzip(&magic[..got]);
        self.status.size = meta.len();
        self.status.offset = 0;
        let reader = if gz {
            // A compressed stream cannot be entered in the middle: gzip is always read whole.
            Reader::Gzip(Box::new(MultiGzDecoder::new(BufReader::new(Growing {
                file,
            }))))
        } else {
            if at_end {
                // Numbers stay those of the file, so `file:line` messages point at the right row.
                let existing = count_lines(&mut file)?;
                self.splitter.start_after(existing);
                self.status.offset = file.seek(SeekFrom::End(0))?;
            }
            Reader::Plain(file)
        };
        Ok(Opened {
            reader,
            id: file_id(&meta),
            mark: Vec::new(),
        })
    }

    /// Reads what is available now; true when anything was read.
    fn read_available(&mut self, out: &mut LineBatch) -> io::Result<bool> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(false);
        };
        let mut total = 0;
        while total < MAX_READ_PER_POLL {
            let res = match &mut cur.reader {
                Reader::Plain(f) => f.read(&mut self.buf),
                Reader::Gzip(g) => g.read(&mut self.buf),
            };
            let n = match res {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.name))),
            };
            total += n;
            let got = &self.buf[..n];
            if matches!(cur.reader, Reader::Plain(_)) {
                let keep = MARK_LEN.saturating_sub(got.len()).min(cur.mark.len());
                cur.mark.drain(..cur.mark.len() - keep);
                cur.mark
                    .extend_from_slice(&got[got.len().saturating_sub(MARK_LEN)..]);
            }
            self.status.lines += self.splitter.push(got, out) as u64;
        }
        if let Some(pos) = self.position() {
            self.status.offset = pos;
        }
        Ok(total > 0)
    }

    fn position(&mut self) -> Option<u64> {
        match &mut self.current.as_mut()?.reader {
            Reader::Plain(f) => f.stream_position().ok(),
            Reader::Gzip(g) => g.get_mut().get_mut().file.stream_position().ok(),
        }
    }

    /// Looks at the path again: has it been replaced or truncated?
    fn check_path(&mut self, out: &mut LineBatch) -> io::Result<Option<SourceEvent>> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Renamed away and not re-created yet: keep the old handle, look again later.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let cur_id = self.current.as_ref().and_then(|c| c.id);
        if file_id(&meta) != cur_id {
            // What was written to the old file before the rename is still to be read.
            self.read_available(out)?;
            // The old file is finished: its last line is complete even without a newline.
            self.status.lines += self.splitter.finish(out) as u64;
            self.splitter.reset();
            let opened = self.open_current(false)?;
            self.current = Some(opened);
            self.status.rotations += 1;
            self.read_available(out)?;
            return Ok(Some(SourceEvent::Rotated));
        }
        self.status.size = meta.len();
        let plain = matches!(
            self.current.as_ref().map(|c| &c.reader),
            Some(Reader::Plain(_))
        );
        if meta.len() < self.status.offset || (plain && !self.mark_still_there()?) {
            // Truncated in place (copytruncate rotation or a writer starting over).
            self.splitter.reset();
            if plain {
                if let Some(Opened {
                    reader: Reader::Plain(f),
                    mark,
                    ..
                }) = self.current.as_mut()
                {
                    f.seek(SeekFrom::Start(0))?;
                    mark.clear();
                }
            } else {
                let opened = self.open_current(false)?;
                self.current = Some(opened);
            }
            self.status.offset = 0;
            self.status.truncations += 1;
            self.read_available(out)?;
            return Ok(Some(SourceEvent::Truncated));
        }
        Ok(None)
    }

    /// Whether the bytes last read still sit just before the read position.
    fn mark_still_there(&mut self) -> io::Result<bool> {
        let offset = self.status.offset;
        let Some(Opened {
            reader: Reader::Plain(f),
            mark,
            ..
        }) = self.current.as_mut()
        else {
            return Ok(true);
        };
        if mark.is_empty() || offset < mark.len() as u64 {
            return Ok(true);
        }
        let mut now = vec![0u8; mark.len()];
        match read_at(f, &mut now, offset - mark.len() as u64) {
            Ok(got) => Ok(got == mark.len() && now == *mark),
            Err(e) if e.kind() == io::ErrorKind::Unsupported => Ok(true),
            Err(e) => Err(e),
        }
    }

    fn wait(&mut self) {
        match &self.wake {
            Some((_, rx)) => {
                let _ = rx.recv_timeout(self.opts.poll_interval);
                // Coalesce a burst of events into one wake-up.
                while !matches!(
                    rx.try_recv(),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected)
                ) {}
            }
            None => std::thread::sleep(self.opts.poll_interval),
        }
    }
}

impl LineSource for FollowSource {
    fn poll(&mut self, out: &mut LineBatch) -> io::Result<SourceEvent> {
        let before = out.len();
        // The path is looked at before every read: a file replaced or refilled since the last
        // look must be read from its start, not from the old position.
        if let Some(ev) = self.check_path(out)? {
            return Ok(ev);
        }
        if self.read_available(out)? && out.len() > before {
            return Ok(SourceEvent::Lines);
        }
        self.wait();
        if let Some(ev) = self.check_path(out)? {
            return Ok(ev);
        }
        self.read_available(out)?;
        Ok(if out.len() > before {
            SourceEvent::Lines
        } else {
            SourceEvent::Idle
        })
    }

    fn status(&self) -> SourceStatus {
        self.status.clone()
    }

    fn name(&self) -> &str {
        &self.name
    }
}

fn count_lines(file: &mut File) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads up to `buf.len()` bytes at `pos` without moving the file's position.
#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], pos + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(not(unix))]
fn read_at(_f: &File, _buf: &mut [u8], _pos: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<(u64, u64)> {
    None
}

/// Watches the file's directory (a rename or re-creation is an event on the directory).
fn watch(path: &Path) -> Option<(RecommendedWatcher, Receiver<()>)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Capacity 1: the channel only carries "something changed"; extra events are dropped.
    let (tx, rx) = sync_channel(1);
    let mut watcher = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
        let _ = tx.try_send(());
    })
    .map_err(|e| tracing::warn!("file events unavailable, polling only: {e}"))
    .ok()?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| tracing::warn!("cannot watch {}: {e}; polling only", dir.display()))
        .ok()?;
    Some((watcher, rx))
}

#[cfg(test)]
mod tests;
