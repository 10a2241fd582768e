//! Column-name matching: names are compared after lower-casing and turning `.`, `_`, `-` and
//! runs of spaces into one space, so `Flow.Duration`, ` Flow Duration` and `flow_duration`
//! are the same column.

pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.trim().chars() {
        let c = match ch {
            '.' | '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Header cells as they should be displayed: trimmed, and duplicates made unique the way
/// pandas does it (`Fwd Header Length`, `Fwd Header Length.1`), so every column has a name.
pub fn display_names(raw: &[String]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            let base = r.trim().trim_start_matches('\u{feff}').to_string();
            let base = if base.is_empty() {
                format!("col{}", i + 1)
            } else {
                base
            };
            let n = seen.entry(base.clone()).or_insert(0);
            let name = if *n == 0 {
                base.clone()
            } else {
                format!("{base}.{n}")
            };
            *n += 1;
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_meet() {
        assert_eq!(normalize(" Flow Duration"), "flow duration");
        assert_eq!(normalize("Flow.Duration"), "flow duration");
        assert_eq!(normalize("flow_duration"), "flow duration");
        assert_eq!(normalize("id.orig_h"), "id orig h");
        assert_eq!(normalize("Flow Bytes/s"), "flow bytes/s");
    }

    #[test]
    fn duplicates_get_suffixes() {
        let raw: Vec<String> = [" Fwd Header Length", "x", " Fwd Header Length", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            display_names(&raw),
            vec!["Fwd Header Length", "x", "Fwd Header Length.1", "col4"]
        );
    }
}
