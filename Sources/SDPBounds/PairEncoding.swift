import Bounds
import NeuralNetwork
import Queries

/// Which pairs of ReLUs get a slope constraint
/// `(φᵢ − φⱼ)·((ξᵢ − ξⱼ) − (φᵢ − φⱼ)) ≥ 0` (ReLU's slopes lie in [0, 1]).
/// Every choice includes the diagonal pairs: neuron k of layer l in one
/// network with neuron k of layer l in the other, when either is unstable.
public enum NeuronPairs: String, Sendable, CaseIterable, Codable {
    /// Every pair of unstable ReLUs in either network: O(N²) multipliers.
    case full
    /// Every pair of unstable ReLUs in the same layer (of either network): the
    /// pairs that keep the LMI's layer blocks apart (``LMIDecomposition/layers``).
    case layer
    /// Only the diagonal pairs: O(N).
    case diagonal
    /// Box by box: full pairs while they number at most ``PairEncoding/largestAutomaticPairCount``
    /// (about 45 unstable ReLUs in the two networks), diagonal pairs beyond (and with
    /// layer blocks, which full pairs would join). Full pairs tighten small SDPs (Li et
    /// al.'s pairs: 34.57 against 65.88 over one box) and cost minutes on large ones
    /// (diff2d mid: 34 s against 6.4 s for one box). Pairs within a layer sit between:
    /// on half of diff2d big's box 927 of them took 55 s for a bound 5% below the
    /// diagonal pairs' in 7 s, so they are not chosen automatically.
    case auto
}

/// How the LMI of one box is laid out for CSDP.
public enum LMIDecomposition: String, Sendable, CaseIterable, Codable {
    /// One dense block over ζ; stable ReLUs and identity layers are folded into
    /// affine forms. The default: with CSDP it was the faster on every pair measured (README).
    case none
    /// A coordinate for every hidden neuron that is not always 0, and one block per
    /// hidden layer k over `[1; layer k − 1; layer k]` (both networks), the blocks tied
    /// by equalities on the entries they share. The constraints' sparsity pattern is
    /// then a chain of cliques, which is chordal, so the bound is that of
    /// ``none`` with the same pairs (Agler's theorem); full pairs across layers
    /// would break the chain and are not allowed.
    case layers
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
///
/// **Layered** (``LMIDecomposition/layers``): every hidden neuron that is not
/// always 0 gets a coordinate, `h = m·ĥ` with m its range's magnitude, tied to
/// its pre-activation by `(h − ξ)² = 0` when it is a stable ReLU or an
/// identity neuron (with ζζᵀ's relaxation Z ⪰ 0, `vᵀZv = 0` gives `Zv = 0`:
/// the coordinate is the form it replaces, so the bound does not change).
/// Each pre-activation is then a form in the previous layer's coordinates
/// only, and every constraint lies in one ``LayerCliques`` block.
struct PairEncoding: Sendable {
    /// A ReLU of a hidden layer: its pre-activation and output forms and its range.
    struct Neuron: Sendable {
        var network: Int
        var layer: Int
        var index: Int
        var pre: AffineForm
        var post: AffineForm
        var range: Interval
        /// Its φ̂ coordinate when it is unstable; nil when it is stable (then `post` is 0, or
        /// `pre`, or in the layered encoding the coordinate tied to `pre`).
        var coordinate: Int?
        var isUnstable: Bool { coordinate != nil }
    }

    /// The dimension of ζ.
    private(set) var dimension: Int
    /// The interval of each ζ coordinate (ζ₀ = 1).
    private(set) var coordinateRanges: [Interval]
    /// The level of each ζ coordinate: 0 for the constant and the inputs, k for
    /// the outputs of hidden layer k (1-based). The layered encoding's blocks are built from them.
    private(set) var levels: [Int]
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
    /// The pairs this box got: ``NeuronPairs/auto`` resolved.
    private(set) var pairs = NeuronPairs.diagonal
    /// The blocks of the layered encoding's LMI; nil for one dense block.
    private(set) var cliques: LayerCliques?
    /// The constraints before their matrices are built (``buildConstraints()``).
    private var products: [Product] = []

