import Bounds
import NeuralNetwork
import Queries

/// Which pairs of ReLUs get a slope constraint
/// `(φᵢ − φⱼ)·((ξᵢ − ξⱼ) − (φᵢ − φⱼ)) ≥ 0` (ReLU's slopes lie in [0, 1]).
public enum NeuronPairs: String, Sendable, CaseIterable, Codable {
    /// Every pair of unstable ReLUs in either network, plus the diagonal pairs: O(N²) multipliers.
    case full
    /// Only neuron k of layer l in one network with neuron k of layer l in the other: O(N).
    case diagonal
    /// Box by box: full pairs while they number at most ``PairEncoding/largestAutomaticPairCount``
    /// (about 45 unstable ReLUs in the two networks), diagonal pairs beyond. Full pairs
    /// tighten small SDPs (Li et al.'s pairs: 52.45 against 95.02 over one box) and cost
    /// minutes on large ones (diff2d mid: 34 s against 6.4 s for one box).
    case auto
}

/// Both networks' ReLU graphs on one lifted vector (docs/semantics.md §4)
///
///     ζ = [1; x̂; t̂; φ̂],
///
/// in coordinates scaled to [−1, 1] or [0, 1] so the SDP is well conditioned:
/// - `x̂ ∈ [−1, 1]ⁿ` is the original's normalised input, `x = centre + radius·x̂`;
/// - `t̂ ∈ [−1, 1]ⁿ` (only with input quantisation c) moves the compressed
///   network's input: `x₂ = x + ĉ·t̂`, so `|x₂ − x| ≤ ĉ` per coordinate;
/// - `φ̂ ∈ [0, 1]` is one coordinate per *unstable* ReLU, `φ = u·φ̂` with u
///   the upper end of its pre-activation range.
///
/// Every other quantity is an affine form in ζ: pre-activations ξ, the
/// outputs of stable ReLUs (ξ or 0, as the Bounds module's ranges decide) and
/// of identity layers, and the output difference `d = f₂(x₂) − f₁(x)`.
/// The facts every reachable ζ satisfies become ``QuadraticConstraint``s.
struct PairEncoding: Sendable {
    /// An unstable ReLU: its pre-activation, its φ̂ coordinate and range.
    struct Neuron: Sendable {
        var network: Int
        var layer: Int
        var index: Int
        var pre: AffineForm
        var post: AffineForm
        var range: Interval
        var coordinate: Int?
    }

    /// The dimension of ζ.
    private(set) var dimension: Int
    /// The interval of each ζ coordinate (ζ₀ = 1).
    private(set) var coordinateRanges: [Interval]
    /// `d_i = f₂(x₂)_i − f₁(x)_i` for every output i.
    private(set) var differences: [AffineForm]
    /// Sound ranges of the `d_i`.
    private(set) var differenceRanges: [Interval]
    private(set) var constraints: [QuadraticConstraint] = []
    /// ReLUs (of both networks) that needed a φ̂ coordinate.
    private(set) var unstableCount = 0
    /// How many of the constraints are slope constraints on pairs.
    private(set) var pairConstraintCount = 0
    /// The SDP's size and estimated cost.
    private(set) var cost = SDPCost(order: 0, constraints: 0, entries: 0)
    /// The pairs this box got: `full` or `diagonal` (``NeuronPairs/auto`` resolved).
    private(set) var pairs = NeuronPairs.diagonal

