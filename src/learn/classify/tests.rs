use ndarray::{Array2, ArrayView2};

use super::*;
use crate::flows::schema::FlowRecord;
use crate::learn::cancel::Cancel;
use crate::learn::features::tests_support::load;

/// Two interleaved half-moons style classes no straight line separates: class 1 inside a
/// ring of class 0.
fn rings(n: usize) -> (Array2<f64>, Vec<u32>) {
    let mut rows = Vec::with_capacity(n * 2);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let angle = i as f64 * 2.399_963; // golden angle: even cover without a generator
        let inner = i % 3 == 0;
        let r = if inner { 1.0 } else { 3.0 } + ((i * 7919) % 100) as f64 / 250.0;
        rows.extend([r * angle.cos(), r * angle.sin()]);
        y.push(u32::from(inner));
    }
    (Array2::from_shape_vec((n, 2), rows).expect("shape"), y)
}

fn accuracy(c: &Classifier, x: ArrayView2<f64>, y: &[u32]) -> f64 {
    let p = scores::argmax(&c.predict_proba(x));
    p.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
}

#[test]
fn every_model_separates_a_ring_from_its_centre() {
    let (x, y) = rings(600);
    let (xt, yt) = rings(900);
    let test = xt.slice_axis(ndarray::Axis(0), (600..900).into());
    for kind in Kind::ALL {
        let c = Classifier::fit(
            kind,
            x.view(),
            &y,
            2,
            Balance::Weights,
            3,
            &Cancel::default(),
        )
        .expect("fits");
        let acc = accuracy(&c, test, &yt[600..]);
        assert!(acc > 0.95, "{}: accuracy {acc}", kind.name());
        let p = c.predict_proba(test);
        for row in p.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6, "{}: {row}", kind.name());
        }
    }
}

