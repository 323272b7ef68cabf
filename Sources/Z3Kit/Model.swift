import CZ3
import ExactArithmetic

/// A satisfying assignment, read back as exact values.
public final class Model {
    public let context: Context
    let raw: Z3_model

    init(context: Context, raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }

    deinit { Z3_model_dec_ref(context.raw, raw) }

    /// Evaluates a term in the model, completing unassigned variables with defaults.
    /// Calls `Z3_ast`, `Z3_model_eval`.
    public func evaluate(_ term: Term) throws -> Term {
        try context.requireOwn([term])
        var out: Z3_ast?
        let ok = withExtendedLifetime((self, term)) { Z3_model_eval(context.raw, raw, term.ast, true, &out) }
        try context.checkError()
        guard ok, let out else { throw Z3Error.usage("model evaluation failed for \(term)") }
        return Term(context: context, ast: out)
    }

    /// The exact rational value of a real or integer term in the model.
    /// Throws if the value is an irrational algebraic number; use
    /// ``enclosure(of:)`` for nonlinear models.
    public func rational(_ term: Term) throws -> Rational {
        let value = try evaluate(term)
        guard let exact = value.rationalValue else {
            throw Z3Error.usage("model value of \(term) is not rational: \(value)")
        }
        return exact
    }

    /// A rational enclosure of the term's value: exact for rationals, narrow
    /// (width < 10^-40) for irrational algebraic numbers.
    public func enclosure(of term: Term) throws -> Enclosure {
        let value = try evaluate(term)
        if let exact = value.rationalValue { return Enclosure(exactly: exact) }
        if value.isAlgebraicNumber { return try value.algebraicEnclosure() }
        throw Z3Error.usage("model value of \(term) is not a number: \(value)")
    }

    /// The Boolean value of a term in the model.
    public func bool(_ term: Term) throws -> Bool {
        guard let value = try evaluate(term).boolValue else {
            throw Z3Error.usage("model value of \(term) is not Boolean")
        }
        return value
    }

    public var description: String {
        withExtendedLifetime(self) { Z3_model_to_string(context.raw, raw).map { String(cString: $0) } ?? "?" }
    }
}
