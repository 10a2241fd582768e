//! Any other CSV: roles from conventional names and from the values; core fields from common
//! spellings (`duration`, `bytes_sent`, `packet_count`, `packet_size_mean` …).

use crate::flows::schema::plan::{FormatSpec, SkipRule};
use crate::flows::schema::{CoreField, Format, MetaField, Role};

pub(crate) fn spec(has_header: bool) -> FormatSpec {
    let variant = if has_header {
        "with-header"
    } else {
        "headerless"
    };
    FormatSpec {
        format: Format::Csv,
        variant: variant.into(),
        role_of,
        core: CORE,
        skip: SkipRule::None,
    }
}

fn role_of(_n: &str) -> Option<(Role, Option<MetaField>)> {
    None
}

const CORE: &[(CoreField, &str, f64)] = &[
    (CoreField::Duration, "duration", 1.0),
    (CoreField::Duration, "dur", 1.0),
    (CoreField::Duration, "flow duration s", 1.0),
    (CoreField::FwdPackets, "fwd packets", 1.0),
    (CoreField::FwdPackets, "src packets", 1.0),
    (CoreField::FwdPackets, "spkts", 1.0),
    (CoreField::FwdPackets, "orig pkts", 1.0),
    (CoreField::FwdPackets, "packets sent", 1.0),
    (CoreField::FwdPackets, "sent packets", 1.0),
    (CoreField::FwdPackets, "in pkts", 1.0),
    (CoreField::BwdPackets, "bwd packets", 1.0),
    (CoreField::BwdPackets, "dst packets", 1.0),
    (CoreField::BwdPackets, "dpkts", 1.0),
    (CoreField::BwdPackets, "resp pkts", 1.0),
    (CoreField::BwdPackets, "packets received", 1.0),
    (CoreField::BwdPackets, "received packets", 1.0),
    (CoreField::BwdPackets, "out pkts", 1.0),
    (CoreField::FwdBytes, "bytes sent", 1.0),
    (CoreField::FwdBytes, "sent bytes", 1.0),
    (CoreField::FwdBytes, "src bytes", 1.0),
    (CoreField::FwdBytes, "sbytes", 1.0),
    (CoreField::FwdBytes, "orig bytes", 1.0),
    (CoreField::FwdBytes, "fwd bytes", 1.0),
    (CoreField::FwdBytes, "in bytes", 1.0),
    (CoreField::BwdBytes, "bytes received", 1.0),
    (CoreField::BwdBytes, "received bytes", 1.0),
    (CoreField::BwdBytes, "dst bytes", 1.0),
    (CoreField::BwdBytes, "dbytes", 1.0),
    (CoreField::BwdBytes, "resp bytes", 1.0),
    (CoreField::BwdBytes, "bwd bytes", 1.0),
    (CoreField::BwdBytes, "out bytes", 1.0),
    (CoreField::Packets, "packet count", 1.0),
    (CoreField::Packets, "packets", 1.0),
    (CoreField::Packets, "pkts", 1.0),
    (CoreField::Packets, "total packets", 1.0),
    (CoreField::Packets, "totpkts", 1.0),
    (CoreField::Bytes, "bytes", 1.0),
    (CoreField::Bytes, "byte count", 1.0),
    (CoreField::Bytes, "total bytes", 1.0),
    (CoreField::Bytes, "totbytes", 1.0),
    (CoreField::MeanPacketSize, "packet size mean", 1.0),
    (CoreField::MeanPacketSize, "mean packet size", 1.0),
    (CoreField::MeanPacketSize, "avg packet size", 1.0),
    (CoreField::MeanPacketSize, "average packet size", 1.0),
    (CoreField::MeanPacketSize, "packet size avg", 1.0),
    (CoreField::MeanPacketSize, "packet size", 1.0),
];
