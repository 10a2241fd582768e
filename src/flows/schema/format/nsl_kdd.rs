//! NSL-KDD (and KDD Cup '99): 41 connection features, the label, and NSL-KDD's difficulty
//! score; shipped with or without a header row. KDD'99 labels end in a dot (`smurf.`).

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) const NAMES: [&str; 43] = [
    "duration",
    "protocol_type",
    "service",
    "flag",
    "src_bytes",
    "dst_bytes",
    "land",
    "wrong_fragment",
    "urgent",
    "hot",
    "num_failed_logins",
    "logged_in",
    "num_compromised",
    "root_shell",
    "su_attempted",
    "num_root",
    "num_file_creations",
    "num_shells",
    "num_access_files",
    "num_outbound_cmds",
    "is_host_login",
    "is_guest_login",
    "count",
    "srv_count",
    "serror_rate",
    "srv_serror_rate",
    "rerror_rate",
    "srv_rerror_rate",
    "same_srv_rate",
    "diff_srv_rate",
    "srv_diff_host_rate",
    "dst_host_count",
    "dst_host_srv_count",
    "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate",
    "dst_host_serror_rate",
    "dst_host_srv_serror_rate",
    "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate",
    "label",
    "difficulty",
];

const FLAGS: [&str; 11] = [
    "SF", "S0", "S1", "S2", "S3", "REJ", "RSTO", "RSTR", "RSTOS0", "SH", "OTH",
];

pub(crate) fn matches_header(norm: &[String]) -> bool {
    let has = |n: &str| norm.iter().any(|x| x == n);
    has("protocol type") && has("src bytes") && has("dst bytes") && has("flag")
}

/// A headerless row: 42 (KDD'99) or 43 (NSL-KDD) fields, protocol, service and TCP flag in
/// columns 2–4.
pub(crate) fn matches_row(fields: &[String]) -> bool {
    (fields.len() == 42 || fields.len() == 43)
        && matches!(fields[1].as_str(), "tcp" | "udp" | "icmp")
        && FLAGS.contains(&fields[3].as_str())
        && fields[0].parse::<f64>().is_ok()
}

pub(crate) fn names_for(n_fields: usize) -> Vec<String> {
    NAMES.iter().take(n_fields).map(|s| s.to_string()).collect()
}

pub(crate) fn spec(has_header: bool) -> FormatSpec {
    let variant = if has_header {
        "with-header"
    } else {
        "headerless"
    };
    FormatSpec {
        format: Format::NslKdd,
        variant: variant.into(),
        role_of,
        core: CORE,
        skip: SkipRule::None,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    Some(match n {
        "protocol type" => (Role::Categorical, Some(MetaField::Proto)),
        "service" => (Role::Categorical, Some(MetaField::Service)),
        "flag" => (Role::Categorical, Some(MetaField::State)),
        "label" | "class" | "attack" => (Role::Label, None),
        "difficulty" | "difficulty level" => (Role::LabelDetail, None),
        _ => (Role::Numeric, None),
    })
}

const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "duration", 1.0),
    (CoreField::FwdBytes, "src bytes", 1.0),
    (CoreField::BwdBytes, "dst bytes", 1.0),
];
