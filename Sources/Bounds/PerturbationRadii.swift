import Compression
import ExactArithmetic
import NeuralNetwork

/// Every parameter's radius `Δ_i` in a perturbation set, exactly and as an
/// upward-rounded Double for bound propagation.
public struct PerturbationRadii: Sendable {
    /// `weights[l][k][j]`, `biases[l][k]`, exact.
    public let weights: [[[Rational]]]
    public let biases: [[Rational]]
    /// The same, rounded up to binary64.
    public let weightsUp: [[[Double]]]
    public let biasesUp: [[Double]]

    public init(network: Network, set: PerturbationSet) {
        weights = network.layers.map { $0.weights.map { $0.map(set.radius(of:)) } }
        biases = network.layers.map { $0.biases.map(set.radius(of:)) }
        weightsUp = weights.map { $0.map { $0.map(\.roundedUp) } }
        biasesUp = biases.map { $0.map(\.roundedUp) }
    }
}

/// Sound bounds on every perturbed pre-activation at a fixed input: for each
/// neuron, `u' ∈ [c − r, c + r]` with `c = W·h + b` over the previous layer's
/// box and `r = Δ_k + Σ_j Δ_kj·max|h_j|` (the Lemma of docs/semantics.md §2, relaxed to boxes).
public func perturbedPreActivationBounds(network: Network, radii: PerturbationRadii, input x: [Rational]) -> [[Interval]] {
    var h = x.map(Interval.init(exactly:))
    var result: [[Interval]] = []
    for (l, layer) in network.layers.enumerated() {
        var bounds: [Interval] = []
        for k in layer.weights.indices {
            var c = Interval(layer.biases[k], layer.biases[k])
            var r = radii.biasesUp[l][k]
            for j in h.indices {
                c = c + h[j].scaled(by: layer.weights[k][j])
                r = (r + (radii.weightsUp[l][k][j] * h[j].magnitude).nextUp).nextUp
            }
            bounds.append(c.widened(by: r))
        }
        result.append(bounds)
        h = layer.activation == .relu ? bounds.map { $0.relu() } : bounds
    }
    return result
}
