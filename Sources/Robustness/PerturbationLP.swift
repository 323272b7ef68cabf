import Bounds
import ExactArithmetic
import LPBounds
import NeuralNetwork

/// The local perturbation problem at one input as a linear program over the
/// neurons of a ReLU network, for ``ReluBranchAndBound``.
///
/// By the Lemma (docs/semantics.md §2), once a layer's input h ≥ 0 is fixed, its
/// perturbed pre-activations are independent intervals
/// `W_k·h + b_k − ρ_k(h) ≤ u'_k ≤ W_k·h + b_k + ρ_k(h)` with
/// `ρ_k(h) = Δb_k + Σ_j Δw_kj·h_j`: two linear rows per neuron,
/// `u'_k − (W_k + Δw_k)·h ≤ b_k + Δb_k` and `u'_k − (W_k − Δw_k)·h ≥ b_k − Δb_k`,
/// and the first layer's input is the fixed x, so its neurons are plain
/// intervals. Every value in those intervals is reached by some parameters of
/// Θ_Δ, so with every ReLU's phase fixed the program is exact. An unstable
/// ReLU (pre-activation in [L, U], L < 0 < U) gets variables u, h = relu(u) and
/// t = h − u with the triangle relaxation (``PhaseSplitLP``), whose phases
/// the branch and bound fixes. Stable inactive neurons drop out.
///
/// Bounds come from ``CertifiedLP`` (proved from the duals); witnesses from
/// ``witness(at:)``, replayed exactly by the caller.
final class PerturbationLP: PhaseSplitLP {
    private let layers: [ExactLayer]
    private let radii: PerturbationRadii
    private let input: [Rational]
    /// `pre[l][k]`: the variable of u'_{l,k}; nil for a stable inactive neuron.
    private let pre: [[Int?]]
    /// `outputs[i]`: the variable of logit i.
    private let outputs: [Int]
    let unstable: [UnstableReLU]
    let solver: CertifiedLP
    /// The layers in binary64, for the witness search (not for proofs).
    private let approximate: [DenseLayer]

    /// Nil unless every hidden layer is a ReLU and the output layer is linear.
    /// - Parameter bounds: sound pre-activation bounds over Θ_Δ at x, every layer.
    init?(layers: [ExactLayer], radii: PerturbationRadii, input: [Rational], bounds: [[Interval]]) throws {
        guard let last = layers.last, last.activation == .identity,
              layers.dropLast().allSatisfy({ $0.activation == .relu }) else { return nil }
        var lp = LinearProgram()
        var pre: [[Int?]] = [], post: [[Int?]] = [], unstable: [UnstableReLU] = []
        var outputs: [Int] = []
        for (l, layer) in layers.enumerated() {
            var layerPre: [Int?] = [], layerPost: [Int?] = []
            let isOutput = l == layers.count - 1
            for k in layer.weights.indices {
                var range = bounds[l][k]
                if l == 0 {
                    // The first layer's input is the fixed x: its neurons are exactly intervals.
                    let centre = zip(layer.weights[k], input).map { $0 * $1 }.sum() + layer.biases[k]
                    let radius = zip(radii.weights[0][k], input).map { $0 * $1.magnitude }.sum() + radii.biases[0][k]
                    range = Interval(Swift.max(range.lower, (centre - radius).roundedDown),
                                     Swift.min(range.upper, (centre + radius).roundedUp))
                }
                guard range.lower <= range.upper else { throw LPError("empty pre-activation range at layer \(l + 1), neuron \(k + 1)") }
                if !isOutput && range.upper <= 0 {
                    layerPre.append(nil); layerPost.append(nil)
                    continue
                }
                let u = try lp.addVariable(lower: range.lower, upper: range.upper)
                if l > 0 {
                    // The previous layer's outputs are ReLU outputs, never negative.
                    try lp.addLemmaRows(pre: u, weights: layer.weights[k], bias: layer.biases[k], radii: radii.weights[l][k],
                                        biasRadius: radii.biases[l][k], inputs: post[l - 1]) { _ in .itself }
                }
                layerPre.append(u)
                if isOutput {
                    outputs.append(u)
                } else {
                    let relu = try lp.addReLU(layer: l, neuron: k, pre: u, range: range)
                    layerPost.append(relu.post)
                    if let neuron = relu.unstable { unstable.append(neuron) }
                }
            }
            pre.append(layerPre)
            post.append(layerPost)
        }
        self.layers = layers
        self.radii = radii
        self.input = input
        self.pre = pre
        self.outputs = outputs
        self.unstable = unstable
        self.solver = try CertifiedLP(lp)
        self.approximate = layers.map { layer in
            DenseLayer(weights: layer.weights.map { $0.map(\.approximateDouble) }, biases: layer.biases.map(\.approximateDouble),
                       activation: layer.activation)
        }
    }

    /// Makes `Σ c_i z'_i` the objective; false when a coefficient is not a
    /// binary64 number (the LP cannot state it exactly).
    func setObjective(_ coefficients: [Rational]) throws -> Bool {
        var objective = Array(repeating: 0.0, count: solver.variableCount)
        for (i, c) in coefficients.enumerated() {
            guard let exact = c.exactDouble else { return false }
            objective[outputs[i]] = exact
        }
        try solver.setObjective(objective)
        return true
    }

    /// A member of Θ_Δ near the LP point (``PerturbationRadii/member(of:approximate:at:near:)``)
    /// (built when called) and its objective in binary64, to decide whether to replay it at all.
    func witness(at point: [Double], objective: [Rational]) -> (parameters: () -> [ExactLayer], estimate: Double) {
        let (parameters, logits) = radii.member(of: layers, approximate: approximate, at: input.map(\.approximateDouble)) { l, k in
            pre[l][k].map { point[$0] }
        }
        return (parameters, zip(objective, logits).map { $0.approximateDouble * $1 }.reduce(0, +))
    }
}
