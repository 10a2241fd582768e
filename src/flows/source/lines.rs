use memchr::memchr_iter;

/// Longest line handed on whole: 1 MiB. Of a longer line only the first `MAX_LINE + 1` bytes
/// are kept (the decoder rejects it for its length), so no line can exhaust memory.
pub const MAX_LINE: usize = 1 << 20;

/// Complete lines stored back to back in one buffer: one allocation per batch, not per line.
#[derive(Debug, Default, Clone)]
pub struct LineBatch {
    buf: Vec<u8>,
    spans: Vec<(usize, usize, u64)>,
    /// Empty lines seen and left out.
    pub blank: u64,
}

impl LineBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
        self.blank = 0;
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn push(&mut self, line_no: u64, line: &[u8]) {
        if line.is_empty() {
            self.blank += 1;
            return;
        }
        let line = &line[..line.len().min(MAX_LINE + 1)];
        let start = self.buf.len();
        self.buf.extend_from_slice(line);
        self.spans.push((start, self.buf.len(), line_no));
    }

    /// Adds every line of `text`, which ends with a newline, numbering from `first_no`, with
    /// one copy for all of them; returns how many were added.
    fn push_lines(&mut self, first_no: u64, text: &[u8]) -> usize {
        let base = self.buf.len();
        self.buf.extend_from_slice(text);
        let mut start = 0;
        let mut no = first_no;
        for nl in memchr_iter(b'\n', text) {
            let end = if nl > start && text[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            let end = end.min(start + MAX_LINE + 1);
            if end == start {
                // Blank lines carry nothing: counted, not handed on (a file of newlines would
                // otherwise cost a decoded result per byte).
                self.blank += 1;
            } else {
                self.spans.push((base + start, base + end, no));
            }
            no += 1;
            start = nl + 1;
        }
        (no - first_no) as usize
    }

    /// Lines with their 1-based physical line numbers, CR and LF removed.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.spans.iter().map(|&(s, e, no)| (no, &self.buf[s..e]))
    }
}

/// Cuts a byte stream into lines. A line without its newline is held back until the newline
/// arrives (a writer may be half-way through it), unless the caller knows the stream ended.
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    next_no: u64,
    at_start: bool,
}

impl Default for LineSplitter {
    fn default() -> Self {
        Self::new()
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl LineSplitter {
    pub fn new() -> Self {
        Self {
            partial: Vec::new(),
            next_no: 1,
            at_start: true,
        }
    }

    /// Starts over for a new file (rotation, truncation): numbering restarts at line 1.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Continues numbering after `lines` lines already in the file (following from its end).
    pub fn start_after(&mut self, lines: u64) {
        self.next_no = lines + 1;
        self.at_start = lines == 0;
    }

    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Appends every complete line in `chunk` to `out`; returns how many were added.
    pub fn push(&mut self, chunk: &[u8], out: &mut LineBatch) -> usize {
        if !self.at_start {
            return self.push_plain(chunk, out);
        }
        // A UTF-8 byte-order mark only means something at the very start of a file, and it may
        // arrive split over several reads.
        self.partial.extend_from_slice(chunk);
        if self.partial.len() < BOM.len() && BOM.starts_with(&self.partial) {
            return 0;
        }
        self.at_start = false;
        let mut data = std::mem::take(&mut self.partial);
        if data.starts_with(BOM) {
            data.drain(..BOM.len());
        }
        self.push_plain(&data, out)
    }

    fn push_plain(&mut self, chunk: &[u8], out: &mut LineBatch) -> usize {
        let mut rest = chunk;
        let mut n = 0;
        if !self.partial.is_empty() {
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                self.keep_partial(rest);
                return 0;
            };
            self.keep_partial(&rest[..nl]);
            let line = std::mem::take(&mut self.partial);
            self.emit(&line, out);
            self.partial = line;
            self.partial.clear();
            rest = &rest[nl + 1..];
            n += 1;
        }
        if let Some(last) = memchr::memrchr(b'\n', rest) {
            let added = out.push_lines(self.next_no, &rest[..=last]);
            self.next_no += added as u64;
            n += added;
            rest = &rest[last + 1..];
        }
        self.keep_partial(rest);
        n
    }

    /// Holds back the start of a line, never more than `MAX_LINE + 1` bytes of it (one more
    /// than the limit, so the decoder can tell the line was too long).
    fn keep_partial(&mut self, bytes: &[u8]) {
        let room = (MAX_LINE + 1).saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The stream ended: a last line without a newline is still a line.
    pub fn finish(&mut self, out: &mut LineBatch) -> usize {
        if self.partial.is_empty() {
            return 0;
        }
        let line = std::mem::take(&mut self.partial);
        self.emit(&line, out);
        1
    }

    fn emit(&mut self, line: &[u8], out: &mut LineBatch) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push(self.next_no, line);
        self.next_no += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(b: &LineBatch) -> Vec<(u64, String)> {
        b.iter()
            .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned()))
            .collect()
    }

