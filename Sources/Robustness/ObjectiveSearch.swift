import ExactArithmetic
import Foundation
import Z3Kit

/// Certified bounds on the maximum of one linear objective over a solver's
/// constraints.
///
/// Lower bounds only ever come from models replayed outside Z3 (the caller's
/// `replay`); upper bounds only from `unsat` answers. With `useOptimize`,
/// Z3's Optimize proposes the optimum and a plain check of
/// `objective > optimum` confirms it; otherwise (or if that check is not
/// `unsat`) bisection with plain checks closes the gap to the tolerance.
struct ObjectiveSearch {
    let z3: Context
    let solver: Solver
    /// The constraints again, for a fresh Optimize (non-strict ones only).
    let constraints: [Term]
    let useOptimize: Bool
    let tolerance: Rational
    /// When the search stops; callers may move it between objectives.
    var deadline: Date?
    var statistics = QueryStatistics()

    /// How often Optimize may start again above a better point its answer missed.
    static let optimizeAttempts = 3

    /// The remaining time as solver limits; nil when the deadline has passed.
    func limits() -> SolverLimits? {
        guard let deadline else { return SolverLimits() }
        let ms = deadline.timeIntervalSinceNow * 1000
        guard ms >= 1 else { return nil }
        return SolverLimits(timeoutMilliseconds: UInt32(min(ms, Double(UInt32.max))))
    }

    /// Narrows `[lower, upper]` for `max objective`, starting from a known
    /// witness reaching `lower` and a sound `upper`.
    /// - Parameter replay: turns a model into the objective's exact value at
    ///   a genuine witness, and the witness.
    mutating func maximize<W>(_ objective: Term, lower: Rational, upper: Rational, best: W,
                              replay: (Model) throws -> (value: Rational, witness: W))
        throws -> (lower: Rational, upper: Rational, best: W, reason: String?) {
        var lower = lower, upper = upper, best = best
        var reason: String?

        func consider(_ model: Model) throws {
            statistics.replays += 1
            let (value, witness) = try replay(model)
            if lower < value { lower = value; best = witness }
        }

        /// One plain check of `objective ≥ bound` (or `>`).
        func probe(_ bound: Rational, strict: Bool) throws -> CheckResult {
            guard let limits = limits() else { return .unknown(reason: "timeout") }
            try solver.setLimits(limits)
            try solver.push()
            defer { try? solver.pop() }
            try solver.assert(strict ? objective > z3.real(bound) : objective >= z3.real(bound))
            statistics.checks += 1
            let result = try solver.check()
            if result == .sat { try consider(try solver.model()) }
            return result
        }

        // Optimize runs detached: it can ignore interrupts for seconds. Z3 4.8.12's optimiser
        // can stop at a vertex that is not optimal where the constraints hold disjunctions
        // (a perturbation set's |h'| cases), and it did so for a problem translated into the
        // detached context that it solved in the caller's. When the confirming check finds a
        // better point, the optimiser starts again above it, a few times, before bisection.
        var attempts = 0
        while useOptimize, attempts < Self.optimizeAttempts, let limits = limits() {
            attempts += 1
            let above = attempts == 1 ? [] : [try objective >= z3.real(lower)]
            let found = try DetachedOptimize.maximize(objective, subjectTo: constraints + above, limits: limits)
            statistics.optimizations += 1
            guard found.result == .sat, case .value = found.upper, let model = found.model else { break }
            try consider(model)
            // Confirm with a plain check: nothing beats the replayed optimum.
            let confirmation = try probe(lower, strict: true)
            if confirmation == .unsat { upper = lower }
            if confirmation != .sat { break }
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
        return (lower, upper, best, reason)
    }
}
