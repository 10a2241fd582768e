//! The configuration file: `--config PATH`, else `$FLOWTOP_CONFIG`, else
//! `<XDG config dir>/flowtop/config.toml` if it exists. Unknown keys are errors that name the
//! file and line. Nothing is ever created in the user's home.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use flowtop::flows::schema::{ColumnMap, DetectOptions, MapRole};

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub input: InputConfig,
    #[serde(default)]
    pub detect: DetectConfig,
    #[serde(default)]
    pub engine: EngineSettings,
    #[serde(default)]
    pub ui: UiConfig,
    /// Action name → key or list of keys (see `flowtop print-keys`).
    #[serde(default)]
    pub keys: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub threat: flowtop::learn::threat::Bands,
}

/// The full-screen monitor (command-line options win).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UiConfig {
    /// `dark`, `light`, `mono` or a path to a theme file.
    pub theme: Option<String>,
    pub ascii: Option<bool>,
    /// Where `s` saves and `L` loads the model set.
    pub model_file: Option<PathBuf>,
    /// Where `e` writes the exported feed.
    pub export_dir: Option<PathBuf>,
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

impl Config {
    /// The `[keys]` section as action → keys.
    pub fn key_overrides(&self) -> BTreeMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|(a, k)| (a.clone(), k.to_vec()))
            .collect()
    }
}

/// Which detectors run and how the consensus votes (command-line options win).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DetectConfig {
    pub detectors: Option<Vec<String>>,
    pub threshold: Option<f64>,
    pub min_votes: Option<usize>,
    /// "0.5%" or 0.005.
    pub alert_rate: Option<Share>,
    pub alerts_per_hour: Option<f64>,
    pub seed: Option<u64>,
}

/// A share written as a percentage string or a number.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Share {
    Text(String),
    Number(f64),
}

impl Share {
    pub fn value(&self) -> Result<f64, String> {
        match self {
            Share::Text(t) => flowtop::learn::detect::ConsensusParams::parse_alert_rate(t)
                .map_err(|e| e.to_string()),
            Share::Number(v) => flowtop::learn::detect::ConsensusParams::check_alert_rate(*v)
                .map(|()| *v)
                .map_err(|e| e.to_string()),
        }
    }
}

/// Live-run model management (command-line options win).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineSettings {
    pub warmup: Option<usize>,
    pub window: Option<usize>,
    pub retrain_every: Option<usize>,
    /// Series bucket width, e.g. "10s" (see `--bucket`).
    pub bucket: Option<String>,
    /// Lateness window, e.g. "60s" (see `--lateness`).
    pub lateness: Option<String>,
    pub volume_vote: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InputConfig {
    /// `auto` or a format name.
    pub format: Option<String>,
    /// Role → column (or list of columns, for roles such as `ignore`).
    #[serde(default)]
    pub map: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Which file to read, by precedence; `None` when no file applies.
/// An explicit path must exist (reading it fails otherwise); the XDG default is optional.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("FLOWTOP_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let dirs = directories::ProjectDirs::from("", "", "flowtop")?;
    let p = dirs.config_dir().join("config.toml");
    p.exists().then_some(p)
}

pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let Some(path) = config_path(explicit) else {
        return Ok(Config::default());
    };
    let shown = path.display().to_string();
    let text = read_bounded(&path).map_err(|e| ConfigError::Read {
        path: shown.clone(),
        source: e,
    })?;
    parse(&text, &shown)
}

/// Largest config file read: a real one is a few kilobytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a config file that is a regular file of bounded size: `/dev/zero` would be read
/// until memory ran out, and a FIFO would block forever.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    flowtop::files::read_regular(path, MAX_CONFIG_BYTES)
}

pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    // Validate values now, before anything starts.
    let invalid = |message: String| ConfigError::Invalid {
        path: path.to_string(),
        message,
    };
    cfg.input.detect_options(None, &[]).map_err(invalid)?;
    cfg.threat
        .validate()
        .map_err(|m| invalid(format!("[threat]: {m}")))?;
    flowtop::monitor::app::KeyMap::new(&cfg.key_overrides()).map_err(|m| invalid(m.to_string()))?;
    if let Some(t) = &cfg.ui.theme {
        flowtop::monitor::theme::Theme::load(t).map_err(|m| invalid(format!("[ui] theme: {m}")))?;
    }
    check_values(&cfg).map_err(|(section, key, m)| {
        let at = line_of(text, section, key).map_or_else(String::new, |l| format!("line {l}: "));
        invalid(format!("{at}[{section}] {key}: {m}"))
    })?;
    Ok(cfg)
}

