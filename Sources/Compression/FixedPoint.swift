import NeuralNetwork

/// How a value is rounded to a grid.
public enum Rounding: String, Sendable, CaseIterable {
    /// To the nearest grid point; ties away from zero. Error ≤ half a step.
    case nearest
    /// Toward zero. Error < one step.
    case truncate
}

/// Fixed-point representation with `fractionalBits` bits after the binary
/// point: every parameter becomes a multiple of `2^-fractionalBits`.
public struct FixedPoint: Sendable, Equatable, CustomStringConvertible {
    public let fractionalBits: Int
    public let rounding: Rounding

    /// The supported range of fractional bits: rounding is exact in binary64 there.
    public static let supportedBits = 0...52

    public init(fractionalBits: Int, rounding: Rounding = .nearest) throws {
        guard Self.supportedBits.contains(fractionalBits) else {
            throw CompressionError("fractional bits must be between \(Self.supportedBits.lowerBound) and \(Self.supportedBits.upperBound), found \(fractionalBits)")
        }
        self.fractionalBits = fractionalBits
        self.rounding = rounding
    }

    /// The grid step `2^-k`.
    public var step: Double { Double(sign: .plus, exponent: -fractionalBits, significand: 1) }

    /// The largest rounding error: `2^-(k+1)` (nearest) or `2^-k` (truncation).
    public var maximumError: Double { rounding == .nearest ? step / 2 : step }

    /// Rounds one value. Exact: scaling by a power of two and rounding to an
    /// integer introduce no binary64 error in the supported range.
    public func round(_ value: Double) -> Double {
        let scaled = value / step
        let rounded = scaled.rounded(rounding == .nearest ? .toNearestOrAwayFromZero : .towardZero)
        return rounded * step + 0  // + 0 turns -0.0 into 0.0
    }

    /// The network with every weight and bias rounded.
    public func apply(to network: Network) throws -> Network {
        try network.withLayers(network.layers.map { layer in
            DenseLayer(weights: layer.weights.map { $0.map(round) }, biases: layer.biases.map(round), activation: layer.activation)
        })
    }

    /// The perturbation set every rounding with this error bound stays in.
    public var perturbationSet: PerturbationSet { .absolute(radius: maximumError) }

    public var description: String { "fixed point, \(fractionalBits) fractional bits, \(rounding.rawValue)" }
}
