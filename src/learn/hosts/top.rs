//! Top-N statistics in the manner of `nfdump -s`: the sources, destinations, ports,
//! protocols, services or conversations with the most flows, bytes or packets.
//!
//! Memory is bounded whatever the input (a scan of the whole IPv4 space is 4 billion keys):
//! at most `2 × capacity` keys are counted at once. When that many are held, the `capacity`
//! heaviest (by the ordering measure) are kept and the rest folded into "others"; a key seen
//! again after being folded starts from zero with the largest folded weight as its possible
//! undercount (`uncertain`), as in Space-Saving. While fewer keys than that have been seen,
//! every figure is exact.

use std::collections::HashMap;

use serde::Serialize;

use crate::flows::schema::{FlowRecord, Text};

/// What a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopBy {
    Src,
    Dst,
    Dport,
    /// Source and destination address: a conversation.
    Pair,
    Proto,
    Service,
}

impl TopBy {
    pub const ALL: [TopBy; 6] = [
        TopBy::Src,
        TopBy::Dst,
        TopBy::Dport,
        TopBy::Pair,
        TopBy::Proto,
        TopBy::Service,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TopBy::Src => "src",
            TopBy::Dst => "dst",
            TopBy::Dport => "dport",
            TopBy::Pair => "pair",
            TopBy::Proto => "proto",
            TopBy::Service => "service",
        }
    }

    /// What the rows are, in a sentence: "sources", "conversations" …
    pub fn plural(self) -> &'static str {
        match self {
            TopBy::Src => "sources",
            TopBy::Dst => "destinations",
            TopBy::Dport => "destination ports",
            TopBy::Pair => "conversations",
            TopBy::Proto => "protocols",
            TopBy::Service => "services",
        }
    }
}

/// The measure rows are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopOrder {
    Flows,
    Bytes,
    Packets,
}

impl TopOrder {
    pub fn name(self) -> &'static str {
        match self {
            TopOrder::Flows => "flows",
            TopOrder::Bytes => "bytes",
            TopOrder::Packets => "packets",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    One(Text),
    Port(u16),
    Pair(Text, Text),
}

/// Flows, bytes and packets of one key (or of many, for totals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Volume {
    pub flows: u64,
    pub bytes: f64,
    pub packets: f64,
}

impl Volume {
    fn add(&mut self, other: &Volume) {
        self.flows += other.flows;
        self.bytes += other.bytes;
        self.packets += other.packets;
    }

    fn of(flow: &FlowRecord) -> Volume {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 0.0).unwrap_or(0.0);
        Volume {
            flows: 1,
            bytes: finite(flow.core.bytes_seen()),
            packets: finite(flow.core.packets_seen()),
        }
    }

    fn measure(&self, order: TopOrder) -> f64 {
        match order {
            TopOrder::Flows => self.flows as f64,
            TopOrder::Bytes => self.bytes,
            TopOrder::Packets => self.packets,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    volume: Volume,
    /// The most this key may have had before it was (re)admitted (0 while exact).
    uncertain: f64,
}

impl Counter {
    /// What the key may have at most: keys are ranked and kept by this, so one folded early
    /// and seen again comes back above the keys seen once (Space-Saving's estimate).
    fn estimate(&self, order: TopOrder) -> f64 {
        self.volume.measure(order) + self.uncertain
    }
}

/// One row of the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub flows: u64,
    pub bytes: f64,
    pub packets: f64,
    /// How much of the ordering measure this row may be missing (0 = exact).
    pub uncertain: f64,
}

/// The answer: the top rows, what the rest add up to, and how exact it is.
#[derive(Debug, Clone, Serialize)]
pub struct TopReport {
    pub by: TopBy,
    pub order: TopOrder,
    pub rows: Vec<TopRow>,
    /// Every flow counted, with and without the field.
    pub total: Volume,
    /// Flows that do not carry the field (no address, no port …).
    pub without_field: u64,
    /// Distinct keys seen (exact while nothing was folded; after a fold a key seen again is
    /// counted again, so an upper bound).
    pub distinct: u64,
    /// Keys folded into "others" to bound memory (0 = every figure exact).
    pub folded: u64,
    /// Everything not in `rows`.
    pub others: Volume,
}

/// Counts flows by one key with bounded memory (see the module comment).
pub struct TopCounter {
    by: TopBy,
    order: TopOrder,
    capacity: usize,
    counters: HashMap<Key, Counter>,
    /// The largest weight folded so far: a key admitted later may have had this much before.
    floor: f64,
    total: Volume,
    folded_volume: Volume,
    without_field: u64,
    distinct: u64,
    folded: u64,
}

