import Bounds

/// Bounds one box: the metric's proved upper bound, the best candidate
/// witness inside it, and the input to split along next.
struct BoxBounder: Sendable {
    let analysis: DifferentialAnalysis
    let metric: BoxMetric
    let evaluator: PairEvaluator

    /// - Parameter known: ranges proved over a box containing this one (its parent's).
    func bound(_ box: [Interval], depth: Int, known: NeuronRanges? = nil,
               statistics: inout GlobalStatistics) -> (OpenBox, Candidate, PairBounds) {
        let bounds = analysis.bounds(over: box, known: known)
        statistics.boxes += 1
        statistics.depth = max(statistics.depth, depth)
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
                        splitDimension: splitDimension(box, bounds), ranges: NeuronRanges(bounds)), best, bounds)
    }

    /// Tightens a box's bounds by ``DifferentialAnalysis/refined(_:over:)``,
    /// for a box its first bounds leave open: its bound, and the ranges its
    /// parts start from. Counted in the statistics when it ran.
    func refine(_ box: inout OpenBox, _ bounds: inout PairBounds, statistics: inout GlobalStatistics) {
        guard analysis.refines else { return }
        bounds = analysis.refined(bounds, over: box.box)
        box.upper = min(box.upper, metric.upperBound(bounds))
        box.ranges = NeuronRanges(bounds)
        statistics.refinedBoxes += 1
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
