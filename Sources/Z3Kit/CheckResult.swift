/// The answer of a satisfiability check.
public enum CheckResult: Sendable, Equatable {
    case sat
    case unsat
    /// Z3 gave up; the reason is Z3's own text ("timeout", "canceled",
    /// "max. resource limit exceeded", "incomplete", …).
    case unknown(reason: String)
}
