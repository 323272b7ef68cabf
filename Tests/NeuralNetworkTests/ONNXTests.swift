import ExactArithmetic
import Foundation
import Testing
import TestSupport
@testable import NeuralNetwork

/// The fixtures folder (written by scripts/make-onnx-fixtures.py).
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/onnx").path
private let sharedNetworks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/networks").standardized.path

/// What onnxruntime computed for a fixture at generation time.
private struct Expected: Decodable {
    struct Sample: Decodable {
        var input: [Double]
        var output: [Double]
    }
    var model: String
    var samples: [Sample]

    static func load(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name).expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }
}

/// The network's outputs as a runtime reports them: logits, σ(z) (or [1 − σ, σ]
/// when the file gives both columns), or softmax(z).
private func runtimeOutputs(_ network: Network, at x: [Double], columns: Int) -> [Double] {
    let z = network.logits(at: x)
    switch network.output {
    case .logits: return z
    case .sigmoid:
        let p = 1 / (1 + exp(-z[0]))
        return columns == 2 ? [1 - p, p] : [p]
    case .softmax:
        let top = z.max()!, e = z.map { exp($0 - top) }, sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}

/// Agreement to float32 precision (onnxruntime computes in float32 for float32 models).
private func close(_ a: [Double], _ b: [Double], tolerance: Double = 2e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * (1 + abs($1)) }
}

private func bits(_ network: Network) -> [UInt64] {
    network.layers.flatMap { $0.weights.joined().map(\.bitPattern) + $0.biases.map(\.bitPattern) }
}

/// A model built in the test, for malformed-graph cases.
private func model(nodes: [Onnx_NodeProto], initializers: [(String, [Int], [Float])], inputs: [(String, [Int64])] = [("x", [1, 2])],
                   output: String = "y", opset: Int64 = 13) -> Data {
    var graph = Onnx_GraphProto()
    graph.node = nodes
    for (name, shape, values) in initializers {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = 1
        t.floatData = values
        graph.initializer.append(t)
    }
    func info(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = 1
        v.type.tensorType.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = d
            return dim
        }
        return v
    }
    graph.input = inputs.map { info($0.0, $0.1) }
    graph.output = [info(output, [1, 1])]
    var m = Onnx_ModelProto()
    m.irVersion = 8
    var id = Onnx_OperatorSetIdProto()
    id.version = opset
    m.opsetImport = [id]
    m.graph = graph
    return try! m.serializedBytes()
}

private func node(_ op: String, _ inputs: [String], _ output: String, ints: [String: Int64] = [:],
                  floats: [String: Float] = [:]) -> Onnx_NodeProto {
    var n = Onnx_NodeProto()
    n.opType = op
    n.input = inputs
    n.output = [output]
    n.attribute = ints.map { name, value in
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = value
        return a
    } + floats.map { name, value in
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }
    return n
}

/// A valid 2-3-1 ReLU model in the torch pattern; the error cases below change one thing.
private let w0: (String, [Int], [Float]) = ("W0", [3, 2], [1, -1, 0.5, 2, -0.25, 0.75])
private let b0: (String, [Int], [Float]) = ("B0", [3], [0, 0.5, -1])
private let w1: (String, [Int], [Float]) = ("W1", [1, 3], [1, -2, 0.5])
private let validNodes = [node("Gemm", ["x", "W0", "B0"], "h", ints: ["transB": 1]), node("Relu", ["h"], "a"),
                          node("Gemm", ["a", "W1"], "y", ints: ["transB": 1])]

private func parseError(_ data: Data) -> String {
    do {
        _ = try ONNXFormat.parse(data, file: "m.onnx")
        return "no error"
    } catch let error as ModelError {
        return error.description
    } catch {
        return "not a ModelError: \(error)"
    }
}

@Suite("ONNX import and export")
struct ONNXTests {
    static let patterns = ["torch_gemm_sigmoid", "keras_matmul_add_softmax", "normalized_flatten_double",
                           "clamp_scale_linear_softmax", "sklearn_binary_relu", "sklearn_multiclass_identity",
                           "qrobust_moons_relu_q4", "qrobust_moons_linear_fp16", "qrobust_normalized_q40"]

    @Test("each export pattern evaluates as onnxruntime computed at generation time", arguments: patterns)
    func fixtureMatchesRuntime(name: String) throws {
        let loaded = try NetworkFile.open("\(fixtures)/\(name).onnx")
        let expected = try Expected.load(name)
        #expect(expected.samples.count >= 4)
        for sample in expected.samples {
            let ours = runtimeOutputs(loaded.network, at: sample.input, columns: sample.output.count)
            #expect(close(ours, sample.output), "\(name) at \(sample.input): ours \(ours), onnxruntime \(sample.output)")
        }
        #expect(loaded.provenance.format.hasPrefix("ONNX, opset"))
    }

