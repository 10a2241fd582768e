//! The decoder for every delimited-text format (CSV flavours and Zeek TSV).

use std::collections::HashMap;

use super::intern::CellCtx;
use super::plan::{Plan, RowBuilder, SkipRule};
use super::split::{field_end, split_fields};
use super::value::scan_plain_field;
use super::{Decoded, Decoder, MetaField, Skip};

#[derive(Clone)]
pub(crate) struct DelimitedDecoder {
    plan: Plan,
    delim: u8,
    /// Field position in the line → schema column (Zeek may reorder fields mid-stream).
    positions: Vec<Option<usize>>,
    /// What to do with each field position, derived from `positions` and the plan.
    kinds: Vec<FieldKind>,
    header: Option<Vec<u8>>,
    skip: SkipRule,
    in_trailer: bool,
    proto_col: Option<usize>,
    /// Zeek's declared unset marker, when it is not the usual `-`.
    unset: Option<Vec<u8>>,
    ctx: CellCtx,
    spans: Vec<(usize, usize)>,
    owned: Vec<Vec<u8>>,
    /// The header's column names, to recognise it repeated with its columns in another order
    /// (files concatenated, a sensor restarted with another layout).
    names: Option<std::sync::Arc<HeaderNames>>,
    /// Whether `positions` differ from the first header's order.
    relaid: bool,
}

/// The first header's names by their cell text, and which bytes can start one.
#[derive(Debug)]
struct HeaderNames {
    starts: [bool; 256],
    by_name: HashMap<Vec<u8>, usize>,
}

impl HeaderNames {
    fn of(header: &[u8], delim: u8) -> Option<Self> {
        let mut by_name = HashMap::new();
        let mut starts = [false; 256];
        for (i, cell) in header.split(|&b| b == delim).enumerate() {
            let name = unquoted(cell);
            starts[usize::from(*name.first()?)] = true;
            by_name.insert(name.to_vec(), i);
        }
        Some(Self { starts, by_name })
    }

    /// Cheap first look: could this line be a header (its first field is a column name)?
    fn may_be_header(&self, line: &[u8], delim: u8) -> bool {
        let Some(&b) = line.first() else {
            return false;
        };
        if !self.starts[usize::from(b)] && b != b'"' && b != b' ' {
            return false;
        }
        let first = memchr::memchr(delim, line).map_or(line, |i| &line[..i]);
        self.by_name.contains_key(unquoted(first))
    }

    /// The schema column of each field when every field is a distinct column name.
    fn layout(&self, line: &[u8], delim: u8, columns: usize) -> Option<Vec<Option<usize>>> {
        let mut seen = vec![false; columns];
        let mut positions = Vec::with_capacity(columns);
        for cell in line.split(|&b| b == delim) {
            let col = *self.by_name.get(unquoted(cell))?;
            if std::mem::replace(seen.get_mut(col)?, true) {
                return None;
            }
            positions.push(Some(col));
        }
        (positions.len() == columns).then_some(positions)
    }
}

fn unquoted(cell: &[u8]) -> &[u8] {
    let t = cell.trim_ascii();
    t.strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .unwrap_or(t)
        .trim_ascii()
}

impl DelimitedDecoder {
    pub fn new(plan: Plan, delim: u8, header: Option<Vec<u8>>, skip: SkipRule) -> Self {
        let positions: Vec<Option<usize>> = (0..plan.cols.len()).map(Some).collect();
        let kinds = field_kinds(&plan, &positions);
        let proto_col = plan
            .cols
            .iter()
            .position(|c| c.meta == Some(MetaField::Proto));
        Self {
            plan,
            delim,
            positions,
            kinds,
            header,
            skip,
            in_trailer: false,
            proto_col,
            unset: None,
            ctx: CellCtx::default(),
            spans: Vec::new(),
            owned: Vec::new(),
            names: None,
            relaid: false,
        }
        .with_header_names()
    }

