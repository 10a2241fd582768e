use super::Text;

use serde::Serialize;

/// One flow, whatever format it came from. Feature values follow the schema's column order
/// (`Schema::numeric` / `Schema::categorical`); the canonical core fields and the connection
/// metadata are filled in where the format has them, so later stages never look at format names.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    /// 1-based physical line in its file.
    pub line: u64,
    /// Seconds since the Unix epoch.
    pub ts: Option<f64>,
    /// Numeric features; NaN where the cell was empty or unset, ±inf kept as written.
    pub values: Vec<f64>,
    /// Categorical features; `None` where unset.
    pub categories: Categories,
    pub core: CoreFields,
    /// Core fields whose value no flow can carry (bit `CoreField::index`): dropped from `core`
    /// and from the features, counted by the reader.
    pub suspect: u8,
    pub meta: FlowMeta,
    pub label: Option<Label>,
}

/// A record's categorical cells, inline up to five (every built-in format has at most five),
/// so a record is one allocation, not two.
pub type Categories = smallvec::SmallVec<[Option<Text>; 5]>;

/// The fields every detector explanation, threat heuristic and query form relies on, in
/// canonical units: seconds, packets and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoreFields {
    pub duration: Option<f64>,
    pub fwd_packets: Option<f64>,
    pub bwd_packets: Option<f64>,
    pub fwd_bytes: Option<f64>,
    pub bwd_bytes: Option<f64>,
    pub packets: Option<f64>,
    pub bytes: Option<f64>,
    pub mean_packet_size: Option<f64>,
}

/// Who talked to whom, where the format says. Strings are shared among records (see
/// `schema::intern`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlowMeta {
    pub src: Option<Text>,
    pub dst: Option<Text>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// Lower-case protocol name (`tcp`, `udp`, `icmp` …); numbers are translated.
    pub proto: Option<Text>,
    pub service: Option<Text>,
    /// Connection state as the format writes it (Zeek `conn_state`, Argus `State`, KDD `flag`).
    pub state: Option<Text>,
}

/// Ground truth, normalised: benign or attack, plus the class name as the data set spells it
/// (cleaned of stray bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub attack: bool,
    pub class: Text,
}

/// The core fields by name, for column maps and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoreField {
    Duration,
    FwdPackets,
    BwdPackets,
    FwdBytes,
    BwdBytes,
    Packets,
    Bytes,
    MeanPacketSize,
}

impl CoreField {
    pub const ALL: [CoreField; 8] = [
        CoreField::Duration,
        CoreField::FwdPackets,
        CoreField::BwdPackets,
        CoreField::FwdBytes,
        CoreField::BwdBytes,
        CoreField::Packets,
        CoreField::Bytes,
        CoreField::MeanPacketSize,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CoreField::Duration => "duration",
            CoreField::FwdPackets => "fwd-packets",
            CoreField::BwdPackets => "bwd-packets",
            CoreField::FwdBytes => "fwd-bytes",
            CoreField::BwdBytes => "bwd-bytes",
            CoreField::Packets => "packets",
            CoreField::Bytes => "bytes",
            CoreField::MeanPacketSize => "mean-packet-size",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// A value a flow can carry in this field's canonical unit: not negative, a duration
    /// under a year, counts below what an unsigned counter wrapping around produces (2^53 and
    /// up; no flow moves a petabyte or a trillion packets).
    pub fn plausible(self, v: f64) -> bool {
        const YEAR_S: f64 = 365.0 * 86_400.0;
        if v.is_nan() || v < 0.0 {
            return false;
        }
        match self {
            CoreField::Duration => v <= YEAR_S,
            CoreField::FwdPackets | CoreField::BwdPackets | CoreField::Packets => v < 1e12,
            CoreField::FwdBytes | CoreField::BwdBytes | CoreField::Bytes => v < 1e15,
            CoreField::MeanPacketSize => v < 1e7,
        }
    }
}

impl CoreFields {
    /// Bytes as far as the record tells: the total, else the directions it has (one-way
    /// records such as nfdump's carry one).
    pub fn bytes_seen(&self) -> Option<f64> {
        self.bytes
            .or_else(|| either(self.fwd_bytes, self.bwd_bytes))
    }

    /// Packets as `bytes_seen` counts bytes.
    pub fn packets_seen(&self) -> Option<f64> {
        self.packets
            .or_else(|| either(self.fwd_packets, self.bwd_packets))
    }

    /// Fills totals and the mean packet size from what was given, without inventing data:
    /// totals need both directions, the mean needs bytes and a non-zero packet count.
    pub fn complete(mut self) -> Self {
        let sum = |a: Option<f64>, b: Option<f64>| Some(a? + b?);
        if self.packets.is_none() {
            self.packets = sum(self.fwd_packets, self.bwd_packets);
        }
        if self.bytes.is_none() {
            self.bytes = sum(self.fwd_bytes, self.bwd_bytes);
        }
        if self.mean_packet_size.is_none()
            && let (Some(b), Some(p)) = (self.bytes, self.packets)
            && p > 0.0
        {
            self.mean_packet_size = Some(b / p);
        }
        self
    }

    pub fn set(&mut self, field: CoreField, v: f64) {
        let slot = match field {
            CoreField::Duration => &mut self.duration,
            CoreField::FwdPackets => &mut self.fwd_packets,
            CoreField::BwdPackets => &mut self.bwd_packets,
            CoreField::FwdBytes => &mut self.fwd_bytes,
            CoreField::BwdBytes => &mut self.bwd_bytes,
            CoreField::Packets => &mut self.packets,
            CoreField::Bytes => &mut self.bytes,
            CoreField::MeanPacketSize => &mut self.mean_packet_size,
        };
        *slot = Some(v);
    }
}

/// The sum of the directions given; `None` when neither is.
fn either(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_no_flow_can_carry_are_not_plausible() {
        use CoreField::*;
        for (field, v) in [
            (Duration, -1.0),
            (Duration, 18_446_744_073_709_540.0),
            (Duration, 400.0 * 86_400.0),
            (FwdBytes, 1.8e19),
            (BwdPackets, 4.3e12),
            (Bytes, f64::NAN),
        ] {
            assert!(!field.plausible(v), "{field:?} {v}");
        }
        for (field, v) in [
            (Duration, 0.0),
            (Duration, 86_400.0),
            (FwdBytes, 5e12),
            (Packets, 1e9),
        ] {
            assert!(field.plausible(v), "{field:?} {v}");
        }
    }

    #[test]
    fn totals_and_mean_are_derived_only_from_complete_data() {
        let c = CoreFields {
            fwd_packets: Some(3.0),
            bwd_packets: Some(1.0),
            fwd_bytes: Some(300.0),
            bwd_bytes: Some(100.0),
            ..Default::default()
        }
        .complete();
        assert_eq!(
            (c.packets, c.bytes, c.mean_packet_size),
            (Some(4.0), Some(400.0), Some(100.0))
        );
        let half = CoreFields {
            fwd_packets: Some(3.0),
            fwd_bytes: Some(10.0),
            ..Default::default()
        }
        .complete();
        assert_eq!((half.packets, half.mean_packet_size), (None, None));
        let zero = CoreFields {
            packets: Some(0.0),
            bytes: Some(0.0),
            ..Default::default()
        }
        .complete();
        assert_eq!(zero.mean_packet_size, None);
    }
}
