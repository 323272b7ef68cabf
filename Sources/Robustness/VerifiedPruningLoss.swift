import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import Queries

/// The verified loss of a calibration point (the hybrid of Learn-then-Test and
/// verification): 0 when qrobust certifies that pruning changes nothing that
/// matters anywhere in the L∞ ball of radius r around the point, 1 otherwise
/// (an undecided ball counts as 1).
///
/// "Nothing that matters" is: no input of the ball gets another class from the
/// pruned network than from the original (``tau`` nil), or the metric moves by
/// at most τ everywhere in the ball. Each ball is bounded by differential bound
/// propagation (sound, outward-rounded) and bisected along its widest side up to
/// ``splitDepth`` times where the bound does not decide at once; nothing is
/// sampled, so a 0 is a proof.
///
/// With Learn-then-Test the result reads: with probability ≥ 1 − δ, at most a
/// fraction α of inputs from the distribution have a pruning-induced flip (or a
/// deviation above τ) within r.
public struct VerifiedPruningLoss: Sendable {
    /// The ball's radius per input, in raw units.
    public var radius: Rational
    public var tau: Rational?
    public var metric: Metric
    public var splitDepth: Int

    public init(radius: Rational, tau: Rational? = nil, metric: Metric = .logit, splitDepth: Int = 8) throws {
        guard !radius.isNegative else { throw QueryError("the radius must be ≥ 0, found \(radius.approximateDouble)") }
        if let tau, !tau.isPositive { throw QueryError("τ must be positive, found \(tau.approximateDouble)") }
        (self.radius, self.tau, self.metric, self.splitDepth) = (radius, tau, metric, max(0, splitDepth))
    }

    /// How many of `inputs` (raw) are not certified.
    public func losses(original: Network, pruned: Network, inputs: [[Rational]]) throws -> Int {
        _ = try CompressionModel.concrete(pruned, comparedWith: original)  // same inputs and outputs, read the same way
        // The same function changes nothing (outward-rounded bounds could not show it near a decision boundary).
        if pruned == original { return 0 }
        let analysis = DifferentialAnalysis(original: original, compared: .concrete(pruned))
        return inputs.filter { !certifies(analysis, around: $0) }.count
    }

    /// Whether the ball around the raw input `x` is certified.
    func certifies(_ analysis: DifferentialAnalysis, around x: [Rational]) -> Bool {
        let region = InputRegion(lower: x.map { $0 - radius }, upper: x.map { $0 + radius })
        let box = region.normalized(by: analysis.original.normalization).map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        return certifies(analysis, box, depth: 0)
    }

    private func certifies(_ analysis: DifferentialAnalysis, _ box: [Interval], depth: Int) -> Bool {
        let bounds = analysis.bounds(over: box)
        if decided(bounds, output: analysis.original.output) { return true }
        guard depth < splitDepth, let i = box.indices.max(by: { box[$0].width < box[$1].width }) else { return false }
        let mid = box[i].midpoint
        guard box[i].lower < mid, mid < box[i].upper else { return false }
        var left = box, right = box
        left[i] = Interval(box[i].lower, mid)
        right[i] = Interval(mid, box[i].upper)
        return certifies(analysis, left, depth: depth + 1) && certifies(analysis, right, depth: depth + 1)
    }

    /// Whether the pair's bounds over a box prove the property.
    private func decided(_ bounds: PairBounds, output: OutputKind) -> Bool {
        if let tau {
            return BoxMetric(metric: metric, output: output).upperBound(bounds) <= tau.roundedDown
        }
        let f = bounds.originalRange, d = bounds.differenceRange
        let g = zip(f, d).map { $0 + $1 }
        if f.count == 1 {
            // Class 1 when the logit is > 0, class 0 otherwise. Both on one side settles it; so does
            // a difference too small to cross: f > 0 ≥ f + d needs f ∈ (0, −d], f ≤ 0 < f + d needs f ∈ (−d, 0].
            if (f[0].lower > 0 && g[0].lower > 0) || (f[0].upper <= 0 && g[0].upper <= 0) { return true }
            let down = d[0].lower < 0 && f[0].upper > 0 && f[0].lower <= -d[0].lower
            let up = d[0].upper > 0 && f[0].lower <= 0 && f[0].upper > -d[0].upper
            return !down && !up
        }
        // One class beats every other one strictly, for both networks.
        return f.indices.contains { c in
            f.indices.allSatisfy { j in j == c || (f[c].lower > f[j].upper && g[c].lower > g[j].upper) }
        }
    }
}
