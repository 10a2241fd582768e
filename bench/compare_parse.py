#!/usr/bin/env python3
"""Parsing throughput, side by side in one run on the same files: `wc -l` (the physical limit:
read the bytes and count newlines), pandas.read_csv (what a notebook would do), and
`flowtop bench parse` (read, split, detect the format, decode every field into a FlowRecord).

Each shared data set is enlarged to about --mb megabytes by repeating its data rows (the header
is kept once), so timings are not dominated by start-up. The tools take turns, one run each per
round, for --runs rounds: the speed of a shared 2-core machine drifts over seconds, and taking
turns exposes both sides to the same drift. Reported: each tool's best run, and the median over
rounds of the ratio within a round.

    pip install pandas
    cargo build --release
    python3 bench/compare_parse.py [--mb 100] [--runs 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATASETS = os.path.join(ROOT, "..", "shared", "datasets")

CASES = [
    ("CIC-IDS2017 cleaned (CSV, 53 cols)", "cicids2017/cicids2017_cleaned_sample.csv", "csv"),
    ("CIC-IDS2017 MachineLearningCVE (79 cols)", "cicids2017/MachineLearningCVE_day-heads.csv", "csv"),
    ("NSL-KDD (CSV, 43 cols)", "nsl-kdd/KDDTest+.csv", "csv"),
    ("Zeek conn.log (TSV, 22 cols)", "zeek/trickbot_conn.log", "zeek"),
]


def enlarge(src, dst, target_bytes):
    with open(src, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    head = [l for l in lines if l.startswith(b"#") and not l.startswith(b"#close")]
    close = [l for l in lines if l.startswith(b"#close")]
    body = [l for l in lines if not l.startswith(b"#")]
    if not head:  # CSV: the first line is the header
        head, body = body[:1], body[1:]
    chunk = b"".join(body)
    with open(dst, "wb") as out:
        out.write(b"".join(head))
        written = 0
        while written < target_bytes:
            out.write(chunk)
            written += len(chunk)
        out.write(b"".join(close))
    return len(head) and sum(1 for _ in open(dst, "rb")) - len(head) - len(close)


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def read_pandas(path, kind):
    if kind == "zeek":
        with open(path) as f:
            fields = next(l for l in f if l.startswith("#fields")).rstrip("\n").split("\t")[1:]
        return pd.read_csv(path, sep="\t", comment="#", header=None, names=fields, na_values="-")
    return pd.read_csv(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--flowtop", default=os.path.join(ROOT, "target", "release", "flowtop"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.flowtop):
        sys.exit(f"{args.flowtop} not found: run `cargo build --release` first")
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, rel, kind in CASES:
            src = os.path.join(DATASETS, rel)
            if not os.path.exists(src):
                print(f"skipping {name}: {src} missing", file=sys.stderr)
                continue
            path = os.path.join(tmp, os.path.basename(rel))
            rows = enlarge(src, path, int(args.mb * 1e6))
            size = os.path.getsize(path)
            wc, pandas, flowtop, ratios = [], [], [], []
            for _ in range(args.runs):
                wc.append(timed(lambda: subprocess.run(["wc", "-l", path], check=True, capture_output=True))[0])
                pd_s, df = timed(lambda: read_pandas(path, kind))
                out = subprocess.run([args.flowtop, "bench", "parse", path, "--runs", "1", "--json"],
                                     check=True, capture_output=True, text=True)
                ft = json.loads(out.stdout)
                assert ft["rows"] == len(df), f"{name}: flowtop read {ft['rows']} rows, pandas {len(df)}"
                pandas.append(pd_s)
                flowtop.append(ft["best_s"])
                ratios.append(pd_s / ft["best_s"])
            rows_out.append({
                "case": name, "mb": size / 1e6, "rows": ft["rows"],
                "wc_s": min(wc), "pandas_s": min(pandas), "flowtop_s": min(flowtop),
                "flowtop_vs_pandas": statistics.median(ratios),
                "flowtop_vs_pandas_range": [min(ratios), max(ratios)],
                "flowtop_vs_wc": min(wc) / min(flowtop),
            })
            del df
    if args.json:
        print(json.dumps(rows_out, indent=1))
        return
    print(f"pandas {pd.__version__}, numpy {np.__version__}")
    print(f"{'file':42} {'MB':>6} {'rows':>9} {'wc -l':>14} {'pandas':>14} {'flowtop':>14} {'×pandas':>8} {'range':>11}")
    for r in rows_out:
        mbps = lambda s: f"{s:6.3f}s {r['mb'] / s:5.0f}MB/s"
        lo, hi = r["flowtop_vs_pandas_range"]
        print(f"{r['case']:42} {r['mb']:6.0f} {r['rows']:9d} {mbps(r['wc_s']):>14} {mbps(r['pandas_s']):>14} "
              f"{mbps(r['flowtop_s']):>14} {r['flowtop_vs_pandas']:7.1f}× {lo:4.1f}–{hi:.1f}×")

if __name__ == "__main__":
    main()
