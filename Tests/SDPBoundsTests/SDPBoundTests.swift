import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Compression
import Testing
import TestSupport
@testable import SDPBounds

/// The SDP bound against answers known independently: the exact SMT maximum
/// and sampling (docs/semantics.md §3: sampled ≤ SMT exact ≤ SDP), Li et al.'s
/// networks and their reference numbers, and validation.
@Suite(.serialized) struct SDPBoundTests {
    /// A random 2-input ReLU pair: a network and its 3-bit rounding.
    static func pair(seed: UInt64, sizes: [Int] = [2, 5, 5, 1]) throws -> (Network, Network) {
        let f = TestNetworks.random(sizes: sizes, hidden: .relu, output: .logits, seed: seed)
        return (f, try FixedPoint(fractionalBits: 3, rounding: .nearest).apply(to: f))
    }

    static let unitBox = InputRegion(lower: [Rational(-1), Rational(-1)], upper: [Rational(1), Rational(1)])

    @Test(arguments: [(UInt64(11), NeuronPairs.full, 1), (12, .diagonal, 1), (13, .full, 4), (14, .diagonal, 8)])
    func sdpBoundIsAboveTheExactMaximumWhichIsAboveSampling(_ seed: UInt64, _ pairs: NeuronPairs, _ boxes: Int) async throws {
        let (f, g) = try Self.pair(seed: seed)
        let query = SDPQuery(original: f, compressed: g, region: Self.unitBox, pairs: pairs, boxes: boxes)
        let check = try await CrossCheck.run(query, samples: 5_000, timeLimit: 60)
        #expect(check.smtReason == nil, "the SMT search should finish on a 2-5-5-1 pair")
        #expect(check.sampled <= check.smtUpper, "sampled \(check.sampled) above the exact maximum \(check.smtUpper)")
        #expect(check.smtLower <= check.sdp, "exact maximum \(check.smtLower) above the SDP bound \(check.sdp)")
        #expect(check.sampled > 0, "rounding to 3 bits changes the output somewhere")
    }

    /// With input quantisation the compressed network sees x + t, |t| ≤ c:
    /// the three answers still line up, and the bound grows with c.
    @Test func inputQuantizationKeepsTheOrderAndWidensTheBound() async throws {
        let (f, g) = try Self.pair(seed: 21)
        var query = SDPQuery(original: f, compressed: g, region: Self.unitBox, inputQuantization: Rational(1, 8), boxes: 4)
        let check = try await CrossCheck.run(query, samples: 5_000, timeLimit: 60)
        #expect(check.sampled <= check.smtUpper && check.smtLower <= check.sdp, "\(check)")
        query.inputQuantization = .zero
        let same = try SDPErrorBound.compute(query)
        #expect(same.squaredNorm.certified <= check.sdpResult.squaredNorm.certified)
    }

    /// Two outputs: each output's bound is above every sampled squared
    /// difference of that output, and the norm's above the sampled norm.
    @Test func perOutputBoundsCoverSampledDifferences() throws {
        let f = TestNetworks.random(sizes: [2, 4, 4, 2], hidden: .relu, output: .logits, seed: 31)
        let g = try FixedPoint(fractionalBits: 2, rounding: .truncate).apply(to: f)
        let result = try SDPErrorBound.compute(SDPQuery(original: f, compressed: g, region: Self.unitBox, boxes: 2))
        #expect(result.perOutput.count == 2)
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<3_000 {
            let x = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng)]
            let d = zip(g.logits(at: x), f.logits(at: x)).map { $0 - $1 }
            for i in 0..<2 { #expect(d[i] * d[i] <= result.perOutput[i].certified) }
            #expect(d[0] * d[0] + d[1] * d[1] <= result.squaredNorm.certified)
        }
    }

    @Test func questionsWithoutMeaningAreRejected() throws {
        let (f, g) = try Self.pair(seed: 41)
        let other = TestNetworks.random(sizes: [3, 2, 1], hidden: .relu, output: .logits, seed: 1)
        let cases: [(SDPQuery, String)] = [
            (SDPQuery(original: f, compressed: g, region: InputRegion(lower: [.zero], upper: [Rational(1)])), "the box has 1 intervals"),
            (SDPQuery(original: f, compressed: g, region: InputRegion(lower: [Rational(1), .zero], upper: [.zero, .zero])), "the box is empty"),
            (SDPQuery(original: f, compressed: g, region: Self.unitBox, inputQuantization: Rational(-1, 2)), "≥ 0"),
            (SDPQuery(original: f, compressed: g, region: Self.unitBox, boxes: 0), "at least 1"),
            (SDPQuery(original: f, compressed: other, region: Self.unitBox), "maps 3 inputs"),
        ]
        for (query, message) in cases {
            #expect { try SDPErrorBound.compute(query) } throws: { ($0 as? QueryError)?.message.contains(message) == true }
        }
    }

    /// Li, Drummond and Duncan's networks (../shared/networks/li2021): their
    /// SDP certifies 53.8 for the quantised pair with quantised input, 13.46
    /// for the pruned pair; a 20001-point grid reaches 11.82 and 4.82.
    static let li2021 = packageRoot.appendingPathComponent("../shared/networks/li2021").standardized.path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: SDPBoundTests.li2021), "needs ../shared/networks/li2021"))
    func li2021ReferenceNumbers() throws {
        let folder = Self.li2021
        func bound(_ a: String, _ b: String, c: Rational, boxes: Int) throws -> SDPBound {
            try SDPErrorBound.compute(SDPQuery(
                original: try NetworkFile.load("\(folder)/\(a).nnet"), compressed: try NetworkFile.load("\(folder)/\(b).nnet"),
                region: InputRegion(lower: [Rational(-1)], upper: [Rational(1)]), inputQuantization: c, pairs: .full,
                boxes: boxes)).squaredNorm
        }
        let quantized = try bound("quant_original", "quant_q2", c: Rational(1, 4), boxes: 16)
        #expect(quantized.wholeBox.certified <= 53.8 && quantized.wholeBox.certified >= 11.82)
        #expect(quantized.certified <= 2 * 14.46 && quantized.certified >= 14.46, "within 2× of the worst case (14.46 on a grid of x and shifts)")
        let pruned = try bound("prune_original", "prune_pruned", c: .zero, boxes: 16)
        #expect(pruned.wholeBox.certified <= 13.46 && pruned.wholeBox.certified >= 4.82)
        #expect(pruned.certified <= 2 * 4.82 && pruned.certified >= 4.8167)
    }
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
