//! `flowtop beacons`: the pairs that connect at a steady rhythm, best first, with the
//! sub-scores that make each score.

use std::fmt::Write as _;

use color_eyre::eyre::Result;

use crate::cli::args::BeaconsArgs;
use crate::cli::config::Config;
use flowtop::flows::ingest::read_all;
use flowtop::flows::source::Input;
use flowtop::learn::hosts::beacon::{
    BeaconFinder, BeaconReport, DEFAULT_CAPACITY, MIN_CONNECTIONS,
};
use flowtop::monitor::ui::display;

pub fn run(args: &BeaconsArgs, cfg: &Config) -> Result<()> {
    let opts = crate::cli::detect_options(cfg, &args.input)?;
    let input = Input::parse(&args.file);
    let mut finder = BeaconFinder::new(DEFAULT_CAPACITY);
    let summary = read_all(&input, &opts, |f| finder.add(&f))?;
    crate::cli::fit::say_rejects(&input.display_name(), &summary.counts);
    let report = finder.report(args.min_score, args.count);
    crate::cli::print_report(&report, args.json, |r| {
        render_text(r, &input.display_name(), summary.counts.rejected)
    })
}

fn sub(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.2}"))
}

pub fn render_text(r: &BeaconReport, file: &str, rejected: u64) -> String {
    let mut o = String::new();
    let w = r.weights;
    let _ = writeln!(
        o,
        "{file}: {} flows ({} rows rejected, {} without time or addresses), {} pairs, {} with at least {MIN_CONNECTIONS} connections scored{}",
        display::total(r.flows),
        display::total(rejected),
        display::total(r.untimed),
        display::total(r.pairs),
        display::total(r.scored_pairs),
        if r.folded_pairs > 0 {
            format!(
                "; {} pairs with few connections folded away to bound memory",
                display::total(r.folded_pairs)
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "score = {:.2} interval + {:.2} size + {:.2} duration + {:.2} coverage (each 0 to 1)",
        w[0], w[1], w[2], w[3]
    );
    if r.beacons.is_empty() {
        let _ = writeln!(o, "no pair to show");
        return o;
    }
    let _ = writeln!(
        o,
        "{:>3}  {:<44} {:>5}  {:>8} {:>5} {:>8} {:>8}  {:>6} {:>9} {:>9}",
        "#", "pair", "score", "interval", "size", "duration", "coverage", "conns", "every", "bytes"
    );
    for (i, b) in r.beacons.iter().enumerate() {
        let port = b.dport.map_or_else(String::new, |p| format!(":{p}"));
        let proto = b
            .proto
            .as_deref()
            .map_or_else(String::new, |p| format!("/{p}"));
        let pair: String = format!("{} → {}{port}{proto}", b.src, b.dst)
            .chars()
            .take(44)
            .collect();
        let _ = writeln!(
            o,
            "{:>3}  {pair:<44} {:>5.2}  {:>8.2} {:>5.2} {:>8} {:>8.2}  {:>6} {:>9} {:>9}",
            i + 1,
            b.score,
            b.interval,
            b.size,
            sub(b.duration),
            b.coverage,
            display::total(b.connections),
            display::duration(b.median_interval_s),
            display::bytes(b.median_bytes),
        );
    }
    o
}
