//! The `flowtop` binary: parse arguments, set up logging and error reporting, call the library.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use flowtop::cli::args::{BenchWhat, Cli, Command, InputArgs, MonitorArgs};
use flowtop::cli::config::{self, Config};
use flowtop::flows::ingest::live::IngestMode;
use flowtop::flows::schema::DetectOptions;
use flowtop::flows::source::Input;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    if let Err(e) = flowtop::panic::install_hooks() {
        flowtop::errln!("flowtop: {e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`flowtop score FILE | head`): stop quietly, as Unix tools do.
        Err(e) if flowtop::panic::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            flowtop::errln!("flowtop: {}", flowtop::panic::chain(&e));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(path: Option<&std::path::Path>) -> Result<()> {
    match path {
        Some(p) => flowtop::panic::log_to(p).map_err(|e| eyre!(e)),
        None => Ok(()),
    }
}

fn detect_options(cfg: &Config, args: &InputArgs) -> Result<DetectOptions> {
    cfg.input
        .detect_options(args.format, &args.map)
        .map_err(|e| eyre!(e))
}

/// The full-screen monitor: everything is checked, then the terminal is taken.
fn monitor(
    cli: &Cli,
    cfg: &Config,
    file: &str,
    mode: IngestMode,
    speed: Option<flowtop::cli::values::SpeedChoice>,
    args: &MonitorArgs,
) -> Result<ExitCode> {
    let log = flowtop::cli::monitor::log_path(cli.log_file.as_deref());
    init_logging(log.as_deref())?;
    let shown = log.as_ref().map(|p| p.display().to_string());
    let opts = flowtop::cli::monitor::prepare(file, mode, speed, args, cfg, shown)?;
    flowtop::monitor::event_loop::run(opts)?;
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = config::load(cli.config.as_deref())?;
    let command = match (&cli.command, &cli.file) {
        (Some(_), _) => cli.command.as_ref(),
        (None, Some(file)) => {
            let mode = IngestMode::Follow { from_start: true };
            return monitor(&cli, &cfg, file, mode, None, &cli.monitor);
        }
        (None, None) => {
            return Err(eyre!(
                "give a flow file to monitor (`flowtop FILE`) or a command; see `flowtop --help`"
            ));
        }
    };
    if !matches!(command, Some(Command::Replay(_)) | Some(Command::Tail(_))) {
        init_logging(cli.log_file.as_deref())?;
    }
    let Some(command) = command else {
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Replay(a) => monitor(
            &cli,
            &cfg,
            &a.file,
            IngestMode::Replay,
            Some(a.speed.unwrap_or(flowtop::cli::values::SpeedChoice::Auto)),
            &a.monitor,
        ),
        Command::Tail(a) => monitor(
            &cli,
            &cfg,
            &a.file,
            IngestMode::Follow {
                from_start: a.from_start,
            },
            None,
            &a.monitor,
        ),
        Command::PrintKeys => {
            let keys =
                flowtop::monitor::app::KeyMap::new(&cfg.key_overrides()).map_err(|e| eyre!(e))?;
            flowtop::out!("{}", keys.print())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Forecast(a) => {
            let opts = detect_options(&cfg, &a.input)?;
            let (series, bucket) = (a.series, a.bucket);
            if a.horizon == 0 {
                return Err(eyre!("--horizon must be at least 1"));
            }
            let r = flowtop::cli::forecast::run(
                &Input::parse(&a.file),
                &opts,
                series,
                bucket,
                a.horizon,
                a.runs,
            )
            .map_err(|e| eyre!(e))?;
            if a.json {
                flowtop::sanitize::print_json(&r)?;
            } else {
                flowtop::out!("{}", flowtop::cli::forecast::render_text(&r))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Threat(a) => {
            flowtop::cli::commands::threat(a, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect(args) => {
            let opts = detect_options(&cfg, &args.input)?;
            let mut failed = false;
            for file in &args.files {
                match flowtop::cli::inspect::inspect(&Input::parse(file), &opts) {
                    Ok(report) if args.json => flowtop::sanitize::print_json(&report)?,
                    Ok(report) => flowtop::out!("{}", flowtop::cli::inspect::render_text(&report))?,
                    Err(e) => {
                        flowtop::errln!("flowtop: {e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Bench(b) => match &b.what {
            BenchWhat::Parse {
                file,
                runs,
                json,
                input,
            } => {
                let opts = detect_options(&cfg, input)?;
                let r = flowtop::cli::bench::parse::parse(&Input::parse(file), &opts, *runs)?;
                if *json {
                    flowtop::sanitize::print_json(&r)?;
                } else {
                    flowtop::outln!(
                        "{}: {} rows ({} rejected), {:.1} MB in {:.3} s (best of {}; median {:.3} s): {:.0} rows/s, {:.1} MB/s",
                        r.file,
                        r.rows,
                        r.rejected,
                        r.bytes as f64 / 1e6,
                        r.best_s,
                        r.runs_s.len(),
                        r.median_s,
                        r.rows_per_s,
                        r.mb_per_s
                    )?;
                }
                Ok(ExitCode::SUCCESS)
            }
            BenchWhat::Render {
                file,
                width,
                height,
                frames,
                json,
                input,
            } => {
                let opts = detect_options(&cfg, input)?;
                let r = flowtop::cli::bench::render::run(
                    &Input::parse(file),
                    &opts,
                    *width,
                    *height,
                    *frames,
                )
                .map_err(|e| eyre!(e))?;
                if *json {
                    flowtop::sanitize::print_json(&r)?;
                } else {
                    flowtop::out!("{}", flowtop::cli::bench::render::render_text(&r))?;
                }
                Ok(ExitCode::SUCCESS)
            }
            BenchWhat::Soak {
                file,
                flows,
                json,
                input,
            } => {
                let opts = detect_options(&cfg, input)?;
                let r = flowtop::cli::bench::soak::run(&Input::parse(file), &opts, *flows)
                    .map_err(|e| eyre!(e))?;
                if *json {
                    flowtop::sanitize::print_json(&r)?;
                } else {
                    flowtop::out!("{}", flowtop::cli::bench::soak::render_text(&r))?;
                }
                Ok(ExitCode::SUCCESS)
            }
            BenchWhat::Model {
                file,
                window,
                runs,
                json,
                model,
                input,
            } => {
                let opts = detect_options(&cfg, input)?;
                let fit = flowtop::cli::commands::fit_options(model, &cfg.detect)?;
                let r = flowtop::cli::bench::model::run(
                    &Input::parse(file),
                    &opts,
                    &fit,
                    *window,
                    *runs,
                )
                .map_err(|e| eyre!(e))?;
                if *json {
                    flowtop::sanitize::print_json(&r)?;
                } else {
                    flowtop::out!("{}", flowtop::cli::bench::model::render_text(&r))?;
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Eval(args) => {
            flowtop::cli::commands::eval(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            flowtop::cli::commands::train(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Score(args) => {
            flowtop::cli::commands::score(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::PrintConfig => {
            flowtop::out!("{}", config::TEMPLATE)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
