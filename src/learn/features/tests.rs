use super::*;
use crate::learn::features::tests_support::load;

#[test]
fn pipeline_outputs_finite_rows_without_labels_or_constants() {
    let (schema, rows) = load("tests/fixtures/cicflowmeter-mlcve.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let p = FeaturePipeline::fit(&schema, &refs).expect("fits");
    let x = p.transform(&refs);
    assert_eq!(x.ncols(), p.width());
    assert!(x.iter().all(|v| v.is_finite()));
    assert!(
        !p.names.iter().any(|n| n.contains("Label")),
        "{:?}",
        p.names
    );
    for d in ["byte-asymmetry", "packet-asymmetry", "byte-rate"] {
        assert!(p.names.iter().any(|n| n == d), "missing {d}: {:?}", p.names);
    }
    // Every remaining column varies in training.
    for j in 0..x.ncols() {
        let col = x.column(j);
        let first = col[0];
        assert!(
            col.iter().any(|&v| v != first),
            "{} is constant",
            p.names[j]
        );
    }
}

#[test]
fn zeek_categoricals_are_one_hot_or_frequency_and_unseen_values_encode_to_zero() {
    let (schema, rows) = load("tests/fixtures/zeek-trickbot-head.log");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let p = FeaturePipeline::fit(&schema, &refs).expect("fits");
    assert!(
        p.names.iter().any(|n| n.starts_with("proto=")),
        "{:?}",
        p.names
    );
    let mut odd = rows[0].clone();
    for c in &mut odd.categories {
        *c = Some("never-seen".into());
    }
    let x = p.transform(&[&odd]);
    let cat_start = p.numeric.len();
    assert!(x.row(0).iter().skip(cat_start).all(|&v| v == 0.0));
}

#[test]
fn pipeline_survives_a_serde_round_trip() {
    let (schema, rows) = load("tests/fixtures/nsl-kdd.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let p = FeaturePipeline::fit(&schema, &refs).expect("fits");
    let text = serde_json::to_string(&p).expect("serialises");
    let back: FeaturePipeline = serde_json::from_str(&text).expect("parses");
    assert_eq!(back.transform(&refs), p.transform(&refs));
}

#[test]
fn all_missing_data_is_a_clear_error() {
    let (schema, rows) = load("tests/fixtures/nsl-kdd.csv");
    let mut blank = rows[0].clone();
    blank.values.iter_mut().for_each(|v| *v = f64::NAN);
    blank.categories.iter_mut().for_each(|c| *c = None);
    blank.core = Default::default();
    let err = FeaturePipeline::fit(&schema, &[&blank, &blank]).expect_err("nothing to learn");
    assert_eq!(err, FeatureError::NoFeatures(2));
}
