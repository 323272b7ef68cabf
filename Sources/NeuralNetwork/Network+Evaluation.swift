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

extension DenseLayer {
    /// `activation(W·x + b)` on a common-denominator vector, exactly.
    ///
    /// Every finite binary64 number is an odd integer m times 2^e. With e₀ the
    /// least e among the layer's weights and biases, each of them times 2^−e₀
    /// is the integer m·2^(e − e₀), so the outputs are integer sums over the
    /// denominator x.denominator·2^−e₀: no rational per weight, no division,
    /// no gcd. (ReLU or identity; other activations apply to the logits.)
    func applyExactly(_ x: CommonDenominatorVector) -> CommonDenominatorVector {
        let parts = weights.map { $0.map(Self.oddTimesPowerOfTwo) }, biasParts = biases.map(Self.oddTimesPowerOfTwo)
        var least = Int.max
        for part in parts.joined().chainedWith(biasParts) where part.odd != 0 { least = Swift.min(least, part.exponent) }
        if least == Int.max { least = 0 }
        func integer(_ part: (odd: Int64, exponent: Int)) -> BigInt { BigInt(part.odd) << (part.exponent - least) }
        let numerators = parts.indices.map { k -> BigInt in
            var sum = biasParts[k].odd == 0 ? BigInt(0) : integer(biasParts[k]) * x.denominator
            for (w, v) in zip(parts[k], x.numerators) where w.odd != 0 && !v.isZero {
                sum += integer(w) * v
            }
            if activation == .relu && sum.sign == .minus { return 0 }
            return sum
        }
        let denominator = least < 0 ? x.denominator << -least : x.denominator
        let scale = least > 0 ? BigInt(1) << least : BigInt(1)
        return CommonDenominatorVector(numerators: least > 0 ? numerators.map { $0 * scale } : numerators, denominator: denominator)
    }

    /// A finite binary64 number as odd·2^exponent (0 as 0·2^0).
    static func oddTimesPowerOfTwo(_ value: Double) -> (odd: Int64, exponent: Int) {
        guard value != 0 else { return (0, 0) }
        // The significand as an integer: the hidden bit for normal numbers, none for subnormal ones.
        var magnitude = Int64(value.significandBitPattern), exponent = -1074
        if value.isNormal {
            magnitude |= Int64(1) << 52
            exponent = Int(value.exponent) - 52
        }
        let zeros = magnitude.trailingZeroBitCount
        magnitude >>= zeros
        return (value.sign == .minus ? -magnitude : magnitude, exponent + zeros)
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
        exactLogits(normalizedInput: normalizedInput(raw))
    }

    /// The logits at an already normalised input, in exact rational arithmetic,
    /// straight from the binary64 weights (``DenseLayer/applyExactly(_:)``):
    /// the same values as through ``exactLayers``, without making a rational of every weight.
    public func exactLogits(normalizedInput x: [Rational]) -> [Rational] {
        layers.reduce(CommonDenominatorVector(x)) { h, layer in layer.applyExactly(h) }.rationals
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
