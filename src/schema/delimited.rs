//! The decoder for every delimited-text format (CSV flavours and Zeek TSV).

use std::collections::HashMap;

use super::plan::{Plan, RowBuilder, SkipRule};
use super::split::split_fields;
use super::value::TimestampParser;
use super::{Decoded, Decoder, MetaField, Skip};

pub(crate) struct DelimitedDecoder {
    plan: Plan,
    delim: u8,
    /// Field position in the line → schema column (Zeek may reorder fields mid-stream).
    positions: Vec<Option<usize>>,
    header: Option<Vec<u8>>,
    skip: SkipRule,
    in_trailer: bool,
    proto_col: Option<usize>,
    /// Zeek's declared unset marker, when it is not the usual `-`.
    unset: Option<Vec<u8>>,
    ts: TimestampParser,
    spans: Vec<(usize, usize)>,
    owned: Vec<Vec<u8>>,
}

impl DelimitedDecoder {
    pub fn new(plan: Plan, delim: u8, header: Option<Vec<u8>>, skip: SkipRule) -> Self {
        let positions = (0..plan.cols.len()).map(Some).collect();
        let proto_col = plan
            .cols
            .iter()
            .position(|c| c.meta == Some(MetaField::Proto));
        Self {
            plan,
            delim,
            positions,
            header,
            skip,
            in_trailer: false,
            proto_col,
            unset: None,
            ts: TimestampParser::default(),
            spans: Vec::new(),
            owned: Vec::new(),
        }
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
            }
            _ => {}
        }
    }
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
            return Decoded::Skip(Skip::Header);
        }
        let fields = split_fields(line, self.delim, &mut self.spans, &mut self.owned);
        let n = fields.len(&self.spans);
        if n != self.positions.len() {
            return Decoded::Reject(format!(
                "expected {} fields, found {n}",
                self.positions.len()
            ));
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
            if let Err(e) = row.cell(&self.plan, col, raw, &mut self.ts) {
                return Decoded::Reject(e);
            }
        }
        Decoded::Flow(Box::new(row.finish(&self.plan, line_no)))
    }

    fn reset(&mut self) {
        self.in_trailer = false;
    }
}
