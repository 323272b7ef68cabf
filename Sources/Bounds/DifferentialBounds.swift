import Compression
import ExactArithmetic
import NeuralNetwork

/// What the original network is compared with, as the bound propagation sees it.
public enum ComparedParameters: Sendable {
    /// A second network with the same inputs and outputs (any hidden sizes and activations).
    case concrete(Network)
    /// Every parameter vector within these radii of the original's.
    case perturbation(PerturbationRadii)
    /// A network that quantises its activations (its exact integer arithmetic).
    case quantized(QuantizedNetwork)
}

/// Sound bounds for a pair (original f, compressed g) over an input box.
public struct PairBounds: Sendable {
    /// Pre-activation ranges of every neuron of f, layer by layer.
    public var original: [[Interval]]
    /// Pre-activation ranges of g (for a perturbation set: of every network in it).
    public var compressed: [[Interval]]
    /// f's outputs as linear forms of the input.
    public var originalOutputs: FormPair
    /// `g − f` at the outputs as linear forms of the input: bounded directly
    /// (differentially) when the two have the same shape, else by subtracting
    /// g's and f's forms.
    public var differenceOutputs: FormPair
    /// Ranges of f's outputs and of `g − f` over the box.
    public var originalRange: [Interval]
    public var differenceRange: [Interval]
    /// ReLUs of f and of g whose sign the bounds do not fix.
    public var unstableCount: Int
    /// Ranges of `u' − u` for every neuron, layer by layer, where the two
    /// networks have the same shape (nil otherwise).
    public var preActivationDifference: [[Interval]]? = nil
    /// How much of the relaxations' looseness each input carries (``ReluSmear``),
    /// for choosing the input to split; nil where the bounds do not track it.
    public var reluSmear: [Double]? = nil
}

/// The pre-activation ranges a box's bounds proved, kept for the boxes split
/// from it: they hold on every part of the box, so a part starts from them.
public struct NeuronRanges: Sendable {
    public var original: [[Interval]]
    public var compressed: [[Interval]]
    public var difference: [[Interval]]?

    public init(_ bounds: PairBounds) {
        original = bounds.original
        compressed = bounds.compressed
        difference = bounds.preActivationDifference
    }
}

/// Differential bound propagation (the idea of ReluDiff and NeuroDiff): besides
/// symbolic bounds on f and on g, it carries symbolic bounds on `g − f` neuron
/// by neuron, so that the two networks' shared behaviour cancels instead of
/// adding up as it would if two separate boxes were subtracted.
///
/// Soundness: all arithmetic is binary64 with outward rounding (see
/// ``Interval`` and ``LinearForms``); parameter differences are split exactly
/// by TwoSum. Results are valid bounds for the real-valued networks.
///
/// For a perturbation set the Lemma of docs/semantics.md §2 gives, for every neuron,
/// `u'_k − u_k = W_k·(h' − h) + e_k` with `|e_k| ≤ Δ_k + Σ_j Δ_kj·|h'_j|`; the
/// bound on `e_k` uses the box of h'.
public struct DifferentialAnalysis: Sendable {
    public let original: Network
    public let compared: ComparedParameters
    private let differences: [ParameterDifference]?
    /// The binary64 enclosure of a quantised network's values, built once.
    private let enclosure: QuantizedEnclosure?
    /// Back-substitution for f and for g (or every member of a perturbation set), when asked for.
    private let backSubstitution: (original: BoxBackSubstitution, compared: BoxBackSubstitution)?
    /// Back-substitution through both networks at once, for `u' − u` (concrete pairs of the same shape, when asked for).
    private let differential: DifferentialBackSubstitution?
    /// Every weight matrix the propagation multiplies, its rows sorted by sign once:
    /// f's layers, and g's, `W' − W` and the perturbation radii where they apply.
    private let rows: (original: [SignedRows], compressed: [SignedRows], difference: [SignedRows], radii: [SignedRows])

