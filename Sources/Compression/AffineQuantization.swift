import ExactArithmetic
import NeuralNetwork

/// Affine integer quantisation of the weights, as PyTorch, ONNX Runtime and
/// TFLite store them: `q = clamp(round(w / s) + z, qmin, qmax)` and the
/// weight used is `(q − z)·s`, with one scale s (and zero point z) per
/// weight matrix or per output channel (row). Biases are not quantised.
///
/// The rules, written down exactly:
/// - **Range.** Symmetric: `[−2^(b−1), 2^(b−1) − 1]` (PyTorch's qint8), or with
///   ``restrictedRange`` `[−(2^(b−1) − 1), 2^(b−1) − 1]` (ONNX Runtime's and
///   TFLite's symmetric weights). Asymmetric: `[0, 2^b − 1]` (quint8).
/// - **Scale and zero point** (PyTorch's `MinMaxObserver` and
///   `PerChannelMinMaxObserver`, in float32): with `m⁻ = min(min w, 0)` and
///   `m⁺ = max(max w, 0)`, symmetric `s = max(−m⁻, m⁺) / ((qmax − qmin)/2)`, z = 0;
///   asymmetric `s = (m⁺ − m⁻) / (qmax − qmin)`, `z = clamp(qmin − round(m⁻/s), qmin, qmax)`;
///   in both `s = max(s, 2^-23)` (float32's epsilon, for an all-zero channel).
/// - **Rounding** as ONNX `QuantizeLinear`: w as float32, `w / s` in float32,
///   rounded half to even, then `+ z` and saturation to the range.
/// - **The dequantised weight** `(q − z)·s` is computed exactly (it has at most
///   41 significant bits, so binary64 holds it); a float32 runtime rounds that
///   product once more, which this scheme does not model.
///
/// The perturbation set gives every weight the radius `max(s_c/2, |w − (q − z)·s_c|)`
/// of its channel c: half a step, or more where saturation (or the float32
/// view of w) moved the weight further; biases have radius 0.
public struct AffineQuantization: Sendable, Equatable, CustomStringConvertible {
    /// Bits per weight, 2…16.
    public let bits: Int
    public let perChannel: Bool
    public let symmetric: Bool
    /// For symmetric schemes: leave out the most negative integer.
    public let restrictedRange: Bool

    public static let supportedBits = 2...16

    public init(bits: Int, perChannel: Bool = false, symmetric: Bool = true, restrictedRange: Bool = false) throws {
        guard Self.supportedBits.contains(bits) else {
            throw CompressionError("integer quantisation needs 2 to 16 bits, found \(bits)")
        }
        guard symmetric || !restrictedRange else {
            throw CompressionError("a restricted range goes with symmetric quantisation only")
        }
        self.bits = bits
        self.perChannel = perChannel
        self.symmetric = symmetric
        self.restrictedRange = restrictedRange
    }

    /// The integer range `[qmin, qmax]`.
    public var range: ClosedRange<Int> {
        if !symmetric { return 0...((1 << bits) - 1) }
        let top = (1 << (bits - 1)) - 1
        return (restrictedRange ? -top : -top - 1)...top
    }

    /// One channel's (or the whole matrix's) scale and zero point, by the observer rule.
    public func parameters(for weights: [Double]) -> (scale: Float, zeroPoint: Int) {
        let low = Float(weights.min() ?? 0), high = Float(weights.max() ?? 0)
        let negative = Swift.min(low, 0), positive = Swift.max(high, 0)
        let (qmin, qmax) = (range.lowerBound, range.upperBound)
        if symmetric {
            let scale = Swift.max(-negative, positive) / (Float(qmax - qmin) / 2)
            return (Swift.max(scale, Float.ulpOfOne), 0)
        }
        let scale = Swift.max((positive - negative) / Float(qmax - qmin), Float.ulpOfOne)
        let zero = qmin - Int((negative / scale).rounded(.toNearestOrEven))
        return (scale, Swift.min(Swift.max(zero, qmin), qmax))
    }