    #[test]
    fn splits_lines_across_chunks_and_strips_crlf() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        assert_eq!(s.push(b"a,b\r\nc,", &mut out), 1);
        assert_eq!(s.push(b"d\n\ne", &mut out), 2);
        assert!(s.has_partial());
        assert_eq!(s.finish(&mut out), 1);
        // The blank line 3 is counted, not handed on; numbering keeps its place.
        assert_eq!(
            lines(&out),
            vec![(1, "a,b".into()), (2, "c,d".into()), (4, "e".into())]
        );
        assert_eq!(out.blank, 1);
    }

    #[test]
    fn strips_bom_even_when_split_across_chunks() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        s.push(b"\xEF", &mut out);
        s.push(b"\xBB", &mut out);
        s.push(b"\xBFx,y\n", &mut out);
        assert_eq!(lines(&out), vec![(1, "x,y".into())]);
    }

    #[test]
    fn bom_is_only_stripped_at_file_start() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        s.push(b"a\n\xEF\xBB\xBFb\n", &mut out);
        assert_eq!(
            out.iter().nth(1).map(|(_, l)| l.to_vec()),
            Some(b"\xEF\xBB\xBFb".to_vec())
        );
    }

    #[test]
    fn short_first_chunk_that_is_not_a_bom() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        s.push(b"a", &mut out);
        s.push(b"b\nc\n", &mut out);
        assert_eq!(lines(&out), vec![(1, "ab".into()), (2, "c".into())]);
    }

    proptest::proptest! {
        /// However a stream is cut into reads, the lines are those of splitting it whole.
        #[test]
        fn any_chunking_gives_the_same_lines(
            text in proptest::collection::vec(
                proptest::sample::select(b"ab,\r\n\n".to_vec()), 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let mut want: Vec<(u64, String)> = Vec::new();
            let mut parts: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            if parts.last().is_some_and(|l| l.is_empty()) {
                parts.pop();
            }
            let mut blank = 0;
            for (i, l) in parts.iter().enumerate() {
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                if l.is_empty() {
                    blank += 1;
                } else {
                    want.push((i as u64 + 1, String::from_utf8_lossy(l).into_owned()));
                }
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.sort_unstable();
            let mut s = LineSplitter::new();
            let mut out = LineBatch::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([text.len()]) {
                s.push(&text[from..c], &mut out);
                from = c;
            }
            s.finish(&mut out);
            proptest::prop_assert_eq!(lines(&out), want);
            proptest::prop_assert_eq!(out.blank, blank);
        }
    }

    #[test]
    fn a_line_past_the_limit_is_cut_and_memory_stays_bounded() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        s.push(b"head\n", &mut out);
        // 3 MiB without a newline, in reads of 64 KiB: the held-back part stops growing.
        let chunk = vec![b','; 64 << 10];
        for _ in 0..48 {
            s.push(&chunk, &mut out);
            assert!(s.partial.len() <= MAX_LINE + 1);
        }
        s.push(b"\ntail\n", &mut out);
        // The same line whole in one read.
        let mut whole = vec![b'x'; 2 * MAX_LINE];
        whole.push(b'\n');
        s.push(&whole, &mut out);
        let got: Vec<(u64, usize)> = out.iter().map(|(n, l)| (n, l.len())).collect();
        assert_eq!(
            got,
            vec![(1, 4), (2, MAX_LINE + 1), (3, 4), (4, MAX_LINE + 1)]
        );
    }

    #[test]
    fn reset_restarts_numbering() {
        let mut s = LineSplitter::new();
        let mut out = LineBatch::new();
        s.push(b"a\nb", &mut out);
        s.reset();
        s.push(b"c\n", &mut out);
        assert_eq!(lines(&out), vec![(1, "a".into()), (1, "c".into())]);
    }
}
