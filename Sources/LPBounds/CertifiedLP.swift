import Bounds
import Foundation

/// A linear program solved by GLPK and bounded rigorously: every upper bound
/// it reports comes from ``SafeBound`` (never from GLPK's objective value),
/// and "infeasible" is reported only when proved.
///
/// Infeasibility is proved on an auxiliary problem: one more variable s ≥ 0
/// relaxes every row by s (`a·v − s ≤ b`, `a·v + s ≥ b`); the program is
/// infeasible exactly when min s > 0, and a safe bound `max(−s) < 0` proves
/// it. The variable s is part of the problem from the start, fixed at 0 for
/// ordinary solves, so both kinds of solve share one GLPK object and warm-start
/// from each other's bases. When GLPK calls a program infeasible but the
/// proof fails (the violation is marginal), the program relaxed by twice the
/// minimal slack is bounded instead: it contains the original.
public final class CertifiedLP {
    /// What one solve proved.
    public enum Outcome: Sendable {
        /// `max c·v ≤ upper` is proved; `point` is the solver's (approximate) optimum.
        case bounded(upper: Double, point: [Double])
        /// No point satisfies the constraints (proved).
        case infeasible
        /// Nothing proved (a limit, or a failure of the solver); the reason says which.
        case unknown(String)
    }

    private var program: LinearProgram
    private let problem: GLPKProblem
    private let slack: Int
    /// The largest relaxation the infeasibility check considers.
    private static let slackLimit = 1e9

    /// - Throws: ``LPError`` when the program cannot be extended by the slack variable.
    public init(_ program: LinearProgram) throws {
        var augmented = program
        let slack = try augmented.addVariable(lower: 0, upper: 0)
        let rows = augmented.rows
        augmented = LinearProgram(copying: augmented, rows: rows.map { row in
            var row = row
            let sign: Double = row.sense == .atMost ? -1 : 1
            row.terms.append((slack, Interval(sign, sign)))
            return row
        })
        self.program = augmented
        self.slack = slack
        self.problem = GLPKProblem(augmented)
    }

    /// The number of variables of the original program.
    public var variableCount: Int { program.variableCount - 1 }

    /// Changes a variable's bounds for the following solves.
    public func setBounds(_ variable: Int, lower: Double, upper: Double) throws {
        guard (0..<variableCount).contains(variable) else { throw LPError("no variable \(variable)") }
        try program.setBounds(variable, lower: lower, upper: upper)
        problem.setBounds(variable, lower: lower, upper: upper)
    }

    /// Replaces the objective (one exact binary64 coefficient per variable).
    public func setObjective(_ coefficients: [Double]) throws {
        guard coefficients.count == variableCount, coefficients.allSatisfy(\.isFinite) else {
            throw LPError("the objective needs \(variableCount) finite coefficients")
        }
        program.objective = coefficients + [0]
        problem.setObjective(program.objective)
    }

    /// The solver's basis after a solve, to warm-start a later solve of a
    /// related program (a branch and bound child from its parent's basis).
    public struct Basis: Sendable {
        fileprivate let statuses: [Int32]
    }

    /// The current basis.
    public var basis: Basis { Basis(statuses: problem.basis) }

    /// Starts the next solve from `basis` (taken from this program). Bounds and
    /// rows are untouched; a basis that no longer factorises is replaced by a fresh one.
    public func restore(_ basis: Basis) {
        problem.setBasis(basis.statuses)
    }

    /// GLPK's row duals of the last solve: approximate, for heuristics (a
    /// branching rule), never for proofs.
    public var rowDuals: [Double] { problem.rowDuals }

    /// The bounds of a variable as set now.
    public func bounds(of variable: Int) -> (lower: Double, upper: Double) {
        (program.lower[variable], program.upper[variable])
    }

    /// Maximises the objective under the current bounds.
    /// - Parameter timeLimit: seconds for GLPK (each of at most two solves).
    public func maximize(timeLimit: Double? = nil) -> Outcome {
        // Clamped before converting: a limit of 1e300 s must not trap.
        let milliseconds = timeLimit.map { Int32(Swift.min(Swift.max($0 * 1000, 1), Double(Int32.max)).rounded(.up)) }
        switch problem.solve(milliseconds: milliseconds) {
        case .optimal:
            guard let upper = SafeBound.upperBound(program, multipliers: problem.rowDuals) else {
                return .unknown("the LP bound is not a finite number")
            }
            var point = problem.point
            point.removeLast()
            return .bounded(upper: upper, point: point)
        case .infeasible:
            return proveInfeasible(milliseconds: milliseconds)
        case .other(let reason):
            return .unknown(reason)
        }
    }

    /// Minimises the slack s; proves infeasibility when `max(−s) < 0` is
    /// certified. When it cannot be (GLPK's "infeasible" was marginal: the
    /// minimal slack s* is tiny), bounds the program relaxed by `s ≤ 2·s*`
    /// instead: that program contains the original one, so its proved bound
    /// holds for it.
    private func proveInfeasible(milliseconds: Int32?) -> Outcome {
        var relaxed = program
        var slackObjective = Array(repeating: 0.0, count: program.variableCount)
        slackObjective[slack] = -1
        relaxed.objective = slackObjective
        // The bounds 0 ≤ s ≤ limit are valid: setBounds cannot fail on them.
        try? relaxed.setBounds(slack, lower: 0, upper: Self.slackLimit)
        problem.setBounds(slack, lower: 0, upper: Self.slackLimit)
        problem.setObjective(slackObjective)
        defer {
            problem.setBounds(slack, lower: 0, upper: 0)
            problem.setObjective(program.objective)
        }
        guard case .optimal = problem.solve(milliseconds: milliseconds) else {
            return .unknown("GLPK reported the LP infeasible, and the proof of it did not finish")
        }
        if let bound = SafeBound.upperBound(relaxed, multipliers: problem.rowDuals), bound < 0 {
            return .infeasible
        }
        let minimal = problem.point[slack]
        guard minimal.isFinite, minimal < 1e-6 else {
            return .unknown("GLPK reported the LP infeasible, but that could not be proved")
        }
        let allowance = Swift.max(2 * minimal, 1e-9)
        try? relaxed.setBounds(slack, lower: 0, upper: allowance)
        relaxed.objective = program.objective
        problem.setBounds(slack, lower: 0, upper: allowance)
        problem.setObjective(program.objective)
        guard case .optimal = problem.solve(milliseconds: milliseconds),
              let upper = SafeBound.upperBound(relaxed, multipliers: problem.rowDuals) else {
            return .unknown("GLPK reported the LP infeasible, but that could not be proved")
        }
        var point = problem.point
        point.removeLast()
        return .bounded(upper: upper, point: point)
    }
}
