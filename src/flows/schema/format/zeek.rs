//! Zeek (and Bro) conn logs: TSV with `#separator`/`#fields`/`#types` headers (any separator
//! the header declares, `-` unset, `(empty)`, possibly no `#close` while the log is open, old
//! Bro column sets without `ip_proto`) and JSON lines with dotted keys.

use crate::flows::schema::delimited::parse_separator;
use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

/// conn.log fields in Zeek's order; JSON logs leave unset fields out, so a JSON schema is this
/// list plus any extra keys seen.
pub(crate) const CONN_FIELDS: [&str; 22] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "ip_proto",
];

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TsvHeader {
    pub sep: u8,
    pub path: Option<String>,
    pub fields: Vec<String>,
}

/// Reads the `#` directives at the top of a Zeek TSV log.
pub(crate) fn parse_tsv_header(lines: &[&[u8]]) -> Option<TsvHeader> {
    let mut sep = b'\t';
    let mut path = None;
    let mut fields = None;
    for line in lines {
        if line.first() != Some(&b'#') {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if let Some(rest) = text.strip_prefix("#separator") {
            sep = parse_separator(rest.trim_start_matches(' '))?;
        } else if let Some(rest) = text.strip_prefix("#path") {
            path = Some(rest.trim().to_string());
        } else if let Some(rest) = text.strip_prefix("#fields") {
            let rest = rest.strip_prefix(sep as char).unwrap_or(rest);
            fields = Some(
                rest.split(sep as char)
                    .map(|s| s.trim().to_string())
                    .collect(),
            );
        }
    }
    Some(TsvHeader {
        sep,
        path,
        fields: fields?,
    })
}

/// True when the fields are those of a conn log (not dns, http …).
pub(crate) fn is_conn(fields: &[String]) -> bool {
    let has = |n: &str| fields.iter().any(|f| f == n);
    has("id.orig_h") && (has("conn_state") || has("orig_bytes") || has("orig_pkts"))
}

pub(crate) fn spec(variant: &str) -> FormatSpec {
    FormatSpec {
        format: Format::ZeekConn,
        variant: variant.into(),
        role_of,
        core: CORE,
        skip: SkipRule::Zeek,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    Some(match n {
        "ts" => (Role::Timestamp, None),
        "uid" | "community id" | "orig l2 addr" | "resp l2 addr" | "vlan" | "inner vlan" => {
            (Role::Identifier, None)
        }
        "id orig h" => (Role::Address, Some(MetaField::Src)),
        "id resp h" => (Role::Address, Some(MetaField::Dst)),
        "id orig p" => (Role::Port, Some(MetaField::Sport)),
        "id resp p" => (Role::Port, Some(MetaField::Dport)),
        "proto" => (Role::Categorical, Some(MetaField::Proto)),
        "service" => (Role::Categorical, Some(MetaField::Service)),
        "conn state" => (Role::Categorical, Some(MetaField::State)),
        "history" | "ip proto" | "orig cc" | "resp cc" => (Role::Categorical, None),
        "tunnel parents" => (Role::Ignored, None),
        "duration" | "orig bytes" | "resp bytes" | "missed bytes" | "orig pkts"
        | "orig ip bytes" | "resp pkts" | "resp ip bytes" | "local orig" | "local resp" => {
            (Role::Numeric, None)
        }
        _ => return None,
    })
}

/// `orig_bytes`/`resp_bytes` count payload; the IP byte counts include headers and make the
/// mean packet size comparable with other formats, so totals come from them.
const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "duration", 1.0),
    (CoreField::FwdPackets, "orig pkts", 1.0),
    (CoreField::BwdPackets, "resp pkts", 1.0),
    (CoreField::FwdBytes, "orig ip bytes", 1.0),
    (CoreField::FwdBytes, "orig bytes", 1.0),
    (CoreField::BwdBytes, "resp ip bytes", 1.0),
    (CoreField::BwdBytes, "resp bytes", 1.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directives() {
        let lines: Vec<&[u8]> = vec![
            b"#separator \\x09",
            b"#set_separator\t,",
            b"#path\tconn",
            b"#fields\tts\tuid\tid.orig_h",
            b"#types\ttime\tstring\taddr",
            b"1.0\tC1\t10.0.0.1",
        ];
        let h = parse_tsv_header(&lines).expect("header");
        assert_eq!(h.sep, b'\t');
        assert_eq!(h.path.as_deref(), Some("conn"));
        assert_eq!(h.fields, vec!["ts", "uid", "id.orig_h"]);
    }

    #[test]
    fn other_separators() {
        let lines: Vec<&[u8]> = vec![b"#separator \\x2c", b"#fields,ts,uid"];
        let h = parse_tsv_header(&lines).expect("header");
        assert_eq!((h.sep, h.fields.len()), (b',', 2));
    }
}
