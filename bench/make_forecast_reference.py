#!/usr/bin/env python3
"""Reference ARIMA figures from statsmodels for src/forecast tests (run once; results are
stored in tests/fixtures/forecast/*.json).

For each series: SARIMAX with simple differencing (the ARMA fitted on the differenced series,
exact likelihood, stationary initialisation — what flowtop computes) gives the coefficients,
log-likelihood and AIC; statsmodels' ARIMA gives 10-step forecasts with 95 % intervals.

    python3 bench/make_forecast_reference.py ../shared/datasets/zeek/trickbot_conn.log
"""
import json
import sys
import warnings

import numpy as np
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.statespace.sarimax import SARIMAX

warnings.filterwarnings("ignore")
OUT = "tests/fixtures/forecast"


def zeek_buckets(path, width):
    ts = []
    fields = None
    with open(path) as f:
        for line in f:
            if line.startswith("#fields"):
                fields = line.rstrip("\n").split("\t")[1:]
                continue
            if line.startswith("#"):
                continue
            cells = line.rstrip("\n").split("\t")
            ts.append(float(cells[fields.index("ts")]))
    b = np.floor(np.array(ts) / width).astype(np.int64)
    counts = np.bincount(b - b.min())
    return counts.astype(float).tolist()


def reference(name, y, order, trend):
    y = np.asarray(y, dtype=float)
    p, d, q = order
    model = SARIMAX(y, order=order, trend=trend, simple_differencing=True)
    simple = model.fit(disp=False)
    # statsmodels' default L-BFGS can stop short of the maximum: polish with Nelder-Mead and
    # BFGS from its answer and keep whichever likelihood is higher.
    nm = model.fit(disp=False, method="nm", maxiter=20000, start_params=simple.params)
    polished = model.fit(disp=False, method="bfgs", maxiter=2000, gtol=1e-10, start_params=nm.params)
    if polished.llf > simple.llf:
        simple = polished
    full = ARIMA(y, order=order, trend=trend if d == 0 else "n").fit()
    fc = full.get_forecast(10)
    ci = fc.conf_int(alpha=0.05)
    names = list(simple.model.param_names)
    params = dict(zip(names, simple.params.tolist()))
    out = {
        "name": name,
        "order": list(order),
        "constant": trend == "c",
        "series": y.tolist(),
        "ar": [params[f"ar.L{i}"] for i in range(1, p + 1)],
        "ma": [params[f"ma.L{i}"] for i in range(1, q + 1)],
        "intercept": params.get("intercept"),
        "sigma2": params["sigma2"],
        "loglik": float(simple.llf),
        "aic": float(simple.aic),
        "forecast": np.asarray(fc.predicted_mean).tolist(),
        "lo": np.asarray(ci)[:, 0].tolist(),
        "hi": np.asarray(ci)[:, 1].tolist(),
    }
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump(out, f)
    print(name, order, "aic", round(out["aic"], 3), "ar", np.round(out["ar"], 4), "ma", np.round(out["ma"], 4))


def main():
    rng = np.random.default_rng(7)
    # ARMA(2,1) around 50.
    n = 300
    e = rng.normal(0, 2.0, n + 100)
    x = np.zeros(n + 100)
    for t in range(2, n + 100):
        x[t] = 0.5 * x[t - 1] - 0.3 * x[t - 2] + e[t] + 0.4 * e[t - 1]
    reference("arma21", (x[100:] + 50.0).tolist(), (2, 0, 1), "c")
    # ARIMA(1,1,1): a random walk with ARMA increments.
    e = rng.normal(0, 1.0, 500)
    dx = np.zeros(500)
    for t in range(1, 500):
        dx[t] = 0.6 * dx[t - 1] + e[t] - 0.3 * e[t - 1]
    reference("arima111", (np.cumsum(dx[100:]) + 100.0).tolist(), (1, 1, 1), "n")
    # Real: flows per 600 s of the TrickBot capture (buckets at multiples of 600 s).
    y = zeek_buckets(sys.argv[1], 600)
    reference("trickbot600", y[:-30], (2, 1, 2), "n")


if __name__ == "__main__":
    main()