    /// - Parameters:
    ///   - box: the original's normalised input box.
    ///   - inputShift: ĉ per input (0 when the compressed network sees the same input).
    ///   - ranges: pre-activation ranges of each network (from the Bounds module).
    ///   - differenceRanges: ranges of `d` from the Bounds module.
    ///   - limits: what the SDP may cost (``SDPCost``), checked before any constraint matrix is built.
    /// - Throws: ``QueryError`` when full pairs would give more than
    ///   ``largestPairCount`` slope constraints; ``SDPRefusal`` when the SDP
    ///   would not fit the limits (both checked before the matrices are built).
    init(original: Network, compressed: Network, box: [Interval], inputShift: [Double],
         ranges: [[[Interval]]], differenceRanges: [Interval], pairs: NeuronPairs,
         limits: SDPLimits = SDPLimits()) throws {
        let n = original.inputSize
        let shifted = inputShift.contains { $0 > 0 }
        dimension = 1 + n + (shifted ? n : 0)
        coordinateRanges = [Interval(1)] + Array(repeating: Interval(-1, 1), count: dimension - 1)
        differences = []
        self.differenceRanges = []
        // The products are collected first and built once the SDP's cost is known to fit.
        var products: [Product] = []

        // Inputs: x = centre + radius·x̂, and x₂ = x + ĉ·t̂.
        var inputs: [AffineForm] = []
        var shiftedInputs: [AffineForm] = []
        for i in 0..<n {
            let lower = Interval(box[i].lower), radius = (Interval(box[i].upper) - lower).scaled(by: 0.5)
            let x = AffineForm.constant(lower + radius, dimension: dimension)
                + .coordinate(1 + i, dimension: dimension, scale: radius)
            inputs.append(x)
            shiftedInputs.append(shifted ? x + .coordinate(1 + n + i, dimension: dimension, scale: Interval(inputShift[i])) : x)
            products.append(Self.unitBox(1 + i, dimension: dimension))
            if shifted {
                products.append(Self.unitBox(1 + n + i, dimension: dimension))
            }
        }

        var neurons: [[Neuron]] = [[], []]
        let outputs1 = propagate(original, network: 0, inputs: inputs, ranges: ranges[0], into: &neurons[0])
        let outputs2 = propagate(compressed, network: 1, inputs: shiftedInputs, ranges: ranges[1], into: &neurons[1])
        let all = neurons[0] + neurons[1]
        let pairCount = all.count * (all.count - 1) / 2
        self.pairs = pairs == .auto ? (pairCount <= Self.largestAutomaticPairCount ? .full : .diagonal) : pairs
        if pairs == .full, pairCount > Self.largestPairCount {
            throw QueryError("full pair constraints would number \(pairCount) here (\(all.count) unstable ReLUs in the two networks); qrobust builds at most \(Self.largestPairCount), since CSDP's work grows with the cube of the constraint count and such an SDP would not fit in memory or time: use diagonal pairs, or split the box")
        }
        for neuron in all { products += reluProducts(neuron) }
        let slopes = slopeProducts(neurons, pairs: self.pairs)
        products += slopes
        pairConstraintCount = slopes.count

        for i in outputs1.indices {
            var d = outputs2[i] - outputs1[i]
            d.extend(to: dimension)
            let range = d.range(over: coordinateRanges).intersecting(differenceRanges[i])
            differences.append(d)
            self.differenceRanges.append(range)
            // (d − lo)(hi − d) ≥ 0: the Bounds module's range, so the SDP is never looser than it.
            products.append(Product(.nonnegative, d - .constant(Interval(range.lower), dimension: dimension),
                                    .constant(Interval(range.upper), dimension: dimension) - d))
        }
        cost = SDPCost(order: dimension, constraints: products.count,
                       entries: products.reduce(0) { $0 + SymmetricEntries.count($1.a, $1.b) })
        if let reason = limits.refusal(cost) {
            throw SDPRefusal(cost: cost, reason: reason, differenceRanges: self.differenceRanges)
        }
        constraints = products.map { QuadraticConstraint($0.kind, product: $0.a, $0.b) }
    }

    /// A constraint before its matrix is built: `a(ζ)·b(ζ) ≥ 0` or `= 0`.
    private struct Product {
        var kind: QuadraticConstraint.Kind
        var a: AffineForm
        var b: AffineForm
        init(_ kind: QuadraticConstraint.Kind, _ a: AffineForm, _ b: AffineForm) {
            self.kind = kind
            self.a = a
            self.b = b
        }
    }

    /// `(1 − ζ_i)(1 + ζ_i) ≥ 0`.
    private static func unitBox(_ i: Int, dimension: Int) -> Product {
        let one = AffineForm.constant(Interval(1), dimension: dimension)
        let z = AffineForm.coordinate(i, dimension: dimension)
        return Product(.nonnegative, one - z, one + z)
    }