    @Test("patterns read into the layers, activations and normalisation they describe")
    func fixtureStructure() throws {
        let torch = try NetworkFile.load("\(fixtures)/torch_gemm_sigmoid.onnx")
        #expect(torch.hiddenSizes == [5, 4] && torch.output == .sigmoid && torch.layers.map(\.activation) == [.relu, .relu, .identity])
        let linear = try NetworkFile.load("\(fixtures)/clamp_scale_linear_softmax.onnx")
        #expect(linear.layers.map(\.activation) == [.identity, .identity, .identity] && linear.output == .softmax)
        // Max/Min become the clamp; (x + shift)·scale becomes mean = −shift with the scale in layer 0.
        let n = try #require(linear.normalization)
        #expect(n.minimums == [-1, -1.5] && n.maximums == [1, 0.5] && n.means == [-0.25, 0.5] && n.ranges == [1, 1])
        let double = try NetworkFile.load("\(fixtures)/normalized_flatten_double.onnx")
        #expect(double.normalization?.ranges == [0.5, 2, 4, 0.25] && double.inputSize == 4)
        let skl = try NetworkFile.open("\(fixtures)/sklearn_binary_relu.onnx")
        #expect(skl.network.output == .sigmoid && skl.provenance.ignored.contains { $0.contains("ArgMax") })
    }

