//! The `flowtop` binary: parse arguments, set up logging and error reporting, call the library.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use cli::args::{Cli, Command, MonitorArgs};
use cli::config::{self, Config};
use cli::detect_options;
use flowtop::flows::ingest::live::IngestMode;

mod cli;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    if let Err(e) = cli::errors::install_hooks() {
        flowtop::errln!("flowtop: {e}");
    }
    // Named, so `top -H` tells the scoring pool from the reading and refit threads (unnamed,
    // they would inherit the name of whichever thread first used the pool).
    let _ = rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("flowtop-pool-{i}"))
        .build_global();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`flowtop score FILE | head`): stop quietly, as Unix tools do.
        Err(e) if cli::errors::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            flowtop::errln!("flowtop: {}", cli::errors::chain(&e));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(path: Option<&std::path::Path>) -> Result<()> {
    match path {
        Some(p) => Ok(flowtop::panic::log_to(p)?),
        None => Ok(()),
    }
}

/// The full-screen monitor: everything is checked, then the terminal is taken.
fn monitor(
    cli: &Cli,
    cfg: &Config,
    file: &str,
    mode: IngestMode,
    speed: Option<crate::cli::values::SpeedChoice>,
    args: &MonitorArgs,
) -> Result<ExitCode> {
    let log = crate::cli::monitor::log_path(cli.log_file.as_deref());
    init_logging(log.as_deref())?;
    let shown = log.as_ref().map(|p| p.display().to_string());
    let opts = crate::cli::monitor::prepare(file, mode, speed, args, cfg, shown)?;
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
    if !matches!(command, Some(Command::Replay(_) | Command::Tail(_))) {
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
            Some(a.speed.unwrap_or(crate::cli::values::SpeedChoice::Auto)),
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
            crate::cli::forecast::command(a, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Threat(a) => {
            crate::cli::threat::run(a, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect(args) => Ok(if crate::cli::inspect::command(args, &cfg)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Command::Bench(b) => {
            crate::cli::bench::run(&b.what, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => {
            crate::cli::eval::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            crate::cli::train::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Score(args) => {
            crate::cli::score::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            crate::cli::serve::run(args, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Beacons(args) => {
            crate::cli::beacons::run(args, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Top(args) => {
            crate::cli::top::run(args, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::PrintConfig => {
            flowtop::out!("{}", config::TEMPLATE)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
