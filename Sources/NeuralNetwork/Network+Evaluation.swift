import BigInt
import ExactArithmetic

/// The parameters of one layer as exact rationals, for replaying witnesses.
public struct ExactLayer: Sendable, Equatable {
    public var weights: [[Rational]]
    public var biases: [Rational]
    public var activation: Activation

    public init(weights: [[Rational]], biases: [Rational], activation: Activation) {
        self.weights = weights
        self.biases = biases
        self.activation = activation
    }

    /// The exact values a binary64 layer stores.
    public init(_ layer: DenseLayer) {
        self.weights = layer.weights.map { $0.map { Rational(exactly: $0)! } }
        self.biases = layer.biases.map { Rational(exactly: $0)! }
        self.activation = layer.activation
    }

    /// Pre-activations `W·x + b`, exactly.
    public func preActivations(_ x: [Rational]) -> [Rational] {
        weights.indices.map { k in
            var sum = biases[k]
            for (w, v) in zip(weights[k], x) where !w.isZero && !v.isZero { sum += w * v }
            return sum
        }
    }

    /// `activation(W·x + b)`, exactly.
    public func apply(_ x: [Rational]) -> [Rational] {
        let u = preActivations(x)
        switch activation {
        case .identity: return u
        case .relu: return u.map { $0.isNegative ? .zero : $0 }
        }
    }
}

/// A vector of rationals `numerators[i] / denominator` with one shared
/// denominator: layer evaluation then needs integer products and sums only,
/// and no gcd until the end.
struct CommonDenominatorVector {
    var numerators: [BigInt]
    var denominator: BigInt

    init(_ values: [Rational]) {
        let common = leastCommonDenominator(values)
        denominator = common
        numerators = values.map { $0.numerator * (common / $0.denominator) }
    }

    init(numerators: [BigInt], denominator: BigInt) {
        self.numerators = numerators
        self.denominator = denominator
    }

    var rationals: [Rational] { numerators.map { Rational($0, denominator) } }
}

/// The least common multiple of the values' denominators (cheap when they
/// are powers of two, as binary64 weights are).
func leastCommonDenominator<S: Sequence>(_ values: S) -> BigInt where S.Element == Rational {
    var lcm = BigInt(1)
    for v in values where v.denominator != 1 && !(lcm % v.denominator).isZero {
        lcm = lcm / lcm.greatestCommonDivisor(with: v.denominator) * v.denominator
    }
    return lcm
}

extension ExactLayer {
    /// `activation(W·x + b)` on a common-denominator vector.
    func apply(_ x: CommonDenominatorVector) -> CommonDenominatorVector {
        let scale = leastCommonDenominator(weights.joined().chainedWith(biases))
        let outputDenominator = scale * x.denominator
        let numerators = weights.indices.map { k -> BigInt in
            var sum = biases[k].numerator * (scale / biases[k].denominator) * x.denominator
            for (w, v) in zip(weights[k], x.numerators) where !w.isZero && !v.isZero {
                sum += w.numerator * (scale / w.denominator) * v
            }
            if activation == .relu && sum.sign == .minus { return 0 }
            return sum
        }
        return CommonDenominatorVector(numerators: numerators, denominator: outputDenominator)
    }
}

extension Sequence {
    /// This sequence followed by another.
    fileprivate func chainedWith<T: Sequence>(_ other: T) -> [Element] where T.Element == Element {
        Array(self) + Array(other)
    }
}

extension Network {
    /// The layers with their exact parameter values.
    public var exactLayers: [ExactLayer] { layers.map(ExactLayer.init) }

    /// Applies the input normalisation (if any) to a raw input, exactly.
    public func normalizedInput(_ raw: [Rational]) -> [Rational] {
        normalization?.normalize(raw) ?? raw
    }

    /// The logits at a raw input, in exact rational arithmetic.
    public func exactLogits(at raw: [Rational]) -> [Rational] {
        Network.exactLogits(layers: exactLayers, normalizedInput: normalizedInput(raw))
    }

    /// The logits of arbitrary exact parameters at an already normalised input.
    public static func exactLogits(layers: [ExactLayer], normalizedInput x: [Rational]) -> [Rational] {
        layers.reduce(CommonDenominatorVector(x)) { h, layer in layer.apply(h) }.rationals
    }

    /// The class binary64 logits predict, as a deployed classifier reads them: one output,
    /// class 1 iff z > 0 (σ is monotone); several, the first largest (numpy's and PyTorch's
    /// argmax). For ranking and counting; exact questions compare rational logits.
    public static func predictedClass(logits z: [Double]) -> Int {
        if z.count == 1 { return z[0] > 0 ? 1 : 0 }
        return z.indices.max { z[$0] < z[$1] || (z[$0] == z[$1] && $0 > $1) } ?? 0
    }

    /// The logits at a raw input, in floating point (fast; not for proofs).
    public func logits(at raw: [Double]) -> [Double] {
        logits(normalizedInput: normalization?.normalize(raw) ?? raw)
    }

    /// The logits at an already normalised input, in floating point (fast; not for proofs).
    public func logits(normalizedInput x: [Double]) -> [Double] {
        layers.reduce(x) { h, layer in layer.apply(h) }
    }
}

extension DenseLayer {
    /// `W·h + b` in floating point (fast; not for proofs). The one binary64
    /// forward pass of the package: ranking candidates and choosing directions use it.
    public func preActivations(_ h: [Double]) -> [Double] {
        weights.indices.map { k in
            var sum = biases[k]
            for j in h.indices { sum += weights[k][j] * h[j] }
            return sum
        }
    }

    /// The layer's outputs in floating point.
    public func apply(_ h: [Double]) -> [Double] {
        preActivations(h).map(activation.apply)
    }
}
