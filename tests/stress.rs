//! Stress sets for the consensus, generated here from a seed: synthetic normal traffic with the
//! failure modes that drag an ensemble down mixed in (floods of identical flows, a flood larger
//! than LOF's k, one column ×50, very low contamination, heavy duplicates, three features).
//! On each, `flowtop eval` must flag no more than the alert budget; on the floods (what the
//! CBLOF-style K-Means and the tail screen are for) the consensus must stay at or above the
//! median member on ROC-AUC and PR-AUC. The other sets print their figures: there the
//! agreement weighting still lets a weak member in (see ARCHITECTURE.md, "Consensus").

mod common;

use std::fmt::Write as _;

use common::flowtop;
use flowtop::learn::metrics::median;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Normal traffic: log-normal durations, sizes and packet counts that move together, as
/// flows do, plus a port-like column and a rate.
fn normal(rng: &mut SmallRng, features: usize) -> Vec<f64> {
    let size: f64 = rng.gen_range(4.0..9.0);
    let all = [
        (rng.gen_range(-2.0..3.0f64)).exp(),
        (size + rng.gen_range(-0.5..0.5)).exp(),
        (size - 4.0 + rng.gen_range(-0.3..0.3)).exp(),
        (size + rng.gen_range(-1.0..1.0)).exp(),
        rng.gen_range(0.0..1.0),
        (size - 5.0 + rng.gen_range(-0.4..0.4)).exp(),
    ];
    all[..features].to_vec()
}

struct Set {
    name: &'static str,
    /// The consensus must reach the median member here.
    held: bool,
    rows: usize,
    features: usize,
    /// Builds attack row `i` from a normal row.
    attack: fn(&mut SmallRng, Vec<f64>, usize) -> Vec<f64>,
    attacks: usize,
    /// Normal rows that are copies of a few others (heavy duplicates).
    duplicates: f64,
}

/// Identical flows far from normal traffic (a `DoS` or scan through one tool).
fn flood(_: &mut SmallRng, row: Vec<f64>, _: usize) -> Vec<f64> {
    let mut v = vec![0.001, 40.0, 1.0, 40.0, 0.5, 2000.0];
    v.truncate(row.len());
    v
}

/// One column ×50, the others untouched.
fn shift(_: &mut SmallRng, mut row: Vec<f64>, _: usize) -> Vec<f64> {
    row[1] *= 50.0;
    row
}

/// Rare and far on several columns.
fn rare(rng: &mut SmallRng, mut row: Vec<f64>, _: usize) -> Vec<f64> {
    row[0] *= rng.gen_range(30.0..60.0);
    row[2] *= rng.gen_range(30.0..60.0);
    row
}

fn write(set: &Set, seed: u64, path: &std::path::Path) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let names = ["duration", "bytes", "packets", "dst_bytes", "ratio", "rate"];
    let mut out = String::new();
    let _ = writeln!(out, "{},label", names[..set.features].join(","));
    let originals: Vec<Vec<f64>> = (0..50).map(|_| normal(&mut rng, set.features)).collect();
    // Attacks spread evenly through the file, so both halves of the split hold some.
    let every = set.rows / set.attacks.max(1);
    let mut made = 0;
    for i in 0..set.rows {
        let (row, label) = if made < set.attacks && i % every == every / 2 {
            made += 1;
            let n = normal(&mut rng, set.features);
            ((set.attack)(&mut rng, n, i), "attack")
        } else if rng.gen_bool(set.duplicates) {
            (
                originals[rng.gen_range(0..originals.len())].clone(),
                "normal",
            )
        } else {
            (normal(&mut rng, set.features), "normal")
        };
        let cells: Vec<String> = row.iter().map(|v| format!("{v:.4}")).collect();
        let _ = writeln!(out, "{},{label}", cells.join(","));
    }
    std::fs::write(path, out).expect("write the stress set");
}

fn sets() -> Vec<Set> {
    let flood_of = |name, share: f64| Set {
        name,
        held: true,
        rows: 10_000,
        features: 6,
        attack: flood,
        attacks: (10_000.0 * share) as usize,
        duplicates: 0.0,
    };
    vec![
        flood_of("flood 0.2%", 0.002),
        flood_of("flood 0.5%", 0.005),
        // 200 identical rows: far more than LOF's k neighbours.
        flood_of("flood 2% (larger than LOF's k)", 0.02),
        Set {
            name: "one column x50",
            held: false,
            rows: 10_000,
            features: 6,
            attack: shift,
            attacks: 50,
            duplicates: 0.0,
        },
        Set {
            name: "contamination 0.03%",
            held: true,
            rows: 20_000,
            features: 6,
            attack: rare,
            attacks: 6,
            duplicates: 0.0,
        },
        Set {
            name: "heavy duplicates",
            held: false,
            rows: 10_000,
            features: 6,
            attack: rare,
            attacks: 50,
            duplicates: 0.4,
        },
        Set {
            name: "three features",
            held: false,
            rows: 10_000,
            features: 3,
            attack: flood,
            attacks: 40,
            duplicates: 0.0,
        },
    ]
}

#[test]
fn the_budget_holds_on_every_stress_set_and_floods_do_not_drag_the_consensus_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for (i, set) in sets().iter().enumerate() {
        let path = dir.path().join(format!("stress-{i}.csv"));
        write(set, 1000 + i as u64, &path);
        let (code, out, err) = flowtop(&["eval", path.to_str().expect("path"), "--json"]);
        assert_eq!(code, 0, "{}: {err}", set.name);
        let v: serde_json::Value = serde_json::from_str(&out).expect("eval json");
        let metric = |q: &serde_json::Value, m: &str| q[m].as_f64();
        let members: Vec<&serde_json::Value> = v["detectors"]
            .as_array()
            .expect("detectors")
            .iter()
            .filter(|d| d["roc_auc"].is_number())
            .collect();
        let mut line = format!("{}:", set.name);
        for m in ["roc_auc", "pr_auc"] {
            let consensus = metric(&v["consensus"], m).expect("consensus metric");
            let mid = median(members.iter().filter_map(|d| metric(d, m)).collect());
            let best = members
                .iter()
                .filter_map(|d| metric(d, m))
                .fold(f64::MIN, f64::max);
            let _ = write!(
                line,
                " {m} {consensus:.3} (median {mid:.3}, best {best:.3})"
            );
            if set.held && consensus + 1e-9 < mid {
                failures.push(format!(
                    "{}: consensus {m} {consensus:.3} < median {mid:.3}",
                    set.name
                ));
            }
        }
        let rate = v["flag_rate"].as_f64().expect("flag_rate");
        let _ = write!(line, " flag rate {:.2}%", 100.0 * rate);
        // The budget is set on the training half; the scored half may run a little over.
        if rate > 0.015 {
            failures.push(format!(
                "{}: flag rate {rate:.4} over the 1% budget",
                set.name
            ));
        }
        eprintln!("{line}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
