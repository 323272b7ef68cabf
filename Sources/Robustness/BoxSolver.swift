import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Z3Kit

/// Closes a box exactly with Z3: both networks over the box's inputs as
/// linear real arithmetic, ReLUs that the box's bounds prove stable encoded
/// linearly and only the others as disjunctions, and for a perturbation set
/// the Lemma's one interval variable per neuron. Each objective `±(z'_i − z_i)`
/// is maximised by ``ObjectiveSearch``; its witnesses are replayed exactly.
struct BoxSolver: Sendable {
    let original: Network
    let compared: ComparedParameters
    let metric: BoxMetric
    let region: [(lower: Rational, upper: Rational)]
    private let exact: ExactLayerPair

    /// - Parameter exact: the networks' exact layers, shared with whoever else replays witnesses (made here if nil).
    init(original: Network, compared: ComparedParameters, metric: BoxMetric, region: [(lower: Rational, upper: Rational)],
         exact: ExactLayerPair? = nil) {
        self.original = original
        self.compared = compared
        self.metric = metric
        self.region = region
        self.exact = exact ?? ExactLayerPair(original: original, compared: compared)
    }

    /// The original network's exact layers.
    var originalLayers: [ExactLayer] { exact.original }
    /// The compressed network's exact layers; for a perturbation set, its centre (the original's).
    var compressedLayers: [ExactLayer] { exact.compressed }

    /// Both networks over a box in Z3: the constraints, the input and output nodes,
    /// and for a perturbation set its encoding. A quantized network's rounding is
    /// encoded exactly (``QuantizedEncoding``).
    private func encodePair(lows: [Rational], highs: [Rational], bounds: PairBounds, z3: Context) throws
        -> (constraints: [Term], inputs: [Node], z: [Node], zPrime: [Node],
            perturbation: (encoding: LinearPerturbationEncoding, set: PerturbationSet)?)?
    {
        var constraints: [Term] = []
        var inputs: [Node] = [], magnitudes: [Node] = []
        for i in lows.indices {
            let x = try z3.realVariable("x_\(i)")
            constraints += [try x >= z3.real(lows[i]), try x <= z3.real(highs[i])]
            inputs.append(.term(x))
            if !lows[i].isNegative {
                magnitudes.append(.term(x))
            } else if !highs[i].isPositive {
                magnitudes.append(.term(try -x))
            } else {
                magnitudes.append(.term(try z3.magnitude(x, name: "ax_\(i)", into: &constraints)))
            }
        }
        let z = try Self.encode(originalLayers, inputs: inputs, ranges: bounds.original, prefix: "f",
                                z3: z3, constraints: &constraints)
        let zPrime: [Node]
        var perturbation: (encoding: LinearPerturbationEncoding, set: PerturbationSet)?
        switch compared {
        case .quantized(let g):
            zPrime = try QuantizedEncoding.encode(g, inputs: inputs, box: Array(zip(lows, highs)), z3: z3, constraints: &constraints)
        case .concrete:
            zPrime = try Self.encode(compressedLayers, inputs: inputs, ranges: bounds.compressed, prefix: "g",
                                     z3: z3, constraints: &constraints)
        case .perturbation(let radii):
            let encoding = try LinearPerturbationEncoding(z3: z3, layers: originalLayers, radii: radii, input: inputs,
                                                          inputMagnitudes: magnitudes, bounds: bounds.compressed,
                                                          constraints: constraints, prefix: "g")
            perturbation = (encoding, radii.set)
            constraints = encoding.constraints
            zPrime = encoding.outputs.map(Node.term)
        }
        return (constraints, inputs, z, zPrime, perturbation)
    }