/// The partitioned block prediction must give what walking each row down each tree gives.
#[test]
fn forest_block_prediction_equals_walking_each_row() {
    let (schema, rows) = load("sample-data/cicids2017-sample.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let pipeline = crate::learn::features::FeaturePipeline::fit(&schema, &refs).expect("features");
    let x = pipeline.transform(&refs);
    let y: Vec<u32> = rows
        .iter()
        .map(|r| u32::from(r.label.as_ref().is_some_and(|l| l.attack)))
        .collect();
    let f = Forest::fit(
        x.view(),
        &y,
        2,
        &[1.0, 1.0],
        ForestParams { trees: 20, seed: 1 },
        &Cancel::default(),
    )
    .expect("fits");
    let fast = f.predict_proba(x.view());
    let slow = f.predict_walking(x.view());
    assert_eq!(fast.dim(), slow.dim());
    for (a, b) in fast.iter().zip(slow.iter()) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    // Fully grown trees reproduce their training rows almost perfectly.
    let c = Classifier::Forest(f);
    assert!(accuracy(&c, x.view(), &y) > 0.99);
}

#[test]
fn forest_survives_a_save_and_load() {
    let (x, y) = rings(300);
    let f = Forest::fit(
        x.view(),
        &y,
        2,
        &[1.0, 1.0],
        ForestParams { trees: 5, seed: 2 },
        &Cancel::default(),
    )
    .expect("fits");
    let text = serde_json::to_string(&f).expect("serialise");
    let back: Forest = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(f.predict_proba(x.view()), back.predict_proba(x.view()));
}

#[test]
fn forests_do_not_depend_on_the_thread_count_or_run() {
    let (x, y) = rings(400);
    let a = Forest::fit(
        x.view(),
        &y,
        2,
        &[1.0, 1.0],
        ForestParams { trees: 7, seed: 9 },
        &Cancel::default(),
    )
    .expect("fits");
    let b = Forest::fit(
        x.view(),
        &y,
        2,
        &[1.0, 1.0],
        ForestParams { trees: 7, seed: 9 },
        &Cancel::default(),
    )
    .expect("fits");
    assert_eq!(a.predict_proba(x.view()), b.predict_proba(x.view()));
    assert_eq!(a.importance, b.importance);
    assert!((a.importance.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn balanced_weights_give_every_class_the_same_total() {
    let y = [0, 0, 0, 0, 0, 0, 1, 1, 2];
    let w = class_weights(&y, 3, Balance::Weights);
    let totals: Vec<f64> = (0..3)
        .map(|c| y.iter().filter(|&&v| v == c).count() as f64 * w[c as usize])
        .collect();
    assert!(totals.iter().all(|t| (t - 3.0).abs() < 1e-12), "{totals:?}");
    assert_eq!(class_weights(&y, 3, Balance::None), vec![1.0; 3]);
}

#[test]
fn stratified_folds_keep_class_shares() {
    let y: Vec<u32> = (0..1000).map(|i| u32::from(i % 10 == 0)).collect();
    let folds = cv::stratified_folds(&y, 2, 5, 1);
    for f in 0..5 {
        let members: Vec<u32> = y
            .iter()
            .zip(&folds)
            .filter(|(_, g)| **g == f)
            .map(|(c, _)| *c)
            .collect();
        assert_eq!(members.len(), 200);
        assert_eq!(members.iter().filter(|&&c| c == 1).count(), 20);
    }
}

fn cv_opts(kinds: &[Kind]) -> CvOptions {
    CvOptions {
        kinds: kinds.to_vec(),
        ..CvOptions::default()
    }
}

/// scikit-learn's `RandomForestClassifier` (100 trees, 5-fold stratified CV, one-hot
/// categoricals) reaches macro F1 0.9856 on the bundled sample (`python3 bench/compare.py
/// supervised sample-data/cicids2017-sample.csv`); the forest must be at least as good
/// within 0.005.
#[test]
fn forest_matches_scikit_learn_on_the_bundled_sample() {
    const SKLEARN_MACRO_F1: f64 = 0.9856;
    let (schema, rows) = load("sample-data/cicids2017-sample.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let r = cross_validate(
        &schema,
        &refs,
        &cv_opts(&[Kind::RandomForest]),
        &|_| {},
        &Cancel::default(),
    )
    .expect("cv");
    let m = &r.models[0];
    assert!(
        m.macro_f1 >= SKLEARN_MACRO_F1 - 0.005,
        "macro F1 {}",
        m.macro_f1
    );
    assert!(m.roc_auc > 0.99, "ROC-AUC {}", m.roc_auc);
    assert_eq!(r.best, "random-forest");
    let total: u64 = r.confusion.iter().flatten().sum();
    assert_eq!(total as usize, r.labelled_rows);
    assert_eq!(r.importance.len(), r.features);
    assert!(
        r.importance
            .windows(2)
            .all(|w| w[0].importance >= w[1].importance)
    );
}

#[test]
fn multiclass_cv_pools_rare_attacks_and_reports_a_square_confusion() {
    let (schema, rows) = load("sample-data/cicids2017-sample.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let opts = CvOptions {
        mode: Mode::Multiclass,
        balance: Balance::Smote,
        ..cv_opts(&[Kind::RandomForest])
    };
    let r = cross_validate(&schema, &refs, &opts, &|_| {}, &Cancel::default()).expect("cv");
    assert!(r.classes.len() > 2, "{:?}", r.classes);
    assert_eq!(r.classes[0], "benign");
    assert_eq!(r.confusion.len(), r.classes.len());
    assert!(r.confusion.iter().all(|row| row.len() == r.classes.len()));
    for (pooled, rows) in r.pooled.iter().zip(std::iter::repeat(5)) {
        assert!(
            !r.classes.contains(pooled),
            "{pooled} should be pooled (<{rows} rows)"
        );
    }
    assert!(r.models[0].macro_f1 > 0.6, "{}", r.models[0].macro_f1);
}

#[test]
fn recursive_elimination_keeps_the_requested_number_of_features() {
    let (schema, rows) = load("sample-data/cicids2017-sample.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let opts = CvOptions {
        select: Some(8),
        folds: 3,
        ..cv_opts(&[Kind::RandomForest])
    };
    let r = cross_validate(&schema, &refs, &opts, &|_| {}, &Cancel::default()).expect("cv");
    assert_eq!(r.selected.len(), 8);
    assert_eq!(r.features, 8);
    assert!(r.models[0].macro_f1 > 0.9, "{}", r.models[0].macro_f1);
}

#[test]
fn one_class_or_no_labels_is_a_clear_error() {
    let (_, rows) = load("tests/fixtures/nsl-kdd.csv");
    let benign: Vec<&FlowRecord> = rows
        .iter()
        .filter(|r| r.label.as_ref().is_some_and(|l| !l.attack))
        .collect();
    let e = targets(&benign, Mode::Binary, 1).expect_err("one class");
    assert!(e.to_string().contains("need both benign and attack"), "{e}");
    let (_, zeek) = load("tests/fixtures/zeek-trickbot-head.log");
    let refs: Vec<&FlowRecord> = zeek.iter().collect();
    let e = targets(&refs, Mode::Binary, 1).expect_err("no labels");
    assert!(e.to_string().contains("label column"), "{e}");
}

#[test]
fn unlabelled_rows_are_left_out_and_counted() {
    let (_, rows) = load("tests/fixtures/nsl-kdd.csv");
    let mut refs: Vec<&FlowRecord> = rows.iter().collect();
    let (_, zeek) = load("tests/fixtures/zeek-trickbot-head.log");
    refs.extend(zeek.iter().take(7));
    let l = targets(&refs, Mode::Binary, 1).expect("labelled");
    assert_eq!(l.unlabelled, 7);
    assert_eq!(l.rows.len(), rows.len());
}
