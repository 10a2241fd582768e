//! flowtop: a terminal monitor for network flows. Everything but argument parsing lives in the
//! library so the TUI and the headless commands share one engine.

pub mod bench;
pub mod cli;
pub mod config;
pub mod ingest;
pub mod inspect;
pub mod matrix;
pub mod schema;
pub mod source;
pub mod theme;
