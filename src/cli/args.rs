//! Command-line interface (clap derive). Parsing only: the work happens in the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::values::{self, ColorWhen, FormatChoice, SpeedChoice};
use flowtop::engine::SeriesKind;
use flowtop::learn::classify::{Balance, Kind};
use flowtop::learn::detect::DetectorKind;

#[derive(Debug, Parser)]
#[command(
    name = "flowtop",
    version,
    about = "Terminal monitor for network flows: detect, inspect and replay flow logs"
)]
pub struct Cli {
    /// Open the monitor on FILE: read what is there at full speed, then follow it as it grows
    /// (`-` reads stdin).
    #[arg(value_name = "FILE")]
    pub file: Option<String>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// Config file (default: $`FLOWTOP_CONFIG`, then the XDG config dir's flowtop/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Write logs to this file (default: no log file for headless commands).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a flow file in the monitor at a chosen speed (pause, step and speed on keys).
    Replay(ReplayArgs),
    /// Follow a growing flow file in the monitor (survives rotation and truncation).
    Tail(TailArgs),
    /// Threat score 0-100 of one flow described by its core fields.
    Threat(ThreatArgs),
    /// Run the engine on a followed log without a terminal and serve it over HTTP: JSON API,
    /// Prometheus metrics, health checks.
    Serve(ServeArgs),
    /// List the monitor's key bindings (with the config's overrides).
    PrintKeys,
    /// Automatic ARIMA on a file's bucketed series, scored on its held-out tail.
    Forecast(ForecastArgs),
    /// Detect the format of flow files and report columns, rows, rejects, labels and time span.
    Inspect(InspectArgs),
    /// Benchmarks: parsing, model refit and scoring, frame rendering.
    Bench(BenchArgs),
    /// Fit the detectors on part of a file, score the rest, and measure them against its labels.
    Eval(EvalArgs),
    /// Fit the model set on a file and save it.
    Train(TrainArgs),
    /// Score every flow of a file: calibrated scores, votes, consensus, flag, cluster, top features.
    Score(ScoreArgs),
    /// Top-N statistics as `nfdump -s` gives them: sources, destinations, ports, protocols,
    /// services or conversations with the most flows, bytes or packets.
    Top(TopArgs),
    /// Beacons: pairs that connect at a steady rhythm, scored from the regularity of their
    /// gaps, sizes and durations and how much of the capture they span.
    Beacons(BeaconsArgs),
    /// Print a commented configuration template.
    PrintConfig,
}

/// Which detectors run and how the consensus votes; shared by eval, train and score.
#[derive(Debug, Args, Clone, Default)]
pub struct ModelArgs {
    /// Detectors to run (comma-separated): iforest, lof, ocsvm, dbscan, kmeans, zscore,
    /// autoencoder, hbos, ecod. Default: all.
    #[arg(long, value_delimiter = ',', value_name = "NAME,…", value_parser = values::detector)]
    pub detectors: Vec<DetectorKind>,
    /// Calibrated score at which a detector votes (default 0.95: its top 5 % of training).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Votes that flag a flow in model files saved before the alert budget (default 3);
    /// the votes are shown as evidence.
    #[arg(long, value_name = "K")]
    pub min_votes: Option<usize>,
    /// The alert budget: share of flows flagged, set on the training window (default 1%).
    #[arg(long, value_name = "SHARE", value_parser = flowtop::learn::detect::ConsensusParams::parse_alert_rate)]
    pub alert_rate: Option<f64>,
    /// The alert budget as alerts per hour of the training window's traffic (needs times).
    #[arg(long, value_name = "N")]
    pub alerts_per_hour: Option<f64>,
    /// Seed for sampling and model initialisation (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    #[arg(long)]
    pub json: bool,
    /// Share of the rows (drawn at random) the models are fitted on; the rest is scored.
    #[arg(long, default_value_t = 0.5, value_name = "F")]
    pub train_fraction: f64,
    /// Prequential run: score each flow in file order, then learn from it, as a live run does.
    #[arg(long)]
    pub stream: bool,
    /// Warm-up flows before the first fit in --stream mode (default 2000).
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,
    /// Refit every N flows in --stream mode (default 5000).
    #[arg(long, value_name = "N")]
    pub retrain_every: Option<usize>,
    /// Keep all benign flows and a random subset of attacks so attacks are this share of the
    /// rows (e.g. 0.1), as outlier-detection benchmarks do.
    #[arg(long, value_name = "F")]
    pub attack_share: Option<f64>,
    /// Score every row with a model set saved by `flowtop train` instead of fitting on a split.
    #[arg(
        long = "model",
        value_name = "PATH",
        conflicts_with_all = ["stream", "export_split", "train_fraction"]
    )]
    pub saved: Option<PathBuf>,
    /// Also write the train and test feature matrices (with labels) as CSV into DIR.
    #[arg(long, value_name = "DIR")]
    pub export_split: Option<PathBuf>,
    /// Cross-validate the supervised classifiers on the file's labels (instead of the
    /// unsupervised detectors).
    #[arg(long, conflicts_with_all = ["stream", "saved", "export_split", "attack_share"])]
    pub supervised: bool,
    #[command(flatten)]
    pub classify: ClassifyArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Supervised classifiers: shared by `eval --supervised` and `train`.
