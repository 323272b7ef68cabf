import Foundation
import NeuralNetwork

/// Coreset pruning of neurons (after Mussay, Osadchy, Braverman, Zhou and
/// Feldman, ICLR 2020): each hidden layer keeps the neurons of m draws, made
/// with probability proportional to their sensitivity, and the survivors'
/// outgoing weights are re-weighted so that the next layer's pre-activations
/// are unbiased.
///
/// The rules, written down exactly:
/// - **Sensitivity** of neuron j of hidden layer l: `s_j = a_j · max_k |W_kj|`,
///   with `a_j` a bound on `|φ(u_j)|` over the input region (from the Bounds
///   module: `max(0, U_j)` after a ReLU, `max(|L_j|, |U_j|)` for identity) and
///   W the next layer's weights. `p_j = s_j / T`, `T = Σ_j s_j`.
/// - **Sampling**: m independent draws from p (SplitMix64 seeded with `seed`,
///   one uniform per draw from its top 53 bits, inverted through the
///   cumulative sums in neuron order): the same draw on every platform.
/// - **Re-weighting**: neuron j drawn `c_j` times keeps its incoming weights
///   and bias; its outgoing weights become `W_kj · c_j / (m·p_j)`. Then
///   `E[W'·φ] = W·φ` at every input. Undrawn neurons are removed. A layer
///   whose sensitivities are all zero keeps its first neuron with zero
///   outgoing weights (it contributes nothing over the region).
/// - Every hidden layer is sampled with the original network's bounds.
///
/// **Error bound.** At a fixed input and next-layer neuron k, the re-weighted
/// sum is the mean of m independent terms `W_kJ φ_J / p_J`, each in `[−T, T]`;
/// by Hoeffding's inequality its error exceeds `T·√(2 ln(2/δ)/m)` with
/// probability at most δ. This is the form of Mussay et al.'s per-layer bound
/// (error ∝ `Σ_j s_j / √m`) with Hoeffding's constant; it holds per input, with
/// probability, unlike the certified worst case over the region (`--certify`).
public struct CoresetPruning: Sendable, Equatable {
    /// Draws per hidden layer.
    public let draws: Int
    public let seed: UInt64

    public init(draws: Int, seed: UInt64) throws {
        guard draws >= 1 else { throw CompressionError("a coreset needs at least one draw per layer, found \(draws)") }
        self.draws = draws
        self.seed = seed
    }

    /// What sampling did to one hidden layer.
    public struct LayerReport: Sendable, Equatable {
        public var neurons: Int
        public var kept: Int
        /// `T = Σ_j s_j`.
        public var totalSensitivity: Double
        /// `T·√(2 ln(2/δ)/m)` at δ = ``boundConfidence``: the per-input error bound of the next layer's pre-activations.
        public var hoeffdingBound: Double
    }

    /// The δ of the reported Hoeffding bounds.
    public static let boundConfidence = 0.05

    public struct Outcome: Sendable, Equatable {
        public var network: Network
        public var layers: [LayerReport]
    }

    /// Prunes every hidden layer.
    /// - Parameter activationBounds: per hidden layer, a bound on each neuron's `|φ(u_j)|` over the region.
    public func apply(to network: Network, activationBounds: [[Double]]) throws -> Outcome {
        let hidden = network.layers.count - 1
        guard activationBounds.count == hidden, zip(activationBounds, network.layers).allSatisfy({ $0.count == $1.outputSize }),
              activationBounds.joined().allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw CompressionError("the activation bounds must give one finite, non-negative bound per hidden neuron")
        }
        var rng = SplitMix64(seed: seed)
        var layers = network.layers
        var reports: [LayerReport] = []
        for l in 0..<hidden {
            let next = network.layers[l + 1]
            let sensitivities = (0..<network.layers[l].outputSize).map { j in
                activationBounds[l][j] * next.weights.reduce(0) { max($0, abs($1[j])) }
            }
            let total = sensitivities.reduce(0, +)
            var counts = Array(repeating: 0, count: sensitivities.count)
            if total > 0 {
                var cumulative: [Double] = []
                var running = 0.0
                for s in sensitivities { running += s; cumulative.append(running) }
                for _ in 0..<draws {
                    let u = rng.unit() * running
                    // The first neuron whose cumulative sum exceeds u (one with s_j = 0 is never drawn).
                    let j = cumulative.firstIndex { u < $0 } ?? (sensitivities.lastIndex { $0 > 0 } ?? 0)
                    counts[j] += 1
                }
            }
            let kept = total > 0 ? counts.indices.filter { counts[$0] > 0 } : [0]
            layers[l] = DenseLayer(weights: kept.map { layers[l].weights[$0] }, biases: kept.map { layers[l].biases[$0] },
                                   activation: layers[l].activation)
            let factors = kept.map { j in total > 0 ? Double(counts[j]) * total / (Double(draws) * sensitivities[j]) : 0 }
            layers[l + 1] = DenseLayer(weights: layers[l + 1].weights.map { row in zip(kept, factors).map { row[$0] * $1 } },
                                       biases: layers[l + 1].biases, activation: layers[l + 1].activation)
            reports.append(LayerReport(neurons: sensitivities.count, kept: kept.count, totalSensitivity: total,
                                       hoeffdingBound: total * (2 * log(2 / Self.boundConfidence) / Double(draws)).squareRoot()))
        }
        return Outcome(network: try network.withLayers(layers), layers: reports)
    }

    /// The paper's per-layer bounds chained through the network: a bound on
    /// `max_i |z'_i − z_i|` (the logit error) that holds at any one input of the
    /// region with probability ≥ 1 − `confidence` over the draws. It is a
    /// theoretical curve to set beside the certified worst case, not a certificate:
    /// it is computed in binary64 and holds per input, not over the region.
    ///
    /// With `e_l` a bound on the error of layer l's pre-activations (`e_0 = 0`: the
    /// first layer is not sampled), hidden activations 1-Lipschitz (ReLU, identity),
    /// and `W'` the re-weighted next layer,
    /// `|u'_k − u_k| ≤ Σ_j |W'_kj| · e_l + H_l`, so `e_{l+1} = max_k Σ_j |W'_kj| · e_l + H_l`,
    /// where `H_l = T_l·√(2 ln(2/δ')/m)` is Hoeffding's bound for one next-layer
    /// neuron. A union bound over every next-layer neuron of every sampled layer sets
    /// `δ' = confidence / (that count)`.
    public func logitErrorBound(of outcome: Outcome, original: Network, confidence: Double) -> Double {
        let hidden = original.layers.count - 1
        let events = (0..<hidden).reduce(0) { $0 + original.layers[$1 + 1].outputSize }
        guard events > 0 else { return 0 }
        let perEvent = confidence / Double(events)
        var error = 0.0
        for l in 0..<hidden {
            let hoeffding = outcome.layers[l].totalSensitivity * (2 * log(2 / perEvent) / Double(draws)).squareRoot()
            let rowSums = outcome.network.layers[l + 1].weights.map { $0.reduce(0) { $0 + abs($1) } }
            error = (rowSums.max() ?? 0) * error + hoeffding
        }
        return error
    }

    /// For example `coreset pruning, 20 draws per layer, seed 7`.
    public var description: String { "coreset pruning, \(draws) draws per layer, seed \(seed)" }
}
