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
    /// - Returns: the parameters and the binary64 logits they give at x
    ///   (to decide whether an exact replay is worth it).
    func member(of layers: [ExactLayer], approximate: [DenseLayer], at x: [Double],
                near target: (_ layer: Int, _ neuron: Int) -> Double?) -> (parameters: [ExactLayer], logits: [Double]) {
        var h = x
        var parameters = layers
        for (l, layer) in approximate.enumerated() {
            let signs = h.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
            let centres = layer.preActivations(h)
            h = centres.indices.map { k in
                var radius = biasesUp[l][k]
                for j in h.indices { radius += weightsUp[l][k][j] * abs(h[j]) }
                var theta = 0.0
                if let wanted = target(l, k), radius > 0 {
                    theta = Swift.min(1, Swift.max(-1, (wanted - centres[k]) / radius))
                }
                if theta != 0, let exactTheta = Rational(exactly: theta) {
                    move(&parameters[l], neuron: k, ofLayer: l, from: layers[l], by: exactTheta, inputSigns: signs)
                }
                return layer.activation.apply(centres[k] + theta * radius)
            }
        }
        return (parameters, h)
    }
}
