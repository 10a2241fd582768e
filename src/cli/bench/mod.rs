//! `flowtop bench`: parsing, model, render and soak measurements.

pub mod model;
pub mod parse;
pub mod render;
pub mod serve;
pub mod soak;

use color_eyre::eyre::{Result, eyre};

use crate::cli::args::BenchWhat;
use crate::cli::config::Config;
use crate::cli::detect_options;
use flowtop::flows::source::Input;

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
            crate::cli::print_report(&r, *json, crate::cli::bench::parse::render_text)?;
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
            crate::cli::print_report(&r, *json, crate::cli::bench::render::render_text)?;
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
            crate::cli::print_report(&r, *json, crate::cli::bench::soak::render_text)?;
            Ok(())
        }
        BenchWhat::Serve {
            file,
            clients,
            requests,
            batch,
            batches,
            json,
            input,
        } => {
            let opts = detect_options(cfg, input)?;
            let load = crate::cli::bench::serve::Load {
                clients: *clients,
                requests: *requests,
                batch: *batch,
                batches: *batches,
            };
            let r = crate::cli::bench::serve::run(&Input::parse(file), &opts, &load)?;
            crate::cli::print_report(&r, *json, crate::cli::bench::serve::render_text)?;
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
            crate::cli::print_report(&r, *json, crate::cli::bench::model::render_text)?;
            Ok(())
        }
    }
}