    /// The exact answer on a box: a sound upper bound of the metric (exact for
    /// the logit metric) and the best witness; nil when a limit stopped Z3.
    func solve(_ box: [Interval], bounds: PairBounds, z3: Context, deadline: Date?, tolerance: Rational,
               statistics: inout GlobalStatistics) throws -> (upper: Double, candidate: Candidate?)? {
        // Bounds that overflowed binary64 give no starting point; leave such a box to splitting.
        guard bounds.differenceRange.allSatisfy({ $0.lower.isFinite && $0.upper.isFinite }) else { return nil }
        // A sliver of the outward-rounded box outside the exact region holds no input.
        guard let (lows, highs) = exactPart(of: box) else { return (0, nil) }
        guard let (constraints, inputs, z, zPrime, perturbation) = try encodePair(lows: lows, highs: highs, bounds: bounds, z3: z3) else {
            return nil
        }
        let solver = try Solver(context: z3)
        for constraint in constraints { try solver.assert(constraint) }
        // Optimize does not take the quantizers' strict tie constraints: their boxes bisect by plain checks.
        var usesOptimize = true
        if case .quantized = compared { usesOptimize = false }
        var search = ObjectiveSearch(z3: z3, solver: solver, constraints: constraints, useOptimize: usesOptimize,
                                     tolerance: tolerance, deadline: deadline)
        defer { statistics.solverCalls += search.statistics.checks + search.statistics.optimizations }

        // The first witness of every objective: the box's centre (for a set, with the original parameters).
        let centre = zip(lows, highs).map { ($0 + $1) * Rational(1, 2) }
        let start = replay(centre, parameters: nil)
        var differenceRange: [(lower: Rational, upper: Rational)] = []
        var best: Candidate?
        for i in z.indices {
            var ends: [Rational] = []
            for sign in [Rational.one, -Rational.one] {
                let objective = try z3.linear([(sign, zPrime[i]), (-sign, z[i])], constant: .zero).term(z3)
                let d = bounds.differenceRange[i]
                let upper = Rational(exactly: sign.isPositive ? d.upper : -d.lower)!
                let found = try search.maximize(objective, lower: sign * (start.compressed[i] - start.original[i]),
                                                upper: upper, best: start) { model in
                    let witness = try replay(model, inputs: inputs, perturbation: perturbation)
                    return (sign * (witness.compressed[i] - witness.original[i]), witness)
                }
                if found.reason != nil { return nil }
                ends.append(found.upper)
                let candidate = found.best.candidate(metric)
                if candidate.value > best?.value ?? -.infinity { best = candidate }
            }
            differenceRange.append((-ends[1], ends[0]))
        }
        statistics.exactBoxes += 1
        return (upperBound(bounds, differenceRange: differenceRange), best)
    }

    /// The flip question decided exactly on a box.
    enum FlipAnswer {
        /// A witness that changes class, replayed exactly.
        case flips(Candidate)
        /// No input of the box (and no member of a perturbation set) changes class.
        case noFlip
    }

    /// Whether some input of the box (and, for a perturbation set, some member of
    /// it) gets another class from the compressed network, decided by Z3. A class
    /// is encoded by its own inequalities, strict and non-strict as at a point (one
    /// output: class 1 iff z > 0; several: the first largest), so a tie counts only
    /// where it changes the class. Nil when Z3 gave no answer in time.
    func decideFlip(_ box: [Interval], bounds: PairBounds, z3: Context, deadline: Date?,
                    statistics: inout GlobalStatistics) throws -> FlipAnswer? {
        guard let (lows, highs) = exactPart(of: box) else { return .noFlip }
        guard let (constraints, inputs, z, zPrime, perturbation) = try encodePair(lows: lows, highs: highs, bounds: bounds, z3: z3) else {
            return nil
        }
        let zTerms = try z.map { try $0.term(z3) }, gTerms = try zPrime.map { try $0.term(z3) }
        let change: Term
        if zTerms.count == 1 {
            let zero = try z3.real(.zero)
            change = try (zTerms[0] > zero && gTerms[0] <= zero) || (zTerms[0] <= zero && gTerms[0] > zero)
        } else {
            /// `v` gives class c: above every earlier logit, at least every later one.
            func isClass(_ v: [Term], _ c: Int) throws -> Term {
                try z3.and(v.indices.filter { $0 != c }.map { i in i < c ? try v[c] > v[i] : try v[c] >= v[i] })
            }
            change = try z3.or(zTerms.indices.map { c in try isClass(zTerms, c) && !isClass(gTerms, c) })
        }
        let solver = try Solver(context: z3)
        for constraint in constraints + [change] { try solver.assert(constraint) }
        if let deadline {
            let ms = deadline.timeIntervalSinceNow * 1000
            guard ms >= 1 else { return nil }
            try solver.setLimits(SolverLimits(timeoutMilliseconds: UInt32(min(ms, Double(UInt32.max)))))
        }
        statistics.solverCalls += 1
        switch try solver.check() {
        case .unknown:
            return nil
        case .unsat:
            statistics.exactBoxes += 1
            return .noFlip
        case .sat:
            statistics.exactBoxes += 1
            return .flips(try replay(try solver.model(), inputs: inputs, perturbation: perturbation).candidate(metric))
        }
    }

