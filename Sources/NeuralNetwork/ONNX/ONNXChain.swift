import ExactArithmetic

/// The network an ONNX graph computes, built one node at a time along its
/// single data path.
///
/// Before the first linear node the data path may be clamped (`Max`/`Min`) and
/// mapped elementwise by `x ↦ scale·x + offset` (`Sub`, `Add`, `Mul`, `Div`),
/// kept exactly as rationals. A linear node (`Gemm`, `MatMul`) opens a
/// *pending* layer that later `Add`/`Sub`/`Mul`/`Div` nodes fold into exactly;
/// an activation closes it. Every fold is exact or an error: a weight that
/// would need rounding is never silently changed.
struct ONNXChain {
    /// The number of features on the data path.
    private(set) var width: Int
    private(set) var layers: [DenseLayer] = []
    private(set) var output: OutputKind = .logits
    /// Whether an output activation (`Sigmoid`, `Softmax`) has been read.
    private(set) var isFinished = false

    private var clampLow: [Double]?
    private var clampHigh: [Double]?
    /// `x ↦ scale·x + offset` before the first layer; `nil` while it is the identity.
    private var inputScale: [Rational]?
    private var inputOffset: [Rational]?
    private var pending: (weights: [[Double]], biases: [Double])?
    /// Whether the pending layer's biases have been added (by its own node or a later `Add`).
    private var pendingHasBias = false
    /// Quantizers on the data path (`QuantizeLinear` then `DequantizeLinear`), by position.
    private(set) var quantizers: [QuantizedNetwork.Position: Quantizer] = [:]

    init(inputWidth: Int) {
        width = inputWidth
    }

    /// Whether a linear layer has been read (the input stage is over).
    var hasLinearLayer: Bool { pending != nil || !layers.isEmpty }

    // MARK: Input stage

    /// `Max(x, c)` or `Min(x, c)` before any arithmetic on the input: the clamp of the IR's normalisation.
    mutating func clamp(lower: Bool, to bound: [Double]) throws {
        guard !hasLinearLayer, inputScale == nil else {
            throw ONNXChainError("a clamp is only supported on the raw input, before any other arithmetic")
        }
        if lower {
            clampLow = zip(clampLow ?? bound, bound).map { Swift.max($0, $1) }
        } else {
            clampHigh = zip(clampHigh ?? bound, bound).map { Swift.min($0, $1) }
        }
    }

    /// `x ↦ scale·x + offset`, elementwise, on the data path.
    mutating func affine(scale: [Rational], offset: [Rational]) throws {
        let scales = scale.contains { $0 != .one }, shifts = offset.contains { !$0.isZero }
        if pending != nil, quantizers[.preActivation(layers.count)] != nil || (scales && quantizers[.product(layers.count)] != nil) {
            throw ONNXChainError("arithmetic after a quantizer cannot be folded into the layer exactly")
        }
        if pending == nil, layers.isEmpty, quantizers[.input] != nil {
            throw ONNXChainError("arithmetic after the input's quantizer is not supported; normalise before quantising")
        }
        if pending != nil, shifts { pendingHasBias = true }
        if let pending {
            var weights = pending.weights, biases = pending.biases
            for k in 0..<width {
                biases[k] = try exact(scale[k] * Rational(exactly: biases[k])! + offset[k], what: "bias \(k)")
                for j in weights[k].indices {
                    weights[k][j] = try exact(scale[k] * Rational(exactly: weights[k][j])!, what: "weight [\(k)][\(j)]")
                }
            }
            self.pending = (weights, biases)
        } else if layers.isEmpty {
            let oldScale = inputScale ?? Array(repeating: .one, count: width)
            let oldOffset = inputOffset ?? Array(repeating: .zero, count: width)
            inputScale = (0..<width).map { scale[$0] * oldScale[$0] }
            inputOffset = (0..<width).map { scale[$0] * oldOffset[$0] + offset[$0] }
        } else {
            throw ONNXChainError("arithmetic after an activation cannot be folded into a layer exactly")
        }
    }

    // MARK: Layers

    /// Opens a linear layer `y = W·x + b` (`W` is outputs × inputs); `hasBias`
    /// says whether the node adds b itself (`Gemm` with `C`), which places a
    /// quantizer that follows after the biases.
    mutating func linear(weights: [[Double]], biases: [Double], hasBias: Bool) throws {
        if let bad = weights.joined().first(where: { !$0.isFinite }) ?? biases.first(where: { !$0.isFinite }) {
            throw ONNXChainError("a weight or bias is \(bad)")
        }
        if pending != nil { closeLayer(.identity) }
        pending = (weights, biases)
        pendingHasBias = hasBias
        width = biases.count
    }

    /// Records a quantizer on the data path where the chain is now; nil after
    /// the output activation (the quantised probabilities, which are not modelled).
    mutating func quantize(_ quantizer: Quantizer) throws -> QuantizedNetwork.Position? {
        guard !isFinished else { return nil }
        let position: QuantizedNetwork.Position =
            pending != nil ? (pendingHasBias ? .preActivation(layers.count) : .product(layers.count))
            : layers.isEmpty ? .input : .output(layers.count - 1)
        guard quantizers[position] == nil else {
            throw ONNXChainError("quantises \(position) a second time; qrobust reads one quantizer per place")
        }
        quantizers[position] = quantizer
        return position
    }

