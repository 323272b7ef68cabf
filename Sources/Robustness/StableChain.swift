import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork

/// The exact maximum of a linear objective of the perturbed logits at one
/// input, without a solver, when every hidden neuron's sign is fixed over Θ_Δ.
///
/// By the Lemma (design.md §2), for a fixed layer input h the perturbed
/// pre-activations are independent intervals `u'_k = W_k·h + b_k ± ρ_k(h)`
/// with `ρ_k(h) = Δb_k + Σ_j Δw_kj·|h_j|`. When the sound pre-activation
/// bounds fix the sign of every hidden neuron (a ReLU always active or always
/// inactive, an identity neuron always ≥ 0 or ≤ 0), each `|h_j|` is `±h_j`
/// and the maximum of `c·u'` over the intervals is linear in h:
/// `(Wᵀc + s ⊙ (Δwᵀ|c|))·h + c·b + |c|·Δb`. Substituting backwards from the
/// outputs to the fixed input gives the maximum exactly, in rational
/// arithmetic, in one pass over the parameters; the issue measured Z3's
/// Optimize taking 16 s to 120 s on such chains.
///
/// The maximum is attained by one parameter vector, `w'_kj = W_kj + sign(c_k)·s_j·Δw_kj`
/// and `b'_k = b_k + sign(c_k)·Δb_k` with the layer's backward coefficients c,
/// which the caller replays exactly like any other witness.
struct StableChain {
    let layers: [ExactLayer]
    let radii: PerturbationRadii
    let input: [Rational]
    /// `signs[l][j]` is the sign (−1, 0 or +1) of layer l's output j over Θ_Δ, for every hidden layer.
    let signs: [[Int]]

    /// Nil when some hidden neuron's sign is not fixed by `bounds` (then an LP
    /// or Z3 is needed), or when the output layer is a ReLU (left to Z3).
    init?(layers: [ExactLayer], radii: PerturbationRadii, input: [Rational], bounds: [[Interval]]) {
        guard layers.last?.activation == .identity else { return nil }
        var signs: [[Int]] = []
        for (l, layer) in layers.dropLast().enumerated() {
            var layerSigns: [Int] = []
            for range in bounds[l] {
                switch layer.activation {
                case .relu:
                    // Always active: h' = u' ≥ 0; always inactive: h' = 0.
                    if range.lower >= 0 { layerSigns.append(range.upper > 0 ? 1 : 0) }
                    else if range.upper <= 0 { layerSigns.append(0) }
                    else { return nil }
                case .identity:
                    if range.lower >= 0 { layerSigns.append(1) }
                    else if range.upper <= 0 { layerSigns.append(-1) }
                    else { return nil }
                }
            }
            signs.append(layerSigns)
        }
        self.layers = layers
        self.radii = radii
        self.input = input
        self.signs = signs
    }

    /// The exact maximum of `Σ c_i z'_i` over Θ_Δ and the parameter vector attaining it.
    func maximize(_ coefficients: [Rational]) -> (value: Rational, parameters: [ExactLayer]) {
        var c = coefficients
        var constant = Rational.zero
        var parameters = layers
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            // The signs of this layer's inputs: |h_j| = s_j·h_j.
            let before = l == 0 ? input.map { $0.isZero ? 0 : ($0.isNegative ? -1 : 1) } : signs[l - 1]
            var next = Array(repeating: Rational.zero, count: before.count)
            for k in layer.weights.indices where !c[k].isZero {
                let direction = c[k].isNegative ? Rational(-1) : Rational.one
                let magnitude = c[k].magnitude
                constant += c[k] * layer.biases[k] + magnitude * radii.biases[l][k]
                parameters[l].biases[k] = layer.biases[k] + direction * radii.biases[l][k]
                for j in next.indices {
                    next[j] += c[k] * layer.weights[k][j]
                    let s = before[j]
                    if s != 0 {
                        next[j] += Rational(s) * magnitude * radii.weights[l][k][j]
                        parameters[l].weights[k][j] = layer.weights[k][j] + direction * Rational(s) * radii.weights[l][k][j]
                    }
                }
            }
            if l == 0 {
                constant += zip(next, input).map { $0 * $1 }.sum()
            } else {
                // h = act(u'): an inactive ReLU outputs 0, so its coefficient does not pass on.
                let inactive = layers[l - 1].activation == .relu
                c = zip(next, signs[l - 1]).map { coefficient, sign in inactive && sign == 0 ? .zero : coefficient }
            }
        }
        return (constant, parameters)
    }

    /// The objective's exact range as ``ObjectiveBounds``: the maximum's
    /// parameter vector is checked to lie in Θ_Δ and replayed exactly, and its
    /// value must equal the back-substituted maximum (else an ``InternalError``).
    func bounds(_ coefficients: [Rational], set: PerturbationSet, network: Network,
                statistics: inout QueryStatistics) throws -> ObjectiveBounds {
        let (value, parameters) = maximize(coefficients)
        try set.requireMember(parameters, around: network)
        let logits = Network.exactLogits(layers: parameters, normalizedInput: input)
        statistics.replays += 1
        statistics.backSubstitutions += 1
        let reached = zip(coefficients, logits).map { $0 * $1 }.sum()
        guard reached == value else {
            throw InternalError("the back-substituted maximum \(value.approximateDouble) is not reached by its own witness (\(reached.approximateDouble))")
        }
        return ObjectiveBounds(lower: value, upper: value,
                               best: ReplayedWitness(parameters: parameters, neuronValues: nil, logits: logits), reason: nil)
    }
}