/// Keys kept after a fold; up to twice as many are counted between folds.
pub const DEFAULT_CAPACITY: usize = 50_000;

impl TopCounter {
    pub fn new(by: TopBy, order: TopOrder, capacity: usize) -> TopCounter {
        TopCounter {
            by,
            order,
            capacity: capacity.max(1),
            counters: HashMap::new(),
            floor: 0.0,
            total: Volume::default(),
            folded_volume: Volume::default(),
            without_field: 0,
            distinct: 0,
            folded: 0,
        }
    }

    fn key(&self, flow: &FlowRecord) -> Option<Key> {
        let m = &flow.meta;
        match self.by {
            TopBy::Src => m.src.clone().map(Key::One),
            TopBy::Dst => m.dst.clone().map(Key::One),
            TopBy::Dport => m.dport.map(Key::Port),
            TopBy::Pair => Some(Key::Pair(m.src.clone()?, m.dst.clone()?)),
            TopBy::Proto => m.proto.clone().map(Key::One),
            TopBy::Service => m.service.clone().map(Key::One),
        }
    }

    pub fn add(&mut self, flow: &FlowRecord) {
        let v = Volume::of(flow);
        self.total.add(&v);
        let Some(key) = self.key(flow) else {
            self.without_field += 1;
            return;
        };
        let floor = self.floor;
        let c = self.counters.entry(key).or_insert_with(|| Counter {
            volume: Volume::default(),
            uncertain: floor,
        });
        if c.volume.flows == 0 {
            self.distinct += 1;
        }
        c.volume.add(&v);
        if self.counters.len() >= 2 * self.capacity {
            self.fold();
        }
    }

    /// Keeps the `capacity` heaviest keys; the others go to "others".
    fn fold(&mut self) {
        let order = self.order;
        let mut all: Vec<(Key, Counter)> = self.counters.drain().collect();
        let keep = self.capacity.min(all.len());
        all.select_nth_unstable_by(keep.saturating_sub(1), |a, b| {
            b.1.estimate(order).total_cmp(&a.1.estimate(order))
        });
        for (_, c) in all.drain(keep..) {
            self.floor = self.floor.max(c.estimate(order));
            self.folded_volume.add(&c.volume);
            self.folded += 1;
        }
        self.counters.extend(all);
    }

    /// The `n` heaviest rows and the totals.
    pub fn report(&self, n: usize) -> TopReport {
        let order = self.order;
        let mut all: Vec<(&Key, &Counter)> = self.counters.iter().collect();
        all.sort_by(|a, b| {
            b.1.estimate(order)
                .total_cmp(&a.1.estimate(order))
                .then_with(|| b.1.volume.flows.cmp(&a.1.volume.flows))
        });
        let mut others = self.folded_volume;
        for (_, c) in all.iter().skip(n) {
            others.add(&c.volume);
        }
        let rows = all.iter().take(n).map(|(k, c)| self.row(k, c)).collect();
        TopReport {
            by: self.by,
            order,
            rows,
            total: self.total,
            without_field: self.without_field,
            distinct: self.distinct,
            folded: self.folded,
            others,
        }
    }

    fn row(&self, key: &Key, c: &Counter) -> TopRow {
        let mut row = TopRow {
            src: None,
            dst: None,
            dport: None,
            proto: None,
            service: None,
            flows: c.volume.flows,
            bytes: c.volume.bytes,
            packets: c.volume.packets,
            uncertain: c.uncertain,
        };
        match (self.by, key) {
            (TopBy::Src, Key::One(t)) => row.src = Some(t.to_string()),
            (TopBy::Dst, Key::One(t)) => row.dst = Some(t.to_string()),
            (TopBy::Proto, Key::One(t)) => row.proto = Some(t.to_string()),
            (TopBy::Service, Key::One(t)) => row.service = Some(t.to_string()),
            (_, Key::Port(p)) => row.dport = Some(*p),
            (_, Key::Pair(s, d)) => {
                row.src = Some(s.to_string());
                row.dst = Some(d.to_string());
            }
            _ => {}
        }
        row
    }
}

impl TopRow {
    /// The key as the text table shows it: `10.0.0.1`, `443`, `10.0.0.1 → 10.0.0.2`.
    pub fn key_text(&self) -> String {
        match (&self.src, &self.dst) {
            (Some(s), Some(d)) => format!("{s} → {d}"),
            (Some(s), None) => s.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => self
                .dport
                .map(|p| p.to_string())
                .or_else(|| self.proto.clone())
                .or_else(|| self.service.clone())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests;
