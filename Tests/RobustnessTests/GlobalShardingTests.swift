import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import TestSupport
import Testing
@testable import Robustness

/// Global queries split into shards (`--shard i/n`) and merged: the merged
/// answer against one process's and against a brute-force grid, the cut
/// against the box it must tile, and the merge's refusals.
@Suite("Global queries in shards", .serialized)
struct GlobalShardingTests {
    /// Runs every shard of `query` and returns their answers as a merge reads them.
    static func shardAnswers(_ query: GlobalQuery, count: Int, skipping skipped: Set<Int> = []) async throws -> [GlobalShardAnswer] {
        var answers: [GlobalShardAnswer] = []
        for index in 0..<count where !skipped.contains(index) {
            var shard = query
            shard.shard = try Shard(index: index, count: count)
            let result = try await GlobalRobustness.check(shard)
            let parts = try #require(result.shardParts)
            answers.append(GlobalShardAnswer(shard: try Shard(index: index, count: count), verdict: result.verdict,
                                             upper: result.deviation.upper, witnessInput: result.witness?.input,
                                             witnessParameters: result.witness?.parameters, reason: result.reason,
                                             seconds: result.seconds, statistics: result.statistics, parts: parts))
        }
        return answers
    }

    @Test("merged shards pin the grid maximum like one process, for 1 to 5 shards",
          arguments: [([2, 6, 6, 1], UInt64(3), Metric.logit), ([2, 5, 5, 1], 4, .probability), ([1, 8, 8, 1], 1, .logit)])
    func mergedAgainstGrid(_ sizes: [Int], _ seed: UInt64, _ metric: Metric) async throws {
        let f = TestNetworks.random(sizes: sizes, hidden: .relu, output: .sigmoid, seed: seed)
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        let box: [ClosedRange<Double>] = sizes[0] == 1 ? [-1...1] : [-1...1, -0.5...1]
        let tolerance = 1e-4
        let query = GlobalQuery(network: f, compression: .concrete(g), region: GlobalTests.region(box), metric: metric,
                                tolerance: Rational(exactly: tolerance)!)
        let grid = GlobalTests.gridMaximum(f, g, box: box, steps: sizes[0] == 1 ? 4000 : 300,
                                           metric: BoxMetric(metric: metric, output: .sigmoid))
        let single = try await GlobalRobustness.check(query)
        for count in 1...5 {
            let merged = try GlobalRobustness.merge(query, shards: count, answers: try await Self.shardAnswers(query, count: count))
            let lower = merged.deviation.lower.approximateDouble, upper = merged.deviation.upper.approximateDouble
            #expect(grid <= upper + 1e-12, "\(count) shards: grid maximum \(grid) above the merged bound \(upper)")
            #expect(lower >= grid - tolerance - 1e-12, "\(count) shards: lower \(lower) not within the tolerance of \(grid)")
            #expect(upper - lower <= tolerance)
            // Both intervals are certified, so each lower end is at most the other's upper end.
            #expect(!(single.deviation.upper < merged.deviation.lower) && !(merged.deviation.upper < single.deviation.lower))
            #expect(merged.reason == nil)
            GlobalTests.expectReplays(merged, f, g, GlobalTests.region(box))
        }
    }