#[derive(Debug, Args, Clone)]
pub struct ClassifyArgs {
    /// Folds of the stratified cross-validation.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// One class per attack name instead of benign / attack.
    #[arg(long)]
    pub multiclass: bool,
    /// Class imbalance handling: none, weights (each class weighs the same) or smote.
    #[arg(long, default_value = "weights", value_name = "HOW", value_parser = values::balance)]
    pub balance: Balance,
    /// Classifiers to compare (comma-separated): random-forest, mlp, svm. Default: all.
    #[arg(long, value_delimiter = ',', value_name = "NAME,…", value_parser = values::classifier)]
    pub classifiers: Vec<Kind>,
    /// Keep only the N most useful features (recursive elimination with a forest).
    #[arg(long, value_name = "N")]
    pub select: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Where to write the model set (written to a temporary file, then renamed).
    #[arg(long, value_name = "PATH")]
    pub save: PathBuf,
    /// Fit the detectors on a random sample of this many flows (0 = all); the classifier
    /// learns from every labelled flow.
    #[arg(long, value_name = "N", default_value_t = flowtop::learn::model::DEFAULT_FIT_SAMPLE)]
    pub sample: usize,
    /// With labels: cross-validate the classifiers and keep the best (default: a random forest
    /// without the comparison).
    #[arg(long)]
    pub supervised: bool,
    /// Do not fit a classifier even when the flows carry labels.
    #[arg(long, conflicts_with = "supervised")]
    pub no_classifier: bool,
    #[command(flatten)]
    pub classify: ClassifyArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Output file: `.csv` or `.jsonl` (default: CSV on stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// A model set saved by `flowtop train` (default: fit on FILE itself first).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Without --model: fit the detectors on a random sample of this many flows of FILE (the
    /// first ones when FILE is stdin), then score every flow as it is read; 0 = all flows,
    /// held in memory.
    #[arg(long, value_name = "N", default_value_t = flowtop::learn::model::DEFAULT_FIT_SAMPLE)]
    pub sample: usize,
    #[command(flatten)]
    pub fit: ModelArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// How input files are read; shared by every command that reads flows.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Format: auto, cicflowmeter, nsl-kdd, unsw-nb15, zeek-conn, argus, nfdump, csv.
    #[arg(long, value_name = "FORMAT", value_parser = values::format)]
    pub format: Option<FormatChoice>,
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
    /// Frame render time of the monitor at a given size, on a view built from FILE.
    Render {
        #[arg(value_name = "FILE")]
        file: String,
        #[arg(long, default_value_t = 200)]
        width: u16,
        #[arg(long, default_value_t = 60)]
        height: u16,
        #[arg(long, default_value_t = 300)]
        frames: usize,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputArgs,
    },
    /// `flowtop serve` under load on loopback: /v1/threat requests/s and latency with
    /// concurrent clients, /v1/score rows/s with batches of flows from FILE, memory.
    Serve {
        #[arg(value_name = "FILE")]
        file: String,
        /// Concurrent clients of /v1/threat.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Threat requests in all.
        #[arg(long, default_value_t = 100_000)]
        requests: usize,
        /// Flows per /v1/score request.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// /v1/score requests in all.
        #[arg(long, default_value_t = 200)]
        batches: usize,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Memory over a long run: N flows (the file's, cycled with new times and new source
    /// addresses) through the monitor's engine, resident size sampled as it goes.
    Soak {
        #[arg(value_name = "FILE")]
        file: String,
        #[arg(long, default_value_t = 10_000_000)]
        flows: u64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Refit and scoring speed of the model set: refit seconds on a window, rows/s end to end
    /// and per detector.
    Model {
        #[arg(value_name = "FILE")]
        file: String,
        /// Training window size (the file's flows, cycled when it is shorter).
        #[arg(long, default_value_t = 20_000)]
        window: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        input: InputArgs,
    },
}

/// Options of the full-screen monitor (`flowtop FILE`, `replay`, `tail`).
#[derive(Debug, Args, Clone, Default)]
pub struct MonitorArgs {
    /// Theme: dark, light, mono, or a path to a theme TOML file (default dark).
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Colour: auto (off when `NO_COLOR` is set), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// ASCII-only glyphs and borders.
    #[arg(long)]
    pub ascii: bool,
    /// Mouse: wheel scrolls, click focuses a pane.
    #[arg(long)]
    pub mouse: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Options of the live engine, shared by the monitor and `flowtop serve`.
#[derive(Debug, Args, Clone, Default)]
pub struct EngineArgs {
    /// Start with a model set saved by `flowtop train` (else fit after the warm-up).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Flows before the first fit (default 1000).
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,
    /// Refit every N flows (default 50000; 0 = only on R).
    #[arg(long, value_name = "N")]
    pub retrain_every: Option<usize>,
    /// Width of the series buckets, e.g. 1s, 10s, 5m (default: 1s when following live
    /// traffic, sized to the capture's span otherwise).
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub bucket: Option<f64>,
    /// How long a bucket stays open for rows that arrive late, in flow time (default 60s);
    /// later rows are counted and left out of the series.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub lateness: Option<f64>,
    /// A flow whose bucket has already passed its forecast's upper bound (flows, bytes,
    /// packets or distinct hosts) gets one more vote towards the consensus.
    #[arg(long)]
    pub volume_vote: bool,
    /// Append every alert (each new feed row) to this file as one JSON line, in the columns
    /// of `score -o FILE.jsonl`.
    #[arg(long, value_name = "FILE.jsonl")]
    pub alerts_out: Option<PathBuf>,
    /// Send every alert to syslog as an RFC 5424 message (facility local0, severity by threat
    /// level), to the local socket (default /dev/log).
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, default_missing_value = "/dev/log")]
    pub syslog: Option<PathBuf>,
    #[command(flatten)]
    pub fit: ModelArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Replay speed: a multiple of real time (flows without timestamps: 100 rows/s at 1), max,
    /// or auto (the default: the capture plays in about two minutes).
    #[arg(long, value_name = "N|max|auto", value_parser = values::speed)]
    pub speed: Option<SpeedChoice>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The flow log to follow (`-` reads stdin). Without one, `--model` is served alone:
    /// threat queries and batch scoring, no live state.
    #[arg(value_name = "FILE", required_unless_present = "model")]
    pub file: Option<String>,
    /// Address to listen on. Anything but a loopback address needs --token-file.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// A file holding the bearer token every request but /healthz and /readyz must carry.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Read the file from its beginning instead of from its end.
    #[arg(long)]
    pub from_start: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Read the file from its beginning instead of from its end.
    #[arg(long)]
    pub from_start: bool,
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

#[derive(Debug, Args)]
pub struct ThreatArgs {
    /// A model set saved by `flowtop train` (default: the [ui] model-file if it exists; else
    /// heuristics alone).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Seconds.
    #[arg(long, allow_negative_numbers = true)]
    pub duration: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub fwd_packets: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub bwd_packets: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub fwd_bytes: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub bwd_bytes: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub mean_packet_size: Option<f64>,
    #[arg(long)]
    pub dport: Option<u16>,
    #[arg(long)]
    pub proto: Option<String>,
    /// Connection state as the format writes it (e.g. Zeek REJ, S0).
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// flows, bytes, packets, sources, destinations (distinct addresses per bucket) or
    /// anomalies (the consensus flags of a model fitted on the file).
    #[arg(long, default_value = "flows", value_parser = values::series)]
    pub series: SeriesKind,
    /// Bucket width: seconds, or 30s, 10m, 1h.
    #[arg(long, default_value = "60s", value_parser = values::duration)]
    pub bucket: f64,
    /// Buckets held out and forecast.
    #[arg(long, default_value_t = 30)]
    pub horizon: usize,
    /// Repeat the automatic fit N times in this process and report the median time (a warm
    /// benchmark; the forecast is the same every time).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub runs: usize,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// What a row is: src, dst, dport, pair (source and destination address), proto or service.
    #[arg(long, default_value = "src", value_parser = values::top_by)]
    pub by: flowtop::learn::hosts::top::TopBy,
    /// What rows are ranked by: flows, bytes or packets.
    #[arg(long, default_value = "flows", value_parser = values::top_order)]
    pub order: flowtop::learn::hosts::top::TopOrder,
    /// Rows shown; the rest are summed as "others".
    #[arg(short = 'n', long = "count", default_value_t = 20, value_name = "N")]
    pub count: usize,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct BeaconsArgs {
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Pairs shown, best first.
    #[arg(short = 'n', long = "count", default_value_t = 20, value_name = "N")]
    pub count: usize,
    /// Only pairs scoring at least this (0 to 1).
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = values::unit_interval)]
    pub min_score: f64,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;
    use crate::cli::config::defaults;

    fn help(subcommand: &str) -> String {
        let mut cmd = Cli::command();
        cmd.find_subcommand_mut(subcommand)
            .unwrap_or_else(|| panic!("no subcommand {subcommand}"))
            .render_long_help()
            .to_string()
    }

    /// `--help` states the defaults the commands use (`config::defaults`, which `print-config`
    /// states too: `template_defaults_are_the_ones_in_use`).
    #[test]
    fn help_states_the_defaults_in_use() {
        let replay = help("replay");
        for want in [
            format!("Flows before the first fit (default {})", defaults::WARMUP),
            format!("Refit every N flows (default {};", defaults::RETRAIN_EVERY),
            format!("(default {})", defaults::SEED),
        ] {
            assert!(
                replay.contains(&want),
                "replay --help lacks {want:?}:\n{replay}"
            );
        }
        let eval = help("eval");
        for want in [
            format!("--stream mode (default {})", defaults::STREAM_WARMUP),
            format!(
                "Refit every N flows in --stream mode (default {})",
                defaults::STREAM_RETRAIN_EVERY
            ),
        ] {
            assert!(eval.contains(&want), "eval --help lacks {want:?}:\n{eval}");
        }
    }
}
