#!/usr/bin/env python3
"""Differential fuzzing of qrobust's answers (optional; needs numpy).

Random small networks (1-5 inputs, 1-3 hidden layers of ReLU or linear
neurons, sigmoid, softmax or logit outputs, sometimes an input
normalisation) are compared with a second network: one with noisy weights,
one of other hidden sizes, a pruned copy, one with the other hidden
activations, one a layer deeper, the fixed-point rounded copy, or every
member of a perturbation set (fixed point to nearest or by truncation,
float16). `qrobust global` (random box, random metric) and `qrobust local`
(random point) answer with --json, and numpy then searches for a
counterexample independently:

- no sampled deviation may lie above the certified upper end: uniform
  samples, every vertex of the box, a grid for 1-D and 2-D boxes, and for
  perturbation sets random corners and interior points of the parameter box;
- a concrete pair's witness must lie in the box and have the reported lower
  end as its deviation (in float64, so flips where the original's logits
  are exactly tied, or its one logit is exactly 0, are not compared: the
  witness sits on the boundary, where float64 may read the other class);
- with --metric flip, `robust` must mean that no sample changes class.

A case that fails is saved as /tmp/qrobust-fuzz-answers-SEED-CASE.json with
its networks and the command. Usage:

    python3 scripts/fuzz-answers.py [CASES=100] [SEED=1] [global|local|both]

It uses the release binary, .build/release/qrobust (bash scripts/build-release.sh).
"""
import itertools
import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QROBUST = os.path.join(ROOT, ".build", "release", "qrobust")


def random_network(rng, inputs, hidden, activations, outputs, output, scale):
    sizes = [inputs] + hidden + [outputs]
    layers = []
    for l in range(1, len(sizes)):
        layers.append({
            "activation": activations[l - 1] if l < len(sizes) - 1 else "identity",
            "weights": (rng.uniform(-1, 1, (sizes[l], sizes[l - 1])) * scale).tolist(),
            "biases": (rng.uniform(-0.5, 0.5, sizes[l]) * scale).tolist(),
        })
    network = {"format": "qrobust-mlp", "version": 1, "inputSize": inputs, "output": output, "layers": layers}
    if rng.random() < 0.2:
        network["inputNormalization"] = {"means": rng.uniform(-1, 1, inputs).tolist(),
                                         "ranges": rng.uniform(0.5, 2, inputs).tolist()}
    return network


def copy(network):
    return json.loads(json.dumps(network))


def logits(network, x):
    h = x
    if "inputNormalization" in network:
        n = network["inputNormalization"]
        h = (h - np.array(n["means"])) / np.array(n["ranges"])
    for layer in network["layers"]:
        h = h @ np.array(layer["weights"]).T + np.array(layer["biases"])
        if layer["activation"] == "relu":
            h = np.maximum(h, 0)
    return h