    @Test("the cut tiles the box: parts inside it, pairwise disjoint, areas summing to its area, each owned once")
    func cutTilesTheBox() async throws {
        let f = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: .relu, output: .sigmoid, seed: 11)
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        let query = GlobalQuery(network: f, compression: .concrete(g), region: GlobalTests.region([-1...1, -0.5...1]), metric: .logit)
        for count in [1, 3, 7] {
            let setup = GlobalRobustness.SearchSetup(query)
            var statistics = GlobalStatistics()
            let (root, candidate, _) = setup.bounder.bound(setup.box, depth: 0, statistics: &statistics)
            let cut = ShardPartition(root: root, candidate: candidate, bounder: setup.bounder, shards: count, threshold: nil,
                                     tolerance: 1e-4, statistics: &statistics)
            let parts = (0..<count).flatMap { cut.boxes(of: $0) }
            #expect(parts.count == count * ShardPartition.partsPerShard)
            func area(_ box: [Interval]) -> Rational {
                box.reduce(Rational.one) { $0 * (Rational(exactly: $1.upper)! - Rational(exactly: $1.lower)!) }
            }
            #expect(parts.reduce(Rational.zero) { $0 + area($1.box) } == area(setup.box))
            for (n, part) in parts.enumerated() {
                #expect(zip(part.box, setup.box).allSatisfy { $0.lower >= $1.lower && $0.upper <= $1.upper })
                for other in parts[(n + 1)...] {
                    let overlaps = zip(part.box, other.box).allSatisfy { max($0.lower, $1.lower) < min($0.upper, $1.upper) }
                    #expect(!overlaps, "two parts overlap")
                }
            }
            let owned = (0..<count).flatMap { cut.parts(of: try! Shard(index: $0, count: count)).owned }
            #expect(owned.sorted() == Array(0..<parts.count))
        }
    }

    @Test("with τ: a missing shard is named and the answer is unknown; a shard with other parts is refused")
    func missingAndForeignShards() async throws {
        let f = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: .relu, output: .sigmoid, seed: 3)
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        let region = GlobalTests.region([-1...1, -0.5...1])
        let measured = try await GlobalRobustness.check(GlobalQuery(network: f, compression: .concrete(g), region: region, metric: .logit))
        let query = GlobalQuery(network: f, compression: .concrete(g), region: region, metric: .logit,
                                tau: measured.deviation.upper * Rational(11, 10))
        let all = try await Self.shardAnswers(query, count: 4)
        #expect(try GlobalRobustness.merge(query, shards: 4, answers: all).verdict == .robust)

        let partial = try GlobalRobustness.merge(query, shards: 4, answers: all.filter { $0.shard.index != 2 })
        #expect(partial.verdict == .unknown)
        #expect(partial.reason?.contains("shard 2/4 is missing") == true)
        // The missing parts still count, with the cut's bounds: the upper end stays sound.
        #expect(!(partial.deviation.upper < measured.deviation.lower))

        var foreign = all
        foreign[1].parts.owned = all[2].parts.owned
        #expect(throws: QueryError.self) { try GlobalRobustness.merge(query, shards: 4, answers: foreign) }
        #expect(throws: QueryError.self) { try GlobalRobustness.merge(query, shards: 5, answers: all) }
        #expect(throws: QueryError.self) { try GlobalRobustness.merge(query, shards: 4, answers: all + [all[0]]) }
    }

    @Test("a witness is replayed again at the merge: the lower end is the exact deviation there, and one moved outside the box is refused")
    func witnessReplayedAtMerge() async throws {
        let f = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: .relu, output: .sigmoid, seed: 5)
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        let region = GlobalTests.region([-1...1, -0.5...1])
        let query = GlobalQuery(network: f, compression: .concrete(g), region: region, metric: .logit)
        var answers = try await Self.shardAnswers(query, count: 2)
        let merged = try GlobalRobustness.merge(query, shards: 2, answers: answers)
        let witness = try #require(merged.witness)
        // The merge's lower end is the networks' exact deviation at its witness.
        let exact = (f.exactLogits(at: witness.input)[0] - g.exactLogits(at: witness.input)[0])
        #expect(merged.deviation.lower == (exact.isNegative ? -exact : exact))

        let index = try #require(answers.firstIndex { $0.witnessInput != nil })
        answers[index].witnessInput = [Rational(2), Rational(0)]
        #expect(throws: QueryError.self) { try GlobalRobustness.merge(query, shards: 2, answers: answers) }
    }

    @Test("perturbation sets: shard witnesses keep their parameters, which the merge checks against Θ_Δ again")
    func perturbationSetShards() async throws {
        let f = TestNetworks.random(sizes: [2, 3, 3, 1], hidden: .relu, output: .sigmoid, seed: 7)
        let set = PerturbationSet.absolute(radius: 1.0 / 32)
        let query = GlobalQuery(network: f, compression: .perturbation(set), region: GlobalTests.region([-1...1, -1...1]),
                                metric: .logit, tolerance: Rational(1, 1000), timeLimit: 60)
        var answers = try await Self.shardAnswers(query, count: 3)
        let single = try await GlobalRobustness.check(query)
        let merged = try GlobalRobustness.merge(query, shards: 3, answers: answers)
        #expect(merged.deviation.upper - merged.deviation.lower <= Rational(1, 1000))
        #expect(!(single.deviation.upper < merged.deviation.lower) && !(merged.deviation.upper < single.deviation.lower))
        let parameters = try #require(merged.witness?.parameters)
        #expect(set.firstViolation(of: parameters, around: f) == nil)

        // Parameters moved outside Θ_Δ are not a witness: the merge refuses them.
        let index = try #require(answers.firstIndex { $0.witnessParameters != nil && $0.witnessInput != nil })
        answers[index].witnessParameters![0].biases[0] = answers[index].witnessParameters![0].biases[0] + Rational(1)
        #expect(throws: (any Error).self) { try GlobalRobustness.merge(query, shards: 3, answers: answers) }
    }
}
