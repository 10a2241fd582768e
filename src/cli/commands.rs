//! The headless model commands (eval, train, score): argument checks, then the library.

use crate::engine::Reservoir;
use crate::learn::detect::Cancel;
use std::io::Write;

use color_eyre::eyre::{Result, eyre};

use crate::cli::args::{ClassifyArgs, EvalArgs, ModelArgs, ScoreArgs, TrainArgs};
use crate::cli::config::{Config, DetectConfig};
use crate::cli::progress::Progress;
use crate::engine::output::{BATCH, OutputFormat, ScoreWriter};
use crate::flows::schema::{DetectOptions, FlowRecord};
use crate::flows::source::Input;
use crate::learn::classify::{self, CvOptions};
use crate::learn::detect::{ConsensusParams, DetectorKind};
use crate::learn::eval::{self, EvalOptions};
use crate::learn::model::{self, FitOptions, ModelSet, SchemaFingerprint};

/// `--warmup N`: a fit needs at least a detector's fewest rows.
pub fn check_warmup(warmup: Option<usize>) -> Result<()> {
    warmup
        .map_or(Ok(()), crate::learn::detect::check_train_rows)
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
        supervised: crate::learn::model::Supervised::Fixed {
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

pub fn eval(args: &EvalArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
    if !(args.train_fraction > 0.0 && args.train_fraction < 1.0) {
        return Err(eyre!(
            "--train-fraction must be between 0 and 1 (exclusive), got {}",
            args.train_fraction
        ));
    }
    let fit = fit_options(&args.model, &cfg.detect)?;
    let input = Input::parse(&args.file);
    if args.supervised {
        let opts = cv_options(&args.classify, fit.seed)?;
        let r = eval::supervised::run(&input, detect, &opts)?;
        if args.json {
            crate::sanitize::print_json(&r)?;
        } else {
            crate::out!("{}", eval::supervised::render_text(&r))?;
        }
        return Ok(());
    }
    if args.stream {
        check_warmup(args.warmup)?;
        let opts = eval::stream::StreamOptions {
            fit,
            warmup: args.warmup.or(cfg.engine.warmup).unwrap_or(2000),
            retrain_every: args
                .retrain_every
                .or(cfg.engine.retrain_every)
                .unwrap_or(5000),
            window: cfg
                .engine
                .window
                .unwrap_or(crate::cli::config::defaults::WINDOW),
        };
        let r = eval::stream::run(&input, detect, &opts)?;
        if args.json {
            crate::sanitize::print_json(&r)?;
        } else {
            crate::out!("{}", eval::stream::render_text(&r))?;
        }
        return Ok(());
    }
    let opts = EvalOptions {
        train_fraction: args.train_fraction,
        fit,
        export_split: args.export_split.clone(),
        attack_share: args.attack_share,
        model: args
            .saved
            .as_ref()
            .map(|p| model::load(p, None).map(|m| (p.display().to_string(), m)))
            .transpose()?,
    };
    if let Some(a) = args.attack_share
        && !(a > 0.0 && a < 1.0)
    {
        return Err(eyre!(
            "--attack-share must be between 0 and 1 (exclusive), got {a}"
        ));
    }
    let report = eval::eval(&input, detect, &opts)?;
    if args.json {
        crate::sanitize::print_json(&report)?;
    } else {
        crate::out!("{}", eval::render_text(&report))?;
    }
    Ok(())
}

fn read(
    file: &str,
    detect: &DetectOptions,
) -> Result<(crate::flows::ingest::ReadSummary, Vec<FlowRecord>)> {
    let r = eval::read_flows_shown(&Input::parse(file), detect)?;
    if r.1.is_empty() {
        return Err(eyre!("{file}: no flows to work with"));
    }
    Ok(r)
}

fn fit(
    summary: &crate::flows::ingest::ReadSummary,
    rows: &[FlowRecord],
    opts: &FitOptions,
    file: &str,
) -> Result<ModelSet> {
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let progress = Progress::bar("fitting", opts.kinds.len() as u64);
    let m = ModelSet::fit(
        &summary.schema,
        &refs,
        opts,
        &|_| progress.inc(),
        &Cancel::default(),
    )
    .map_err(|e| eyre!("{file}: {e}"))?;
    progress.finish();
    Ok(m)
}

pub fn train(args: &TrainArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
    let mut opts = fit_options(&args.model, &cfg.detect)?;
    let cv = cv_options(&args.classify, opts.seed)?;
    opts.supervised = if args.no_classifier {
        crate::learn::model::Supervised::Off
    } else if args.supervised {
        crate::learn::model::Supervised::Select(cv)
    } else {
        crate::learn::model::Supervised::Fixed {
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
    let m = fit(&summary, &rows, &opts, &args.file)?;
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
    crate::errln!(
        "{}: trained on {} flows ({} rows rejected) in {:.2} s{sampled}; {ready} of {} detectors ready; saved to {}",
        args.file,
        rows.len(),
        summary.counts.rejected,
        m.fit_s,
        m.detectors.detectors.len(),
        args.save.display()
    );
    for d in m.detectors.detectors.iter().filter(|d| !d.is_ready()) {
        crate::errln!("  {} sits out: {}", d.kind, d.status.detail());
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
            crate::errln!(
                "  classifier: {} ({}) on {} labelled flows{chosen}",
                c.model.kind().name(),
                c.mode.name(),
                c.labelled_rows
            );
        }
        (None, Some(note)) => crate::errln!("  no classifier: {note}"),
        (None, None) => {}
    }
    Ok(())
}

pub fn score(args: &ScoreArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
    let format = match &args.output {
        Some(p) => OutputFormat::for_path(p).map_err(|e| eyre!(e))?,
        None => OutputFormat::Csv,
    };
    // A bad model file is reported before the output file is created.
    let saved = args
        .model
        .as_ref()
        .map(|p| model::load(p, None).map(|m| (p, m)))
        .transpose()?;
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| eyre!("{}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut w = ScoreWriter::new(out, format, cfg.threat);
    let summary_counts;
    let progress = Progress::spinner("scoring");
    let mut write = |m: &ModelSet, rows: &[FlowRecord]| -> Result<()> {
        for chunk in rows.chunks(BATCH) {
            let refs: Vec<&FlowRecord> = chunk.iter().collect();
            w.write_batch(m, &refs, &m.score(&refs))?;
            progress.set(w.rows);
        }
        Ok(())
    };
    match saved {
        // A saved model scores the file as it is read: memory stays bounded however long it
        // is. Its schema is checked before the first flow.
        Some((path, m)) => {
            summary_counts = crate::flows::ingest::read_batches(
                &Input::parse(&args.file),
                detect,
                BATCH,
                |schema| -> Result<()> {
                    let path = path.display().to_string();
                    Ok(model::check_schema(
                        &m,
                        &SchemaFingerprint::of(schema),
                        &path,
                    )?)
                },
                |rows| write(&m, &rows),
            )?
            .counts;
        }
        // Without one, the detectors learn from a sample of the file (read once for it) and
        // every flow is scored on a second read: memory stays bounded. stdin cannot be read
        // twice: the model learns from its first flows. `--sample 0` holds the whole file.
        None => {
            let mut opts = fit_options(&args.fit, &cfg.detect)?;
            opts.sample = args.sample;
            let input = Input::parse(&args.file);
            summary_counts = match (&input, args.sample) {
                (_, 0) => {
                    let (summary, rows) = read(&args.file, detect)?;
                    let m = fit(&summary, &rows, &opts, &args.file)?;
                    write(&m, &rows)?;
                    summary.counts
                }
                (Input::File(_), _) => {
                    let (summary, sample) = read_sample(&input, detect, &mut opts)?;
                    let m = fit(&summary, sample.items(), &opts, &args.file)?;
                    let read = crate::flows::ingest::read_batches(
                        &input,
                        detect,
                        BATCH,
                        |_| Ok::<_, color_eyre::Report>(()),
                        |rows| write(&m, &rows),
                    )?;
                    read.counts
                }
                (Input::Stdin, _) => score_stdin(&input, detect, &opts, &args.file, &mut write)?,
            };
        }
    }
    progress.finish();
    let (n, flagged) = w.finish()?;
    let rejected = summary_counts.rejected;
    let to = args
        .output
        .as_ref()
        .map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
    crate::errln!(
        "{}: {n} flows scored, {flagged} flagged, {rejected} rows rejected; written to {to}",
        args.file
    );
    say_rejects(&args.file, &summary_counts);
    Ok(())
}

/// A seeded sample of `opts.sample` flows of a file, read once; the file's traffic rate goes
/// into `opts` (the sample's own would be the sample's size over the file's span).
fn read_sample(
    input: &Input,
    detect: &DetectOptions,
    opts: &mut FitOptions,
) -> Result<(crate::flows::ingest::ReadSummary, Reservoir<FlowRecord>)> {
    let mut sample = Reservoir::new(opts.sample, opts.seed);
    let mut rate = crate::learn::model::TrafficRate::default();
    let progress = Progress::spinner("sampling");
    let mut seen = 0u64;
    let summary = crate::flows::ingest::read_batches(
        input,
        detect,
        BATCH,
        |_| Ok::<_, color_eyre::Report>(()),
        |rows| {
            seen += rows.len() as u64;
            progress.set(seen);
            for r in rows {
                rate.add(r.ts);
                sample.push(r);
            }
            Ok(())
        },
    )?;
    progress.finish();
    if sample.is_empty() {
        return Err(eyre!("{}: no flows to work with", input.display_name()));
    }
    opts.flows_per_hour = rate.per_hour();
    Ok((summary, sample))
}

/// Scores stdin without a model: the first `opts.sample` flows are held and learnt from,
/// then scored, and the rest are scored as they arrive.
fn score_stdin(
    input: &Input,
    detect: &DetectOptions,
    opts: &FitOptions,
    file: &str,
    write: &mut impl FnMut(&ModelSet, &[FlowRecord]) -> Result<()>,
) -> Result<crate::flows::ingest::LineCounts> {
    let schema = std::cell::OnceCell::new();
    let mut head: Vec<FlowRecord> = Vec::new();
    let mut model: Option<ModelSet> = None;
    let fit_head = |schema: Option<&crate::flows::schema::Schema>, head: &[FlowRecord]| {
        let refs: Vec<&FlowRecord> = head.iter().collect();
        let schema = schema.ok_or_else(|| eyre!("{file}: no flows to work with"))?;
        ModelSet::fit(schema, &refs, opts, &|_| {}, &Cancel::default())
            .map_err(|e| eyre!("{file}: {e}"))
    };
    let summary = crate::flows::ingest::read_batches(
        input,
        detect,
        BATCH,
        |s| {
            let _ = schema.set(s.clone());
            Ok::<_, color_eyre::Report>(())
        },
        |rows| {
            if let Some(m) = &model {
                return write(m, &rows);
            }
            head.extend(rows);
            if head.len() >= opts.sample {
                let m = fit_head(schema.get(), &head)?;
                write(&m, &std::mem::take(&mut head))?;
                model = Some(m);
            }
            Ok(())
        },
    )?;
    if model.is_none() {
        if head.is_empty() {
            return Err(eyre!("{file}: no flows to work with"));
        }
        let m = fit_head(schema.get(), &head)?;
        write(&m, &head)?;
    }
    Ok(summary.counts)
}

/// The rows a command could not read, on stderr: how many and the first few with file and
/// line. Silent when there were none.
fn say_rejects(file: &str, counts: &crate::flows::ingest::LineCounts) {
    if let Some(note) = counts.rejects_note(5) {
        crate::errln!("{file}: {note}");
    }
}

/// `flowtop threat`: one flow's threat score from its core fields.
pub fn threat(args: &crate::cli::args::ThreatArgs, cfg: &crate::cli::config::Config) -> Result<()> {
    let default_file = cfg
        .ui
        .model_file
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("flowtop-model.json"));
    let path = match &args.model {
        Some(p) => Some(p.clone()),
        None => default_file.exists().then_some(default_file),
    };
    let model = match &path {
        Some(p) => Some(crate::learn::model::load(p, None)?),
        None => None,
    };
    let query = crate::learn::threat::ThreatQuery {
        duration: args.duration,
        fwd_packets: args.fwd_packets,
        bwd_packets: args.bwd_packets,
        fwd_bytes: args.fwd_bytes,
        bwd_bytes: args.bwd_bytes,
        mean_packet_size: args.mean_packet_size,
        dport: args.dport,
        proto: args.proto.clone(),
        state: args.state.clone(),
        ..Default::default()
    };
    let a = crate::learn::threat::evaluate(model.as_ref(), &query, &cfg.threat)
        .map_err(|e| eyre!(e))?;
    if args.json {
        crate::sanitize::print_json(&a)?;
        return Ok(());
    }
    crate::outln!("threat {:.0}/100 {} ({})", a.score, a.level.name(), a.basis)?;
    if let Some(p) = &path {
        crate::outln!("model: {}", p.display())?;
    }
    for r in &a.reasons {
        crate::outln!("  +{:>4.1}  {}", r.points, r.detail)?;
    }
    if !a.top_features.is_empty() {
        crate::outln!("top deviations: {}", a.top_features_text())?;
    }
    for r in &a.recommendations {
        crate::outln!("-> {r}")?;
    }
    for i in &a.imputed {
        crate::outln!("imputed: {i}")?;
    }
    Ok(())
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
