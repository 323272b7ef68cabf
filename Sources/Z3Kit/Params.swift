import CZ3

/// Limits and options applied to a solver or optimiser.
public struct SolverLimits: Sendable, Equatable {
    /// Wall-clock limit per check, in milliseconds; nil for none. Enforced by
    /// interrupting the check, which then answers `unknown("timeout")`.
    public var timeoutMilliseconds: UInt32?
    /// Z3's deterministic resource limit per check (`rlimit`); nil for none.
    public var resourceLimit: UInt32?

    public init(timeoutMilliseconds: UInt32? = nil, resourceLimit: UInt32? = nil) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.resourceLimit = resourceLimit
    }
}

/// A reference-counted `Z3_params` object (internal: users set ``SolverLimits``).
final class Params {
    let context: Context
    let raw: Z3_params

    init(context: Context, limits: SolverLimits) throws {
        guard let raw = Z3_mk_params(context.raw) else { throw Z3Error.usage("Z3_mk_params failed") }
        self.context = context
        self.raw = raw
        Z3_params_inc_ref(context.raw, raw)
        // The wall-clock limit is enforced by ``Watchdog``, not by Z3's own
        // `timeout` parameter: in Z3 4.8.12 a non-incremental check with that
        // parameter set can ignore both the limit and later interrupts.
        if let r = limits.resourceLimit {
            Z3_params_set_uint(context.raw, raw, context.symbol("rlimit"), r)
        }
        try context.checkError()
    }

    deinit { Z3_params_dec_ref(context.raw, raw) }
}

/// Turns a `Z3_lbool` and a reason getter into a ``CheckResult``.
func checkResult(_ value: Z3_lbool, reason: () -> String) -> CheckResult {
    switch value {
    case Z3_L_TRUE: .sat
    case Z3_L_FALSE: .unsat
    default: .unknown(reason: reason())
    }
}

/// Reads a `Z3_stats` object into a dictionary and releases it.
func readStatistics(_ context: Context, _ stats: Z3_stats) -> [String: Double] {
    Z3_stats_inc_ref(context.raw, stats)
    defer { Z3_stats_dec_ref(context.raw, stats) }
    var result: [String: Double] = [:]
    for i in 0..<Z3_stats_size(context.raw, stats) {
        guard let key = Z3_stats_get_key(context.raw, stats, i) else { continue }
        let value = Z3_stats_is_uint(context.raw, stats, i)
            ? Double(Z3_stats_get_uint_value(context.raw, stats, i))
            : Z3_stats_get_double_value(context.raw, stats, i)
        result[String(cString: key)] = value
    }
    return result
}
