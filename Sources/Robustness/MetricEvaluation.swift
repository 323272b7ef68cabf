import ExactArithmetic
import NeuralNetwork

/// How a metric reads a pair of logit vectors, exactly or by rigorous
/// enclosure, and which linear objectives bound it over a set of networks.
struct MetricEvaluator: Sendable {
    let metric: Metric
    let output: OutputKind
    /// The original network's logits at the input.
    let original: [Rational]

    /// For `flip`, raw logits are read as a classifier's, as PyTorch's
    /// CrossEntropyLoss and BCEWithLogitsLoss train them: the argmax for
    /// several outputs, the sign for one (σ and softmax are monotone, so the
    /// class is the same as with them). The other metrics keep `output`.
    init(metric: Metric, output: OutputKind, original: [Rational]) {
        self.metric = metric
        self.original = original
        self.output = metric == .flip && output == .logits ? (original.count == 1 ? .sigmoid : .softmax) : output
    }

    /// The predicted class of a logit vector: `z > 0` for one output, else the
    /// argmax with the lowest index on ties (as numpy and PyTorch report it).
    static func predictedClass(_ z: [Rational], output: OutputKind) -> Int? {
        switch output {
        case .logits: return nil
        case .sigmoid: return z[0].isPositive ? 1 : 0
        case .softmax:
            var best = 0
            for j in z.indices where z[best] < z[j] { best = j }
            return best
        }
    }

    var originalClass: Int? { Self.predictedClass(original, output: output) }

    /// The witness of compressed logits `z` at the raw `input`, with the metric's value there
    /// (`deviation`, when the caller has computed `value(z)` already): the one place a
    /// ``Witness`` is assembled from a replay.
    func witness(at input: [Rational], compressed z: [Rational], neuronValues: [[Rational]]? = nil,
                 parameters: [ExactLayer]? = nil, deviation: Enclosure? = nil) -> Witness {
        Witness(input: input, originalLogits: original, compressedLogits: z, deviation: deviation ?? value(z),
                neuronValues: neuronValues, parameters: parameters)
    }

    /// The metric's value for compressed logits `z`.
    func value(_ z: [Rational]) -> Enclosure {
        switch metric {
        case .logit:
            return Enclosure(exactly: zip(z, original).map { ($0 - $1).magnitude }.max()!)
        case .probability:
            return confidence(z).subtracting(confidence(original)).magnitude
        case .flip:
            return Enclosure(exactly: flipMargin(z))
        }
    }

    /// σ(z_0), or softmax(z)_c for the original class c.
    private func confidence(_ z: [Rational]) -> Enclosure {
        output == .sigmoid ? Exponential.sigmoid(z[0]) : Exponential.softmax(z, component: originalClass!)
    }

    /// `max_{j≠c} (z_j − z_c)`, or for one output the signed distance past 0
    /// toward the other class (`z` if the original class is 0, `−z` if it is 1).
    func flipMargin(_ z: [Rational]) -> Rational {
        let c = originalClass!
        if output == .sigmoid { return c == 1 ? -z[0] : z[0] }
        return z.indices.filter { $0 != c }.map { z[$0] - z[c] }.max()!
    }

    /// Whether `z` predicts another class than the original.
    func flips(_ z: [Rational]) -> Bool { Self.predictedClass(z, output: output) != originalClass }

    /// The linear objectives `Σ a_i z'_i` whose maxima bound the metric.
    var objectives: [[Rational]] {
        let m = original.count
        func unit(_ i: Int, _ s: Rational = .one) -> [Rational] { (0..<m).map { $0 == i ? s : .zero } }
        func difference(_ j: Int, _ c: Int, _ s: Rational = .one) -> [Rational] {
            (0..<m).map { $0 == j ? s : ($0 == c ? -s : .zero) }
        }
        switch (metric, output) {
        case (.logit, _):
            return (0..<m).flatMap { [unit($0), unit($0, -.one)] }
        case (.probability, .sigmoid):
            return [unit(0), unit(0, -.one)]
        case (.probability, _):
            let c = originalClass!
            return (0..<m).filter { $0 != c }.flatMap { [difference($0, c), difference($0, c, -.one)] }
        case (.flip, .sigmoid):
            return [unit(0, originalClass == 1 ? -.one : .one)]
        case (.flip, _):
            let c = originalClass!
            return (0..<m).filter { $0 != c }.map { difference($0, c) }
        }
    }

    /// For metrics that are the largest of the objectives less a constant (the
    /// logit metric: objective `±z'_i` contributes `±z'_i ∓ z_i`), that constant
    /// for objective n; nil for the others. An objective bounded above by
    /// `d + offset` cannot lift the metric above d, which lets a search stop it early.
    func deviationOffset(ofObjective n: Int) -> Rational? {
        guard metric == .logit else { return nil }
        return n.isMultiple(of: 2) ? original[n / 2] : -original[n / 2]
    }

    /// A sound upper bound on the metric over every network whose objectives
    /// (in the order of ``objectives``) are bounded above by `uppers`.
    func upperBound(fromObjectiveUppers uppers: [Rational]) -> Rational {
        switch (metric, output) {
        case (.logit, _):
            return original.indices.map { i in
                Rational.max(uppers[2 * i] - original[i], uppers[2 * i + 1] + original[i])
            }.max()!
        case (.probability, .sigmoid):
            let s0 = Exponential.sigmoid(original[0])
            let up = Exponential.sigmoid(uppers[0]).upper - s0.lower
            let down = s0.upper - Exponential.sigmoid(-uppers[1]).lower
            return Rational.max(Rational.max(up, down), .zero)
        case (.probability, _):
            // softmax_c = 1 / (1 + Σ_j e^{d_j}) with d_j = z_j − z_c is decreasing in every d_j.
            let c = originalClass!
            let others = original.indices.filter { $0 != c }
            var largest = Array(repeating: Rational.zero, count: original.count)
            var smallest = largest
            for (n, j) in others.enumerated() {
                largest[j] = uppers[2 * n]
                smallest[j] = -uppers[2 * n + 1]
            }
            let s0 = Exponential.softmax(original, component: c)
            let down = s0.upper - Exponential.softmax(largest, component: c).lower
            let up = Exponential.softmax(smallest, component: c).upper - s0.lower
            return Rational.max(Rational.max(up, down), .zero)
        case (.flip, _):
            return uppers.max()!
        }
    }

    /// Whether bounds on the flip objectives prove that no class can flip.
    /// One output: class 1 flips at `z' ≤ 0` (margin ≥ 0), class 0 at `z' > 0`
    /// (margin > 0). Several: class j beats c at `z'_j > z'_c`, or at equality when `j < c`.
    func provesNoFlip(objectiveUppers uppers: [Rational]) -> Bool {
        let c = originalClass!
        if output == .sigmoid { return c == 1 ? uppers[0].isNegative : !uppers[0].isPositive }
        let others = original.indices.filter { $0 != c }
        return zip(others, uppers).allSatisfy { j, u in j < c ? u.isNegative : !u.isPositive }
    }
}

extension Metric {
    /// The metric between two networks at one raw input, in exact arithmetic (an
    /// enclosure where σ or softmax is involved): what a sampled input proves about
    /// the maximal deviation. Both networks must read the same inputs and give the
    /// same number of outputs; the original's output kind reads them.
    public func deviation(of compressed: Network, from original: Network, at input: [Rational]) -> Enclosure {
        MetricEvaluator(metric: self, output: original.output, original: original.exactLogits(at: input))
            .value(compressed.exactLogits(at: input))
    }
}
