import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Testing
import Z3Kit
@testable import Robustness

/// The exact Z3 encoding of a network's integer arithmetic (QF_LIRA): it is the
/// exact evaluator as a function (at points chosen on rounding ties and past the
/// clamps, the only model is the evaluator's value), and it closes global boxes
/// of a 3-input QDQ pair whose answer lies above a dense exact grid.
@Suite("Exact encoding of integer arithmetic", .serialized)
struct QuantizedEncodingTests {
    /// A 2- or 3-input ReLU network with int8 quantizers on the input (scale 1/8), on one
    /// layer's product, on its pre-activations and on the outputs, and a uint8 ReLU output.
    static func quantized(inputs: Int) throws -> QuantizedNetwork {
        /// Weights in {−0.75, −0.375, 0, 0.375, 0.75}, different per neuron and input.
        func weight(_ k: Int, _ i: Int) -> Double {
            let step: Int = (k + 2 * i) % 5 - 2
            return Double(step) * 0.375
        }
        let hidden: [[Double]] = (0..<3).map { k in (0..<inputs).map { i in weight(k, i) } }
        let network = try Network(inputSize: inputs, layers: [
            DenseLayer(weights: hidden, biases: [0.25, -0.125, 0.0625], activation: .relu),
            DenseLayer(weights: [[0.5, -1.25, 0.75]], biases: [0.1875], activation: .identity),
        ], output: .sigmoid)
        return QuantizedNetwork(network: network, quantizers: [
            .input: Quantizer(scale: Rational(1, 8), zeroPoint: 0, lowest: -128, highest: 127),
            .product(0): Quantizer(scale: Rational(3, 32), zeroPoint: 3, lowest: -128, highest: 127),
            .preActivation(0): Quantizer(scale: Rational(1, 16), zeroPoint: -2, lowest: -8, highest: 9),
            .output(0): Quantizer(scale: Rational(1, 10), zeroPoint: 0, lowest: 0, highest: 255),
            .output(1): Quantizer(scale: Rational(1, 20), zeroPoint: 1, lowest: -128, highest: 127),
        ])
    }

    @Test("at points on rounding ties, past the clamps and in between, the encoding's only value is the exact evaluator's")
    func encodingIsTheEvaluator() throws {
        let g = try Self.quantized(inputs: 2)
        // Ties of the input quantizer (odd multiples of 1/16), a clamped input (±40), and plain points.
        let points: [[Rational]] = [[Rational(1, 16), Rational(3, 16)], [Rational(-5, 16), Rational(7, 16)], [Rational(40), Rational(-40)],
                                    [Rational(1, 3), Rational(-2, 7)], [.zero, .zero], [Rational(9, 16), Rational(-9, 16)],
                                    [Rational(-17, 5), Rational(11, 4)], [Rational(5, 4), Rational(1, 2)]]
        for x in points {
            let z3 = try Context()
            var constraints: [Term] = []
            var inputs: [Node] = []
            for (i, value) in x.enumerated() {
                let v = try z3.realVariable("x_\(i)")
                constraints.append(try v == z3.real(value))
                inputs.append(.term(v))
            }
            // The encoding is asked over a wide box (so that every quantizer is symbolic) and pinned to x.
            let wide = x.map { (lower: $0 - Rational(50), upper: $0 + Rational(50)) }
            let outputs = try QuantizedEncoding.encode(g, inputs: inputs, box: wide, z3: z3, constraints: &constraints)
            let expected = g.exactLogits(normalizedInput: x)
            let solver = try Solver(context: z3)
            for c in constraints { try solver.assert(c) }
            #expect(try solver.check() == .sat)
            let value = try outputs[0].value(in: try solver.model())
            #expect(value == expected[0], "at \(x.map(\.approximateDouble)): encoding \(value.approximateDouble), evaluator \(expected[0].approximateDouble)")
            // No other value is possible.
            try solver.assert(try outputs[0].term(z3) != z3.real(expected[0]))
            #expect(try solver.check() == .unsat, "at \(x.map(\.approximateDouble)) the encoding admits another value")
        }
    }

    @Test("a 3-input QDQ pair over [−1, 1]³ (4,096 input cells), Z3 closing boxes: the certified logit deviation (to 0.1) lies above a 17³ exact grid and its witness replays")
    func globalAgainstGrid() async throws {
        let g = try Self.quantized(inputs: 3)
        let region = InputRegion(lower: Array(repeating: Rational(-1), count: 3), upper: Array(repeating: .one, count: 3))
        let result = try await GlobalRobustness.check(GlobalQuery(network: g.network, compression: .quantized(g), region: region,
                                                                  metric: .logit, tolerance: Rational(1, 10), timeLimit: 120, jobs: 2))
        #expect(result.reason == nil, "\(result.reason ?? "")")
        #expect(result.statistics.exactBoxes > 0, "Z3 should close some boxes")
        var grid = Rational.zero
        for a in 0...16 {
            for b in 0...16 {
                for c in 0...16 {
                    let x = [Rational(a - 8, 8), Rational(b - 8, 8), Rational(c - 8, 8)]
                    let d = (g.exactLogits(normalizedInput: x)[0] - g.network.exactLogits(at: x)[0]).magnitude
                    grid = Rational.max(grid, d)
                }
            }
        }
        #expect(grid <= result.deviation.upper, "grid \(grid.approximateDouble) above the bound \(result.deviation.upper.approximateDouble)")
        let witness = try #require(result.witness)
        #expect(g.exactLogits(at: witness.input) == witness.compressedLogits)
        #expect((witness.compressedLogits[0] - witness.originalLogits[0]).magnitude == result.deviation.lower)
    }
}
