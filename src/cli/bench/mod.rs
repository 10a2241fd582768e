//! `flowtop bench`: parsing, model, render and soak measurements.

pub mod model;
pub mod parse;
pub mod render;
pub mod soak;

use color_eyre::eyre::{Result, eyre};

use crate::cli::args::BenchWhat;
use crate::cli::config::Config;
use crate::cli::detect_options;
use crate::flows::source::Input;

/// Runs one benchmark and prints its figures (text, or JSON with `--json`).
pub fn run(what: &BenchWhat, cfg: &Config) -> Result<()> {
    match what {
        BenchWhat::Parse {
            file,
            runs,
            json,
            input,
        } => {
            let opts = detect_options(cfg, input)?;
            let r = crate::cli::bench::parse::parse(&Input::parse(file), &opts, *runs)?;
            if *json {
                crate::sanitize::print_json(&r)?;
            } else {
                crate::outln!(
                    "{}: {} rows ({} rejected), {:.1} MB in {:.3} s (best of {}; median {:.3} s): {:.0} rows/s, {:.1} MB/s",
                    r.file,
                    r.rows,
                    r.rejected,
                    r.bytes as f64 / 1e6,
                    r.best_s,
                    r.runs_s.len(),
                    r.median_s,
                    r.rows_per_s,
                    r.mb_per_s
                )?;
            }
            Ok(())
        }
        BenchWhat::Render {
            file,
            width,
            height,
            frames,
            json,
            input,
        } => {
            let opts = detect_options(cfg, input)?;
            let r = crate::cli::bench::render::run(
                &Input::parse(file),
                &opts,
                *width,
                *height,
                *frames,
            )
            .map_err(|e| eyre!(e))?;
            if *json {
                crate::sanitize::print_json(&r)?;
            } else {
                crate::out!("{}", crate::cli::bench::render::render_text(&r))?;
            }
            Ok(())
        }
        BenchWhat::Soak {
            file,
            flows,
            json,
            input,
        } => {
            let opts = detect_options(cfg, input)?;
            let r = crate::cli::bench::soak::run(&Input::parse(file), &opts, *flows)
                .map_err(|e| eyre!(e))?;
            if *json {
                crate::sanitize::print_json(&r)?;
            } else {
                crate::out!("{}", crate::cli::bench::soak::render_text(&r))?;
            }
            Ok(())
        }
        BenchWhat::Model {
            file,
            window,
            runs,
            json,
            model,
            input,
        } => {
            let opts = detect_options(cfg, input)?;
            let fit = crate::cli::fit::fit_options(model, &cfg.detect)?;
            let r = crate::cli::bench::model::run(&Input::parse(file), &opts, &fit, *window, *runs)
                .map_err(|e| eyre!(e))?;
            if *json {
                crate::sanitize::print_json(&r)?;
            } else {
                crate::out!("{}", crate::cli::bench::model::render_text(&r))?;
            }
            Ok(())
        }
    }
}
