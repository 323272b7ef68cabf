import Foundation
import NeuralNetwork
import TestSupport
import Testing
@testable import Compression

/// Coreset pruning: a fixed seed reproduces the file, the re-weighting is
/// unbiased (Monte Carlo at a fixed input), and the draw follows the sensitivities.
@Suite("Coreset pruning")
struct CoresetPruningTests {
    /// Bounds on |φ(u_j)| over [−1, 1]^n by plain interval arithmetic (the library takes them from the Bounds module).
    static func activationBounds(_ network: Network) -> [[Double]] {
        var ranges = Array(repeating: (-1.0, 1.0), count: network.inputSize)
        var result: [[Double]] = []
        for layer in network.layers.dropLast() {
            let pre = zip(layer.weights, layer.biases).map { row, b in
                zip(row, ranges).reduce((b, b)) { acc, term in
                    let (w, r) = term
                    return w >= 0 ? (acc.0 + w * r.0, acc.1 + w * r.1) : (acc.0 + w * r.1, acc.1 + w * r.0)
                }
            }
            ranges = pre.map { layer.activation == .relu ? (max(0, $0.0), max(0, $0.1)) : $0 }
            result.append(ranges.map { max(abs($0.0), abs($0.1)) * (1 + 1e-9) })
        }
        return result
    }

