//! Bucketed live series (flows, bytes, packets, distinct sources and destinations, anomalies)
//! in a ring of fixed length. Rows that arrive late (Zeek stamps a connection with its start
//! and writes it when it ends) land in their own bucket while it is open: a bucket closes once
//! the newest flow time is `lateness` past its end. Only closed buckets are forecast and
//! checked for volume events; rows whose bucket has closed or left the ring are counted.

use std::collections::VecDeque;

use serde::Serialize;

use super::distinct::Distinct;
use super::snapshot::Bucket;
use crate::flows::schema::FlowRecord;

/// Buckets of history a forecast needs before it is fitted.
pub const MIN_FORECAST_BUCKETS: usize = 30;

/// Default lateness window, seconds of flow time: Zeek's UDP inactivity timeout, so most
/// connections are written before their bucket closes.
pub const DEFAULT_LATENESS_S: f64 = 60.0;

/// The series every bucket carries, in the order of `Forecasts` and the pane's switcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Flows,
    Bytes,
    Packets,
    Sources,
    Destinations,
    Anomalies,
}

impl SeriesKind {
    pub const ALL: [SeriesKind; 6] = [
        SeriesKind::Flows,
        SeriesKind::Bytes,
        SeriesKind::Packets,
        SeriesKind::Sources,
        SeriesKind::Destinations,
        SeriesKind::Anomalies,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SeriesKind::Flows => "flows",
            SeriesKind::Bytes => "bytes",
            SeriesKind::Packets => "packets",
            SeriesKind::Sources => "sources",
            SeriesKind::Destinations => "destinations",
            SeriesKind::Anomalies => "anomalies",
        }
    }

    /// The traffic itself: every series but the detectors' own anomaly counts. Volume events,
    /// the volume vote and the sequence detector look at these.
    pub const TRAFFIC: [SeriesKind; 5] = [
        SeriesKind::Flows,
        SeriesKind::Bytes,
        SeriesKind::Packets,
        SeriesKind::Sources,
        SeriesKind::Destinations,
    ];

    pub fn parse(s: &str) -> Option<SeriesKind> {
        SeriesKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn of(self, b: &Bucket) -> f64 {
        match self {
            SeriesKind::Flows => b.flows as f64,
            SeriesKind::Bytes => b.bytes,
            SeriesKind::Packets => b.packets,
            SeriesKind::Sources => f64::from(b.sources),
            SeriesKind::Destinations => f64::from(b.destinations),
            SeriesKind::Anomalies => b.anomalies as f64,
        }
    }

    /// Why the series is empty for flows of this format, if it is.
    pub fn missing(self, seen: &Seen) -> Option<&'static str> {
        match self {
            SeriesKind::Bytes if !seen.bytes => Some("the flows carry no byte counts"),
            SeriesKind::Packets if !seen.packets => Some("the flows carry no packet counts"),
            SeriesKind::Sources | SeriesKind::Destinations if !seen.hosts => {
                Some("the flows carry no addresses")
            }
            _ => None,
        }
    }
}

/// Two bucket widths are the same (a replay's buckets double, so a forecast or a model made on
/// the old width no longer lines up).
pub fn same_width(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.max(1.0)
}

impl std::fmt::Display for SeriesKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which optional fields the flows have carried so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Seen {
    pub bytes: bool,
    /// Some flows' bytes were one direction only (the format maps forward bytes alone, as the
    /// CIC-IDS2017 cleaned table does): the bytes series is then labelled as such.
    pub bytes_one_way: bool,
    pub packets: bool,
    pub hosts: bool,
}

impl Seen {
    /// Records which optional fields a flow carries.
    pub fn note(&mut self, sample: &Sample) {
        self.bytes |= sample.bytes.is_some();
        self.bytes_one_way |= sample.bytes_one_way;
        self.packets |= sample.packets.is_some();
        self.hosts |= sample.src.is_some() || sample.dst.is_some();
    }
}

/// What one flow adds to its bucket.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub bytes: Option<f64>,
    /// `bytes` counts one direction only (the other is not in the format).
    pub bytes_one_way: bool,
    pub packets: Option<f64>,
    pub src: Option<&'a str>,
    pub dst: Option<&'a str>,
    pub anomaly: bool,
}

