//! Progress on stderr for long headless runs: a bar with rate and ETA when stderr is a
//! terminal, nothing at all otherwise (indicatif's stderr target stays hidden off a tty).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Items per second without indicatif's four decimals.
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{:.0}/s", state.per_sec());
}

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn bar(what: &str, len: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} {rate} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", rate)
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Progress { bar }
    }

    pub fn spinner(what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} {spinner} {pos} rows {rate}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key("rate", rate),
        );
        bar.set_message(what.to_string());
        Progress { bar }
    }

    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    pub fn message(&self, m: &str) {
        self.bar.set_message(m.to_string());
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    pub fn set(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
