import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork

/// Shared by the test targets: seeded randomness and small networks.

/// A small deterministic generator so that random tests repeat: the library's SplitMix64.
public typealias SeededGenerator = SplitMix64

public enum TestNetworks {
    /// The hand-worked 1-2-1 network: h1 = relu(x), h2 = relu(−x + 1/2), z = h1 + 2·h2.
    public static func handWorked(output: OutputKind = .sigmoid) -> Network {
        try! Network(inputSize: 1, layers: [
            DenseLayer(weights: [[1], [-1]], biases: [0, 0.5], activation: .relu),
            DenseLayer(weights: [[1, 2]], biases: [0], activation: .identity),
        ], output: output)
    }

    /// A random MLP with the given sizes; weights uniform in [-1, 1].
    public static func random(sizes: [Int], hidden: Activation, output: OutputKind, seed: UInt64) -> Network {
        var rng = SeededGenerator(seed: seed)
        var layers: [DenseLayer] = []
        for l in 1..<sizes.count {
            let weights = (0..<sizes[l]).map { _ in (0..<sizes[l - 1]).map { _ in Double.random(in: -1...1, using: &rng) } }
            let biases = (0..<sizes[l]).map { _ in Double.random(in: -0.5...0.5, using: &rng) }
            layers.append(DenseLayer(weights: weights, biases: biases, activation: l == sizes.count - 1 ? .identity : hidden))
        }
        return try! Network(inputSize: sizes[0], layers: layers, output: output)
    }

    /// The same weights, biases and output with every hidden layer linear: a
    /// network of the same shape whose neurons do not pair with its ReLUs.
    public static func linearTwin(of network: Network) -> Network {
        try! Network(inputSize: network.inputSize, layers: network.layers.map {
            DenseLayer(weights: $0.weights, biases: $0.biases, activation: .identity)
        }, output: network.output)
    }

    /// Every parameter of a network, flattened (weights row by row, then biases, per layer).
    public static func parameters(_ network: Network) -> [Double] {
        network.layers.flatMap { Array($0.weights.joined()) + $0.biases }
    }

    /// The network with its parameters replaced by a flat vector in the order of ``parameters(_:)``.
    public static func exactLayers(_ network: Network, _ flat: [Rational]) -> [ExactLayer] {
        var i = 0
        return network.layers.map { layer in
            let weights = layer.weights.map { row in row.map { _ in defer { i += 1 }; return flat[i] } }
            let biases = layer.biases.map { _ in defer { i += 1 }; return flat[i] }
            return ExactLayer(weights: weights, biases: biases, activation: layer.activation)
        }
    }

    /// The logits of perturbed Double parameters at an input, in Double (sampling only).
    public static func logits(_ network: Network, _ flat: [Double], _ x: [Double]) -> [Double] {
        var i = 0
        var h = x
        for layer in network.layers {
            var next: [Double] = []
            for row in layer.weights {
                var sum = 0.0
                for j in row.indices { sum += flat[i] * h[j]; i += 1 }
                next.append(sum)
            }
            for k in next.indices { next[k] = layer.activation.apply(next[k] + flat[i]); i += 1 }
            h = next
        }
        return h
    }
}