    /// The encoding with the LMI laid out as `decomposition` says, with its
    /// constraint matrices built.
    /// - Parameters:
    ///   - box: the original's normalised input box.
    ///   - inputShift: ĉ per input (0 when the compressed network sees the same input).
    ///   - ranges: pre-activation ranges of each network (from the Bounds module).
    ///   - differenceRanges: ranges of `d` from the Bounds module.
    ///   - limits: what the SDP may cost (``SDPCost``), checked before any constraint matrix is built.
    /// - Throws: ``QueryError`` when full pairs would give more than
    ///   ``largestPairCount`` slope constraints; ``SDPRefusal`` when the SDP
    ///   would not fit the limits.
    static func make(original: Network, compressed: Network, box: [Interval], inputShift: [Double],
                     ranges: [[[Interval]]], differenceRanges: [Interval], pairs: NeuronPairs,
                     decomposition: LMIDecomposition = .none, limits: SDPLimits = SDPLimits()) throws -> PairEncoding {
        var encoding = try PairEncoding(original: original, compressed: compressed, box: box, inputShift: inputShift,
                                        ranges: ranges, differenceRanges: differenceRanges, pairs: pairs,
                                        layered: decomposition == .layers)
        if let reason = limits.refusal(encoding.cost) {
            throw SDPRefusal(cost: encoding.cost, reason: reason, differenceRanges: encoding.differenceRanges)
        }
        encoding.buildConstraints()
        return encoding
    }

    /// Collects the constraints and the SDP's cost; their matrices are built by ``buildConstraints()``.
    private init(original: Network, compressed: Network, box: [Interval], inputShift: [Double],
                 ranges: [[[Interval]]], differenceRanges: [Interval], pairs: NeuronPairs, layered: Bool) throws {
        let n = original.inputSize
        let shifted = inputShift.contains { $0 > 0 }
        dimension = 1 + n + (shifted ? n : 0)
        coordinateRanges = [Interval(1)] + Array(repeating: Interval(-1, 1), count: dimension - 1)
        levels = Array(repeating: 0, count: dimension)
        differences = []
        self.differenceRanges = []
        guard !layered || (pairs != .full && original.layers.count == compressed.layers.count) else {
            throw InternalError("layer blocks with full pairs or networks of unequal depth (SDPQuery.validate rejects both)")
        }

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
        var h = [inputs, shiftedInputs]
        for (k, network) in [original, compressed].enumerated() {
            for (l, layer) in network.layers.enumerated() {
                h[k] = propagate(layer, network: k, layer: l, last: l == network.layers.count - 1,
                                 inputs: h[k], ranges: ranges[k][l], layered: layered, into: &neurons[k])
            }
        }
        let unstable = (neurons[0] + neurons[1]).filter(\.isUnstable)
        let pairCount = unstable.count * (unstable.count - 1) / 2
        self.pairs = pairs != .auto ? pairs
            : pairCount <= Self.largestAutomaticPairCount && !layered ? .full : .diagonal
        if pairs == .full, pairCount > Self.largestPairCount {
            throw QueryError("full pair constraints would number \(pairCount) here (\(unstable.count) unstable ReLUs in the two networks); qrobust builds at most \(Self.largestPairCount), since CSDP's work grows with the cube of the constraint count and such an SDP would not fit in memory or time: use diagonal pairs, or split the box")
        }
        for neuron in unstable { products += reluProducts(neuron) }
        let slopes = slopeProducts(neurons, pairs: self.pairs)
        products += slopes
        pairConstraintCount = slopes.count

        for i in h[0].indices {
            var d = h[1][i] - h[0][i]
            d.extend(to: dimension)
            let range = d.range(over: coordinateRanges).intersecting(differenceRanges[i])
            differences.append(d)
            self.differenceRanges.append(range)
            // (d − lo)(hi − d) ≥ 0: the Bounds module's range, so the SDP is never looser than it.
            products.append(Product(.nonnegative, d - .constant(Interval(range.lower), dimension: dimension),
                                    .constant(Interval(range.upper), dimension: dimension) - d))
        }
        if layered {
            let cliques = LayerCliques(levels: levels, hiddenLayers: original.layers.count - 1)
            self.cliques = cliques
            var entries = 0, work = 0.0
            for product in products {
                let block = try cliques.block(of: product.a, product.b)
                let count = SymmetricEntries.count(product.a, product.b)
                entries += count
                work += Double(count) * Double(cliques.members[block].count)
            }
            // Each transfer variable has one entry in each of the two blocks it ties.
            for (k, separator) in cliques.separators.enumerated() {
                let t = separator.count * (separator.count + 1) / 2
                entries += 2 * t
                work += Double(t) * Double(cliques.members[k].count + cliques.members[k + 1].count)
            }
            cost = SDPCost(blockOrders: cliques.members.map(\.count),
                           constraints: products.count + cliques.transferCount, entries: entries, entryWork: work)
        } else {
            cost = SDPCost(order: dimension, constraints: products.count,
                           entries: products.reduce(0) { $0 + SymmetricEntries.count($1.a, $1.b) })
        }
    }

