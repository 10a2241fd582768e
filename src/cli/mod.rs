//! The command line: `args` are the typed options, `config` the config file, and one module
//! per subcommand (`commands` holds eval, train, score and threat).

pub mod args;
pub mod bench;
pub mod commands;
pub mod config;
pub mod forecast;
pub mod inspect;
pub mod monitor;
pub mod progress;
pub mod values;
