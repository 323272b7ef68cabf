import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork

/// A candidate witness: a normalised input and, for a perturbation set, which
/// way each neuron's parameters move (+1 or −1 per neuron, layer by layer) or,
/// when Z3 found it, the exact point and parameters.
struct Candidate: Sendable {
    /// The metric's value in binary64 (for ranking; the replay decides).
    var value: Double
    var point: [Double]
    var directions: [[Double]]?
    var exactPoint: [Rational]?
    var parameters: [ExactLayer]?
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
    let compression: CompressionModel
    let metric: BoxMetric
    private let radii: PerturbationRadii?

    init(original: Network, compression: CompressionModel, metric: BoxMetric, radii: PerturbationRadii?) {
        self.original = original
        self.compression = compression
        self.metric = metric
        self.radii = radii
    }

    /// The best candidate at a normalised input.
    func evaluate(_ x: [Double]) -> Candidate {
        let z = Self.forward(original.layers, x)
        switch compression {
        case .concrete(let g):
            return Candidate(value: metric.value(original: z, compressed: Self.forward(g.layers, x)), point: x)
        case .perturbation:
            var best = Candidate(value: -1, point: x)
            for i in z.indices {
                for sign in [1.0, -1.0] {
                    var objective = Array(repeating: 0.0, count: z.count)
                    objective[i] = sign
                    let directions = steepestDirections(x, objective: objective)
                    let value = metric.value(original: z, compressed: perturbedForward(x, directions))
                    if value > best.value { best = Candidate(value: value, point: x, directions: directions) }
                }
            }
            return best
        }
    }

    /// Logits in binary64 (for ranking candidates only).
    static func forward(_ layers: [DenseLayer], _ x: [Double]) -> [Double] {
        layers.reduce(x) { h, layer in
            layer.weights.indices.map { k in
                layer.activation.apply(zip(layer.weights[k], h).reduce(layer.biases[k]) { $0 + $1.0 * $1.1 })
            }
        }
    }

    /// Signs of `∂ objective / ∂ u_k` for every neuron, through the original network's activation pattern.
    private func steepestDirections(_ x: [Double], objective: [Double]) -> [[Double]] {
        var pre: [[Double]] = [], h = x
        for layer in original.layers {
            let u = layer.weights.indices.map { k in zip(layer.weights[k], h).reduce(layer.biases[k]) { $0 + $1.0 * $1.1 } }
            pre.append(u)
            h = u.map(layer.activation.apply)
        }
        var gradient = objective
        var directions: [[Double]] = Array(repeating: [], count: original.layers.count)
        for l in original.layers.indices.reversed() {
            let layer = original.layers[l]
            let gu = gradient.indices.map { k in
                layer.activation == .relu && pre[l][k] <= 0 ? 0 : gradient[k]
            }
            directions[l] = gu.map { $0 < 0 ? -1 : 1 }
            gradient = (0..<(l == 0 ? x.count : original.layers[l - 1].outputSize)).map { j in
                layer.weights.indices.reduce(0) { $0 + layer.weights[$1][j] * gu[$1] }
            }
        }
        return directions
    }

    /// The compressed logits for the chosen directions, in binary64.
    private func perturbedForward(_ x: [Double], _ directions: [[Double]]) -> [Double] {
        var h = x
        for (l, layer) in original.layers.enumerated() {
            h = layer.weights.indices.map { k in
                let s = directions[l][k]
                var sum = layer.biases[k] + s * radii!.biasesUp[l][k]
                for j in h.indices {
                    let step = h[j] > 0 ? radii!.weightsUp[l][k][j] : (h[j] < 0 ? -radii!.weightsUp[l][k][j] : 0)
                    sum += (layer.weights[k][j] + s * step) * h[j]
                }
                return layer.activation.apply(sum)
            }
        }
        return h
    }

    /// The candidate's compressed parameters (perturbation set) and both
    /// networks' logits, exactly, at `exactPoint` (the candidate's point
    /// clamped into the exact box).
    func replay(_ candidate: Candidate, originalLayers: [ExactLayer],
                exactPoint x: [Rational]) -> (parameters: [ExactLayer]?, original: [Rational], compressed: [Rational]) {
        let z = Network.exactLogits(layers: originalLayers, normalizedInput: x)
        if let parameters = candidate.parameters {
            return (parameters, z, Network.exactLogits(layers: parameters, normalizedInput: x))
        }
        switch compression {
        case .concrete(let g):
            return (nil, z, Network.exactLogits(layers: g.exactLayers, normalizedInput: x))
        case .perturbation:
            let radii = radii!, directions = candidate.directions!
            var h = x
            var parameters: [ExactLayer] = []
            for (l, layer) in originalLayers.enumerated() {
                var realised = layer
                for k in layer.weights.indices {
                    let s = directions[l][k] < 0 ? -Rational.one : .one
                    for j in h.indices where !h[j].isZero {
                        let step = s * radii.weights[l][k][j]
                        realised.weights[k][j] += h[j].isNegative ? -step : step
                    }
                    realised.biases[k] += s * radii.biases[l][k]
                }
                parameters.append(realised)
                h = realised.apply(h)
            }
            return (parameters, z, h)
        }
    }
}
