//! `nfdump -o csv`: one row per unidirectional flow with short column names (`ts,te,td,sa,…`),
//! local-time `YYYY-MM-DD HH:MM:SS` stamps (read as UTC: the file does not say its zone),
//! space-padded latency columns, and a blank line plus a `Summary` block after the flows.

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) fn matches(norm: &[String]) -> bool {
    let has = |n: &str| norm.iter().any(|x| x == n);
    has("ts") && has("te") && has("td") && has("sa") && has("da") && (has("ipkt") || has("ibyt"))
}

pub(crate) fn spec() -> FormatSpec {
    FormatSpec {
        format: Format::Nfdump,
        variant: "csv".into(),
        role_of,
        core: CORE,
        skip: SkipRule::NfdumpSummary,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    if n.starts_with("mpls") {
        return Some((Role::Ignored, None));
    }
    Some(match n {
        "ts" => (Role::Timestamp, None),
        "te" | "tr" => (Role::Ignored, None),
        "sa" => (Role::Address, Some(MetaField::Src)),
        "da" => (Role::Address, Some(MetaField::Dst)),
        "sp" => (Role::Port, Some(MetaField::Sport)),
        "dp" => (Role::Port, Some(MetaField::Dport)),
        "pr" => (Role::Categorical, Some(MetaField::Proto)),
        "flg" => (Role::Categorical, Some(MetaField::State)),
        "nh" | "nhb" | "ra" => (Role::Address, None),
        "ismc" | "odmc" | "idmc" | "osmc" | "eng" | "exid" | "sas" | "das" | "in" | "out" => {
            (Role::Identifier, None)
        }
        "td" | "fwd" | "stos" | "dtos" | "ipkt" | "ibyt" | "opkt" | "obyt" | "smk" | "dmk"
        | "dir" | "svln" | "dvln" | "cl" | "sl" | "al" => (Role::Numeric, None),
        _ => return None,
    })
}

const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "td", 1.0),
    (CoreField::FwdPackets, "ipkt", 1.0),
    (CoreField::BwdPackets, "opkt", 1.0),
    (CoreField::FwdBytes, "ibyt", 1.0),
    (CoreField::BwdBytes, "obyt", 1.0),
];
