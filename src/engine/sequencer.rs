//! The live sequence signal: the LSTM autoencoder (`forecast::sequence`) trained on the
//! closed buckets so far and scoring every window of them. Training takes about half a second
//! on a full ring, so it is redone only when enough new buckets have closed; scoring runs on
//! every request. Runs on the forecast worker after the forecasts are published.

use ndarray::Array2;
use serde::Serialize;

use super::Bucket;
use super::series::{Seen, SeriesKind, same_width};
use crate::learn::forecast::sequence::{SequenceModel, SequenceOptions, min_buckets};

/// What the forecast pane shows of the sequence detector.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SequenceView {
    /// The series the windows span.
    pub series: Vec<&'static str>,
    pub window: usize,
    pub bucket_s: f64,
    /// Per window, oldest first: (start of its last bucket, calibrated score, series with the
    /// largest share of the error).
    pub scores: Vec<(f64, f64, &'static str)>,
    /// Whether this result came with a fresh training.
    pub retrained: bool,
}

/// `Err` says why there is no signal yet.
pub type SequenceState = Result<SequenceView, String>;

struct Trained {
    model: SequenceModel,
    columns: Vec<SeriesKind>,
    bucket_s: f64,
    buckets: usize,
    /// Start of the last bucket it was trained on.
    last_start: f64,
}

#[derive(Default)]
pub struct Sequencer {
    opts: SequenceOptions,
    trained: Option<Trained>,
}

impl Sequencer {
    pub fn new(opts: SequenceOptions) -> Sequencer {
        Sequencer {
            opts,
            trained: None,
        }
    }

    pub fn update(&mut self, closed: &[Bucket], bucket_s: f64, seen: Seen) -> SequenceState {
        let need = min_buckets(self.opts.window);
        if closed.len() < need {
            return Err(format!("warming up ({}/{need} buckets)", closed.len()));
        }
        let columns: Vec<SeriesKind> = SeriesKind::TRAFFIC
            .into_iter()
            .filter(|k| k.missing(&seen).is_none())
            .collect();
        let data = Array2::from_shape_fn((closed.len(), columns.len()), |(t, c)| {
            columns[c].of(&closed[t])
        });
        let last_start = closed.last().map_or(0.0, |b| b.start);
        let stale = match &self.trained {
            None => true,
            Some(t) => {
                let new = ((last_start - t.last_start) / bucket_s).round();
                t.columns != columns
                    || !same_width(t.bucket_s, bucket_s)
                    || new >= (t.buckets / 4).max(2 * self.opts.window) as f64
            }
        };
        if stale {
            let model = SequenceModel::fit(data.view(), &self.opts).map_err(|e| e.to_string())?;
            self.trained = Some(Trained {
                model,
                columns: columns.clone(),
                bucket_s,
                buckets: closed.len(),
                last_start,
            });
        }
        let Some(t) = &self.trained else {
            return Err("no model".into());
        };
        Ok(SequenceView {
            series: columns.iter().map(|k| k.name()).collect(),
            window: t.model.window,
            bucket_s,
            scores: t
                .model
                .score(data.view())
                .into_iter()
                .map(|w| (closed[w.end].start, w.calibrated, columns[w.top].name()))
                .collect(),
            retrained: stale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(n: usize, from: usize) -> Vec<Bucket> {
        (from..from + n)
            .map(|t| {
                let flows = 50 + (t % 10) as u64 * 5;
                Bucket {
                    start: t as f64 * 60.0,
                    flows,
                    bytes: flows as f64 * 800.0,
                    ..Default::default()
                }
            })
            .collect()
    }

    const SEEN: Seen = Seen {
        bytes: true,
        bytes_one_way: false,
        packets: false,
        hosts: false,
    };

    #[test]
    fn trains_once_enough_buckets_closed_and_again_only_after_many_more() {
        let mut s = Sequencer::new(SequenceOptions {
            epochs: 5,
            ..SequenceOptions::default()
        });
        let early = s.update(&buckets(20, 0), 60.0, SEEN);
        assert_eq!(early, Err("warming up (20/140 buckets)".into()));
        let v = s.update(&buckets(160, 0), 60.0, SEEN).expect("trained");
        assert!(v.retrained);
        assert_eq!(v.series, vec!["flows", "bytes"]);
        assert_eq!(v.scores.len(), 160 - 12 + 1);
        assert_eq!(v.scores.last().map(|w| w.0), Some(159.0 * 60.0));
        assert!(v.scores.iter().all(|w| (0.0..=1.0).contains(&w.1)));
        let v = s.update(&buckets(165, 0), 60.0, SEEN).expect("scored");
        assert!(!v.retrained, "five new buckets reuse the model");
        assert_eq!(v.scores.len(), 165 - 12 + 1);
        let v = s.update(&buckets(200, 0), 60.0, SEEN).expect("scored");
        assert!(v.retrained, "forty new buckets retrain it");
        let v = s.update(&buckets(200, 0), 120.0, SEEN).expect("scored");
        assert!(v.retrained, "new bucket width");
    }
}