    @Test("a fixed seed gives the same network on every run; another seed another draw")
    func reproducible() throws {
        let network = TestNetworks.random(sizes: [3, 20, 12, 2], hidden: .relu, output: .softmax, seed: 4)
        let bounds = Self.activationBounds(network)
        let a = try CoresetPruning(draws: 10, seed: 7).apply(to: network, activationBounds: bounds)
        let b = try CoresetPruning(draws: 10, seed: 7).apply(to: network, activationBounds: bounds)
        let c = try CoresetPruning(draws: 10, seed: 8).apply(to: network, activationBounds: bounds)
        #expect(a == b && a.network != c.network)
        #expect(a.layers.map(\.neurons) == [20, 12] && a.layers.allSatisfy { $0.kept >= 1 && $0.kept <= 10 })
        #expect(a.network.layers.map(\.outputSize) == a.layers.map(\.kept) + [2])
        // The draw is pinned: SplitMix64's stream is fixed by its seed (its first value for seed 0 is the published one).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test("the re-weighting is unbiased: over 40,000 seeds the mean of the next layer's pre-activations at a fixed input is the original's")
    func unbiased() throws {
        let network = TestNetworks.random(sizes: [3, 16, 2], hidden: .relu, output: .softmax, seed: 11)
        let bounds = Self.activationBounds(network)
        let x = [0.3, -0.6, 0.8]
        let exact = network.logits(normalizedInput: x)
        let runs = 40_000
        var sum = [0.0, 0.0], sumSquares = [0.0, 0.0]
        for seed in 0..<runs {
            let z = try CoresetPruning(draws: 5, seed: UInt64(seed)).apply(to: network, activationBounds: bounds).network.logits(normalizedInput: x)
            for k in 0..<2 { sum[k] += z[k]; sumSquares[k] += z[k] * z[k] }
        }
        for k in 0..<2 {
            let mean = sum[k] / Double(runs)
            let standardError = ((sumSquares[k] / Double(runs) - mean * mean) / Double(runs)).squareRoot()
            // 5 standard errors: a false alarm has probability below 1e-6 per output.
            #expect(abs(mean - exact[k]) <= 5 * standardError + 1e-12, "output \(k): mean \(mean), exact \(exact[k]), s.e. \(standardError)")
            #expect(standardError > 0, "the draw should vary")
        }
    }

    @Test("the chained bound, worked by hand on 1-1-1-1: e₂ = 3·H₀ + H₁ = 12·√(2 ln(4/δ)/m)")
    func chainedBoundByHand() throws {
        // One neuron per hidden layer: every draw takes it and its factor is m·T/(m·s) = 1.
        // Layer 0's sensitivity is 1·2 (T₀ = 2), layer 1's is 2·3 (T₁ = 6); two Hoeffding
        // events (one next-layer neuron each) share δ, so δ' = δ/2.
        let network = try Network(inputSize: 1, layers: [
            DenseLayer(weights: [[1]], biases: [0], activation: .relu),
            DenseLayer(weights: [[2]], biases: [0], activation: .relu),
            DenseLayer(weights: [[3]], biases: [0], activation: .identity),
        ], output: .sigmoid)
        let sampler = try CoresetPruning(draws: 8, seed: 5)
        let outcome = try sampler.apply(to: network, activationBounds: [[1], [2]])
        #expect(outcome.network == network)
        let bound = sampler.logitErrorBound(of: outcome, original: network, confidence: 0.05)
        #expect(abs(bound - 12 * (2 * log(4 / 0.05) / 8).squareRoot()) < 1e-12, "\(bound)")
    }

    @Test("the chained bound holds per input: over 300 seeds, each of 5 inputs of a 3-16-12-2 network exceeds it in fewer than 40 draws")
    func chainedBoundHolds() throws {
        let network = TestNetworks.random(sizes: [3, 16, 12, 2], hidden: .relu, output: .softmax, seed: 21)
        let bounds = Self.activationBounds(network)
        let inputs = [[0.3, -0.6, 0.8], [-1, -1, -1], [1, 0.2, -0.4], [0, 0, 0], [0.9, 0.9, -0.1]]
        var exceeded = Array(repeating: 0, count: inputs.count)
        for seed in 0..<300 {
            let sampler = try CoresetPruning(draws: 6, seed: UInt64(seed))
            let outcome = try sampler.apply(to: network, activationBounds: bounds)
            let bound = sampler.logitErrorBound(of: outcome, original: network, confidence: 0.05)
            for (i, x) in inputs.enumerated() {
                let error = zip(network.logits(normalizedInput: x), outcome.network.logits(normalizedInput: x)).map { abs($0 - $1) }.max()!
                if error > bound { exceeded[i] += 1 }
            }
        }
        // At one input the 300 draws are independent and each exceeds with probability ≤ 0.05:
        // 15 on average, and 40 or more has probability ≤ e^(−300·KL(40/300 ‖ 0.05)) < 3e-7
        // (Chernoff), even if the bound were tight; below 2e-6 for the five inputs together.
        #expect(exceeded.allSatisfy { $0 < 40 }, "draws exceeding the bound, per input: \(exceeded) of 300")
    }

    @Test("neurons that cannot move the next layer are never drawn; the Hoeffding bound shrinks as 1/√m")
    func sensitivities() throws {
        // Neuron 1's outgoing weight is 0 and neuron 2's activation bound is 0: only neuron 0 can be drawn.
        let network = try Network(inputSize: 1, layers: [
            DenseLayer(weights: [[1], [1], [1]], biases: [0, 0, 0], activation: .relu),
            DenseLayer(weights: [[2, 0, 5]], biases: [0.5], activation: .identity),
        ], output: .sigmoid)
        let outcome = try CoresetPruning(draws: 50, seed: 3).apply(to: network, activationBounds: [[1, 1, 0]])
        #expect(outcome.network.layers[0].weights == [[1]] && outcome.network.layers[1].weights == [[2]])
        let small = try CoresetPruning(draws: 4, seed: 3).apply(to: network, activationBounds: [[1, 1, 0]]).layers[0].hoeffdingBound
        let large = try CoresetPruning(draws: 400, seed: 3).apply(to: network, activationBounds: [[1, 1, 0]]).layers[0].hoeffdingBound
        #expect(abs(small / large - 10) < 1e-9)
        #expect(throws: CompressionError.self) { try CoresetPruning(draws: 0, seed: 1) }
        #expect(throws: CompressionError.self) { try CoresetPruning(draws: 5, seed: 1).apply(to: network, activationBounds: [[1, 1]]) }
    }
}