    /// - Parameter backSubstitutes: whether every ReLU range that forward
    ///   propagation leaves straddling 0 is tightened by back-substitution
    ///   (``BoxBackSubstitution``), for concrete pairs of the same shape and for
    ///   perturbation sets. Tighter, and dearer per box: it pays where splitting
    ///   a box is slow to fix ReLUs (several inputs, perturbation sets).
    public init(original: Network, compared: ComparedParameters, backSubstitutes: Bool = false) {
        self.original = original
        self.compared = compared
        if case .quantized(let g) = compared { enclosure = QuantizedEnclosure(g) } else { enclosure = nil }
        // Neuron by neuron only where every layer matches in size and activation: a ReLU of f
        // facing a linear neuron of g is no pair the relaxations of `y' − y` describe.
        if case .concrete(let g) = compared, g.hasSameLayers(as: original) {
            differences = zip(original.layers, g.layers).map { ParameterDifference(original: $0, compressed: $1) }
        } else {
            differences = nil
        }
        let compressedRows: [SignedRows], radiusRows: [SignedRows]
        switch compared {
        case .concrete(let g): (compressedRows, radiusRows) = (g.layers.map { SignedRows($0.weights) }, [])
        case .perturbation(let radii): (compressedRows, radiusRows) = ([], radii.weightsUp.map(SignedRows.init))
        case .quantized: (compressedRows, radiusRows) = ([], [])
        }
        rows = (original.layers.map { SignedRows($0.weights) }, compressedRows,
                differences?.map { SignedRows($0.weights) } ?? [], radiusRows)
        switch compared {
        case .perturbation(let radii) where backSubstitutes:
            backSubstitution = (BoxBackSubstitution(network: original, radii: nil), BoxBackSubstitution(network: original, radii: radii))
        case .concrete(let g) where backSubstitutes && differences != nil:
            backSubstitution = (BoxBackSubstitution(network: original, radii: nil), BoxBackSubstitution(network: g, radii: nil))
        default:
            backSubstitution = nil
        }
        if case .concrete(let g) = compared, backSubstitution != nil {
            differential = DifferentialBackSubstitution(original: original, compressed: g)
        } else {
            differential = nil
        }
    }

    /// Whether `g − f` is bounded neuron by neuron (same shapes or a perturbation set).
    public var isDifferential: Bool {
        if case .perturbation = compared { return true }
        return differences != nil
    }

