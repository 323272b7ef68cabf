import NeuralNetwork

/// A binary floating-point storage format for parameters (IEEE float16 or
/// bfloat16), with round-to-nearest-even.
public enum FloatFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case float16
    case bfloat16

    /// Significand bits including the implicit one.
    public var precision: Int { self == .float16 ? 11 : 8 }
    /// The exponent of the smallest normal number.
    public var minimumExponent: Int { self == .float16 ? -14 : -126 }
    /// The largest finite value.
    public var greatestFiniteMagnitude: Double { self == .float16 ? 65504 : 0x1.FEp127 }

    /// The unit roundoff `u = 2^-p`: for normal results `|fl(x) − x| ≤ u·|x|`.
    public var unitRoundoff: Double { Double(sign: .plus, exponent: -precision, significand: 1) }

    /// Half the subnormal spacing, `2^(emin − p)`: the absolute error bound below the normal range.
    public var subnormalError: Double { Double(sign: .plus, exponent: minimumExponent - precision, significand: 1) }

    /// Rounds a value to the nearest representable one (ties to even).
    /// - Throws: ``CompressionError`` when the value overflows the format.
    public func round(_ value: Double) throws -> Double {
        if value == 0 { return 0 }
        let exponent = max(Int(value.exponent), minimumExponent)
        let quantum = Double(sign: .plus, exponent: exponent - precision + 1, significand: 1)
        let rounded = (value / quantum).rounded(.toNearestOrEven) * quantum + 0
        guard abs(rounded) <= greatestFiniteMagnitude else {
            throw CompressionError("\(value) overflows \(rawValue) (largest finite value \(greatestFiniteMagnitude))")
        }
        return rounded
    }

    /// The network with every weight and bias rounded to this format.
    public func apply(to network: Network) throws -> Network {
        try network.withLayers(network.layers.map { layer in
            DenseLayer(weights: try layer.weights.map { try $0.map(round) },
                       biases: try layer.biases.map(round), activation: layer.activation)
        })
    }

    /// The relative perturbation set covering this rounding:
    /// `Δ_i = max(u·|θ_i|, 2^(emin−p))` (the floor covers subnormal results).
    public var perturbationSet: PerturbationSet {
        .relative(unitRoundoff: unitRoundoff, floor: subnormalError)
    }

    public var description: String { rawValue }
}
