//! Bucketed live series (flows, bytes, anomalies) in a ring of fixed length. Rows that arrive
//! late land in their own bucket while it is still in the ring.

use std::collections::VecDeque;

use super::snapshot::Bucket;

/// Buckets of history a forecast needs before it is fitted.
pub const MIN_FORECAST_BUCKETS: usize = 30;

pub struct Series {
    pub bucket_s: f64,
    capacity: usize,
    buckets: VecDeque<Bucket>,
    /// Rows older than the ring (counted, not placed).
    pub too_late: u64,
    /// Double the bucket (merging pairs) instead of dropping the oldest, so a replayed capture
    /// of any length fills the ring: hours of flows become a few hundred buckets.
    auto: bool,
}

/// Auto buckets stop growing at a day; beyond that the ring drops its oldest as usual.
const MAX_AUTO_BUCKET_S: f64 = 86_400.0;

impl Series {
    pub fn new(bucket_s: f64, capacity: usize) -> Series {
        Series {
            bucket_s: if bucket_s > 0.0 { bucket_s } else { 1.0 },
            capacity: capacity.max(1),
            buckets: VecDeque::new(),
            too_late: 0,
            auto: false,
        }
    }

    pub fn auto(mut self, on: bool) -> Series {
        self.auto = on;
        self
    }

    fn coarsen(&mut self) {
        let bs = self.bucket_s * 2.0;
        let mut merged: VecDeque<Bucket> = VecDeque::with_capacity(self.buckets.len() / 2 + 1);
        for b in self.buckets.drain(..) {
            let start = (b.start / bs).floor() * bs;
            match merged.back_mut() {
                Some(last) if last.start == start => {
                    last.flows += b.flows;
                    last.bytes += b.bytes;
                    last.anomalies += b.anomalies;
                }
                _ => merged.push_back(Bucket { start, ..b }),
            }
        }
        self.buckets = merged;
        self.bucket_s = bs;
    }

    pub fn add(&mut self, t: f64, bytes: f64, anomaly: bool) {
        if !t.is_finite() {
            return;
        }
        if self.auto {
            while let Some(first) = self.buckets.front().map(|b| b.start)
                && (t - first) / self.bucket_s >= self.capacity as f64
                && self.bucket_s < MAX_AUTO_BUCKET_S
            {
                self.coarsen();
            }
        }
        let start = (t / self.bucket_s).floor() * self.bucket_s;
        let Some(bucket) = self.bucket_at(start) else {
            self.too_late += 1;
            return;
        };
        bucket.flows += 1;
        if bytes.is_finite() {
            bucket.bytes += bytes;
        }
        bucket.anomalies += u64::from(anomaly);
    }

    /// Counts an anomaly found later (a flow scored after the fact) in its bucket, if the
    /// bucket is still in the ring.
    pub fn mark_anomaly(&mut self, t: f64) {
        if !t.is_finite() {
            return;
        }
        let start = (t / self.bucket_s).floor() * self.bucket_s;
        let first = self.buckets.front().map(|b| b.start);
        if let Some(first) = first.filter(|f| start >= *f) {
            let i = ((start - first) / self.bucket_s).round() as usize;
            if let Some(b) = self.buckets.get_mut(i) {
                b.anomalies += 1;
            }
        }
    }

    fn bucket_at(&mut self, start: f64) -> Option<&mut Bucket> {
        let last = self.buckets.back().map(|b| b.start);
        match last {
            None => self.buckets.push_back(Bucket {
                start,
                ..Default::default()
            }),
            Some(last) if start > last => {
                // Fill gaps with empty buckets (bounded by the ring) so the series is regular.
                let gap = ((start - last) / self.bucket_s).round() as usize;
                for i in 1..=gap.min(self.capacity) {
                    let s = start - (gap.min(self.capacity) - i) as f64 * self.bucket_s;
                    self.buckets.push_back(Bucket {
                        start: s,
                        ..Default::default()
                    });
                }
                while self.buckets.len() > self.capacity {
                    self.buckets.pop_front();
                }
            }
            Some(_) => {}
        }
        let first = self.buckets.front()?.start;
        if start < first {
            return None;
        }
        let i = ((start - first) / self.bucket_s).round() as usize;
        self.buckets.get_mut(i)
    }

    pub fn buckets(&self) -> Vec<Bucket> {
        self.buckets.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_rows_land_in_their_bucket_and_gaps_are_filled() {
        let mut s = Series::new(1.0, 10);
        s.add(100.2, 10.0, false);
        s.add(103.5, 5.0, true);
        s.add(101.9, 1.0, false);
        let b = s.buckets();
        assert_eq!(
            b.iter().map(|b| b.flows).collect::<Vec<_>>(),
            vec![1, 1, 0, 1]
        );
        assert_eq!(b[3].anomalies, 1);
        s.add(50.0, 1.0, false);
        assert_eq!(s.too_late, 1);
        s.add(200.0, 1.0, false);
        assert_eq!(s.buckets().len(), 10);
    }

    #[test]
    fn auto_buckets_double_so_a_long_capture_fits_the_ring() {
        let mut s = Series::new(1.0, 10).auto(true);
        for t in 0..100 {
            s.add(f64::from(t), 1.0, t % 10 == 0);
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
    }
}
