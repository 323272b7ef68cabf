import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Z3Kit

/// A compressed network inside Θ_Δ and its exact outputs.
struct ReplayedWitness: Sendable {
    var parameters: [ExactLayer]
    var neuronValues: [[Rational]]?
    var logits: [Rational]
}

/// The certified range of one linear objective `Σ c_i z'_i` over Θ_Δ.
struct ObjectiveBounds: Sendable {
    /// Reached by `best` (replayed exactly).
    var lower: Rational
    /// Proved by an unsat check, or by sound bound propagation.
    var upper: Rational
    var best: ReplayedWitness
    /// Set when the search stopped before `upper − lower ≤ tolerance`.
    var reason: String?
}

/// Maximises linear functions of the perturbed network's logits at one input.
///
/// Lower bounds only ever come from witnesses replayed outside Z3 (and checked
/// to lie in Θ_Δ); upper bounds only from `unsat` answers or sound interval
/// bounds. With the linear encoding Z3's Optimize proposes the optimum and a
/// plain check of `objective > optimum` confirms it; otherwise (or if that
/// check is not `unsat`) bisection with plain checks closes the gap.
final class Maximizer {
    private let z3: Context
    private let encoding: any PerturbationEncoding
    private let solver: Solver
    private let network: Network
    private let set: PerturbationSet
    private let input: [Rational]
    private let outputBounds: [Interval]
    private var search: ObjectiveSearch
    /// The query's own deadline; an objective's never lies beyond it.
    private let queryDeadline: Date?
    /// The original network, exactly, and its logits: the first witness of every objective.
    private let original: ReplayedWitness
    var statistics: QueryStatistics { search.statistics }

    /// - Parameters:
    ///   - radii, bounds, originalLayers: Θ_Δ's radii, the sound pre-activation
    ///     bounds at x and the exact layers (``LocalRobustness`` computes them once).
    init(network: Network, set: PerturbationSet, radii: PerturbationRadii, bounds: [[Interval]],
         originalLayers: [ExactLayer], normalizedInput x: [Rational], encodingKind: Encoding,
         tolerance: Rational, deadline: Date?) throws {
        let z3 = try Context()
        let encoding: any PerturbationEncoding = switch encodingKind {
        case .linear: try LinearPerturbationEncoding(z3: z3, layers: originalLayers, radii: radii, input: x, bounds: bounds)
        case .nonlinear: try NonlinearPerturbationEncoding(z3: z3, layers: originalLayers, radii: radii, input: x, bounds: bounds)
        }
        self.z3 = z3
        self.encoding = encoding
        let solver = try Solver(context: z3)
        for constraint in encoding.constraints { try solver.assert(constraint) }
        self.solver = solver
        self.network = network
        self.set = set
        self.input = x
        let last = bounds[bounds.count - 1]
        self.outputBounds = network.layers.last!.activation == .relu ? last.map { $0.relu() } : last
        self.queryDeadline = deadline
        self.search = ObjectiveSearch(z3: z3, solver: solver, constraints: encoding.constraints,
                                      useOptimize: encodingKind == .linear, tolerance: tolerance, deadline: deadline)
        self.original = ReplayedWitness(parameters: originalLayers, neuronValues: nil,
                                        logits: Network.exactLogits(layers: originalLayers, normalizedInput: x))
    }

    /// Replays a model: builds the parameters, checks they lie in Θ_Δ, and
    /// evaluates them exactly.
    private func replay(_ model: Model) throws -> ReplayedWitness {
        let (parameters, neuronValues) = try encoding.witness(from: model)
        try set.requireMember(parameters, around: network)
        return ReplayedWitness(parameters: parameters, neuronValues: neuronValues,
                               logits: Network.exactLogits(layers: parameters, normalizedInput: input))
    }

    private func value(_ coefficients: [Rational], _ logits: [Rational]) -> Rational {
        zip(coefficients, logits).map { $0 * $1 }.sum()
    }

    /// Certified bounds on `max Σ c_i z'_i` over Θ_Δ.
    /// - Parameters:
    ///   - start: bounds already proved (back-substitution's), to start from.
    ///   - deadline: when this objective's search stops (its share of the query's time).
    func maximize(_ coefficients: [Rational], start: ObjectiveBounds? = nil, deadline: Date? = nil) throws -> ObjectiveBounds {
        search.deadline = [deadline, queryDeadline].compactMap { $0 }.min()
        // The original parameters lie in Θ_Δ: a first witness.
        var upper = zip(coefficients, outputBounds).map { c, b in
            c * Rational(exactly: c.isNegative ? b.lower : b.upper)!
        }.sum()
        var lower = value(coefficients, original.logits), best = original
        if let start {
            upper = Rational.min(upper, start.upper)
            if lower < start.lower { (lower, best) = (start.lower, start.best) }
        }
        let objective = try z3.linear(Array(zip(coefficients, encoding.outputs.map(Node.term))), constant: .zero).term(z3)
        let found = try search.maximize(objective, lower: lower, upper: upper,
                                        best: best) { model in
            let witness = try replay(model)
            return (value(coefficients, witness.logits), witness)
        }
        return ObjectiveBounds(lower: found.lower, upper: found.upper, best: found.best, reason: found.reason)
    }
}
