import Bounds
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Compression
import Testing
import TestSupport
@testable import SDPBounds

/// The SDP never certifies from non-finite numbers, and a solve stopped at
/// the time limit falls back to the bound propagation's bound, which still
/// holds (checked against sampling).
@Suite(.serialized) struct SDPTrustTests {
    static let unitBox = InputRegion(lower: [Rational(-1), Rational(-1)], upper: [Rational(1), Rational(1)])

    /// The pair of a network whose weights are all scaled by `scale`, and its 4-bit rounding.
    static func scaledPair(_ scale: Double) throws -> (Network, Network) {
        let f = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: .relu, output: .logits, seed: 7)
        let scaled = try f.withLayers(f.layers.map { layer in
            DenseLayer(weights: layer.weights.map { $0.map { $0 * scale } }, biases: layer.biases.map { $0 * scale },
                       activation: layer.activation)
        })
        return (scaled, try FixedPoint(fractionalBits: 4).apply(to: scaled))
    }

    @Test("weights scaled by 1e100 or more: an error, never a certificate (once '≤ 0 certified' from NaN)",
          arguments: [1e100, 1e120, 1e200])
    func hugeWeightsAreRefused(_ scale: Double) throws {
        let (f, g) = try Self.scaledPair(scale)
        #expect(throws: QueryError.self) {
            _ = try SDPErrorBound.compute(SDPQuery(original: f, compressed: g, region: Self.unitBox, boxes: 1))
        }
    }

    @Test("an input quantisation of 1e308 is refused; 1/4 gives a bound above the one without it")
    func hugeInputQuantizationIsRefused() throws {
        let (f, g) = try Self.scaledPair(1)
        var query = SDPQuery(original: f, compressed: g, region: Self.unitBox, inputQuantization: Rational(parsing: "1e308")!,
                             pairs: .diagonal, boxes: 1)
        #expect(throws: QueryError.self) { _ = try SDPErrorBound.compute(query) }
        query.inputQuantization = Rational(1, 4)
        let shifted = try SDPErrorBound.compute(query).squaredNorm.certified
        query.inputQuantization = .zero
        let same = try SDPErrorBound.compute(query).squaredNorm.certified
        #expect(same.isFinite && shifted.isFinite && same <= shifted)
    }

    @Test("a deadline already past: the bound propagation's bound, marked as stopped, above every sampled error")
    func pastDeadline() throws {
        let (f, g) = try Self.scaledPair(1)
        let query = SDPQuery(original: f, compressed: g, region: Self.unitBox, pairs: .diagonal, boxes: 4)
        let box = query.region.normalized(by: nil).map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        let stopped = try SDPErrorBound.branchAndBound(query, box: box, outputs: [0], deadline: Date.distantPast) { _, _ in }
        #expect(stopped.stoppedByLimit)
        #expect(stopped.wholeBox.status == .timeLimit && stopped.wholeBox.solverValue == nil)
        #expect(stopped.certified == stopped.wholeBox.intervalBound)
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<2_000 {
            let x = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng)].map { Rational(exactly: $0)! }
            let d = g.exactLogits(at: x)[0] - f.exactLogits(at: x)[0]
            #expect(d * d <= Rational(exactly: stopped.certified)!)
        }
        let solved = try SDPErrorBound.compute(query)
        #expect(!solved.stoppedByLimit && solved.squaredNorm.certified <= stopped.certified)
    }

    @Test("the norm and every output share one encoding per box: each output's bound equals its own search's")
    func sharedEncodings() throws {
        let f = TestNetworks.random(sizes: [2, 6, 6, 2], hidden: .relu, output: .logits, seed: 8)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        let query = SDPQuery(original: f, compressed: g, region: Self.unitBox, pairs: .diagonal, boxes: 4)
        let shared = try SDPErrorBound.compute(query)
        let box = query.region.normalized(by: nil).map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        for (i, bound) in shared.perOutput.enumerated() {
            let alone = try SDPErrorBound.branchAndBound(query, box: box, outputs: [i], deadline: nil) { _, _ in }
            #expect(bound.certified == alone.certified, "output \(i + 1)")
        }
        #expect(shared.perOutput.count == 2)
    }
}
