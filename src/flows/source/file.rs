use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use super::{LineBatch, LineSource, LineSplitter, SourceEvent, SourceStatus, is_gzip, path_name};

const CHUNK: usize = 256 * 1024;

/// Reads a whole file once, decompressing gzip transparently (detected by its magic bytes,
/// not its name, so `conn.log.1` that happens to be gzip still works).
pub struct FileSource {
    path: PathBuf,
    name: String,
    reader: Box<dyn Read + Send>,
    consumed: Arc<AtomicU64>,
    splitter: LineSplitter,
    buf: Vec<u8>,
    status: SourceStatus,
}

impl FileSource {
    pub fn open(path: &Path) -> io::Result<Self> {
        let (reader, consumed, size) = open_reader(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            name: path_name(path),
            reader,
            consumed,
            splitter: LineSplitter::new(),
            buf: vec![0; CHUNK],
            status: SourceStatus {
                size,
                ..SourceStatus::default()
            },
        })
    }
}

/// Counts compressed bytes as they are read, so progress is meaningful for gzip too.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn open_reader(path: &Path) -> io::Result<(Box<dyn Read + Send>, Arc<AtomicU64>, u64)> {
    let mut file = File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut file, &mut magic)?;
    let consumed = Arc::new(AtomicU64::new(0));
    let head = io::Cursor::new(magic[..got].to_vec());
    let counted = Counting {
        inner: head.chain(file),
        count: consumed.clone(),
    };
    let reader: Box<dyn Read + Send> = if is_gzip(&magic[..got]) {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            CHUNK, counted,
        )))
    } else {
        Box::new(counted)
    };
    Ok((reader, consumed, size))
}

pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl LineSource for FileSource {
    fn poll(&mut self, out: &mut LineBatch) -> io::Result<SourceEvent> {
        if self.status.eof {
            return Ok(SourceEvent::Eof);
        }
        loop {
            let n = match self.reader.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.name))),
            };
            self.status.offset = self.consumed.load(Ordering::Relaxed);
            if n == 0 {
                self.status.lines += self.splitter.finish(out) as u64;
                self.status.eof = true;
                return Ok(if out.is_empty() {
                    SourceEvent::Eof
                } else {
                    SourceEvent::Lines
                });
            }
            let added = self.splitter.push(&self.buf[..n], out);
            self.status.lines += added as u64;
            if added > 0 {
                return Ok(SourceEvent::Lines);
            }
        }
    }

    fn status(&self) -> SourceStatus {
        self.status.clone()
    }

    fn name(&self) -> &str {
        &self.name
    }

    /// Starts again from the first byte (used by replay to seek backwards).
    fn rewind(&mut self) -> io::Result<bool> {
        let lines = self.status.lines;
        *self = Self::open(&self.path.clone())?;
        self.status.lines = lines;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn read_all(src: &mut dyn LineSource) -> Vec<String> {
        let mut out = LineBatch::new();
        while src.poll(&mut out).expect("poll") != SourceEvent::Eof {}
        out.iter()
            .map(|(_, l)| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn reads_plain_and_gzip_alike() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, "h1,h2\n1,2\n3,4").expect("write");
        let gz = dir.path().join("a.csv.gz");
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(b"h1,h2\n1,2\n3,4").expect("gz");
        std::fs::write(&gz, enc.finish().expect("gz")).expect("write");
        let expect = vec!["h1,h2", "1,2", "3,4"];
        assert_eq!(
            read_all(&mut FileSource::open(&plain).expect("open")),
            expect
        );
        let mut src = FileSource::open(&gz).expect("open");
        assert_eq!(read_all(&mut src), expect);
        assert_eq!(
            src.status().offset,
            std::fs::metadata(&gz).expect("meta").len()
        );
    }

    #[test]
    fn concatenated_gzip_members_are_one_stream() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gz = dir.path().join("multi.gz");
        let mut bytes = Vec::new();
        for part in [&b"a\nb\n"[..], b"c\n"] {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(part).expect("gz");
            bytes.extend(enc.finish().expect("gz"));
        }
        std::fs::write(&gz, bytes).expect("write");
        assert_eq!(
            read_all(&mut FileSource::open(&gz).expect("open")),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn rewind_starts_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "x\ny\n").expect("write");
        let mut src = FileSource::open(&p).expect("open");
        assert_eq!(read_all(&mut src).len(), 2);
        assert!(src.rewind().expect("rewind"));
        assert_eq!(read_all(&mut src), vec!["x", "y"]);
    }
}