    /// Runs one network's layers on affine forms, adding a φ̂ coordinate for
    /// every unstable ReLU; returns the output forms.
    private mutating func propagate(_ network: Network, network index: Int, inputs: [AffineForm],
                                    ranges: [[Interval]], into neurons: inout [Neuron]) -> [AffineForm] {
        var h = inputs
        for (l, layer) in network.layers.enumerated() {
            var next: [AffineForm] = []
            for k in 0..<layer.outputSize {
                var pre = AffineForm.constant(Interval(layer.biases[k]), dimension: dimension)
                for (j, w) in layer.weights[k].enumerated() { pre.add(h[j], times: w) }
                pre.extend(to: dimension)
                let range = pre.range(over: coordinateRanges).intersecting(ranges[l][k])
                switch layer.activation {
                case .identity:
                    next.append(pre)
                case .relu where range.upper <= 0:
                    next.append(AffineForm(dimension: dimension))
                case .relu where range.lower >= 0:
                    next.append(pre)
                case .relu:
                    let coordinate = dimension
                    dimension += 1
                    coordinateRanges.append(Interval(0, 1))
                    let post = AffineForm.coordinate(coordinate, dimension: dimension, scale: Interval(range.upper))
                    neurons.append(Neuron(network: index, layer: l, index: k, pre: pre, post: post,
                                          range: range, coordinate: coordinate))
                    unstableCount += 1
                    next.append(post)
                }
            }
            h = next
        }
        return h
    }

    /// For φ = max(0, ξ) with ξ ∈ [l, u], l < 0 < u: φ ≥ 0, φ ≥ ξ, φ(φ − ξ) = 0,
    /// the triangle `(ξ − l) − (u − l)·φ̂ ≥ 0`, and `(ξ − l)(u − ξ) ≥ 0`.
    private func reluProducts(_ neuron: Neuron) -> [Product] {
        let one = AffineForm.constant(Interval(1), dimension: dimension)
        let l = Interval(neuron.range.lower), u = Interval(neuron.range.upper)
        let phiHat = AffineForm.coordinate(neuron.coordinate!, dimension: dimension)
        let gap = neuron.post - neuron.pre
        let triangle = neuron.pre - .constant(l, dimension: dimension) - phiHat.scaled(by: u - l)
        return [
            Product(.nonnegative, phiHat, one),                                   // φ ≥ 0
            Product(.nonnegative, gap, one),                                      // φ ≥ ξ
            Product(.zero, phiHat, gap),                                          // φ(φ − ξ) = 0
            Product(.nonnegative, triangle, one),                                 // triangle
            Product(.nonnegative, neuron.pre - .constant(l, dimension: dimension), // ξ ∈ [l, u]
                    .constant(u, dimension: dimension) - neuron.pre),
        ]
    }

    /// The most slope constraints ``NeuronPairs/full`` may ask for: about 90
    /// unstable ReLUs in the two networks together. CSDP's Schur complement is
    /// dense in the constraint count m (8·m² bytes, m³ work per iteration); at
    /// 4000 pairs a solve already takes minutes.
    static let largestPairCount = 4000

    /// The most slope constraints ``NeuronPairs/auto`` gives a box full pairs for.
    static let largestAutomaticPairCount = 1000

    /// Slope constraints on pairs of unstable ReLUs.
    private func slopeProducts(_ neurons: [[Neuron]], pairs: NeuronPairs) -> [Product] {
        var chosen: [(Neuron, Neuron)] = []
        let second = Dictionary(neurons[1].map { ([$0.layer, $0.index], $0) }, uniquingKeysWith: { a, _ in a })
        for a in neurons[0] {
            if let b = second[[a.layer, a.index]] { chosen.append((a, b)) }
        }
        if pairs == .full {
            let all = neurons[0] + neurons[1]
            for i in all.indices {
                for j in (i + 1)..<all.count {
                    let (a, b) = (all[i], all[j])
                    let diagonal = a.network != b.network && a.layer == b.layer && a.index == b.index
                    if !diagonal { chosen.append((a, b)) }
                }
            }
        }
        return chosen.map { a, b in
            let dPhi = a.post - b.post
            return Product(.nonnegative, dPhi, a.pre - b.pre - dPhi)
        }
    }
}
