#!/usr/bin/env python3
"""Writes the quantised-model fixtures in Tests/NeuralNetworkTests/Fixtures/qdq.

Optional: the fixtures are committed, and neither qrobust nor its tests need
Python. Run it only to change a fixture:

    python3 -m pip install onnx==1.23.2 onnxruntime==1.32.0 scikit-learn==1.9.1 skl2onnx==1.20.0 \
        torch==2.15.0 mlxtend==0.25.0
    python3 scripts/make-quantized-fixtures.py

Two float models, each quantised by onnxruntime.quantization.quantize_static
in QDQ format (int8 activations and weights), per tensor and per channel:

- sklearn_moons: scikit-learn MLPClassifier (16, 16), ReLU, on two moons
  (2 inputs, sigmoid output), converted by skl2onnx (MatMul, then Add);
- torch_mnist: a PyTorch MLP 784-64-10, ReLU, on the 5000 MNIST images that
  mlxtend ships (pixels / 255), exported by torch.onnx.export (Gemm).

Beside each quantised model, NAME.ort.csv holds what ONNX Runtime computed on
10,000 inputs: one row per input, the integers q of the logits (the last
quantizer before the output activation, read back as round(v / s) + z from the
dequantised value v). The inputs are not stored: row i's inputs are drawn
from SplitMix64 (seed in the header), 20 bits per input, u -> low + width·u/2^20,
which is exact in float32; the Swift test draws the same ones.
"""
import os

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NeuralNetworkTests", "Fixtures", "qdq")
MASK = (1 << 64) - 1
ROWS = 10_000


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def drawn_inputs(seed, lows, widths, rows):
    """Row i, input j: lows[j] + widths[j]·u/2^20 with u the top 20 bits of the next draw."""
    draws = splitmix64(seed)
    out = np.empty((rows, len(lows)), dtype=np.float32)
    for i in range(rows):
        for j, (low, width) in enumerate(zip(lows, widths)):
            u = next(draws) >> 44
            out[i, j] = np.float32((low * (1 << 20) + width * u) / (1 << 20))
    return out


class Reader(CalibrationDataReader):
    def __init__(self, name, rows):
        self.rows = iter([{name: r.reshape(1, -1)} for r in rows])

    def get_next(self):
        return next(self.rows, None)


def quantize(float_path, name, calibration, per_channel):
    input_name = onnx.load(float_path).graph.input[0].name
    path = os.path.join(OUT, name + ".onnx")
    quantize_static(float_path, path, Reader(input_name, calibration), quant_format=QuantFormat.QDQ,
                    per_channel=per_channel, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return path


def logit_tensor(model):
    """The output of the DequantizeLinear just before the output activation."""
    producer = {o: n for n in model.graph.node for o in n.output}
    for node in model.graph.node:
        if node.op_type in ("Sigmoid", "Softmax"):
            dq = producer[node.input[0]]
            assert dq.op_type == "DequantizeLinear", dq.op_type
            return dq
    raise ValueError("no output activation")


def record(path, seed, lows, widths):
    model = onnx.load(path)
    dq = logit_tensor(model)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    scale, zero = float(inits[dq.input[1]]), int(inits[dq.input[2]])
    model.graph.output.append(onnx.helper.make_tensor_value_info(dq.output[0], onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    inputs = drawn_inputs(seed, lows, widths, ROWS)
    rows = []
    for x in inputs:
        v = session.run([dq.output[0]], {feed: x.reshape(1, -1)})[0].flatten()
        rows.append([int(np.rint(np.float64(t) / scale)) + zero for t in v])
    with open(path.replace(".onnx", ".ort.csv"), "w") as f:
        f.write(f"# onnxruntime {onnxruntime.__version__}, CPUExecutionProvider: the logits' integers q of {os.path.basename(path)}\n")
        f.write(f"# inputs: seed {seed}, lows {lows}, widths {widths}, {ROWS} rows (see scripts/make-quantized-fixtures.py)\n")
        for r in rows:
            f.write(",".join(map(str, r)) + "\n")


def sklearn_moons():
    from sklearn.datasets import make_moons
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import to_onnx
    x, y = make_moons(2000, noise=0.2, random_state=0)
    x = x.astype(np.float32)
    clf = MLPClassifier((16, 16), random_state=0, max_iter=2000).fit(x, y)
    model = to_onnx(clf, x[:1], options={id(clf): {"zipmap": False}}, target_opset=13)
    path = os.path.join(OUT, "sklearn_moons.onnx")
    onnx.save(model, path)
    return path, x[:200]


def torch_mnist():
    import gzip

    import mlxtend
    import torch
    rows = gzip.open(os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz"), "rt").read().split()
    data = np.array([[int(v) for v in r.split(",")] for r in rows])
    x, y = (data[:, :784] / 255.0).astype(np.float32), data[:, 784]
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(30):
        for i in range(0, len(x), 100):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[i:i + 100]), yt[i:i + 100]).backward()
            opt.step()
    print("torch_mnist training accuracy", (net(xt).argmax(1) == yt).float().mean().item())
    full = torch.nn.Sequential(net, torch.nn.Softmax(dim=-1)).eval()
    path = os.path.join(OUT, "torch_mnist.onnx")
    torch.onnx.export(full, xt[:1], path, input_names=["input"], output_names=["probabilities"], opset_version=13,
                      dynamo=False)
    return path, x[::25]


def main():
    os.makedirs(OUT, exist_ok=True)
    for (name, make, seed, lows, widths) in [
        ("sklearn_moons", sklearn_moons, 20261130, [-2, -2], [5, 4]),
        ("torch_mnist", torch_mnist, 20261131, [0] * 784, [1] * 784),
    ]:
        path, calibration = make()
        for per_channel in (False, True):
            qname = f"{name}_qdq_{'per_channel' if per_channel else 'per_tensor'}"
            record(quantize(path, qname, calibration, per_channel), seed, lows, widths)


if __name__ == "__main__":
    main()
