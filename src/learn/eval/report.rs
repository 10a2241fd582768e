//! Plain-text rendering of an eval report.

use std::fmt::Write;

use super::{EvalReport, Quality};

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

fn line(out: &mut String, q: &Quality) {
    let weight = q.weight.map_or_else(String::new, |w| {
        if w > 0.0 {
            format!("{w:.2}")
        } else {
            "-".into()
        }
    });
    let _ = writeln!(
        out,
        "{:<12} {:>7} {:>7} {:>6} {:>6} {:>6} {:>7.2} {:>10.0} {:>6}  {}",
        q.name,
        cell(q.roc_auc),
        cell(q.pr_auc),
        cell(q.f1),
        cell(q.precision),
        cell(q.recall),
        q.fit_s,
        q.rows_per_s,
        weight,
        q.status
    );
}

pub fn render_text(r: &EvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({} rows, {} rejected; trained on {}, scored {}; {} features; seed {})",
        r.file, r.format, r.rows, r.rejected, r.train_rows, r.test_rows, r.features, r.seed
    );
    match r.attack_share {
        Some(a) => {
            let _ = writeln!(out, "labels: {:.1} % attacks among scored rows", a * 100.0);
        }
        None => {
            let _ = writeln!(out, "no labels: quality columns are empty");
        }
    }
    let _ = writeln!(
        out,
        "\n{:<12} {:>7} {:>7} {:>6} {:>6} {:>6} {:>7} {:>10} {:>6}  status",
        "detector", "roc-auc", "pr-auc", "f1", "prec", "recall", "fit s", "rows/s", "weight"
    );
    for q in &r.detectors {
        line(&mut out, q);
    }
    line(&mut out, &r.consensus);
    let _ = writeln!(out, "\nconsensus members: {}", r.members.join(", "));
    let _ = writeln!(
        out,
        "flagged {:.2} % of the scored rows{}",
        100.0 * r.flag_rate,
        r.budget.map_or_else(String::new, |b| format!(
            " (alert budget {:.2} %)",
            100.0 * b.rate
        ))
    );
    if let (Some(p), Some(m)) = (r.flag_precision, &r.members_at_flags) {
        let _ = writeln!(
            out,
            "flag precision {p:.3}; at the same {} flags the members reach {:.3} (median) and {:.3} ({})",
            m.flags, m.median_precision, m.best_precision, m.best_member
        );
    }
    if let Some(c) = &r.clustering {
        let _ = writeln!(
            out,
            "clustering: k = {}, silhouette {:.3}, Davies-Bouldin {:.3}, Calinski-Harabasz {:.1}",
            c.k, c.silhouette, c.davies_bouldin, c.calinski_harabasz
        );
        let _ = writeln!(
            out,
            "  {:>7} {:>7} {:>6} {:>10} {:>12} {:>9} {:>8}",
            "cluster", "flows", "share", "duration", "bytes", "packets", "flagged"
        );
        let num = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
        for s in &c.clusters {
            let _ = writeln!(
                out,
                "  {:>7} {:>7} {:>5.1}% {:>10} {:>12} {:>9} {:>7.1}%",
                s.cluster,
                s.size,
                s.share * 100.0,
                num(s.mean_duration),
                num(s.mean_bytes),
                num(s.mean_packets),
                s.anomaly_rate * 100.0
            );
        }
    }
    let _ = writeln!(out, "full refit: {:.2} s", r.refit_s);
    if let Some(t) = &r.threat {
        let _ = writeln!(
            out,
            "threat score: mean {:.1} on attacks, {:.1} on benign flows; HIGH band {} rows, {} attacks",
            t.mean_attack,
            t.mean_benign,
            t.high_rows,
            t.high_precision
                .map_or_else(|| "-".into(), |p| format!("{:.1} %", 100.0 * p))
        );
    }
    out
}
