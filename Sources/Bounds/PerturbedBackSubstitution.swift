import Compression
import ExactArithmetic
import NeuralNetwork

/// Pre-activation bounds of every member of a perturbation set at one input,
/// tightened by back-substitution (CROWN-style) in binary64 with outward rounding.
///
/// ``perturbedPreActivationBounds(network:radii:input:)`` relaxes each layer to
/// a box, so a neuron's range grows with every layer's worth of offsets and
/// many ReLUs look unstable that are not. Here each neuron's bound is the
/// maximum of `±u'_k` substituted backwards to the fixed input through the
/// Lemma's intervals (docs/semantics.md §2): at a layer with input h, `c·u'` is at
/// most `(Wᵀc)·h + (Δᵀ|c|)·|h| + c·b + |c|·Δb`; a ReLU's output is ≥ 0 so
/// `|h| = h`, and an unstable one is relaxed by its chord (non-negative
/// coefficient) or by `α·v` (negative); an identity neuron of unknown sign has
/// `|v|` below a line. Coefficients are intervals and every other sum and
/// product is rounded outward, so the bounds hold for the exact values.
public enum PerturbedBackSubstitution {
    /// Bounds of every layer's pre-activations over Θ_Δ at the fixed normalised
    /// input `x`, each no wider than the interval bounds it starts from.
    public static func preActivationBounds(network: Network, radii: PerturbationRadii, input x: [Rational]) -> [[Interval]] {
        var bounds = perturbedPreActivationBounds(network: network, radii: radii, input: x)
        let point = x.map(Interval.init(exactly:))
        // Layer 0's intervals are exact already (one Lemma step from a point).
        for l in 1..<network.layers.count {
            for k in 0..<network.layers[l].outputSize {
                var unit = Array(repeating: Interval.zero, count: network.layers[l].outputSize)
                unit[k] = Interval(1)
                let upper = maximum(network, radii, point, bounds, layer: l, coefficients: unit)
                unit[k] = Interval(-1)
                let lower = -maximum(network, radii, point, bounds, layer: l, coefficients: unit)
                let tightened = bounds[l][k].intersecting(Interval(lower, upper))
                // Both are sound; an empty intersection can only come from rounding at a point.
                if tightened.lower <= tightened.upper { bounds[l][k] = tightened }
            }
        }
        return bounds
    }

    /// An upper bound of `Σ c_k u'_k` over layer `layer`'s pre-activations,
    /// for every member of Θ_Δ, using `bounds` of the layers below it.
    static func maximum(_ network: Network, _ radii: PerturbationRadii, _ x: [Interval], _ bounds: [[Interval]],
                        layer target: Int, coefficients: [Interval]) -> Double {
        var c = coefficients
        var constant = 0.0
        func addUp(_ value: Double) { constant = (constant + value).nextUp }
        for l in stride(from: target, through: 0, by: -1) {
            let layer = network.layers[l]
            let width = layer.weights.first?.count ?? 0
            var next = Array(repeating: Interval.zero, count: width)
            var mu = Array(repeating: 0.0, count: width)
            for k in 0..<layer.outputSize where c[k] != .zero {
                let magnitude = c[k].magnitude
                addUp(c[k].scaled(by: layer.biases[k]).upper)
                addUp((magnitude * radii.biasesUp[l][k]).nextUp)
                for j in 0..<width {
                    next[j] = next[j] + c[k].scaled(by: layer.weights[k][j])
                    mu[j] = (mu[j] + (magnitude * radii.weightsUp[l][k][j]).nextUp).nextUp
                }
            }
            if l == 0 {
                for j in 0..<width {
                    addUp((next[j] * x[j]).upper)
                    addUp((mu[j] * x[j].magnitude).nextUp)
                }
                break
            }
            let below = network.layers[l - 1].activation
            c = (0..<width).map { j in
                let range = bounds[l - 1][j]
                let (lo, hi) = (range.lower, range.upper)
                switch below {
                case .relu:
                    let gamma = next[j] + Interval(mu[j])
                    if lo >= 0 { return gamma }
                    if hi <= 0 { return .zero }
                    // γ·relu(v) ≤ γ⁺·relu(v), as relu(v) ≥ 0, with γ⁺ the coefficient's upper end.
                    let g = gamma.upper
                    if g < 0 { return hi > -lo ? Interval(g) : .zero }
                    let slope = (hi / (hi - lo).nextDown).nextUp        // ≥ hi/(hi − lo)
                    addUp(((g * slope).nextUp * -lo).nextUp)             // relu(v) ≤ slope·(v − lo)
                    return Interval((g * slope).nextDown, (g * slope).nextUp)
                case .identity:
                    if lo >= 0 { return next[j] + Interval(mu[j]) }
                    if hi <= 0 { return next[j] - Interval(mu[j]) }
                    // |v| ≤ k·v + m on [lo, hi]: the line is above |v| at both ends.
                    let k = (hi + lo) / (hi - lo)
                    let m = Swift.max((-lo - (k * lo).nextDown).nextUp, (hi - (k * hi).nextDown).nextUp)
                    addUp((mu[j] * m).nextUp)
                    return next[j] + Interval(mu[j]).scaled(by: k)
                }
            }
        }
        return constant
    }
}
