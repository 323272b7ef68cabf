#!/usr/bin/env python3
"""Train the bundled example networks (optional: their output is committed).

The seed paper's setting (Murthy, Das, Islam 2019): two small MLPs for binary
classification of a 2-D data set, one with ReLU hidden layers and one with
linear (identity) hidden layers, sigmoid output. This script uses numpy only:
it draws a two-moons data set, trains 2-8-8-1 networks by full-batch Adam on
the logistic loss, stores the weights as float32 values (what a PyTorch or
Keras export holds) and writes qrobust's JSON format to Examples/.

    python3 scripts/train_examples.py        # rewrites Examples/moons-*.json
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def two_moons(n, noise, rng):
    """The classic two interleaving half circles, inputs roughly in [-1, 2] x [-0.5, 1]."""
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0, noise, (2 * n, 2))
    y = np.concatenate([np.zeros(n), np.ones(n)])
    return x, y


def train(x, y, sizes, activation, rng, steps=4000, lr=0.01):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append([rng.normal(0, np.sqrt(2.0 / fan_in), (fan_out, fan_in)), np.zeros(fan_out)])
    moments = [[np.zeros_like(p) for p in layer] for layer in params]
    velocities = [[np.zeros_like(p) for p in layer] for layer in params]
    act = (lambda u: np.maximum(u, 0)) if activation == "relu" else (lambda u: u)
    dact = (lambda u: (u > 0).astype(float)) if activation == "relu" else (lambda u: np.ones_like(u))
    for step in range(1, steps + 1):
        hs, us = [x], []
        for i, (w, b) in enumerate(params):
            u = hs[-1] @ w.T + b
            us.append(u)
            hs.append(u if i == len(params) - 1 else act(u))
        z = hs[-1][:, 0]
        grad = ((1 / (1 + np.exp(-z))) - y)[:, None] / len(y)
        for i in reversed(range(len(params))):
            w, b = params[i]
            gw, gb = grad.T @ hs[i], grad.sum(axis=0)
            if i > 0:
                grad = (grad @ w) * dact(us[i - 1])
            for j, g in enumerate((gw, gb)):
                moments[i][j] = 0.9 * moments[i][j] + 0.1 * g
                velocities[i][j] = 0.999 * velocities[i][j] + 0.001 * g * g
                m_hat = moments[i][j] / (1 - 0.9 ** step)
                v_hat = velocities[i][j] / (1 - 0.999 ** step)
                params[i][j] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return [[w.astype(np.float32), b.astype(np.float32)] for w, b in params]


def accuracy(params, activation, x, y):
    h = x
    for i, (w, b) in enumerate(params):
        u = h @ w.astype(np.float64).T + b.astype(np.float64)
        h = u if i == len(params) - 1 or activation == "identity" else np.maximum(u, 0)
    return float(np.mean((h[:, 0] > 0) == (y == 1)))


def to_json(params, activation):
    layers = []
    for i, (w, b) in enumerate(params):
        layers.append({
            "activation": "identity" if i == len(params) - 1 else activation,
            # float32 values, written as the exact decimal of their double value
            "weights": [[float(v) for v in row] for row in w],
            "biases": [float(v) for v in b],
        })
    return {"format": "qrobust-mlp", "version": 1, "inputSize": 2, "output": "sigmoid", "layers": layers}


def main():
    rng = np.random.default_rng(2019)
    x, y = two_moons(500, 0.1, rng)
    x_test, y_test = two_moons(500, 0.1, rng)
    for activation, name in (("relu", "moons-relu"), ("identity", "moons-linear")):
        params = train(x, y, [2, 8, 8, 1], activation, rng)
        acc = accuracy(params, activation, x_test, y_test)
        path = ROOT / "Examples" / f"{name}.json"
        path.write_text(json.dumps(to_json(params, activation), indent=1) + "\n")
        print(f"{path.relative_to(ROOT)}: {activation} hidden layers, test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
