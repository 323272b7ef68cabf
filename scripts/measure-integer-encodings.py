#!/usr/bin/env python3
"""Measures the two exact encodings of deployed integer arithmetic in Z3:
linear integer/real arithmetic (QF_LIRA, what qrobust uses) against bit-vectors
(QF_BV), on the same random int8 networks and the same questions.

Optional, and not needed by qrobust or its tests: it needs only python3 and the
`z3` binary (Debian's z3 package, which scripts/install.sh installs).

The networks follow ONNX's integer semantics, as qrobust's QuantizedNetwork
does: uint8 activations with zero points, int8 weights (symmetric), int32
biases on the accumulator's scale, exact requantisation
`clamp(round_half_even(acc * M) + z, 0, 255)` with `M = s_w * s_in / s_out`
(scales are float32-like dyadic numbers, so M is an exact fraction p/q), and
the last accumulator as the logit. ReLU is the clamp at the zero point 0.

The question, in both encodings: is there an input cell (an integer vector of
the input quantizer, within given ranges) whose output accumulator exceeds a
threshold? Each network is first solved by enumerating every input cell in
exact integer arithmetic; the threshold is set one below that maximum (sat,
the model is checked against the enumeration) and at it (unsat).

Both encodings state each requantisation relationally, with the same integer
bounds from interval propagation:
- LIRA: an integer n with `n - 1/2 <= M*acc <= n + 1/2`, n even at a tie
  (`n = 2m`), the clamp as if-then-else; acc is a linear integer term.
- BV: the same in integers, `q*(2n - 1) <= 2*p*acc <= q*(2n + 1)` on signed
  bit-vectors wide enough for `2*p*acc`, evenness from n's lowest bit.

Usage: python3 scripts/measure-integer-encodings.py [--timeout 20] [--seeds 2]
(about 12 minutes; prints a Markdown table, one row per question)
"""
import argparse
import itertools
import random
import subprocess
import tempfile
import time
from fractions import Fraction


def dyadic_scale(rng, exponent):
    """A float32-like scale in [2^-exponent, 2^(1 - exponent)): an odd 24-bit mantissa over a power of two."""
    return Fraction(rng.randrange(1 << 23, 1 << 24) | 1, 1 << (23 + exponent))


def round_half_even(x):
    f = x.numerator // x.denominator
    r = x - f
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and f % 2 == 1):
        return f + 1
    return f


class Network:
    def __init__(self, rng, sizes):
        self.sizes = sizes
        self.layers = []
        scale_in = dyadic_scale(rng, 6)
        self.input_zero = 128
        for i, (n, m) in enumerate(zip(sizes, sizes[1:])):
            weights = [[rng.randint(-127, 127) for _ in range(n)] for _ in range(m)]
            scale_w = dyadic_scale(rng, 7)
            acc_scale = scale_w * scale_in
            biases = [rng.randint(-2000, 2000) for _ in range(m)]
            last = i == len(sizes) - 2
            scale_out = None if last else dyadic_scale(rng, 4)
            zero_in = self.input_zero if i == 0 else 0
            self.layers.append(dict(weights=weights, biases=biases, zero_in=zero_in,
                                    multiplier=None if last else acc_scale / scale_out))
            scale_in = scale_out

    def evaluate(self, cells):
        h = list(cells)
        for layer in self.layers:
            acc = [sum(w * (x - layer["zero_in"]) for w, x in zip(row, h)) + b
                   for row, b in zip(layer["weights"], layer["biases"])]
            if layer["multiplier"] is None:
                return acc
            h = [min(255, max(0, round_half_even(a * layer["multiplier"]))) for a in acc]

    def accumulator_ranges(self, input_ranges):
        """Interval bounds of every layer's accumulators and requantised integers."""
        h = input_ranges
        out = []
        for layer in self.layers:
            acc = []
            for row, b in zip(layer["weights"], layer["biases"]):
                lo = hi = b
                for w, (a, c) in zip(row, h):
                    a, c = a - layer["zero_in"], c - layer["zero_in"]
                    lo += min(w * a, w * c)
                    hi += max(w * a, w * c)
                acc.append((lo, hi))
            if layer["multiplier"] is None:
                out.append((acc, None))
                return out
            n = [(round_half_even(lo * layer["multiplier"]), round_half_even(hi * layer["multiplier"])) for lo, hi in acc]
            out.append((acc, n))
            h = [(min(255, max(0, a)), min(255, max(0, c))) for a, c in n]


