import ExactArithmetic
import Foundation
import NeuralNetwork
import TestSupport
import Testing
@testable import Bounds

/// The binary64 enclosure of a QDQ model's integer arithmetic against its
/// exact evaluation at sampled points, and the Lemma-free pair bounds built on it.
@Suite("Enclosures of integer arithmetic (QDQ models)")
struct QuantizedEnclosureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../NeuralNetworkTests/Fixtures/qdq").standardized.path

    @Test("every exactly evaluated point of a box lies in its enclosure, on boxes within one, a few and many input cells",
          arguments: ["sklearn_moons_qdq_per_tensor", "sklearn_moons_qdq_per_channel"])
    func enclosesSampledPoints(name: String) throws {
        let network = try #require(try NetworkFile.open("\(Self.fixtures)/\(name).onnx").quantized)
        let enclosure = try #require(QuantizedEnclosure(network))
        let original = try NetworkFile.load("\(Self.fixtures)/sklearn_moons.onnx")
        let analysis = DifferentialAnalysis(original: original, compared: .quantized(network))
        var rng = SeededGenerator(seed: 14)
        for width in [0.004, 0.03, 0.5] {
            for _ in 0..<40 {
                let box = (0..<2).map { _ in
                    let low = Double.random(in: -2...2.5, using: &rng)
                    return Interval(low, low + width * Double.random(in: 0.1...1, using: &rng))
                }
                let ranges = enclosure.ranges(over: box)
                let pair = analysis.bounds(over: box)
                for _ in 0..<10 {
                    let x = box.map { Double.random(in: $0.lower...$0.upper, using: &rng) }
                    let exact = network.exactLogits(normalizedInput: x.map { Rational(exactly: $0)! })
                    let z = exact[0].approximateDouble
                    #expect(ranges.logits[0].lower <= z && z <= ranges.logits[0].upper, "\(x) escapes \(ranges.logits[0])")
                    // g − f at the point lies in the pair's difference range (f in binary64: far inside the slack).
                    let d = z - original.logits(normalizedInput: x)[0]
                    #expect(pair.differenceRange[0].lower - 1e-9 <= d && d <= pair.differenceRange[0].upper + 1e-9)
                }
            }
        }
    }

    @Test("a box inside one input cell has the exact logits of that cell as a point range")
    func oneCellIsExact() throws {
        let network = try #require(try NetworkFile.open("\(Self.fixtures)/sklearn_moons_qdq_per_tensor.onnx").quantized)
        let enclosure = try #require(QuantizedEnclosure(network))
        let s = try #require(network.quantizers[.input]).scale.approximateDouble
        // The cells of −0.2 and 0.5: a third of a step around their centres stays inside them.
        let centres = [(-0.2 / s).rounded() * s, (0.5 / s).rounded() * s]
        let ranges = enclosure.ranges(over: centres.map { Interval($0 - s / 3, $0 + s / 3) })
        let exact = network.exactLogits(normalizedInput: centres.map { Rational(exactly: $0)! })[0]
        #expect(ranges.logits[0] == Interval(exactly: exact))
    }
}
