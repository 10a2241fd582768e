//! The `flowtop` binary: parse arguments, set up logging and error reporting, call the library.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use flowtop::cli::{BenchWhat, Cli, Command, InputArgs};
use flowtop::config::{self, Config};
use flowtop::schema::DetectOptions;
use flowtop::source::Input;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("flowtop: {e}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flowtop: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) -> Result<()> {
    let Some(path) = &cli.log_file else {
        return Ok(());
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| eyre!("{}: cannot open the log file: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .init();
    Ok(())
}

fn detect_options(cfg: &Config, args: &InputArgs) -> Result<DetectOptions> {
    cfg.input
        .detect_options(args.format.as_deref(), &args.map)
        .map_err(|e| eyre!(e))
}

fn run(cli: Cli) -> Result<ExitCode> {
    init_logging(&cli)?;
    let cfg = config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Inspect(args) => {
            let opts = detect_options(&cfg, &args.input)?;
            let mut failed = false;
            for file in &args.files {
                match flowtop::inspect::inspect(&Input::parse(file), &opts) {
                    Ok(report) if args.json => println!("{}", serde_json::to_string(&report)?),
                    Ok(report) => print!("{}", flowtop::inspect::render_text(&report)),
                    Err(e) => {
                        eprintln!("flowtop: {e}");
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
        Command::Bench(b) => match b.what {
            BenchWhat::Parse {
                file,
                runs,
                json,
                input,
            } => {
                let opts = detect_options(&cfg, &input)?;
                let r = flowtop::bench::parse(&Input::parse(&file), &opts, runs)?;
                if json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    println!(
                        "{}: {} rows, {:.1} MB in {:.3} s (best of {}; median {:.3} s): {:.0} rows/s, {:.1} MB/s",
                        r.file,
                        r.rows,
                        r.bytes as f64 / 1e6,
                        r.best_s,
                        r.runs_s.len(),
                        r.median_s,
                        r.rows_per_s,
                        r.mb_per_s
                    );
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
                let opts = detect_options(&cfg, &input)?;
                let fit = flowtop::commands::fit_options(&model, &cfg.detect)?;
                let r = flowtop::bench_model::run(&Input::parse(&file), &opts, &fit, window, runs)
                    .map_err(|e| eyre!(e))?;
                if json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    print!("{}", flowtop::bench_model::render_text(&r));
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Eval(args) => {
            flowtop::commands::eval(&args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            flowtop::commands::train(&args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Score(args) => {
            flowtop::commands::score(&args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::PrintConfig => {
            print!("{}", config::TEMPLATE);
            Ok(ExitCode::SUCCESS)
        }
    }
}
