import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Testing
@testable import Robustness

/// Global answers for networks that quantise their activations (QDQ models,
/// evaluated in their exact integer arithmetic): a hand-worked staircase, and
/// the scikit-learn moons pair against a dense grid of exact evaluations.
@Suite("Global robustness of integer arithmetic (QDQ models)")
struct GlobalQuantizedTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../NeuralNetworkTests/Fixtures/qdq").standardized.path

    /// f(x) = x against its input quantised with scale s, int8: g(x) = s·round(x/s) clamped to [−128 s, 127 s].
    static func staircase(scale: Rational = Rational(1, 4)) throws -> QuantizedNetwork {
        let identity = try Network(inputSize: 1, layers: [DenseLayer(weights: [[1]], biases: [0], activation: .identity)])
        return QuantizedNetwork(network: identity,
                                quantizers: [.input: Quantizer(scale: scale, zeroPoint: 0, lowest: -128, highest: 127)])
    }

    @Test("f(x) = x against round(4x)/4: the deviation peaks at 1/8 on the ties inside the range, and at x − 31.75 past its clamp",
          arguments: [(Rational(0), Rational(1), Rational(1, 8)),
                      (Rational(-3, 10), Rational(7, 10), Rational(1, 8)),
                      (Rational(0), Rational(40), Rational(33, 4))])
    func staircaseByHand(lower: Rational, upper: Rational, expected: Rational) async throws {
        let staircase = try Self.staircase()
        let query = GlobalQuery(network: staircase.network, compression: .quantized(staircase),
                                region: InputRegion(lower: [lower], upper: [upper]), metric: .logit,
                                tolerance: Rational(1, 10_000), timeLimit: 60)
        let result = try await GlobalRobustness.check(query)
        #expect(result.deviation.lower <= expected && expected <= result.deviation.upper,
                "[\(result.deviation.lower.approximateDouble), \(result.deviation.upper.approximateDouble)] misses \(expected.approximateDouble)")
        #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 10_000))
        let witness = try #require(result.witness)
        #expect(staircase.exactLogits(at: witness.input) == witness.compressedLogits)
    }

    @Test("a scale with no binary64 value (1/3) takes the exact-rational bounds: round(3x)/3 peaks at 1/6 on [0, 1]")
    func staircaseWithoutBinary64Scale() async throws {
        let staircase = try Self.staircase(scale: Rational(1, 3))
        let query = GlobalQuery(network: staircase.network, compression: .quantized(staircase),
                                region: InputRegion(lower: [.zero], upper: [.one]), metric: .logit,
                                tolerance: Rational(1, 10_000), timeLimit: 60)
        let result = try await GlobalRobustness.check(query)
        #expect(result.deviation.lower <= Rational(1, 6) && Rational(1, 6) <= result.deviation.upper)
        #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 10_000))
    }

    @Test("the moons pair (float against its int8 QDQ copies): certified to 1e-4 in both metrics; no point of a 61 × 61 grid, the copy evaluated exactly, exceeds the bound",
          arguments: ["sklearn_moons_qdq_per_tensor", "sklearn_moons_qdq_per_channel"])
    func moonsAgainstGrid(name: String) async throws {
        let original = try NetworkFile.load("\(Self.fixtures)/sklearn_moons.onnx")
        let quantized = try #require(try NetworkFile.open("\(Self.fixtures)/\(name).onnx").quantized)
        // The region the training data fills (its quantizers were calibrated on it).
        let (lows, highs) = ([Rational(-1), Rational(-1, 2)], [Rational(2), Rational(1)])
        var results: [Metric: GlobalResult] = [:]
        for metric in [Metric.logit, .probability] {
            let query = GlobalQuery(network: original, compression: try .quantized(quantized, comparedWith: original),
                                    region: InputRegion(lower: lows, upper: highs), metric: metric,
                                    tolerance: Rational(1, 10_000), timeLimit: 120)
            let result = try await GlobalRobustness.check(query)
            #expect(result.reason == nil)
            #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 10_000))
            let witness = try #require(result.witness)
            #expect(original.exactLogits(at: witness.input) == witness.originalLogits)
            #expect(quantized.exactLogits(at: witness.input) == witness.compressedLogits)
            results[metric] = result
        }
        // The float network in binary64 (its error is far below 1e-9), the integer one exactly. The
        // grid's maximum can lie well below the bound: the deviation peaks on the edges of the steps.
        let steps = 60
        for a in 0...steps {
            for b in 0...steps {
                let x = [lows[0] + (highs[0] - lows[0]) * Rational(a, steps), lows[1] + (highs[1] - lows[1]) * Rational(b, steps)]
                let z = original.logits(at: x.map(\.approximateDouble))[0]
                let zPrime = quantized.exactLogits(at: x)[0].approximateDouble
                let sigma = { (t: Double) in 1 / (1 + exp(-t)) }
                for (metric, value) in [(Metric.logit, abs(zPrime - z)), (.probability, abs(sigma(zPrime) - sigma(z)))] {
                    #expect(value <= results[metric]!.deviation.upper.approximateDouble + 1e-9,
                            "the grid point \(x.map(\.approximateDouble)) exceeds the \(metric) bound")
                }
            }
        }
    }

    @Test("flip over boxes of the moons pair (per tensor): robust only where no point of a 21 × 21 grid changes class, evaluated exactly; a witness changes class")
    func moonsFlip() async throws {
        let original = try NetworkFile.load("\(Self.fixtures)/sklearn_moons.onnx")
        let quantized = try #require(try NetworkFile.open("\(Self.fixtures)/sklearn_moons_qdq_per_tensor.onnx").quantized)
        var verdicts: [Verdict] = []
        for (lows, highs) in [([Rational(-1), Rational(1, 2)], [Rational(-1, 2), Rational(1)]), ([Rational(0), Rational(4, 5)], [Rational(1, 2), Rational(1)]),
                              ([Rational(-1), Rational(-1, 2)], [Rational(2), Rational(1)])] {
            let query = GlobalQuery(network: original, compression: try .quantized(quantized, comparedWith: original),
                                    region: InputRegion(lower: lows, upper: highs), metric: .flip, timeLimit: 60)
            let result = try await GlobalRobustness.check(query)
            let verdict = try #require(result.verdict)
            verdicts.append(verdict)
            if verdict == .notRobust {
                let x = try #require(result.witness?.input)
                #expect(original.exactLogits(at: x)[0].isPositive != quantized.exactLogits(at: x)[0].isPositive)
            }
            if verdict == .robust {
                for a in 0...20 {
                    for b in 0...20 {
                        let x = [lows[0] + (highs[0] - lows[0]) * Rational(a, 20), lows[1] + (highs[1] - lows[1]) * Rational(b, 20)]
                        #expect(original.exactLogits(at: x)[0].isPositive == quantized.exactLogits(at: x)[0].isPositive,
                                "robust, but \(x.map(\.approximateDouble)) changes class")
                    }
                }
            }
        }
        #expect(verdicts == [.robust, .robust, .notRobust])
    }
}
