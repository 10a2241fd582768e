#!/usr/bin/env python3
"""flowtop's automatic ARIMA vs statsmodels ARIMA(2,1,2) (and pmdarima's auto_arima when it is
installed) on exactly the same buckets and held-out tail, in the same run.

flowtop buckets a flow at floor(ts / width); this script does the same from the Zeek log and
checks that its held-out values equal the `actual` values flowtop reports.

    python3 bench/compare_forecast.py ../shared/datasets/zeek/trickbot_conn.log --bucket 600

`bench/compare.py --forecast FILE...` runs the same comparison.
"""
import argparse
import json
import os
import subprocess
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "flowtop")
# Fits timed per side: the median is reported (flowtop repeats its fit in-process; statsmodels
# is refitted in this process), so neither pays its cold start alone.
RUNS = 20
SM_RUNS = 5


def zeek_buckets(path, width):
    ts, fields = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("#fields"):
                fields = line.rstrip("\n").split("\t")[1:]
            elif not line.startswith("#"):
                ts.append(float(line.rstrip("\n").split("\t")[fields.index("ts")]))
    b = np.floor(np.array(ts) / width).astype(np.int64)
    return np.bincount(b - b.min()).astype(float)


def scores(mean, lo, hi, actual, last):
    mean, lo, hi, actual = map(np.asarray, (mean, lo, hi, actual))
    rmse = float(np.sqrt(np.mean((mean - actual) ** 2)))
    cover = float(np.mean((lo <= actual) & (actual <= hi)))
    naive = float(np.sqrt(np.mean((last - actual) ** 2)))
    return rmse, cover, naive


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--bucket", type=float, default=600)
    ap.add_argument("--horizon", type=int, default=30)
    a = ap.parse_args()
    for f in a.files:
        compare(f, a.bucket, a.horizon)


def compare(path, bucket, horizon):
    """Prints one table for `path` and returns (flowtop RMSE / statsmodels RMSE, flowtop
    coverage, statsmodels fit ms / flowtop fit ms)."""
    out = subprocess.run(
        [BIN, "forecast", path, "--bucket", str(bucket), "--horizon", str(horizon), "--json",
         "--runs", str(RUNS)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        print(out.stderr.strip())
        return None
    ft = json.loads(out.stdout)
    y = zeek_buckets(path, bucket)
    train, test = y[: -horizon], y[-horizon:]
    assert np.allclose(test, [p["actual"] for p in ft["forecast"]]), "bucket mismatch"
    rows = []
    f = ft["forecast"]
    rmse, cover, naive = scores([p["mean"] for p in f], [p["lo"] for p in f], [p["hi"] for p in f], test, train[-1])
    rows.append((f"flowtop auto {tuple(ft['order'])}", rmse, cover, ft["fit_ms"]))

    from statsmodels.tsa.arima.model import ARIMA
    sm_times = []
    for _ in range(SM_RUNS):
        t0 = time.perf_counter()
        res = ARIMA(train, order=(2, 1, 2)).fit()
        sm_times.append((time.perf_counter() - t0) * 1e3)
    sm_ms = float(np.median(sm_times))
    fc = res.get_forecast(horizon)
    ci = np.asarray(fc.conf_int(alpha=0.05))
    rmse_sm, cover_sm, _ = scores(fc.predicted_mean, ci[:, 0], ci[:, 1], test, train[-1])
    rows.append(("statsmodels ARIMA(2,1,2)", rmse_sm, cover_sm, sm_ms))
    try:
        import pmdarima
        t0 = time.perf_counter()
        m = pmdarima.auto_arima(train, stepwise=True, seasonal=False, suppress_warnings=True)
        pm_ms = (time.perf_counter() - t0) * 1e3
        mean, ci = m.predict(horizon, return_conf_int=True, alpha=0.05)
        r, c, _ = scores(mean, ci[:, 0], ci[:, 1], test, train[-1])
        rows.append((f"pmdarima auto_arima {m.order}", r, c, pm_ms))
    except ImportError:
        rows.append(("pmdarima (not installed)", float("nan"), float("nan"), float("nan")))
    print(f"{path}: {len(y)} buckets of {bucket:g} s, last {horizon} held out; naive RMSE {naive:.2f}")
    print(f"{'model':34} {'RMSE':>8} {'coverage':>9} {'fit ms':>9}   (median of {RUNS} / {SM_RUNS} / 1 fits)")
    for name, r, c, ms in rows:
        print(f"{name:34} {r:8.2f} {100 * c:8.0f}% {ms:9.1f}")
    print(f"flowtop RMSE / statsmodels RMSE = {rmse / rmse_sm:.3f}; statsmodels fit time / flowtop = {sm_ms / ft['fit_ms']:.1f}x")
    return rmse / rmse_sm, cover, sm_ms / ft["fit_ms"]


if __name__ == "__main__":
    main()
