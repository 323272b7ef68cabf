import ExactArithmetic

extension QuantizedNetwork {
    /// A closed range of exact values.
    public typealias ExactRange = (lower: Rational, upper: Rational)

    /// Exact ranges of every layer's (quantised) pre-activations and of the
    /// logits over a box of normalised inputs.
    ///
    /// Interval arithmetic, exact: a quantizer's rounding (half to even) and
    /// clamp are non-decreasing, so a range's two ends map to the ends of its
    /// image; products take each weight's sign into account. The ranges hold
    /// every value the integer arithmetic can produce from an input in the
    /// box; once the box lies inside one cell of the input quantizer they
    /// are single points, as the function is constant there.
    ///
    /// Over a box that meets several cells of the input quantizer the ranges
    /// are loose: intervals lose how the neurons move together. Callers that
    /// need tight ranges split the box by cells (see Bounds' `QuantizedEnclosure`).
    public func exactRanges(normalizedBox box: [ExactRange]) -> (preActivations: [[ExactRange]], logits: [ExactRange]) {
        /// The integer ranges of `q − z` and their scale, when the data came straight from a quantizer.
        var integers: (lower: [Int], upper: [Int], scale: Rational)?
        func quantized(_ ranges: [ExactRange], at position: Position) -> [ExactRange] {
            guard let q = quantizers[position] else { return ranges }
            let lower = ranges.map { q.quantize($0.lower) - q.zeroPoint }
            let upper = ranges.map { q.quantize($0.upper) - q.zeroPoint }
            integers = (lower, upper, q.scale)
            return zip(lower, upper).map { (Rational($0) * q.scale, Rational($1) * q.scale) }
        }
        var h = quantized(box, at: .input)
        var preActivations: [[ExactRange]] = []
        for l in products.indices {
            let accumulated = integers.flatMap { input in
                integerRows[l]?.productRange(lower: input.lower, upper: input.upper, scale: input.scale)
            }
            integers = nil
            var u = quantized(accumulated ?? Self.product(products[l].weights, h), at: .product(l))
            integers = nil
            u = quantized(zip(u, biases[l]).map { ($0.lower + $1, $0.upper + $1) }, at: .preActivation(l))
            preActivations.append(u)
            if network.layers[l].activation == .relu {
                integers = integers.map { ($0.lower.map { Swift.max($0, 0) }, $0.upper.map { Swift.max($0, 0) }, $0.scale) }
                u = u.map { (Rational.max($0.lower, .zero), Rational.max($0.upper, .zero)) }
            }
            h = quantized(u, at: .output(l))
        }
        return (preActivations, h)
    }

    /// `W·h` over ranges of h, exactly: each weight takes the end of its input's range that its sign favours.
    private static func product(_ weights: [[Rational]], _ h: [ExactRange]) -> [ExactRange] {
        weights.map { row in
            var lower = Rational.zero, upper = Rational.zero
            for (w, r) in zip(row, h) where !w.isZero {
                if w.isNegative {
                    lower += w * r.upper
                    upper += w * r.lower
                } else {
                    lower += w * r.lower
                    upper += w * r.upper
                }
            }
            return (lower, upper)
        }
    }

    /// The logits at a normalised input in binary64, to rank candidate inputs
    /// quickly. Not exact: a value within a few units in the last place of a
    /// rounding tie may round the other way here. Every reported value comes
    /// from ``exactLogits(normalizedInput:watching:)``.
    public func estimatedLogits(normalizedInput x: [Double]) -> [Double] {
        func quantized(_ values: [Double], at position: Position) -> [Double] {
            guard let q = quantizers[position] else { return values }
            let scale = q.scale.approximateDouble, zero = Double(q.zeroPoint)
            return values.map { v in
                let stored = Swift.min(Swift.max((v / scale).rounded(.toNearestOrEven) + zero, Double(q.lowest)), Double(q.highest))
                return (stored - zero) * scale
            }
        }
        var h = quantized(x, at: .input)
        for (l, layer) in network.layers.enumerated() {
            let product = layer.weights.map { row in zip(row, h).reduce(0) { $0 + $1.0 * $1.1 } }
            var u = quantized(zip(quantized(product, at: .product(l)), layer.biases).map { $0 + $1 }, at: .preActivation(l))
            if layer.activation == .relu { u = u.map { Swift.max($0, 0) } }
            h = quantized(u, at: .output(l))
        }
        return h
    }
}
