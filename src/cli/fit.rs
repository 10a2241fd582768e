//! What the model-fitting commands share: options merged from the command line and the
//! config file, reading a file's flows, fitting with a progress bar, and the reject report.

use color_eyre::eyre::{Result, eyre};

use crate::cli::args::{ClassifyArgs, ModelArgs};
use crate::cli::config::DetectConfig;
use flowtop::flows::schema::{DetectOptions, FlowRecord, Schema};
use flowtop::flows::source::Input;
use flowtop::learn::classify::{self, CvOptions};
use flowtop::learn::detect::{Cancel, ConsensusParams, DetectorKind};
use flowtop::learn::eval;
use flowtop::learn::model::{FitOptions, ModelSet};
use flowtop::progress::Progress;

/// `--warmup N`: a fit needs at least a detector's fewest rows.
pub fn check_warmup(warmup: Option<usize>) -> Result<()> {
    warmup
        .map_or(Ok(()), flowtop::learn::detect::check_train_rows)
        .map_err(|e| eyre!("--warmup {e}"))
}

/// Command line over config file over defaults.
pub fn fit_options(args: &ModelArgs, cfg: &DetectConfig) -> Result<FitOptions> {
    let kinds = match (&args.detectors[..], cfg.detectors.as_deref()) {
        ([], None | Some([])) => DetectorKind::ALL.to_vec(),
        ([], Some(names)) => names
            .iter()
            .map(|n| DetectorKind::parse_named(n).map_err(|e| eyre!("[detect] detectors: {e}")))
            .collect::<Result<Vec<_>>>()?,
        (kinds, _) => kinds.to_vec(),
    };
    let mut consensus = ConsensusParams::default();
    if let Some(t) = args.threshold.or(cfg.threshold) {
        ConsensusParams::check_threshold(t).map_err(|e| eyre!("--threshold {e}"))?;
        consensus.threshold = t;
    }
    if let Some(r) = args.alert_rate {
        consensus.alert_rate = r;
    } else if let Some(r) = &cfg.alert_rate {
        consensus.alert_rate = r.value().map_err(|e| eyre!("[detect] alert-rate {e}"))?;
    }
    if let Some(n) = args.alerts_per_hour.or(cfg.alerts_per_hour) {
        ConsensusParams::check_alerts_per_hour(n).map_err(|e| eyre!("--alerts-per-hour {e}"))?;
        consensus.alerts_per_hour = Some(n);
    }
    if let Some(k) = args.min_votes.or(cfg.min_votes) {
        ConsensusParams::check_min_votes(k, kinds.len()).map_err(|e| eyre!("--min-votes {e}"))?;
        consensus.min_votes = k;
    } else {
        consensus.min_votes = consensus.min_votes.min(kinds.len());
    }
    Ok(FitOptions {
        supervised: flowtop::learn::model::Supervised::Fixed {
            kind: classify::Kind::RandomForest,
            mode: classify::Mode::Binary,
            balance: classify::Balance::Weights,
        },
        kinds,
        consensus,
        seed: args
            .seed
            .or(cfg.seed)
            .unwrap_or(crate::cli::config::defaults::SEED),
        ..FitOptions::default()
    })
}

pub fn read(
    file: &str,
    detect: &DetectOptions,
) -> Result<(flowtop::flows::ingest::ReadSummary, Vec<FlowRecord>)> {
    let r = eval::read_flows_shown(&Input::parse(file), detect)?;
    if r.1.is_empty() {
        return Err(eyre!("{file}: no flows to work with"));
    }
    Ok(r)
}

pub fn fit(
    schema: &Schema,
    rows: &[FlowRecord],
    opts: &FitOptions,
    file: &str,
) -> Result<ModelSet> {
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let progress = Progress::bar("fitting", opts.kinds.len() as u64);
    let m = ModelSet::fit(schema, &refs, opts, &|_| progress.inc(), &Cancel::default())
        .map_err(|e| eyre!("{file}: {e}"))?;
    progress.finish();
    Ok(m)
}

/// The rows a command could not read, on stderr: how many and the first few with file and
/// line. Silent when there were none.
pub fn say_rejects(file: &str, counts: &flowtop::flows::ingest::LineCounts) {
    if let Some(note) = counts.rejects_note(5) {
        flowtop::errln!("{file}: {note}");
    }
}

/// Checks the classifier flags before any work starts.
pub fn cv_options(args: &ClassifyArgs, seed: u64) -> Result<CvOptions> {
    if args.folds < 2 {
        return Err(eyre!("--folds must be at least 2, got {}", args.folds));
    }
    let balance = args.balance;
    let kinds = if args.classifiers.is_empty() {
        classify::Kind::ALL.to_vec()
    } else {
        args.classifiers.clone()
    };
    if args.select == Some(0) {
        return Err(eyre!("--select needs at least one feature"));
    }
    Ok(CvOptions {
        folds: args.folds,
        mode: if args.multiclass {
            classify::Mode::Multiclass
        } else {
            classify::Mode::Binary
        },
        balance,
        kinds,
        select: args.select,
        seed,
    })
}
