//! Shared test data for detectors: a seeded Gaussian blob with planted outliers, and the
//! reference-score fixtures computed once with scikit-learn / `PyOD`.

use ndarray::{Array1, Array2};
use rand::Rng;

use super::Detector;
use crate::learn::sample;

/// 500 inliers around 0 in 4 dimensions (two correlated), then 10 outliers far out.
pub fn blob_with_outliers() -> (Array2<f64>, Vec<bool>) {
    let mut rng = sample::rng(7);
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for i in 0..510 {
        let outlier = i >= 500;
        let g = |rng: &mut rand::rngs::SmallRng| {
            // Sum of uniforms: close enough to a Gaussian for a test.
            (0..6).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>() / 1.4
        };
        let a = g(&mut rng);
        let mut row = [a, a * 0.8 + 0.2 * g(&mut rng), g(&mut rng), g(&mut rng)];
        if outlier {
            row[i % 4] += if i % 2 == 0 { 6.0 } else { -6.0 };
        }
        rows.extend(row);
        truth.push(outlier);
    }
    (
        Array2::from_shape_vec((510, 4), rows).expect("shape"),
        truth,
    )
}

pub fn auc(scores: &Array1<f64>, truth: &[bool]) -> f64 {
    crate::learn::metrics::roc_auc(scores.as_slice().unwrap_or_default(), truth)
}

pub fn assert_finds_planted_outliers<D: Detector>(min_auc: f64) {
    let (x, truth) = blob_with_outliers();
    let d = D::fit(x.view(), 1).expect("fits");
    let s = d.score(x.view());
    assert!(s.iter().all(|v| v.is_finite()));
    let a = auc(&s, &truth);
    assert!(
        a >= min_auc,
        "{}: ROC-AUC {a:.3} on planted outliers",
        D::KIND
    );
}
