#!/usr/bin/env python3
"""Trains the network zoo of the activation study (Examples/zoo).

Optional: the trained files are committed, and `qrobust study activations`
needs no Python. Run it only to change the zoo:

    python3 -m pip install scikit-learn==1.9.1
    python3 scripts/train-zoo.py [OUT_DIR]

For every data set, hidden-layer shape and seed it trains two binary
classifiers that differ only in the hidden activation: ReLU and identity
("linear"). Inputs are scaled to [0, 1] (min-max over the whole data set), so
the study's input box is [0, 1]^d for every network. Weights are stored as
float32 values, as a deployed PyTorch or Keras model stores them. zoo.json lists
every network with its data set, activation, shape, seed, accuracies, and test
points nearest to and farthest from its decision boundary.
"""
import json
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine, make_blobs, make_circles, make_moons
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Examples", "zoo")
SEEDS = range(5)
SHAPES = [(8,), (16,), (8, 8)]


def xor(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    flip = rng.random(n) < 0.05
    return X, np.where(flip, 1 - y, y)


def datasets():
    """(name, X, y): four 2-D sets and two tabular sets that scikit-learn ships."""
    yield "moons", *make_moons(400, noise=0.2, random_state=1)
    yield "circles", *make_circles(400, noise=0.1, factor=0.5, random_state=1)
    yield "blobs", *make_blobs(400, centers=2, cluster_std=2.0, random_state=1)
    yield "xor", *xor(400, 1)
    cancer = load_breast_cancer()
    yield "breast-cancer", cancer.data, cancer.target
    wine = load_wine()
    yield "wine", wine.data, (wine.target == 0).astype(int)  # class 0 against the rest


def to_unit_box(X):
    low, high = X.min(axis=0), X.max(axis=0)
    return (X - low) / np.where(high > low, high - low, 1)


def as_float32(model):
    model.coefs_ = [w.astype(np.float32).astype(np.float64) for w in model.coefs_]
    model.intercepts_ = [b.astype(np.float32).astype(np.float64) for b in model.intercepts_]


def qrobust_json(model, activation, inputs):
    layers = []
    for i, (w, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        last = i == len(model.coefs_) - 1
        layers.append({"activation": "identity" if last else activation,
                       "weights": [[float(v) for v in row] for row in w.T], "biases": [float(v) for v in b]})
    return {"format": "qrobust-mlp", "version": 1, "inputSize": inputs, "output": "sigmoid", "layers": layers}


def main():
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for name, X, y in datasets():
        X = to_unit_box(np.asarray(X, dtype=np.float64))
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
        for shape in SHAPES:
            for seed in SEEDS:
                for activation in ["relu", "identity"]:
                    model = MLPClassifier(shape, activation=activation, max_iter=3000, random_state=seed,
                                          learning_rate_init=0.01, alpha=1e-4)
                    model.fit(X_train, y_train)
                    as_float32(model)
                    p = model.predict_proba(X_test)[:, 1]
                    order = np.argsort(np.abs(p - 0.5))
                    label = "relu" if activation == "relu" else "linear"
                    file = f"{name}-{label}-{'x'.join(map(str, shape))}-s{seed}.json"
                    with open(os.path.join(OUT, file), "w") as f:
                        json.dump(qrobust_json(model, activation, X.shape[1]), f)
                        f.write("\n")
                    entries.append({
                        "file": file, "dataset": name, "activation": label, "hidden": list(shape), "seed": seed,
                        "inputs": X.shape[1],
                        "trainAccuracy": round(float(model.score(X_train, y_train)), 4),
                        "testAccuracy": round(float(model.score(X_test, y_test)), 4),
                        "nearBoundary": [[float(v) for v in X_test[i]] for i in order[:2]],
                        "farFromBoundary": [[float(v) for v in X_test[i]] for i in order[-2:]],
                    })
                    print(f"{file}: test accuracy {entries[-1]['testAccuracy']}", flush=True)
    with open(os.path.join(OUT, "zoo.json"), "w") as f:
        json.dump({"description": "qrobust activation-study zoo (scripts/train-zoo.py)", "inputBox": [0, 1],
                   "networks": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    main()
