#!/usr/bin/env python3
"""flowtop's detectors against scikit-learn / PyOD on exactly the same rows and features.

For each labelled file: `flowtop eval --json --export-split DIR` fits flowtop on a random half
(labels unused), scores the other half and writes both feature matrices; the Python detectors
are then fitted on the same train matrix and score the same test matrix. One table per file:
ROC-AUC and PR-AUC of each detector on both sides, and the ratio of scoring rows/s.

    pip install scikit-learn pyod pandas
    cargo build --release
    python3 bench/compare.py [--attack-share 0.1] FILE...
    python3 bench/compare.py --supervised [--folds 5] FILE...   # classifiers vs scikit-learn RF
    python3 bench/compare.py --forecast [--bucket 600] [--horizon 30] ZEEK_CONN_LOG...
        # automatic ARIMA vs statsmodels ARIMA(2,1,2) and pmdarima on the same buckets

The Python counterparts use the parameters flowtop uses (IF 100 trees x 256 rows; LOF k=20 in
novelty mode; OCSVM nu=0.1, gamma='scale'; DBSCAN min_samples=10 with eps the 0.9 quantile of
the 10-NN distance, scored by distance to the nearest core sample / eps; K-Means k in 2..8 by
silhouette, distance to the nearest centroid; robust z RMS; an MLP autoencoder d-h-b-h-d with
tanh; PyOD HBOS and ECOD with their defaults). The Python consensus is the mean of the
detectors' rank-normalised scores.
"""
import argparse, json, os, subprocess, sys, tempfile, time

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score, silhouette_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.neural_network import MLPRegressor
from sklearn.svm import OneClassSVM
from scipy.stats import rankdata

try:
    from pyod.models.ecod import ECOD
    from pyod.models.hbos import HBOS
except ImportError:
    sys.exit("PyOD is missing: pip install pyod")

FLOWTOP = os.environ.get("FLOWTOP", "target/release/flowtop")


def dbscan_fit(x, seed):
    nn = NearestNeighbors(n_neighbors=10).fit(x)
    kd = nn.kneighbors(x)[0][:, -1]
    eps = float(np.quantile(kd, 0.9))
    db = DBSCAN(eps=eps, min_samples=10).fit(x)
    core = x[db.core_sample_indices_]
    return NearestNeighbors(n_neighbors=1).fit(core), eps


def kmeans_fit(x, seed):
    rng = np.random.default_rng(seed)
    sil = x[rng.choice(len(x), min(1000, len(x)), replace=False)]
    best = None
    for k in range(2, 9):
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(x)
        s = silhouette_score(sil, km.predict(sil))
        if best is None or s > best[0]:
            best = (s, km)
    return best[1]


def zscore_fit(x):
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0) * 1.4826
    mean_abs = np.mean(np.abs(x - med), axis=0) * 1.2533
    scale = np.where(mad > 1e-12, mad, np.where(mean_abs > 1e-12, mean_abs, 1.0))
    return med, scale


