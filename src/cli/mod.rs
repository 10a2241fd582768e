//! The command line: `args` are the typed options (`values` parses the closed sets), `config`
//! the config file, `fit` what the fitting commands share, and one module per subcommand.

pub mod args;
pub mod beacons;
pub mod bench;
pub mod config;
pub mod errors;
pub mod eval;
pub mod fit;
pub mod forecast;
pub mod inspect;
pub mod monitor;
pub mod score;
pub mod serve;
pub mod threat;
pub mod top;
pub mod train;
pub mod values;

use color_eyre::eyre::{Result, eyre};

use flowtop::flows::schema::DetectOptions;

/// Prints a command's report: one JSON object with `--json`, else its text form.
pub fn print_report<T: serde::Serialize>(
    report: &T,
    json: bool,
    text: impl FnOnce(&T) -> String,
) -> Result<()> {
    if json {
        flowtop::sanitize::print_json(report)?;
    } else {
        flowtop::out!("{}", text(report))?;
    }
    Ok(())
}

/// How input files are read: the command line over the config file.
pub fn detect_options(cfg: &config::Config, args: &args::InputArgs) -> Result<DetectOptions> {
    cfg.input
        .detect_options(args.format, &args.map)
        .map_err(|e| eyre!(e))
}
