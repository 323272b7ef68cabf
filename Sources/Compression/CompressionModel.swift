import NeuralNetwork

/// What the original network is compared against (docs/semantics.md §1.2).
public enum CompressionModel: Sendable, Equatable {
    /// One specific compressed network: rounded by a scheme, pruned, or any
    /// network of the same input and output sizes read from a file.
    case concrete(Network)
    /// Every parameter vector in `Θ_Δ` around the original's.
    case perturbation(PerturbationSet)

    /// Checks that a concrete network can be compared with `original`.
    public static func concrete(_ compressed: Network, comparedWith original: Network) throws -> CompressionModel {
        guard compressed.inputSize == original.inputSize else {
            throw CompressionError("the compressed network has \(compressed.inputSize) inputs, the original \(original.inputSize)")
        }
        guard compressed.outputSize == original.outputSize else {
            throw CompressionError("the compressed network has \(compressed.outputSize) outputs, the original \(original.outputSize)")
        }
        guard InputNormalization.sameInputMapping(compressed.normalization, original.normalization) else {
            throw CompressionError("the compressed network normalises its inputs differently from the original")
        }
        return .concrete(compressed)
    }
}