def detectors(seed, d):
    h = int(np.clip(d // 2, 8, 32))
    b = int(np.clip(d // 6, 2, 8))
    return {
        "iforest": (lambda x: IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(x),
                    lambda m, x: -m.score_samples(x)),
        "lof": (lambda x: LocalOutlierFactor(n_neighbors=20, novelty=True).fit(x),
                lambda m, x: -m.score_samples(x)),
        "ocsvm": (lambda x: OneClassSVM(nu=0.1, gamma="scale").fit(x),
                  lambda m, x: -m.decision_function(x)),
        "dbscan": (lambda x: dbscan_fit(x, seed),
                   lambda m, x: m[0].kneighbors(x)[0][:, 0] / m[1]),
        "kmeans": (lambda x: kmeans_fit(x, seed),
                   lambda m, x: m.transform(x).min(axis=1)),
        "zscore": (zscore_fit,
                   lambda m, x: np.sqrt(np.mean(np.minimum(np.abs((x - m[0]) / m[1]), 50) ** 2, axis=1))),
        "autoencoder": (lambda x: MLPRegressor(hidden_layer_sizes=(h, b, h), activation="tanh", max_iter=30,
                                               batch_size=128, learning_rate_init=3e-3, random_state=seed).fit(x, x),
                        lambda m, x: np.mean((m.predict(x) - x) ** 2, axis=1)),
        "hbos": (lambda x: HBOS().fit(x), lambda m, x: m.decision_function(x)),
        "ecod": (lambda x: ECOD().fit(x), lambda m, x: m.decision_function(x)),
    }


def run_python(train, test, y, seed):
    out = {}
    ranks = []
    fit_total = 0.0
    score_total = 0.0
    for name, (fit, score) in detectors(seed, train.shape[1]).items():
        t = time.perf_counter()
        m = fit(train)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        s = score(m, test)
        score_s = time.perf_counter() - t
        fit_total += fit_s
        score_total += score_s
        ranks.append(rankdata(s) / len(s))
        out[name] = dict(roc_auc=roc_auc_score(y, s), pr_auc=average_precision_score(y, s),
                         fit_s=fit_s, rows_per_s=len(test) / score_s)
    c = np.mean(ranks, axis=0)
    out["consensus"] = dict(roc_auc=roc_auc_score(y, c), pr_auc=average_precision_score(y, c),
                            fit_s=fit_total, rows_per_s=len(test) / score_total)
    return out


LABEL_NAMES = ("label", "class", "attack_cat", "attack type")
BENIGN = ("normal", "benign", "normal traffic", "0")


def raw_table(path):
    """The file as an analyst would load it: numeric columns as they are, categoricals with
    few values one-hot, identifiers (many distinct strings: addresses, timestamps) dropped."""
    df = pd.read_csv(path, low_memory=False)
    df.columns = [c.strip() for c in df.columns]
    label = next(c for c in df.columns if c.lower() in LABEL_NAMES)
    y = (~df[label].astype(str).str.strip().str.lower().isin(BENIGN)).astype(int).values
    x = df.drop(columns=[label] + [c for c in df.columns if c.lower() in ("difficulty", "id")])
    many = [c for c in x.columns if x[c].dtype == object and x[c].nunique() > 100]
    x = pd.get_dummies(x.drop(columns=many)).astype(float)
    x = x.replace([np.inf, -np.inf], np.nan).fillna(0.0)
    return x.values, y


def sklearn_rf_cv(x, y, folds, seed):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    acc, f1, auc, fit_s, pred_s = [], [], [], 0.0, 0.0
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        t = time.perf_counter()
        m = RandomForestClassifier(n_estimators=100, random_state=seed).fit(x[tr], y[tr])
        fit_s += time.perf_counter() - t
        t = time.perf_counter()
        p = m.predict_proba(x[te])
        pred_s += time.perf_counter() - t
        acc.append(accuracy_score(y[te], p.argmax(1)))
        f1.append(f1_score(y[te], p.argmax(1), average="macro"))
        auc.append(roc_auc_score(y[te], p[:, 1]))
    return dict(name="sklearn random forest", accuracy=float(np.mean(acc)),
                macro_f1=float(np.mean(f1)), roc_auc=float(np.mean(auc)),
                fit_s=fit_s / folds, rows_per_s=len(y) / pred_s)


def supervised(a):
    """flowtop eval --supervised against scikit-learn's RandomForestClassifier (100 trees,
    same number of stratified folds), both timed in this run."""
    for f in a.files:
        cmd = [FLOWTOP, "eval", f, "--supervised", "--json", "--seed", str(a.seed),
               "--folds", str(a.folds)]
        ft = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        x, y = raw_table(f)
        sk = sklearn_rf_cv(x, y, a.folds, a.seed)
        best = next(m for m in ft["models"] if m["name"] == ft["best"])
        if a.json:
            print(json.dumps(dict(file=f, flowtop=ft["models"], best=ft["best"], sklearn=sk,
                                  f1_gap=best["macro_f1"] - sk["macro_f1"],
                                  speedup=best["rows_per_s"] / sk["rows_per_s"])))
            continue
        print(f"\n{f}: {ft['labelled_rows']} labelled rows, {a.folds}-fold stratified CV, "
              f"seed {a.seed}")
        print(f"{'model':<24} {'accuracy':>8} {'macro F1':>8} {'ROC-AUC':>8} {'fit s':>7} {'rows/s':>10}")
        for m in ft["models"] + [sk]:
            name = m["name"] + (" (chosen)" if m["name"] == ft["best"] else "")
            print(f"{name:<24} {m['accuracy']:8.4f} {m['macro_f1']:8.4f} {m['roc_auc']:8.4f} "
                  f"{m['fit_s']:7.2f} {m['rows_per_s']:10.0f}")
        print(f"chosen {ft['best']}: macro F1 {best['macro_f1'] - sk['macro_f1']:+.4f} against "
              f"scikit-learn, predicts {best['rows_per_s'] / sk['rows_per_s']:.1f}x its rows/s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--attack-share", type=float)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true", help="one JSON object per file")
    ap.add_argument("--supervised", action="store_true",
                    help="compare the classifiers (eval --supervised) with scikit-learn's forest")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--forecast", action="store_true",
                    help="compare the automatic ARIMA with statsmodels / pmdarima (Zeek conn.log files)")
    ap.add_argument("--bucket", type=float, default=600, help="--forecast: bucket width, seconds")
    ap.add_argument("--horizon", type=int, default=30, help="--forecast: buckets held out")
    a = ap.parse_args()
    if a.supervised:
        return supervised(a)
    if a.forecast:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from compare_forecast import compare
        for f in a.files:
            compare(f, a.bucket, a.horizon)
            print()
        return
    for f in a.files:
        with tempfile.TemporaryDirectory() as d:
            cmd = [FLOWTOP, "eval", f, "--json", "--seed", str(a.seed), "--export-split", d]
            if a.attack_share:
                cmd += ["--attack-share", str(a.attack_share)]
            ft = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            tr = pd.read_csv(os.path.join(d, "train.csv"))
            te = pd.read_csv(os.path.join(d, "test.csv"))
        tr.pop("label")
        y = te.pop("label").values
        py = run_python(tr.values, te.values, y, a.seed)
        rows = {q["name"]: q for q in ft["detectors"]}
        rows["consensus"] = ft["consensus"]
        best_py = max((n for n in py if n != "consensus"), key=lambda n: py[n]["roc_auc"])
        best_py_pr = max((n for n in py if n != "consensus"), key=lambda n: py[n]["pr_auc"])
        if a.json:
            print(json.dumps(dict(file=f, flowtop=rows, python=py, best_python_roc=best_py,
                                  best_python_pr=best_py_pr)))
            continue
        print(f"\n{f}: {ft['test_rows']} scored rows, {100 * (ft['attack_share'] or 0):.1f} % attacks, "
              f"{ft['features']} features, seed {a.seed}")
        print(f"{'detector':<12} {'ft roc':>7} {'py roc':>7} {'diff':>6}  {'ft pr':>6} {'py pr':>6}  "
              f"{'ft rows/s':>10} {'py rows/s':>10} {'ratio':>6}  {'ft fit s':>8} {'py fit s':>8}")
        for n in list(py):
            q, p = rows[n], py[n]
            fr = q["roc_auc"] or float("nan")
            fp = q["pr_auc"] or float("nan")
            print(f"{n:<12} {fr:7.3f} {p['roc_auc']:7.3f} {fr - p['roc_auc']:+6.3f}  {fp:6.3f} {p['pr_auc']:6.3f}  "
                  f"{q['rows_per_s']:10.0f} {p['rows_per_s']:10.0f} {q['rows_per_s'] / p['rows_per_s']:6.1f}  "
                  f"{q['fit_s']:8.2f} {p['fit_s']:8.2f}")
        c = rows["consensus"]
        print(f"best Python single detector: {best_py} ROC-AUC {py[best_py]['roc_auc']:.3f}, "
              f"{best_py_pr} PR-AUC {py[best_py_pr]['pr_auc']:.3f}; flowtop consensus "
              f"{c['roc_auc']:.3f} / {c['pr_auc']:.3f}")


if __name__ == "__main__":
    main()
