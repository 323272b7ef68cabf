import ExactArithmetic
import Foundation
import SwiftProtobuf

/// Reads the MLP an ONNX model computes into the IR.
///
/// The graph must be a single chain from one input to one float output: the
/// nodes the output depends on are read in order along the data path, every
/// other operand must be a constant, and nodes the output does not depend on
/// (a classifier's label branch) are listed as ignored. See ``ONNXChain`` for
/// how nodes fold into layers.
struct ONNXImporter {
    /// The opsets whose semantics for the ops read here are the same (Gemm's
    /// `C` became optional in 11, Softmax's axis changed in 13; both are handled).
    static let supportedOpsets = 7...21

    private let graph: Onnx_GraphProto
    private let opset: Int
    /// Initializers by name, decoded on first use (an unused one may hold any type).
    private let initializers: [String: Onnx_TensorProto]
    /// Decoded initializers and `Constant` node values.
    private var constants: [String: ONNXTensor] = [:]
    /// How each node was read, and the nodes the output does not depend on (for `info`).
    private var folded: [String] = []
    private var ignoredNodes: [String] = []

    /// Decodes and reads a serialized `ModelProto`.
    static func read(_ data: Data) throws -> (Network, ModelProvenance, [QuantizedNetwork.Position: Quantizer]) {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ModelError(place: "", problem: "not a readable ONNX file: the protobuf data is malformed or truncated (\(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ModelError(place: "", problem: "not an ONNX model: it holds no graph nodes")
        }
        let opsets = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = opsets.first.map({ Int($0.version) }) else {
            throw ModelError(place: "opset_import", problem: "the model names no version of the standard ONNX opset")
        }
        guard supportedOpsets.contains(opset) else {
            throw ModelError(place: "opset_import", problem: "opset \(opset) is not supported (qrobust reads opsets \(supportedOpsets.lowerBound) through \(supportedOpsets.upperBound))")
        }
        var importer = ONNXImporter(graph: model.graph, opset: opset)
        let (network, quantizers) = try importer.readGraph()
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let provenance = ModelProvenance(
            format: "ONNX, opset \(opset)" + (producer.isEmpty ? "" : ", from \(producer)"),
            folded: importer.folded, ignored: importer.ignoredNodes)
        return (network, provenance, quantizers)
    }

