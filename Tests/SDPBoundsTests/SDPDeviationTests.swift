import Compression
import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness
import Testing
import TestSupport

/// `prune --certify --bound sdp`: the SDP bound turned into the logit or
/// probability metric, against the exact global search on pruned networks
/// (sampled ≤ exact ≤ SDP), and the metrics it refuses.
@Suite(.serialized) struct SDPDeviationTests {
    static func box(_ n: Int) -> InputRegion {
        InputRegion(lower: Array(repeating: .zero, count: n), upper: Array(repeating: .one, count: n))
    }

    @Test("magnitude-pruned 2-16-1 and 3-8-8-1 networks: the sampled lower end ≤ the exact maximum ≤ the SDP upper end, in both metrics",
          arguments: [2, 3])
    func sdpAboveExact(_ inputs: Int) async throws {
        let (sizes, seed): ([Int], UInt64) = inputs == 2 ? ([2, 16, 1], 3) : ([3, 8, 8, 1], 4)
        let network = TestNetworks.random(sizes: sizes, hidden: .relu, output: .sigmoid, seed: seed)
        let pruned = try MagnitudePruning(sparsity: 0.4).apply(to: network).network
        let region = Self.box(sizes[0])
        for metric in [Metric.logit, .probability] {
            let sdp = try SDPDeviation.compute(original: network, compressed: pruned, region: region, metric: metric, tau: nil, timeLimit: 60)
            let exact = try await GlobalRobustness.check(GlobalQuery(network: network, compression: .concrete(pruned), region: region,
                                                                     metric: metric, tolerance: Rational(1, 10_000), timeLimit: 60, jobs: 1))
            #expect(exact.reason == nil, "the exact search should finish on \(sizes)")
            #expect(Rational(exactly: sdp.lower)! <= exact.deviation.upper, "\(metric): sampled \(sdp.lower) above the exact \(exact.deviation)")
            #expect(exact.deviation.lower <= Rational(exactly: sdp.upper)!, "\(metric): exact \(exact.deviation) above the SDP bound \(sdp.upper)")
            #expect(sdp.lower > 0 && sdp.verdict == nil)
            // The lower end is the metric at its input, replayed.
            let replayed = metric.deviation(of: pruned, from: network, at: sdp.lowerInput)
            #expect(replayed.lower.roundedDown == sdp.lower)
        }
    }

    @Test("with τ: robust when the SDP bound is below τ, not robust when a sample is above, unknown between")
    func verdicts() throws {
        let network = TestNetworks.random(sizes: [2, 6, 1], hidden: .relu, output: .sigmoid, seed: 8)
        let pruned = try MagnitudePruning(sparsity: 0.3).apply(to: network).network
        let base = try SDPDeviation.compute(original: network, compressed: pruned, region: Self.box(2), metric: .logit, tau: nil, timeLimit: 60)
        #expect(base.lower < base.upper)
        func verdict(_ tau: Double) throws -> Verdict? {
            try SDPDeviation.compute(original: network, compressed: pruned, region: Self.box(2), metric: .logit,
                                     tau: Rational(exactly: tau)!, timeLimit: 60).verdict
        }
        #expect(try verdict(base.upper * 1.01) == .robust)
        #expect(try verdict(base.lower * 0.99) == .notRobust)
        if base.upper > base.lower * 1.001 { #expect(try verdict((base.lower + base.upper) / 2) == .unknown) }
    }

    @Test("flip, and the probability metric without a sigmoid output, are refused with one clear error")
    func refusals() throws {
        let network = TestNetworks.random(sizes: [2, 4, 3], hidden: .relu, output: .softmax, seed: 2)
        let pruned = try MagnitudePruning(sparsity: 0.5).apply(to: network).network
        for metric in [Metric.flip, .probability] {
            #expect(throws: QueryError.self) {
                try SDPDeviation.compute(original: network, compressed: pruned, region: Self.box(2), metric: metric, tau: nil, timeLimit: 10)
            }
        }
    }
}
