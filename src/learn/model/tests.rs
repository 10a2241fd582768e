use super::*;
use crate::learn::detect::Cancel;
use crate::learn::features::tests_support::load as load_fixture;

fn fitted(path: &str) -> (Schema, Vec<FlowRecord>, ModelSet) {
    let (schema, rows) = load_fixture(path);
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let m = ModelSet::fit_default(&schema, &refs).expect("fits");
    (schema, rows, m)
}

#[test]
fn a_saved_model_scores_exactly_like_the_one_in_memory() {
    let (schema, rows, m) = fitted("tests/fixtures/nsl-kdd.csv");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.json");
    save(&m, &path).expect("saves");
    let back = load(&path, Some(&SchemaFingerprint::of(&schema))).expect("loads");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let (a, b) = (m.score(&refs), back.score(&refs));
    assert_eq!(a.verdicts, b.verdicts);
    assert_eq!(a.scores.raw, b.scores.raw);
}

#[test]
fn another_schema_or_version_or_a_truncated_file_is_refused_clearly() {
    let (_, _, m) = fitted("tests/fixtures/nsl-kdd.csv");
    let (zeek, _) = load_fixture("tests/fixtures/zeek-trickbot-head.log");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.json");
    save(&m, &path).expect("saves");
    let err = load(&path, Some(&SchemaFingerprint::of(&zeek))).expect_err("other schema");
    assert!(err.to_string().contains("trained on nsl-kdd"), "{err}");

    let text = std::fs::read_to_string(&path).expect("reads");
    std::fs::write(&path, &text[..text.len() / 2]).expect("writes");
    let err = load(&path, None).expect_err("truncated");
    assert!(
        err.to_string().contains("not a flowtop model file"),
        "{err}"
    );

    let other = text.replacen(
        &format!("\"version\":{FORMAT_VERSION}"),
        "\"version\":999",
        1,
    );
    std::fs::write(&path, other).expect("writes");
    let err = load(&path, None).expect_err("version");
    assert!(err.to_string().contains("version 999"), "{err}");
}

#[test]
fn too_few_rows_leave_detectors_failed_with_a_reason_not_a_panic() {
    let (schema, rows) = load_fixture("tests/fixtures/nsl-kdd.csv");
    let refs: Vec<&FlowRecord> = rows.iter().take(10).collect();
    let m = ModelSet::fit_default(&schema, &refs).expect("pipeline fits");
    for d in &m.detectors.detectors {
        assert!(!d.is_ready(), "{} fitted on 10 rows", d.kind);
        assert!(
            matches!(&d.status, crate::learn::detect::DetectorStatus::Failed(r) if r.contains("32"))
        );
    }
    let s = m.score(&refs);
    assert!(s.verdicts.iter().all(|v| !v.flagged && v.score.is_nan()));
}

#[test]
fn a_cancelled_fit_stops_before_its_remaining_detectors() {
    let (schema, rows) = load_fixture("tests/fixtures/nsl-kdd.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let cancel = Cancel::default();
    let fitted = std::sync::atomic::AtomicUsize::new(0);
    // Called off as soon as the first detector is done.
    let progress = |_| {
        fitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        cancel.cancel();
    };
    let opts = FitOptions::default();
    let r = ModelSet::fit(&schema, &refs, &opts, &progress, &cancel);
    assert!(matches!(r, Err(ModelFitError::Cancelled(_))), "{r:?}");
    let fitted = fitted.into_inner();
    assert!(
        fitted <= rayon::current_num_threads() && fitted < opts.kinds.len(),
        "only the fits already running finish: {fitted} of {}",
        opts.kinds.len()
    );
}

#[test]
fn a_sampled_fit_trains_the_detectors_on_the_sample_and_the_classifier_on_every_row() {
    let (schema, rows) = load_fixture("tests/fixtures/nsl-kdd.csv");
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let opts = FitOptions {
        sample: 40,
        ..FitOptions::default()
    };
    let m = ModelSet::fit(&schema, &refs, &opts, &|_| {}, &Cancel::default()).expect("fits");
    assert_eq!(m.trained_rows, 40);
    let c = m.classifier.as_ref().expect("the fixture is labelled");
    assert_eq!(c.labelled_rows, rows.len());
    // The same seed picks the same sample.
    let again = ModelSet::fit(&schema, &refs, &opts, &|_| {}, &Cancel::default()).expect("fits");
    assert_eq!(m.score(&refs).verdicts, again.score(&refs).verdicts);
}
