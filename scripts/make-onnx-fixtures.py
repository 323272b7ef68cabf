#!/usr/bin/env python3
"""Writes the ONNX test fixtures in Tests/NeuralNetworkTests/Fixtures/onnx.

Optional: the fixtures are committed, and neither qrobust nor its tests need
Python. Run it only to add or change a fixture:

    python3 -m pip install onnx==1.23.2 onnxruntime==1.31.1 scikit-learn==1.9.1 skl2onnx==1.20.0
    python3 scripts/make-onnx-fixtures.py

Each NAME.onnx is one export pattern (what torch.onnx.export, tf2onnx and
skl2onnx write for MLPs), built with the onnx package's helper API or exported
by skl2onnx itself. Beside it, NAME.expected.json holds inputs and the outputs
onnxruntime computed for them at generation time: the tests compare qrobust's
evaluation of the file with those outputs.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NeuralNetworkTests", "Fixtures", "onnx")
rng = np.random.default_rng(20261121)


def weights(*shape, dtype=np.float32):
    return rng.normal(0, 0.8, size=shape).astype(dtype)


def initializer(name, array, raw=True):
    """A tensor stored as raw_data (raw=True) or as typed float_data/double_data."""
    if raw:
        return numpy_helper.from_array(array, name)
    kind = TensorProto.DOUBLE if array.dtype == np.float64 else TensorProto.FLOAT
    return helper.make_tensor(name, kind, array.shape, array.flatten().tolist())


def save(name, graph, opset, inputs, doc):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="qrobust fixtures", doc_string=doc)
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    write(name, model, inputs)


def write(name, model, inputs):
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(model, path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in feed.shape]
    dtype = np.float64 if feed.type == "tensor(double)" else np.float32
    rows = []
    for x in inputs:
        outputs = session.run(None, {feed.name: np.asarray(x, dtype=dtype).reshape(shape)})
        real = [o for o in outputs if np.asarray(o).dtype.kind == "f"]
        rows.append({"input": [float(v) for v in np.asarray(x, dtype=dtype).flatten()],
                     "output": [float(v) for v in np.asarray(real[0]).flatten()]})
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump({"model": name + ".onnx", "computedBy": "onnxruntime " + onnxruntime.__version__,
                   "samples": rows}, f, indent=1)
        f.write("\n")
    print("wrote", path)


def samples(width, count=6, scale=2.0):
    return [rng.uniform(-scale, scale, size=width) for _ in range(count)]


def torch_gemm():
    """torch.onnx.export of nn.Sequential(Linear, ReLU, Linear, ReLU, Linear, Sigmoid), opset 9."""
    w0, b0, w1, b1, w2, b2 = weights(5, 3), weights(5), weights(4, 5), weights(4), weights(1, 4), weights(1)
    inits = [initializer(n, a) for n, a in
             [("0.weight", w0), ("0.bias", b0), ("2.weight", w1), ("2.bias", b1), ("4.weight", w2), ("4.bias", b2)]]
    nodes = [
        helper.make_node("Gemm", ["input", "0.weight", "0.bias"], ["5"], name="Gemm_0", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["5"], ["6"], name="Relu_1"),
        helper.make_node("Gemm", ["6", "2.weight", "2.bias"], ["7"], name="Gemm_2", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["7"], ["8"], name="Relu_3"),
        helper.make_node("Gemm", ["8", "4.weight", "4.bias"], ["9"], name="Gemm_4", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Sigmoid", ["9"], ["output"], name="Sigmoid_5"),
    ]
    graph = helper.make_graph(nodes, "torch-jit-export",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch_size", 3])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch_size", 1])], inits)
    save("torch_gemm_sigmoid", graph, 9, samples(3), "Gemm(transB=1) + Relu + Sigmoid, symbolic batch, raw_data")


def keras_matmul_add():
    """tf2onnx of a Keras Sequential of Dense layers: MatMul + Add, Softmax, Identity, opset 13."""
    w0, b0, w1, b1, w2, b2 = weights(4, 6), weights(6), weights(6, 6), weights(6), weights(6, 3), weights(3)
    inits = [initializer(n, a, raw=False) for n, a in [
        ("sequential/dense/MatMul/ReadVariableOp:0", w0), ("sequential/dense/BiasAdd/ReadVariableOp:0", b0),
        ("sequential/dense_1/MatMul/ReadVariableOp:0", w1), ("sequential/dense_1/BiasAdd/ReadVariableOp:0", b1),
        ("sequential/dense_2/MatMul/ReadVariableOp:0", w2), ("sequential/dense_2/BiasAdd/ReadVariableOp:0", b2)]]
    nodes = []
    current = "dense_input"
    for i, name in enumerate(["dense", "dense_1", "dense_2"]):
        nodes.append(helper.make_node("MatMul", [current, f"sequential/{name}/MatMul/ReadVariableOp:0"],
                                      [f"sequential/{name}/MatMul:0"], name=f"sequential/{name}/MatMul"))
        nodes.append(helper.make_node("Add", [f"sequential/{name}/MatMul:0", f"sequential/{name}/BiasAdd/ReadVariableOp:0"],
                                      [f"sequential/{name}/BiasAdd:0"], name=f"sequential/{name}/BiasAdd"))
        current = f"sequential/{name}/BiasAdd:0"
        if i < 2:
            nodes.append(helper.make_node("Relu", [current], [f"sequential/{name}/Relu:0"], name=f"sequential/{name}/Relu"))
            current = f"sequential/{name}/Relu:0"
    nodes.append(helper.make_node("Softmax", [current], ["sequential/dense_2/Softmax:0"], name="sequential/dense_2/Softmax", axis=-1))
    nodes.append(helper.make_node("Identity", ["sequential/dense_2/Softmax:0"], ["dense_2"], name="Identity"))
    graph = helper.make_graph(nodes, "tf2onnx",
                              [helper.make_tensor_value_info("dense_input", TensorProto.FLOAT, ["unk__6", 4])],
                              [helper.make_tensor_value_info("dense_2", TensorProto.FLOAT, ["unk__7", 3])], inits)
    save("keras_matmul_add_softmax", graph, 13, samples(4), "MatMul + Add + Relu + Softmax(axis=-1) + Identity, float_data")


def normalized_double():
    """Sub/Div input normalisation, Flatten of a [1,1,2,2] input, Gemm with alpha/beta and transB=0, float64, opset 21."""
    mean = rng.uniform(-1, 1, size=(1, 1, 2, 2))
    std = np.array([0.5, 2.0, 4.0, 0.25])
    w0, b0, w1, b1 = weights(4, 5, dtype=np.float64), weights(5, dtype=np.float64), weights(5, 2, dtype=np.float64), weights(2, dtype=np.float64)
    inits = [initializer("mean", mean, raw=False), initializer("std", std),
             initializer("W0", w0), initializer("B0", b0, raw=False), initializer("W1", w1), initializer("B1", b1)]
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "std_4d"], ["scaled"]),
        helper.make_node("Flatten", ["scaled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W0", "B0"], ["h0"], alpha=0.5, beta=2.0),
        helper.make_node("Relu", ["h0"], ["a0"]),
        helper.make_node("Gemm", ["a0", "W1", "B1"], ["logits"]),
    ]
    # The divisor reaches Div through a Constant node of shape [1, 1, 2, 2].
    nodes.insert(0, helper.make_node("Constant", [], ["std_4d"], value=numpy_helper.from_array(std.reshape(1, 1, 2, 2))))
    inits = [t for t in inits if t.name != "std"]
    graph = helper.make_graph(nodes, "normalised",
                              [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1, 2, 2])],
                              [helper.make_tensor_value_info("logits", TensorProto.DOUBLE, [1, 2])], inits)
    save("normalized_flatten_double", graph, 21, samples(4), "Sub/Div normalisation, Constant, Flatten, Gemm alpha/beta, float64")


def clamp_scale_linear():
    """Max/Min clamp, Add then Mul scaling, Reshape, Gemm without C, linear hidden layers, Softmax (opset 11)."""
    lo, hi = np.array([-1.0, -1.5], np.float32), np.array([1.0, 0.5], np.float32)
    shift, scale = np.array([0.25, -0.5], np.float32), np.array([1 / 255, 3.0], np.float32)
    w0, w1, b1, w2, b2 = weights(3, 2), weights(3, 3), weights(3), weights(3, 3), weights(3)
    inits = [initializer(n, a) for n, a in [("lo", lo), ("hi", hi), ("shift", shift), ("scale", scale), ("W0", w0),
                                            ("W1", w1), ("B1", b1), ("W2", w2), ("B2", b2)]]
    nodes = [
        helper.make_node("Max", ["x", "lo"], ["c0"]),
        helper.make_node("Min", ["c0", "hi"], ["c1"]),
        helper.make_node("Add", ["c1", "shift"], ["s0"]),
        helper.make_node("Mul", ["scale", "s0"], ["s1"]),
        helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([-1, 2], np.int64))),
        helper.make_node("Reshape", ["s1", "shape"], ["r"]),
        helper.make_node("Gemm", ["r", "W0"], ["h0"], transB=1),
        helper.make_node("Gemm", ["h0", "W1", "B1"], ["h1"], transB=1),
        helper.make_node("Gemm", ["h1", "W2", "B2"], ["h2"], transB=1),
        helper.make_node("Softmax", ["h2"], ["probabilities"]),
    ]
    graph = helper.make_graph(nodes, "clamped",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])], inits)
    save("clamp_scale_linear_softmax", graph, 11, samples(2, scale=3.0), "Max/Min, Add + Mul, Reshape, linear layers")


def sklearn_classifiers():
    """Real skl2onnx exports of MLPClassifier: binary (ReLU) and three classes (identity hidden layers)."""
    from sklearn.datasets import make_blobs, make_moons
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import to_onnx
    X, y = make_moons(200, noise=0.1, random_state=0)
    X = X.astype(np.float32)
    binary = MLPClassifier((6, 6), activation="relu", max_iter=400, random_state=0).fit(X, y)
    write("sklearn_binary_relu", to_onnx(binary, X[:1], options={"zipmap": False}, target_opset=13), samples(2))
    X3, y3 = make_blobs(300, centers=3, random_state=0)
    X3 = X3.astype(np.float32)
    multi = MLPClassifier((5,), activation="identity", max_iter=400, random_state=0).fit(X3, y3)
    write("sklearn_multiclass_identity", to_onnx(multi, X3[:1], options={"zipmap": False}, target_opset=15), samples(2, scale=5.0))


def shared_exports():
    """onnxruntime's outputs for the real exports in ../shared/networks (the files stay there)."""
    shared = os.path.join(os.path.dirname(ROOT), "shared", "networks")
    for rel, width in [("acasxu/ACASXU_run2a_1_1_batch_2000.onnx", 5), ("mnist/mnist-net_256x2.onnx", 784)]:
        path = os.path.join(shared, rel)
        if not os.path.exists(path):
            print("skipped", rel, "(../shared/networks is missing)")
            continue
        name = "shared_" + os.path.splitext(os.path.basename(rel))[0]
        inputs = [rng.uniform(-0.5, 0.5, size=width) if width < 100 else rng.uniform(0, 1, size=width) for _ in range(4)]
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in feed.shape]
        rows = [{"input": [float(v) for v in np.asarray(x, np.float32)],
                 "output": [float(v) for v in session.run(None, {feed.name: np.asarray(x, np.float32).reshape(shape)})[0].flatten()]}
                for x in inputs]
        with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
            json.dump({"model": "../shared/networks/" + rel, "computedBy": "onnxruntime " + onnxruntime.__version__,
                       "samples": rows}, f)
            f.write("\n")
        print("wrote", name + ".expected.json")


