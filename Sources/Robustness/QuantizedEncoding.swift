import Bounds
import ExactArithmetic
import NeuralNetwork
import Z3Kit

/// A network's integer arithmetic (``QuantizedNetwork``) over symbolic inputs,
/// exactly, in linear integer and real arithmetic (QF_LIRA): each quantizer
/// becomes one integer variable with linear bounds, so Z3 can close boxes of a
/// QDQ model that splitting alone would have to cut into single cells.
///
/// Exact ranges travel with the terms (interval arithmetic on rationals over
/// the box), so that a quantizer's integer gets its bounds, a clamp that cannot
/// bite is left out, and a ReLU whose sign is fixed is linear: each saves Z3 a
/// case split.
enum QuantizedEncoding {
    /// A node and the exact range of its values over the box.
    struct Ranged {
        var node: Node
        var lower: Rational, upper: Rational
    }

    /// The logits of `g` at the normalised inputs, as ``QuantizedNetwork/exactLogits(normalizedInput:watching:)``
    /// computes them: products, quantizers, biases and ReLUs in the same order.
    /// - Parameter box: each input's exact range.
    static func encode(_ g: QuantizedNetwork, inputs: [Node], box: [(lower: Rational, upper: Rational)], z3: Context,
                       constraints: inout [Term]) throws -> [Node] {
        func quantized(_ values: [Ranged], at position: QuantizedNetwork.Position, _ name: String) throws -> [Ranged] {
            guard let q = g.quantizers[position] else { return values }
            return try values.enumerated().map { k, v in try quantize(v, q, name: "\(name)_\(k)", z3: z3, constraints: &constraints) }
        }
        var h = try quantized(zip(inputs, box).map { Ranged(node: $0, lower: $1.lower, upper: $1.upper) }, at: .input, "qin")
        for (l, layer) in g.network.exactLayers.enumerated() {
            var u = try layer.weights.map { row in try linear(row, h, constant: .zero, z3: z3) }
            u = try quantized(u, at: .product(l), "qprod\(l)")
            u = try zip(u, layer.biases).map { try linear([.one], [$0], constant: $1, z3: z3) }
            u = try quantized(u, at: .preActivation(l), "qpre\(l)")
            if layer.activation == .relu {
                u = try u.enumerated().map { k, v in
                    let range = Interval(v.lower.roundedDown, v.upper.roundedUp)
                    let node = try activate(v.node, bounds: range, activation: .relu, name: "qrelu\(l)_\(k)", z3: z3, constraints: &constraints)
                    return Ranged(node: node, lower: Rational.max(v.lower, .zero), upper: Rational.max(v.upper, .zero))
                }
            }
            h = try quantized(u, at: .output(l), "qout\(l)")
        }
        return h.map(\.node)
    }

    /// `Σ w_j·h_j + c` and its exact range.
    private static func linear(_ weights: [Rational], _ h: [Ranged], constant: Rational, z3: Context) throws -> Ranged {
        var lower = constant, upper = constant
        for (w, v) in zip(weights, h) where !w.isZero {
            lower += w * (w.isNegative ? v.upper : v.lower)
            upper += w * (w.isNegative ? v.lower : v.upper)
        }
        return Ranged(node: try z3.linear(Array(zip(weights, h.map(\.node))), constant: constant), lower: lower, upper: upper)
    }

    /// `(clamp(roundHalfEven(v/s) + z, lowest, highest) − z)·s` of a real node, exactly.
    ///
    /// With n an integer: `s·(n − ½) ≤ v ≤ s·(n + ½)` makes n a nearest integer to v/s
    /// (s > 0), and at either end (a tie) n must be even, `n = 2m` for an integer m; the
    /// clamp is an if-then-else on `n + z`. Rounding and clamping are monotone, so the
    /// range's ends bound n and decide whether the clamp can bite; a range of one value
    /// is quantised directly.
    static func quantize(_ v: Ranged, _ q: Quantizer, name: String, z3: Context, constraints: inout [Term]) throws -> Ranged {
        let low = q.quantize(v.lower), high = q.quantize(v.upper)
        let range = (lower: q.value(of: low), upper: q.value(of: high))
        if low == high { return Ranged(node: .constant(range.lower), lower: range.lower, upper: range.upper) }
        let t = try v.node.term(z3)
        let n = try z3.intVariable("\(name)_n"), m = try z3.intVariable("\(name)_m")
        let real = try z3.toReal(n)
        let half = q.scale * Rational(1, 2)
        let below = try q.scale * real + (-half), above = try q.scale * real + half
        let even = try n == (m + m)
        constraints += [try below <= t, try t <= above, try (t < above) || even, try (t > below) || even]
        // n's own range: the roundings of the range's ends (before the clamp).
        let nLow = Quantizer.roundHalfEven(v.lower / q.scale), nHigh = Quantizer.roundHalfEven(v.upper / q.scale)
        if let a = Int(exactly: nLow), let b = Int(exactly: nHigh) {
            constraints += [try n >= z3.int(a), try n <= z3.int(b)]
        }
        var stored = try n + z3.int(q.zeroPoint)
        if low == q.lowest || high == q.highest {
            let lowest = try z3.int(q.lowest), highest = try z3.int(q.highest)
            stored = try z3.ite(stored < lowest, lowest, z3.ite(stored > highest, highest, stored))
        }
        let value = try q.scale * z3.toReal(try stored - z3.int(q.zeroPoint))
        return Ranged(node: .term(value), lower: range.lower, upper: range.upper)
    }
}