    /// The metric's bound from the exact ranges of `z' − z`.
    private func upperBound(_ bounds: PairBounds, differenceRange: [(lower: Rational, upper: Rational)]) -> Double {
        var refined = bounds
        refined.differenceRange = differenceRange.map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        return metric.upperBound(refined)
    }

    /// The part of an outward-rounded box inside the exact region, exactly;
    /// nil for a sliver outside it.
    private func exactPart(of box: [Interval]) -> (lows: [Rational], highs: [Rational])? {
        let lows = box.indices.map { Rational.max(Rational(exactly: box[$0].lower)!, region[$0].lower) }
        let highs = box.indices.map { Rational.min(Rational(exactly: box[$0].upper)!, region[$0].upper) }
        return box.indices.contains(where: { highs[$0] < lows[$0] }) ? nil : (lows, highs)
    }

    /// The answer on a box by ``ReluBranchAndBound`` over ``PairLP``,
    /// objective by objective: each `±(z'_i − z_i)` to within `tolerance` of a
    /// replayed witness, or to at most `enough` (τ, when the logit metric
    /// decides a threshold). Witnesses are the LP points' inputs, with (for a
    /// perturbation set) a member of Θ_Δ near the LP's pre-activations. Nil
    /// when the networks are not ReLU MLPs or some objective did not settle
    /// before the deadline (the box is then split further).
    func branchAndBound(_ box: [Interval], bounds: PairBounds, deadline: Date?, tolerance: Rational, enough: Rational?,
                        statistics: inout GlobalStatistics) throws -> (upper: Double, candidate: Candidate?)? {
        guard bounds.differenceRange.allSatisfy({ $0.lower.isFinite && $0.upper.isFinite }) else { return nil }
        guard let (lows, highs) = exactPart(of: box) else { return (0, nil) }
        guard let lp = try PairLP(original: original, compared: compared, box: box, bounds: bounds) else { return nil }
        let centre = replay(zip(lows, highs).map { ($0 + $1) * Rational(1, 2) }, parameters: nil)
        var differenceRange: [(lower: Rational, upper: Rational)] = []
        var best: Candidate?
        let objectives = 2 * bounds.differenceRange.count
        var done = 0
        for i in bounds.differenceRange.indices {
            var ends: [Rational] = []
            for sign in [1.0, -1.0] {
                try lp.setObjective(output: i, sign: sign)
                let exactSign = Rational(exactly: sign)!
                let d = bounds.differenceRange[i]
                let search = ReluBranchAndBound<PairLP, BoxWitness>(encoding: lp, tolerance: tolerance, enough: enough) { point, best in
                    // The LP point's input, pulled into the exact box, on both networks.
                    let x = zip(lp.input(at: point), zip(lows, highs)).map { value, range in
                        Rational.min(Rational.max(Rational(exactly: value) ?? range.0, range.0), range.1)
                    }
                    let approximate = x.map(\.approximateDouble)
                    let compressed: [Double], parameters: () -> [ExactLayer]?
                    switch compared {
                    case .concrete(let g): (compressed, parameters) = (g.logits(normalizedInput: approximate), { nil })
                    case .quantized: return nil
                    case .perturbation(let radii):
                        let member = radii.member(of: originalLayers, approximate: original.layers, at: approximate) { l, k in
                            point[lp.compressedPre[l][k]]
                        }
                        (compressed, parameters) = (member.logits, member.parameters)
                    }
                    let estimate = sign * (compressed[i] - original.logits(normalizedInput: approximate)[i])
                    guard estimate > best.approximateDouble else { return nil }
                    let witness = replay(x, parameters: parameters())
                    return (exactSign * (witness.compressed[i] - witness.original[i]), witness)
                }
                // A fair share of the time left for each objective still to come.
                let share = deadline.map { Date().addingTimeInterval($0.timeIntervalSinceNow / Double(objectives - done)) }
                let outcome = try search.run(lower: exactSign * (centre.compressed[i] - centre.original[i]), witness: centre,
                                             upper: Rational(exactly: sign > 0 ? d.upper : -d.lower)!, deadline: share)
                done += 1
                statistics.lpNodes += outcome.lpNodes
                statistics.reluSplits += outcome.reluSplits
                guard outcome.reason == nil else { return nil }
                ends.append(outcome.upper)
                if let witness = outcome.witness {
                    let candidate = witness.candidate(metric)
                    if candidate.value > best?.value ?? -.infinity { best = candidate }
                }
            }
            differenceRange.append((-ends[1], ends[0]))
        }
        statistics.lpBoxes += 1
        return (upperBound(bounds, differenceRange: differenceRange), best)
    }

