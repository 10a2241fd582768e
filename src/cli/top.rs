//! `flowtop top`: the heaviest sources, destinations, ports, protocols, services or
//! conversations of a file, as `nfdump -s` lists them.

use std::fmt::Write as _;

use color_eyre::eyre::Result;

use crate::cli::args::TopArgs;
use crate::cli::config::Config;
use flowtop::flows::ingest::read_all;
use flowtop::flows::source::Input;
use flowtop::learn::hosts::top::{DEFAULT_CAPACITY, TopCounter, TopReport, TopRow};
use flowtop::monitor::ui::display;

/// Widest key column before a key is cut (an IPv6 conversation is ~80 characters).
const KEY_WIDTH: usize = 48;

pub fn run(args: &TopArgs, cfg: &Config) -> Result<()> {
    let opts = crate::cli::detect_options(cfg, &args.input)?;
    let input = Input::parse(&args.file);
    let mut top = TopCounter::new(args.by, args.order, DEFAULT_CAPACITY.max(args.count));
    let summary = read_all(&input, &opts, |f| top.add(&f))?;
    crate::cli::fit::say_rejects(&input.display_name(), &summary.counts);
    let report = top.report(args.count);
    crate::cli::print_report(&report, args.json, |r| {
        render_text(r, &input.display_name(), summary.counts.rejected)
    })
}

fn share(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", 100.0 * part / whole)
    } else {
        "–".into()
    }
}

fn cut(text: &str) -> String {
    if text.chars().count() <= KEY_WIDTH {
        return text.to_string();
    }
    let mut s: String = text.chars().take(KEY_WIDTH - 1).collect();
    s.push('…');
    s
}

pub fn render_text(r: &TopReport, file: &str, rejected: u64) -> String {
    let mut o = String::new();
    let t = &r.total;
    let _ = writeln!(
        o,
        "{file}: top {} {} by {}, of {} flows ({} rows rejected); {} distinct{}",
        r.rows.len(),
        r.by.plural(),
        r.order.name(),
        display::total(t.flows),
        display::total(rejected),
        display::total(r.distinct),
        if r.folded > 0 {
            format!(
                ", {} folded into others to bound memory (a row's 'up to' is what it may lack)",
                display::total(r.folded)
            )
        } else {
            ", every figure exact".into()
        }
    );
    let width = r
        .rows
        .iter()
        .map(|row| cut(&row.key_text()).chars().count())
        .max()
        .unwrap_or(0)
        .max(r.by.name().len())
        .max("others".len());
    let _ = writeln!(
        o,
        "{:>3}  {:<width$}  {:>9} {:>6}  {:>9} {:>6}  {:>9} {:>6}",
        "#",
        r.by.name(),
        "flows",
        "",
        "bytes",
        "",
        "packets",
        ""
    );
    let line = |o: &mut String, rank: String, key: String, flows: u64, bytes: f64, packets: f64| {
        let _ = write!(
            o,
            "{rank:>3}  {key:<width$}  {:>9} {:>6}  {:>9} {:>6}  {:>9} {:>6}",
            display::total(flows),
            share(flows as f64, t.flows as f64),
            display::bytes(bytes),
            share(bytes, t.bytes),
            display::count(packets),
            share(packets, t.packets),
        );
    };
    for (i, row) in r.rows.iter().enumerate() {
        line(
            &mut o,
            (i + 1).to_string(),
            cut(&row.key_text()),
            row.flows,
            row.bytes,
            row.packets,
        );
        uncertain(&mut o, row, r);
        o.push('\n');
    }
    if r.others.flows > 0 {
        line(
            &mut o,
            String::new(),
            "others".into(),
            r.others.flows,
            r.others.bytes,
            r.others.packets,
        );
        o.push('\n');
    }
    if r.without_field > 0 {
        let _ = writeln!(
            o,
            "{} flows carry no {} and are left out",
            display::total(r.without_field),
            r.by.name()
        );
    }
    o
}

fn uncertain(o: &mut String, row: &TopRow, r: &TopReport) {
    if row.uncertain > 0.0 {
        let _ = write!(
            o,
            "  (up to {} more {})",
            display::count(row.uncertain),
            r.order.name()
        );
    }
}
