#!/usr/bin/env python3
"""Builds tests/fixtures/reference/: a small slice of a flowtop feature split and the scores
scikit-learn / PyOD give it, for the detector agreement tests (src/detect/reference_tests.rs).

    python3 bench/make_reference.py DIR   # DIR from `flowtop eval FILE --export-split DIR`

Run once; the outputs are committed. Uses the Python counterparts of bench/compare.py.
"""
import os, sys
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from compare import detectors  # noqa: E402

TRAIN, TEST, SEED = 800, 400, 7


def main():
    src = sys.argv[1]
    out = "tests/fixtures/reference"
    os.makedirs(out, exist_ok=True)
    tr = pd.read_csv(os.path.join(src, "train.csv")).drop(columns="label")
    te = pd.read_csv(os.path.join(src, "test.csv"))
    tr = tr.sample(TRAIN, random_state=SEED)
    te = te.sample(TEST, random_state=SEED)
    label = te.pop("label")
    # Columns that are constant in this slice carry nothing; drop them on both sides.
    keep = [c for c in tr.columns if tr[c].nunique() > 1]
    tr, te = tr[keep], te[keep]
    tr.to_csv(os.path.join(out, "train.csv"), index=False, float_format="%.10g")
    te.to_csv(os.path.join(out, "test.csv"), index=False, float_format="%.10g")
    scores = {}
    for name, (fit, score) in detectors(SEED, tr.shape[1]).items():
        scores[name] = score(fit(tr.values), te.values)
    ref = pd.DataFrame(scores)
    ref["label"] = label.values
    ref.to_csv(os.path.join(out, "scores.csv"), index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