    /// A Z3 model's input (and, for a perturbation set, its member, checked to lie in the
    /// set) on both networks, exactly.
    private func replay(_ model: Model, inputs: [Node],
                        perturbation: (encoding: LinearPerturbationEncoding, set: PerturbationSet)?) throws -> BoxWitness {
        let x = try inputs.map { try $0.value(in: model) }
        var parameters: [ExactLayer]?
        if let perturbation {
            let member = try perturbation.encoding.witness(from: model).parameters
            try perturbation.set.requireMember(member, around: original)
            parameters = member
        }
        return replay(x, parameters: parameters)
    }

    /// Both networks' exact logits at x (the compressed one with `parameters` for a set).
    private func replay(_ x: [Rational], parameters: [ExactLayer]?) -> BoxWitness {
        let z = original.exactLogits(normalizedInput: x)
        switch compared {
        case .quantized(let g):
            return BoxWitness(point: x, parameters: nil, original: z, compressed: g.exactLogits(normalizedInput: x))
        case .concrete(let g) where parameters == nil:
            return BoxWitness(point: x, parameters: nil, original: z, compressed: g.exactLogits(normalizedInput: x))
        default: break
        }
        let layers = parameters ?? compressedLayers
        var members = parameters
        if case .perturbation = compared { members = layers }  // a set's witness always names its parameters
        return BoxWitness(point: x, parameters: members,
                          original: z, compressed: Network.exactLogits(layers: layers, normalizedInput: x))
    }

    /// A network over symbolic inputs; stable ReLUs (by `ranges`) are linear.
    static func encode(_ layers: [ExactLayer], inputs: [Node], ranges: [[Interval]], prefix: String,
                       z3: Context, constraints: inout [Term]) throws -> [Node] {
        var h = inputs
        for (l, layer) in layers.enumerated() {
            h = try layer.weights.indices.map { k in
                let u = try z3.linear(Array(zip(layer.weights[k], h)), constant: layer.biases[k])
                return try activate(u, bounds: ranges[l][k], activation: layer.activation, name: "\(prefix)y_\(l)_\(k)",
                                    z3: z3, constraints: &constraints)
            }
        }
        return h
    }
}

/// A witness found by Z3 in a box, replayed exactly.
struct BoxWitness {
    var point: [Rational]
    var parameters: [ExactLayer]?
    var original: [Rational]
    var compressed: [Rational]

    func candidate(_ metric: BoxMetric) -> Candidate {
        Candidate(value: metric.value(original: original.map(\.approximateDouble), compressed: compressed.map(\.approximateDouble)),
                  point: point.map(\.approximateDouble), origin: .solved(point: point, parameters: parameters))
    }
}