impl<'a> Sample<'a> {
    pub fn of(flow: &'a FlowRecord, anomaly: bool) -> Sample<'a> {
        let c = &flow.core;
        // The total when the format has it, else the direction it has.
        let (bytes, bytes_one_way) = match (c.bytes, c.fwd_bytes, c.bwd_bytes) {
            (Some(b), _, _) => (Some(b), false),
            (None, Some(f), None) => (Some(f), true),
            (None, None, Some(b)) => (Some(b), true),
            _ => (None, false),
        };
        Sample {
            bytes: bytes.filter(|b| b.is_finite()),
            bytes_one_way,
            packets: flow.core.packets.filter(|p| p.is_finite()),
            src: flow.meta.src.as_deref(),
            dst: flow.meta.dst.as_deref(),
            anomaly,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Hosts {
    sources: Distinct,
    destinations: Distinct,
}

pub struct Series {
    pub bucket_s: f64,
    capacity: usize,
    buckets: VecDeque<Bucket>,
    /// Distinct-host sketches, one per bucket (parallel to `buckets`).
    hosts: VecDeque<Hosts>,
    /// Rows whose bucket had closed or left the ring (counted, not placed).
    pub too_late: u64,
    lateness_s: f64,
    /// The newest flow time seen.
    latest: f64,
    pub seen: Seen,
    /// Double the bucket (merging pairs) instead of dropping the oldest, so a replayed capture
    /// of any length fills the ring: hours of flows become a few hundred buckets.
    auto: bool,
    /// The input has ended (a replay is over) and no flow came since: no row can come late,
    /// every bucket is final.
    ended: bool,
}

/// Auto buckets stop growing at a day; beyond that the ring drops its oldest as usual.
const MAX_AUTO_BUCKET_S: f64 = 86_400.0;

impl Series {
    pub fn new(bucket_s: f64, capacity: usize) -> Series {
        Series {
            bucket_s: if bucket_s > 0.0 { bucket_s } else { 1.0 },
            capacity: capacity.max(1),
            buckets: VecDeque::new(),
            hosts: VecDeque::new(),
            too_late: 0,
            lateness_s: DEFAULT_LATENESS_S,
            latest: f64::NEG_INFINITY,
            seen: Seen::default(),
            auto: false,
            ended: false,
        }
    }

    pub fn auto(mut self, on: bool) -> Series {
        self.auto = on;
        self
    }

    pub fn lateness(mut self, seconds: f64) -> Series {
        self.lateness_s = if seconds >= 0.0 { seconds } else { 0.0 };
        self
    }

    /// The lateness window in force: at most half the ring, so there is always history to fit.
    pub fn lateness_s(&self) -> f64 {
        self.lateness_s
            .min(self.bucket_s * self.capacity as f64 / 2.0)
    }

    fn is_closed(&self, start: f64) -> bool {
        self.ended || start + self.bucket_s + self.lateness_s() <= self.latest
    }

    /// The input has ended: the buckets still waiting for late rows are final now (else a
    /// finished replay's forecast stops a lateness window short of its history).
    pub fn end_of_input(&mut self) {
        self.ended = true;
    }

    /// Buckets in the ring, open or closed.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// How many of the oldest buckets are closed (final).
    pub fn closed_len(&self) -> usize {
        self.buckets.partition_point(|b| self.is_closed(b.start))
    }

    /// The flows' time comes from the clock (they carry no timestamps): nothing arrives late,
    /// so buckets close as soon as they end.
    pub fn clock_time(&mut self) {
        self.lateness_s = 0.0;
    }

    /// Moves the series' clock to `t` with no flow: buckets it passes are added empty and close
    /// as usual, so silence (a sensor that stopped) shows as empty buckets instead of a
    /// series frozen at its last flow.
    pub fn advance_to(&mut self, t: f64) {
        if !t.is_finite() || t <= self.latest || self.buckets.is_empty() {
            return;
        }
        self.latest = t;
        let start = (t / self.bucket_s).floor() * self.bucket_s;
        let _ = self.bucket_index(start);
    }

    fn coarsen(&mut self) {
        let bs = self.bucket_s * 2.0;
        let mut merged: VecDeque<Bucket> = VecDeque::with_capacity(self.buckets.len() / 2 + 1);
        let mut hosts: VecDeque<Hosts> = VecDeque::with_capacity(self.buckets.len() / 2 + 1);
        for (b, h) in self.buckets.drain(..).zip(self.hosts.drain(..)) {
            let start = (b.start / bs).floor() * bs;
            match (merged.back_mut(), hosts.back_mut()) {
                (Some(last), Some(lh)) if last.start == start => {
                    last.flows += b.flows;
                    last.bytes += b.bytes;
                    last.packets += b.packets;
                    last.anomalies += b.anomalies;
                    lh.sources.merge(&h.sources);
                    lh.destinations.merge(&h.destinations);
                    last.sources = lh.sources.estimate();
                    last.destinations = lh.destinations.estimate();
                }
                _ => {
                    merged.push_back(Bucket { start, ..b });
                    hosts.push_back(h);
                }
            }
        }
        self.buckets = merged;
        self.hosts = hosts;
        self.bucket_s = bs;
    }

    /// Adds one flow at time `t`; returns its bucket as it is now, or `None` when the row came
    /// too late for the series (counted).
    pub fn add(&mut self, t: f64, sample: Sample) -> Option<Bucket> {
        if !t.is_finite() {
            return None;
        }
        // Flows again after the end (a finished replay seeked back): the lateness window holds.
        self.ended = false;
        if self.auto {
            while let Some(first) = self.buckets.front().map(|b| b.start)
                && (t - first) / self.bucket_s >= self.capacity as f64
                && self.bucket_s < MAX_AUTO_BUCKET_S
            {
                self.coarsen();
            }
        }
        let start = (t / self.bucket_s).floor() * self.bucket_s;
        if self.is_closed(start) {
            self.too_late += 1;
            return None;
        }
        self.latest = self.latest.max(t);
        let Some(i) = self.bucket_index(start) else {
            self.too_late += 1;
            return None;
        };
        self.seen.note(&sample);
        let (bucket, hosts) = (&mut self.buckets[i], &mut self.hosts[i]);
        bucket.flows += 1;
        bucket.bytes += sample.bytes.unwrap_or(0.0);
        bucket.packets += sample.packets.unwrap_or(0.0);
        if let Some(s) = sample.src {
            hosts.sources.insert(s);
            bucket.sources = hosts.sources.estimate();
        }
        if let Some(d) = sample.dst {
            hosts.destinations.insert(d);
            bucket.destinations = hosts.destinations.estimate();
        }
        bucket.anomalies += u64::from(sample.anomaly);
        Some(*bucket)
    }

    /// Counts an anomaly found later (a flow scored after the fact) in its bucket, if the
    /// bucket is still in the ring.
    pub fn mark_anomaly(&mut self, t: f64) {
        if !t.is_finite() {
            return;
        }
        let start = (t / self.bucket_s).floor() * self.bucket_s;
        if let Some(i) = self.existing_index(start) {
            self.buckets[i].anomalies += 1;
        }
    }

    fn existing_index(&self, start: f64) -> Option<usize> {
        let first = self.buckets.front()?.start;
        if start < first {
            return None;
        }
        let i = ((start - first) / self.bucket_s).round() as usize;
        (i < self.buckets.len()).then_some(i)
    }

    /// The index of the bucket starting at `start`, appending it (and empty buckets for any
    /// gap, bounded by the ring) when it is newer than the last.
    fn bucket_index(&mut self, start: f64) -> Option<usize> {
        let last = self.buckets.back().map(|b| b.start);
        match last {
            None => self.push(start),
            Some(last) if start > last => {
                // Fill gaps with empty buckets so the series is regular.
                let gap = ((start - last) / self.bucket_s).round() as usize;
                let n = gap.min(self.capacity);
                for i in 1..=n {
                    self.push(start - (n - i) as f64 * self.bucket_s);
                }
                while self.buckets.len() > self.capacity {
                    self.buckets.pop_front();
                    self.hosts.pop_front();
                }
            }
            Some(_) => {}
        }
        self.existing_index(start)
    }

    fn push(&mut self, start: f64) {
        self.buckets.push_back(Bucket {
            start,
            ..Default::default()
        });
        self.hosts.push_back(Hosts::default());
    }

    pub fn buckets(&self) -> Vec<Bucket> {
        self.buckets.iter().copied().collect()
    }

    /// The closed buckets, oldest first.
    pub fn closed(&self) -> Vec<Bucket> {
        self.buckets
            .iter()
            .take(self.closed_len())
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(bytes: f64) -> Sample<'static> {
        Sample {
            bytes: Some(bytes),
            bytes_one_way: false,
            packets: None,
            src: None,
            dst: None,
            anomaly: false,
        }
    }

    #[test]
    fn late_rows_land_in_their_bucket_while_it_is_open() {
        let mut s = Series::new(1.0, 10).lateness(2.0);
        s.add(100.2, flow(10.0));
        s.add(
            103.5,
            Sample {
                anomaly: true,
                ..flow(5.0)
            },
        );
        s.add(101.9, flow(1.0));
        let b = s.buckets();
        assert_eq!(
            b.iter().map(|b| b.flows).collect::<Vec<_>>(),
            vec![1, 1, 0, 1]
        );
        assert_eq!(b[3].anomalies, 1);
        // 100 + 1 + 2 <= 103.5: bucket 100 has closed, 101 is still open.
        assert_eq!(s.closed_len(), 1);
        assert!(s.add(100.9, flow(1.0)).is_none());
        assert_eq!(s.too_late, 1);
        assert_eq!(s.add(101.1, flow(1.0)).map(|b| b.flows), Some(2));
        s.add(200.0, flow(1.0));
        assert_eq!(s.buckets().len(), 10);
        assert_eq!(
            s.closed_len(),
            7,
            "buckets 198 to 200 are still open at 200"
        );
    }

    #[test]
    fn silence_adds_empty_buckets_that_close() {
        let mut s = Series::new(10.0, 100).lateness(5.0);
        s.add(3.0, flow(1.0));
        s.advance_to(2.0);
        assert_eq!(
            (s.buckets().len(), s.closed_len()),
            (1, 0),
            "never backwards"
        );
        s.advance_to(47.0);
        let b = s.buckets();
        assert_eq!(
            b.iter().map(|b| b.flows).collect::<Vec<_>>(),
            vec![1, 0, 0, 0, 0]
        );
        assert_eq!(s.closed_len(), 4, "the bucket at 40 is still open");
        assert!(s.add(12.0, flow(1.0)).is_none(), "closed while silent");
        let mut empty = Series::new(10.0, 100);
        empty.advance_to(50.0);
        assert!(
            empty.buckets().is_empty(),
            "no series before the first flow"
        );
    }

    #[test]
    fn clock_time_closes_buckets_as_they_end() {
        let mut s = Series::new(1.0, 10);
        s.clock_time();
        s.add(5.5, flow(1.0));
        s.add(6.0, flow(1.0));
        assert_eq!(s.closed_len(), 1);
    }

    #[test]
    fn the_window_is_at_most_half_the_ring() {
        let s = Series::new(1.0, 10).lateness(3600.0);
        assert_eq!(s.lateness_s(), 5.0);
    }

    #[test]
    fn packets_and_distinct_hosts_are_counted_per_bucket() {
        let mut s = Series::new(10.0, 10);
        for (t, src, dst) in [
            (1.0, "a", "x"),
            (2.0, "a", "y"),
            (3.0, "b", "y"),
            (12.0, "a", "z"),
        ] {
            s.add(
                t,
                Sample {
                    bytes: None,
                    bytes_one_way: false,
                    packets: Some(2.0),
                    src: Some(src),
                    dst: Some(dst),
                    anomaly: false,
                },
            );
        }
        let b = s.buckets();
        assert_eq!(
            b.iter()
                .map(|b| (b.flows, b.packets, b.sources, b.destinations))
                .collect::<Vec<_>>(),
            vec![(3, 6.0, 2, 2), (1, 2.0, 1, 1)]
        );
        assert_eq!(
            s.seen,
            Seen {
                bytes: false,
                bytes_one_way: false,
                packets: true,
                hosts: true
            }
        );
        assert_eq!(
            SeriesKind::Bytes.missing(&s.seen),
            Some("the flows carry no byte counts")
        );
    }

    #[test]
    fn auto_buckets_double_so_a_long_capture_fits_the_ring() {
        let mut s = Series::new(1.0, 10).auto(true).lateness(0.0);
        for t in 0..100 {
            let src = format!("10.0.0.{}", t % 7);
            s.add(
                f64::from(t),
                Sample {
                    src: Some(&src),
                    anomaly: t % 10 == 0,
                    ..flow(1.0)
                },
            );
        }
        let b = s.buckets();
        assert_eq!(s.bucket_s, 16.0);
        assert!(b.len() <= 10, "{}", b.len());
        assert_eq!(
            b.iter().map(|b| b.flows).sum::<u64>(),
            100,
            "nothing dropped"
        );
        assert_eq!(b.iter().map(|b| b.anomalies).sum::<u64>(), 10);
        assert_eq!(b[0].start, 0.0);
        assert_eq!(b[1].start, 16.0);
        assert_eq!(b[1].sources, 7, "merged sketches count each host once");
        assert_eq!(s.too_late, 0);
    }
}
