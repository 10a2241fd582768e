//! Argus `ra -c ,` output: a header of Argus field labels (`StartTime,Dur,Proto,SrcAddr,…`),
//! management records (`man`) that are not flows, direction strings padded with spaces.

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) fn matches(norm: &[String]) -> bool {
    let has = |n: &str| norm.iter().any(|x| x == n);
    (has("srcaddr") || has("saddr")) && (has("dir") || has("starttime") || has("totpkts"))
}

pub(crate) fn spec() -> FormatSpec {
    FormatSpec {
        format: Format::Argus,
        variant: "ra-csv".into(),
        role_of,
        core: CORE,
        skip: SkipRule::ArgusMan,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    Some(match n {
        "starttime" | "stime" => (Role::Timestamp, None),
        "lasttime" | "ltime" => (Role::Ignored, None),
        "srcaddr" | "saddr" => (Role::Address, Some(MetaField::Src)),
        "dstaddr" | "daddr" => (Role::Address, Some(MetaField::Dst)),
        "sport" => (Role::Port, Some(MetaField::Sport)),
        "dport" => (Role::Port, Some(MetaField::Dport)),
        "proto" => (Role::Categorical, Some(MetaField::Proto)),
        "state" => (Role::Categorical, Some(MetaField::State)),
        "dir" | "flgs" => (Role::Categorical, None),
        "srcid" | "seq" | "srcmac" | "dstmac" | "smac" | "dmac" => (Role::Identifier, None),
        "label" => (Role::Label, None),
        _ => return None,
    })
}

const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "dur", 1.0),
    (CoreField::FwdPackets, "srcpkts", 1.0),
    (CoreField::FwdPackets, "spkts", 1.0),
    (CoreField::BwdPackets, "dstpkts", 1.0),
    (CoreField::BwdPackets, "dpkts", 1.0),
    (CoreField::FwdBytes, "srcbytes", 1.0),
    (CoreField::FwdBytes, "sbytes", 1.0),
    (CoreField::BwdBytes, "dstbytes", 1.0),
    (CoreField::BwdBytes, "dbytes", 1.0),
    (CoreField::Packets, "totpkts", 1.0),
    (CoreField::Bytes, "totbytes", 1.0),
];