    fn with_header_names(mut self) -> Self {
        if self.skip != SkipRule::Zeek {
            self.names = self
                .header
                .as_deref()
                .and_then(|h| HeaderNames::of(h, self.delim))
                .map(std::sync::Arc::new);
        }
        self
    }

    /// Cheap first look at a line that may repeat the header (see `HeaderNames`).
    fn may_be_header(&self, line: &[u8]) -> bool {
        self.names
            .as_ref()
            .is_some_and(|n| n.may_be_header(line, self.delim))
    }

    /// A header line again, in the same or another column order: later rows are read by it.
    fn relayout(&mut self, line: &[u8]) -> bool {
        let Some(names) = &self.names else {
            return false;
        };
        let Some(positions) = names.layout(line, self.delim, self.plan.cols.len()) else {
            return false;
        };
        self.relaid = positions.iter().enumerate().any(|(i, p)| *p != Some(i));
        self.positions = positions;
        self.kinds = field_kinds(&self.plan, &self.positions);
        true
    }

    /// Zeek directives: a new `#fields` line may reorder or change the columns; fields the
    /// schema does not know are dropped, schema columns the file lacks stay unset.
    fn zeek_directive(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let (key, rest) = match text.find([' ', '\t']) {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (&text[..], ""),
        };
        match key {
            "#separator" => {
                if let Some(b) = parse_separator(rest) {
                    self.delim = b;
                }
            }
            "#unset_field" => {
                let u = rest.as_bytes().to_vec();
                self.unset = (u != b"-" && !u.is_empty()).then_some(u);
            }
            "#fields" => {
                let by_name: HashMap<&str, usize> = self
                    .plan
                    .names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.as_str(), i))
                    .collect();
                self.positions = rest
                    .split(self.delim as char)
                    .map(|f| by_name.get(f.trim()).copied())
                    .collect();
                self.kinds = field_kinds(&self.plan, &self.positions);
            }
            _ => {}
        }
    }
}

impl DelimitedDecoder {
    /// Splits first, then decodes each cell: any line, quoted fields and Zeek unset markers
    /// included.
    fn decode_general(&mut self, line: &[u8], line_no: u64) -> Decoded {
        let fields = split_fields(line, self.delim, &mut self.spans, &mut self.owned);
        let n = fields.len(&self.spans);
        if n != self.positions.len() {
            return self.wrong_count(n);
        }
        if let (SkipRule::ArgusMan, Some(pc)) = (self.skip, self.proto_col)
            && let Some(i) = self.positions.iter().position(|p| *p == Some(pc))
            && fields.get(&self.spans, i).trim_ascii() == b"man"
        {
            return Decoded::Skip(Skip::Management);
        }
        let mut row = RowBuilder::new(&self.plan);
        for (i, pos) in self.positions.iter().enumerate() {
            let Some(col) = *pos else { continue };
            let mut raw = fields.get(&self.spans, i);
            if self.unset.as_deref() == Some(raw) {
                raw = b"";
            }
            if let Err(e) = row.cell(&self.plan, col, raw, &mut self.ctx) {
                return Decoded::Reject(e);
            }
        }
        Decoded::Flow(row.finish(&self.plan, line_no))
    }

    fn wrong_count(&self, found: usize) -> Decoded {
        Decoded::Reject(format!("expected {} fields, found {found}", self.positions.len()).into())
    }

