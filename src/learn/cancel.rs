//! Cancelling a fit: the refit the operator called off stops where it stands instead of
//! running to its end with its result thrown away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by the one who may call a fit off and the fit, which asks between its steps (each
/// detector, and the long loops inside the slow ones).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

/// A fit that was called off.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
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

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::learn::detect::{Autoencoder, Detector, FitError, KMeansDetector};

    /// The slow fits look at the token inside their loops, so one set before they start
    /// ends them at their first check.
    #[test]
    fn the_slow_detectors_stop_at_their_first_check() {
        let x = Array2::from_shape_fn((400, 4), |(i, j)| ((i * 7 + j * 3) % 17) as f64);
        let cancel = Cancel::default();
        cancel.cancel();
        assert!(matches!(
            Autoencoder::fit_cancellable(x.view(), 1, &cancel),
            Err(FitError::Cancelled(_))
        ));
        assert!(matches!(
            KMeansDetector::fit_cancellable(x.view(), 1, &cancel),
            Err(FitError::Cancelled(_))
        ));
        assert!(Autoencoder::fit_cancellable(x.view(), 1, &Cancel::default()).is_ok());
    }
}
