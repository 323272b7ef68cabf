import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// A lower bound on the maximal deviation of two networks over a region, by
/// sampling: the best of many points, found in binary64 and replayed in exact
/// arithmetic, so the value is a true lower bound (the bound beside an SDP
/// upper bound, and the sampled curve of the pruning study).
public enum SampledDeviation {
    /// The largest metric value among `count` points of `region`: half uniform, half
    /// random vertices (piecewise-linear differences peak at vertices more often than
    /// not), drawn with SplitMix64 from `seed`. The probability and flip metrics need a
    /// classifier (`original.output` sigmoid or softmax), as everywhere else.
    /// - Returns: the exact value at the best point, rounded down, and that point; 0 and
    ///   the lower corner when `count` is 0.
    public static func largest(_ metric: Metric, original: Network, compressed: Network, region: InputRegion,
                               count: Int, seed: UInt64) -> (value: Double, input: [Rational]) {
        var rng = SplitMix64(seed: seed)
        let points = uniformPoints(region, count: count / 2, &rng) + (0..<(count - count / 2)).map { _ in
            region.lower.indices.map { i in (rng.next() & 1 == 0 ? region.lower[i] : region.upper[i]).approximateDouble }
        }
        // Ranked in binary64 as the global search ranks its candidates; the replay decides.
        let ranking = BoxMetric(metric: metric, output: original.output)
        func value(_ x: [Double]) -> Double {
            ranking.value(original: original.logits(at: x), compressed: compressed.logits(at: x))
        }
        guard let best = points.map({ ($0, value($0)) }).max(by: { $0.1 < $1.1 })?.0 else { return (0, region.lower) }
        let exact = best.indices.map { i in
            min(max(Rational(exactly: best[i]) ?? region.lower[i], region.lower[i]), region.upper[i])
        }
        return (metric.deviation(of: compressed, from: original, at: exact).lower.roundedDown, exact)
    }

    /// `count` uniform points of the region, in binary64 and inside it.
    public static func uniformPoints(_ region: InputRegion, count: Int, _ rng: inout SplitMix64) -> [[Double]] {
        let lower = region.lower.map(\.roundedUp), upper = region.upper.map(\.roundedDown)
        return (0..<count).map { _ in
            lower.indices.map { i in min(max(lower[i] + rng.unit() * (upper[i] - lower[i]), lower[i]), upper[i]) }
        }
    }
}