    /// The same decoding as the general path, for lines without quotes: fields are read in one
    /// pass, and plain numbers are parsed while the delimiter is looked for.
    fn decode_plain(&mut self, line: &[u8], line_no: u64) -> Decoded {
        let (delim, len) = (self.delim, line.len());
        if let (SkipRule::ArgusMan, Some(pc)) = (self.skip, self.proto_col)
            && let Some(i) = self.positions.iter().position(|p| *p == Some(pc))
            && line
                .split(|&b| b == delim)
                .nth(i)
                .is_some_and(|f| f.trim_ascii() == b"man")
            // As on the general path, only a record with the right field count is one.
            && 1 + memchr::memchr_iter(delim, line).count() == self.positions.len()
        {
            return Decoded::Skip(Skip::Management);
        }
        let mut row = RowBuilder::new(&self.plan);
        let mut start = 0;
        let Self {
            kinds, plan, ctx, ..
        } = self;
        for (i, &kind) in kinds.iter().enumerate() {
            if start > len {
                return self.wrong_count(i);
            }
            let (end, col) = match kind {
                FieldKind::Num { slot, col } => match scan_plain_field(line, start, delim) {
                    (Some(v), end) => {
                        row.set_value(slot as usize, v);
                        (end, None)
                    }
                    (None, end) => (end, Some(col)),
                },
                FieldKind::Cell { col } => (field_end(line, start, delim), Some(col)),
                FieldKind::Skip => (field_end(line, start, delim), None),
            };
            if let Some(col) = col
                && let Err(e) = row.cell(plan, col as usize, &line[start..end], ctx)
            {
                // As on the general path, a wrong field count is the reason to report.
                let found = 1 + memchr::memchr_iter(delim, line).count();
                return if found == self.positions.len() {
                    Decoded::Reject(e)
                } else {
                    self.wrong_count(found)
                };
            }
            start = end + 1;
        }
        if start <= len {
            return self.wrong_count(
                self.positions.len() + 1 + memchr::memchr_iter(delim, &line[start..]).count(),
            );
        }
        Decoded::Flow(row.finish(&self.plan, line_no))
    }
}

/// How the fast path treats one field position.
#[derive(Debug, Clone, Copy)]
enum FieldKind {
    /// Not a schema column (a Zeek field the schema does not know), or one that fills
    /// nothing (identifiers, ignored columns).
    Skip,
    /// A numeric feature and nothing else: parsed in place, `col` when it is not a plain number.
    Num { slot: u32, col: u32 },
    /// Anything else goes through the row builder.
    Cell { col: u32 },
}

fn field_kinds(plan: &Plan, positions: &[Option<usize>]) -> Vec<FieldKind> {
    positions
        .iter()
        .map(|p| match *p {
            None => FieldKind::Skip,
            Some(col) => match plan.cols[col].only_num {
                Some(slot) => FieldKind::Num {
                    slot: slot as u32,
                    col: col as u32,
                },
                None if plan.cols[col].is_inert() => FieldKind::Skip,
                None => FieldKind::Cell { col: col as u32 },
            },
        })
        .collect()
}

/// `#separator \x09` → tab.
pub(crate) fn parse_separator(s: &str) -> Option<u8> {
    let s = s.trim_end_matches(['\r', '\n']);
    if let Some(hex) = s.strip_prefix("\\x") {
        return u8::from_str_radix(hex.trim(), 16).ok();
    }
    s.bytes().next()
}

impl Decoder for DelimitedDecoder {
    fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded {
        if self.in_trailer {
            return Decoded::Skip(Skip::Trailer);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return Decoded::Skip(Skip::Blank);
        }
        match self.skip {
            SkipRule::Zeek if line.first() == Some(&b'#') => {
                self.zeek_directive(line);
                return Decoded::Skip(Skip::Comment);
            }
            SkipRule::NfdumpSummary if line.trim_ascii() == b"Summary" => {
                self.in_trailer = true;
                return Decoded::Skip(Skip::Trailer);
            }
            _ => {}
        }
        if self.header.as_deref() == Some(line) {
            if self.relaid {
                self.relayout(line);
            }
            return Decoded::Skip(Skip::Header);
        }
        if self.may_be_header(line) && self.relayout(line) {
            return Decoded::Skip(Skip::Header);
        }
        if self.unset.is_none() && memchr::memchr(b'"', line).is_none() {
            self.decode_plain(line, line_no)
        } else {
            self.decode_general(line, line_no)
        }
    }

