//! flowtop: a terminal monitor for network flows. Everything but argument parsing lives in the
//! library so the TUI and the headless commands share one engine.

pub mod app;
pub mod bench;
pub mod bench_model;
pub mod bench_render;
pub mod bench_soak;
pub mod classify;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod detect;
pub mod engine;
pub mod eval;
pub mod features;
pub mod forecast;
pub mod forecast_cmd;
pub mod ingest;
pub mod inspect;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod nn;
pub mod progress;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod score;
pub mod source;
pub mod term;
pub mod theme;
pub mod threat;
pub mod tui;
pub mod ui;
