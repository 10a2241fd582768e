//! Temporal profile of the flows' own timestamps (UTC): activity by hour of day and by day of
//! week, counted as flows arrive, fixed size.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TemporalProfile {
    pub by_hour: [u64; 24],
    /// Monday first.
    pub by_weekday: [u64; 7],
    pub flows: u64,
}

impl TemporalProfile {
    pub fn add(&mut self, ts: f64) {
        if !ts.is_finite() || ts < 0.0 {
            return;
        }
        let secs = ts.floor() as u64;
        let days = secs / 86_400;
        let hour = (secs % 86_400) / 3600;
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let weekday = (days + 3) % 7;
        self.by_hour[hour as usize] += 1;
        self.by_weekday[weekday as usize] += 1;
        self.flows += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_weekdays_in_utc() {
        let mut p = TemporalProfile::default();
        // 2018-11-08 22:05:00 UTC, a Thursday; 2026-11-23 09:00:00 UTC, a Monday.
        p.add(1_541_714_700.0);
        p.add(1_795_424_400.0);
        p.add(f64::NAN);
        assert_eq!(p.flows, 2);
        assert_eq!(p.by_hour[22], 1);
        assert_eq!(p.by_hour[9], 1);
        assert_eq!(p.by_weekday[3], 1);
        assert_eq!(p.by_weekday[0], 1);
    }
}
