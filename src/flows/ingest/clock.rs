//! Timestamps that cannot be right. One far-future value (year 5138, `1.797e308`) would make
//! every later flow "late", stretch the series to millions of empty buckets and send the
//! replay clock to a 300-digit number. Such a flow is kept, without its timestamp, and
//! counted: the series clock never sees it.

/// How far from the stream's running median a timestamp may be (a year and a day: captures
/// span hours to weeks, logs months).
const MAX_FROM_MEDIAN_S: f64 = 366.0 * 86_400.0;
/// How far past the machine's clock a timestamp may be (clocks drift, zones get mixed up).
const MAX_FUTURE_S: f64 = 2.0 * 86_400.0;
/// Recent accepted timestamps the median is taken over; it is refreshed at every fill.
const WINDOW: usize = 255;

#[derive(Debug, Clone)]
pub struct TimeGuard {
    recent: Vec<f64>,
    next: usize,
    since_refresh: usize,
    median: Option<f64>,
    latest_plausible: f64,
}

impl Default for TimeGuard {
    fn default() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(f64::MAX, |d| d.as_secs_f64());
        Self::with_now(now)
    }
}

impl TimeGuard {
    pub fn with_now(now: f64) -> Self {
        Self {
            recent: Vec::with_capacity(WINDOW),
            next: 0,
            since_refresh: 0,
            median: None,
            latest_plausible: now + MAX_FUTURE_S,
        }
    }

    /// Why `t` is not believed, or `None` when it is (and it joins the running median).
    pub fn check(&mut self, t: f64) -> Option<String> {
        if !t.is_finite() || t < 0.0 || t > self.latest_plausible {
            return Some(format!("timestamp {t} is not a plausible time"));
        }
        if let Some(m) = self.median
            && (t - m).abs() > MAX_FROM_MEDIAN_S
        {
            return Some(format!(
                "timestamp {t} is over a year from the stream's median ({m:.0})"
            ));
        }
        self.note(t);
        None
    }

    fn note(&mut self, t: f64) {
        if self.recent.len() < WINDOW {
            self.recent.push(t);
        } else {
            self.recent[self.next] = t;
            self.next = (self.next + 1) % WINDOW;
        }
        self.since_refresh += 1;
        // Early on the median follows every flow; later once per window (a copy and a
        // selection of 255 values, a few nanoseconds a flow).
        if self.recent.len() < WINDOW || self.since_refresh >= WINDOW {
            let mut v = self.recent.clone();
            let mid = v.len() / 2;
            let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
            self.median = Some(*m);
            self.since_refresh = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1.8e9;

    #[test]
    fn far_and_impossible_times_are_suspect_and_ordinary_ones_not() {
        let mut g = TimeGuard::with_now(NOW);
        for i in 0..1000 {
            assert_eq!(g.check(1.5e9 + f64::from(i)), None);
        }
        for bad in [
            99_999_999_999.0,
            1.797e308,
            f64::INFINITY,
            -5.0,
            1.5e9 + 4e7,
        ] {
            assert!(g.check(bad).is_some(), "{bad}");
        }
        // A week later is still the same capture.
        assert_eq!(g.check(1.5e9 + 7.0 * 86_400.0), None);
    }

    #[test]
    fn a_bogus_first_timestamp_does_not_become_the_reference() {
        let mut g = TimeGuard::with_now(NOW);
        assert!(g.check(99_999_999_999.0).is_some());
        assert_eq!(g.check(1.5e9), None);
        assert_eq!(g.check(1.5e9 + 1.0), None);
    }

    #[test]
    fn relative_times_from_zero_are_fine() {
        let mut g = TimeGuard::with_now(NOW);
        for i in 0..600 {
            assert_eq!(g.check(f64::from(i) * 0.5), None);
        }
    }
}