/// Values that parse but cannot work, as (section, key, why): the command line's checks,
/// said of the file's keys.
fn check_values(cfg: &Config) -> Result<(), (&'static str, &'static str, String)> {
    use flowtop::learn::detect::{ConsensusParams, DetectorKind};
    let e = &cfg.engine;
    for (key, v) in [("window", e.window), ("warmup", e.warmup)] {
        if let Some(v) = v {
            flowtop::learn::detect::check_train_rows(v)
                .map_err(|m| ("engine", key, m.to_string()))?;
        }
    }
    for (key, v) in [("bucket", &e.bucket), ("lateness", &e.lateness)] {
        if let Some(v) = v {
            crate::cli::values::duration(v).map_err(|m| ("engine", key, m))?;
        }
    }
    let d = &cfg.detect;
    if let Some(names) = &d.detectors {
        if names.is_empty() {
            return Err((
                "detect",
                "detectors",
                "lists no detector; leave the key out to run all nine".into(),
            ));
        }
        for n in names {
            DetectorKind::parse_named(n).map_err(|m| ("detect", "detectors", m.to_string()))?;
        }
    }
    if let Some(t) = d.threshold {
        ConsensusParams::check_threshold(t).map_err(|m| ("detect", "threshold", m.to_string()))?;
    }
    if let Some(r) = &d.alert_rate {
        r.value().map_err(|m| ("detect", "alert-rate", m))?;
    }
    if let Some(n) = d.alerts_per_hour {
        ConsensusParams::check_alerts_per_hour(n)
            .map_err(|m| ("detect", "alerts-per-hour", m.to_string()))?;
    }
    if let Some(k) = d.min_votes {
        let n = d
            .detectors
            .as_ref()
            .map_or(DetectorKind::ALL.len(), Vec::len);
        ConsensusParams::check_min_votes(k, n)
            .map_err(|m| ("detect", "min-votes", m.to_string()))?;
    }
    Ok(())
}

/// The 1-based line where `key` is set in `[section]`, to point a message at it.
fn line_of(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            current = name.trim();
        } else if current == section
            && t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    None
}

impl InputConfig {
    /// Detection options from this config with the command line on top (CLI wins).
    pub fn detect_options(
        &self,
        cli_format: Option<crate::cli::values::FormatChoice>,
        cli_map: &[String],
    ) -> Result<DetectOptions, String> {
        let format = match (cli_format, &self.format) {
            (Some(choice), _) => choice.0,
            (None, Some(f)) => crate::cli::values::format(f)?.0,
            (None, None) => None,
        };
        let mut map = ColumnMap::default();
        for (role, cols) in &self.map {
            let role = MapRole::parse(role).map_err(|e| format!("[input.map]: {e}"))?;
            let cols = match cols {
                OneOrMany::One(c) => std::slice::from_ref(c),
                OneOrMany::Many(v) => v.as_slice(),
            };
            map.entries.extend(cols.iter().map(|c| (role, c.clone())));
        }
        for arg in cli_map {
            map.add_arg(arg).map_err(|e| e.to_string())?;
        }
        Ok(DetectOptions { format, map })
    }
}

/// The built-in defaults the template below states, in one place (a test holds the two
/// together: `print-config` once said a warm-up of 2000 while the monitor used 1000).
pub mod defaults {
    /// Flows before the monitor's first fit.
    pub const WARMUP: usize = 1000;
    /// Training window (reservoir) size.
    pub const WINDOW: usize = 20_000;
    /// Flows between the monitor's refits.
    pub const RETRAIN_EVERY: usize = 50_000;
    /// `eval --stream`'s warm-up and refit interval when neither flag nor file sets them:
    /// shorter than the monitor's, so a labelled file of a few thousand rows is scored.
    pub const STREAM_WARMUP: usize = 2000;
    pub const STREAM_RETRAIN_EVERY: usize = 5000;
    pub const SEED: u64 = 42;
}

