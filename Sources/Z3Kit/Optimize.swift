import CZ3
import ExactArithmetic

/// Z3's optimisation engine (νZ) for linear objectives.
///
/// - Important: Use non-strict constraints only. Z3 4.8.12's Optimize gets
///   strict inequalities wrong; callers must also confirm every optimum with a
///   plain ``Solver`` check before treating it as proved.
public final class Optimize {
    public let context: Context
    let raw: Z3_optimize
    /// The limits applied to each check.
    public let limits: SolverLimits

    /// One bound of an objective: a rational, or a non-standard value such as
    /// `oo` (unbounded) or `5 - epsilon` (supremum not attained).
    public enum Bound: Sendable, Equatable {
        case value(Rational)
        case nonStandard(String)
    }

    public init(context: Context, limits: SolverLimits = SolverLimits()) throws {
        guard let raw = Z3_mk_optimize(context.raw) else {
            try context.checkError()
            throw Z3Error.usage("Z3_mk_optimize failed")
        }
        self.context = context
        self.raw = raw
        self.limits = limits
        Z3_optimize_inc_ref(context.raw, raw)
        let params = try Params(context: context, limits: limits)
        withExtendedLifetime(params) { Z3_optimize_set_params(context.raw, raw, params.raw) }
        try context.checkError()
    }

    deinit { Z3_optimize_dec_ref(context.raw, raw) }

    /// Adds a hard constraint (non-strict inequalities only; see the type's note).
    /// Calls `Z3_optimize_assert`.
    public func assert(_ term: Term) throws {
        try context.requireOwn([term])
        withExtendedLifetime((self, term)) { Z3_optimize_assert(context.raw, raw, term.ast) }
        try context.checkError()
    }

    /// Registers an objective to maximise; returns its index.
    @discardableResult
    public func maximize(_ term: Term) throws -> Int {
        try context.requireOwn([term])
        let index = withExtendedLifetime((self, term)) { Z3_optimize_maximize(context.raw, raw, term.ast) }
        try context.checkError()
        return Int(index)
    }

    /// Registers an objective to minimise; returns its index.
    @discardableResult
    public func minimize(_ term: Term) throws -> Int {
        try context.requireOwn([term])
        let index = withExtendedLifetime((self, term)) { Z3_optimize_minimize(context.raw, raw, term.ast) }
        try context.checkError()
        return Int(index)
    }

    public func push() throws { Z3_optimize_push(context.raw, raw); try context.checkError() }
    public func pop() throws { Z3_optimize_pop(context.raw, raw); try context.checkError() }

    /// Runs the optimisation.
    /// Calls `Z3_optimize_check`, `Z3_optimize_get_reason_unknown`.
    public func check() throws -> CheckResult {
        try FaultInjection.check()
        return try withTimeLimit(context, limits) {
            let value = withExtendedLifetime(self) { Z3_optimize_check(context.raw, raw, 0, nil) }
            try context.checkError()
            return checkResult(value) {
                Z3_optimize_get_reason_unknown(context.raw, raw).map { String(cString: $0) } ?? "unknown"
            }
        }
    }

    /// The lower bound found for objective `index`.
    /// Calls `Z3_optimize_get_lower`.
    public func lower(_ index: Int) throws -> Bound {
        try bound(try context.term { Z3_optimize_get_lower(context.raw, raw, UInt32(index)) })
    }

    /// The upper bound found for objective `index`.
    /// Calls `Z3_optimize_get_upper`.
    public func upper(_ index: Int) throws -> Bound {
        try bound(try context.term { Z3_optimize_get_upper(context.raw, raw, UInt32(index)) })
    }

    private func bound(_ term: Term) throws -> Bound {
        if let value = term.rationalValue { return .value(value) }
        return .nonStandard(term.description)
    }

    /// The model attaining the optimum of the last `sat` check.
    /// Calls `Z3_optimize_get_model`.
    public func model() throws -> Model {
        let model = Z3_optimize_get_model(context.raw, raw)
        try context.checkError()
        guard let model else { throw Z3Error.usage("no model available") }
        return Model(context: context, raw: model)
    }

    /// Counters of the last check.
    /// Calls `Z3_optimize_get_statistics`.
    public var statistics: [String: Double] {
        withExtendedLifetime(self) {
            guard let stats = Z3_optimize_get_statistics(context.raw, raw) else { return [:] }
            return readStatistics(context, stats)
        }
    }
}
