//! `flowtop train`: fit the model set on a file and save it.

use color_eyre::eyre::{Result, eyre};

use super::fit::{cv_options, fit, fit_options, read, say_rejects};
use crate::cli::args::TrainArgs;
use crate::cli::config::Config;
use flowtop::flows::schema::DetectOptions;
use flowtop::learn::classify;
use flowtop::learn::model;

pub fn run(args: &TrainArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
    let mut opts = fit_options(&args.model, &cfg.detect)?;
    let cv = cv_options(&args.classify, opts.seed)?;
    opts.supervised = if args.no_classifier {
        flowtop::learn::model::Supervised::Off
    } else if args.supervised {
        flowtop::learn::model::Supervised::Select(cv)
    } else {
        flowtop::learn::model::Supervised::Fixed {
            kind: cv
                .kinds
                .first()
                .copied()
                .unwrap_or(classify::Kind::RandomForest),
            mode: cv.mode,
            balance: cv.balance,
        }
    };
    opts.sample = args.sample;
    let (summary, rows) = read(&args.file, detect)?;
    say_rejects(&args.file, &summary.counts);
    let m = fit(&summary.schema, &rows, &opts, &args.file)?;
    if m.detectors.ready().count() == 0 {
        let why = m
            .detectors
            .detectors
            .first()
            .map(|d| d.status.detail().to_string())
            .unwrap_or_default();
        return Err(eyre!(
            "{}: no detector could be fitted on its {} flows ({why}); nothing saved",
            args.file,
            m.trained_rows
        ));
    }
    model::save(&m, &args.save)?;
    let ready = m.detectors.ready().count();
    let sampled = if m.trained_rows < rows.len() {
        format!(", the detectors on a random sample of {}", m.trained_rows)
    } else {
        String::new()
    };
    flowtop::errln!(
        "{}: trained on {} flows ({} rows rejected) in {:.2} s{sampled}; {ready} of {} detectors ready; saved to {}",
        args.file,
        rows.len(),
        summary.counts.rejected,
        m.fit_s,
        m.detectors.detectors.len(),
        args.save.display()
    );
    for d in m.detectors.detectors.iter().filter(|d| !d.is_ready()) {
        flowtop::errln!("  {} sits out: {}", d.kind, d.status.detail());
    }
    match (&m.classifier, &m.classifier_note) {
        (Some(c), _) => {
            let chosen = match &c.cv {
                Some(cv) => {
                    let best = cv.models.iter().find(|r| r.name == cv.best);
                    format!(
                        ", chosen by {}-fold CV (macro F1 {:.4})",
                        cv.folds,
                        best.map_or(f64::NAN, |b| b.macro_f1)
                    )
                }
                None => String::new(),
            };
            flowtop::errln!(
                "  classifier: {} ({}) on {} labelled flows{chosen}",
                c.model.kind().name(),
                c.mode.name(),
                c.labelled_rows
            );
        }
        (None, Some(note)) => flowtop::errln!("  no classifier: {note}"),
        (None, None) => {}
    }
    Ok(())
}