def deviation(f, g, x, metric):
    """docs/semantics.md §1.1's metrics, row by row."""
    z, zc = logits(f, x), logits(g, x)
    rows = np.arange(len(x))
    if metric == "logit":
        return np.abs(zc - z).max(axis=1)
    if metric == "probability":
        if f["output"] == "sigmoid":
            return np.abs(1 / (1 + np.exp(-zc[:, 0])) - 1 / (1 + np.exp(-z[:, 0])))
        def softmax(v):
            e = np.exp(v - v.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        c = z.argmax(axis=1)
        return np.abs(softmax(zc)[rows, c] - softmax(z)[rows, c])
    # flip: the largest margin of another class in the compressed network
    if z.shape[1] == 1:
        return np.where(z[:, 0] > 0, -zc[:, 0], zc[:, 0])
    c = z.argmax(axis=1)
    others = zc.copy()
    others[rows, c] = -np.inf
    return others.max(axis=1) - zc[rows, c]


def rounded(network, bits):
    result = copy(network)
    for layer in result["layers"]:
        for key in ("weights", "biases"):
            layer[key] = (np.round(np.array(layer[key]) * 2.0 ** bits) / 2.0 ** bits).tolist()
    return result


def compared_network(rng, kind, f, inputs, hidden, activations):
    """The second network of a concrete pair and the options that name it."""
    if kind == "bits":
        bits = int(rng.integers(1, 7))
        return rounded(f, bits), ["--bits", str(bits), "--compression-model", "concrete"]
    g = copy(f)
    if kind == "noise":
        for layer in g["layers"]:
            w = np.array(layer["weights"])
            layer["weights"] = (w + rng.normal(0, 0.05, w.shape)).tolist()
    elif kind == "other-shape":
        other = random_network(rng, inputs, [int(rng.integers(2, 9)) for _ in hidden], activations,
                               len(f["layers"][-1]["biases"]), f["output"], 1.0)
        other.pop("inputNormalization", None)
        if "inputNormalization" in f:
            other["inputNormalization"] = f["inputNormalization"]
        g = other
    elif kind == "pruned":
        for layer in g["layers"]:
            w = np.array(layer["weights"])
            w[np.abs(w) < np.quantile(np.abs(w), 0.5)] = 0
            layer["weights"] = w.tolist()
    elif kind == "other-activations":
        for layer in g["layers"][:-1]:
            layer["activation"] = "identity" if layer["activation"] == "relu" else "relu"
    elif kind == "deeper":
        size = len(g["layers"][-1]["weights"][0])
        g["layers"].insert(len(g["layers"]) - 1, {
            "activation": "relu", "weights": (np.eye(size) + rng.normal(0, 0.05, (size, size))).tolist(),
            "biases": [0.0] * size})
    return g, None


def perturbation(kind, bits):
    options = {"set-nearest": ["--bits", str(bits)], "set-truncate": ["--bits", str(bits), "--rounding", "truncate"],
               "set-float16": ["--precision", "float16"]}[kind]

    def radius(values):
        if kind == "set-nearest":
            return np.full(values.shape, 2.0 ** -(bits + 1))
        if kind == "set-truncate":
            return np.full(values.shape, 2.0 ** -bits)
        return np.abs(values) * 2.0 ** -11  # inside the set: its floor only adds
    return options, radius


def members(rng, f, radius, count):
    """Random corners and interior points of Θ_Δ."""
    for t in range(count):
        g = copy(f)
        for layer in g["layers"]:
            for key in ("weights", "biases"):
                values = np.array(layer[key])
                signs = rng.choice([-1, 1], values.shape) if t % 2 == 0 else rng.uniform(-1, 1, values.shape)
                layer[key] = (values + signs * radius(values)).tolist()
        yield g


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1, 2):
        return None, f"exit {result.returncode}: {result.stderr.strip()[:300]}"
    return json.loads(result.stdout), None


def case_network(rng, input_counts, widest):
    """A case's original network, with the inputs, hidden sizes and activations it was drawn with."""
    inputs = int(rng.choice(input_counts))
    hidden = [int(rng.integers(2, widest + 1)) for _ in range(int(rng.integers(1, 4)))]
    activations = [str(rng.choice(["relu", "relu", "identity"])) for _ in hidden]
    output = str(rng.choice(["sigmoid", "softmax", "logits"]))
    outputs = 1 if output == "sigmoid" else int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 3))
    f = random_network(rng, inputs, hidden, activations, outputs, output, float(rng.choice([0.5, 1, 3])))
    return f, inputs, hidden, activations


def metrics(f):
    return ["logit", "flip"] + (["probability"] if f["output"] != "logits" else [])


