//! Recognises a source's format from its first lines. An explicit format skips the guessing
//! but is still checked against the content, so a wrong `--format` fails with a reason instead
//! of producing nonsense.

use super::SchemaError;
use serde_json::Value;
use thiserror::Error;

use super::delimited::DelimitedDecoder;
use super::format::{argus, cicflowmeter, generic, nfdump, nsl_kdd, unsw, zeek};
use super::json::{JsonDecoder, cell_text};
use super::map::ColumnMap;
use super::names::{display_names, normalize};
use super::plan::{FormatSpec, build};
use super::split::split_to_strings;
use super::value::{Num, parse_num};
use super::{Decoder, Format, Role, Schema};

/// How many lines detection looks at (it needs the header and enough rows to infer types).
pub const SAMPLE_LINES: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    pub format: Option<Format>,
    pub map: ColumnMap,
}

pub struct Detected {
    pub schema: Schema,
    pub decoder: Box<dyn Decoder>,
}

#[derive(Debug, Error, PartialEq)]
pub enum DetectError {
    #[error("{file}: the file is empty; there are no flow records to read")]
    Empty { file: String },
    #[error("{file}: binary data, not flow records")]
    Binary { file: String },
    #[error("{file}: {what}, not flow records")]
    Document { file: String, what: &'static str },
    #[error("{file}: {reason}")]
    NotFlows { file: String, reason: SchemaError },
}

pub fn detect(file: &str, lines: &[&[u8]], opts: &DetectOptions) -> Result<Detected, DetectError> {
    let not_flows = |reason: SchemaError| DetectError::NotFlows {
        file: file.to_string(),
        reason,
    };
    let start = lines
        .iter()
        .position(|l| !l.iter().all(u8::is_ascii_whitespace));
    let Some(start) = start else {
        return Err(DetectError::Empty { file: file.into() });
    };
    let lines = &lines[start..];
    // One line is no verdict on a file: a NUL byte or bad UTF-8 in row 2 is a bad row, as it
    // is in row 5,000 (decoded, its controls escaped); most lines of it make a binary file.
    let binary = lines
        .iter()
        .filter(|l| l.contains(&0) || std::str::from_utf8(l).is_err())
        .count();
    if binary * 2 > lines.len() {
        return Err(DetectError::Binary { file: file.into() });
    }
    // CRLF is already gone; carriage returns left inside the first line are its line ends.
    if memchr::memchr_iter(b'\r', lines[0]).count() > 1 {
        return Err(not_flows(
            "its lines end in a carriage return only (classic Mac line endings); convert them \
             to newlines, e.g. with tr '\\r' '\\n'"
                .into(),
        ));
    }
    let first = String::from_utf8_lossy(lines[0])
        .trim()
        .to_ascii_lowercase();
    if first.starts_with("<!doctype html")
        || first.starts_with("<html")
        || first.starts_with("<head")
    {
        return Err(DetectError::Document {
            file: file.into(),
            what: "an HTML page",
        });
    }
    if first.starts_with("<?xml") {
        return Err(DetectError::Document {
            file: file.into(),
            what: "an XML document",
        });
    }
    let forced = opts.format;
    let (schema, decoder): (Schema, Box<dyn Decoder>) = if lines[0].first() == Some(&b'#') {
        check_forced(
            forced,
            Format::ZeekConn,
            "it starts with Zeek '#' header lines",
        )
        .map_err(not_flows)?;
        zeek_tsv(lines, &opts.map).map_err(not_flows)?
    } else if lines[0].first() == Some(&b'{') {
        check_forced(forced, Format::ZeekConn, "it is JSON lines").map_err(not_flows)?;
        zeek_json(lines, &opts.map).map_err(not_flows)?
    } else {
        let (schema, dec) = delimited(lines, opts).map_err(not_flows)?;
        (schema, Box::new(dec))
    };
    if !schema.has_role(Role::Numeric) && !schema.has_role(Role::Categorical) {
        return Err(not_flows(
            "no feature columns: every column is an identifier, address, label or time".into(),
        ));
    }
    if !schema.has_role(Role::Numeric) {
        return Err(not_flows(
            "no numeric columns; flow records carry at least counts or durations".into(),
        ));
    }
    let decoder = Box::new(super::bounded::Bounded::new(decoder));
    Ok(Detected { schema, decoder })
}

fn check_forced(forced: Option<Format>, found: Format, why: &str) -> Result<(), SchemaError> {
    match forced {
        Some(f) if f != found => Err(SchemaError::new(format!(
            "--format {f} was given, but {why} ({found})"
        ))),
        _ => Ok(()),
    }
}

fn zeek_tsv(lines: &[&[u8]], map: &ColumnMap) -> Result<(Schema, Box<dyn Decoder>), SchemaError> {
    let h = zeek::parse_tsv_header(lines)
        .ok_or("starts with '#' lines but has no Zeek '#fields' header")?;
    if !zeek::is_conn(&h.fields) {
        let path = h.path.as_deref().unwrap_or("unknown");
        return Err(SchemaError::new(format!(
            "a Zeek '{path}' log; only conn logs hold flows"
        )));
    }
    let sample: Vec<Vec<String>> = lines
        .iter()
        .filter(|l| l.first() != Some(&b'#'))
        .map(|l| split_to_strings(l, h.sep))
        .collect();
    let (schema, plan) = build(&zeek::spec("tsv"), h.fields.clone(), &sample, true, map)?;
    let dec = DelimitedDecoder::new(plan, h.sep, None, super::plan::SkipRule::Zeek);
    Ok((schema, Box::new(dec)))
}

fn zeek_json(lines: &[&[u8]], map: &ColumnMap) -> Result<(Schema, Box<dyn Decoder>), SchemaError> {
    let objects: Vec<serde_json::Map<String, Value>> = lines
        .iter()
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    if objects.is_empty() {
        return Err(SchemaError::new(
            "starts with '{' but holds no JSON objects",
        ));
    }
    let mut names: Vec<String> = zeek::CONN_FIELDS.iter().map(|s| s.to_string()).collect();
    for o in &objects {
        for k in o.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let seen: Vec<String> = objects.iter().flat_map(|o| o.keys().cloned()).collect();
    if !zeek::is_conn(&seen) {
        return Err(SchemaError::new(
            "JSON lines, but not a Zeek conn log (no id.orig_h with conn_state/orig_bytes keys)",
        ));
    }
    let mut buf = Vec::new();
    let sample: Vec<Vec<String>> = objects
        .iter()
        .map(|o| {
            names
                .iter()
                .map(|n| {
                    o.get(n).map_or(String::new(), |v| {
                        cell_text(v, &mut buf);
                        String::from_utf8_lossy(&buf).into_owned()
                    })
                })
                .collect()
        })
        .collect();
    let (schema, plan) = build(&zeek::spec("json"), names, &sample, true, map)?;
    Ok((schema, Box::new(JsonDecoder::new(plan))))
}

/// The delimiter that splits the first lines into the same, largest number of fields.
fn sniff_delimiter(lines: &[&[u8]]) -> u8 {
    let probe: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| !l.trim_ascii().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', 0usize);
    for d in [b',', b'\t', b';', b'|'] {
        let counts: Vec<usize> = probe
            .iter()
            .map(|l| l.iter().filter(|&&b| b == d).count())
            .collect();
        let first = counts[0];
        let consistent = counts.iter().filter(|&&c| c == first).count() * 10 >= counts.len() * 8;
        if first > best.1 && consistent {
            best = (d, first);
        }
    }
    best.0
}

fn is_number(s: &str) -> bool {
    matches!(parse_num(s.as_bytes()), Num::Value(_))
}

/// Is the first row a header? Yes when some column has text on top of numbers, or when every
/// first-row cell is text that never appears again in its column.
fn looks_like_header(rows: &[Vec<String>]) -> bool {
    let Some(first) = rows.first() else {
        return false;
    };
    // A header repeated further down (concatenated files) says nothing about the data.
    let rest: Vec<&Vec<String>> = rows[1..].iter().filter(|r| *r != first).collect();
    if rest.is_empty() {
        return first.iter().all(|c| !is_number(c));
    }
    let over_numbers = (0..first.len()).any(|j| {
        let text_on_top = !is_number(&first[j]) && !first[j].trim().is_empty();
        let col: Vec<&str> = rest
            .iter()
            .filter_map(|r| r.get(j))
            .map(String::as_str)
            .collect();
        let numeric = col.iter().filter(|c| is_number(c)).count();
        text_on_top && numeric > 0 && numeric * 5 >= col.len() * 4
    });
    over_numbers
        || first
            .iter()
            .enumerate()
            .all(|(j, c)| !is_number(c) && rest.iter().all(|r| r.get(j) != Some(c)))
}

pub(crate) fn delimited(
    lines: &[&[u8]],
    opts: &DetectOptions,
) -> Result<(Schema, DelimitedDecoder), SchemaError> {
    let delim = sniff_delimiter(lines);
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter(|l| !l.trim_ascii().is_empty())
        .map(|l| split_to_strings(l, delim))
        .collect();
    let first = &rows[0];
    let norm: Vec<String> = first.iter().map(|c| normalize(c)).collect();
    let forced = opts.format;

    // Known layouts with a header row.
    let header_spec: Option<FormatSpec> = if cicflowmeter::matches(&norm) {
        Some(cicflowmeter::spec(&norm))
    } else if nsl_kdd::matches_header(&norm) {
        Some(nsl_kdd::spec(true))
    } else if unsw::matches_header(&norm) {
        Some(unsw::spec(&norm, true))
    } else if nfdump::matches(&norm) {
        Some(nfdump::spec())
    } else if argus::matches(&norm) {
        Some(argus::spec())
    } else {
        None
    };
    let (spec, names, has_header) = match header_spec {
        Some(spec) if forced.is_none_or(|f| f == spec.format || f == Format::Csv) => {
            let spec = if forced == Some(Format::Csv) {
                generic::spec(true)
            } else {
                spec
            };
            (spec, display_names(first), true)
        }
        Some(spec) => {
            let f = forced.map_or("", |f| f.name());
            return Err(SchemaError::new(format!(
                "--format {f} was given, but the header is that of {}",
                spec.format
            )));
        }
        None => {
            let kdd = nsl_kdd::matches_row(first);
            let raw_unsw = unsw::matches_raw_row(first);
            match forced {
                Some(Format::NslKdd) if kdd || first.len() == 42 || first.len() == 43 => {
                    (nsl_kdd::spec(false), nsl_kdd::names_for(first.len()), false)
                }
                Some(Format::UnswNb15) if first.len() == 49 => (
                    unsw::spec(&[String::from("srcip")], false),
                    unsw::raw_names(),
                    false,
                ),
                None if kdd => (nsl_kdd::spec(false), nsl_kdd::names_for(first.len()), false),
                None if raw_unsw => (
                    unsw::spec(&[String::from("srcip")], false),
                    unsw::raw_names(),
                    false,
                ),
                None | Some(Format::Csv) => {
                    let has_header = looks_like_header(&rows);
                    let names = if has_header {
                        display_names(first)
                    } else {
                        (1..=first.len()).map(|i| format!("col{i}")).collect()
                    };
                    (generic::spec(has_header), names, has_header)
                }
                Some(f) => {
                    return Err(SchemaError::new(format!(
                        "--format {f} was given, but the first line is not a {f} header or row"
                    )));
                }
            }
        }
    };
    let sample: Vec<Vec<String>> = if has_header {
        rows[1..].iter().filter(|r| *r != first).cloned().collect()
    } else {
        rows.clone()
    };
    let (schema, plan) = build(&spec, names, &sample, has_header, &opts.map)?;
    let header_line = has_header.then(|| lines[0].to_vec());
    Ok((
        schema,
        DelimitedDecoder::new(plan, delim, header_line, spec.skip),
    ))
}

#[cfg(test)]
mod tests;
