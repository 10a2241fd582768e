//! Label normalisation: benign or attack, and a clean class name.

/// Cleans a class name: invalid bytes (CIC's en-dash became U+FFFD in most copies) and
/// Unicode dashes become `-`, runs of spaces collapse, KDD'99's trailing dot goes.
pub fn clean_class(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for ch in word.chars() {
            out.push(match ch {
                '\u{FFFD}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
                c => c,
            });
        }
    }
    while out.ends_with('.') {
        out.pop();
    }
    // Class names reach tables, the feed and spreadsheets: controls shown, never raw.
    match crate::sanitize::cell(&out) {
        std::borrow::Cow::Borrowed(_) => out,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// The spellings data sets use for benign traffic.
pub fn is_benign(class: &str) -> bool {
    let c = class.trim();
    [
        "normal",
        "benign",
        "normal traffic",
        "0",
        "0.0",
        "background",
        "legitimate",
        "false",
        "no",
    ]
    .iter()
    .any(|b| c.eq_ignore_ascii_case(b))
}

/// A 0/1 (or true/false) label column: `Some(attack)`, or `None` if it is a class name.
pub fn binary_label(s: &str) -> Option<bool> {
    let s = s.trim();
    let is = |names: [&str; 3]| names.iter().any(|n| s.eq_ignore_ascii_case(n));
    if is(["0", "0.0", "false"]) {
        Some(false)
    } else if is(["1", "1.0", "true"]) {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_odd_bytes_and_spacing() {
        assert_eq!(
            clean_class(b"Web Attack \xEF\xBF\xBD XSS"),
            "Web Attack - XSS"
        );
        assert_eq!(
            clean_class(b"Web Attack \x96 Brute Force"),
            "Web Attack - Brute Force"
        );
        assert_eq!(clean_class(b"  Fuzzers  "), "Fuzzers");
        assert_eq!(clean_class(b"smurf."), "smurf");
    }

    #[test]
    fn benign_spellings() {
        for b in ["normal", "BENIGN", "Normal", "0", "Normal Traffic"] {
            assert!(is_benign(b), "{b}");
        }
        for a in ["neptune", "DDoS", "1", "Web Attack - XSS"] {
            assert!(!is_benign(a), "{a}");
        }
    }
}
