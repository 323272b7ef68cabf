import ExactArithmetic
import NeuralNetwork

/// Sound enclosures of a ``QuantizedNetwork``'s values over a box, in binary64.
///
/// The exact integer arithmetic (``QuantizedNetwork/exactRanges(normalizedBox:)``)
/// costs a gcd per value; a global search bounds thousands of boxes. Here
/// every value is an ``Interval`` with outward rounding, and each quantizer
/// maps `[a, b]` to `[Q(a⁻), Q(b⁺)]`, where `a⁻ ≤ a/s ≤ b/s ≤ b⁺` are the
/// binary64 quotients moved one unit outward and `Q` rounds half to even and
/// clamps: Q is non-decreasing, so the image of every real in `[a, b]` lies
/// in between. The dequantised values `(q − z)·s` are exact in binary64 (a
/// 16-bit integer times a float32 scale).
///
/// Interval arithmetic over two cells of the input quantizer loses how the
/// neurons move together, and that loss does not shrink with the box: a
/// box that meets at most ``cellLimit`` input cells is answered cell by
/// cell, each cell from its one dequantised input, and the ranges are their
/// hull. Where a cell's value lands within a unit in the last place of a
/// rounding tie, both roundings stay in the enclosure; that cell is then
/// evaluated exactly instead, so the ranges of a box inside one cell are
/// the exact values.
struct QuantizedEnclosure: Sendable {
    let network: QuantizedNetwork
    /// Each quantizer's scale as a binary64 number (float32 scales are exact).
    private let scales: [QuantizedNetwork.Position: Double]

    /// Input cells a box may meet before it is bounded by intervals through the whole network.
    static let cellLimit = 16

    /// Nil when a scale has no exact binary64 value (it never happens for ONNX's float32 scales).
    init?(_ network: QuantizedNetwork) {
        var scales: [QuantizedNetwork.Position: Double] = [:]
        for (position, q) in network.quantizers {
            let s = q.scale.approximateDouble
            guard Rational(exactly: s) == q.scale else { return nil }
            scales[position] = s
        }
        self.network = network
        self.scales = scales
    }

    /// Enclosures of every layer's quantised pre-activations and of the logits over a box of normalised inputs.
    func ranges(over box: [Interval]) -> (preActivations: [[Interval]], logits: [Interval]) {
        guard let input = network.quantizers[.input], let s = scales[.input] else {
            return propagate(box).ranges
        }
        let cells = box.map { (stored(Self.quotients($0.lower, s).lower, input, unknown: input.lowest),
                               stored(Self.quotients($0.upper, s).upper, input, unknown: input.highest)) }
        var count = 1
        for (lower, upper) in cells {
            count *= upper - lower + 1
            if count > Self.cellLimit { return propagate(box).ranges }
        }
        var hull: (preActivations: [[Interval]], logits: [Interval])?
        var cell = cells.map(\.0)
        for _ in 0..<count {
            let point = cell.map { Double($0 - input.zeroPoint) * s }
            var (ranges, ambiguous) = propagate(point.map { Interval($0) })
            if ambiguous {
                let exact = network.exactRanges(normalizedBox: point.map { (Rational(exactly: $0)!, Rational(exactly: $0)!) })
                ranges = (exact.preActivations.map { $0.map(Self.enclosure) }, exact.logits.map(Self.enclosure))
            }
            hull = hull.map { Self.hull($0, ranges) } ?? ranges
            // The next combination, as an odometer over the dimensions.
            for i in cell.indices {
                if cell[i] < cells[i].1 { cell[i] += 1; break }
                cell[i] = cells[i].0
            }
        }
        return hull!
    }

    /// Interval arithmetic through the network; `ambiguous` when a point's value
    /// meets a quantizer within a unit in the last place of a rounding boundary.
    private func propagate(_ box: [Interval]) -> (ranges: (preActivations: [[Interval]], logits: [Interval]), ambiguous: Bool) {
        var ambiguous = false
        func quantized(_ values: [Interval], at position: QuantizedNetwork.Position) -> [Interval] {
            guard let q = network.quantizers[position], let s = scales[position] else { return values }
            return values.map { v in
                let low = stored(Self.quotients(v.lower, s).lower, q, unknown: q.lowest)
                let high = stored(Self.quotients(v.upper, s).upper, q, unknown: q.highest)
                if low != high { ambiguous = true }  // (consulted only for point inputs)
                return Interval(Double(low - q.zeroPoint) * s, Double(high - q.zeroPoint) * s)
            }
        }
        var h = quantized(box, at: .input)
        var preActivations: [[Interval]] = []
        for (l, layer) in network.network.layers.enumerated() {
            let product = layer.weights.map { row in
                zip(row, h).reduce(Interval.zero) { $0 + $1.1.scaled(by: $1.0) }
            }
            var u = quantized(zip(quantized(product, at: .product(l)), layer.biases).map { $0 + Interval($1) }, at: .preActivation(l))
            preActivations.append(u)
            if layer.activation == .relu { u = u.map { $0.relu() } }
            h = quantized(u, at: .output(l))
        }
        return ((preActivations, h), ambiguous)
    }

    /// The binary64 quotient `x / s` moved one unit outward on each side (the real quotient lies in between).
    private static func quotients(_ x: Double, _ s: Double) -> (lower: Double, upper: Double) {
        let t = x / s
        return (t.nextDown, t.nextUp)
    }

    /// The stored integer of a quotient: rounded half to even, plus the zero point, clamped.
    /// A quotient that is not a number (an overflowed bound) could be anything: it gives `unknown`,
    /// the end of the range on its side.
    private func stored(_ t: Double, _ q: Quantizer, unknown: Int) -> Int {
        guard !t.isNaN else { return unknown }
        let r = t.rounded(.toNearestOrEven) + Double(q.zeroPoint)
        return r < Double(q.lowest) ? q.lowest : r > Double(q.highest) ? q.highest : Int(r)
    }

    private static func enclosure(_ r: QuantizedNetwork.ExactRange) -> Interval {
        Interval(r.lower.roundedDown, r.upper.roundedUp)
    }

    private static func hull(_ a: (preActivations: [[Interval]], logits: [Interval]),
                             _ b: (preActivations: [[Interval]], logits: [Interval])) -> (preActivations: [[Interval]], logits: [Interval]) {
        func join(_ x: [Interval], _ y: [Interval]) -> [Interval] {
            zip(x, y).map { Interval(Swift.min($0.lower, $1.lower), Swift.max($0.upper, $1.upper)) }
        }
        return (zip(a.preActivations, b.preActivations).map(join), join(a.logits, b.logits))
    }
}
