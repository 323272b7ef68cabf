import NeuralNetwork

/// What the original network is compared against (docs/semantics.md §1.2).
public enum CompressionModel: Sendable, Equatable {
    /// One specific compressed network: rounded by a scheme, pruned, or any
    /// network of the same input and output sizes read from a file.
    case concrete(Network)
    /// Every parameter vector in `Θ_Δ` around the original's.
    case perturbation(PerturbationSet)
    /// One network that quantises its activations as it runs (a QDQ model),
    /// evaluated in its exact integer arithmetic.
    case quantized(QuantizedNetwork)

    /// Whether the comparison is with one network (evaluated exactly at a point), not a set.
    public var isOneNetwork: Bool {
        if case .perturbation = self { return false }
        return true
    }

    /// Checks that a network with quantised activations can be compared with `original`.
    public static func quantized(_ compressed: QuantizedNetwork, comparedWith original: Network) throws -> CompressionModel {
        try requireComparable(compressed.network, original)
        return .quantized(compressed)
    }

    /// Checks that a concrete network can be compared with `original`.
    public static func concrete(_ compressed: Network, comparedWith original: Network) throws -> CompressionModel {
        try requireComparable(compressed, original)
        return .concrete(compressed)
    }

    /// Same inputs (read the same way) and outputs.
    private static func requireComparable(_ compressed: Network, _ original: Network) throws {
        guard compressed.inputSize == original.inputSize else {
            throw CompressionError("the compressed network has \(compressed.inputSize) inputs, the original \(original.inputSize)")
        }
        guard compressed.outputSize == original.outputSize else {
            throw CompressionError("the compressed network has \(compressed.outputSize) outputs, the original \(original.outputSize)")
        }
        guard InputNormalization.sameInputMapping(compressed.normalization, original.normalization) else {
            throw CompressionError("the compressed network normalises its inputs differently from the original")
        }
    }
}
