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
    private let useOptimize: Bool
    private let deadline: Date?
    private let tolerance: Rational
    /// The original network, exactly, and its logits: the first witness of every objective.
    private let original: ReplayedWitness
    private(set) var statistics = QueryStatistics()

    init(network: Network, set: PerturbationSet, normalizedInput x: [Rational], encodingKind: Encoding,
         tolerance: Rational, deadline: Date?) throws {
        let z3 = try Context()
        let radii = PerturbationRadii(network: network, set: set)
        let bounds = perturbedPreActivationBounds(network: network, radii: radii, input: x)
        // Converting every weight to an exact rational costs a gcd each: do it once.
        let originalLayers = network.exactLayers
        let encoding: any PerturbationEncoding = switch encodingKind {
        case .linear: try LinearPerturbationEncoding(z3: z3, layers: originalLayers, radii: radii, input: x, bounds: bounds)
        case .nonlinear: try NonlinearPerturbationEncoding(z3: z3, layers: originalLayers, radii: radii, input: x, bounds: bounds)
        }
        self.z3 = z3
        self.encoding = encoding
        self.solver = try Solver(context: z3)
        for constraint in encoding.constraints { try solver.assert(constraint) }
        self.network = network
        self.set = set
        self.input = x
        let last = bounds[bounds.count - 1]
        self.outputBounds = network.layers.last!.activation == .relu ? last.map { $0.relu() } : last
        self.useOptimize = encodingKind == .linear
        self.tolerance = tolerance
        self.deadline = deadline
        self.original = ReplayedWitness(parameters: originalLayers, neuronValues: nil,
                                        logits: Network.exactLogits(layers: originalLayers, normalizedInput: x))
    }

    /// The remaining time as solver limits; nil when the deadline has passed.
    private func limits() -> SolverLimits? {
        guard let deadline else { return SolverLimits() }
        let ms = deadline.timeIntervalSinceNow * 1000
        guard ms >= 1 else { return nil }
        return SolverLimits(timeoutMilliseconds: UInt32(min(ms, Double(UInt32.max))))
    }

    /// Replays a model: builds the parameters, checks they lie in Θ_Δ, and
    /// evaluates them exactly.
    private func replay(_ model: Model) throws -> ReplayedWitness {
        statistics.replays += 1
        let (parameters, neuronValues) = try encoding.witness(from: model)
        if let place = set.firstViolation(of: parameters, around: network) {
            throw QueryError("internal error: a witness parameter (\(place)) lies outside Θ_Δ; nothing is reported from it")
        }
        return ReplayedWitness(parameters: parameters, neuronValues: neuronValues,
                               logits: Network.exactLogits(layers: parameters, normalizedInput: input))
    }

    private func value(_ coefficients: [Rational], _ logits: [Rational]) -> Rational {
        zip(coefficients, logits).map { $0 * $1 }.sum()
    }

    /// Certified bounds on `max Σ c_i z'_i` over Θ_Δ.
    func maximize(_ coefficients: [Rational]) throws -> ObjectiveBounds {
        // The original parameters lie in Θ_Δ: a first witness.
        var best = original
        var lower = value(coefficients, original.logits)
        var upper = zip(coefficients, outputBounds).map { c, b in
            c * Rational(exactly: c.isNegative ? b.lower : b.upper)!
        }.sum()
        var reason: String?
        let objective = try z3.linear(Array(zip(coefficients, encoding.outputs.map(Node.term))), constant: .zero).term(z3)

        func consider(_ witness: ReplayedWitness) {
            let v = value(coefficients, witness.logits)
            if lower < v { lower = v; best = witness }
        }

        /// One plain check of `objective ≥ bound` (or `>`); true when it was answered.
        func probe(_ bound: Rational, strict: Bool) throws -> CheckResult {
            guard let limits = limits() else { return .unknown(reason: "timeout") }
            try solver.setLimits(limits)
            try solver.push()
            defer { try? solver.pop() }
            try solver.assert(strict ? objective > z3.real(bound) : objective >= z3.real(bound))
            statistics.checks += 1
            let result = try solver.check()
            if result == .sat { consider(try replay(try solver.model())) }
            return result
        }

        if useOptimize, let limits = limits() {
            let optimizer = try Optimize(context: z3, limits: limits)
            for constraint in encoding.constraints { try optimizer.assert(constraint) }
            let index = try optimizer.maximize(objective)
            statistics.optimizations += 1
            if try optimizer.check() == .sat, case .value = try optimizer.upper(index) {
                consider(try replay(try optimizer.model()))
                // Confirm with a plain check: nothing beats the replayed optimum.
                if try probe(lower, strict: true) == .unsat { upper = lower }
            }
        }
        while tolerance < upper - lower {
            let mid = Exponential.roundUp((lower + upper) * Rational(1, 2), bits: 64)
            let bound = mid < upper ? mid : (lower + upper) * Rational(1, 2)
            let before = lower
            switch try probe(bound, strict: false) {
            case .unsat:
                upper = bound
            case .sat:
                if lower < bound {
                    reason = "a solver model did not replay to the bound it satisfied (lower stays \(before.approximateDouble))"
                }
            case .unknown(let why):
                reason = why
            }
            if reason != nil { break }
        }
        return ObjectiveBounds(lower: lower, upper: upper, best: best, reason: reason)
    }
}
