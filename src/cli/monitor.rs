//! Turns the monitor's command line and config into `TuiOptions`, checking everything that
//! can be wrong (theme, keys, colour, speed, model file, readable input, a terminal) before the
//! terminal enters raw mode.

use std::io::IsTerminal;
use std::path::PathBuf;

use color_eyre::eyre::{Result, eyre};

use crate::cli::args::{EngineArgs, MonitorArgs};
use crate::cli::config::Config;
use crate::cli::values::{self, ColorWhen, SpeedChoice};
use flowtop::engine::EngineConfig;
use flowtop::flows::ingest::live::{IngestConfig, IngestMode};
use flowtop::flows::schema::DetectOptions;
use flowtop::flows::source::Input;
use flowtop::flows::source::replay::Speed;
use flowtop::learn::model::ModelSet;
use flowtop::monitor::app::KeyMap;
use flowtop::monitor::event_loop::TuiOptions;
use flowtop::monitor::theme::Theme;

pub fn prepare(
    file: &str,
    mode: IngestMode,
    speed: Option<SpeedChoice>,
    args: &MonitorArgs,
    cfg: &Config,
    log: Option<String>,
) -> Result<TuiOptions> {
    let (ingest, engine, model) = engine_options(file, mode, speed, &args.engine, cfg)?;
    let theme_name = args
        .theme
        .clone()
        .or_else(|| cfg.ui.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let mut theme = Theme::load(&theme_name)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => !no_color,
    };
    if !colour {
        theme = theme.without_colour();
    }
    let keys = KeyMap::new(&cfg.key_overrides())?;
    if !std::io::stdout().is_terminal() {
        return Err(eyre!(
            "the monitor needs a terminal; for scripts use `flowtop score`, `eval` or `inspect`"
        ));
    }
    Ok(TuiOptions {
        ingest,
        engine,
        model,
        theme,
        keys,
        ascii: args.ascii || cfg.ui.ascii.unwrap_or(false),
        mouse: args.mouse,
        model_file: cfg
            .ui
            .model_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("flowtop-model.json")),
        export_dir: cfg
            .ui
            .export_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".")),
        log,
    })
}

/// The live engine's input, configuration and starting model, from the command line over the
/// config file, with everything that can be wrong checked (readable input that is flows, model
/// file, durations): what the monitor and `flowtop serve` both run.
pub fn engine_options(
    file: &str,
    mode: IngestMode,
    speed: Option<SpeedChoice>,
    args: &EngineArgs,
    cfg: &Config,
) -> Result<(IngestConfig, EngineConfig, Option<ModelSet>)> {
    let input = Input::parse(file);
    let detect = cfg
        .input
        .detect_options(args.input.format, &args.input.map)
        .map_err(|e| eyre!(e))?;
    if let Input::File(p) = &input {
        match std::fs::File::open(p) {
            Ok(_) => check_content(&input, &detect)?,
            // Following a log that is not there yet waits for it, as `tail -F` does.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && matches!(mode, IngestMode::Follow { .. }) => {}
            Err(e) => return Err(eyre!("{}: cannot read: {e}", input.display_name())),
        }
    }
    let speed = match speed {
        Some(SpeedChoice::Auto) => auto_speed(&input, &detect),
        Some(SpeedChoice::Fixed(s)) => s,
        None => Speed::Max,
    };
    let model = match &args.model {
        Some(p) => Some(flowtop::learn::model::load(p, None)?),
        None => None,
    };
    // The config's durations were checked when it was read.
    let configured = |key: &str, v: &Option<String>| -> Result<Option<f64>> {
        v.as_deref()
            .map(|v| values::duration(v).map_err(|e| eyre!("[engine] {key}: {e}")))
            .transpose()
    };
    let bucket = args
        .bucket
        .map_or_else(|| configured("bucket", &cfg.engine.bucket), |b| Ok(Some(b)))?;
    let lateness = args.lateness.map_or_else(
        || configured("lateness", &cfg.engine.lateness),
        |l| Ok(Some(l)),
    )?;
    crate::cli::fit::check_warmup(args.warmup)?;
    let mut ingest = IngestConfig::new(input, mode);
    ingest.speed = speed;
    ingest.detect = detect;
    let engine = EngineConfig {
        fit: flowtop::learn::model::FitOptions {
            // The first labelled window picks the classifier by 3-fold CV; refits keep it.
            supervised: flowtop::learn::model::Supervised::Select(
                flowtop::learn::classify::CvOptions {
                    folds: 3,
                    ..flowtop::learn::classify::CvOptions::default()
                },
            ),
            ..crate::cli::fit::fit_options(&args.fit, &cfg.detect)?
        },
        warmup: args
            .warmup
            .or(cfg.engine.warmup)
            .unwrap_or(crate::cli::config::defaults::WARMUP),
        window: cfg
            .engine
            .window
            .unwrap_or(crate::cli::config::defaults::WINDOW),
        retrain_every: args
            .retrain_every
            .or(cfg.engine.retrain_every)
            .unwrap_or(crate::cli::config::defaults::RETRAIN_EVERY),
        bands: cfg.threat,
        backlog: cfg
            .engine
            .window
            .unwrap_or(crate::cli::config::defaults::WINDOW),
        // Following from the end is live traffic: keep one-second buckets. Anything that reads
        // history gets buckets sized to its span, unless a width is given.
        auto_bucket: bucket.is_none() && !matches!(mode, IngestMode::Follow { from_start: false }),
        bucket_s: bucket.unwrap_or(1.0),
        lateness_s: lateness.unwrap_or(flowtop::engine::DEFAULT_LATENESS_S),
        volume_vote: args.volume_vote || cfg.engine.volume_vote.unwrap_or(false),
        live_clock: matches!(mode, IngestMode::Follow { from_start: false }),
        first_fit_waits: !matches!(mode, IngestMode::Follow { from_start: false }),
        alerts: flowtop::engine::alerts::AlertConfig {
            jsonl: args.alerts_out.clone(),
            syslog: args.syslog.clone(),
        },
        ..EngineConfig::default()
    };
    // Opened once here so a wrong path is said before anything starts.
    if engine.alerts.any() {
        flowtop::engine::alerts::AlertOutputs::open(&engine.alerts).map_err(|e| eyre!(e))?;
    }
    Ok((ingest, engine, model))
}