    /// Bounds over a box of normalised inputs.
    /// - Parameter known: ranges proved over a box that contains this one (the
    ///   box it was split from): each neuron's range is intersected with its
    ///   known one before anything else uses it, so a ReLU proved stable there
    ///   is stable here without being back-substituted again.
    public func bounds(over box: [Interval], known: NeuronRanges? = nil) -> PairBounds {
        let backSubstituting = backSubstitution != nil
        if case .concrete(let g) = compared, differences == nil {
            return separateBounds(g, over: box)
        }
        if case .quantized(let g) = compared {
            return quantizedBounds(g, over: box)
        }
        let n = original.inputSize
        let inputForms = FormPair(lower: .identity(inputs: n), upper: .identity(inputs: n))
        var hf = inputForms, hg = inputForms
        var hd = FormPair(zeros: n, inputs: n)
        var hfRange = box, hgRange = box
        var fRanges: [[Interval]] = [], gRanges: [[Interval]] = [], dRanges: [[Interval]] = []
        var unstable = 0
        var smear = ReluSmear(box: box)
        let compressedLayers: [DenseLayer] = if case .concrete(let g) = compared { g.layers } else { [] }

        for (l, layer) in original.layers.enumerated() {
            let pf = hf.affine(rows: rows.original[l], biases: layer.biases)
            let pg: FormPair, pd: FormPair
            switch compared {
            case .perturbation(let radii):
                var d = hd.affine(rows: rows.original[l], biases: Array(repeating: 0, count: layer.outputSize))
                if l > 0 && original.layers[l - 1].activation == .relu {
                    // h' ≥ 0 after a ReLU: the offset Δb_k + Σ_j Δ_kj·h'_j is at most Δb_k + Σ_j Δ_kj·U_j(x),
                    // with U_j h'_j's upper form; carried symbolically, it keeps its dependence on x.
                    // With weights Δ ≥ 0, a lower form of −h' (−U) gives the lower offset and U the upper one.
                    let magnitudes = FormPair(lower: hg.upper.negated, upper: hg.upper)
                    var offsets = FormPair(zeros: layer.outputSize, inputs: n)
                    for k in 0..<layer.outputSize {
                        offsets.lower.addConstant(k, -radii.biasesUp[l][k], -radii.biasesUp[l][k])
                        offsets.upper.addConstant(k, radii.biasesUp[l][k], radii.biasesUp[l][k])
                    }
                    magnitudes.accumulate(into: &offsets, rows.radii[l])
                    d = .sum(d, offsets)
                } else {
                    for k in 0..<layer.outputSize {
                        var r = radii.biasesUp[l][k]
                        for (j, h) in hgRange.enumerated() { r = (r + (radii.weightsUp[l][k][j] * h.magnitude).nextUp).nextUp }
                        d.lower.addConstant(k, -r, -r)
                        d.upper.addConstant(k, r, r)
                    }
                }
                pd = d
                pg = .sum(pf, d)
            case .quantized:
                preconditionFailure("bounds(over:) answers quantised networks before this loop")
            case .concrete:
                let gLayer = compressedLayers[l]
                pd = Self.differencePreActivations(differences![l], compressed: gLayer, hd: hd, hf: hf, hfRange: hfRange,
                                                   rows: (rows.compressed[l], rows.difference[l]))
                // u' = u + δ saves g's own product where back-substitution tightens g's ranges
                // anyway (ACAS Xu: the same boxes, 10% faster); without it g's own forms are
                // tighter (diff2d small: 497 boxes against 663).
                pg = backSubstituting ? .sum(pf, pd) : hg.affine(rows: rows.compressed[l], biases: gLayer.biases)
            }
            var rf = (0..<pf.count).map { pf.concrete($0, over: box) }
            var rg = (0..<pg.count).map { pg.concrete($0, over: box) }
            var rd = (0..<pd.count).map { pd.concrete($0, over: box) }
            if let known {
                for k in rf.indices { rf[k] = rf[k].intersecting(known.original[l][k]) }
                for k in rg.indices { rg[k] = rg[k].intersecting(known.compressed[l][k]) }
                if let d = known.difference { for k in rd.indices { rd[k] = rd[k].intersecting(d[l][k]) } }
            }
            if l > 0, layer.activation == .relu, let (f, g) = backSubstitution {
                f.tightenStraddling(&rf, layer: l, box: box, below: fRanges)
                // u' = u + δ first: a ReLU of g that f's tightened range and δ already fix
                // needs no back-substitution of its own.
                for k in rg.indices { rg[k] = rg[k].intersecting(rf[k] + rd[k]) }
                g.tightenStraddling(&rg, layer: l, box: box, below: gRanges)
            }
            Self.intersectThroughDifference(&rf, &rg, &rd)
            fRanges.append(rf)
            gRanges.append(rg)
            dRanges.append(rd)

            switch layer.activation {
            case .identity:
                hf = pf; hg = pg
                hd = pd
                hfRange = rf; hgRange = rg
            case .relu:
                var nf = FormPair(zeros: pf.count, inputs: n), ng = FormPair(zeros: pg.count, inputs: n)
                for k in 0..<pf.count {
                    ReluRelaxation.apply(k, pre: pf, range: rf[k], box: box, into: &nf)
                    if rf[k].lower < 0 && rf[k].upper > 0 {
                        unstable += 1
                        smear.add(pf, k, range: rf[k])
                    }
                }
                for k in 0..<pg.count {
                    ReluRelaxation.apply(k, pre: pg, range: rg[k], box: box, into: &ng)
                    if rg[k].lower < 0 && rg[k].upper > 0 {
                        unstable += 1
                        smear.add(pg, k, range: rg[k])
                    }
                }
                hd = Self.reluDifference(pf: pf, pg: pg, pd: pd, rf: rf, rg: rg, rd: rd, box: box)
                Self.tighten(&hd, with: .difference(ng, nf), box: box)
                hf = nf; hg = ng
                hfRange = rf.map { $0.relu() }; hgRange = rg.map { $0.relu() }
            }
        }
        return PairBounds(original: fRanges, compressed: gRanges, originalOutputs: hf, differenceOutputs: hd,
                          originalRange: (0..<hf.count).map { hf.concrete($0, over: box) },
                          differenceRange: (0..<hd.count).map { hd.concrete($0, over: box) },
                          unstableCount: unstable, preActivationDifference: dRanges, reluSmear: smear.perInput)
    }

