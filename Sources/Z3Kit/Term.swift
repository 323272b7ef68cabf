import CZ3
import ExactArithmetic

/// A Z3 expression (`Z3_ast`) of sort Bool, Int or Real.
///
/// Holds one reference to its AST and a strong reference to its context, so a
/// term can never outlive the context it belongs to. Operators that build new
/// terms throw ``Z3Error`` on a sort mismatch instead of aborting.
public final class Term: CustomStringConvertible {
    public let context: Context
    let ast: Z3_ast

    init(context: Context, ast: Z3_ast) {
        self.context = context
        self.ast = ast
        Z3_inc_ref(context.raw, ast)
    }

    deinit { Z3_dec_ref(context.raw, ast) }

    /// SMT-LIB rendering of the term.
    /// Calls `Z3_ast_to_string`.
    public var description: String {
        withExtendedLifetime(self) { Z3_ast_to_string(context.raw, ast).map { String(cString: $0) } ?? "?" }
    }

    /// The sort of the term.
    /// Calls `Z3_get_sort`.
    public func sort() throws -> Sort {
        let raw = withExtendedLifetime(self) { Z3_get_sort(context.raw, ast) }
        try context.checkError()
        guard let raw else { throw Z3Error.usage("Z3 returned no sort") }
        return Sort(context: context, raw: raw)
    }

    /// The exact value of a numeral term (`3/4`, `-2`), or `nil` for anything
    /// else (a variable, an irrational algebraic number, `oo`, `epsilon`).
    /// Calls `Z3_is_numeral_ast`, `Z3_get_numeral_string`.
    public var rationalValue: Rational? {
        withExtendedLifetime(self) {
            guard Z3_is_numeral_ast(context.raw, ast),
                  let text = Z3_get_numeral_string(context.raw, ast)
            else { return nil }
            return Rational(parsing: String(cString: text))
        }
    }

    /// The Boolean value of `true`/`false` terms, else `nil`.
    /// Calls `Z3_get_bool_value`.
    public var boolValue: Bool? {
        withExtendedLifetime(self) {
            switch Z3_get_bool_value(context.raw, ast) {
            case Z3_L_TRUE: true
            case Z3_L_FALSE: false
            default: nil
            }
        }
    }

    /// Whether this term is an irrational algebraic number (from nonlinear models).
    /// Calls `Z3_is_algebraic_number`.
    public var isAlgebraicNumber: Bool {
        withExtendedLifetime(self) { Z3_is_algebraic_number(context.raw, ast) }
    }

    /// A rational enclosure of an algebraic number with width below `10^-precision`.
    /// Calls `Z3_get_algebraic_number_lower`, `Z3_get_algebraic_number_upper`.
    public func algebraicEnclosure(precision: Int = 40) throws -> Enclosure {
        let lower = try context.term { Z3_get_algebraic_number_lower(context.raw, ast, UInt32(precision)) }
        let upper = try context.term { Z3_get_algebraic_number_upper(context.raw, ast, UInt32(precision)) }
        guard let lo = lower.rationalValue, let hi = upper.rationalValue else {
            throw Z3Error.usage("algebraic number bounds are not rational numerals")
        }
        return Enclosure(lower: lo, upper: hi)
    }
}

// MARK: - Constants, variables and numerals

extension Context {
    /// A fresh-named real variable (names are for dumps; equal names mean the same variable).
    /// Calls `Z3_mk_const`.
    public func realVariable(_ name: String) throws -> Term {
        let sort = try realSort()
        return try withExtendedLifetime(sort) { try term { Z3_mk_const(raw, symbol(name), sort.raw) } }
    }

    /// An integer variable.
    /// Calls `Z3_mk_const`.
    public func intVariable(_ name: String) throws -> Term {
        let sort = try intSort()
        return try withExtendedLifetime(sort) { try term { Z3_mk_const(raw, symbol(name), sort.raw) } }
    }

    /// A Boolean variable.
    /// Calls `Z3_mk_const`.
    public func boolVariable(_ name: String) throws -> Term {
        let sort = try boolSort()
        return try withExtendedLifetime(sort) { try term { Z3_mk_const(raw, symbol(name), sort.raw) } }
    }

