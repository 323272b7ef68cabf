import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Testing
import TestSupport
@testable import SDPBounds

/// The size of an SDP is known before it is built, and one over the limits is
/// refused with its estimate while the box keeps a sound bound.
@Suite(.serialized) struct SDPCostTests {
    @Test("the entry count known before a product is built is the count the built matrix has")
    func entryCountMatchesTheBuiltMatrix() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<300 {
            func form() -> AffineForm {
                var f = AffineForm(dimension: Int.random(in: 1...12, using: &rng))
                for i in f.coefficients.indices where Bool.random(using: &rng) {
                    f.coefficients[i] = Interval(Double(Int.random(in: -3...3, using: &rng)))
                }
                return f
            }
            let (a, b) = (form(), form())
            var matrix = SymmetricEntries()
            matrix.addProduct(a, b)
            #expect(SymmetricEntries.count(a, b) == matrix.values.count)
        }
    }

    @Test("an encoding's cost counts its own constraints and entries")
    func encodingCostIsItsSize() throws {
        let f = TestNetworks.random(sizes: [2, 6, 6, 2], hidden: .relu, output: .logits, seed: 8)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        for pairs in NeuronPairs.allCases {
            let query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: pairs, boxes: 1)
            let box = [Interval(-1, 1), Interval(-1, 1)]
            let ranges = SDPErrorBound.boundsModuleRanges(query, box: box, analysis: SDPErrorBound.differentialAnalysis(query))
            let encoding = try SDPErrorBound.encode(query, box: box, ranges: ranges)
            #expect(encoding.cost.order == encoding.dimension)
            #expect(encoding.cost.constraints == encoding.constraints.count)
            #expect(encoding.cost.entries == encoding.constraints.reduce(0) { $0 + $1.entries.count })
            #expect(encoding.cost.bytes > 0 && encoding.cost.seconds > 0)
        }
    }

    @Test("auto pairs: full on a box with few unstable ReLUs, diagonal on one with many, and the report says which")
    func automaticPairs() throws {
        let box = [Interval(-1, 1), Interval(-1, 1)]
        func encodings(_ sizes: [Int], seed: UInt64) throws -> [NeuronPairs: PairEncoding] {
            let f = TestNetworks.random(sizes: sizes, hidden: .relu, output: .logits, seed: seed)
            let g = try FixedPoint(fractionalBits: 4).apply(to: f)
            var result: [NeuronPairs: PairEncoding] = [:]
            for pairs in NeuronPairs.allCases {
                let query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: pairs, boxes: 1)
                let ranges = SDPErrorBound.boundsModuleRanges(query, box: box, analysis: SDPErrorBound.differentialAnalysis(query))
                result[pairs] = try? SDPErrorBound.encode(query, box: box, ranges: ranges)
            }
            return result
        }
        let small = try encodings([2, 6, 6, 2], seed: 8)
        let smallAuto = try #require(small[.auto]), smallFull = try #require(small[.full])
        #expect(smallAuto.unstableCount * (smallAuto.unstableCount - 1) / 2 <= PairEncoding.largestAutomaticPairCount)
        #expect(smallAuto.pairs == .full && smallAuto.pairConstraintCount == smallFull.pairConstraintCount)
        let large = try encodings([2, 40, 40, 1], seed: 9)
        let largeAuto = try #require(large[.auto]), largeDiagonal = try #require(large[.diagonal])
        #expect(largeAuto.unstableCount * (largeAuto.unstableCount - 1) / 2 > PairEncoding.largestAutomaticPairCount,
                "\(largeAuto.unstableCount) unstable ReLUs: the case checks nothing")
        #expect(largeAuto.pairs == .diagonal && largeAuto.pairConstraintCount == largeDiagonal.pairConstraintCount)
    }

    @Test("over the memory limit: no SDP, the bound propagation's bound (above every sampled error), the estimate in a note")
    func memoryLimitRefuses() throws {
        let (f, g) = try SDPTrustTests.scaledPair(1)
        var query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: .full, boxes: 2,
                             memoryLimit: 1000)
        let refused = try SDPErrorBound.compute(query)
        #expect(refused.stoppedByLimit)
        #expect(refused.squaredNorm.boxes.allSatisfy { $0.refusal != nil && $0.solverValue == nil && $0.problem == nil })
        // Each half keeps its own bound propagation's bound; the answer is the larger.
        #expect(refused.squaredNorm.boxes.count == 2)
        #expect(refused.squaredNorm.certified == refused.squaredNorm.boxes.map(\.intervalBound).max())
        #expect(refused.squaredNorm.certified <= refused.squaredNorm.wholeBox.intervalBound)
        let note = try #require(refused.notes.first { $0.hasPrefix("CSDP was not run") })
        #expect(note.contains("memory limit of 1 kB") && note.contains("matrix entries"), "\(note)")
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            let x = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng)].map { Rational(exactly: $0)! }
            let d = g.exactLogits(at: x)[0] - f.exactLogits(at: x)[0]
            #expect(d * d <= Rational(exactly: refused.squaredNorm.certified)!)
        }
        // With room, the same question is solved, and its bound is no looser.
        query.memoryLimit = 1e9
        let solved = try SDPErrorBound.compute(query)
        #expect(!solved.stoppedByLimit && solved.notes.allSatisfy { !$0.hasPrefix("CSDP was not run") })
        #expect(solved.squaredNorm.certified <= refused.squaredNorm.certified)
        #expect(solved.squaredNorm.wholeBox.cost == refused.squaredNorm.wholeBox.cost)
    }

    @Test("the time left is compared with the estimate, with a margin for a rough estimate")
    func timeLimitRefusesOnlyClearOverruns() {
        let cost = SDPCost(order: 300, constraints: 2000, entries: 400_000)
        let now = Date()
        let expected = cost.seconds
        #expect(expected > 1)
        #expect(SDPLimits(deadline: now.addingTimeInterval(expected)).refusal(cost, now: now) == nil)
        #expect(SDPLimits(deadline: now.addingTimeInterval(expected / SDPLimits.timeMargin * 1.01)).refusal(cost, now: now) == nil)
        let refusal = SDPLimits(deadline: now.addingTimeInterval(expected / SDPLimits.timeMargin / 1.01)).refusal(cost, now: now)
        #expect(refusal?.contains("left before the time limit") == true)
        #expect(SDPLimits(bytes: cost.bytes * 1.01).refusal(cost, now: now) == nil)
        #expect(SDPLimits(bytes: cost.bytes / 1.01).refusal(cost, now: now)?.contains("memory limit") == true)
        #expect(SDPLimits().refusal(cost, now: now) == nil)
    }

    @Test("a box that is to be split takes at most its share of the time left: 1/boxes, at least 1/256")
    func boxShare() {
        #expect(SDPLimits.boxShare(boxes: 16) == 1.0 / 16)
        #expect(SDPLimits.boxShare(boxes: 100_000) == 1.0 / 256)
        let cost = SDPCost(order: 300, constraints: 2000, entries: 400_000)
        let now = Date()
        let share = 1.0 / 16
        let fits = SDPLimits(deadline: now.addingTimeInterval(cost.seconds / share * 1.01), share: share)
        #expect(fits.refusal(cost, now: now) == nil)
        let over = SDPLimits(deadline: now.addingTimeInterval(cost.seconds / share / 1.01), share: share)
        #expect(over.refusal(cost, now: now)?.contains("one box's share (1/16)") == true)
        // Without a share the same time left is plenty.
        #expect(SDPLimits(deadline: now.addingTimeInterval(cost.seconds / share / 1.01)).refusal(cost, now: now) == nil)
    }

    @Test("a box is halved along the input its unstable ReLUs depend on most, or else the relatively widest")
    func splitInput() throws {
        let whole = [Interval(0, 4), Interval(0, 1)]
        let byWidth = try #require(SDPErrorBound.split(whole, whole: whole))
        #expect(byWidth[0] == [Interval(0, 4), Interval(0, 0.5)] || byWidth[0] == [Interval(0, 2), Interval(0, 1)])
        let along = try #require(SDPErrorBound.split([Interval(0, 4), Interval(0, 1)], whole: whole, along: 1))
        #expect(along == [[Interval(0, 4), Interval(0, 0.5)], [Interval(0, 4), Interval(0.5, 1)]])
        // An input too narrow to halve falls back to the relatively widest.
        let narrow = [Interval(0, 4), Interval(1, 1)]
        #expect(try #require(SDPErrorBound.split(narrow, whole: whole, along: 1)) == [[Interval(0, 2), Interval(1, 1)], [Interval(2, 4), Interval(1, 1)]])
        // The smear of a pair whose only unstable ReLU reads input 1 points there.
        let f = try Network(inputSize: 2, layers: [
            DenseLayer(weights: [[0, 1]], biases: [-0.5], activation: .relu),
            DenseLayer(weights: [[1]], biases: [0], activation: .identity),
        ])
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        let query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: .diagonal, boxes: 4)
        let ranges = SDPErrorBound.boundsModuleRanges(query, box: [Interval(0, 1), Interval(0, 1)],
                                                      analysis: SDPErrorBound.differentialAnalysis(query))
        #expect(ranges.splitInput == 1)
    }
}
