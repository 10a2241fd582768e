//! `flowtop score`: every flow of a file with its scores, votes, flag, threat and class.

use std::io::Write;

use color_eyre::eyre::{Result, eyre};

use super::fit::{fit, fit_options, read, say_rejects};
use crate::cli::args::ScoreArgs;
use crate::cli::config::Config;
use flowtop::engine::Reservoir;
use flowtop::engine::output::{BATCH, OutputFormat, ScoreWriter};
use flowtop::flows::ingest::LineCounts;
use flowtop::flows::schema::{DetectOptions, FlowRecord, Schema};
use flowtop::flows::source::Input;
use flowtop::learn::model::{self, FitOptions, ModelSet, SchemaFingerprint};
use flowtop::progress::Progress;

pub fn run(args: &ScoreArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
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
            let path = path.display().to_string();
            summary_counts = read_ahead(
                &Input::parse(&args.file),
                detect,
                |schema| {
                    Ok(model::check_schema(
                        &m,
                        &SchemaFingerprint::of(schema),
                        &path,
                    )?)
                },
                |rows| write(&m, rows),
            )?;
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
                    let m = fit(&summary.schema, &rows, &opts, &args.file)?;
                    write(&m, &rows)?;
                    summary.counts
                }
                (Input::File(_), _) => {
                    let (summary, sample) = read_sample(&input, detect, &mut opts)?;
                    let m = fit(&summary.schema, sample.items(), &opts, &args.file)?;
                    read_ahead(&input, detect, |_| Ok(()), |rows| write(&m, rows))?
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
    flowtop::errln!(
        "{}: {n} flows scored, {flagged} flagged, {rejected} rows rejected; written to {to}",
        args.file
    );
    say_rejects(&args.file, &summary_counts);
    Ok(())
}

/// Reads and decodes `input` on a thread of its own while this one scores and writes, so the
/// two overlap (one waited for the other before); `check` sees the schema before any flow.
fn read_ahead(
    input: &Input,
    detect: &DetectOptions,
    check: impl FnOnce(&Schema) -> Result<()> + Send,
    mut write: impl FnMut(&[FlowRecord]) -> Result<()>,
) -> Result<LineCounts> {
    // Two batches in flight: enough to keep both sides busy, little memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FlowRecord>>(2);
    std::thread::scope(|s| {
        let reader = std::thread::Builder::new()
            .name("flowtop-read".into())
            .spawn_scoped(s, move || {
                flowtop::flows::ingest::read_batches(input, detect, BATCH, check, |rows| {
                    tx.send(rows).map_err(|_| eyre!("the scoring side stopped"))
                })
            })?;
        let mut written = Ok(());
        for rows in &rx {
            if let Err(e) = write(&rows) {
                written = Err(e);
                break;
            }
        }
        // A reader waiting on the full channel gets an error and stops.
        drop(rx);
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The writer's error comes first: a closed pipe is why the reader stopped.
        written?;
        Ok(read?.counts)
    })
}

/// A seeded sample of `opts.sample` flows of a file, read once; the file's traffic rate goes
/// into `opts` (the sample's own would be the sample's size over the file's span).
fn read_sample(
    input: &Input,
    detect: &DetectOptions,
    opts: &mut FitOptions,
) -> Result<(flowtop::flows::ingest::ReadSummary, Reservoir<FlowRecord>)> {
    let mut sample = Reservoir::new(opts.sample, opts.seed);
    let mut rate = flowtop::learn::model::TrafficRate::default();
    let progress = Progress::spinner("sampling");
    let mut seen = 0u64;
    let summary = flowtop::flows::ingest::read_batches(
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
) -> Result<flowtop::flows::ingest::LineCounts> {
    let schema = std::cell::OnceCell::new();
    let mut head: Vec<FlowRecord> = Vec::new();
    let mut model: Option<ModelSet> = None;
    let summary = flowtop::flows::ingest::read_batches(
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
                // Known before the first batch.
                let schema = schema
                    .get()
                    .ok_or_else(|| eyre!("{file}: no flows to work with"))?;
                let m = fit(schema, &head, opts, file)?;
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
        let m = fit(&summary.schema, &head, opts, file)?;
        write(&m, &head)?;
    }
    Ok(summary.counts)
}
