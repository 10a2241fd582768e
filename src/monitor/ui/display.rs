//! Compact human formats for numbers, sizes, times and durations.

/// 950, 1.2k, 34k, 1.2M, 5.6G.
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let (x, unit) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        return if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
    };
    if x.abs() >= 100.0 {
        format!("{x:.0}{unit}")
    } else {
        format!("{x:.1}{unit}")
    }
}

/// A total exactly, with thousands separated (61,234), up to a million; then `count`.
pub fn total(v: u64) -> String {
    if v >= 1_000_000 {
        return count(v as f64);
    }
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How values of `series` read: bytes with units, everything else as a count.
pub fn series_value(series: crate::engine::SeriesKind) -> fn(f64) -> String {
    if series == crate::engine::SeriesKind::Bytes {
        bytes
    } else {
        count
    }
}

/// 512 B, 1.5 kB, 3.2 MB.
pub fn bytes(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1} GB", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1} MB", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} kB", v / 1e3)
    } else {
        format!("{v:.0} B")
    }
}

/// 0.25 s, 12 s, 4m05s, 2h10m.
pub fn duration(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "–".into();
    }
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.0}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// A Unix timestamp in UTC with `pattern`; small values are seconds into the source.
fn utc(t: f64, pattern: &str) -> String {
    if t > 1e8 {
        chrono::DateTime::from_timestamp(t as i64, 0)
            .map_or_else(|| format!("{t:.0}"), |d| d.format(pattern).to_string())
    } else {
        format!("+{t:.1}s")
    }
}

/// A flow time: UTC clock time for Unix timestamps, else seconds into the source.
pub fn time(t: f64) -> String {
    utc(t, "%H:%M:%S")
}

/// A flow time with its day, for lists that span days.
pub fn day_time(t: f64) -> String {
    utc(t, "%m-%d %H:%M:%S")
}

/// A date and time for axis ends and the replay clock.
pub fn date_time(t: f64) -> String {
    utc(t, "%Y-%m-%d %H:%M:%S")
}

pub fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| "–".into(), f)
}

/// Cuts a string to `n` terminal columns, marking the cut (wide characters count two).
pub fn fit(s: &str, n: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= n {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > n {
            break;
        }
        used += w;
        out.push(c);
    }
    if n > 0 {
        out.push('…');
    }
    out
}

/// `fit`, then padded with spaces to exactly `n` columns (`format!`'s padding counts
/// characters, not columns).
pub fn fit_pad(s: &str, n: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = fit(s, n);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', n.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(950.0), "950");
        assert_eq!(count(1234.0), "1.2k");
        assert_eq!(count(123_456.0), "123k");
        assert_eq!(count(2.5e6), "2.5M");
        assert_eq!(total(999), "999");
        assert_eq!(total(61_234), "61,234");
        assert_eq!(total(999_999), "999,999");
        assert_eq!(total(1_250_000), "1.2M");
        assert_eq!(bytes(1500.0), "1.5 kB");
        assert_eq!(duration(245.0), "4m05s");
        assert_eq!(duration(0.5), "0.50s");
        assert_eq!(time(1_500_000_000.0), "02:40:00");
        assert_eq!(time(12.0), "+12.0s");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        // Wide characters take two columns each.
        assert_eq!(fit("流量异常检测", 5), "流量…");
        assert_eq!(fit_pad("流量", 6), "流量  ");
        assert_eq!(fit_pad("abcdefgh", 4), "abc…");
    }
}
