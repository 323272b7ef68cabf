#!/usr/bin/env python3
"""Optional: writes the fixtures of qrobust's Learn-then-Test tests.

- Tests/CompressionTests/Fixtures/binomial-tails.csv: scipy's binomial tail
  P(Binom(n, a) <= k) and the Hoeffding-Bentkus p-value for a grid of (n, k, a).
- Examples/zoo/data/moons-calibration.csv: 2,000 points of the zoo's moons data
  (make_moons, noise 0.2, a new seed), scaled with the zoo's own min-max scaling
  (scripts/train-zoo.py scales its 400 training points, seed 1), with labels.

qrobust never needs Python; run this only to regenerate the files:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scipy scikit-learn
    /tmp/venv/bin/python scripts/make-ltt-fixtures.py
"""
import math
import os
from fractions import Fraction

import numpy as np
from scipy.stats import binom
from sklearn.datasets import make_moons

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hoeffding_bentkus(k, n, a):
    r = min(k / n, a)
    h = (r * math.log(r / a) if r > 0 else 0.0) + ((1 - r) * math.log((1 - r) / (1 - a)) if r < 1 else 0.0)
    return float(min(1.0, math.exp(-n * max(h, 0.0)), math.e * float(binom.cdf(k, n, a))))


def tails():
    path = os.path.join(ROOT, "Tests/CompressionTests/Fixtures/binomial-tails.csv")
    with open(path, "w") as f:
        f.write("# scipy %s: n, k, alpha as a fraction, P(Binom(n, alpha) <= k), Hoeffding-Bentkus p-value\n" % __import__("scipy").__version__)
        for n in [1, 7, 50, 100, 400, 1000, 2000]:
            for alpha in ["1/100", "1/20", "1/10", "1/5", "1/2", "9/10"]:
                a = Fraction(alpha)
                ks = sorted({0, 1, int(n * a / 2), int(n * a), int(n * a * 1.5) , n - 1, n})
                for k in ks:
                    if 0 <= k <= n:
                        f.write("%d,%d,%s,%r,%r\n" % (n, k, alpha, float(binom.cdf(k, n, float(a))), hoeffding_bentkus(k, n, float(a))))


def moons():
    x_train, _ = make_moons(400, noise=0.2, random_state=1)
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    x, y = make_moons(2000, noise=0.2, random_state=7)
    x = (x - low) / (high - low)
    path = os.path.join(ROOT, "Examples/zoo/data/moons-calibration.csv")
    with open(path, "w") as f:
        f.write("x0,x1,label\n")
        for row, label in zip(x, y):
            f.write("%r,%r,%d\n" % (float(row[0]), float(row[1]), int(label)))


if __name__ == "__main__":
    tails()
    moons()
