use super::value::{ONES, word};

/// Splits one line into field spans. Plain lines (no quote character) are cut at the
/// delimiter directly; a line with quotes goes through the csv crate's reader so quoted
/// delimiters and doubled quotes are honoured. Returns the fields as owned bytes only in the
/// quoted case (`owned`), otherwise as spans into `line`.
pub fn split_fields<'a>(
    line: &'a [u8],
    delim: u8,
    spans: &mut Vec<(usize, usize)>,
    owned: &'a mut Vec<Vec<u8>>,
) -> Fields<'a> {
    spans.clear();
    if memchr::memchr(b'"', line).is_none() || delim == b'\t' {
        // Fields are short: a plain byte loop beats starting a SIMD search per delimiter.
        let mut start = 0;
        for (i, &b) in line.iter().enumerate() {
            if b == delim {
                spans.push((start, i));
                start = i + 1;
            }
        }
        spans.push((start, line.len()));
        return Fields::Spans(line);
    }
    owned.clear();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .flexible(true)
        .from_reader(line);
    let mut rec = csv::ByteRecord::new();
    if let Ok(true) = rdr.read_byte_record(&mut rec) {
        owned.extend(rec.iter().map(<[u8]>::to_vec));
    }
    Fields::Owned(owned)
}

pub enum Fields<'a> {
    Spans(&'a [u8]),
    Owned(&'a [Vec<u8>]),
}

impl Fields<'_> {
    pub fn get(&self, spans: &[(usize, usize)], i: usize) -> &[u8] {
        match self {
            Fields::Spans(line) => {
                let (s, e) = spans[i];
                &line[s..e]
            }
            Fields::Owned(v) => &v[i],
        }
    }

    pub fn len(&self, spans: &[(usize, usize)]) -> usize {
        match self {
            Fields::Spans(_) => spans.len(),
            Fields::Owned(v) => v.len(),
        }
    }
}

/// Convenience for detection code that wants owned strings.
pub fn split_to_strings(line: &[u8], delim: u8) -> Vec<String> {
    let mut spans = Vec::new();
    let mut owned = Vec::new();
    let f = split_fields(line, delim, &mut spans, &mut owned);
    (0..f.len(&spans))
        .map(|i| String::from_utf8_lossy(f.get(&spans, i)).into_owned())
        .collect()
}

const LOW7: u64 = ONES * 0x7F;

/// The position of the first `delim` in `line` from `from` on, or the line's length: the end
/// of a field. Eight bytes at a time with an exact byte-equality mask; fields are short, and
/// starting a vector search per field cost more than the search itself (12 % of a Zeek row).
#[inline]
pub fn field_end(line: &[u8], from: usize, delim: u8) -> usize {
    let pattern = ONES * u64::from(delim);
    let mut at = from.min(line.len());
    while let Some(w) = word(line, at) {
        let x = w ^ pattern;
        // High bit set exactly where the byte equals `delim`: the 7-bit sums cannot carry.
        let found = !(((x & LOW7) + LOW7) | x) & !LOW7;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    line[at..]
        .iter()
        .position(|&b| b == delim)
        .map_or(line.len(), |k| at + k)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_and_quoted() {
        assert_eq!(split_to_strings(b"a,b,,c", b','), vec!["a", "b", "", "c"]);
        assert_eq!(
            split_to_strings(b"1,\"x, y\",\"say \"\"hi\"\"\"", b','),
            vec!["1", "x, y", "say \"hi\""]
        );
        assert_eq!(split_to_strings(b"a\tb\"c", b'\t'), vec!["a", "b\"c"]);
        assert_eq!(split_to_strings(b"", b','), vec![""]);
    }

    proptest! {
        #[test]
        fn field_end_finds_the_first_delimiter(
            line in proptest::collection::vec(prop::sample::select(b"\t,a0\xff\x80\x7f".to_vec()), 0..40),
            from in 0usize..45,
            delim in prop::sample::select(b"\t,".to_vec()),
        ) {
            let want = line
                .iter()
                .enumerate()
                .skip(from)
                .find(|&(_, &b)| b == delim)
                .map_or(line.len(), |(i, _)| i);
            prop_assert_eq!(field_end(&line, from, delim), want);
        }
    }
}