    /// Whether ``refined(_:over:)`` can tighten anything: concrete pairs of
    /// the same shape, analysed with back-substitution.
    public var refines: Bool { differential != nil }

    /// The bounds over `box`, tightened by back-substituting `u' − u` through
    /// both networks at once (``DifferentialBackSubstitution``): layer by
    /// layer at the neurons whose relaxation of `y' − y` reads δ's range
    /// (neither ReLU inactive, one unstable), then at the outputs. Dearer than
    /// `bounds(over:)` itself, so the search asks for it only for boxes those
    /// bounds do not close. Unchanged where ``refines`` is false.
    public func refined(_ bounds: PairBounds, over box: [Interval]) -> PairBounds {
        guard let differential, var difference = bounds.preActivationDifference else { return bounds }
        var result = bounds
        let last = original.layers.count - 1
        for l in stride(from: 1, through: last, by: 1) where original.layers[l].activation == .relu || l == last {
            let (rf, rg) = (result.original[l], result.compressed[l])
            let below = DifferentialBackSubstitution.Ranges(original: result.original, compressed: result.compressed,
                                                            difference: difference)
            differential.tightenDifference(&difference[l], layer: l, box: box, below: below) { k in
                guard l < last else { return true }
                let fUnstable = rf[k].lower < 0 && rf[k].upper > 0, gUnstable = rg[k].lower < 0 && rg[k].upper > 0
                return (fUnstable || gUnstable) && rf[k].upper > 0 && rg[k].upper > 0
            }
            // A tighter δ can fix a ReLU of either network for the layers above.
            Self.intersectThroughDifference(&result.original[l], &result.compressed[l], &difference[l])
        }
        result.preActivationDifference = difference
        // With a linear output layer the outputs' δ ranges bound g − f too.
        if original.layers[last].activation == .identity {
            for k in result.differenceRange.indices {
                let tightened = result.differenceRange[k].intersecting(difference[last][k])
                if tightened.lower <= tightened.upper { result.differenceRange[k] = tightened }
            }
        }
        return result
    }

    /// `u' = u + δ`: each of a layer's three ranges can tighten the others.
    /// (Proved ranges all hold the exact values, so the intersections are never empty.)
    private static func intersectThroughDifference(_ rf: inout [Interval], _ rg: inout [Interval], _ rd: inout [Interval]) {
        for k in rd.indices {
            rg[k] = rg[k].intersecting(rf[k] + rd[k])
            rd[k] = rd[k].intersecting(rg[k] - rf[k])
            rf[k] = rf[k].intersecting(rg[k] - rd[k])
        }
    }

    /// Networks of different shapes: `g − f` from the two networks' own forms.
    private func separateBounds(_ g: Network, over box: [Interval]) -> PairBounds {
        let f = SymbolicBounds(network: original, box: box, rows: rows.original)
        let gb = SymbolicBounds(network: g, box: box, rows: rows.compressed)
        let difference = FormPair.difference(gb.outputs, f.outputs)
        return PairBounds(original: f.preActivations, compressed: gb.preActivations,
                          originalOutputs: f.outputs, differenceOutputs: difference,
                          originalRange: (0..<f.outputs.count).map { f.outputs.concrete($0, over: box) },
                          differenceRange: (0..<difference.count).map { difference.concrete($0, over: box) },
                          unstableCount: f.unstableCount + gb.unstableCount)
    }

