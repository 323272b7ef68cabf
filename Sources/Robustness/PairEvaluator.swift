import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork

/// A candidate witness: a normalised input, and how the compressed side is
/// realised there.
struct Candidate: Sendable {
    /// Where a candidate came from, which decides how it is replayed.
    enum Origin: Sendable {
        /// Sampled in binary64. For a perturbation set, the way each neuron's
        /// parameters move (+1 or −1 per neuron, layer by layer); nil for a
        /// concrete network, or for the original parameters.
        case sampled(directions: [[Double]]?)
        /// Found by Z3: the exact point and, for a perturbation set, the exact
        /// parameters (nil for a concrete network).
        case solved(point: [Rational], parameters: [ExactLayer]?)
    }

    /// The metric's value in binary64 (for ranking; the replay decides).
    var value: Double
    var point: [Double]
    var origin: Origin = .sampled(directions: nil)
}

/// Evaluates the original and the compressed network at candidate inputs.
///
/// For a perturbation set it picks, per objective `±z'_i`, the parameters
/// that move every neuron's pre-activation by its full Lemma radius in the
/// direction the original network's gradient says helps the objective:
/// `w'_kj = w_kj + s_k·Δ_kj·sign(h'_j)`, `b'_k = b_k + s_k·Δ_k`. That is a
/// genuine member of Θ_Δ, so its deviation is a valid lower bound; exact
/// replay (``replay(_:)``) later confirms it.
struct PairEvaluator: Sendable {
    let original: Network
    let compared: ComparedParameters
    let metric: BoxMetric

    /// The best candidate at a normalised input.
    func evaluate(_ x: [Double]) -> Candidate {
        let z = original.logits(normalizedInput: x)
        switch compared {
        case .concrete(let g):
            return Candidate(value: metric.value(original: z, compressed: g.logits(normalizedInput: x)), point: x)
        case .quantized(let g):
            return Candidate(value: metric.value(original: z, compressed: g.estimatedLogits(normalizedInput: x)), point: x)
        case .perturbation(let radii):
            var best = Candidate(value: -.infinity, point: x)
            let pattern = activationPattern(x)
            for i in z.indices {
                // −e_i's gradient is e_i's negated exactly; a neuron with gradient 0 moves up for both.
                let gradient = gradients(pattern, output: i)
                for sign in [1.0, -1.0] {
                    let directions = gradient.map { $0.map { (g: Double) -> Double in g == 0 ? 1 : (g * sign < 0 ? -1 : 1) } }
                    let compressed = radii.perturbedLogits(of: original.layers, at: x) { l, k, _, _, _ in directions[l][k] }
                    let value = metric.value(original: z, compressed: compressed)
                    if value > best.value { best = Candidate(value: value, point: x, origin: .sampled(directions: directions)) }
                }
            }
            return best
        }
    }

    /// Whether each ReLU of the original network passes its input at x (true for identity neurons).
    private func activationPattern(_ x: [Double]) -> [[Bool]] {
        var pattern: [[Bool]] = [], h = x
        for layer in original.layers {
            let u = layer.preActivations(h)
            pattern.append(u.map { layer.activation != .relu || $0 > 0 })
            h = u.map(layer.activation.apply)
        }
        return pattern
    }

    /// `∂ z_i / ∂ u_k` for every neuron (its sign is what the candidate needs), through
    /// the original network's activation pattern at the point.
    private func gradients(_ pattern: [[Bool]], output i: Int) -> [[Double]] {
        var gradient = Array(repeating: 0.0, count: original.outputSize)
        gradient[i] = 1
        var result: [[Double]] = Array(repeating: [], count: original.layers.count)
        for l in original.layers.indices.reversed() {
            let layer = original.layers[l]
            let gu = gradient.indices.map { k in pattern[l][k] ? gradient[k] : 0 }
            result[l] = gu
            if l == 0 { break }
            gradient = Array(repeating: 0.0, count: layer.inputSize)
            for k in layer.weights.indices where gu[k] != 0 {
                for j in gradient.indices { gradient[j] += layer.weights[k][j] * gu[k] }
            }
        }
        return result
    }

    /// The candidate's compressed parameters (perturbation set) and both
    /// networks' logits, exactly, at `exactPoint` (the candidate's point
    /// clamped into the exact box).
    /// - Parameter exact: the original's exact layers, from which a perturbation set's parameters are built.
    func replay(_ candidate: Candidate, exact: ExactLayerPair,
                exactPoint x: [Rational]) -> (parameters: [ExactLayer]?, original: [Rational], compressed: [Rational]) {
        let z = original.exactLogits(normalizedInput: x)
        let directions: [[Double]]?
        switch candidate.origin {
        case .solved(_, let parameters?):
            return (parameters, z, Network.exactLogits(layers: parameters, normalizedInput: x))
        case .solved(_, nil): directions = nil
        case .sampled(let sampled): directions = sampled
        }
        switch compared {
        case .concrete(let g):
            return (nil, z, g.exactLogits(normalizedInput: x))
        case .quantized(let g):
            return (nil, z, g.exactLogits(normalizedInput: x))
        case .perturbation(let radii):
            // Sampled candidates carry directions; one without (the centre) keeps the original parameters.
            var h = x
            var parameters: [ExactLayer] = []
            for (l, layer) in exact.original.enumerated() {
                var realised = layer
                let signs = h.map { $0.isZero ? 0 : $0.isNegative ? -1 : 1 }
                for k in layer.weights.indices {
                    guard let direction = directions?[l][k] else { continue }
                    radii.move(&realised, neuron: k, ofLayer: l, from: layer, by: direction < 0 ? -.one : .one, inputSigns: signs)
                }
                parameters.append(realised)
                h = realised.apply(h)
            }
            return (parameters, z, h)
        }
    }
}
