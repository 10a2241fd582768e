#!/usr/bin/env python3
"""Label-free consensus combiners compared on flowtop's own calibrated detector scores.

    flowtop eval FILE [--attack-share 0.1] --export-split DIR     (for each data set)
    python3 bench/consensus_study.py DIR...

Each DIR holds train_scores.csv / test_scores.csv (calibrated score per detector, label last).
Weights are computed on the training scores only; labels are used for measuring alone. Prints
every combiner's ROC-AUC / PR-AUC gap to the best single detector of that split.
"""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def agreement_weights(t, power=1, keep=0.5, rounds=10):
    m = t.shape[1]
    w = np.ones(m)
    for _ in range(rounds):
        e = (t * w).sum(1) / w.sum()
        w = np.array([max(0.0, np.corrcoef(t[:, j], e)[0, 1]) for j in range(m)]) ** power
    k = max(2, int(np.ceil(m * keep)))
    order = np.argsort(-w)
    out = np.zeros(m)
    out[order[:k]] = w[order[:k]]
    return out / out.sum()


def surprise(p):
    return -np.log(1 - np.clip(p, 0, 1 - 1e-9))


def combiners(t, s):
    yield "mean", s.mean(1)
    yield "max", s.max(1)
    yield "mean of -ln(1-p)", surprise(s).mean(1)
    for power in (1, 2, 4, 8):
        for keep in (0.34, 0.5, 0.67, 1.0):
            w = agreement_weights(t, power, keep)
            yield f"agreement^{power}, keep {keep:.2f}", s @ w
    w = agreement_weights(t, 1, 0.5)
    yield "agreement, -ln(1-p)", surprise(s) @ w
    idx = np.where(w > 0)[0]
    yield "median of members", np.median(s[:, idx], 1)
    top = np.sort(s[:, idx], 1)[:, ::-1]
    yield "mean of top-2 members", top[:, :2].mean(1)


def main():
    gaps = {}
    for d in sys.argv[1:]:
        tr = pd.read_csv(f"{d}/train_scores.csv").drop(columns="label")
        te = pd.read_csv(f"{d}/test_scores.csv")
        y = te.pop("label").values
        t, s = tr.values, te.values
        best_roc = max(roc_auc_score(y, s[:, j]) for j in range(s.shape[1]))
        best_pr = max(average_precision_score(y, s[:, j]) for j in range(s.shape[1]))
        print(f"{d}: best single detector ROC-AUC {best_roc:.3f}, PR-AUC {best_pr:.3f}")
        for name, score in combiners(t, s):
            g = (roc_auc_score(y, score) - best_roc, average_precision_score(y, score) - best_pr)
            gaps.setdefault(name, []).append(g)
    print(f"\n{'combiner':<28} gap to the best single detector per split (ROC / PR), then the mean")
    for name, g in gaps.items():
        a = np.array(g)
        cells = " ".join(f"{r:+.3f}/{p:+.3f}" for r, p in a)
        print(f"{name:<28} {cells}   mean {a[:, 0].mean():+.3f}/{a[:, 1].mean():+.3f}")


if __name__ == "__main__":
    main()