    fn reset(&mut self) {
        self.in_trailer = false;
    }

    fn release_strings(&mut self) {
        self.ctx.release_strings();
    }

    fn fork(&self) -> Box<dyn Decoder> {
        let mut copy = self.clone();
        copy.release_strings();
        Box::new(copy)
    }

    fn changes_state(&self, line: &[u8]) -> bool {
        match self.skip {
            SkipRule::Zeek => line.first() == Some(&b'#'),
            SkipRule::NfdumpSummary => self.in_trailer || line.trim_ascii() == b"Summary",
            SkipRule::None | SkipRule::ArgusMan => self.may_be_header(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::flows::schema::DetectOptions;

    const FIXTURES: [&str; 8] = [
        "argus-ra.csv",
        "cicflowmeter-cleaned.csv",
        "cicflowmeter-mlcve.csv",
        "generic-flows.csv",
        "nfdump.csv",
        "nsl-kdd.csv",
        "unsw-nb15-raw.csv",
        "unsw-nb15-train.csv",
    ];

    fn decoder_and_lines(name: &str) -> (DelimitedDecoder, Vec<Vec<u8>>) {
        let bytes = std::fs::read(format!("tests/fixtures/{name}")).expect("fixture");
        let lines: Vec<Vec<u8>> = bytes
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect();
        let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        let (_, dec) = crate::flows::schema::sniff::delimited(&refs, &DetectOptions::default())
            .expect("detect");
        (dec, lines)
    }

    /// Both paths' results, as text: NaN cells (missing values) are equal there, not under `==`.
    fn both(dec: &DelimitedDecoder, line: &[u8]) -> (String, String) {
        let plain = dec.clone().decode_plain(line, 7);
        let general = dec.clone().decode_general(line, 7);
        (format!("{plain:?}"), format!("{general:?}"))
    }

    #[test]
    fn both_paths_agree_on_every_fixture_line() {
        for name in FIXTURES {
            let (dec, lines) = decoder_and_lines(name);
            for l in lines.iter().filter(|l| !l.contains(&b'"')) {
                let (plain, general) = both(&dec, l);
                assert_eq!(plain, general, "{name}: {}", String::from_utf8_lossy(l));
            }
        }
    }

    #[test]
    fn columns_that_fill_nothing_are_skipped_on_the_fast_path() {
        let mut skipped = 0;
        for name in FIXTURES {
            let (dec, _) = decoder_and_lines(name);
            for (kind, pos) in dec.kinds.iter().zip(&dec.positions) {
                let inert = pos.is_none_or(|c| dec.plan.cols[c].is_inert());
                assert_eq!(matches!(kind, FieldKind::Skip), inert, "{name}");
                skipped += usize::from(inert);
            }
        }
        // Identifier columns (UNSW-NB15 `id`, CIC's flow ids …) exist in the fixtures.
        assert!(skipped > 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn both_paths_agree_on_mutated_rows(
            which in 0..FIXTURES.len(),
            row in 0usize..100,
            edits in proptest::collection::vec(
                (any::<usize>(), prop::sample::select(b",.-e0123456789 xman\t".to_vec()), 0u8..3),
                1..6,
            ),
        ) {
            let (dec, lines) = decoder_and_lines(FIXTURES[which]);
            let mut line = lines[row % lines.len()].clone();
            for (pos, byte, op) in edits {
                let i = if line.is_empty() { 0 } else { pos % line.len() };
                match op {
                    0 if !line.is_empty() => line[i] = byte,
                    1 => line.insert(i, byte),
                    _ if !line.is_empty() => { line.remove(i); }
                    _ => line.push(byte),
                }
            }
            prop_assume!(!line.contains(&b'"'));
            let (plain, general) = both(&dec, &line);
            prop_assert_eq!(plain, general);
        }
    }
}
