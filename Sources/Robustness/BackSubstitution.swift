import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork

/// Bounds a linear objective of the perturbed logits at one input by
/// back-substitution, without a solver: exactly when every hidden neuron's
/// sign is fixed over Θ_Δ, and soundly (CROWN-style relaxations) otherwise.
///
/// By the Lemma (docs/semantics.md §2), for a fixed layer input h the perturbed
/// pre-activations are independent intervals `u'_k = W_k·h + b_k ± ρ_k(h)`
/// with `ρ_k(h) = Δb_k + Σ_j Δw_kj·|h_j|`. So the maximum of `c·u'` over
/// them is `(Wᵀc)·h + μ·|h| + c·b + |c|·Δb` with `μ = Δwᵀ|c| ≥ 0`, and
/// substituting backwards layer by layer reaches the fixed input:
/// - a ReLU output is ≥ 0, so `|h_j| = h_j`; an always-active ReLU passes its
///   coefficient on, an always-inactive one drops it, and an unstable one
///   (pre-activation in [l, u], l < 0 < u) is relaxed: `relu(v) ≤ u(v − l)/(u − l)`
///   for a non-negative coefficient, `relu(v) ≥ α·v` (α = 1 when u > −l, else 0)
///   for a negative one;
/// - an identity output of fixed sign has `|h_j| = ±h_j`; otherwise `|h|` is
///   bounded by its chord over [l, u].
///
/// All in exact rational arithmetic over the sound pre-activation bounds, so
/// the result is a proved upper bound, and it is the exact maximum when no
/// relaxation was used (the issue measured Z3's Optimize taking 16 s to 120 s
/// on such chains). The maximum is approached by one parameter vector,
/// `w'_kj = W_kj + sign(c_k)·s_j·Δw_kj` and `b'_k = b_k + sign(c_k)·Δb_k`,
/// which the caller replays exactly like any other witness.
struct BackSubstitution {
    let layers: [ExactLayer]
    let radii: PerturbationRadii
    let input: [Rational]
    /// `ranges[l][j]`: the sound bounds of hidden layer l's pre-activation j over Θ_Δ, exactly.
    let ranges: [[(lower: Rational, upper: Rational)]]
    /// Whether every hidden neuron's sign is fixed (then every bound is exact).
    let isExact: Bool

    /// Nil when the output layer is a ReLU (left to Z3).
    init?(layers: [ExactLayer], radii: PerturbationRadii, input: [Rational], bounds: [[Interval]]) {
        guard layers.last?.activation == .identity else { return nil }
        var ranges: [[(lower: Rational, upper: Rational)]] = []
        var exact = true
        for l in 0..<(layers.count - 1) {
            ranges.append(bounds[l].map { range in
                if range.lower < 0 && range.upper > 0 { exact = false }
                return (Rational(exactly: range.lower)!, Rational(exactly: range.upper)!)
            })
        }
        self.layers = layers
        self.radii = radii
        self.input = input
        self.ranges = ranges
        self.isExact = exact
    }

    /// The sign used for `|h_j|` in the witness and, where it is fixed, in the bound.
    private func sign(_ l: Int, _ j: Int) -> Int {
        if l == 0 { return input[j].isZero ? 0 : (input[j].isNegative ? -1 : 1) }
        let range = ranges[l - 1][j]
        switch layers[l - 1].activation {
        case .relu: return range.upper.isPositive ? 1 : 0
        case .identity: return range.lower.isNegative && !range.upper.isPositive ? -1 : 1
        }
    }

    /// A proved upper bound of `Σ c_i z'_i` over Θ_Δ (the maximum when ``isExact``),
    /// and a parameter vector of Θ_Δ chosen by the same coefficients.
    func maximize(_ coefficients: [Rational]) -> (upper: Rational, parameters: [ExactLayer]) {
        var c = coefficients
        var constant = Rational.zero
        var parameters = layers
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[l]
            let width = layer.weights.first?.count ?? 0
            let signs = (0..<width).map { sign(l, $0) }
            var next = Array(repeating: Rational.zero, count: width)
            var mu = Array(repeating: Rational.zero, count: width)
            for k in layer.weights.indices where !c[k].isZero {
                let direction = c[k].isNegative ? Rational(-1) : Rational.one
                let magnitude = c[k].magnitude
                constant += c[k] * layer.biases[k] + magnitude * radii.biases[l][k]
                radii.move(&parameters[l], neuron: k, ofLayer: l, from: layer, by: direction, inputSigns: signs)
                for j in 0..<width {
                    next[j] += c[k] * layer.weights[k][j]
                    mu[j] += magnitude * radii.weights[l][k][j]
                }
            }
            if l == 0 {
                constant += (0..<width).map { next[$0] * input[$0] + mu[$0] * input[$0].magnitude }.sum()
                break
            }
            // Express next·h + mu·|h| through the previous layer's pre-activations v.
            c = (0..<width).map { j in
                let (lo, up) = ranges[l - 1][j]
                switch layers[l - 1].activation {
                case .relu:
                    let gamma = next[j] + mu[j]                  // |h| = h for h = relu(v) ≥ 0
                    if !lo.isNegative { return gamma }            // always active
                    if !up.isPositive { return .zero }            // always inactive
                    if gamma.isNegative {                         // relu(v) ≥ α·v
                        return up > -lo ? gamma : .zero
                    }
                    // relu(v) ≤ s·(v − lo) for any s ≥ u/(u − l); rounded up to 64 bits, s stays
                    // dyadic like everything else here, so no denominators grow layer by layer.
                    let slope = Exponential.roundUp(up / (up - lo), bits: 64)
                    constant += gamma * slope * (-lo)
                    return gamma * slope
                case .identity:
                    if !lo.isNegative { return next[j] + mu[j] }
                    if !up.isPositive { return next[j] - mu[j] }
                    // |v| ≤ k·v + m on [lo, up] when the line is above |v| at both ends
                    // (|v| is convex): k near the chord's slope, dyadic; m makes both ends hold.
                    let k = Exponential.roundDown((up + lo) / (up - lo), bits: 64)
                    constant += mu[j] * Rational.max(-lo - k * lo, up - k * up)
                    return next[j] + mu[j] * k
                }
            }
        }
        return (constant, parameters)
    }

    /// The objective's range as ``ObjectiveBounds``: the parameter vector is
    /// replayed exactly for the lower end; the back-substituted bound is the
    /// upper end. A replayed value above the bound, or below it when the
    /// bound is exact, is an ``InternalError``.
    func bounds(_ coefficients: [Rational], statistics: inout QueryStatistics) throws -> ObjectiveBounds {
        let (upper, parameters) = maximize(coefficients)
        // In Θ_Δ by construction (each parameter moves by exactly its radius or not at
        // all); LocalRobustness checks the witness it reports, since the check costs more.
        let logits = Network.exactLogits(layers: parameters, normalizedInput: input)
        statistics.replays += 1
        let reached = zip(coefficients, logits).map { $0 * $1 }.sum()
        guard !(upper < reached), !isExact || reached == upper else {
            throw InternalError("back-substitution bounds the objective by \(upper.approximateDouble), but its own witness reaches \(reached.approximateDouble)")
        }
        if isExact { statistics.backSubstitutions += 1 }
        return ObjectiveBounds(lower: reached, upper: upper,
                               best: ReplayedWitness(parameters: parameters, neuronValues: nil, logits: logits), reason: nil)
    }
}
