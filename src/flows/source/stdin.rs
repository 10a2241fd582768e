use std::io::{self, Read};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Duration;

use flate2::read::MultiGzDecoder;

use super::file::read_up_to;
use super::{LineBatch, LineSource, LineSplitter, SourceEvent, SourceStatus, is_gzip};

/// Reads stdin on its own thread so that `poll` never blocks longer than a tick: a pipe that
/// stays quiet for minutes must not freeze the caller. Gzip on stdin is decompressed too.
pub struct StdinSource {
    rx: Receiver<io::Result<Vec<u8>>>,
    splitter: LineSplitter,
    status: SourceStatus,
}

const TICK: Duration = Duration::from_millis(100);

impl Default for StdinSource {
    fn default() -> Self {
        Self::new()
    }
}

impl StdinSource {
    pub fn new() -> Self {
        Self::from_reader(io::stdin())
    }

    /// Any reader can stand in for stdin (used by tests).
    pub fn from_reader<R: Read + Send + 'static>(reader: R) -> Self {
        // Bounded: a fast writer is slowed down instead of filling memory.
        let (tx, rx) = sync_channel(16);
        std::thread::spawn(move || {
            let mut reader = reader;
            let mut magic = [0u8; 2];
            let got = match read_up_to(&mut reader, &mut magic) {
                Ok(n) => n,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let head = io::Cursor::new(magic[..got].to_vec()).chain(reader);
            let mut reader: Box<dyn Read> = if is_gzip(&magic[..got]) {
                Box::new(MultiGzDecoder::new(head))
            } else {
                Box::new(head)
            };
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.send(Ok(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        Self {
            rx,
            splitter: LineSplitter::new(),
            status: SourceStatus::default(),
        }
    }
}

impl LineSource for StdinSource {
    fn poll(&mut self, out: &mut LineBatch) -> io::Result<SourceEvent> {
        if self.status.eof {
            return Ok(SourceEvent::Eof);
        }
        match self.rx.recv_timeout(TICK) {
            Ok(Ok(chunk)) => {
                self.status.offset += chunk.len() as u64;
                let n = self.splitter.push(&chunk, out);
                self.status.lines += n as u64;
                Ok(if n > 0 {
                    SourceEvent::Lines
                } else {
                    SourceEvent::Idle
                })
            }
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Timeout) => Ok(SourceEvent::Idle),
            Err(RecvTimeoutError::Disconnected) => {
                let n = self.splitter.finish(out);
                self.status.lines += n as u64;
                self.status.eof = true;
                Ok(if n > 0 {
                    SourceEvent::Lines
                } else {
                    SourceEvent::Eof
                })
            }
        }
    }

    fn status(&self) -> SourceStatus {
        self.status.clone()
    }

    fn name(&self) -> &str {
        "<stdin>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_until_the_writer_closes() {
        let mut src = StdinSource::from_reader(io::Cursor::new(b"a\nb\nlast".to_vec()));
        let mut out = LineBatch::new();
        while src.poll(&mut out).expect("poll") != SourceEvent::Eof {}
        let got: Vec<_> = out.iter().map(|(n, l)| (n, l.to_vec())).collect();
        assert_eq!(
            got,
            vec![
                (1, b"a".to_vec()),
                (2, b"b".to_vec()),
                (3, b"last".to_vec())
            ]
        );
        assert_eq!(src.status().lines, 3);
    }
}
