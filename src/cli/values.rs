//! Parsers for option values that name one of a closed set or a quantity: clap calls them, so
//! a bad value is refused with the allowed ones before any work, and the fields are typed.
//! The config file's values go through the same functions.

use clap::ValueEnum;

use flowtop::engine::SeriesKind;
use flowtop::flows::schema::Format;
use flowtop::flows::source::replay::Speed;
use flowtop::learn::classify::{Balance, Kind};
use flowtop::learn::detect::DetectorKind;
use flowtop::learn::hosts::top::{TopBy, TopOrder};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    /// Colour unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

/// `--speed` of a replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeedChoice {
    /// The capture plays in about two minutes.
    Auto,
    Fixed(Speed),
}

pub fn detector(s: &str) -> Result<DetectorKind, String> {
    DetectorKind::parse_named(s).map_err(|e| e.to_string())
}

pub fn classifier(s: &str) -> Result<Kind, String> {
    Kind::parse(s.trim()).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown classifier '{s}'; known: {}", known.join(", "))
    })
}

pub fn balance(s: &str) -> Result<Balance, String> {
    Balance::parse(s).ok_or_else(|| format!("unknown balance '{s}'; use none, weights or smote"))
}

pub fn series(s: &str) -> Result<SeriesKind, String> {
    SeriesKind::parse(s).ok_or_else(|| {
        let names: Vec<&str> = SeriesKind::ALL.iter().map(|k| k.name()).collect();
        format!("one of {}, not '{s}'", names.join(", "))
    })
}

/// A share or score between 0 and 1.
pub fn unit_interval(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("a number from 0 to 1, not '{s}'")),
    }
}

pub fn top_by(s: &str) -> Result<TopBy, String> {
    let t = s.trim().to_ascii_lowercase();
    TopBy::ALL
        .into_iter()
        .find(|b| b.name() == t)
        .ok_or_else(|| {
            let names: Vec<&str> = TopBy::ALL.iter().map(|b| b.name()).collect();
            format!("one of {}, not '{s}'", names.join(", "))
        })
}

pub fn top_order(s: &str) -> Result<TopOrder, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "flows" => Ok(TopOrder::Flows),
        "bytes" => Ok(TopOrder::Bytes),
        "packets" => Ok(TopOrder::Packets),
        _ => Err(format!("one of flows, bytes, packets, not '{s}'")),
    }
}

/// `--format`: a format name, or `auto` (sniffed from the content).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FormatChoice(pub Option<Format>);

pub fn format(s: &str) -> Result<FormatChoice, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(FormatChoice(None));
    }
    Format::parse(s)
        .map(|f| FormatChoice(Some(f)))
        .map_err(|e| e.to_string())
}

pub fn speed(s: &str) -> Result<SpeedChoice, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(SpeedChoice::Auto);
    }
    Speed::parse(s)
        .map(SpeedChoice::Fixed)
        .map_err(|e| e.to_string())
}

/// `60`, `60s`, `10m`, `1h`, `1d` → seconds.
pub fn duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let factor = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return Err(format!("'{s}': use seconds, or a number with s, m, h or d")),
    };
    match num.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v * factor),
        _ => Err(format!("'{s}' is not a positive duration")),
    }
}
