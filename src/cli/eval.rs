//! `flowtop eval`: fit on part of a file, score the rest, measure against its labels.

use color_eyre::eyre::{Result, eyre};

use super::fit::{check_warmup, cv_options, fit_options};
use crate::cli::args::EvalArgs;
use crate::cli::config::Config;
use flowtop::flows::schema::DetectOptions;
use flowtop::flows::source::Input;
use flowtop::learn::eval::{self, EvalOptions};
use flowtop::learn::model;

pub fn run(args: &EvalArgs, detect: &DetectOptions, cfg: &Config) -> Result<()> {
    if !(args.train_fraction > 0.0 && args.train_fraction < 1.0) {
        return Err(eyre!(
            "--train-fraction must be between 0 and 1 (exclusive), got {}",
            args.train_fraction
        ));
    }
    let fit = fit_options(&args.model, &cfg.detect)?;
    let input = Input::parse(&args.file);
    if args.supervised {
        let opts = cv_options(&args.classify, fit.seed)?;
        let r = eval::supervised::run(&input, detect, &opts)?;
        crate::cli::print_report(&r, args.json, eval::supervised::render_text)?;
        return Ok(());
    }
    if args.stream {
        check_warmup(args.warmup)?;
        let opts = eval::stream::StreamOptions {
            fit,
            warmup: args
                .warmup
                .or(cfg.engine.warmup)
                .unwrap_or(crate::cli::config::defaults::STREAM_WARMUP),
            retrain_every: args
                .retrain_every
                .or(cfg.engine.retrain_every)
                .unwrap_or(crate::cli::config::defaults::STREAM_RETRAIN_EVERY),
            window: cfg
                .engine
                .window
                .unwrap_or(crate::cli::config::defaults::WINDOW),
        };
        let r = eval::stream::run(&input, detect, &opts)?;
        crate::cli::print_report(&r, args.json, eval::stream::render_text)?;
        return Ok(());
    }
    let opts = EvalOptions {
        train_fraction: args.train_fraction,
        fit,
        export_split: args.export_split.clone(),
        attack_share: args.attack_share,
        model: args
            .saved
            .as_ref()
            .map(|p| model::load(p, None).map(|m| (p.display().to_string(), m)))
            .transpose()?,
    };
    if let Some(a) = args.attack_share
        && !(a > 0.0 && a < 1.0)
    {
        return Err(eyre!(
            "--attack-share must be between 0 and 1 (exclusive), got {a}"
        ));
    }
    let report = eval::eval(&input, detect, &opts)?;
    crate::cli::print_report(&report, args.json, eval::render_text)?;
    Ok(())
}
