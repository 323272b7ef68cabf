import BigInt
import ExactArithmetic
import Testing
import TestSupport
@testable import NeuralNetwork

/// The exact forward pass straight from binary64 weights against the one
/// through rational weights (``ExactLayer``): equal, value for value.
@Suite("Exact evaluation")
struct ExactEvaluationTests {
    @Test("binary64 weights as odd·2^e give the rational pass's logits exactly, on random networks and inputs",
          arguments: [UInt64(1), 2, 3, 4])
    func sameAsRationalWeights(_ seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for hidden in [Activation.relu, .identity] {
            let random = TestNetworks.random(sizes: [3, 7, 5, 2], hidden: hidden, output: .logits, seed: seed)
            // Weights across the whole exponent range: tiny, subnormal, huge, integers, zeros.
            let specials: [Double] = [.leastNonzeroMagnitude, -2.2250738585072014e-308, 1e-300, 3e250, -4, 0, 0.1, -1.0 / 3]
            let layers = random.layers.enumerated().map { l, layer in
                var weights = layer.weights, biases = layer.biases
                weights[0][0] = specials[(Int(seed) + l) % specials.count]
                biases[biases.count - 1] = specials[(Int(seed) + l + 3) % specials.count]
                return DenseLayer(weights: weights, biases: biases, activation: layer.activation)
            }
            let network = try Network(inputSize: 3, layers: layers, output: .logits)
            for _ in 0..<20 {
                // Dyadic inputs (as witnesses are) and others (1/3, 2/7, …).
                let x = (0..<3).map { _ in
                    Bool.random(using: &rng) ? Rational(exactly: Double.random(in: -2...2, using: &rng))!
                        : Rational(BigInt(Int.random(in: -50...50, using: &rng)), BigInt(Int.random(in: 1...30, using: &rng)))
                }
                #expect(network.exactLogits(normalizedInput: x) == Network.exactLogits(layers: network.exactLayers, normalizedInput: x))
            }
        }
    }

    @Test("odd·2^e, worked by hand")
    func oddTimesPowerOfTwo() {
        #expect(DenseLayer.oddTimesPowerOfTwo(12) == (3, 2))
        #expect(DenseLayer.oddTimesPowerOfTwo(-0.375) == (-3, -3))
        #expect(DenseLayer.oddTimesPowerOfTwo(Double.leastNonzeroMagnitude) == (1, -1074))
        #expect(DenseLayer.oddTimesPowerOfTwo(0) == (0, 0))
        #expect(DenseLayer.oddTimesPowerOfTwo(Double.greatestFiniteMagnitude) == (Int64(1) << 53 - 1, 971))
    }
}
