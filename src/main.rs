//! The `flowtop` binary: parse arguments, set up logging and error reporting, call the library.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};

use flowtop::cli::args::{Cli, Command, MonitorArgs};
use flowtop::cli::config::{self, Config};
use flowtop::cli::detect_options;
use flowtop::flows::ingest::live::IngestMode;

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
            flowtop::cli::forecast::command(a, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Threat(a) => {
            flowtop::cli::threat::run(a, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect(args) => Ok(if flowtop::cli::inspect::command(args, &cfg)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Command::Bench(b) => {
            flowtop::cli::bench::run(&b.what, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => {
            flowtop::cli::eval::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            flowtop::cli::train::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Score(args) => {
            flowtop::cli::score::run(args, &detect_options(&cfg, &args.input)?, &cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::PrintConfig => {
            flowtop::out!("{}", config::TEMPLATE)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