def lira(network, input_ranges, threshold):
    lines = ["(set-logic QF_LIA)"]
    ranges = network.accumulator_ranges(input_ranges)
    h = []
    for i, (lo, hi) in enumerate(input_ranges):
        lines += [f"(declare-const x{i} Int)", f"(assert (<= {lo} x{i} {hi}))"]
        h.append(f"x{i}")
    for l, layer in enumerate(network.layers):
        acc_ranges, n_ranges = ranges[l]
        nxt = []
        for k, (row, b) in enumerate(zip(layer["weights"], layer["biases"])):
            terms = " ".join(f"(* {w} (- {x} {layer['zero_in']}))" for w, x in zip(row, h) if w != 0)
            acc = f"(+ {b} {terms})"
            if layer["multiplier"] is None:
                lines.append(f"(assert (> {acc} {threshold}))")
                continue
            p, q = layer["multiplier"].numerator, layer["multiplier"].denominator
            n, m = f"n{l}_{k}", f"m{l}_{k}"
            lo, hi = n_ranges[k]
            lines += [f"(declare-const {n} Int)", f"(declare-const {m} Int)", f"(assert (<= {lo} {n} {hi}))",
                      # n - 1/2 <= acc*p/q <= n + 1/2, times 2q: exact integer form of the tool's real one
                      f"(define-fun a{l}_{k} () Int (* {2 * p} {acc}))",
                      f"(assert (<= (* {q} (- (* 2 {n}) 1)) a{l}_{k}))",
                      f"(assert (<= a{l}_{k} (* {q} (+ (* 2 {n}) 1))))",
                      f"(assert (or (< (* {q} (- (* 2 {n}) 1)) a{l}_{k}) (= {n} (* 2 {m}))))",
                      f"(assert (or (< a{l}_{k} (* {q} (+ (* 2 {n}) 1))) (= {n} (* 2 {m}))))",
                      f"(define-fun h{l}_{k} () Int (ite (< {n} 0) 0 (ite (> {n} 255) 255 {n})))"]
            nxt.append(f"h{l}_{k}")
        h = nxt
    lines += ["(check-sat)", "(get-model)"]
    return "\n".join(lines)


def bv(network, input_ranges, threshold):
    ranges = network.accumulator_ranges(input_ranges)
    lines = ["(set-logic QF_BV)"]

    def width_for(lo, hi):
        return max(abs(lo), abs(hi)).bit_length() + 2

    def const(value, width):
        return f"(_ bv{value % (1 << width)} {width})"

    def extend(term, source, target):
        return term if target == source else f"((_ sign_extend {target - source}) {term})"

    h, h_width = [], 10  # uint8 values and zero points fit in 10 signed bits
    for i, (lo, hi) in enumerate(input_ranges):
        lines += [f"(declare-const x{i} (_ BitVec {h_width}))",
                  f"(assert (bvsle {const(lo, h_width)} x{i}))", f"(assert (bvsle x{i} {const(hi, h_width)}))"]
        h.append(f"x{i}")
    for l, layer in enumerate(network.layers):
        acc_ranges, n_ranges = ranges[l]
        nxt = []
        for k, (row, b) in enumerate(zip(layer["weights"], layer["biases"])):
            aw = width_for(*acc_ranges[k]) + 8
            zero = const(layer["zero_in"], h_width)
            terms = [f"(bvmul {const(w, aw)} {extend(f'(bvsub {x} {zero})', h_width, aw)})"
                     for w, x in zip(row, h) if w != 0]
            acc = f"(bvadd {const(b, aw)} {' '.join(terms)})" if terms else const(b, aw)
            if layer["multiplier"] is None:
                lines.append(f"(assert (bvsgt {acc} {const(threshold, aw)}))")
                continue
            p, q = layer["multiplier"].numerator, layer["multiplier"].denominator
            lo, hi = n_ranges[k]
            nw = width_for(lo, hi) + 1
            wide = max(aw + (2 * p).bit_length() + 1, nw + q.bit_length() + 3)
            n = f"n{l}_{k}"
            lines += [f"(declare-const {n} (_ BitVec {nw}))",
                      f"(assert (bvsle {const(lo, nw)} {n}))", f"(assert (bvsle {n} {const(hi, nw)}))",
                      f"(define-fun a{l}_{k} () (_ BitVec {wide}) (bvmul {const(2 * p, wide)} {extend(acc, aw, wide)}))",
                      f"(define-fun two_n{l}_{k} () (_ BitVec {wide}) (bvmul {const(2, wide)} {extend(n, nw, wide)}))",
                      f"(define-fun below{l}_{k} () (_ BitVec {wide}) (bvmul {const(q, wide)} (bvsub two_n{l}_{k} {const(1, wide)})))",
                      f"(define-fun above{l}_{k} () (_ BitVec {wide}) (bvmul {const(q, wide)} (bvadd two_n{l}_{k} {const(1, wide)})))",
                      f"(define-fun even{l}_{k} () Bool (= ((_ extract 0 0) {n}) #b0))",
                      f"(assert (bvsle below{l}_{k} a{l}_{k}))", f"(assert (bvsle a{l}_{k} above{l}_{k}))",
                      f"(assert (or (bvslt below{l}_{k} a{l}_{k}) even{l}_{k}))",
                      f"(assert (or (bvslt a{l}_{k} above{l}_{k}) even{l}_{k}))"]
            cw = max(nw, h_width)  # 255 must fit, signed
            wide_n = extend(n, nw, cw)
            clamped = (f"(ite (bvslt {wide_n} {const(0, cw)}) {const(0, cw)} "
                       f"(ite (bvsgt {wide_n} {const(255, cw)}) {const(255, cw)} {wide_n}))")
            value = clamped if cw == h_width else f"((_ extract {h_width - 1} 0) {clamped})"
            lines.append(f"(define-fun h{l}_{k} () (_ BitVec {h_width}) {value})")
            nxt.append(f"h{l}_{k}")
        h = nxt
    lines += ["(check-sat)", "(get-model)"]
    return "\n".join(lines)


