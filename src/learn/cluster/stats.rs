//! Per-cluster statistics over the flows assigned to each cluster: size, share, means of the
//! canonical core fields and the share of flows the consensus flagged.

use serde::Serialize;

use crate::flows::schema::FlowRecord;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ClusterSummary {
    pub cluster: usize,
    pub size: u64,
    pub share: f64,
    pub mean_duration: Option<f64>,
    pub mean_bytes: Option<f64>,
    pub mean_packets: Option<f64>,
    pub anomaly_rate: f64,
}

/// Running sums per cluster; cheap to update per flow, summarised on demand.
#[derive(Debug, Clone, Default)]
pub struct ClusterStats {
    acc: Vec<Acc>,
    total: u64,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    n: u64,
    flagged: u64,
    duration: Mean,
    bytes: Mean,
    packets: Mean,
}

#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    sum: f64,
    n: u64,
}

impl Mean {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            self.sum += v;
            self.n += 1;
        }
    }
    fn get(self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

impl ClusterStats {
    pub fn new(k: usize) -> ClusterStats {
        ClusterStats {
            acc: vec![Acc::default(); k],
            total: 0,
        }
    }

    pub fn add(&mut self, cluster: usize, flow: &FlowRecord, flagged: bool) {
        if cluster >= self.acc.len() {
            self.acc.resize(cluster + 1, Acc::default());
        }
        let a = &mut self.acc[cluster];
        a.n += 1;
        a.flagged += u64::from(flagged);
        a.duration.add(flow.core.duration);
        a.bytes.add(flow.core.bytes);
        a.packets.add(flow.core.packets);
        self.total += 1;
    }

    pub fn summary(&self) -> Vec<ClusterSummary> {
        self.acc
            .iter()
            .enumerate()
            .map(|(cluster, a)| ClusterSummary {
                cluster,
                size: a.n,
                share: if self.total == 0 {
                    0.0
                } else {
                    a.n as f64 / self.total as f64
                },
                mean_duration: a.duration.get(),
                mean_bytes: a.bytes.get(),
                mean_packets: a.packets.get(),
                anomaly_rate: if a.n == 0 {
                    0.0
                } else {
                    a.flagged as f64 / a.n as f64
                },
            })
            .collect()
    }
}