    /// Closes the pending layer with an activation.
    mutating func activate(_ activation: Activation) throws {
        guard pending != nil else {
            throw ONNXChainError("\(activation == .relu ? "Relu" : "the activation") must follow a linear node (Gemm or MatMul)")
        }
        closeLayer(activation)
    }

    /// Closes the pending layer and ends the chain with an output activation.
    /// It may also follow a closed layer (a ReLU on the logits).
    mutating func finish(with kind: OutputKind) throws {
        guard hasLinearLayer else {
            throw ONNXChainError("the output activation must follow a layer (Gemm or MatMul)")
        }
        switch kind {
        case .sigmoid where width != 1:
            throw ONNXChainError("a sigmoid output needs 1 output, the layer has \(width) (multi-label sigmoid outputs are not supported)")
        case .softmax where width < 2:
            throw ONNXChainError("a softmax output needs at least 2 outputs, the layer has \(width)")
        default: break
        }
        closeLayer(.identity)
        output = kind
        isFinished = true
    }

    private mutating func closeLayer(_ activation: Activation) {
        guard let pending else { return }
        layers.append(DenseLayer(weights: pending.weights, biases: pending.biases, activation: activation))
        self.pending = nil
        pendingHasBias = false
    }

    // MARK: Result

    /// The network, with the input stage written as the IR's normalisation or
    /// folded into the first layer, whichever is exact.
    /// - Returns: the network and a description of where the input stage went (if anywhere).
    mutating func network(inputSize: Int) throws -> (Network, String?) {
        closeLayer(.identity)
        guard !layers.isEmpty else { throw ONNXChainError("the graph has no linear node (Gemm or MatMul)") }
        let n = inputSize
        let low = clampLow ?? Array(repeating: -.infinity, count: n)
        let high = clampHigh ?? Array(repeating: .infinity, count: n)
        var note: String?
        var normalization: InputNormalization?
        if clampLow != nil || clampHigh != nil {
            normalization = InputNormalization(minimums: low, maximums: high, means: Array(repeating: 0, count: n), ranges: Array(repeating: 1, count: n))
            note = "clamp → input normalisation minimums/maximums"
        }
        if let scale = inputScale, let offset = inputOffset {
            let (placed, where_) = try placeInputAffine(scale: scale, offset: offset, low: low, high: high)
            normalization = placed ?? normalization
            note = [note, where_].compactMap { $0 }.joined(separator: "; ")
        }
        return (try Network(inputSize: inputSize, layers: layers, output: output, normalization: normalization), note)
    }

    /// Writes `x ↦ s·x + o` exactly: as `(x − mean) / range` when both are
    /// binary64 numbers; else `s` into the first layer's columns and `mean = −o/s`;
    /// else both into the first layer (`W·diag(s)`, `b + W·o`).
    private mutating func placeInputAffine(scale s: [Rational], offset o: [Rational], low: [Double], high: [Double])
        throws -> (InputNormalization?, String)
    {
        if s.allSatisfy({ $0 == .one }), o.allSatisfy(\.isZero) {
            return (nil, "the input arithmetic is the identity")
        }
        if let j = s.firstIndex(where: \.isZero) {
            throw ONNXChainError("the input normalisation multiplies input \(j) by 0")
        }
        let ranges = s.map(\.reciprocal.exactDouble), means = zip(o, s).map { (-$0 / $1).exactDouble }
        if ranges.allSatisfy({ $0 != nil }), means.allSatisfy({ $0 != nil }) {
            let normalization = InputNormalization(minimums: low, maximums: high, means: means.map { $0! }, ranges: ranges.map { $0! })
            return (normalization, "input arithmetic → input normalisation (x − mean) / range")
        }
        guard quantizers[.input] == nil else {
            throw ONNXChainError("the input arithmetic before the input's quantizer cannot be written exactly as (x − mean) / range in binary64")
        }
        var first = layers[0]
        let scaled = try? first.weights.map { row in
            try row.indices.map { j in try exact(s[j] * Rational(exactly: row[j])!, what: "") }
        }
        if let scaled, means.allSatisfy({ $0 != nil }) {
            first.weights = scaled
            layers[0] = first
            let normalization = InputNormalization(minimums: low, maximums: high, means: means.map { $0! }, ranges: Array(repeating: 1, count: s.count))
            return (normalization, "input scale folded into layer 0's weights; offset → input normalisation means")
        }
        let biases = first.biases.indices.map { k in
            (Rational(exactly: first.biases[k])! + zip(first.weights[k], o).map { Rational(exactly: $0)! * $1 }.sum()).exactDouble
        }
        guard let scaled, clampLow == nil, clampHigh == nil, biases.allSatisfy({ $0 != nil }) else {
            throw ONNXChainError("the input arithmetic x ↦ s·x + o cannot be written exactly in binary64, neither as (x − mean) / range nor folded into the first layer; qrobust does not round weights")
        }
        first.weights = scaled
        first.biases = biases.map { $0! }
        layers[0] = first
        return (nil, "input arithmetic folded into layer 0's weights and biases")
    }

    private func exact(_ value: Rational, what: String) throws -> Double {
        guard let d = value.exactDouble else {
            throw ONNXChainError("folding gives \(what) = \(value.approximateDouble)…, which is not a binary64 number; qrobust does not round weights")
        }
        return d
    }
}

/// Why a node cannot be added to an ``ONNXChain`` (the importer adds the node's name).
struct ONNXChainError: Error {
    var problem: String
    init(_ problem: String) { self.problem = problem }
}