def run_z3(text, timeout):
    with tempfile.NamedTemporaryFile("w", suffix=".smt2", delete=False) as f:
        f.write(text)
        path = f.name
    start = time.perf_counter()
    result = subprocess.run(["z3", f"-T:{timeout}", path], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    answer = result.stdout.split("\n", 1)[0].strip()
    return answer if answer in ("sat", "unsat") else "timeout", elapsed, result.stdout


def model_inputs(output, count, bitvector):
    values = {}
    for i in range(count):
        marker = f"(define-fun x{i} () {'(_ BitVec 10)' if bitvector else 'Int'}"
        text = output[output.index(marker) + len(marker):].split(")", 1)[0].strip()
        if bitvector:
            raw = int(text[2:], 16) if text.startswith("#x") else int(text[2:], 2)
            values[i] = raw - (1 << 10) if raw >= 1 << 9 else raw
        else:
            values[i] = int(text.replace("(", "").replace("- ", "-"))
    return [values[i] for i in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    cases = [((2, 4, 4, 1), 24), ((2, 8, 8, 1), 8), ((2, 8, 8, 1), 24), ((3, 8, 8, 1), 6), ((2, 16, 16, 1), 4)]
    print("| network | seed | question | LIRA | BV |")
    print("|---|---|---|---|---|")
    for sizes, half_width in cases:
        for seed in range(args.seeds):
            rng = random.Random(seed * 1000 + sum(sizes))
            network = Network(rng, sizes)
            ranges = [(network.input_zero - half_width, network.input_zero + half_width)] * sizes[0]
            best = max(network.evaluate(cells)[0] for cells in itertools.product(*[range(a, b + 1) for a, b in ranges]))
            for question, threshold in (("sat", best - 1), ("unsat", best)):
                row = []
                for name, encode in (("LIRA", lira), ("BV", bv)):
                    answer, elapsed, output = run_z3(encode(network, ranges, threshold), args.timeout)
                    if answer == "sat":
                        cells = model_inputs(output, sizes[0], name == "BV")
                        assert network.evaluate(cells)[0] > threshold, f"{name} model {cells} is wrong"
                    assert answer in (question, "timeout"), f"{name} answered {answer}, enumeration says {question}"
                    row.append(f"{elapsed:.2f} s" if answer != "timeout" else f"> {args.timeout} s")
                name = "-".join(map(str, sizes))
                print(f"| {name}, {2 * half_width + 1}^{sizes[0]} cells | {seed} | {question} | {row[0]} | {row[1]} |", flush=True)


if __name__ == "__main__":
    main()
