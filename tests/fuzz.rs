//! Bounded fuzzing, run with the suite: every decoder fed mutated copies of real files, and the
//! model loader fed mutated copies of a real model. Nothing may panic; a file either reads
//! (rows counted, rejects reported) or fails with an error, a model either loads and scores or
//! is refused. `FLOWTOP_FUZZ_CASES` sets the cases per target (default 150; more for a soak).
//! A crash found here gets a file of its own under `tests/fixtures/regressions/`.

use std::io::Write;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use flowtop::flows::schema::{DetectOptions, FlowRecord};
use flowtop::flows::source::Input;

fn cases() -> u64 {
    std::env::var("FLOWTOP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// One seed file per decoder: the delimited CSV flavours, Zeek TSV, Zeek JSON, nfdump, argus.
const SEEDS: [&str; 9] = [
    "tests/fixtures/cicflowmeter-cleaned.csv",
    "tests/fixtures/nsl-kdd.csv",
    "tests/fixtures/unsw-nb15-raw.csv",
    "tests/fixtures/generic-flows.csv",
    "tests/fixtures/zeek-trickbot-head.log",
    "tests/fixtures/zeek-conn.json.log",
    "tests/fixtures/nfdump.csv",
    "tests/fixtures/argus-ra.csv",
    "sample-data/cicids2017-sample.csv",
];

/// Bytes an attacker or a broken sensor puts in a flow log.
const NASTY: [&[u8]; 16] = [
    b"\0",
    b"\x1b]0;x\x07",
    b"\xff\xfe",
    b"\r",
    b"\n",
    b",",
    b"\t",
    b"\"",
    b"#fields\tts\tuid",
    b"1.797e308",
    b"-1",
    b"99999",
    b"NaN",
    b"\xe2\x80\xae",
    b"{\"ts\":",
    b"Summary",
];

fn mutate(rng: &mut SmallRng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.gen_range(1..12) {
        if b.is_empty() {
            b.extend_from_slice(NASTY[rng.gen_range(0..NASTY.len())]);
            continue;
        }
        let at = rng.gen_range(0..b.len());
        match rng.gen_range(0..6) {
            0 => b[at] = rng.r#gen(),
            1 => {
                let n = NASTY[rng.gen_range(0..NASTY.len())];
                b.splice(at..at, n.iter().copied());
            }
            2 => {
                let end = (at + rng.gen_range(1..200)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                // A line repeated: duplicated headers, directives, rows.
                let start = b[..at]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1);
                let end = b[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |i| at + i + 1);
                let line = b[start..end].to_vec();
                b.splice(start..start, line);
            }
            4 => b.truncate(at),
            _ => {
                let end = (at + rng.gen_range(1..64)).min(b.len());
                let piece = b[at..end].to_vec();
                let to = rng.gen_range(0..b.len());
                b.splice(to..to, piece);
            }
        }
    }
    b
}

#[test]
fn decoders_survive_mutated_real_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = SmallRng::seed_from_u64(7);
    let mut read = 0u64;
    for seed_path in SEEDS {
        let seed = std::fs::read(seed_path).expect("seed file");
        // The first 40 lines keep each case small enough to run many.
        let head: Vec<u8> = seed
            .split_inclusive(|&c| c == b'\n')
            .take(40)
            .flatten()
            .copied()
            .collect();
        for case in 0..cases() {
            let bytes = mutate(&mut rng, &head);
            let p = dir.path().join("case.log");
            std::fs::File::create(&p)
                .and_then(|mut f| f.write_all(&bytes))
                .expect("write");
            let outcome = std::panic::catch_unwind(|| {
                let mut rows = 0u64;
                flowtop::flows::ingest::read_all(
                    &Input::File(p.clone()),
                    &DetectOptions::default(),
                    |_| rows += 1,
                )
                .map(|s| (rows, s.counts))
            });
            match outcome {
                Ok(Ok((rows, counts))) => {
                    assert_eq!(rows, counts.rows, "{seed_path} case {case}");
                    read += 1;
                }
                Ok(Err(_)) => {}
                Err(_) => {
                    let keep = format!("fuzz-crash-{}-{case}.bin", seed_path.replace('/', "_"));
                    std::fs::write(std::env::temp_dir().join(&keep), &bytes).expect("keep");
                    panic!(
                        "{seed_path} case {case} panicked; input kept as {keep} in the temp dir"
                    );
                }
            }
        }
    }
    assert!(read > cases(), "most mutated files still read: {read}");
}

/// Every number and array of a JSON value, by pointer.
fn pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Array(a) => {
            out.push(at.clone());
            for (i, x) in a.iter().enumerate().take(6) {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        serde_json::Value::Number(_) => out.push(at),
        _ => {}
    }
}

#[test]
fn the_model_loader_refuses_or_scores_mutated_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = "sample-data/cicids2017-sample.csv";
    let good = dir.path().join("good.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(["train", sample, "--save", good.to_str().expect("path")])
        .env_remove("FLOWTOP_CONFIG")
        .output()
        .expect("train");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&good).expect("read")).expect("json");
    let mut all = Vec::new();
    pointers(&good, String::new(), &mut all);
    let all: Vec<String> = all
        .into_iter()
        .filter(|p| p.starts_with("/model"))
        .collect();
    let mut flows: Vec<FlowRecord> = Vec::new();
    flowtop::flows::ingest::read_all(&Input::parse(sample), &DetectOptions::default(), |f| {
        if flows.len() < 64 {
            flows.push(f);
        }
    })
    .expect("sample");
    let refs: Vec<&FlowRecord> = flows.iter().collect();
    let mut rng = SmallRng::seed_from_u64(11);
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..cases() * 2 {
        let mut bad = good.clone();
        for _ in 0..rng.gen_range(1..4) {
            let p = &all[rng.gen_range(0..all.len())];
            let Some(slot) = bad.pointer_mut(p) else {
                continue;
            };
            *slot = match (slot.is_array(), rng.gen_range(0..6)) {
                (true, 0) => serde_json::json!([]),
                (true, _) => {
                    let mut a = slot.as_array().cloned().unwrap_or_default();
                    a.pop();
                    serde_json::Value::Array(a)
                }
                (false, 0) => serde_json::json!(0),
                (false, 1) => serde_json::json!(-1),
                (false, 2) => serde_json::json!(4_294_967_295u64),
                (false, 3) => serde_json::json!(1e308),
                (false, 4) => serde_json::json!(999),
                (false, _) => serde_json::json!(2),
            };
        }
        let p = dir.path().join("bad.json");
        std::fs::write(&p, serde_json::to_string(&bad).expect("json")).expect("write");
        let outcome = std::panic::catch_unwind(|| match flowtop::learn::model::load(&p, None) {
            Ok(m) => {
                let s = m.score(&refs);
                assert_eq!(s.verdicts.len(), refs.len());
                let q = flowtop::learn::threat::ThreatQuery {
                    dport: Some(22),
                    ..Default::default()
                };
                let _ = flowtop::learn::threat::evaluate(Some(&m), &q, &Default::default());
                true
            }
            Err(_) => false,
        });
        match outcome {
            Ok(true) => loaded += 1,
            Ok(false) => refused += 1,
            Err(_) => {
                let keep = format!("fuzz-model-crash-{case}.json");
                std::fs::copy(&p, std::env::temp_dir().join(&keep)).expect("keep");
                panic!("model case {case} panicked; kept as {keep} in the temp dir");
            }
        }
    }
    // Both outcomes happen: the mutations are not all fatal, nor all harmless.
    assert!(
        loaded > 0 && refused > 0,
        "{loaded} loaded, {refused} refused"
    );
}
