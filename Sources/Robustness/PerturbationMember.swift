import Bounds
import ExactArithmetic
import NeuralNetwork

extension PerturbationRadii {
    /// A member of Θ_Δ whose pre-activations at x land near given targets:
    /// each neuron's parameters move by one fraction θ ∈ [−1, 1] of their
    /// radii (``move(_:neuron:ofLayer:from:by:inputSigns:)``), with θ chosen in
    /// binary64 so that the neuron's pre-activation, evaluated forward in
    /// binary64, lands on `target(l, k)` (θ = 0 where there is none).
    ///
    /// Any θ in [−1, 1] gives a member, so the exact replay of these
    /// parameters is a valid lower bound whatever rounding did here. Used to
    /// turn an LP optimum (``PerturbationLP``, ``PairLP``) into a witness.
    /// - Parameters:
    ///   - layers: the original's exact layers; `approximate` the same in binary64.
    /// - Returns: the binary64 logits the member gives at x (to decide whether an
    ///   exact replay is worth it), and its exact parameters, built only when asked
    ///   (most LP points do not beat the best witness, and building costs a rational
    ///   product per weight).
    func member(of layers: [ExactLayer], approximate: [DenseLayer], at x: [Double],
                near target: (_ layer: Int, _ neuron: Int) -> Double?) -> (parameters: () -> [ExactLayer], logits: [Double]) {
        var moves: [(layer: Int, neuron: Int, theta: Double)] = []
        var signsByLayer: [[Int]] = []
        let logits = perturbedLogits(of: approximate, at: x) { l, k, centre, radius, signs in
            if signsByLayer.count == l { signsByLayer.append(signs) }
            guard let wanted = target(l, k), radius > 0 else { return 0 }
            let theta = Swift.min(1, Swift.max(-1, (wanted - centre) / radius))
            if theta != 0 { moves.append((l, k, theta)) }
            return theta
        }
        let parameters = { [self] in
            var parameters = layers
            for move in moves {
                // θ is a finite binary64 number in [−1, 1], so exactly a rational.
                self.move(&parameters[move.layer], neuron: move.neuron, ofLayer: move.layer, from: layers[move.layer],
                          by: Rational(exactly: move.theta)!, inputSigns: signsByLayer[move.layer])
            }
            return parameters
        }
        return (parameters, logits)
    }

    /// The logits in binary64 (for ranking and estimates, not for proofs) when
    /// neuron k of layer l shifts its pre-activation by `θ·(Δb + Σ_j Δw_j·|h_j|)`,
    /// the fraction `θ = theta(l, k, centre, radius, inputSigns)` of the Lemma's
    /// radius at its input h; `centre` is the unperturbed pre-activation and
    /// `inputSigns` the signs of h (what ``move(_:neuron:ofLayer:from:by:inputSigns:)`` needs).
    func perturbedLogits(of layers: [DenseLayer], at x: [Double],
                         theta: (_ layer: Int, _ neuron: Int, _ centre: Double, _ radius: Double, _ inputSigns: [Int]) -> Double) -> [Double] {
        var h = x
        for (l, layer) in layers.enumerated() {
            let signs = h.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
            let centres = layer.preActivations(h)
            h = centres.indices.map { k in
                var radius = biasesUp[l][k]
                for j in h.indices { radius += weightsUp[l][k][j] * abs(h[j]) }
                return layer.activation.apply(centres[k] + theta(l, k, centres[k], radius, signs) * radius)
            }
        }
        return h
    }
}
