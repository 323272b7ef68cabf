import Bounds

/// Bounds one box: the metric's proved upper bound, the best candidate
/// witness inside it, and the input to split along next.
struct BoxBounder: Sendable {
    let analysis: DifferentialAnalysis
    let metric: BoxMetric
    let evaluator: PairEvaluator
    /// From which depth, and up to how many unstable ReLUs, a box is split on
    /// a ReLU's phase rather than halved (``SearchSettings/phaseSplitDepth``).
    var phaseSplit = (depth: Int.max, unstableLimit: 0)

    /// - Parameter known: ranges proved over a box containing this one (its parent's).
    func bound(_ box: [Interval], depth: Int, known: NeuronRanges? = nil,
               statistics: inout GlobalStatistics) -> (OpenBox, Candidate, PairBounds) {
        let bounds = analysis.bounds(over: box, known: known)
        statistics.boxes += 1
        statistics.depth = max(statistics.depth, depth)
        if bounds.isEmpty {
            // A phase no input of the box has: nothing to bound (the sibling covers the box).
            let midpoint = box.map(\.midpoint)
            statistics.candidates += 1
            return (OpenBox(box: box, upper: -.infinity, depth: depth, splitDimension: 0), evaluator.evaluate(midpoint), bounds)
        }
        var points = [box.map(\.midpoint)]
        let d = bounds.differenceOutputs
        for i in 0..<d.count {
            // Outputs often peak at the same vertex: each point is evaluated once.
            for point in [d.upper.extremeVertex(i, over: box, maximizing: true),
                          d.lower.extremeVertex(i, over: box, maximizing: false)] where !points.contains(point) {
                points.append(point)
            }
        }
        var best = Candidate(value: -.infinity, point: points[0])
        for point in points {
            let candidate = evaluator.evaluate(point)
            if candidate.value > best.value { best = candidate }
        }
        statistics.candidates += points.count
        return (OpenBox(box: box, upper: metric.upperBound(bounds), depth: depth,
                        splitDimension: splitDimension(box, bounds), ranges: NeuronRanges(bounds),
                        phaseSplit: depth >= phaseSplit.depth && bounds.unstableCount <= phaseSplit.unstableLimit
                            ? phaseToSplit(bounds) : nil), best, bounds)
    }

    /// The first unstable ReLU, by layer (the original's before the compared
    /// network's): its relaxation reaches every later layer. Nil where none is
    /// unstable, or where the bounds do not take known ranges layer by layer
    /// (pairs of different shapes, quantised activations).
    private func phaseToSplit(_ bounds: PairBounds) -> PhaseSplit? {
        guard case .concrete(let g) = analysis.compared, analysis.isDifferential else { return nil }
        for l in bounds.original.indices {
            for (compressed, ranges, activation) in [(false, bounds.original[l], analysis.original.layers[l].activation),
                                                     (true, bounds.compressed[l], g.layers[l].activation)]
            where activation == .relu {
                if let k = ranges.firstIndex(where: { $0.lower < 0 && $0.upper > 0 }) {
                    return PhaseSplit(compressed: compressed, layer: l, neuron: k)
                }
            }
        }
        return nil
    }

    /// The input whose halving should tighten the bounds most: the one with
    /// the largest ``PairBounds/reluSmear``; where no ReLU is unstable (or the
    /// bounds do not track it), the one whose width times its coefficients in
    /// the output forms is largest.
    private func splitDimension(_ box: [Interval], _ bounds: PairBounds) -> Int {
        if let i = bounds.inputToSplit { return i }
        var best = 0, bestScore = -1.0
        for i in box.indices {
            var weight = 1e-9
            for forms in [bounds.differenceOutputs, bounds.originalOutputs] {
                for k in 0..<forms.count {
                    weight += forms.lower.coefficient(k, i).magnitude + forms.upper.coefficient(k, i).magnitude
                }
            }
            let score = box[i].width * weight
            if score > bestScore { best = i; bestScore = score }
        }
        return best
    }
}
