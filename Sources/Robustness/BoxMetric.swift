import Bounds
import Foundation
import NeuralNetwork

/// How the metric is bounded over a box from the pair's bounds, and measured
/// (in binary64, only to rank candidate witnesses) at a point.
///
/// σ and softmax are evaluated in binary64 here; every such bound is raised
/// by ``margin``, far above the few units in the last place that glibc's
/// `exp` (< 1 ulp) and the following operations can be off on values in
/// [0, 1]. Logit bounds need no margin: they come straight from the
/// outward-rounded forms.
struct BoxMetric: Sendable {
    let metric: Metric
    let output: OutputKind

    static let margin = 0x1p-40

    /// A sound upper bound of the metric over the box.
    func upperBound(_ bounds: PairBounds) -> Double {
        switch (metric, output) {
        case (.flip, _):
            return Self.flipMarginBound(z: bounds.originalRange, d: bounds.differenceRange)
        case (.probability, .sigmoid):
            return Self.sigmoidGap(z: bounds.originalRange[0], d: bounds.differenceRange[0])
        case (.probability, _):
            return Self.softmaxGap(z: bounds.originalRange, d: bounds.differenceRange)
        default:
            return bounds.differenceRange.map { max($0.upper, -$0.lower) }.max()!
        }
    }

    /// The metric between two logit vectors, in binary64.
    func value(original z: [Double], compressed zPrime: [Double]) -> Double {
        switch (metric, output) {
        case (.flip, _):
            return Self.flipMargin(original: z, compressed: zPrime)
        case (.probability, .sigmoid):
            return abs(Self.sigma(zPrime[0]) - Self.sigma(z[0]))
        case (.probability, _):
            let c = Network.predictedClass(logits: z)
            return abs(Self.softmax(zPrime, c) - Self.softmax(z, c))
        default:
            return zip(z, zPrime).map { abs($1 - $0) }.max()!
        }
    }

    static func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// The flip margin at one input: how far the compressed network is past the
    /// original's class c there, `max_{j≠c} (z'_j − z'_c)` (one output: `z'` if c = 0,
    /// `−z'` if c = 1). Positive means another class; no input of a box changes class
    /// if the margin is negative all over it. Outputs are read as a classifier's, as
    /// local `--metric flip` reads them (one output: class 1 iff z > 0; several: the
    /// first largest).
    ///
    /// Where both give the same class the value is kept below 0 (a tie at a margin of 0
    /// is no flip), so that only a candidate that flips in binary64 ends the search.
    static func flipMargin(original z: [Double], compressed zPrime: [Double]) -> Double {
        let c = Network.predictedClass(logits: z)
        let margin = z.count == 1 ? (c == 1 ? -zPrime[0] : zPrime[0])
                                  : zPrime.indices.filter { $0 != c }.map { zPrime[$0] - zPrime[c] }.max()!
        return Network.predictedClass(logits: zPrime) == c ? min(margin, -Double.leastNonzeroMagnitude) : margin
    }

    /// A sound upper bound of the flip margin over a box from the ranges of z and of
    /// `d = z' − z`, rounded up. Only classes c that z can give on the box count, and
    /// for each the class's own inequalities tighten the bound: for one output, class 1
    /// needs `z > 0`, so `−z' = −z − d < −max(z_lo, 0) − d_lo`, and class 0 needs
    /// `z ≤ 0`, so `z' ≤ min(z_hi, 0) + d_hi`; for several, class c needs `z_j ≤ z_c`, so
    /// `z'_j − z'_c ≤ min(0, z_j,hi − z_c,lo) + d_j,hi − d_c,lo`.
    static func flipMarginBound(z: [Interval], d: [Interval]) -> Double {
        if (z + d).contains(where: { $0.lower.isNaN || $0.upper.isNaN }) { return .infinity }
        var bound = -Double.infinity
        // NaN (from ∞ − ∞) bounds nothing.
        func include(_ candidate: Double) { bound = candidate.isNaN ? .infinity : max(bound, candidate) }
        if z.count == 1 {
            if z[0].upper > 0 { include(-(max(z[0].lower, 0) + d[0].lower).nextDown) }
            if z[0].lower <= 0 { include((min(z[0].upper, 0) + d[0].upper).nextUp) }
            return bound
        }
        for c in z.indices where z.indices.allSatisfy({ $0 == c || z[c].upper >= z[$0].lower }) {
            for j in z.indices where j != c {
                let gap = min(0, (z[j].upper - z[c].lower).nextUp)
                include((gap + (d[j].upper - d[c].lower).nextUp).nextUp)
            }
        }
        return bound
    }

    static func softmax(_ z: [Double], _ c: Int) -> Double {
        1 / z.indices.reduce(0) { $0 + exp(z[$1] - z[c]) }
    }

    /// `max |σ(z + d) − σ(z)|` over `z ∈ zr`, `d ∈ dr` (docs/semantics.md §2's segment
    /// method on one segment). For a > 0, `σ(z + a) − σ(z)` increases up to
    /// `z = −a/2` and decreases after, so its maximum over a segment is at the
    /// point of the segment nearest `−a/2`; σ is increasing, so the extreme d
    /// of each sign gives the extreme gap.
    static func sigmoidGap(z zr: Interval, d dr: Interval) -> Double {
        var gap = 0.0
        if dr.upper > 0 {
            let a = dr.upper, z = min(max(-a / 2, zr.lower), zr.upper)
            gap = max(gap, sigma(z + a) - sigma(z))
        }
        if dr.lower < 0 {
            let a = -dr.lower, z = min(max(a / 2, zr.lower), zr.upper)
            gap = max(gap, sigma(z) - sigma(z - a))
        }
        return min(1, gap + margin)
    }

    /// A bound on `max_c |softmax(z')_c − softmax(z)_c|` from the ranges of z
    /// and of `d = z' − z`: softmax_c increases in z_c and decreases in every
    /// other logit, so each range's ends give its extremes. It ignores how z
    /// and z' move together and is loose on wide boxes; splitting tightens it.
    static func softmaxGap(z zr: [Interval], d dr: [Interval]) -> Double {
        let zPrime = zip(zr, dr).map { $0 + $1 }
        func range(_ r: [Interval], _ c: Int) -> (low: Double, high: Double) {
            var low = 1.0, high = 1.0
            for j in r.indices where j != c {
                low += exp(r[j].upper - r[c].lower)
                high += exp(r[j].lower - r[c].upper)
            }
            return (1 / low, 1 / high)
        }
        var gap = 0.0
        for c in zr.indices {
            let s = range(zr, c), t = range(zPrime, c)
            gap = max(gap, t.high - s.low, s.high - t.low)
        }
        return min(1, gap + margin)
    }
}
