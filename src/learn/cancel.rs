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

    /// The classifiers look too: the forest before each tree, the MLP before each epoch,
    /// the SVM before each one-vs-rest machine.
    #[test]
    fn the_classifiers_stop_at_their_first_check() {
        use crate::learn::classify::{Balance, Classifier, Kind};
        let x = Array2::from_shape_fn((300, 3), |(i, j)| ((i * 5 + j * 11) % 13) as f64);
        let y: Vec<u32> = (0..300).map(|i| u32::from(i % 3 == 0)).collect();
        let cancel = Cancel::default();
        cancel.cancel();
        for kind in Kind::ALL {
            let fitted = Classifier::fit(kind, x.view(), &y, 2, Balance::Weights, 1, &cancel);
            assert!(
                matches!(fitted, Err(FitError::Cancelled(_))),
                "{}: {:?}",
                kind.name(),
                fitted.err()
            );
            let fitted = Classifier::fit(
                kind,
                x.view(),
                &y,
                2,
                Balance::Weights,
                1,
                &Cancel::default(),
            );
            assert!(fitted.is_ok(), "{}: {:?}", kind.name(), fitted.err());
        }
    }
}
