import NeuralNetwork
import TestSupport
import Testing
@testable import Compression

/// Magnitude pruning against hand-worked cases: ranking, ties, scope, biases.
@Suite("Magnitude pruning")
struct MagnitudePruningTests {
    /// Two layers: 3 → 2 (weights 3, −1, 0.5 / −0.5, 2, 0) and 2 → 1 (weights 0.25, −4).
    static func network() throws -> Network {
        try Network(inputSize: 3, layers: [
            DenseLayer(weights: [[3, -1, 0.5], [-0.5, 2, 0]], biases: [0.1, -0.2], activation: .relu),
            DenseLayer(weights: [[0.25, -4]], biases: [0.05], activation: .identity),
        ], output: .sigmoid)
    }

    @Test("globally: the ⌊s·n⌋ smallest magnitudes, ties by position, the zero already there counted")
    func global() throws {
        let outcome = try MagnitudePruning(sparsity: 0.5).apply(to: try Self.network())
        // 8 weights → 4: 0, then 0.25, then 0.5 at (0, 0, 2) before −0.5 at (0, 1, 0).
        #expect(outcome.network.layers[0].weights == [[3, -1, 0], [0, 2, 0]])
        #expect(outcome.network.layers[1].weights == [[0, -4]])
        #expect(outcome.network.layers.map(\.biases) == [[0.1, -0.2], [0.05]])
        #expect(outcome.pruned == 3 && outcome.zeros == 4 && outcome.candidates == 8 && outcome.reached == 0.5)
        // 3/8 of 8 is 3: the tie at 0.5 goes to the earlier row.
        let three = try MagnitudePruning(sparsity: 0.375).apply(to: try Self.network())
        #expect(three.network.layers[0].weights == [[3, -1, 0], [-0.5, 2, 0]] && three.network.layers[1].weights == [[0, -4]])
        // Never more than asked: ⌊0.49 · 8⌋ = 3.
        #expect(try MagnitudePruning(sparsity: 0.49).apply(to: try Self.network()).zeros == 3)
    }

    @Test("per layer, and with the biases ranked among the weights")
    func perLayerAndBiases() throws {
        let perLayer = try MagnitudePruning(sparsity: 0.5, perLayer: true).apply(to: try Self.network())
        // Layer 0: 6 → 3 (0, 0.5, −0.5); layer 1: 2 → 1 (0.25).
        #expect(perLayer.network.layers[0].weights == [[3, -1, 0], [0, 2, 0]])
        #expect(perLayer.network.layers[1].weights == [[0, -4]])
        let withBiases = try MagnitudePruning(sparsity: 0.5, includesBiases: true).apply(to: try Self.network())
        // 11 candidates → 5: 0, 0.05, 0.1, −0.2, 0.25.
        #expect(withBiases.candidates == 11 && withBiases.zeros == 5)
        #expect(withBiases.network.layers.map(\.biases) == [[0, 0], [0]])
        #expect(withBiases.network.layers[1].weights == [[0, -4]] && withBiases.network.layers[0].weights[0][2] == 0.5)
    }

    @Test("sparsity 0 gives the network bit for bit, 1 removes every weight, and outside [0, 1] is one error")
    func edges() throws {
        let network = try Self.network()
        #expect(try MagnitudePruning(sparsity: 0).apply(to: network).network == network)
        let random = TestNetworks.random(sizes: [4, 7, 3], hidden: .relu, output: .softmax, seed: 9)
        #expect(try MagnitudePruning(sparsity: 0, perLayer: true, includesBiases: true).apply(to: random).network == random)
        let all = try MagnitudePruning(sparsity: 1).apply(to: random)
        #expect(all.network.layers.allSatisfy { $0.weights.joined().allSatisfy { $0 == 0 } } && all.reached == 1)
        #expect(throws: CompressionError.self) { try MagnitudePruning(sparsity: -0.1) }
        #expect(throws: CompressionError.self) { try MagnitudePruning(sparsity: 1.5) }
        #expect(throws: CompressionError.self) { try MagnitudePruning(sparsity: .nan) }
    }
}
