//! Property tests: random bytes and random mutations of real rows never panic any parser, and
//! every line is accounted for (a flow, a skip or a reject with a reason).

use flowtop::flows::schema::{Decoded, DetectOptions, detect};
use proptest::prelude::*;

const FIXTURES: [&str; 10] = [
    "argus-ra.csv",
    "cicflowmeter-mlcve.csv",
    "generic-flows.csv",
    "nfdump.csv",
    "nsl-kdd-headerless.txt",
    "nsl-kdd.csv",
    "unsw-nb15-train.csv",
    "zeek-conn.json.log",
    "zeek-soc-lab-open.log",
    "zeek-trickbot-head.log",
];

fn fixture_lines(name: &str) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(format!("tests/fixtures/{name}")).expect("fixture");
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect()
}

/// Detects the fixture's format, then feeds it `line`.
fn decode_with(name: &str, line: &[u8]) -> Decoded {
    let lines = fixture_lines(name);
    let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
    let mut d = detect(name, &refs, &DetectOptions::default())
        .expect("fixture detects")
        .decoder;
    for (i, l) in refs.iter().enumerate() {
        d.decode(l, i as u64 + 1);
    }
    d.decode(line, 1_000_000)
}

fn accounted(d: &Decoded) -> bool {
    match d {
        Decoded::Reject(reason) => !reason.is_empty(),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..400), which in 0..FIXTURES.len()) {
        prop_assert!(accounted(&decode_with(FIXTURES[which], &bytes)));
    }

    #[test]
    fn mutated_real_rows_never_panic(which in 0..FIXTURES.len(), row in 0usize..200, edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8)) {
        let lines = fixture_lines(FIXTURES[which]);
        let mut line = lines[row % lines.len()].clone();
        for (pos, byte, op) in edits {
            let i = if line.is_empty() { 0 } else { pos % line.len() };
            match op {
                0 if !line.is_empty() => line[i] = byte,
                1 => line.insert(i, byte),
                _ if !line.is_empty() => { line.remove(i); }
                _ => line.push(byte),
            }
        }
        prop_assert!(accounted(&decode_with(FIXTURES[which], &line)));
    }

    #[test]
    fn detection_on_random_bytes_returns_an_answer(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..20)) {
        let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        match detect("random", &refs, &DetectOptions::default()) {
            Ok(mut d) => for (i, l) in refs.iter().enumerate() { prop_assert!(accounted(&d.decoder.decode(l, i as u64 + 1))); },
            Err(e) => prop_assert!(e.to_string().starts_with("random: ")),
        }
    }
}