    @Test("JSON → ONNX → IR keeps every weight bit for bit, in float32 and float64 files")
    func roundTrip() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Examples").standardized.path
        var networks = [try NetworkFile.load("\(examples)/moons-relu.json"), try NetworkFile.load("\(examples)/moons-linear.json")]
        for seed: UInt64 in 1...4 {
            var random = TestNetworks.random(sizes: [3, 6, 5, 2], hidden: seed % 2 == 0 ? .relu : .identity,
                                             output: seed < 3 ? .softmax : .logits, seed: seed)
            if seed == 3 {
                random = try Network(inputSize: 3, layers: random.layers, output: .logits,
                                     normalization: InputNormalization(minimums: [-1, -.infinity, 0], maximums: [1, 2, .infinity],
                                                                       means: [0.1, -0.3, 2], ranges: [0.7, 3, 1]))
            }
            networks.append(random)
            // A float32-exact copy exercises the float32 writer.
            let single = random.layers.map { layer in
                DenseLayer(weights: layer.weights.map { $0.map { Double(Float($0)) } }, biases: layer.biases.map { Double(Float($0)) },
                           activation: layer.activation)
            }
            networks.append(try random.withLayers(single))
        }
        var generator = SeededGenerator(seed: 9)
        for network in networks {
            let back = try ONNXFormat.parse(try ONNXFormat.render(network)).network
            #expect(bits(back) == bits(network))
            #expect(back.layers.map(\.activation) == network.layers.map(\.activation) && back.output == network.output)
            #expect(back.normalization == network.normalization || (network.normalization?.isIdentity ?? true) && back.normalization == nil)
            for _ in 0..<5 {
                let x = (0..<network.inputSize).map { _ in Rational(Int.random(in: -400...400, using: &generator), 100) }
                #expect(back.exactLogits(at: x) == network.exactLogits(at: x))
            }
        }
    }

    @Test("writing a qrobust export again gives the committed file's network")
    func exportIsStable() throws {
        let committed = try NetworkFile.load("\(fixtures)/qrobust_moons_relu_q4.onnx")
        let again = try ONNXFormat.parse(try ONNXFormat.render(committed)).network
        #expect(again == committed)
        #expect(try ONNXFormat.render(committed) == (try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/qrobust_moons_relu_q4.onnx"))))
    }

    @Test("the real exports in ../shared/networks load and agree with onnxruntime and the .nnet",
          .enabled(if: FileManager.default.fileExists(atPath: sharedNetworks), "needs ../shared/networks"))
    func sharedExports() throws {
        let acas = try NetworkFile.open("\(sharedNetworks)/acasxu/ACASXU_run2a_1_1_batch_2000.onnx")
        #expect(acas.network.inputSize == 5 && acas.network.hiddenSizes == Array(repeating: 50, count: 6) && acas.network.outputSize == 5)
        #expect(acas.network.parameterCount == 13305 && acas.network.normalization == nil)
        #expect(acas.provenance.format.contains("opset 8") && acas.provenance.folded.contains { $0.contains("Flatten") })
        // The ONNX file takes normalised inputs: compare with the .nnet's layers after its normalisation.
        let nnet = try NetworkFile.load("\(sharedNetworks)/acasxu/ACASXU_run2a_1_1_batch_2000.nnet")
        for sample in try Expected.load("shared_ACASXU_run2a_1_1_batch_2000").samples {
            let viaONNX = acas.network.logits(at: sample.input)
            #expect(close(viaONNX, sample.output))
            #expect(close(viaONNX, nnet.logits(normalizedInput: sample.input), tolerance: 1e-6))
        }
        let mnist = try NetworkFile.open("\(sharedNetworks)/mnist/mnist-net_256x2.onnx")
        #expect(mnist.network.inputSize == 784 && mnist.network.hiddenSizes == [256, 256] && mnist.network.outputSize == 10)
        #expect(mnist.network.parameterCount == 269_322 && mnist.network.layers.map(\.activation) == [.relu, .relu, .identity])
        for sample in try Expected.load("shared_mnist-net_256x2").samples {
            #expect(close(mnist.network.logits(at: sample.input), sample.output, tolerance: 1e-4))
        }
    }

    @Test("every truncation of a valid file, and garbage bytes, give one error and no crash")
    func truncatedAndMalformed() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/torch_gemm_sigmoid.onnx"))
        for length in 0..<data.count {
            let message = parseError(data.prefix(length))
            #expect(message.hasPrefix("m.onnx: "), "prefix of \(length) bytes: \(message)")
        }
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<50 {
            let garbage = Data((0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            #expect(parseError(garbage).hasPrefix("m.onnx: "))
        }
        #expect(parseError(Data("not a model".utf8)).contains("m.onnx"))
    }

    @Test("bad graphs: one error naming the node or tensor and the problem")
    func graphErrors() throws {
        #expect(parseError(model(nodes: validNodes, initializers: [w0, b0, w1])) == "no error")
        func check(_ data: Data, _ fragments: String...) {
            let message = parseError(data)
            for fragment in fragments {
                #expect(message.contains(fragment), "expected '\(fragment)' in: \(message)")
            }
        }
        // Wrong tensor size, NaN weight.
        check(model(nodes: validNodes, initializers: [("W0", [3, 2], [1, 2, 3, 4, 5]), b0, w1]), "initializer 'W0'", "hold 6 values", "holds 5")
        check(model(nodes: validNodes, initializers: [("W0", [3, 2], [1, .nan, 3, 4, 5, 6]), b0, w1]), "initializer 'W0'", "element 1 is NaN")
        check(model(nodes: validNodes, initializers: [w0, ("B0", [3], [0, .infinity, 1]), w1]), "node 0 (Gemm)", "inf")
        // Weight shapes that do not chain.
        check(model(nodes: validNodes, initializers: [w0, b0, ("W1", [1, 2], [1, 2])]), "node 2 (Gemm)", "shape [1, 3]")
        // Unsupported op, unsupported activation, op from another domain.
        var conv = validNodes
        conv[1] = node("Conv", ["h", "W1"], "a")
        check(model(nodes: conv, initializers: [w0, b0, w1]), "node 1 (Conv)", "not supported")
        var tanh = validNodes
        tanh[1] = node("Tanh", ["h"], "a")
        check(model(nodes: tanh, initializers: [w0, b0, w1]), "node 1 (Tanh)", "ReLU and identity")
        var ml = validNodes
        ml[1].domain = "ai.onnx.ml"
        check(model(nodes: ml, initializers: [w0, b0, w1]), "node 1 (Relu)", "domain 'ai.onnx.ml'")
        // A branch: the ReLU output is used twice.
        let branch = validNodes + [node("Add", ["a", "h"], "z"), node("Gemm", ["z", "W1"], "y", ints: ["transB": 1])]
        check(model(nodes: [branch[0], branch[1], branch[3], branch[4]], initializers: [w0, b0, w1]), "node 2 (Add)", "branch")
        // A second input; a weight that is a graph input; a weight computed from other constants.
        check(model(nodes: validNodes, initializers: [w0, b0, w1], inputs: [("x", [1, 2]), ("mask", [1, 2])]), "2 inputs", "'mask'")
        check(model(nodes: validNodes, initializers: [b0, w1], inputs: [("x", [1, 2]), ("W0", [3, 2])]), "2 inputs")
        let transposed = [node("Transpose", ["W0"], "W0t"), node("MatMul", ["x", "W0t"], "h")] + Array(validNodes[1...])
        check(model(nodes: transposed, initializers: [w0, b0, w1]), "node 0 (Transpose)", "constants only")
        // Opsets, batch, shapes.
        check(model(nodes: validNodes, initializers: [w0, b0, w1], opset: 22), "opset 22", "7 through 21")
        check(model(nodes: validNodes, initializers: [w0, b0, w1], inputs: [("x", [2000, 2])]), "batch dimension 2000")
        check(model(nodes: validNodes, initializers: [w0, b0, w1], inputs: [("x", [1, 1 << 40, 1 << 40])]), "at most 2^24 inputs")
        var infinite = validNodes
        infinite[0] = node("Gemm", ["x", "W0", "B0"], "h", ints: ["transB": 1], floats: ["alpha": .infinity])
        check(model(nodes: infinite, initializers: [w0, b0, w1]), "node 0 (Gemm)", "must be finite")
        infinite[0] = node("Gemm", ["x", "W0", "B0"], "h", ints: ["transB": 1], floats: ["alpha": 0.5])
        check(model(nodes: infinite, initializers: [("W0", [3, 2], [1, -.infinity, 0, 0, 0, 0]), b0, w1]), "node 0 (Gemm)", "-inf")
        check(model(nodes: [node("Reshape", ["x", "s"], "r")] + validNodes.map { n in
            var n = n
            n.input = n.input.map { $0 == "x" ? "r" : $0 }
            return n
        }, initializers: [w0, b0, w1, ("s", [2], [Float(1 << 40), -1])]), "node 0 (Reshape)", "constant int64")
        check(model(nodes: validNodes + [node("Relu", ["y"], "r")], initializers: [w0, b0, w1], output: "q"), "graph output 'q'", "no node computes it")
        check(model(nodes: [node("Relu", ["x"], "y")], initializers: []), "node 0 (Relu)", "must follow a linear node")
        check(model(nodes: validNodes + [node("Sigmoid", ["y"], "s"), node("Relu", ["s"], "t")], initializers: [w0, b0, w1], output: "t"),
              "node 4 (Relu)", "after the output activation")
        check(model(nodes: [validNodes[0], validNodes[1], node("Gemm", ["a", "W0"], "y", ints: ["transB": 1]), node("Softmax", ["y"], "s")],
                    initializers: [w0, b0], output: "s"), "node 2 (Gemm)", "shape [1, 3]")
    }

    @Test("input arithmetic that binary64 cannot hold exactly is refused, not rounded")
    func inexactNormalisation() throws {
        // Mul by 3 then Add [0.1, 1e20]: mean = −0.1/3 and range = 1/3 are not binary64 numbers,
        // and folding into layer 0 needs b + W·c = 0.1 − 1e20, which binary64 rounds.
        let nodes = [node("Mul", ["x", "three"], "m"), node("Add", ["m", "far"], "s")] + validNodes.map { n in
            var n = n
            n.input = n.input.map { $0 == "x" ? "s" : $0 }
            return n
        }
        let message = parseError(model(nodes: nodes, initializers: [("three", [1], [3]), ("far", [2], [0.1, 1e20]), w0, b0, w1]))
        #expect(message.contains("cannot be written exactly"), "\(message)")
        // Sub then Div by 3: x ↦ (x − m) / 3 is a normalisation with range 3 exactly.
        let exact = [node("Sub", ["x", "tenth"], "m"), node("Div", ["m", "three"], "s")] + Array(nodes[2...])
        let network = try ONNXFormat.parse(model(nodes: exact, initializers: [("three", [1], [3]), ("tenth", [2], [0.1, 0.3]), w0, b0, w1])).network
        #expect(network.normalization?.ranges == [3, 3] && network.normalization?.means == [Double(Float(0.1)), Double(Float(0.3))])
    }

    @Test("float16 and bfloat16 tensors decode exactly")
    func halfPrecision() throws {
        #expect(ONNXTensor.half(0x3c00) == 1 && ONNXTensor.half(0xc000) == -2 && ONNXTensor.half(0x0001) == 0x1p-24)
        #expect(ONNXTensor.half(0x7bff) == 65504 && ONNXTensor.half(0x7c00) == .infinity && ONNXTensor.half(0x7e00).isNaN)
        var t = Onnx_TensorProto()
        t.name = "h"
        t.dims = [3]
        t.dataType = 10
        t.rawData = Data([0x00, 0x3c, 0x00, 0xb8, 0x55, 0x35])  // 1, −0.5, 0x3555
        #expect(try ONNXTensor(t, role: "test").values == [1, -0.5, 0.333251953125])
        t.dataType = 16
        t.rawData = Data([0x80, 0x3f, 0x40, 0xc0, 0x00, 0x00])  // 1, −3, 0
        #expect(try ONNXTensor(t, role: "test").values == [1, -3, 0])
    }
}