    /// A network with quantised activations: f's symbolic bounds, and the
    /// exact ranges of the integer arithmetic's logits over the box (constants:
    /// g is piecewise constant), so `g − f` lies between `L_g − f`'s upper form
    /// and `U_g − f`'s lower form. The ranges shrink to points once the box lies
    /// in one cell of the input quantizer, and the bound then closes as f's does.
    private func quantizedBounds(_ g: QuantizedNetwork, over box: [Interval]) -> PairBounds {
        let f = SymbolicBounds(network: original, box: box, rows: rows.original)
        let ranges = enclosure?.ranges(over: box) ?? exactRanges(g, over: box)
        var constants = FormPair(zeros: g.outputSize, inputs: box.count)
        for (k, r) in ranges.logits.enumerated() {
            constants.lower.addConstant(k, r.lower, r.lower)
            constants.upper.addConstant(k, r.upper, r.upper)
        }
        let difference = FormPair.difference(constants, f.outputs)
        let compressed = ranges.preActivations
        var unstable = 0
        for (layer, ranges) in zip(g.network.layers, compressed) where layer.activation == .relu {
            unstable += ranges.filter { $0.lower < 0 && $0.upper > 0 }.count
        }
        return PairBounds(original: f.preActivations, compressed: compressed,
                          originalOutputs: f.outputs, differenceOutputs: difference,
                          originalRange: (0..<f.outputs.count).map { f.outputs.concrete($0, over: box) },
                          differenceRange: (0..<difference.count).map { difference.concrete($0, over: box) },
                          unstableCount: f.unstableCount + unstable)
    }

    /// The exact ranges, enclosed in binary64 (for a scale without an exact binary64 value).
    private func exactRanges(_ g: QuantizedNetwork, over box: [Interval]) -> (preActivations: [[Interval]], logits: [Interval]) {
        // The query's box is finite (validated); an infinite end would become the largest finite one.
        func exact(_ x: Double) -> Rational {
            Rational(exactly: x) ?? Rational(exactly: x < 0 ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude)!
        }
        let ranges = g.exactRanges(normalizedBox: box.map { (exact($0.lower), exact($0.upper)) })
        let enclosure = { (r: QuantizedNetwork.ExactRange) in Interval(r.lower.roundedDown, r.upper.roundedUp) }
        return (ranges.preActivations.map { $0.map(enclosure) }, ranges.logits.map(enclosure))
    }

    /// `u' − u = W'·(h' − h) + (W' − W)·h + (b' − b)` as forms, with the exact
    /// TwoSum errors of the differences added as `± |error|·max|h|`.
    private static func differencePreActivations(_ difference: ParameterDifference, compressed: DenseLayer,
                                                 hd: FormPair, hf: FormPair, hfRange: [Interval],
                                                 rows: (compressed: SignedRows, difference: SignedRows)) -> FormPair {
        var result = FormPair(zeros: compressed.outputSize, inputs: hf.lower.inputs)
        for k in 0..<compressed.outputSize {
            var slack = difference.biasErrors[k]
            for (j, h) in hfRange.enumerated() where difference.weightErrors[k][j] != 0 {
                slack = (slack + (difference.weightErrors[k][j] * h.magnitude).nextUp).nextUp
            }
            result.lower.addConstant(k, difference.biases[k] - slack, difference.biases[k] - slack)
            result.upper.addConstant(k, difference.biases[k] + slack, difference.biases[k] + slack)
        }
        // Each row: its constant, then W'·hd, then ΔW·hf, each sum widened by its own error.
        hd.accumulate(into: &result, rows.compressed)
        hf.accumulate(into: &result, rows.difference)
        return result
    }