/// What `flowtop print-config` prints: every key, commented, with its default.
pub const TEMPLATE: &str = r#"# flowtop configuration
# Location: --config PATH, else $FLOWTOP_CONFIG, else <XDG config dir>/flowtop/config.toml.
# Precedence: command line > environment > this file > built-in defaults. Unknown keys are errors.

[input]
# Flow format: auto, cicflowmeter, nsl-kdd, unsw-nb15, zeek-conn, argus, nfdump, csv.
# format = "auto"

# Column roles for files whose layout is not recognised (same roles as --map).
# Roles: timestamp, label, class, label-detail, id, ignore, numeric, categorical,
#        src, dst, sport, dport, proto, service, state,
#        duration, fwd-packets, bwd-packets, fwd-bytes, bwd-bytes, packets, bytes, mean-packet-size.
[input.map]
# timestamp = "time"
# label = "is_attack"
# ignore = ["row_id", "sensor"]

[detect]
# Detectors to run: iforest, lof, ocsvm, dbscan, kmeans, zscore, autoencoder, hbos, ecod.
# detectors = ["iforest", "lof", "ocsvm", "dbscan", "kmeans", "zscore", "autoencoder", "hbos", "ecod"]
# Calibrated score at which a detector votes (0.95 = its top 5 % of the training window).
# threshold = 0.95
# The alert budget: the share of flows flagged ("0.5%" or 0.005), set on the training window
# at every fit; or alerts-per-hour of the training window's traffic (when flows carry times).
# alert-rate = "1%"
# alerts-per-hour = 60
# Votes that flag a flow under a model file saved before the alert budget.
# min-votes = 3
# seed = 42

[engine]
# Flows before the monitor's first fit (`eval --stream` warms up on 2000 unless --warmup).
# warmup = 1000
# Training window: a reservoir sample of this many flows.
# window = 20000
# Refit after this many flows (0 = only when asked).
# retrain-every = 50000
# Series bucket width (default: 1s live, sized to the capture's span for replays).
# bucket = "10s"
# How long a bucket stays open for late rows, in flow time; later rows are counted.
# lateness = "60s"
# A flow in a bucket already above its forecast's 95% bound gets one more vote.
# volume-vote = false

[threat]
# Threat score bands: LOW below medium, MEDIUM from medium, HIGH from high (0-100).
# medium = 40
# high = 70

[ui]
# Theme: dark, light, mono, or a path to a theme TOML file.
# theme = "dark"
# ASCII-only glyphs and borders.
# ascii = false
# Where `s` saves and `L` loads the model set.
# model-file = "flowtop-model.json"
# Where `e` writes the exported anomaly feed.
# export-dir = "."

