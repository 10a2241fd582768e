//! Replay pacing: releases flows at ×N the speed of their own timestamps (or as fast as
//! possible), with pause, single-step, speed changes and seeking. The clock is pure — callers
//! pass `now` — so it is tested without sleeping; the ingest thread does the waiting.
//!
//! Flow logs are not sorted (Zeek stamps a connection with its start but writes it when it
//! ends), so the replay clock is the largest timestamp seen: an older flow is due at once and
//! never makes the clock run backwards. Files without timestamps replay at `ROWS_PER_SEC_AT_1X`
//! rows per second of replay time, times the speed.

use std::fmt;
use std::time::{Duration, Instant};

crate::message_error!(
    /// A replay speed that is neither `max` nor a positive factor.
    SpeedError
);

/// Rows per second at ×1 for flows that carry no timestamp.
pub const ROWS_PER_SEC_AT_1X: f64 = 100.0;

/// The replay time of an untimed flow: its line at `ROWS_PER_SEC_AT_1X`. The replay clock
/// paces by it and the engine's series dates by it, so the two agree.
pub fn untimed_time(line: u64) -> f64 {
    line as f64 / ROWS_PER_SEC_AT_1X
}
/// The speed ladder that `[` and `]` walk.
pub const SPEED_STEPS: [f64; 11] = [
    0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 1000.0, 10000.0,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the reader and the consumer allow.
    Max,
    /// Multiple of real time.
    Factor(f64),
}

impl Speed {
    /// Parses `max` or a positive number (`10`, `0.5`, `x10`, `10x`).
    pub fn parse(s: &str) -> Result<Speed, SpeedError> {
        let t = s.trim().to_ascii_lowercase();
        if t == "max" {
            return Ok(Speed::Max);
        }
        let num = t
            .trim_start_matches(['x', '×'])
            .trim_end_matches(['x', '×']);
        match num.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(SpeedError::new(format!(
                "invalid speed '{s}': use 'max' or a positive number such as 10 or 0.5"
            ))),
        }
    }

    pub fn faster(self) -> Speed {
        match self {
            Speed::Max => Speed::Max,
            Speed::Factor(f) => SPEED_STEPS
                .iter()
                .find(|&&s| s > f * 1.0001)
                .map_or(Speed::Max, |&s| Speed::Factor(s)),
        }
    }

    pub fn slower(self) -> Speed {
        let f = match self {
            Speed::Max => return Speed::Factor(SPEED_STEPS[SPEED_STEPS.len() - 1]),
            Speed::Factor(f) => f,
        };
        Speed::Factor(
            SPEED_STEPS
                .iter()
                .rev()
                .find(|&&s| s < f * 0.9999)
                .copied()
                .unwrap_or(SPEED_STEPS[0]),
        )
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Max => write!(f, "max"),
            Speed::Factor(x) => write!(f, "×{x}"),
        }
    }
}

/// Where a seek goes, in replay time (seconds of flow time, or of row time without timestamps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeekTarget {
    Start,
    Time(f64),
    Relative(f64),
}

/// Commands a UI sends to a running replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayCommand {
    Pause,
    Resume,
    TogglePause,
    /// While paused: let exactly one more flow through.
    Step,
    SetSpeed(Speed),
    Faster,
    Slower,
    Seek(SeekTarget),
}

/// When the next flow may be released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Now,
    At(Instant),
    Paused,
}

#[derive(Debug, Clone)]
pub struct ReplayClock {
    speed: Speed,
    paused: bool,
    steps: u32,
    /// (replay time, wall instant) pair that maps flow time onto wall time.
    anchor: Option<(f64, Instant)>,
    /// Largest replay time released so far: the clock shown to the user.
    now_ts: Option<f64>,
    /// Longest wall-clock wait for one gap in the data (idle hours in a capture are skipped).
    max_gap: Duration,
}

