"""Fit the search confidence: P(top hit is right) from (evidence, lead over the next hit).

Usage: .venv/bin/python bench/calibrate.py [FILE.jsonl]   (default: the dev set)
The off-topic messages of tests/data/search_offtopic.txt join the fit as questions whose top hit is
never right: answerable questions alone taught it nothing about noise, which then got "did you mean".
Prints the logistic coefficients to put in `bot.search.engine.Ranking` (calib_*), and how well the
current ones are calibrated per band. Uses the built index of the current settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.config import PROJECT_ROOT, Settings
from bot.search import HIGH, MID, SearchService
from bot.search.evaluate import read_eval_file, read_message_file

OFFTOPIC = PROJECT_ROOT / "tests" / "data" / "search_offtopic.txt"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "tests" / "data" / "retrieval_dev.jsonl"
    service = SearchService(Settings.from_env())
    cases = [(c.query, c.lang, c.expected) for c in read_eval_file(path)]
    cases += [(text, None, ()) for text in read_message_file(OFFTOPIC)]
    X, y, conf = [], [], []
    for query, lang, expected in cases:
        hits = service.search(query, lang=lang, top_k=2)  # as the assistant asks: language detected if None
        X.append([hits[0].evidence, hits[0].lead])  # as SearchService.search reads them
        y.append(hits[0].code in expected)
        conf.append(hits[0].confidence)
    X, y, conf = np.array(X), np.array(y), np.array(conf)
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0).fit((X - mean) / std, y)
    w = model.coef_[0] / std  # back to raw feature units
    b = model.intercept_[0] - float((model.coef_[0] * mean / std).sum())
    print(f"calib_bias={b:.3f} calib_score={w[0]:.3f} calib_margin={w[1]:.3f}")
    p = 1 / (1 + np.exp(-(b + X @ w)))
    for lo, hi in ((0, 0.4), (0.4, 0.7), (0.7, 1.01)):
        m = (p >= lo) & (p < hi)
        if m.any():
            print(f"fitted [{lo:.1f},{hi:.1f}) n={m.sum():3d} mean p {p[m].mean():.2f} accuracy {y[m].mean():.2f}")
    for name, mask in (("high", conf >= HIGH), ("mid", (conf >= MID) & (conf < HIGH)), ("low", conf < MID)):
        if mask.any():
            print(f"{name:5s} n={mask.sum():3d}  mean confidence {conf[mask].mean():.2f}  accuracy {y[mask].mean():.2f}")


if __name__ == "__main__":
    main()