    /// Forms of `max(0, u') − max(0, u)` from those of u (pf), u' (pg) and
    /// `δ = u' − u` (pd), case by case on which neurons the ranges fix.
    private static func reluDifference(pf: FormPair, pg: FormPair, pd: FormPair,
                                       rf: [Interval], rg: [Interval], rd: [Interval], box: [Interval]) -> FormPair {
        let n = pf.lower.inputs
        var out = FormPair(zeros: pf.count, inputs: n)
        var scratch = LinearForms(zeros: pf.count, inputs: n)
        for k in 0..<pf.count {
            let fActive = rf[k].lower >= 0, fInactive = rf[k].upper <= 0
            let gActive = rg[k].lower >= 0, gInactive = rg[k].upper <= 0
            let d = rd[k]
            switch (fActive, fInactive, gActive, gInactive) {
            case (true, _, true, _):            // both pass: y' − y = δ
                out.lower.copy(k, from: pd.lower, k)
                out.upper.copy(k, from: pd.upper, k)
            case (_, true, _, true):            // both zero
                break
            case (_, true, true, _):            // y' − y = u'
                out.lower.copy(k, from: pg.lower, k)
                out.upper.copy(k, from: pg.upper, k)
            case (true, _, _, true):            // y' − y = −u
                out.lower.copy(k, from: pf.upper, k, negated: true)
                out.upper.copy(k, from: pf.lower, k, negated: true)
            case (_, true, _, _):               // y' − y = max(0, u') ∈ [0, relaxation of u']
                ReluRelaxation.applyUpper(k, pg.upper, box: box, into: &out.upper)
            case (_, _, _, true):               // y' − y = −max(0, u')
                ReluRelaxation.applyUpper(k, pf.upper, box: box, into: &scratch)
                out.lower.copy(k, from: scratch, k, negated: true)
            case (true, _, _, _):               // y' − y = max(−u, δ) ∈ [δ, max(0, δ)]
                out.lower.copy(k, from: pd.lower, k)
                positivePart(k, pd, d, into: &out.upper)
            case (_, _, true, _):               // y' − y = min(u', δ) ∈ [min(0, δ), δ]
                out.upper.copy(k, from: pd.upper, k)
                negativePart(k, pd, d, into: &out.lower)
            default:                            // both unstable: [min(0, δ), max(0, δ)]
                positivePart(k, pd, d, into: &out.upper)
                negativePart(k, pd, d, into: &out.lower)
            }
        }
        return out
    }

    /// Replaces each difference form by `g`'s minus `f`'s post-activation
    /// forms where those are tighter over the box: when a neuron's range
    /// shrinks around 0 (a box on a kink), `max(0, u') − max(0, u)` is better
    /// bounded by the two relaxations than by the chords on δ.
    private static func tighten(_ hd: inout FormPair, with separate: FormPair, box: [Interval]) {
        for k in 0..<hd.count {
            if separate.lower.minimum(k, over: box) > hd.lower.minimum(k, over: box) {
                hd.lower.copy(k, from: separate.lower, k)
            }
            if separate.upper.maximum(k, over: box) < hd.upper.maximum(k, over: box) {
                hd.upper.copy(k, from: separate.upper, k)
            }
        }
    }

    /// Upper form of `max(0, δ)`.
    private static func positivePart(_ k: Int, _ pd: FormPair, _ d: Interval, into upper: inout LinearForms) {
        if d.lower >= 0 {
            upper.copy(k, from: pd.upper, k)
        } else if d.upper > 0 {
            ReluRelaxation.chordOfPositivePart(k, pd.upper, range: d, into: &upper)
        } else {
            upper.clear(k)
        }
    }

    /// Lower form of `min(0, δ)`.
    private static func negativePart(_ k: Int, _ pd: FormPair, _ d: Interval, into lower: inout LinearForms) {
        if d.upper <= 0 {
            lower.copy(k, from: pd.lower, k)
        } else if d.lower < 0 {
            ReluRelaxation.chordOfNegativePart(k, pd.lower, range: d, into: &lower)
        } else {
            lower.clear(k)
        }
    }
}

extension FormPair {
    /// Forms of `a − b`: lower `a.lower − b.upper`, upper `a.upper − b.lower`.
    static func difference(_ a: FormPair, _ b: FormPair) -> FormPair {
        var negated = FormPair(zeros: b.count, inputs: b.lower.inputs)
        for k in 0..<b.count {
            negated.lower.copy(k, from: b.upper, k, negated: true)
            negated.upper.copy(k, from: b.lower, k, negated: true)
        }
        return .sum(a, negated)
    }
}
