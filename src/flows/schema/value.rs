//! Cell parsing shared by every format: numbers as flow tools write them (`Infinity`, `NaN`,
//! `-` for unset, padded with spaces, hex ports), timestamps (epoch seconds or milliseconds,
//! ISO 8601, `YYYY-MM-DD HH:MM:SS`, CIC's day-first `d/m/Y H:M[:S]`), booleans.

use chrono::{DateTime, NaiveDateTime};

use super::split::field_end;

/// A numeric cell: a value, deliberately empty, or not a number at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Value(f64),
    Missing,
    Invalid,
}

/// True for the tokens formats use for "no value".
pub fn is_unset(s: &str) -> bool {
    matches!(
        s,
        "" | "-" | "(empty)" | "?" | "NA" | "N/A" | "n/a" | "null" | "NULL" | "None" | "none"
    )
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Plain decimals (`-12`, `0.293922779`) — nearly every cell of a flow file — without going
/// through text validation. Exact by Clinger's fast path: a mantissa below 2^53 and a power of
/// ten up to 1e22 are both exact f64s, so one correctly rounded division gives the correctly
/// rounded result. Anything else (exponents, long mantissas) returns `None`.
fn parse_plain_decimal(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut mantissa: u64 = 0;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    let mut any = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                any = true;
                if seen_dot {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if !any || mantissa >= 1 << 53 || frac_digits >= POW10.len() {
        return None;
    }
    let v = mantissa as f64 / POW10[frac_digits];
    Some(if neg { -v } else { v })
}

/// Appends the digits of `s` from `k` to `mantissa` (wrapping: callers reject more than 19
/// digits) and returns the index of the first non-digit.
#[inline(always)]
fn digit_run(s: &[u8], mut k: usize, mantissa: &mut u64) -> usize {
    while let Some(&b) = s.get(k) {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        k += 1;
    }
    k
}

/// Reads the field of `line` that starts at `start` and ends at the next `delim` (or the end of
/// the line) in one pass: returns its value when it is a plain decimal (the same exact fast path
/// as `parse_num`), and the field's end either way, so the caller can fall back to `parse_num`
/// on anything else (spaces, `Infinity`, exponents, `-`).
#[inline(always)]
pub fn scan_plain_field(line: &[u8], start: usize, delim: u8) -> (Option<f64>, usize) {
    let start = start.min(line.len());
    let field = &line[start..];
    if let Some((v, len)) = word(field, 0).and_then(|w| lone_digit(w, delim)) {
        return (Some(v), start + len);
    }
    let (neg, body) = match field.first() {
        Some(b'-') => (true, &field[1..]),
        _ => (false, field),
    };
    let sign = usize::from(neg);
    if let Some((v, stop)) = short_decimal(body, delim) {
        return (Some(if neg { -v } else { v }), start + sign + stop);
    }
    scan_digit_by_digit(line, start, delim, neg, body)
}

pub(super) const ONES: u64 = 0x0101_0101_0101_0101;

/// A lone digit followed by the delimiter (`0,`) or by `.0` and the delimiter (`1.0,`): most
/// cells of flow files (zero counts, flags, rates written as `0.0`), answered by two
/// comparisons on the field's first word. `None` for anything else.
#[inline(always)]
fn lone_digit(w: u64, delim: u8) -> Option<(f64, usize)> {
    let d = (w as u8).wrapping_sub(b'0');
    if d >= 10 {
        return None;
    }
    let next = (w >> 8) as u32 & 0x00FF_FFFF;
    if next as u8 == delim {
        Some((f64::from(d), 1))
    } else if next == u32::from_le_bytes([b'.', b'0', delim, 0]) {
        Some((f64::from(d), 3))
    } else {
        None
    }
}

/// The next 8 bytes of `s` from `at` as one word, first byte lowest.
#[inline(always)]
pub(super) fn word(s: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = s.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// How many of the word's bytes, from the first, are ASCII digits (8 when all are). A byte
/// ≥ 0x8A carries into the next byte's test, which only ever concerns bytes after the first
/// non-digit.
#[inline(always)]
fn leading_digits(w: u64) -> usize {
    let t = w ^ (ONES * u64::from(b'0'));
    let non_digit = (t.wrapping_add(ONES * 0x76) | t) & (ONES * 0x80);
    (non_digit.trailing_zeros() / 8) as usize
}

/// The value of the word's first `n` digits, 1 ≤ n ≤ 8: the digits are moved to the top so
/// the bytes below are leading zeros, then combined pairwise in three multiplications.
#[inline(always)]
fn digits_value(w: u64, n: usize) -> u64 {
    let v = (w << (8 * (8 - n))) & (ONES * 0x0F);
    let v = (v.wrapping_mul(10 * (1 << 8) + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100 * (1 << 16) + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    v.wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// A plain decimal of at most 15 integer and 15 fraction digits followed by `delim`, read a
/// word at a time: nearly every flow-file cell. `None` for anything else, for a mantissa of
/// 2^53 or more, or when fewer than 8 bytes follow a digit run (the field is near the end of
/// the line), for the digit loop to decide. The result is the digit loop's: the mantissa is
/// the same, below 2^53, and so is the division.
#[inline(always)]
fn short_decimal(body: &[u8], delim: u8) -> Option<(f64, usize)> {
    let (int, n) = digit_words(body, 0)?;
    match body[n] {
        b if b == delim && n > 0 => Some((exact_f64(int), n)),
        b'.' => {
            let (frac, f) = digit_words(body, n + 1)?;
            if n + f == 0 || body[n + 1 + f] != delim {
                return None;
            }
            if frac == 0 {
                // `1.0`, `0.00`: the division would give the integer back exactly.
                return Some((exact_f64(int), n + 1 + f));
            }
            // Up to 15 digits in all stay below 10^15 < 2^53; longer ones are checked.
            let mantissa = if n + f <= 15 {
                int * POW10_INT[f] + frac
            } else {
                Some(int.checked_mul(POW10_INT[f])?.checked_add(frac)?).filter(|&m| m < 1 << 53)?
            };
            Some((exact_f64(mantissa) / POW10[f], n + 1 + f))
        }
        _ => None,
    }
}

/// The run of up to 15 digits at `at`, as its value and length, one word at a time (a second
/// word only for runs of 8 or more: long rates and byte counts). `None` for 16 digits or more,
/// or when the bytes after the run do not fill a word. The byte after the run is in bounds.
#[inline(always)]
fn digit_words(body: &[u8], at: usize) -> Option<(u64, usize)> {
    let w = word(body, at)?;
    let n = leading_digits(w);
    if n < 8 {
        return Some((if n == 0 { 0 } else { digits_value(w, n) }, n));
    }
    let w2 = word(body, at + 8)?;
    let m = leading_digits(w2);
    if m == 8 {
        return None;
    }
    let high = digits_value(w, 8);
    let value = if m == 0 {
        high
    } else {
        high * POW10_INT[m] + digits_value(w2, m)
    };
    Some((value, 8 + m))
}

/// A mantissa below 2^53 as an f64, exactly: through i64, whose conversion is one instruction
/// where u64's takes several.
#[inline(always)]
fn exact_f64(m: u64) -> f64 {
    debug_assert!(m < 1 << 53);
    m as i64 as f64
}

const POW10_INT: [u64; 16] = {
    let mut p = [1u64; 16];
    let mut i = 1;
    while i < 16 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// The general plain-decimal scan: any number of digits, any position in the line.
#[inline(always)]
fn scan_digit_by_digit(
    line: &[u8],
    start: usize,
    delim: u8,
    neg: bool,
    body: &[u8],
) -> (Option<f64>, usize) {
    let mut mantissa: u64 = 0;
    let mut stop = digit_run(body, 0, &mut mantissa);
    let mut dot = usize::MAX;
    if body.get(stop) == Some(&b'.') {
        dot = stop;
        stop = digit_run(body, stop + 1, &mut mantissa);
    }
    let end = start + usize::from(neg) + stop;
    let at_delim = stop == body.len() || body[stop] == delim;
    if at_delim {
        let has_dot = dot != usize::MAX;
        let digits = stop - usize::from(has_dot);
        let frac_digits = if has_dot { stop - dot - 1 } else { 0 };
        // Up to 19 digits cannot have wrapped; beyond that the general parser decides.
        if digits > 0 && digits <= 19 && mantissa < 1 << 53 && frac_digits < POW10.len() {
            let v = exact_f64(mantissa) / POW10[frac_digits];
            return (Some(if neg { -v } else { v }), end);
        }
        return (None, end);
    }
    let end = field_end(line, end, delim);
    (None, end)
}

pub fn parse_num(raw: &[u8]) -> Num {
    let raw = raw.trim_ascii();
    if let Some(v) = parse_plain_decimal(raw) {
        return Num::Value(v);
    }
    // Zeek's unset marker and booleans fill whole columns: answer them before any text
    // handling (the same answers as below).
    match raw {
        b"-" | b"" => return Num::Missing,
        b"T" => return Num::Value(1.0),
        b"F" => return Num::Value(0.0),
        _ => {}
    }
    let Ok(s) = std::str::from_utf8(raw) else {
        return Num::Invalid;
    };
    if let Ok(v) = s.parse::<f64>() {
        // Rust accepts "inf", "infinity", "nan" in any case, which covers CIC's Infinity/NaN.
        return if v.is_nan() {
            Num::Missing
        } else {
            Num::Value(v)
        };
    }
    if is_unset(s) {
        return Num::Missing;
    }
    match s {
        "T" | "t" | "true" | "True" | "TRUE" => return Num::Value(1.0),
        "F" | "f" | "false" | "False" | "FALSE" => return Num::Value(0.0),
        _ => {}
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
        && let Ok(v) = u64::from_str_radix(hex, 16)
    {
        return Num::Value(v as f64);
    }
    Num::Invalid
}

/// A port: decimal or hex (`0x0303` is how Argus and UNSW write ICMP type/code).
pub fn parse_port(raw: &[u8]) -> Option<u16> {
    // Plain decimal ports (nearly all) without the general number parser.
    if (1..=5).contains(&raw.len()) && raw.iter().all(u8::is_ascii_digit) {
        let v = raw.iter().fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
        return u16::try_from(v).ok();
    }
    port_from_number(raw)
}

fn port_from_number(raw: &[u8]) -> Option<u16> {
    match parse_num(raw) {
        Num::Value(v) if (0.0..=65535.0).contains(&v) && v.fract() == 0.0 => Some(v as u16),
        _ => None,
    }
}

/// IANA protocol numbers as names, so `6` and `tcp` mean the same thing.
pub fn proto_name(raw: &str) -> super::Text {
    let t = raw.trim();
    let name = match t {
        "1" => "icmp",
        "2" => "igmp",
        "6" => "tcp",
        "17" => "udp",
        "47" => "gre",
        "50" => "esp",
        "58" => "ipv6-icmp",
        "132" => "sctp",
        _ => return super::Text::keep(&t.to_ascii_lowercase()),
    };
    super::Text::keep(name)
}

/// Day-first as CIC writes it; tried after ISO forms. Month-first dates are not guessed.
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%d/%m/%Y %H:%M:%S%.f",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y%H:%M:%S",
    "%Y-%m-%d %H:%M",
];

/// Parses timestamps and remembers which layout worked, so a column of one layout costs one
/// attempt per cell.
#[derive(Debug, Clone, Default)]
pub struct TimestampParser {
    last: usize,
}

impl TimestampParser {
    /// `Ok(None)` for an unset cell, `Err(())` for text that is no time at all.
    #[allow(clippy::result_unit_err)]
    pub fn parse(&mut self, raw: &[u8]) -> Result<Option<f64>, ()> {
        // Epoch seconds as Zeek and Argus write them: the exact fast path, no text handling.
        if let Some(v) = parse_plain_decimal(raw.trim_ascii()) {
            return Ok(Some(epoch_seconds(v)));
        }
        let s = std::str::from_utf8(raw).map_err(|_| ())?.trim();
        if is_unset(s) {
            return Ok(None);
        }
        if let Ok(v) = s.parse::<f64>() {
            if !v.is_finite() {
                return Err(());
            }
            return Ok(Some(epoch_seconds(v)));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Some(dt.timestamp_micros() as f64 / 1e6));
        }
        let n = DATE_FORMATS.len();
        for k in 0..n {
            let i = (self.last + k) % n;
            if let Ok(dt) = NaiveDateTime::parse_from_str(s, DATE_FORMATS[i]) {
                self.last = i;
                return Ok(Some(dt.and_utc().timestamp_micros() as f64 / 1e6));
            }
        }
        Err(())
    }
}

/// Epoch numbers come in seconds, milliseconds, microseconds or nanoseconds; the magnitude
/// tells which (seconds stay below 1e11 until the year 5138).
fn epoch_seconds(v: f64) -> f64 {
    let a = v.abs();
    if a >= 1e17 {
        v / 1e9
    } else if a >= 1e14 {
        v / 1e6
    } else if a >= 1e11 {
        v / 1e3
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_flow_tools_write_them() {
        assert_eq!(parse_num(b"42"), Num::Value(42.0));
        assert_eq!(parse_num(b"    0.000"), Num::Value(0.0));
        assert_eq!(parse_num(b"-1"), Num::Value(-1.0));
        assert_eq!(parse_num(b"Infinity"), Num::Value(f64::INFINITY));
        assert_eq!(parse_num(b"-Infinity"), Num::Value(f64::NEG_INFINITY));
        assert_eq!(parse_num(b"NaN"), Num::Missing);
        assert_eq!(parse_num(b"-"), Num::Missing);
        assert_eq!(parse_num(b"(empty)"), Num::Missing);
        assert_eq!(parse_num(b""), Num::Missing);
        assert_eq!(parse_num(b"T"), Num::Value(1.0));
        assert_eq!(parse_num(b" F "), Num::Value(0.0));
        assert_eq!(parse_num(b"true"), Num::Value(1.0));
        assert_eq!(parse_num(b" - "), Num::Missing);
        assert_eq!(parse_num(b"0x0303"), Num::Value(771.0));
        assert_eq!(parse_num(b"12abc"), Num::Invalid);
        assert_eq!(parse_num(b"\xff\xfe"), Num::Invalid);
        assert_eq!(parse_num(b"1e3"), Num::Value(1000.0));
        assert_eq!(parse_num(b"."), Num::Invalid);
        assert_eq!(parse_num(b"1.2.3"), Num::Invalid);
    }

    #[test]
    fn scanning_fields_in_place() {
        let line = b"12,-0.5,,Infinity,1e3,007,1.2.3,9999999999999999999999,x";
        let mut start = 0;
        let mut got = Vec::new();
        while start <= line.len() {
            let (v, end) = scan_plain_field(line, start, b',');
            got.push((v, String::from_utf8_lossy(&line[start..end]).into_owned()));
            start = end + 1;
        }
        let expect: Vec<(Option<f64>, &str)> = vec![
            (Some(12.0), "12"),
            (Some(-0.5), "-0.5"),
            (None, ""),
            (None, "Infinity"),
            (None, "1e3"),
            (Some(7.0), "007"),
            (None, "1.2.3"),
            (None, "9999999999999999999999"),
            (None, "x"),
        ];
        assert_eq!(
            got.iter()
                .map(|(v, s)| (*v, s.as_str()))
                .collect::<Vec<_>>(),
            expect
        );
        // Whatever the scan accepts, parse_num reads identically.
        for (v, s) in &got {
            if let Some(v) = v {
                assert_eq!(parse_num(s.as_bytes()), Num::Value(*v));
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_std_exactly() {
        let cases = [
            "0.293922779",
            "-1",
            "3000000",
            "14816.66459",
            "0.1",
            "9007199254740991",
            "9007199254740993",
            "123456789012345678901",
            "0.0000000000000000000001",
            "2.2250738585072014",
            "1541117137.618695",
        ];
        for c in cases {
            let want: f64 = c.parse().expect("std parses");
            assert_eq!(parse_num(c.as_bytes()), Num::Value(want), "{c}");
        }
        // A spread of generated decimals, bit for bit.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let int = x % 10_000_000;
            let frac = (x >> 24) % 1_000_000_000;
            let s = format!("{int}.{frac:0width$}", width = (x % 10) as usize);
            let want: f64 = s.parse().expect("std parses");
            assert_eq!(parse_num(s.as_bytes()), Num::Value(want), "{s}");
            // The scan may decline (mantissa ≥ 2^53) and leave it to parse_num, never differ.
            if let Some(v) = scan_plain_field(s.as_bytes(), 0, b',').0 {
                assert_eq!(v, want, "{s}");
            }
        }
    }

    /// Scans the line's first field both ways and requires the same value (bit for bit) or
    /// the same refusal, and the same end; returns the scan.
    fn scan_agrees_with_digit_loop(line: &[u8], shown: &str) -> (Option<f64>, usize) {
        let (neg, body) = match line.first() {
            Some(b'-') => (true, &line[1..]),
            _ => (false, line),
        };
        let slow = scan_digit_by_digit(line, 0, b',', neg, body);
        let fast = scan_plain_field(line, 0, b',');
        assert_eq!(fast.1, slow.1, "end of '{shown}'");
        assert_eq!(
            fast.0.map(f64::to_bits),
            slow.0.map(f64::to_bits),
            "'{shown}'"
        );
        fast
    }

    /// The word-at-a-time path, for fields with at least 8 bytes after them, against the
    /// digit loop and std: the same value or the same refusal, and the same field end.
    #[test]
    fn word_at_a_time_agrees_with_the_digit_loop() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"0123456789012345678901234567890123456789.-,e x";
        let (mut word_path, mut two_words) = (0, 0);
        for _ in 0..200_000 {
            let len = (next() % 26) as usize;
            let field: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut line = field.clone();
            line.extend_from_slice(b",12345678,9");
            let shown = String::from_utf8_lossy(&field);
            let fast = scan_agrees_with_digit_loop(&line, &shown);
            if let Some(v) = fast.0 {
                let text = String::from_utf8_lossy(&line[..fast.1]);
                let want: f64 = text.parse().expect("std parses what the scan accepts");
                assert_eq!(v.to_bits(), want.to_bits(), "'{shown}'");
            }
            let body = line.strip_prefix(b"-").unwrap_or(&line);
            if short_decimal(body, b',').is_some() {
                word_path += 1;
                let longest_run = body.split(|b| !b.is_ascii_digit()).map(<[u8]>::len).max();
                two_words += usize::from(longest_run >= Some(8));
            }
        }
        // The comparison means something only if every path was taken often.
        assert!(word_path > 20_000, "word path taken {word_path} times");
        assert!(
            two_words > 2_000,
            "runs of 8+ digits read {two_words} times"
        );
    }

    /// The lone-digit shortcut against the digit loop, on every digit with the tails that
    /// take it (`,` and `.0,`) and those that must not (longer numbers, other fractions).
    #[test]
    fn lone_digits_agree_with_the_digit_loop() {
        let mut taken = 0;
        for d in b'0'..=b'9' {
            for tail in [
                ",", ".0,", ".00,", ".05,", ".5,", "0,", "7.0,", ".0e1,", ".,", "x,",
            ] {
                let mut line = vec![d];
                line.extend_from_slice(tail.as_bytes());
                line.extend_from_slice(b"12345678,9");
                let shown = String::from_utf8_lossy(&line);
                let fast = scan_agrees_with_digit_loop(&line, &shown);
                if let Some(w) = word(&line, 0)
                    && let Some((v, len)) = lone_digit(w, b',')
                {
                    assert_eq!((Some(v), len), fast, "'{shown}'");
                    taken += 1;
                }
            }
        }
        // `d,` and `d.0,` for each of the ten digits, and nothing else.
        assert_eq!(taken, 20);
    }

    #[test]
    fn ports() {
        // The digits-only shortcut gives what the number parser gives, leading zeros included.
        for n in 0..100_000u32 {
            for text in [n.to_string(), format!("{n:05}")] {
                let raw = text.as_bytes();
                assert_eq!(parse_port(raw), port_from_number(raw), "{text}");
            }
        }
        assert_eq!(parse_port(b"443"), Some(443));
        assert_eq!(parse_port(b"0x0008"), Some(8));
        assert_eq!(parse_port(b"70000"), None);
        assert_eq!(parse_port(b"-"), None);
        assert_eq!(parse_port(b"1.5"), None);
    }

    #[test]
    fn protocol_numbers_become_names() {
        assert_eq!(&*proto_name("6"), "tcp");
        assert_eq!(&*proto_name(" UDP "), "udp");
        assert_eq!(&*proto_name("ipv6-icmp"), "ipv6-icmp");
    }

    #[test]
    fn timestamps() {
        let mut p = TimestampParser::default();
        assert_eq!(p.parse(b"1541117137.618695"), Ok(Some(1541117137.618695)));
        assert_eq!(p.parse(b"1541117137618"), Ok(Some(1541117137.618)));
        assert_eq!(p.parse(b"2018-10-09 07:10:39"), Ok(Some(1539069039.0)));
        assert_eq!(
            p.parse(b"2020-06-06T06:36:39.925532Z"),
            Ok(Some(1591425399.925532))
        );
        // CIC-IDS2017 TrafficLabelling writes day-first dates without seconds.
        assert_eq!(p.parse(b"7/7/2017 8:59"), Ok(Some(1499417940.0)));
        assert_eq!(p.parse(b"03/07/2017 08:55:58"), Ok(Some(1499072158.0)));
        // Unicauca glues date and time together.
        assert_eq!(p.parse(b"26/04/201711:11:17"), Ok(Some(1493205077.0)));
        assert_eq!(p.parse(b"-"), Ok(None));
        assert_eq!(p.parse(b"yesterday"), Err(()));
        assert_eq!(p.parse(b"inf"), Err(()));
    }
}