impl ReplayClock {
    pub fn new(speed: Speed) -> Self {
        Self {
            speed,
            paused: false,
            steps: 0,
            anchor: None,
            now_ts: None,
            max_gap: Duration::from_secs(5),
        }
    }

    pub fn with_max_gap(mut self, gap: Duration) -> Self {
        self.max_gap = gap;
        self
    }

    pub fn speed(&self) -> Speed {
        self.speed
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Replay time of the newest released flow.
    pub fn replay_time(&self) -> Option<f64> {
        self.now_ts
    }

    /// Applies a command; seeks are returned for the caller, which owns the data.
    pub fn apply(&mut self, cmd: ReplayCommand, now: Instant) -> Option<SeekTarget> {
        match cmd {
            ReplayCommand::Pause => self.paused = true,
            ReplayCommand::Resume => self.resume(now),
            ReplayCommand::TogglePause => {
                if self.paused {
                    self.resume(now);
                } else {
                    self.paused = true;
                }
            }
            ReplayCommand::Step => {
                if self.paused {
                    self.steps = self.steps.saturating_add(1);
                }
            }
            ReplayCommand::SetSpeed(s) => self.set_speed(s, now),
            ReplayCommand::Faster => self.set_speed(self.speed.faster(), now),
            ReplayCommand::Slower => self.set_speed(self.speed.slower(), now),
            ReplayCommand::Seek(t) => {
                self.anchor = None;
                return Some(t);
            }
        }
        None
    }

    /// Resolves a seek target to an absolute replay time.
    pub fn seek_time(&self, target: SeekTarget, first_ts: Option<f64>) -> Option<f64> {
        match target {
            SeekTarget::Start => first_ts,
            SeekTarget::Time(t) => Some(t),
            SeekTarget::Relative(d) => self.now_ts.or(first_ts).map(|t| t + d),
        }
    }

    /// Forgets the released-time high-water mark (after seeking backwards).
    pub fn reset_time(&mut self, ts: Option<f64>) {
        self.now_ts = ts;
        self.anchor = None;
    }

    fn resume(&mut self, now: Instant) {
        self.paused = false;
        self.steps = 0;
        self.reanchor(now);
    }

    fn set_speed(&mut self, s: Speed, now: Instant) {
        self.speed = s;
        self.reanchor(now);
    }

    fn reanchor(&mut self, now: Instant) {
        self.anchor = self.now_ts.map(|t| (t, now));
    }

    /// When the flow with replay time `ts` may be released.
    pub fn due(&mut self, ts: f64, now: Instant) -> Due {
        if self.paused {
            return if self.steps > 0 {
                Due::Now
            } else {
                Due::Paused
            };
        }
        let Speed::Factor(f) = self.speed else {
            return Due::Now;
        };
        let Some((a_ts, a_wall)) = self.anchor else {
            self.anchor = Some((ts, now));
            return Due::Now;
        };
        let t = ts.max(self.now_ts.unwrap_or(ts));
        let wait = ((t - a_ts) / f).max(0.0);
        let at = a_wall + Duration::from_secs_f64(wait.min(1e9));
        if at <= now {
            return Due::Now;
        }
        if at - now > self.max_gap {
            // A long silence in the capture: wait `max_gap` at most, then carry on from there.
            let at = now + self.max_gap;
            self.anchor = Some((t, at));
            return Due::At(at);
        }
        Due::At(at)
    }

    /// Records that the flow with replay time `ts` was released.
    pub fn released(&mut self, ts: f64) {
        if self.paused && self.steps > 0 {
            self.steps -= 1;
        }
        self.now_ts = Some(self.now_ts.map_or(ts, |n| n.max(ts)));
        if self.anchor.is_none() {
            self.reanchor(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn paces_at_the_chosen_factor() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Factor(10.0));
        assert_eq!(c.due(100.0, t0), Due::Now);
        c.released(100.0);
        // 20 s of flow time at ×10 = 2 s of wall time.
        assert_eq!(c.due(120.0, t0), Due::At(t0 + secs(2.0)));
        assert_eq!(c.due(120.0, t0 + secs(2.0)), Due::Now);
    }

    #[test]
    fn out_of_order_flows_are_due_at_once() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Factor(1.0));
        c.due(100.0, t0);
        c.released(100.0);
        c.due(103.0, t0 + secs(3.0));
        c.released(103.0);
        assert_eq!(c.due(101.0, t0 + secs(3.0)), Due::Now);
        c.released(101.0);
        assert_eq!(c.replay_time(), Some(103.0));
    }

