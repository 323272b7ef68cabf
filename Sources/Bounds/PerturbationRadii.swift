import Compression
import ExactArithmetic
import NeuralNetwork

/// Every parameter's radius `Δ_i` in a perturbation set, exactly and as an
/// upward-rounded Double for bound propagation.
public struct PerturbationRadii: Sendable {
    /// The set the radii come from.
    public let set: PerturbationSet
    /// `weights[l][k][j]`, `biases[l][k]`, exact.
    public let weights: [[[Rational]]]
    public let biases: [[Rational]]
    /// The same, rounded up to binary64.
    public let weightsUp: [[[Double]]]
    public let biasesUp: [[Double]]

    public init(network: Network, set: PerturbationSet) {
        self.set = set
        weights = network.layers.enumerated().map { l, layer in
            layer.weights.enumerated().map { k, row in
                row.enumerated().map { j, w in set.radius(of: w, at: .init(layer: l, row: k, column: j)) }
            }
        }
        biases = network.layers.enumerated().map { l, layer in
            layer.biases.enumerated().map { k, b in set.radius(of: b, at: .init(layer: l, row: k, column: nil)) }
        }
        weightsUp = weights.map { $0.map { $0.map(\.roundedUp) } }
        biasesUp = biases.map { $0.map(\.roundedUp) }
    }

    /// Moves neuron `k` of layer `l` within Θ_Δ: its bias by `θ·Δb` and each
    /// weight by `θ·Δw_j·s_j` from `original`'s values, where `s_j ∈ {−1, 0, 1}`
    /// is the sign of the neuron's input `h_j` in the member being built.
    ///
    /// This is the one construction of a witness member of Θ_Δ (the
    /// gradient-sign candidate, the LP's vertex, back-substitution's optimum).
    /// Any `θ ∈ [−1, 1]` and any signs keep every parameter within its radius;
    /// with the true signs the pre-activation moves by
    /// `θ·(Δb + Σ_j Δw_j·|h_j|)`, the Lemma's full radius at `θ = ±1`.
    public func move(_ layer: inout ExactLayer, neuron k: Int, ofLayer l: Int, from original: ExactLayer,
                     by theta: Rational, inputSigns: [Int]) {
        layer.biases[k] = original.biases[k] + theta * biases[l][k]
        for j in inputSigns.indices where inputSigns[j] != 0 {
            let step = theta * weights[l][k][j]
            layer.weights[k][j] = original.weights[k][j] + (inputSigns[j] < 0 ? -step : step)
        }
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
