//! UNSW-NB15: the 45-column training/testing CSV (`id,dur,proto,…,attack_cat,label`) and the
//! raw 49-column Argus/Bro CSV (`UNSW-NB15_1.csv` …), which has no header, may start with a
//! byte-order mark, writes some ports in hex and pads attack categories with spaces.

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) const RAW_NAMES: [&str; 49] = [
    "srcip",
    "sport",
    "dstip",
    "dsport",
    "proto",
    "state",
    "dur",
    "sbytes",
    "dbytes",
    "sttl",
    "dttl",
    "sloss",
    "dloss",
    "service",
    "Sload",
    "Dload",
    "Spkts",
    "Dpkts",
    "swin",
    "dwin",
    "stcpb",
    "dtcpb",
    "smeansz",
    "dmeansz",
    "trans_depth",
    "res_bdy_len",
    "Sjit",
    "Djit",
    "Stime",
    "Ltime",
    "Sintpkt",
    "Dintpkt",
    "tcprtt",
    "synack",
    "ackdat",
    "is_sm_ips_ports",
    "ct_state_ttl",
    "ct_flw_http_mthd",
    "is_ftp_login",
    "ct_ftp_cmd",
    "ct_srv_src",
    "ct_srv_dst",
    "ct_dst_ltm",
    "ct_src_ltm",
    "ct_src_dport_ltm",
    "ct_dst_sport_ltm",
    "ct_dst_src_ltm",
    "attack_cat",
    "Label",
];

pub(crate) fn matches_header(norm: &[String]) -> bool {
    let has = |n: &str| norm.iter().any(|x| x == n);
    has("sbytes") && has("dbytes") && (has("sttl") || has("attack cat")) && has("dur")
}

fn looks_like_ip(s: &str) -> bool {
    s.trim().parse::<std::net::IpAddr>().is_ok()
}

/// A headerless raw row: 49 fields, addresses in columns 1 and 3.
pub(crate) fn matches_raw_row(fields: &[String]) -> bool {
    fields.len() == 49 && looks_like_ip(&fields[0]) && looks_like_ip(&fields[2])
}

pub(crate) fn raw_names() -> Vec<String> {
    RAW_NAMES.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn spec(norm: &[String], has_header: bool) -> FormatSpec {
    let raw = norm.iter().any(|n| n == "srcip");
    let variant = match (raw, has_header) {
        (true, false) => "raw-49",
        (true, true) => "raw-with-header",
        _ => "train-test-45",
    };
    FormatSpec {
        format: Format::UnswNb15,
        variant: variant.into(),
        role_of,
        core: CORE,
        skip: SkipRule::None,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    Some(match n {
        "id" => (Role::Identifier, None),
        "srcip" => (Role::Address, Some(MetaField::Src)),
        "dstip" => (Role::Address, Some(MetaField::Dst)),
        "sport" => (Role::Port, Some(MetaField::Sport)),
        "dsport" => (Role::Port, Some(MetaField::Dport)),
        "proto" => (Role::Categorical, Some(MetaField::Proto)),
        "service" => (Role::Categorical, Some(MetaField::Service)),
        "state" => (Role::Categorical, Some(MetaField::State)),
        "stime" => (Role::Timestamp, None),
        "ltime" => (Role::Ignored, None),
        "attack cat" | "label" => (Role::Label, None),
        _ => (Role::Numeric, None),
    })
}

const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "dur", 1.0),
    (CoreField::FwdPackets, "spkts", 1.0),
    (CoreField::BwdPackets, "dpkts", 1.0),
    (CoreField::FwdBytes, "sbytes", 1.0),
    (CoreField::BwdBytes, "dbytes", 1.0),
];