    #[test]
    fn max_speed_never_waits() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Max);
        c.due(0.0, t0);
        c.released(0.0);
        assert_eq!(c.due(1e6, t0), Due::Now);
    }

    #[test]
    fn long_gaps_are_capped() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Factor(1.0)).with_max_gap(secs(5.0));
        c.due(0.0, t0);
        c.released(0.0);
        assert_eq!(c.due(3600.0, t0), Due::At(t0 + secs(5.0)));
        c.released(3600.0);
        // After the gap the pace is normal again.
        assert_eq!(c.due(3601.0, t0 + secs(5.0)), Due::At(t0 + secs(6.0)));
    }

    #[test]
    fn pause_and_step() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Factor(1.0));
        c.due(0.0, t0);
        c.released(0.0);
        c.apply(ReplayCommand::Pause, t0);
        assert_eq!(c.due(0.5, t0 + secs(10.0)), Due::Paused);
        c.apply(ReplayCommand::Step, t0);
        assert_eq!(c.due(0.5, t0), Due::Now);
        c.released(0.5);
        assert_eq!(
            c.due(0.6, t0),
            Due::Paused,
            "one step releases exactly one flow"
        );
        // Resuming re-anchors: no burst to catch up with the paused time.
        c.apply(ReplayCommand::Resume, t0 + secs(100.0));
        assert_eq!(c.due(1.5, t0 + secs(100.0)), Due::At(t0 + secs(101.0)));
    }

    #[test]
    fn speed_change_takes_effect_from_now() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Factor(1.0));
        c.due(0.0, t0);
        c.released(0.0);
        c.apply(ReplayCommand::SetSpeed(Speed::Factor(4.0)), t0);
        assert_eq!(c.due(4.0, t0), Due::At(t0 + secs(1.0)));
    }

    #[test]
    fn speed_ladder() {
        assert_eq!(Speed::Factor(1.0).faster(), Speed::Factor(2.0));
        assert_eq!(Speed::Factor(1.0).slower(), Speed::Factor(0.5));
        assert_eq!(Speed::Factor(3.0).faster(), Speed::Factor(5.0));
        assert_eq!(Speed::Factor(10000.0).faster(), Speed::Max);
        assert_eq!(Speed::Max.slower(), Speed::Factor(10000.0));
        assert_eq!(Speed::Factor(0.1).slower(), Speed::Factor(0.1));
    }

    #[test]
    fn parses_speeds() {
        assert_eq!(Speed::parse("max"), Ok(Speed::Max));
        assert_eq!(Speed::parse("x10"), Ok(Speed::Factor(10.0)));
        assert_eq!(Speed::parse("0.5"), Ok(Speed::Factor(0.5)));
        assert!(Speed::parse("0").is_err());
        assert!(Speed::parse("fast").is_err());
        assert!(Speed::parse("NaN").is_err());
    }

    #[test]
    fn seek_targets_resolve() {
        let t0 = Instant::now();
        let mut c = ReplayClock::new(Speed::Max);
        c.due(50.0, t0);
        c.released(50.0);
        assert_eq!(
            c.seek_time(SeekTarget::Relative(10.0), Some(0.0)),
            Some(60.0)
        );
        assert_eq!(c.seek_time(SeekTarget::Start, Some(0.0)), Some(0.0));
        assert_eq!(
            c.apply(ReplayCommand::Seek(SeekTarget::Time(5.0)), t0),
            Some(SeekTarget::Time(5.0))
        );
    }
}
