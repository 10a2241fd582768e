//! `CICFlowMeter` output: CIC-IDS2017 `MachineLearningCVE` (79 columns, leading spaces, a
//! duplicated `Fwd Header Length`), `TrafficLabelling` (with Flow ID, addresses, Timestamp), the
//! widely shared "cleaned" 53-column table with `Attack Type`, CSE-CIC-IDS2018's abbreviated
//! names (`Tot Fwd Pkts`), and Unicauca's 87-attribute layout (`Flow.Duration`, `L7Protocol`).

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) fn matches(norm: &[String]) -> bool {
    let has = |n: &str| norm.iter().any(|x| x == n);
    has("flow duration")
        && (has("total fwd packets") || has("tot fwd pkts") || has("flow iat mean"))
}

pub(crate) fn spec(norm: &[String]) -> FormatSpec {
    let has = |n: &str| norm.iter().any(|x| x == n);
    let variant = if has("l7protocol") || has("protocolname") {
        "unicauca"
    } else if has("attack type") {
        "cleaned"
    } else if has("tot fwd pkts") {
        "cse-cic-ids2018"
    } else if has("flow id") || has("timestamp") {
        "traffic-labelling"
    } else {
        "machine-learning-cve"
    };
    FormatSpec {
        format: Format::Cicflowmeter,
        variant: variant.into(),
        role_of,
        core: CORE,
        skip: SkipRule::None,
    }
}

fn role_of(n: &str) -> Option<(Role, Option<MetaField>)> {
    Some(match n {
        "flow id" => (Role::Identifier, None),
        "source ip" | "src ip" => (Role::Address, Some(MetaField::Src)),
        "destination ip" | "dst ip" => (Role::Address, Some(MetaField::Dst)),
        "source port" | "src port" => (Role::Port, Some(MetaField::Sport)),
        "destination port" | "dst port" => (Role::Port, Some(MetaField::Dport)),
        "protocol" => (Role::Categorical, Some(MetaField::Proto)),
        "timestamp" => (Role::Timestamp, None),
        "label" | "attack type" => (Role::Label, None),
        // Unicauca's application labels come from deep packet inspection: ground truth, not features.
        "l7protocol" | "protocolname" => (Role::LabelDetail, None),
        _ => (Role::Numeric, None),
    })
}

/// Flow Duration is in microseconds.
const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "flow duration", 1e-6),
    (CoreField::FwdPackets, "total fwd packets", 1.0),
    (CoreField::FwdPackets, "tot fwd pkts", 1.0),
    (CoreField::FwdPackets, "subflow fwd packets", 1.0),
    (CoreField::BwdPackets, "total backward packets", 1.0),
    (CoreField::BwdPackets, "tot bwd pkts", 1.0),
    (CoreField::BwdPackets, "subflow bwd packets", 1.0),
    (CoreField::FwdBytes, "total length of fwd packets", 1.0),
    (CoreField::FwdBytes, "totlen fwd pkts", 1.0),
    (CoreField::FwdBytes, "subflow fwd bytes", 1.0),
    (CoreField::BwdBytes, "total length of bwd packets", 1.0),
    (CoreField::BwdBytes, "totlen bwd pkts", 1.0),
    (CoreField::BwdBytes, "subflow bwd bytes", 1.0),
    (CoreField::MeanPacketSize, "average packet size", 1.0),
    (CoreField::MeanPacketSize, "pkt size avg", 1.0),
    (CoreField::MeanPacketSize, "packet length mean", 1.0),
];