[keys]
# Rebind any action (list them with `flowtop print-keys`); a key bound twice is an error.
# retrain = "R"
# down = ["down", "j"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_valid_and_empty() {
        assert_eq!(
            parse(TEMPLATE, "template").expect("template parses"),
            Config::default()
        );
    }

    /// The commented values of the template are the defaults in use.
    #[test]
    fn template_defaults_are_the_ones_in_use() {
        let uncommented: String = TEMPLATE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv)
                    if kv.split_once(" = ").is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    }) =>
                {
                    kv
                }
                _ if l.starts_with('[') => l,
                _ => "",
            })
            .filter(|l| {
                !l.starts_with("retrain =")
                    && !l.starts_with("down =")
                    && !l.starts_with("alerts-per-hour =")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let cfg = parse(&uncommented, "template").expect("uncommented template parses");
        let e = &cfg.engine;
        assert_eq!(e.warmup, Some(defaults::WARMUP));
        assert_eq!(e.window, Some(defaults::WINDOW));
        assert_eq!(e.retrain_every, Some(defaults::RETRAIN_EVERY));
        let d = &cfg.detect;
        let c = flowtop::learn::detect::ConsensusParams::default();
        assert_eq!(d.threshold, Some(c.threshold));
        assert_eq!(d.min_votes, Some(c.min_votes));
        assert_eq!(
            d.alert_rate.as_ref().map(|r| r.value()),
            Some(Ok(c.alert_rate))
        );
        assert_eq!(d.seed, Some(defaults::SEED));
    }

    #[test]
    fn map_and_format_from_file_with_cli_on_top() {
        let cfg = parse(
            "[input]\nformat = \"csv\"\n[input.map]\nlabel = \"y\"\nignore = [\"a\", \"b\"]\n",
            "c.toml",
        )
        .expect("valid");
        let o = cfg
            .input
            .detect_options(
                Some(crate::cli::values::FormatChoice(Some(
                    flowtop::flows::schema::Format::Nfdump,
                ))),
                &["timestamp=t".to_string()],
            )
            .expect("options");
        assert_eq!(o.format, Some(flowtop::flows::schema::Format::Nfdump));
        assert_eq!(o.map.entries.len(), 4);
        assert_eq!(
            o.map.entries[3],
            (
                MapRole::Role(flowtop::flows::schema::Role::Timestamp),
                "t".to_string()
            )
        );
    }

    #[test]
    fn detect_and_engine_sections_parse() {
        let cfg = parse(
            "[detect]\ndetectors = [\"ecod\", \"iforest\"]\nmin-votes = 1\n[engine]\nwarmup = 100\n",
            "c.toml",
        )
        .expect("valid");
        assert_eq!(cfg.detect.min_votes, Some(1));
        assert_eq!(cfg.engine.warmup, Some(100));
        let err = parse("[detect]\nthreshhold = 0.9\n", "c.toml").expect_err("typo");
        assert!(err.to_string().contains("threshhold"), "{err}");
    }

    #[test]
    fn unknown_keys_name_file_and_line() {
        let err =
            parse("[input]\nformat = \"csv\"\ncolour = 1\n", "my.toml").expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.starts_with("my.toml: "), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
    }

    #[test]
    fn values_that_cannot_work_name_file_line_and_key() {
        let cases = [
            (
                "[engine]\nwarmup = 100\nwindow = 1\n",
                "line 3: [engine] window: must be at least 32",
            ),
            ("[engine]\nwindow = 0\n", "line 2: [engine] window"),
            (
                "[detect]\n\ndetectors = []\n",
                "line 3: [detect] detectors: lists no detector",
            ),
            (
                "[detect]\ndetectors = [\"lof\", \"iforst\"]\n",
                "unknown detector 'iforst'",
            ),
            (
                "[engine]\nbucket = \"10 parsecs\"\n",
                "line 2: [engine] bucket: ",
            ),
            ("[detect]\nthreshold = 1.5\n", "line 2: [detect] threshold"),
            (
                "[detect]\ndetectors = [\"lof\"]\nmin-votes = 2\n",
                "line 3: [detect] min-votes",
            ),
        ];
        for (text, want) in cases {
            let msg = parse(text, "c.toml").expect_err(text).to_string();
            assert!(
                msg.starts_with("c.toml: ") && msg.contains(want),
                "{text}: {msg}"
            );
            assert!(!msg.contains("--"), "names the file, not a flag: {msg}");
        }
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let msg = load(Some(dir.path())).expect_err("a directory").to_string();
        assert!(msg.contains("not a regular file"), "{msg}");
        let msg = load(Some(Path::new("/dev/zero")))
            .expect_err("endless")
            .to_string();
        assert!(msg.contains("not a regular file"), "{msg}");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, "# x\n".repeat(400_000)).expect("write");
        let msg = load(Some(&big)).expect_err("too big").to_string();
        assert!(msg.contains("larger than"), "{msg}");
    }

    #[test]
    fn bad_values_are_reported() {
        let msg = parse("[input]\nformat = \"pcap\"\n", "c.toml")
            .expect_err("bad format")
            .to_string();
        assert!(msg.contains("unknown format 'pcap'"), "{msg}");
        let msg = parse("[input.map]\nlabl = \"y\"\n", "c.toml")
            .expect_err("bad role")
            .to_string();
        assert!(msg.contains("unknown column role 'labl'"), "{msg}");
    }
}
