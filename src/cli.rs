//! Command-line interface (clap derive). Parsing only: the work happens in the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flowtop",
    version,
    about = "Terminal monitor for network flows: detect, inspect and replay flow logs"
)]
pub struct Cli {
    /// Config file (default: $FLOWTOP_CONFIG, then the XDG config dir's flowtop/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write logs to this file (default: no log file for headless commands).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect the format of flow files and report columns, rows, rejects, labels and time span.
    Inspect(InspectArgs),
    /// Measure parsing throughput.
    Bench(BenchArgs),
    /// Print a commented configuration template.
    PrintConfig,
}

/// How input files are read; shared by every command that reads flows.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Format: auto, cicflowmeter, nsl-kdd, unsw-nb15, zeek-conn, argus, nfdump, csv.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Column roles, e.g. `--map timestamp=time,label=y,fwd-bytes=bytes_sent` (repeatable).
    #[arg(long, value_name = "ROLE=COLUMN,…")]
    pub map: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Flow files (`-` for stdin; .gz is read transparently).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// One JSON object per file, one per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Parse a file end to end (read, split, detect, decode) and report rows/s and MB/s.
    Parse {
        #[arg(value_name = "FILE")]
        file: String,
        /// Runs to time; the best and the median are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputArgs,
    },
}
