//! Each detector against its scikit-learn / `PyOD` counterpart on the same rows: a slice of an
//! NSL-KDD feature split with the Python scores stored once (tests/fixtures/reference,
//! made by `bench/make_reference.py`). Rank correlation, because only the order matters once
//! scores are calibrated; the bounds say how close each implementation is expected to be.

use ndarray::Array2;

use super::*;

fn read(path: &str) -> (Vec<String>, Array2<f64>) {
    let mut r = csv::Reader::from_path(path).expect("fixture");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut cells = Vec::new();
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.expect("row");
        cells.extend(rec.iter().map(|c| c.parse::<f64>().expect("number")));
        rows += 1;
    }
    let cols = header.len();
    (
        header,
        Array2::from_shape_vec((rows, cols), cells).expect("shape"),
    )
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn check<D: Detector>(min_rho: f64) {
    let (_, train) = read("tests/fixtures/reference/train.csv");
    let (_, test) = read("tests/fixtures/reference/test.csv");
    let (names, reference) = read("tests/fixtures/reference/scores.csv");
    let col = names
        .iter()
        .position(|n| n == D::KIND.name())
        .expect("reference column");
    let ours = D::fit(train.view(), 7).expect("fits").score(test.view());
    let theirs = reference.column(col).to_vec();
    let rho = spearman(ours.as_slice().unwrap_or_default(), &theirs);
    assert!(
        rho >= min_rho,
        "{}: Spearman {rho:.3} with the Python reference (want ≥ {min_rho})",
        D::KIND
    );
}

#[test]
fn zscore_matches_numpy() {
    check::<RobustZ>(0.999);
}

#[test]
fn hbos_matches_pyod() {
    check::<Hbos>(0.99);
}

#[test]
fn ecod_matches_pyod() {
    check::<Ecod>(0.99);
}

#[test]
fn iforest_matches_scikit_learn() {
    check::<IsolationForest>(0.93);
}

#[test]
fn ocsvm_matches_scikit_learn() {
    check::<OneClassSvm>(0.99);
}

/// LOF scores against 400 distinct sampled reference rows where scikit-learn uses all 800
/// training rows with duplicates: the neighbourhoods differ, so the order agrees less (and
/// on the full data sets flowtop's LOF ranks attacks better; see ARCHITECTURE.md).
#[test]
fn lof_matches_scikit_learn() {
    check::<Lof>(0.6);
}

#[test]
fn kmeans_matches_scikit_learn() {
    check::<KMeansDetector>(0.95);
}

/// DBSCAN clusters a 600-row sample and thins the core points to an eps/4 net, so distances
/// to the nearest core point are coarser than the Python counterpart's.
#[test]
fn dbscan_matches_scikit_learn() {
    check::<DbscanDetector>(0.65);
}

#[test]
fn autoencoder_matches_an_mlp_regressor() {
    check::<Autoencoder>(0.85);
}

#[test]
fn spearman_of_a_reversal_is_minus_one() {
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}