/// How long a replay without `--speed` takes: long enough to watch, short enough to wait for.
const AUTO_REPLAY_S: f64 = 120.0;
/// Files larger than this are not read twice to learn their span: they replay at ×10.
const AUTO_SCAN_BYTES: u64 = 512 << 20;

/// The speed at which the capture plays in about two minutes (never slower than real time):
/// its span from the flows' own times, or its rows at 100 a second without them. Stdin, files
/// too large to read twice and unreadable ones get ×10.
fn auto_speed(input: &Input, detect: &DetectOptions) -> Speed {
    let fallback = Speed::Factor(10.0);
    let Input::File(p) = input else {
        return fallback;
    };
    if std::fs::metadata(p).map_or(true, |m| m.len() > AUTO_SCAN_BYTES) {
        return fallback;
    }
    let (mut lo, mut hi, mut rows) = (f64::INFINITY, f64::NEG_INFINITY, 0u64);
    let read = flowtop::flows::ingest::read_all(input, detect, |f| {
        rows += 1;
        if let Some(t) = f.ts {
            lo = lo.min(t);
            hi = hi.max(t);
        }
    });
    if read.is_err() {
        return fallback;
    }
    let span = if hi > lo {
        hi - lo
    } else {
        rows as f64 / flowtop::flows::source::replay::ROWS_PER_SEC_AT_1X
    };
    Speed::Factor(round_speed(span / AUTO_REPLAY_S))
}

/// Two significant digits, at least real time: ×713.5 reads as ×710.
fn round_speed(f: f64) -> f64 {
    if !f.is_finite() || f <= 1.0 {
        return 1.0;
    }
    let scale = 10f64.powi(f.log10().floor() as i32 - 1);
    (f / scale).round() * scale
}

/// A file that already holds lines must be flows: an HTML page or a binary fails here, before
/// the terminal is touched, as it does in the headless commands. An empty file (a log about to
/// be written) is let through and detected when lines arrive.
fn check_content(input: &Input, detect: &DetectOptions) -> Result<()> {
    use flowtop::flows::ingest::{IngestError, detect_source};
    use flowtop::flows::schema::DetectError;
    let name = input.display_name();
    let mut source =
        flowtop::flows::source::open_once(input).map_err(|e| eyre!("{name}: cannot read: {e}"))?;
    let mut sample = flowtop::flows::source::LineBatch::new();
    match detect_source(source.as_mut(), detect, &mut sample, || false) {
        Ok(_) | Err(IngestError::Detect(DetectError::Empty { .. })) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The monitor's log file: `--log-file`, else `<XDG state dir>/flowtop/flowtop.log`.
pub fn log_path(explicit: Option<&std::path::Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "flowtop")?;
    let dir = dirs.state_dir()?;
    std::fs::create_dir_all(dir).ok()?;
    Some(dir.join("flowtop.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_without_a_speed_takes_about_two_minutes() {
        let detect = DetectOptions::default();
        // The bundled Zeek capture spans about 33 hours of its own time.
        let zeek = Input::parse("sample-data/trickbot-conn.log");
        let Speed::Factor(f) = auto_speed(&zeek, &detect) else {
            panic!("a factor");
        };
        let mut span = (f64::INFINITY, f64::NEG_INFINITY);
        flowtop::flows::ingest::read_all(&zeek, &Default::default(), |r| {
            if let Some(t) = r.ts {
                span = (span.0.min(t), span.1.max(t));
            }
        })
        .expect("read");
        let minutes = (span.1 - span.0) / f / 60.0;
        assert!((1.8..=2.2).contains(&minutes), "×{f}: {minutes:.2} min");
        // Without timestamps: 3,000 rows at 100 a second at ×1 is 30 s, shorter than two
        // minutes, so real time.
        let cic = Input::parse("sample-data/cicids2017-sample.csv");
        assert_eq!(auto_speed(&cic, &detect), Speed::Factor(1.0));
        assert_eq!(auto_speed(&Input::Stdin, &detect), Speed::Factor(10.0));
        assert_eq!(round_speed(713.5), 710.0);
        assert_eq!(round_speed(0.3), 1.0);
    }
}
