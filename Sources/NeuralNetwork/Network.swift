/// A multi-layer perceptron: dense layers with per-layer activations, an
/// output kind and an optional input normalisation. Always valid: the
/// initialiser rejects wrong shapes and non-finite numbers.
public struct Network: Sendable, Equatable {
    public let inputSize: Int
    public let layers: [DenseLayer]
    public let output: OutputKind
    /// Pre-processing of raw inputs (from `.nnet` headers), applied before the first layer.
    public let normalization: InputNormalization?

    /// Validates and creates a network.
    /// - Throws: ``ModelError`` naming the layer and entry that is wrong.
    public init(inputSize: Int, layers: [DenseLayer], output: OutputKind = .logits,
                normalization: InputNormalization? = nil) throws {
        guard inputSize >= 1 else { throw ModelError(place: "input size", problem: "must be at least 1, found \(inputSize)") }
        guard !layers.isEmpty else { throw ModelError(place: "layers", problem: "the network has no layers") }
        var width = inputSize
        for (l, layer) in layers.enumerated() {
            guard layer.outputSize >= 1 else {
                throw ModelError(place: "layers[\(l)]", problem: "has no neurons")
            }
            guard layer.weights.count == layer.biases.count else {
                throw ModelError(place: "layers[\(l)]", problem: "\(layer.weights.count) weight rows but \(layer.biases.count) biases")
            }
            for (k, row) in layer.weights.enumerated() {
                guard row.count == width else {
                    throw ModelError(place: "layers[\(l)].weights[\(k)]", problem: "expected \(width) weights (the previous layer's size), found \(row.count)")
                }
                if let j = row.firstIndex(where: { !$0.isFinite }) {
                    throw ModelError(place: "layers[\(l)].weights[\(k)][\(j)]", problem: "\(row[j]) is not a finite number")
                }
            }
            if let k = layer.biases.firstIndex(where: { !$0.isFinite }) {
                throw ModelError(place: "layers[\(l)].biases[\(k)]", problem: "\(layer.biases[k]) is not a finite number")
            }
            width = layer.outputSize
        }
        switch output {
        case .sigmoid where width != 1:
            throw ModelError(place: "output", problem: "a sigmoid output needs exactly 1 output, the network has \(width)")
        case .softmax where width < 2:
            throw ModelError(place: "output", problem: "a softmax output needs at least 2 outputs, the network has \(width)")
        default: break
        }
        try normalization?.validate(inputSize: inputSize)
        self.inputSize = inputSize
        self.layers = layers
        self.output = output
        self.normalization = normalization
    }

    public var outputSize: Int { layers.last!.outputSize }
    /// Sizes of the hidden layers (all layers but the last).
    public var hiddenSizes: [Int] { layers.dropLast().map(\.outputSize) }

    /// Whether `other` has this network's inputs and, layer by layer, its sizes and
    /// activations: the pairs whose neurons the differential bounds relate one to one.
    public func hasSameLayers(as other: Network) -> Bool {
        inputSize == other.inputSize && layers.map(\.outputSize) == other.layers.map(\.outputSize)
            && layers.map(\.activation) == other.layers.map(\.activation)
    }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// The same network with other layers (same input size, output kind and normalisation).
    public func withLayers(_ layers: [DenseLayer]) throws -> Network {
        try Network(inputSize: inputSize, layers: layers, output: output, normalization: normalization)
    }

    /// The same network with another output kind.
    public func withOutput(_ output: OutputKind) throws -> Network {
        try Network(inputSize: inputSize, layers: layers, output: output, normalization: normalization)
    }
}

extension Network {
    /// The numbers besides the weights: the biases and the input normalisation's constants.
    public var constantsBesideWeights: [Double] {
        layers.flatMap(\.biases) + (normalization.map { $0.means + $0.ranges + $0.minimums + $0.maximums } ?? [])
    }
}