    /// Builds the constraint matrices (the costly part, once the SDP is known to fit).
    mutating func buildConstraints() {
        constraints = products.map { QuadraticConstraint($0.kind, product: $0.a, $0.b) }
        products = []
    }

    /// A constraint before its matrix is built: `a(ζ)·b(ζ) ≥ 0` or `= 0`.
    private struct Product: Sendable {
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

    /// A new coordinate of ζ at `level`, ranging over `range`.
    private mutating func newCoordinate(level: Int, range: Interval) -> Int {
        dimension += 1
        coordinateRanges.append(range)
        levels.append(level)
        return dimension - 1
    }

    /// Runs one layer on affine forms, adding a φ̂ coordinate for every
    /// unstable ReLU (and, layered, a coordinate for every other neuron of a
    /// hidden layer that is not always 0); returns the layer's output forms.
    private mutating func propagate(_ layer: DenseLayer, network index: Int, layer l: Int, last: Bool,
                                    inputs h: [AffineForm], ranges: [Interval], layered: Bool,
                                    into neurons: inout [Neuron]) -> [AffineForm] {
        var next: [AffineForm] = []
        for k in 0..<layer.outputSize {
            var pre = AffineForm.constant(Interval(layer.biases[k]), dimension: dimension)
            for (j, w) in layer.weights[k].enumerated() { pre.add(h[j], times: w) }
            pre.extend(to: dimension)
            let range = pre.range(over: coordinateRanges).intersecting(ranges[k])
            var post: AffineForm
            var coordinate: Int?
            switch layer.activation {
            case .relu where range.upper <= 0:
                post = AffineForm(dimension: dimension)
            case .relu where range.lower >= 0, .identity:
                post = pre
                let scale = range.magnitude
                if layered, !last, scale > 0 {
                    // h = m·ĥ with (h − ξ)² = 0: the coordinate stands for the form.
                    let c = newCoordinate(level: l + 1, range: Interval(range.lower < 0 ? -1 : 0, 1))
                    post = AffineForm.coordinate(c, dimension: dimension, scale: Interval(scale))
                    let v = post - pre
                    products.append(Product(.zero, v, v))
                }
            case .relu:
                let c = newCoordinate(level: l + 1, range: Interval(0, 1))
                coordinate = c
                post = AffineForm.coordinate(c, dimension: dimension, scale: Interval(range.upper))
                unstableCount += 1
            }
            if layer.activation == .relu {
                // Stable ones too: a diagonal partner's slope constraint needs them.
                neurons.append(Neuron(network: index, layer: l, index: k, pre: pre, post: post,
                                      range: range, coordinate: coordinate))
            }
            next.append(post)
        }
        return next
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

    /// Slope constraints: the diagonal pairs where either ReLU is unstable, and
    /// for full or layer pairs the other pairs of unstable ReLUs they name.
    private func slopeProducts(_ neurons: [[Neuron]], pairs: NeuronPairs) -> [Product] {
        var chosen: [(Neuron, Neuron)] = []
        let second = Dictionary(neurons[1].map { ([$0.layer, $0.index], $0) }, uniquingKeysWith: { a, _ in a })
        for a in neurons[0] {
            if let b = second[[a.layer, a.index]], a.isUnstable || b.isUnstable { chosen.append((a, b)) }
        }
        if pairs == .full || pairs == .layer {
            let all = (neurons[0] + neurons[1]).filter(\.isUnstable)
            for i in all.indices {
                for j in (i + 1)..<all.count {
                    let (a, b) = (all[i], all[j])
                    let diagonal = a.network != b.network && a.layer == b.layer && a.index == b.index
                    if !diagonal, pairs == .full || a.layer == b.layer { chosen.append((a, b)) }
                }
            }
        }
        return chosen.map { a, b in
            let dPhi = a.post - b.post
            return Product(.nonnegative, dPhi, a.pre - b.pre - dPhi)
        }
    }
}