def global_case(rng, scratch):
    f, inputs, hidden, activations = case_network(rng, [1, 2, 2, 3, 4], 8)
    kind = str(rng.choice(["noise", "bits", "other-shape", "pruned", "other-activations", "deeper",
                           "set-nearest", "set-truncate", "set-float16"]))
    metric = str(rng.choice(metrics(f)))
    lower = rng.uniform(-2, 1.5, inputs)
    upper = lower + rng.uniform(0.01, 1.5, inputs)
    files = {"f": os.path.join(scratch, "f.json"), "g": os.path.join(scratch, "g.json")}
    json.dump(f, open(files["f"], "w"))
    if kind.startswith("set-"):
        options, radius = perturbation(kind, int(rng.integers(2, 8)))
        g = None
    else:
        g, options = compared_network(rng, kind, f, inputs, hidden, activations)
        if options is None:
            json.dump(g, open(files["g"], "w"))
            options = ["--compressed", files["g"]]
    box = ",".join(f"{float(a)!r}:{float(b)!r}" for a, b in zip(lower, upper))
    command = [QROBUST, "global", files["f"], *options, "--box", box, "--metric", metric,
               "--json", "--timeout", "20", "--tolerance", "1e-3"]
    report, error = run(command)
    if error:
        return kind, metric, error, {"f": f, "g": g, "command": command}
    x = lower + (upper - lower) * rng.random((60000, inputs))
    x = np.vstack([x, np.array(list(itertools.product(*zip(lower, upper))))])
    if inputs == 1:
        x = np.vstack([x, np.linspace(lower, upper, 20001)])
    if inputs == 2:
        gx, gy = np.meshgrid(np.linspace(lower[0], upper[0], 301), np.linspace(lower[1], upper[1], 301))
        x = np.vstack([x, np.c_[gx.ravel(), gy.ravel()]])
    if g is None:
        values = np.array([deviation(f, member, x[rng.choice(len(x), 4000, replace=False)], metric).max()
                           for member in members(rng, f, radius, 150)])
    else:
        values = deviation(f, g, x, metric)
    problems = []
    certified = report["deviation"]["upper"]
    if values.max() > certified + 1e-9 * max(1, abs(values.max())):
        problems.append(f"sampled {float(values.max())!r} > certified upper {certified!r}")
    if metric == "flip" and report["verdict"] == "robust" and values.max() > 1e-9:
        problems.append(f"robust, but a sample changes class (margin {float(values.max())!r})")
    witness = report.get("witness")
    if isinstance(witness, dict) and g is not None:
        point = np.array([float(Fraction(v)) for v in witness["input"]])
        if ((point < lower - 1e-12) | (point > upper + 1e-12)).any():
            problems.append("witness outside the box")
        value = deviation(f, g, point[None], metric)[0]
        z = np.sort(logits(f, point[None])[0])
        tie = metric == "flip" and (abs(z[0]) < 1e-9 if len(z) == 1 else z[-1] - z[-2] < 1e-9)
        if not tie and abs(value - report["deviation"]["lower"]) > 1e-7 * max(1, abs(value)):
            problems.append(f"witness deviation {float(value)!r} against reported lower end {report['deviation']['lower']!r}")
    return kind, metric, "; ".join(problems), {"f": f, "g": g, "command": command}


def local_case(rng, scratch):
    f, inputs, _, _ = case_network(rng, [1, 2, 3, 5, 8], 11)
    kind = str(rng.choice(["set-nearest", "set-truncate", "set-float16"]))
    options, radius = perturbation(kind, int(rng.integers(2, 8)))
    metric = str(rng.choice(metrics(f)))
    x = rng.uniform(-2, 2, inputs)
    file = os.path.join(scratch, "f.json")
    json.dump(f, open(file, "w"))
    command = [QROBUST, "local", file, *options, "--input", ",".join(repr(float(v)) for v in x),
               "--metric", metric, "--json", "--timeout", "20", "--tolerance", "1e-6"]
    report, error = run(command)
    if error:
        return kind, metric, error, {"f": f, "command": command}
    best = max(deviation(f, member, x[None], metric)[0] for member in members(rng, f, radius, 3000))
    certified = report["deviation"]["upper"]
    problem = f"sampled {float(best)!r} > certified upper {certified!r}" if best > certified + 1e-9 * max(1, abs(best)) else ""
    return kind, metric, problem, {"f": f, "command": command}


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    mode = sys.argv[3] if len(sys.argv) > 3 else "both"
    if not os.path.exists(QROBUST):
        sys.exit(f"{QROBUST} is missing: run bash scripts/build-release.sh first")
    rng = np.random.default_rng(seed)
    scratch = f"/tmp/qrobust-fuzz-answers-{seed}"
    os.makedirs(scratch, exist_ok=True)
    failures = 0
    for case in range(cases):
        check = global_case if mode == "global" or (mode == "both" and case % 2 == 0) else local_case
        kind, metric, problem, saved = check(rng, scratch)
        if problem:
            failures += 1
            path = f"/tmp/qrobust-fuzz-answers-{seed}-{case}.json"
            json.dump(saved, open(path, "w"))
            print(f"case {case} ({check.__name__}, {kind}, {metric}): {problem} [{path}]")
    print(f"{cases} cases, seed {seed}: {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