    private init(graph: Onnx_GraphProto, opset: Int) {
        self.graph = graph
        self.opset = opset
        initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether a tensor is a constant (an initializer or a `Constant` node's output).
    private func isConstant(_ name: String) -> Bool {
        constants[name] != nil || initializers[name] != nil
    }

    /// A constant's value, decoding an initializer on first use.
    private mutating func constant(_ name: String) throws -> ONNXTensor? {
        if let known = constants[name] { return known }
        guard let proto = initializers[name] else { return nil }
        do {
            let tensor = try ONNXTensor(proto, role: "initializer")
            constants[name] = tensor
            return tensor
        } catch let error as ModelError {
            throw ONNXChainError("\(error.place): \(error.problem)")
        }
    }

    // MARK: The graph

    private mutating func readGraph() throws -> (Network, [QuantizedNetwork.Position: Quantizer]) {
        let inputs = graph.input.filter { initializers[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            let names = inputs.map { "'\($0.name)'" }.joined(separator: ", ")
            throw ModelError(place: "graph inputs", problem: inputs.isEmpty
                ? "the graph has no input that is not an initializer"
                : "the graph has \(inputs.count) inputs (\(names)); qrobust reads networks with a single input")
        }
        var shape = try Self.inputShape(input)
        let inputSize = shape.reduce(1, *)
        let output = try chooseOutput()
        let needed = try neededNodes(for: output.name)
        for (index, node) in graph.node.enumerated() where !needed.contains(index) {
            ignoredNodes.append(Self.describe(node, index))
        }

        var chain = ONNXChain(inputWidth: inputSize)
        var current = input.name
        var consumed: Set<String> = []
        var complement: (name: String, of: String)?
        /// Each `QuantizeLinear` waiting for its `DequantizeLinear`, by its output.
        var quantizing: [String: (input: String, quantizer: Quantizer)] = [:]
        /// The output of each quantizer's `DequantizeLinear` → the value it quantises:
        /// the chain reads the pair as a quantizer at that place and goes on from the value.
        var aliases: [String: String] = [:]
        for (index, node) in graph.node.enumerated() where needed.contains(index) {
            let place = Self.describe(node, index)
            do {
                guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                    throw ONNXChainError("op \(node.opType) of domain '\(node.domain)' is not supported")
                }
                if node.opType == "Constant" {
                    constants[node.output.first ?? ""] = try constantValue(of: node)
                    continue
                }
                let operands = node.input.filter { !$0.isEmpty }.map { aliases[$0] ?? $0 }
                if node.opType == "DequantizeLinear", operands.allSatisfy(isConstant) {
                    let output = node.output.first ?? ""
                    constants[output] = try dequantized(node, operands, name: output)
                    folded.append("\(place) → '\(output)' dequantised exactly")
                    continue
                }
                // On the data path, or (after the output activation) on the probabilities.
                if node.opType == "QuantizeLinear", let value = operands.first, value == current || chain.isFinished {
                    quantizing[node.output.first ?? ""] = (value, try quantizer(node, operands))
                    continue
                }
                if node.opType == "DequantizeLinear", let pair = operands.first.flatMap({ quantizing[$0] }) {
                    guard try quantizer(node, operands) == pair.quantizer else {
                        throw ONNXChainError("dequantises with another scale or zero point than its QuantizeLinear; qrobust reads QuantizeLinear–DequantizeLinear pairs")
                    }
                    if pair.input == current, let position = try chain.quantize(pair.quantizer) {
                        folded.append("\(place) → quantizer of \(position) (\(pair.quantizer))")
                    } else {
                        folded.append("\(place) → quantised probabilities (\(pair.quantizer)), not modelled: qrobust compares logits and their σ or softmax")
                    }
                    aliases[node.output.first ?? ""] = pair.input
                    continue
                }
                if ["QuantizeLinear", "DequantizeLinear"].contains(node.opType) {
                    throw ONNXChainError("is not part of a QuantizeLinear–DequantizeLinear pair on the data path or a dequantised constant; qrobust reads QDQ models (the QOperator format, QLinearMatMul and kin, is not supported)")
                }
                let dataOperands = operands.filter { !isConstant($0) }
                // scikit-learn's binary classifier: [1 − σ(z), σ(z)] after the sigmoid.
                if chain.isFinished, chain.output == .sigmoid {
                    switch try sklearnComplement(node, operands, current, &complement) {
                    case .other: break
                    case .absorbed:
                        folded.append("\(place) → 1 − p, the other column of a sigmoid output")
                        continue
                    case .replaced(let name):
                        current = name
                        folded.append("\(place) → [1 − p, p], a sigmoid output's two columns (qrobust reads p)")
                        continue
                    }
                }
                guard !dataOperands.isEmpty else {
                    throw ONNXChainError("computes a value from constants only; qrobust needs weights as initializers or Constant nodes")
                }
                for name in dataOperands where name != current {
                    throw ONNXChainError(consumed.contains(name)
                        ? "uses '\(name)' again after another node consumed it: a branch; qrobust reads a single chain of layers"
                        : "uses '\(name)', which is neither a constant nor computed from the input by an earlier node")
                }
                guard dataOperands.count == 1 else {
                    throw ONNXChainError("uses the value '\(current)' twice: a branch; qrobust reads a single chain of layers")
                }
                guard !chain.isFinished || ["Identity", "Cast"].contains(node.opType) else {
                    throw ONNXChainError("comes after the output activation (\(chain.output.rawValue)); the output activation must be the last node")
                }
                try apply(node, operands: operands, data: current, shape: &shape, chain: &chain, place: place)
                consumed.insert(current)
                guard let next = node.output.first, !next.isEmpty else { throw ONNXChainError("has no output") }
                current = next
            } catch let error as ONNXChainError {
                throw ModelError(place: place, problem: error.problem)
            }
        }
        guard current == aliases[output.name] ?? output.name else {
            throw ModelError(place: "graph output '\(output.name)'", problem: "is not computed from the input along a single chain")
        }
        do {
            let (network, note) = try chain.network(inputSize: inputSize)
            if let note { folded.append(note) }
            return (network, chain.quantizers)
        } catch let error as ONNXChainError {
            throw ModelError(place: "graph", problem: error.problem)
        }
    }

    /// The input's shape with the batch dimension (the first of two or more) read as 1.
    private static func inputShape(_ input: Onnx_ValueInfoProto) throws -> [Int] {
        let place = "graph input '\(input.name)'"
        guard case .tensorType(let tensor)? = input.type.value else {
            throw ModelError(place: place, problem: "is not a tensor")
        }
        let realTypes: [Onnx_TensorProto.DataType] = [.float, .double, .float16, .bfloat16]
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(tensor.elemType)), realTypes.contains(type) else {
            throw ModelError(place: place, problem: "has element type code \(tensor.elemType); qrobust reads float, double, float16 or bfloat16 inputs")
        }
        guard tensor.hasShape, !tensor.shape.dim.isEmpty else {
            throw ModelError(place: place, problem: "has no shape; export the model with the input's shape (e.g. [batch, features])")
        }
        let shape = try tensor.shape.dim.enumerated().map { i, dim in
            let isBatch = i == 0 && tensor.shape.dim.count >= 2
            switch dim.value {
            case .dimValue(let v) where v >= 1 && (!isBatch || v == 1): return Int(v)
            case .dimValue(let v) where isBatch:
                throw ModelError(place: place, problem: "has batch dimension \(v); qrobust reads one sample at a time (export with batch 1 or a symbolic batch)")
            case .dimValue(let v):
                throw ModelError(place: place, problem: "dimension \(i) is \(v)")
            case .dimParam, nil:
                guard isBatch else {
                    throw ModelError(place: place, problem: "dimension \(i) is symbolic; only the batch dimension may be")
                }
                return 1
            }
        }
        guard let count = checkedProduct(shape), count <= 1 << 24 else {
            throw ModelError(place: place, problem: "has shape \(shape); qrobust reads networks with at most 2^24 inputs")
        }
        return shape
    }

    /// The one graph output that is a real-valued tensor.
    private func chooseOutput() throws -> Onnx_ValueInfoProto {
        let real: Set<Int32> = [1, 10, 11, 16]
        let candidates = graph.output.filter { output in
            guard let value = output.type.value else { return true }
            if case .tensorType(let t) = value { return !t.hasElemType || real.contains(t.elemType) }
            return false
        }
        guard candidates.count == 1 else {
            let all = graph.output.map { "'\($0.name)'" }.joined(separator: ", ")
            throw ModelError(place: "graph outputs", problem: candidates.isEmpty
                ? "none of the outputs (\(all)) is a float tensor (for scikit-learn classifiers, convert with options={'zipmap': False})"
                : "\(candidates.count) outputs are float tensors (\(all)); qrobust reads networks with a single output")
        }
        return candidates[0]
    }

    /// The indices of the nodes the output depends on.
    private func neededNodes(for output: String) throws -> Set<Int> {
        var producer: [String: Int] = [:]
        for (i, node) in graph.node.enumerated() {
            for name in node.output where !name.isEmpty { producer[name] = i }
        }
        guard producer[output] != nil else {
            throw ModelError(place: "graph output '\(output)'", problem: "no node computes it")
        }
        var needed: Set<Int> = [], stack = [output]
        while let name = stack.popLast() {
            guard let i = producer[name], needed.insert(i).inserted else { continue }
            stack.append(contentsOf: graph.node[i].input.filter { !$0.isEmpty })
        }
        return needed
    }

    static func describe(_ node: Onnx_NodeProto, _ index: Int) -> String {
        node.name.isEmpty ? "node \(index) (\(node.opType))" : "node \(index) '\(node.name)' (\(node.opType))"
    }

    // MARK: Nodes

    private mutating func apply(_ node: Onnx_NodeProto, operands: [String], data: String, shape: inout [Int],
                                chain: inout ONNXChain, place: String) throws {
        let constantOperands = try operands.filter { $0 != data }.compactMap { try constant($0) }
        switch node.opType {
        case "Identity", "Dropout":
            if node.opType == "Dropout", operands.count >= 3, constantOperands.last?.values.first != 0 {
                throw ONNXChainError("runs in training mode; export the model in evaluation mode")
            }
            folded.append("\(place) → nothing (inference)")
        case "Cast":
            let to = attribute(node, "to")?.i ?? 0
            guard [1, 10, 11, 16].contains(to) else {
                throw ONNXChainError("casts to element type code \(to); only casts to float types are supported")
            }
            folded.append("\(place) → nothing (the real-valued network is read)")
        case "Flatten":
            var axis = Int(attribute(node, "axis")?.i ?? 1)
            if axis < 0 { axis += shape.count }
            guard (0...shape.count).contains(axis) else { throw ONNXChainError("axis \(axis) is out of range for shape \(shape)") }
            shape = [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
            folded.append("\(place) → shape only")
        case "Reshape":
            guard constantOperands.count == 1, let target = constantOperands.first, target.isInteger else {
                throw ONNXChainError("its shape must be a constant int64 tensor")
            }
            shape = try reshaped(shape, to: target.integers, allowZero: attribute(node, "allowzero")?.i == 1)
            folded.append("\(place) → shape only")
        case "MatMul":
            guard operands.first == data, let w = constantOperands.first, w.shape.count == 2 else {
                throw ONNXChainError("must multiply the data (on the left) by a constant 2-D weight matrix; its weight '\(operands.last ?? "")' is not one")
            }
            try requireRow(shape, width: w.shape[0])
            let (n, m) = (w.shape[0], w.shape[1])
            let weights = (0..<m).map { k in (0..<n).map { j in w.values[j * m + k] } }
            try chain.linear(weights: weights, biases: Array(repeating: 0, count: m), hasBias: false)
            shape[shape.count - 1] = m
            folded.append("\(place) → layer \(chain.layers.count), weights")
        case "Gemm":
            try gemm(node, operands: operands, data: data, shape: &shape, chain: &chain, place: place)
        case "Add", "Sub", "Mul", "Div":
            guard let c = constantOperands.first else { throw ONNXChainError("needs a constant operand") }
            let values = try broadcast(c, to: shape)
            let dataFirst = operands.first == data
            let scale: [Rational], offset: [Rational]
            switch (node.opType, dataFirst) {
            case ("Add", _):
                (scale, offset) = (values.map { _ in .one }, values.map { Rational(exactly: $0)! })
            case ("Sub", true):
                (scale, offset) = (values.map { _ in .one }, values.map { -Rational(exactly: $0)! })
            case ("Sub", false):
                (scale, offset) = (values.map { _ in -.one }, values.map { Rational(exactly: $0)! })
            case ("Mul", _):
                (scale, offset) = (values.map { Rational(exactly: $0)! }, values.map { _ in .zero })
            case ("Div", true):
                guard !values.contains(0) else { throw ONNXChainError("divides by zero") }
                (scale, offset) = (values.map { Rational(exactly: $0)!.reciprocal }, values.map { _ in .zero })
            default:
                throw ONNXChainError("divides a constant by the data, which is not affine")
            }
            let isShift = node.opType == "Add" || node.opType == "Sub"
            let where_ = chain.hasLinearLayer
                ? "layer \(chain.layers.count), \(isShift ? "biases" : "scaled exactly")" : "input normalisation"
            try chain.affine(scale: scale, offset: offset)
            folded.append("\(place) → \(where_)")
        case "Max", "Min":
            guard operands.count == 2, let c = constantOperands.first else {
                throw ONNXChainError("needs exactly the data and one constant")
            }
            try chain.clamp(lower: node.opType == "Max", to: try broadcast(c, to: shape, allowInfinite: true))
            folded.append("\(place) → input normalisation clamp")
        case "Relu":
            try chain.activate(.relu)
            folded.append("\(place) → layer \(chain.layers.count - 1), ReLU")
        case "Sigmoid":
            try chain.finish(with: .sigmoid)
            folded.append("\(place) → sigmoid output")
        case "Softmax":
            try requireRow(shape, width: nil)
            let defaultAxis = opset >= 13 ? -1 : 1
            var axis = Int(attribute(node, "axis")?.i ?? Int64(defaultAxis))
            if axis < 0 { axis += shape.count }
            guard opset < 13 ? axis <= shape.count - 1 : axis == shape.count - 1 else {
                throw ONNXChainError("axis \(axis) is not the feature axis of shape \(shape)")
            }
            try chain.finish(with: .softmax)
            folded.append("\(place) → softmax output")
        case "Tanh", "LeakyRelu", "Elu", "Selu", "Softplus", "HardSigmoid", "PRelu", "Gelu":
            throw ONNXChainError("the activation \(node.opType) is not supported (qrobust reads ReLU and identity hidden layers)")
        default:
            throw ONNXChainError("op \(node.opType) is not supported in an MLP")
        }
    }

    /// `Y = alpha·A·B' + beta·C` with the data as `A` (a row) and constant `B`, `C`.
    private mutating func gemm(_ node: Onnx_NodeProto, operands: [String], data: String, shape: inout [Int],
                               chain: inout ONNXChain, place: String) throws {
        guard operands.first == data, node.input.count >= 2, let b = try constant(node.input[1]), b.shape.count == 2 else {
            throw ONNXChainError("its A must be the data and its B a constant 2-D weight matrix; B '\(node.input.count > 1 ? node.input[1] : "")' is not one")
        }
        guard (attribute(node, "transA")?.i ?? 0) == 0 else {
            throw ONNXChainError("transA = 1 is not supported (the data must be a row)")
        }
        let transB = (attribute(node, "transB")?.i ?? 0) != 0
        let alpha = Double(attribute(node, "alpha")?.f ?? 1), beta = Double(attribute(node, "beta")?.f ?? 1)
        guard alpha.isFinite, beta.isFinite else { throw ONNXChainError("alpha \(alpha) and beta \(beta) must be finite") }
        let (n, m) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        try requireRow(shape, width: n)
        let exactAlpha = Rational(exactly: alpha)!, exactBeta = Rational(exactly: beta)!
        func scaled(_ value: Double, by factor: Rational, _ what: String) throws -> Double {
            guard factor != .one, let exactValue = Rational(exactly: value) else { return value }  // non-finite: refused by linear()
            guard let d = (factor * exactValue).exactDouble else {
                throw ONNXChainError("\(what) × \(factor.approximateDouble) is not a binary64 number; qrobust does not round weights")
            }
            return d
        }
        let weights = try (0..<m).map { k in
            try (0..<n).map { j in try scaled(transB ? b.values[k * n + j] : b.values[j * m + k], by: exactAlpha, "alpha × weight") }
        }
        var biases = Array(repeating: 0.0, count: m)
        if node.input.count >= 3, !node.input[2].isEmpty {
            guard let c = try constant(node.input[2]) else { throw ONNXChainError("its C '\(node.input[2])' is not a constant") }
            biases = try broadcast(c, to: [1, m]).map { try scaled($0, by: exactBeta, "beta × bias") }
        } else if opset < 11 {
            throw ONNXChainError("has no C, which opsets below 11 require")
        }
        try chain.linear(weights: weights, biases: biases, hasBias: node.input.count >= 3 && !node.input[2].isEmpty)
        shape = [1, m]
        let factors = (alpha != 1 ? ", alpha \(alpha)" : "") + (beta != 1 ? ", beta \(beta)" : "")
        folded.append("\(place) → layer \(chain.layers.count)\(factors.isEmpty ? "" : factors + " folded exactly")")
    }

    /// What ``sklearnComplement(_:_:_:_:)`` made of a node after a sigmoid.
    private enum SigmoidTail {
        /// Not part of the pattern.
        case other
        /// `Sub(1, p)`: remembered until the `Concat`.
        case absorbed
        /// `Concat([1 − p, p])`: the data value is now this tensor.
        case replaced(String)
    }

    /// Recognises `Sub(1, p)` then `Concat([1 − p, p])` after a sigmoid: the
    /// two-column output skl2onnx writes for a binary classifier.
    private mutating func sklearnComplement(_ node: Onnx_NodeProto, _ operands: [String], _ current: String,
                                            _ complement: inout (name: String, of: String)?) throws -> SigmoidTail {
        if node.opType == "Sub", complement == nil, operands.count == 2, operands[1] == current,
           let one = try constant(operands[0]), one.values == [1] {
            complement = (node.output.first ?? "", current)
            return .absorbed
        }
        if node.opType == "Concat", let pair = complement, operands == [pair.name, pair.of],
           [1, -1].contains(attribute(node, "axis")?.i ?? 0) {
            complement = nil
            return .replaced(node.output.first ?? "")
        }
        return .other
    }

    // MARK: Quantisation

    /// The quantizer a `QuantizeLinear` or `DequantizeLinear` on the data path
    /// applies: one scale (per tensor) and a zero point whose element type gives
    /// the integer range (uint8 with zero point 0 when there is none).
    private mutating func quantizer(_ node: Onnx_NodeProto, _ operands: [String]) throws -> Quantizer {
        guard operands.count >= 2, let scale = try constant(operands[1]), scale.count == 1,
              let s = Rational(exactly: scale.values[0]), s.isPositive else {
            throw ONNXChainError("needs one constant positive scale (activations are quantised per tensor)")
        }
        if let blocks = attribute(node, "block_size")?.i, blocks != 0 {
            throw ONNXChainError("quantises in blocks of \(blocks), which is not supported")
        }
        var zero = 0, range = (lowest: 0, highest: 255)
        if operands.count >= 3 {
            guard let z = try constant(operands[2]), z.count == 1 else {
                throw ONNXChainError("needs one constant zero point")
            }
            guard let r = Self.integerRange(z.elementCode) else {
                throw ONNXChainError("quantises to \(z.elementType), which is not supported (int8, uint8, int16, uint16)")
            }
            (zero, range) = (Int(z.values[0]), r)
        }
        return Quantizer(scale: s, zeroPoint: zero, lowest: range.lowest, highest: range.highest)
    }

    /// The integer range of a quantised element type.
    private static func integerRange(_ type: Onnx_TensorProto.DataType) -> (lowest: Int, highest: Int)? {
        switch type {
        case .int8: (-128, 127)
        case .uint8: (0, 255)
        case .int16: (-32768, 32767)
        case .uint16: (0, 65535)
        case .int32: (Int(Int32.min), Int(Int32.max))
        default: nil
        }
    }

    /// `(x − z)·s` of a constant integer tensor, per tensor or per slice along
    /// `axis` (per channel), exactly; an error where a value is not a binary64 number.
    private mutating func dequantized(_ node: Onnx_NodeProto, _ operands: [String], name: String) throws -> ONNXTensor {
        guard operands.count >= 2, let x = try constant(operands[0]), x.isInteger, let scale = try constant(operands[1]) else {
            throw ONNXChainError("needs a constant integer tensor and a constant scale")
        }
        let zero = operands.count >= 3 ? try constant(operands[2]) : nil
        var axis = Int(attribute(node, "axis")?.i ?? 1)
        if axis < 0 { axis += x.shape.count }
        let perChannel = scale.count > 1
        if perChannel {
            guard x.shape.indices.contains(axis), scale.count == x.shape[axis] else {
                throw ONNXChainError("has \(scale.count) scales for axis \(axis) of shape \(x.shape)")
            }
        }
        guard zero.map({ $0.count == scale.count }) ?? true else {
            throw ONNXChainError("has \(zero?.count ?? 0) zero points for \(scale.count) scales")
        }
        let inner = perChannel ? x.shape[(axis + 1)...].reduce(1, *) : 1
        let values = try x.values.indices.map { i in
            let c = perChannel ? (i / inner) % scale.count : 0
            let value = (Rational(exactly: x.values[i])! - Rational(exactly: zero?.values[c] ?? 0)!) * Rational(exactly: scale.values[c])!
            guard let d = value.exactDouble else {
                throw ONNXChainError("dequantises element \(i) to \(value.approximateDouble)…, which is not a binary64 number")
            }
            return d
        }
        return ONNXTensor(name: name, shape: x.shape, values: values, elementType: scale.elementType, isInteger: false)
    }

    // MARK: Helpers

    private func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    /// A `Constant` node's value.
    private func constantValue(of node: Onnx_NodeProto) throws -> ONNXTensor {
        let name = node.output.first ?? ""
        guard let value = node.attribute.first else { throw ONNXChainError("has no value") }
        switch value.name {
        case "value": return try ONNXTensor(value.t, role: "Constant")
        case "value_float": return ONNXTensor(name: name, shape: [], values: [Double(value.f)], elementType: "float", isInteger: false)
        case "value_floats": return ONNXTensor(name: name, shape: [value.floats.count], values: value.floats.map(Double.init), elementType: "float", isInteger: false)
        case "value_int": return ONNXTensor(name: name, shape: [], values: [Double(value.i)], elementType: "int64", isInteger: true)
        case "value_ints": return ONNXTensor(name: name, shape: [value.ints.count], values: value.ints.map(Double.init), elementType: "int64", isInteger: true)
        default: throw ONNXChainError("its value kind '\(value.name)' is not supported")
        }
    }

    /// Checks that the data is a row `[1, …, 1, width]` (a flat feature vector).
    private func requireRow(_ shape: [Int], width: Int?) throws {
        guard shape.dropLast().allSatisfy({ $0 == 1 }), width == nil || shape.last == width else {
            let expected = width.map { "[1, \($0)]" } ?? "[1, N]"
            throw ONNXChainError("needs the data as a row \(expected), but it has shape \(shape); flatten or reshape it first")
        }
    }

    /// A constant's elements broadcast (NumPy rules) to the data's shape, which must not grow.
    private func broadcast(_ c: ONNXTensor, to shape: [Int], allowInfinite: Bool = false) throws -> [Double] {
        if !allowInfinite, let bad = c.values.first(where: { !$0.isFinite }) {
            throw ONNXChainError("its constant '\(c.name)' holds \(bad)")
        }
        guard c.shape.count <= shape.count,
              zip(c.shape.reversed(), shape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 }) else {
            throw ONNXChainError("its constant '\(c.name)' of shape \(c.shape) does not broadcast to the data's shape \(shape)")
        }
        let padded = Array(repeating: 1, count: shape.count - c.shape.count) + c.shape
        var strides = Array(repeating: 0, count: shape.count), step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : step
            step *= padded[axis]
        }
        let count = shape.reduce(1, *)
        return (0..<count).map { flat in
            var rest = flat, index = 0
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                index += (rest % shape[axis]) * strides[axis]
                rest /= shape[axis]
            }
            return c.values[index]
        }
    }

    /// The shape after `Reshape` (0 copies a dimension unless `allowzero`, −1 is inferred).
    private func reshaped(_ shape: [Int], to target: [Int], allowZero: Bool) throws -> [Int] {
        let total = shape.reduce(1, *)
        var result = try target.enumerated().map { i, d -> Int in
            if d == 0 && !allowZero {
                guard i < shape.count else { throw ONNXChainError("target \(target) copies dimension \(i), which the data lacks") }
                return shape[i]
            }
            return d
        }
        guard let known = checkedProduct(result.filter { $0 != -1 }) else {
            throw ONNXChainError("target shape \(target) is too large")
        }
        switch result.filter({ $0 == -1 }).count {
        case 0: break
        case 1 where known > 0 && total % known == 0: result = result.map { $0 == -1 ? total / known : $0 }
        default: throw ONNXChainError("target shape \(target) cannot be resolved for \(total) values")
        }
        guard result.allSatisfy({ $0 >= 0 }), result.reduce(1, *) == total else {
            throw ONNXChainError("target shape \(target) does not hold the data's \(total) values")
        }
        return result
    }
}

/// The product of sizes, or `nil` on overflow or a negative size.
private func checkedProduct(_ sizes: [Int]) -> Int? {
    var product = 1
    for size in sizes {
        guard size >= 0 else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: size)
        guard !overflow else { return nil }
        product = next
    }
    return product
}
