//! Flow features computed from the canonical core fields: they describe the shape of a
//! conversation (who sends, how fast, in what packet sizes) whatever the format called it.

use serde::{Deserialize, Serialize};

use crate::flows::schema::{CoreField, CoreFields, Schema};

/// Durations below this are treated as this long when computing rates (single-packet flows
/// have duration 0).
const MIN_DURATION_S: f64 = 1e-3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Derived {
    /// (fwd − bwd) / (fwd + bwd) bytes, in [−1, 1].
    ByteAsymmetry,
    PacketAsymmetry,
    BytesPerPacket,
    ByteRate,
    PacketRate,
}

impl Derived {
    pub const ALL: [Derived; 5] = [
        Derived::ByteAsymmetry,
        Derived::PacketAsymmetry,
        Derived::BytesPerPacket,
        Derived::ByteRate,
        Derived::PacketRate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Derived::ByteAsymmetry => "byte-asymmetry",
            Derived::PacketAsymmetry => "packet-asymmetry",
            Derived::BytesPerPacket => "bytes-per-packet",
            Derived::ByteRate => "byte-rate",
            Derived::PacketRate => "packet-rate",
        }
    }

    fn needs(self) -> &'static [CoreField] {
        use CoreField::*;
        match self {
            Derived::ByteAsymmetry => &[FwdBytes, BwdBytes],
            Derived::PacketAsymmetry => &[FwdPackets, BwdPackets],
            Derived::BytesPerPacket => &[MeanPacketSize],
            Derived::ByteRate => &[Bytes, Duration],
            Derived::PacketRate => &[Packets, Duration],
        }
    }

    /// The derived features whose core fields the schema supplies (totals and the mean packet
    /// size also count when they can be completed from both directions).
    pub fn available(schema: &Schema) -> Vec<Derived> {
        let has = |f: CoreField| {
            let direct = schema.columns.iter().any(|c| c.core == Some(f));
            let both = |a, b| has_direct(schema, a) && has_direct(schema, b);
            direct
                || match f {
                    CoreField::Packets => both(CoreField::FwdPackets, CoreField::BwdPackets),
                    CoreField::Bytes => both(CoreField::FwdBytes, CoreField::BwdBytes),
                    CoreField::MeanPacketSize => {
                        (has_direct(schema, CoreField::Bytes)
                            || both(CoreField::FwdBytes, CoreField::BwdBytes))
                            && (has_direct(schema, CoreField::Packets)
                                || both(CoreField::FwdPackets, CoreField::BwdPackets))
                    }
                    _ => false,
                }
        };
        Derived::ALL
            .into_iter()
            .filter(|d| d.needs().iter().all(|&f| has(f)))
            .collect()
    }

    /// NaN where an input is missing (the pipeline imputes it).
    pub fn compute(self, c: &CoreFields) -> f64 {
        let asym = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b) / (a + b).max(1.0),
            _ => f64::NAN,
        };
        let rate = |v: Option<f64>| match (v, c.duration) {
            (Some(v), Some(d)) => v / d.max(MIN_DURATION_S),
            _ => f64::NAN,
        };
        match self {
            Derived::ByteAsymmetry => asym(c.fwd_bytes, c.bwd_bytes),
            Derived::PacketAsymmetry => asym(c.fwd_packets, c.bwd_packets),
            Derived::BytesPerPacket => c.mean_packet_size.unwrap_or(f64::NAN),
            Derived::ByteRate => rate(c.bytes),
            Derived::PacketRate => rate(c.packets),
        }
    }
}

fn has_direct(schema: &Schema, f: CoreField) -> bool {
    schema.columns.iter().any(|c| c.core == Some(f))
}
