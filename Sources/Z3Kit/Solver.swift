import CZ3

/// An incremental Z3 solver: assertions, push/pop scopes, checks under
/// assumptions, limits, models, statistics and an SMT-LIB dump.
public final class Solver {
    public let context: Context
    let raw: Z3_solver
    /// The limits applied to each check.
    public private(set) var limits = SolverLimits()

    /// A general-purpose solver (Z3 picks the tactic from the assertions).
    /// Calls `Z3_mk_solver`, `Z3_solver_inc_ref`.
    public init(context: Context, limits: SolverLimits = SolverLimits()) throws {
        guard let raw = Z3_mk_solver(context.raw) else {
            try context.checkError()
            throw Z3Error.usage("Z3_mk_solver failed")
        }
        self.context = context
        self.raw = raw
        Z3_solver_inc_ref(context.raw, raw)
        try setLimits(limits)
    }

    deinit { Z3_solver_dec_ref(context.raw, raw) }

    /// Replaces the per-check time and resource limits.
    /// Calls `Z3_solver_set_params`.
    public func setLimits(_ limits: SolverLimits) throws {
        self.limits = limits
        let params = try Params(context: context, limits: limits)
        withExtendedLifetime(params) { Z3_solver_set_params(context.raw, raw, params.raw) }
        try context.checkError()
    }

    /// Adds a Boolean assertion.
    /// Calls `Z3_solver_assert`.
    public func assert(_ term: Term) throws {
        try context.requireOwn([term])
        withExtendedLifetime((self, term)) { Z3_solver_assert(context.raw, raw, term.ast) }
        try context.checkError()
    }

    /// Opens a scope; assertions made after it are removed by ``pop(_:)``.
    /// Calls `Z3_solver_push`.
    public func push() throws {
        Z3_solver_push(context.raw, raw)
        try context.checkError()
    }

    /// Removes the last `count` scopes.
    /// Calls `Z3_solver_pop`.
    public func pop(_ count: Int = 1) throws {
        Z3_solver_pop(context.raw, raw, UInt32(count))
        try context.checkError()
    }

    /// Checks the assertions, optionally under Boolean assumptions. A check
    /// that runs past ``SolverLimits/timeoutMilliseconds`` ends as
    /// `unknown("timeout")`.
    /// Calls `Z3_ast`, `Z3_solver_check`, `Z3_solver_check_assumptions`.
    public func check(assuming assumptions: [Term] = []) throws -> CheckResult {
        try context.requireOwn(assumptions)
        try FaultInjection.check()
        let asts: [Z3_ast?] = assumptions.map { $0.ast }
        let result = try withTimeLimit(context, limits) {
            let value = withExtendedLifetime((self, assumptions)) {
                asts.withUnsafeBufferPointer { buffer in
                    assumptions.isEmpty
                        ? Z3_solver_check(context.raw, raw)
                        : Z3_solver_check_assumptions(context.raw, raw, UInt32(buffer.count), buffer.baseAddress)
                }
            }
            try context.checkError()
            return checkResult(value) { reasonUnknown }
        }
        if result == .unsat, let dump = SMTDump.current { try dump.record(self, assumptions: assumptions) }
        return result
    }

    /// Z3's reason for the last `unknown`.
    /// Calls `Z3_solver_get_reason_unknown`.
    public var reasonUnknown: String {
        withExtendedLifetime(self) {
            Z3_solver_get_reason_unknown(context.raw, raw).map { String(cString: $0) } ?? "unknown"
        }
    }

    /// The model of the last `sat` check.
    /// Calls `Z3_solver_get_model`.
    public func model() throws -> Model {
        let model = Z3_solver_get_model(context.raw, raw)
        try context.checkError()
        guard let model else { throw Z3Error.usage("no model available") }
        return Model(context: context, raw: model)
    }

    /// The assumptions that made the last check `unsat`.
    /// Calls `Z3_solver_get_unsat_core`, `Z3_ast_vector_inc_ref`, `Z3_ast_vector_dec_ref`, `Z3_ast_vector_size`, `Z3_ast_vector_get`.
    public func unsatCore() throws -> [Term] {
        guard let vector = Z3_solver_get_unsat_core(context.raw, raw) else {
            try context.checkError()
            return []
        }
        Z3_ast_vector_inc_ref(context.raw, vector)
        defer { Z3_ast_vector_dec_ref(context.raw, vector) }
        return (0..<Z3_ast_vector_size(context.raw, vector)).compactMap { i in
            Z3_ast_vector_get(context.raw, vector, i).map { Term(context: context, ast: $0) }
        }
    }

    /// Counters of the last check (decisions, conflicts, time, memory, …).
    /// Calls `Z3_solver_get_statistics`.
    public var statistics: [String: Double] {
        withExtendedLifetime(self) {
            guard let stats = Z3_solver_get_statistics(context.raw, raw) else { return [:] }
            return readStatistics(context, stats)
        }
    }

    /// The assertions in SMT-LIB 2 syntax, for debugging and for re-running
    /// a query in another solver.
    /// Calls `Z3_solver_to_string`.
    public var smtLib: String {
        withExtendedLifetime(self) { Z3_solver_to_string(context.raw, raw).map { String(cString: $0) } ?? "" }
    }
}
