//! Cancelling a fit: the refit the operator called off stops where it stands instead of
//! running to its end with its result thrown away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by the one who may call a fit off and the fit, which asks between its steps (each
/// detector, and the long loops inside the slow ones).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

/// A fit that was called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once called off: `cancel.check()?` between steps.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}