    /// The exact real numeral `value`, written `p/q` for Z3.
    /// Calls `Z3_mk_numeral`.
    public func real(_ value: Rational) throws -> Term {
        let sort = try realSort()
        return try withExtendedLifetime(sort) { try term { Z3_mk_numeral(raw, value.description, sort.raw) } }
    }

    /// The real numeral of an integer.
    public func real(_ value: Int) throws -> Term { try real(Rational(value)) }

    /// The exact binary value a Double stores (never its decimal rendering:
    /// Z3 reads `"1e-05"` as 1/0 and `"1E5"` as 0 without complaint).
    /// Throws for NaN and infinities.
    public func real(exactly value: Double) throws -> Term {
        guard let exact = Rational(exactly: value) else {
            throw Z3Error.usage("\(value) is not a finite number")
        }
        return try real(exact)
    }

    /// A real numeral from decimal (`1e-05`, `-0.25`) or fraction (`3/4`) text,
    /// parsed exactly by Z3Kit before Z3 sees it.
    public func real(parsing text: String) throws -> Term {
        guard let exact = Rational(parsing: text) else {
            throw Z3Error.usage("'\(text)' is not a decimal or fraction")
        }
        return try real(exact)
    }

    /// An integer numeral.
    /// Calls `Z3_mk_numeral`.
    public func int(_ value: Int) throws -> Term {
        let sort = try intSort()
        return try withExtendedLifetime(sort) { try term { Z3_mk_numeral(raw, String(value), sort.raw) } }
    }

    /// `true` or `false`.
    /// Calls `Z3_mk_true`, `Z3_mk_false`.
    public func bool(_ value: Bool) throws -> Term {
        try term { value ? Z3_mk_true(raw) : Z3_mk_false(raw) }
    }
}

// MARK: - N-ary and structural constructors

extension Context {
    /// Calls an n-ary Z3 constructor on the terms' ASTs, keeping them alive.
    func nary(_ terms: [Term], _ make: (Z3_context, UInt32, UnsafePointer<Z3_ast?>) -> Z3_ast?) throws -> Term {
        try requireOwn(terms)
        let asts: [Z3_ast?] = terms.map { $0.ast }
        return try withExtendedLifetime(terms) {
            try asts.withUnsafeBufferPointer { buffer in
                try term { make(raw, UInt32(buffer.count), buffer.baseAddress!) }
            }
        }
    }

    /// `t1 + … + tn` (0 for an empty list).
    /// Calls `Z3_mk_add`.
    public func sum(_ terms: [Term]) throws -> Term {
        if terms.isEmpty { return try real(0) }
        if terms.count == 1 { return terms[0] }
        return try nary(terms) { Z3_mk_add($0, $1, $2) }
    }

    /// Conjunction (`true` for an empty list).
    /// Calls `Z3_mk_and`.
    public func and(_ terms: [Term]) throws -> Term {
        if terms.isEmpty { return try bool(true) }
        return try nary(terms) { Z3_mk_and($0, $1, $2) }
    }

    /// Disjunction (`false` for an empty list).
    /// Calls `Z3_mk_or`.
    public func or(_ terms: [Term]) throws -> Term {
        if terms.isEmpty { return try bool(false) }
        return try nary(terms) { Z3_mk_or($0, $1, $2) }
    }

    /// `if condition then a else b`.
    /// Calls `Z3_mk_ite`.
    public func ite(_ condition: Term, _ a: Term, _ b: Term) throws -> Term {
        try requireOwn([condition, a, b])
        return try withExtendedLifetime((condition, a, b)) { try term { Z3_mk_ite(raw, condition.ast, a.ast, b.ast) } }
    }

    /// An integer term read as a real one (Z3's arithmetic does not mix sorts by itself).
    /// Calls `Z3_mk_int2real`.
    public func toReal(_ t: Term) throws -> Term {
        try requireOwn([t])
        return try withExtendedLifetime(t) { try term { Z3_mk_int2real(raw, t.ast) } }
    }

    /// `a ⇒ b`.
    /// Calls `Z3_mk_implies`.
    public func implies(_ a: Term, _ b: Term) throws -> Term {
        try requireOwn([a, b])
        return try withExtendedLifetime((a, b)) { try term { Z3_mk_implies(raw, a.ast, b.ast) } }
    }
}