def qrobust_export():
    """A model qrobust itself wrote (`qrobust quantize ... -o F.onnx`), run by onnxruntime."""
    import subprocess
    binary = os.path.join(ROOT, ".build", "debug", "qrobust")
    if not os.path.exists(binary):
        print("skipped the qrobust export (build qrobust first: swift build)")
        return
    # 4 bits and float16 give float32 values (a float32 file); the float64 fixture at 40 bits
    # keeps numbers that are not (a float64 file, with its normalisation as Sub and Div).
    for source, scheme, name in [("Examples/moons-relu.json", ["--bits", "4"], "qrobust_moons_relu_q4"),
                                 ("Examples/moons-linear.json", ["--precision", "float16"], "qrobust_moons_linear_fp16"),
                                 (os.path.join(OUT, "normalized_flatten_double.onnx"), ["--bits", "40"], "qrobust_normalized_q40")]:
        path = os.path.join(OUT, name + ".onnx")
        subprocess.run([binary, "quantize", os.path.join(ROOT, source)] + scheme + ["-o", path], check=True)
        model = onnx.load(path)
        onnx.checker.check_model(model)
        width = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
        write(name, model, samples(width))


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    os.makedirs(OUT, exist_ok=True)
    torch_gemm()
    keras_matmul_add()
    normalized_double()
    clamp_scale_linear()
    sklearn_classifiers()
    shared_exports()
    qrobust_export()