    /// The stored integer of one weight.
    public func quantize(_ weight: Double, scale: Float, zeroPoint: Int) -> Int {
        let scaled = (Float(weight) / scale).rounded(.toNearestOrEven)
        // Saturate before converting: a huge quotient must not trap.
        let clamped = Swift.min(Swift.max(scaled, Float(range.lowerBound - zeroPoint)), Float(range.upperBound - zeroPoint))
        return Int(clamped) + zeroPoint
    }

    /// Each layer's stored integers, scales and zero points.
    /// - Throws: ``CompressionError`` as ``apply(to:)``.
    public func integerWeights(of network: Network) throws -> [StoredIntegerWeights] {
        try quantized(network).map(\.stored)
    }

    /// Each layer's weights as `(q − z)·s`, with each weight's radius for the perturbation set.
    /// - Throws: ``CompressionError`` for a weight beyond float32's range (it has no scale).
    private func quantized(_ network: Network) throws -> [(weights: [[Double]], radii: [[Rational]], stored: StoredIntegerWeights)] {
        for (l, layer) in network.layers.enumerated() {
            for (k, row) in layer.weights.enumerated() {
                if let j = row.firstIndex(where: { !Float($0).isFinite }) {
                    throw CompressionError("layers[\(l)].weights[\(k)][\(j)] = \(row[j]) is beyond float32's range, which integer quantisation scales from")
                }
            }
        }
        var result: [(weights: [[Double]], radii: [[Rational]], stored: StoredIntegerWeights)] = []
        for (l, layer) in network.layers.enumerated() {
            let whole = perChannel ? nil : parameters(for: layer.weights.flatMap { $0 })
            var weights: [[Double]] = [], radii: [[Rational]] = []
            var stored = StoredIntegerWeights(integers: [], scales: [], zeroPoints: [], isUnsigned: !symmetric)
            for (k, row) in layer.weights.enumerated() {
                let (scale, zero) = whole ?? parameters(for: row)
                // The span of float32 weights can overflow float32 even when each weight does not.
                guard let exactScale = Rational(exactly: Double(scale)) else {
                    throw CompressionError("layers[\(l)].weights[\(k)]: the weights span more than float32's range, so no scale exists")
                }
                let half = exactScale * Rational(1, 2)
                let integers = row.map { quantize($0, scale: scale, zeroPoint: zero) }
                let values = integers.map { StoredIntegerWeights.value(of: $0, scale: scale, zeroPoint: zero) }
                stored.integers.append(integers)
                if whole == nil || k == 0 {
                    stored.scales.append(scale)
                    stored.zeroPoints.append(zero)
                }
                weights.append(values)
                radii.append(zip(row, values).map { w, v in
                    Rational.max(half, (Rational(exactly: w)! - Rational(exactly: v)!).magnitude)
                })
            }
            result.append((weights, radii, stored))
        }
        return result
    }

    /// The network with every weight quantised and dequantised (biases unchanged).
    public func apply(to network: Network) throws -> Network {
        try network.withLayers(zip(network.layers, try quantized(network)).map { layer, q in
            DenseLayer(weights: q.weights, biases: layer.biases, activation: layer.activation)
        })
    }

    /// Every quantiser of this scheme's grid, within its rounding error of each weight.
    /// - Throws: ``CompressionError`` as ``apply(to:)``.
    public func perturbationSet(for network: Network) throws -> PerturbationSet {
        let q = try quantized(network)
        return .explicit(weights: q.map(\.radii), biases: network.layers.map { $0.biases.map { _ in .zero } })
    }

    public var description: String {
        let kind = symmetric ? (restrictedRange ? "symmetric, restricted range" : "symmetric") : "asymmetric"
        return "int\(bits) affine, \(perChannel ? "per channel" : "per tensor"), \(kind)"
    }
}
